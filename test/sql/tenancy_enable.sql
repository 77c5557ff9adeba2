-- test/sql/tenancy_enable.sql — commerce.enable_tenancy(regclass) refuses
-- tables that could mix tenants, and makes a well-formed table tenant-safe.
BEGIN;
SELECT plan(8);

CREATE SCHEMA plugin;
CREATE TABLE plugin.no_tenant (id uuid PRIMARY KEY);
CREATE TABLE plugin.nullable_tenant (tenant_id uuid, id uuid, PRIMARY KEY (id));
CREATE TABLE plugin.bad_pk (tenant_id uuid NOT NULL, id uuid, PRIMARY KEY (id, tenant_id));
CREATE TABLE plugin.bad_unique (tenant_id uuid NOT NULL, id uuid, code text,
                                PRIMARY KEY (tenant_id, id), UNIQUE (code));
CREATE TABLE plugin.notes (tenant_id uuid NOT NULL, id uuid, body text,
                           PRIMARY KEY (tenant_id, id));
CREATE TABLE plugin.bad_fk (tenant_id uuid NOT NULL, id uuid, note_id uuid,
                            PRIMARY KEY (tenant_id, id));
ALTER TABLE plugin.bad_fk ADD CONSTRAINT bad_fk_note FOREIGN KEY (note_id, id) REFERENCES plugin.notes (id, tenant_id);

SELECT throws_ok($$SELECT commerce.enable_tenancy('plugin.no_tenant')$$, '42P16', NULL, 'a table without tenant_id is refused');
SELECT throws_ok($$SELECT commerce.enable_tenancy('plugin.nullable_tenant')$$, '42P16', NULL, 'a nullable tenant_id is refused');
SELECT throws_ok($$SELECT commerce.enable_tenancy('plugin.bad_pk')$$, '42P16', NULL, 'a primary key not led by tenant_id is refused');
SELECT throws_ok($$SELECT commerce.enable_tenancy('plugin.bad_unique')$$, '42P16', NULL, 'a unique constraint without tenant_id is refused');
SELECT throws_ok($$SELECT commerce.enable_tenancy('plugin.bad_fk')$$, '42P16', NULL, 'a foreign key without tenant_id is refused');

SELECT lives_ok($$SELECT commerce.enable_tenancy('plugin.notes')$$, 'a well-formed table is accepted');
SELECT ok((SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = 'plugin.notes'::regclass),
          'row-level security is enabled and forced');

CREATE ROLE te_partner;
GRANT USAGE ON SCHEMA plugin TO te_partner;
SELECT commerce.create_tenant('te-a', 'A', 'EUR') AS a \gset
SELECT commerce.create_tenant('te-b', 'B', 'EUR') AS b \gset
SELECT commerce.bind_role('te_partner', :'a');
INSERT INTO plugin.notes VALUES (:'a', commerce.uuid_generate_v7(), 'mine'), (:'b', commerce.uuid_generate_v7(), 'theirs');
SET LOCAL ROLE te_partner;
SELECT results_eq($$SELECT body FROM plugin.notes$$, ARRAY['mine'], 'a bound role sees only its tenant''s rows in a plugin table');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
