-- sql/src/120_enable_tenancy.sql — commerce.enable_tenancy(regclass): makes a
-- table tenant-safe. The extension's own tenant tables and plugins' tables
-- go through it, so every tenant table gets the same policy, grants and
-- checks.

CREATE FUNCTION commerce.enable_tenancy(tbl regclass) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
DECLARE
  r record;
  tenant_attnum smallint;
BEGIN
  SELECT a.attnum INTO tenant_attnum
  FROM pg_attribute a
  WHERE a.attrelid = tbl AND a.attname = 'tenant_id' AND NOT a.attisdropped
    AND a.atttypid = 'uuid'::regtype AND a.attnotnull;
  IF tenant_attnum IS NULL THEN
    RAISE EXCEPTION 'table % has no "tenant_id uuid NOT NULL" column', tbl
      USING ERRCODE = 'invalid_table_definition',
            HINT = 'Every tenant table needs tenant_id uuid NOT NULL leading its keys.';
  END IF;

  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = tbl AND contype = 'p') THEN
    RAISE EXCEPTION 'table % has no primary key', tbl
      USING ERRCODE = 'invalid_table_definition',
            HINT = 'Declare PRIMARY KEY (tenant_id, ...).';
  END IF;

  FOR r IN SELECT conname, contype, conkey, confrelid, confkey FROM pg_constraint
           WHERE conrelid = tbl AND contype IN ('p', 'u', 'f') LOOP
    IF r.contype IN ('p', 'u') AND r.conkey[1] <> tenant_attnum THEN
      RAISE EXCEPTION 'constraint % of table % does not start with tenant_id', r.conname, tbl
        USING ERRCODE = 'invalid_table_definition',
              HINT = 'Primary keys and unique constraints of tenant tables lead with tenant_id.';
    END IF;
    IF r.contype = 'f' AND EXISTS (SELECT 1 FROM pg_attribute
                                   WHERE attrelid = r.confrelid AND attname = 'tenant_id')
       AND NOT (tenant_attnum = ANY (r.conkey)) THEN
      RAISE EXCEPTION 'foreign key % of table % does not include tenant_id', r.conname, tbl
        USING ERRCODE = 'invalid_table_definition',
              HINT = 'A foreign key between tenant tables includes tenant_id, so it cannot cross tenants.';
    END IF;
  END LOOP;

  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = tbl AND polname = 'tenant_isolation') THEN
    EXECUTE format('CREATE POLICY tenant_isolation ON %s AS PERMISSIVE FOR ALL'
                   ' USING (tenant_id OPERATOR(pg_catalog.=) commerce.current_tenant())'
                   ' WITH CHECK (tenant_id OPERATOR(pg_catalog.=) commerce.current_tenant())', tbl);
  END IF;
  -- Only commands write: callers read, and the writes are the commands'
  -- (functions owned by commerce_owner for the extension's tables, by the
  -- plugin's own role for a plugin's tables).
  EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON %s'
                 ' FROM PUBLIC, commerce_partner, commerce_gateway, commerce_admin', tbl);
  EXECUTE format('GRANT SELECT ON %s TO commerce_partner, commerce_gateway, commerce_admin', tbl);

  -- Tables of an extension being created are written by its commands and
  -- registered for pg_dump, so a tenant export carries their rows.
  IF EXISTS (SELECT 1 FROM pg_depend
             WHERE classid = 'pg_class'::regclass AND objid = tbl AND deptype = 'e') THEN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO commerce_owner', tbl);
    PERFORM pg_extension_config_dump(tbl, '');
  END IF;
END
$$;
COMMENT ON FUNCTION commerce.enable_tenancy(regclass) IS
  'Make a table tenant-safe: checks tenant_id uuid NOT NULL leads its primary key and unique constraints and is inside its foreign keys to tenant tables, enables and forces row-level security with the tenant_isolation policy, grants the group roles SELECT only (only commands write), and registers extension tables for pg_dump. Example: SELECT commerce.enable_tenancy(''myplugin.notes'').';

-- Tables whose rows some actors may read but not write, or read only in
-- part, get their rules as PERMISSIVE policies only, each of which starts
-- with the tenant condition, so no policy can ever widen another: Citus
-- re-creates every policy on its shards as PERMISSIVE (docs/scaling.md),
-- and a RESTRICTIVE policy there would OR instead of AND. tenant_isolation
-- becomes the read policy (FOR SELECT, the tenant AND read_rule); inserts
-- and updates need the tenant AND write_rule; deletes too, or, with
-- delete_rule NULL, no policy at all (a DELETE finds no row). Used by the
-- install script only, and dropped at its end (899_install_helpers.sql).
CREATE FUNCTION commerce.install_tenant_policies(tbl regclass, read_rule text, write_rule text,
                                                 delete_rule text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
DECLARE
  tenant constant text := 'tenant_id OPERATOR(pg_catalog.=) commerce.current_tenant()';
  readable constant text := format('%s AND (%s)', tenant, read_rule);
  writable constant text := format('%s AND (%s)', tenant, write_rule);
BEGIN
  EXECUTE format('DROP POLICY tenant_isolation ON %s', tbl);
  EXECUTE format('CREATE POLICY tenant_isolation ON %s AS PERMISSIVE FOR SELECT USING (%s)', tbl, readable);
  EXECUTE format('CREATE POLICY tenant_writes_insert ON %s AS PERMISSIVE FOR INSERT WITH CHECK (%s)', tbl, writable);
  EXECUTE format('CREATE POLICY tenant_writes_update ON %s AS PERMISSIVE FOR UPDATE USING (%s) WITH CHECK (%s)',
                 tbl, writable, writable);
  IF delete_rule IS NOT NULL THEN
    EXECUTE format('CREATE POLICY tenant_writes_delete ON %s AS PERMISSIVE FOR DELETE USING (%s AND (%s))',
                   tbl, tenant, delete_rule);
  END IF;
END
$$;
