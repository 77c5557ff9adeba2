-- test/sql/tenancy_tables.sql — every tenant table (a table of schema
-- commerce with a tenant_id column, other than the platform's own
-- tenant_roles binding table) has tenant_id leading its primary key and
-- every unique constraint or unique index, inside each foreign key to
-- another tenant table, and row-level security enabled and forced with the
-- tenant_isolation policy.
BEGIN;
SELECT plan(7);

CREATE TEMP VIEW tenant_tables AS
  SELECT c.oid AS relid, c.relname, a.attnum AS tenant_attnum, c.relrowsecurity, c.relforcerowsecurity
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'commerce'
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
  WHERE c.relkind IN ('r', 'p') AND c.relname <> 'tenant_roles';

SELECT cmp_ok((SELECT count(*) FROM tenant_tables), '>=', 1::bigint, 'there are tenant tables to check');

SELECT is_empty($$ SELECT relname FROM tenant_tables WHERE NOT relrowsecurity OR NOT relforcerowsecurity $$,
  'row-level security is enabled and forced on every tenant table');

-- tenant_isolation is FOR ALL, or FOR SELECT where writes have their own
-- policies (customer actors read but never write: 120_enable_tenancy.sql);
-- it is the tenant condition, or starts with it AND-ed with a narrower
-- rule (test/sql/citus_ready_catalogue.sql checks every policy so).
SELECT is_empty($$ SELECT relname FROM tenant_tables t
                   WHERE NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t.relid
                                     AND p.polname = 'tenant_isolation' AND p.polpermissive
                                     AND p.polcmd IN ('*', 'r')
                                     AND (pg_get_expr(p.polqual, p.polrelid) = '(tenant_id = commerce.current_tenant())'
                                          OR pg_get_expr(p.polqual, p.polrelid) LIKE '((tenant_id = commerce.current_tenant()) AND %')
                                     AND (p.polcmd = 'r'
                                          OR pg_get_expr(p.polwithcheck, p.polrelid) = '(tenant_id = commerce.current_tenant())'
                                          OR pg_get_expr(p.polwithcheck, p.polrelid) LIKE '((tenant_id = commerce.current_tenant()) AND %')) $$,
  'every tenant table has the tenant_isolation policy on tenant_id = current_tenant()');

SELECT is_empty($$ SELECT relname FROM tenant_tables t
                   WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = t.relid AND k.contype = 'p'
                                     AND k.conkey[1] = t.tenant_attnum) $$,
  'tenant_id leads the primary key of every tenant table');

SELECT is_empty($$ SELECT t.relname, i.indexrelid::regclass FROM tenant_tables t
                   JOIN pg_index i ON i.indrelid = t.relid AND i.indisunique
                   WHERE i.indkey[0] <> t.tenant_attnum $$,
  'tenant_id leads every unique constraint and unique index of every tenant table');

SELECT is_empty($$ SELECT t.relname, k.conname FROM tenant_tables t
                   JOIN pg_constraint k ON k.conrelid = t.relid AND k.contype = 'f'
                   JOIN tenant_tables r ON r.relid = k.confrelid
                   WHERE NOT (t.tenant_attnum = ANY (k.conkey))
                      OR NOT (r.tenant_attnum = ANY (k.confkey)) $$,
  'every foreign key between tenant tables includes tenant_id on both sides');

SELECT is_empty($$ SELECT relname FROM tenant_tables t
                   WHERE NOT EXISTS (SELECT 1 FROM pg_extension e
                                     WHERE e.extname = 'pgcommerce' AND t.relid = ANY (e.extconfig)) $$,
  'every tenant table is registered with pg_extension_config_dump');

SELECT * FROM finish();
ROLLBACK;
