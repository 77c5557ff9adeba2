-- sql/src/860_tenant_erase.sql — commerce.erase_tenant(uuid): the operator's
-- erasure of a tenant that leaves (docs/tenant-export.md). One transaction
-- deletes the tenant's rows from every tenant table the catalogue knows
-- (every table with the tenant_isolation policy of commerce.enable_tenancy,
-- plugins' included, so a new table cannot be forgotten), children before
-- parents, then its subscriptions, bindings and tenant row.
--
-- It runs as the extension's owner, a superuser (classified 'operator' in
-- 900_privileges.sql, executable by commerce_admin only): erasure is the one
-- write that must pass the rules commands obey, payments_kept and the
-- append-only outbox among them. Nothing is emitted: the tenant's events
-- go with it.

CREATE FUNCTION commerce.erase_tenant(tenant uuid) RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  status_now text;
  remaining regclass[];
  ready regclass[];
  tbl regclass;
  n bigint;
  total bigint := 0;
BEGIN
  SELECT t.status INTO status_now FROM commerce.tenants t
   WHERE t.id OPERATOR(pg_catalog.=) erase_tenant.tenant FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'tenant % not found', tenant
      USING ERRCODE = 'P0002', CONSTRAINT = 'not_found', SCHEMA = 'commerce';
  END IF;
  IF status_now OPERATOR(pg_catalog.<>) 'suspended' THEN
    RAISE EXCEPTION 'tenant % is active', tenant
      USING ERRCODE = '55000', CONSTRAINT = 'invalid_transition', SCHEMA = 'commerce',
            DETAIL = 'A tenant is erased once its commands are refused, so that none adds a row meanwhile.',
            HINT = 'SELECT commerce.suspend_tenant(...) first.';
  END IF;

  remaining := ARRAY(SELECT p.polrelid::pg_catalog.regclass FROM pg_catalog.pg_policy p
                      WHERE p.polname OPERATOR(pg_catalog.=) 'tenant_isolation');
  -- This runs as a superuser, and a DELETE fires the table's triggers as
  -- the current user: a table someone else owns (a partner who may create
  -- tables and names a policy tenant_isolation) could run its trigger with
  -- superuser rights. Only operators' tables are erased; any other refuses.
  SELECT pg_catalog.string_agg(c.oid::pg_catalog.regclass::text, ', ') INTO status_now
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_roles o ON o.oid OPERATOR(pg_catalog.=) c.relowner
   WHERE c.oid OPERATOR(pg_catalog.=) ANY (remaining)
     AND NOT o.rolsuper
     AND NOT pg_catalog.pg_has_role(o.oid, 'commerce_admin', 'USAGE');
  IF status_now IS NOT NULL THEN
    RAISE EXCEPTION 'tenant tables not owned by an operator: %', status_now
      USING ERRCODE = '42501', CONSTRAINT = 'permission_denied', SCHEMA = 'commerce',
            DETAIL = 'Erasure runs as a superuser and would fire these tables'' triggers with its rights.',
            HINT = 'ALTER TABLE ... OWNER TO a commerce_admin member or drop the tables, then erase again.';
  END IF;
  WHILE pg_catalog.cardinality(remaining) OPERATOR(pg_catalog.>) 0 LOOP
    -- Tables no other remaining table references: their rows can go now.
    ready := ARRAY(SELECT r FROM pg_catalog.unnest(remaining) r
                    WHERE NOT EXISTS (
                      SELECT 1 FROM pg_catalog.pg_constraint c
                       WHERE c.contype OPERATOR(pg_catalog.=) 'f'
                         AND c.confrelid OPERATOR(pg_catalog.=) r
                         AND c.conrelid OPERATOR(pg_catalog.<>) r
                         AND c.conrelid OPERATOR(pg_catalog.=) ANY (remaining))
                    ORDER BY r::text);
    IF pg_catalog.cardinality(ready) OPERATOR(pg_catalog.=) 0 THEN
      RAISE EXCEPTION 'tenant tables reference each other in a cycle: %', remaining
        USING ERRCODE = 'invalid_object_definition';
    END IF;
    FOREACH tbl IN ARRAY ready LOOP
      -- The outbox refuses every delete but the retention purge's.
      IF tbl OPERATOR(pg_catalog.=) ANY ('{commerce.outbox_written,commerce.outbox_published}'::pg_catalog.regclass[]) THEN
        PERFORM pg_catalog.set_config('session_replication_role', 'replica', true);
      END IF;
      EXECUTE pg_catalog.format('DELETE FROM %s WHERE tenant_id OPERATOR(pg_catalog.=) $1', tbl)
        USING tenant;
      GET DIAGNOSTICS n = ROW_COUNT;
      IF tbl OPERATOR(pg_catalog.=) ANY ('{commerce.outbox_written,commerce.outbox_published}'::pg_catalog.regclass[]) THEN
        PERFORM pg_catalog.set_config('session_replication_role', 'origin', true);
      END IF;
      RAISE NOTICE 'erase: table %: % rows', tbl, n;
      total := total OPERATOR(pg_catalog.+) n;
    END LOOP;
    remaining := ARRAY(SELECT r FROM pg_catalog.unnest(remaining) r
                        WHERE NOT r OPERATOR(pg_catalog.=) ANY (ready));
  END LOOP;

  DELETE FROM commerce.subscriptions s WHERE s.tenant OPERATOR(pg_catalog.=) erase_tenant.tenant;
  GET DIAGNOSTICS n = ROW_COUNT;
  RAISE NOTICE 'erase: table commerce.subscriptions: % rows', n;
  total := total OPERATOR(pg_catalog.+) n;
  DELETE FROM commerce.tenant_roles b WHERE b.tenant_id OPERATOR(pg_catalog.=) erase_tenant.tenant;
  GET DIAGNOSTICS n = ROW_COUNT;
  RAISE NOTICE 'erase: table commerce.tenant_roles: % rows', n;
  total := total OPERATOR(pg_catalog.+) n;
  DELETE FROM commerce.tenants t WHERE t.id OPERATOR(pg_catalog.=) erase_tenant.tenant;
  RAISE NOTICE 'erase: table commerce.tenants: 1 rows';
  RETURN total OPERATOR(pg_catalog.+) 1;
END
$$;
COMMENT ON FUNCTION commerce.erase_tenant(uuid) IS
  'Erase a suspended tenant for good, in one transaction (commerce_admin only): its rows in every tenant table (found from the catalogue, plugins'' included), its subscriptions, bindings and tenant row; returns the number of rows deleted and reports each table in a NOTICE. The roles once bound stay. Example: SELECT commerce.suspend_tenant(t); SELECT commerce.erase_tenant(t). Errors: not_found (P0002), invalid_transition (55000) for an active tenant.';
