-- test/sql/citus_ready_catalogue.sql — what Citus needs of the schema,
-- read from the catalogue, without Citus (docs/scaling.md, "Checks"):
--   1. no RESTRICTIVE policy: Citus re-creates every policy on the shards
--      as PERMISSIVE (it never writes AS RESTRICTIVE), which would widen
--      access instead of narrowing it; and, since permissive policies are
--      OR-ed, every policy of a tenant table confines to the tenant on its
--      own: its USING and WITH CHECK are tenant_id = current_tenant(),
--      alone or AND-ed with a narrower rule;
--   2. no subquery in any policy ("Subqueries are not supported in
--      policies on distributed tables");
--   3. every unique index of a tenant table leads with tenant_id (the
--      distribution column must be in every unique index);
--   4. every foreign key of a tenant table targets a tenant table with
--      tenant_id on both sides, or a reference table (a table without the
--      tenant_isolation policy); a reference table's foreign keys target
--      reference tables only;
--   5. a role with a column-level INSERT grant holds it on every defaulted
--      column too: Citus sends defaulted columns' values explicitly to the
--      shards, so a missing grant is "permission denied" there only.
-- Each check is a function over a schema, run on schema commerce (must
-- find nothing) and on a deliberately broken fixture schema (must find
-- exactly the planted faults), so a check that finds nothing because it
-- is broken fails too.
BEGIN;
SELECT plan(14);

-- Tenant tables: those with the tenant_isolation policy (as the isolation
-- suite and the privilege table find them); every other table is a
-- reference table on Citus.
CREATE FUNCTION pg_temp.tenant_tables(nsp text)
RETURNS TABLE (relid oid, tenant_attnum smallint) LANGUAGE sql STABLE AS $$
  SELECT c.oid, a.attnum
  FROM pg_class c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
  WHERE c.relnamespace = nsp::regnamespace AND c.relkind IN ('r', 'p')
    AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation')
$$;

CREATE FUNCTION pg_temp.policy_problems(nsp text)
RETURNS TABLE (tbl text, policy name, problem text) LANGUAGE sql STABLE AS $$
  SELECT c.relname::text, p.polname, v.problem
  FROM pg_policy p
  JOIN pg_class c ON c.oid = p.polrelid
  CROSS JOIN LATERAL (VALUES
    (CASE WHEN NOT p.polpermissive THEN 'restrictive' END),
    -- a subquery is a SubLink node in the stored expression tree
    (CASE WHEN coalesce(p.polqual::text, '') LIKE '%{SUBLINK %'
            OR coalesce(p.polwithcheck::text, '') LIKE '%{SUBLINK %' THEN 'subquery' END)) v(problem)
  WHERE c.relnamespace = nsp::regnamespace AND v.problem IS NOT NULL
  ORDER BY 1, 2, 3
$$;

-- Policies of tenant tables whose USING or WITH CHECK does not start with
-- the tenant condition at the top (pg_get_expr wraps the top node in
-- parentheses, so a top-level OR never matches the AND prefix).
CREATE FUNCTION pg_temp.unconfined_policies(nsp text)
RETURNS TABLE (tbl text, policy name) LANGUAGE sql STABLE AS $$
  SELECT p.polrelid::regclass::text, p.polname
  FROM pg_policy p
  JOIN pg_temp.tenant_tables(nsp) t ON t.relid = p.polrelid
  CROSS JOIN LATERAL (VALUES (pg_get_expr(p.polqual, p.polrelid)),
                             (pg_get_expr(p.polwithcheck, p.polrelid))) e(expr)
  WHERE e.expr IS NOT NULL
    AND e.expr <> '(tenant_id = commerce.current_tenant())'
    AND e.expr NOT LIKE '((tenant_id = commerce.current_tenant()) AND %'
  GROUP BY 1, 2
  ORDER BY 1, 2
$$;

CREATE FUNCTION pg_temp.unique_index_problems(nsp text)
RETURNS TABLE (tbl text, index_name text) LANGUAGE sql STABLE AS $$
  SELECT t.relid::regclass::text, i.indexrelid::regclass::text
  FROM pg_temp.tenant_tables(nsp) t
  JOIN pg_index i ON i.indrelid = t.relid AND i.indisunique
  WHERE i.indkey[0] <> t.tenant_attnum
  ORDER BY 1, 2
$$;

CREATE FUNCTION pg_temp.foreign_key_problems(nsp text)
RETURNS TABLE (tbl text, fk name, problem text) LANGUAGE sql STABLE AS $$
  SELECT * FROM (
  SELECT k.conrelid::regclass::text, k.conname,
         CASE
           WHEN src.relid IS NOT NULL AND dst.relid IS NOT NULL
                AND NOT (src.tenant_attnum = ANY (k.conkey) AND dst.tenant_attnum = ANY (k.confkey)
                         AND array_position(k.conkey, src.tenant_attnum)
                             = array_position(k.confkey, dst.tenant_attnum))
             THEN 'tenant table to tenant table without tenant_id = tenant_id'
           WHEN src.relid IS NULL AND dst.relid IS NOT NULL
             THEN 'reference table to tenant table'
           WHEN k.confrelid::regclass::text NOT LIKE 'commerce.%'
                AND k.confrelid::regclass::text NOT LIKE nsp || '.%'
             THEN 'target outside the distributed schemas'
         END
  FROM pg_constraint k
  LEFT JOIN pg_temp.tenant_tables(nsp) src ON src.relid = k.conrelid
  LEFT JOIN (SELECT * FROM pg_temp.tenant_tables(nsp)
             UNION SELECT * FROM pg_temp.tenant_tables('commerce')) dst ON dst.relid = k.confrelid
  WHERE k.contype = 'f' AND k.connamespace = nsp::regnamespace) found (tbl, fk, problem)
  WHERE problem IS NOT NULL
  ORDER BY 1, 2
$$;

-- Roles named in a column-level INSERT grant of a table, and the
-- defaulted columns of that table they may not insert.
CREATE FUNCTION pg_temp.column_grant_problems(nsp text)
RETURNS TABLE (tbl text, grantee text, col name) LANGUAGE sql STABLE AS $$
  WITH column_inserters AS (
    SELECT DISTINCT a.attrelid, x.grantee
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid AND c.relnamespace = nsp::regnamespace
    CROSS JOIN LATERAL aclexplode(a.attacl) x
    WHERE a.attacl IS NOT NULL AND x.privilege_type = 'INSERT')
  SELECT ci.attrelid::regclass::text,
         CASE WHEN ci.grantee = 0 THEN 'PUBLIC' ELSE ci.grantee::regrole::text END, d.attname
  FROM column_inserters ci
  JOIN pg_attribute d ON d.attrelid = ci.attrelid AND d.attnum > 0 AND NOT d.attisdropped
                     AND (d.atthasdef OR d.attidentity <> '') AND d.attgenerated = ''
  WHERE NOT CASE WHEN ci.grantee = 0
                 THEN EXISTS (SELECT 1 FROM aclexplode(d.attacl) y
                              WHERE y.grantee = 0 AND y.privilege_type = 'INSERT')
                   OR EXISTS (SELECT 1 FROM pg_class c, aclexplode(c.relacl) y
                              WHERE c.oid = ci.attrelid AND y.grantee = 0 AND y.privilege_type = 'INSERT')
                 ELSE has_column_privilege(ci.grantee, ci.attrelid, d.attnum, 'INSERT') END
  ORDER BY 1, 2, 3
$$;

-- ---- the schema -----------------------------------------------------------
SELECT cmp_ok((SELECT count(*) FROM pg_temp.tenant_tables('commerce')), '>=', 20::bigint,
  'the checks see the tenant tables of commerce');
SELECT is_empty($$ SELECT * FROM pg_temp.policy_problems('commerce') $$,
  'no policy of commerce is RESTRICTIVE or has a subquery');
SELECT is_empty($$ SELECT * FROM pg_temp.unconfined_policies('commerce') $$,
  'every policy of a tenant table confines to the tenant on its own');
SELECT is_empty($$ SELECT * FROM pg_temp.unique_index_problems('commerce') $$,
  'every unique index of a tenant table leads with tenant_id');
SELECT is_empty($$ SELECT * FROM pg_temp.foreign_key_problems('commerce') $$,
  'every foreign key targets a tenant table with tenant_id on both sides, or a reference table');
SELECT is_empty($$ SELECT * FROM pg_temp.column_grant_problems('commerce') $$,
  'every column-level INSERT grant covers the defaulted columns');

-- ---- a deliberately broken fixture: each check finds its faults -----------
CREATE SCHEMA citus_fixture;
CREATE TABLE citus_fixture.parents (
  tenant_id uuid NOT NULL, id uuid NOT NULL, code text,
  PRIMARY KEY (tenant_id, id));
CREATE UNIQUE INDEX parents_code_key ON citus_fixture.parents (code, tenant_id);  -- fault: tenant_id second
CREATE UNIQUE INDEX parents_id_key ON citus_fixture.parents (id);                  -- fault: no tenant_id
CREATE TABLE citus_fixture.children (
  tenant_id uuid NOT NULL, id uuid NOT NULL, parent_id uuid, owner text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT children_parent_fkey FOREIGN KEY (parent_id) REFERENCES citus_fixture.parents (id),  -- fault
  CONSTRAINT children_currency_fkey FOREIGN KEY (owner) REFERENCES commerce.currencies (code));   -- fine: reference
CREATE TABLE citus_fixture.settings (
  name text PRIMARY KEY, tenant_id uuid, child_id uuid,
  CONSTRAINT settings_child_fkey FOREIGN KEY (tenant_id, child_id)
    REFERENCES citus_fixture.children (tenant_id, id));                                          -- fault
ALTER TABLE citus_fixture.parents ENABLE ROW LEVEL SECURITY;
ALTER TABLE citus_fixture.children ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON citus_fixture.parents
  USING (tenant_id = commerce.current_tenant());
CREATE POLICY tenant_isolation ON citus_fixture.children
  USING (tenant_id = commerce.current_tenant());
CREATE POLICY own_rows ON citus_fixture.children AS RESTRICTIVE FOR SELECT                     -- fault
  USING (owner = current_user);
CREATE POLICY via_parent ON citus_fixture.children FOR UPDATE                                  -- fault
  USING (EXISTS (SELECT 1 FROM citus_fixture.parents p WHERE p.id = parent_id));
CREATE POLICY via_parent_check ON citus_fixture.parents FOR INSERT                             -- fault
  WITH CHECK (code IN (SELECT owner FROM citus_fixture.children));
CREATE POLICY staff_reads ON citus_fixture.parents FOR SELECT                                  -- fault: widens
  USING (commerce.current_actor() = 'staff');
CREATE POLICY any_tenant_or ON citus_fixture.parents FOR UPDATE                                -- fault: OR at the top
  USING (tenant_id = commerce.current_tenant() AND code = 'x' OR code = 'y');
CREATE ROLE citus_fixture_writer NOLOGIN;
GRANT INSERT (tenant_id, id, parent_id) ON citus_fixture.children TO citus_fixture_writer;     -- fault: created_at
GRANT INSERT (tenant_id, id, code) ON citus_fixture.parents TO citus_fixture_writer;          -- fine: no default

SELECT set_eq($$ SELECT tbl, policy::text, problem FROM pg_temp.policy_problems('citus_fixture') $$,
  $$ VALUES ('children', 'own_rows', 'restrictive'), ('children', 'via_parent', 'subquery'),
            ('parents', 'via_parent_check', 'subquery') $$,
  'the policy check finds a RESTRICTIVE policy and subqueries in USING and WITH CHECK');
SELECT set_eq($$ SELECT tbl, policy::text FROM pg_temp.unconfined_policies('citus_fixture') $$,
  $$ VALUES ('citus_fixture.parents', 'staff_reads'), ('citus_fixture.parents', 'any_tenant_or'),
            ('citus_fixture.children', 'own_rows'), ('citus_fixture.children', 'via_parent'),
            ('citus_fixture.parents', 'via_parent_check') $$,
  'the confinement check finds policies that do not start with the tenant condition');
SELECT set_eq($$ SELECT index_name FROM pg_temp.unique_index_problems('citus_fixture') $$,
  $$ VALUES ('citus_fixture.parents_code_key'), ('citus_fixture.parents_id_key') $$,
  'the unique index check finds indexes where tenant_id does not lead');
SELECT set_eq($$ SELECT fk::text, problem FROM pg_temp.foreign_key_problems('citus_fixture') $$,
  $$ VALUES ('children_parent_fkey', 'tenant table to tenant table without tenant_id = tenant_id'),
            ('settings_child_fkey', 'reference table to tenant table') $$,
  'the foreign key check finds a key without tenant_id and a reference table pointing at a tenant table');
SELECT is_empty($$ SELECT * FROM pg_temp.foreign_key_problems('citus_fixture')
                   WHERE fk = 'children_currency_fkey' $$,
  'a tenant table may reference a reference table (currencies)');
SELECT set_eq($$ SELECT tbl, grantee, col::text FROM pg_temp.column_grant_problems('citus_fixture') $$,
  $$ VALUES ('citus_fixture.children', 'citus_fixture_writer', 'created_at') $$,
  'the column grant check finds a column-level INSERT grant without the defaulted column');
GRANT INSERT (created_at) ON citus_fixture.children TO citus_fixture_writer;
SELECT is_empty($$ SELECT * FROM pg_temp.column_grant_problems('citus_fixture') $$,
  'granting the defaulted column clears it');
-- the fixture's tenant tables are seen (the checks above are not vacuous)
SELECT is((SELECT count(*) FROM pg_temp.tenant_tables('citus_fixture')), 2::bigint,
  'the fixture has two tenant tables');

SELECT * FROM finish();
ROLLBACK;
