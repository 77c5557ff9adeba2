-- scripts/privilege-table.sql — the privilege table of docs/security.md,
-- generated from the catalogue: for every table, view, sequence and function
-- of schema commerce, what PUBLIC and each role of the extension may do, in
-- PostgreSQL's own ACL letters (r SELECT, a INSERT, w UPDATE, d DELETE,
-- D TRUNCATE, U USAGE, X EXECUTE; - nothing). A role's privileges are its
-- effective ones (has_*_privilege, memberships included); PUBLIC's are its
-- grants. test/t/008_privilege_table.pl compares the output with the
-- document (PGCOMMERCE_WRITE_DOCS=1 rewrites it).
WITH roles (ord, name) AS (
  VALUES (1, 'commerce_partner'), (2, 'commerce_gateway'), (3, 'commerce_admin'), (4, 'commerce_owner')
),
privs (ord, letter, priv) AS (
  VALUES (1, 'r', 'SELECT'), (2, 'a', 'INSERT'), (3, 'w', 'UPDATE'), (4, 'd', 'DELETE'),
         (5, 'D', 'TRUNCATE'), (6, 'U', 'USAGE'), (7, 'X', 'EXECUTE')
),
objects AS (
  SELECT CASE WHEN c.relkind IN ('r', 'p') THEN 'table' WHEN c.relkind = 'v' THEN 'view' ELSE 'sequence' END AS kind,
         c.relname::text AS object, c.oid, c.relacl AS acl,
         CASE WHEN EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation')
              THEN 'tenant table' ELSE '' END AS note
    FROM pg_class c
   WHERE c.relnamespace = 'commerce'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'S')
  UNION ALL
  SELECT 'function', replace(p.oid::regprocedure::text, 'commerce.', ''), p.oid,
         coalesce(p.proacl, acldefault('f', p.proowner)),
         CASE WHEN p.prosecdef THEN 'SECURITY DEFINER' ELSE '' END
    FROM pg_proc p
   WHERE p.pronamespace = 'commerce'::regnamespace
),
applicable AS (
  SELECT o.*, pr.ord, pr.letter, pr.priv
    FROM objects o
    JOIN privs pr ON (o.kind IN ('table', 'view') AND pr.letter IN ('r', 'a', 'w', 'd', 'D'))
                  OR (o.kind = 'sequence' AND pr.letter IN ('r', 'U'))
                  OR (o.kind = 'function' AND pr.letter = 'X')
),
cells AS (
  SELECT a.kind, a.object, a.note, 0 AS col,
         string_agg(a.letter, '' ORDER BY a.ord) FILTER (
           WHERE EXISTS (SELECT 1 FROM aclexplode(a.acl) e
                          WHERE e.grantee = 0 AND e.privilege_type = a.priv)) AS privileges
    FROM applicable a
   GROUP BY a.kind, a.object, a.note
  UNION ALL
  SELECT a.kind, a.object, a.note, ro.ord,
         string_agg(a.letter, '' ORDER BY a.ord) FILTER (
           WHERE CASE a.kind
                   WHEN 'function' THEN has_function_privilege(ro.name, a.oid, a.priv)
                   WHEN 'sequence' THEN has_sequence_privilege(ro.name, a.oid, a.priv)
                   ELSE has_table_privilege(ro.name, a.oid, a.priv) END)
    FROM applicable a CROSS JOIN roles ro
   GROUP BY a.kind, a.object, a.note, ro.ord
)
SELECT format('| %s | `%s` | %s | %s |', kind, object,
              string_agg(coalesce(privileges, '-'), ' | ' ORDER BY col), note)
  FROM cells
 GROUP BY kind, object, note
 ORDER BY CASE kind WHEN 'table' THEN 1 WHEN 'view' THEN 2 WHEN 'sequence' THEN 3 ELSE 4 END,
          object COLLATE "C";
