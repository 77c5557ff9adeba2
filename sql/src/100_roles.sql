-- sql/src/100_roles.sql — the group roles and the owner role. Roles are
-- cluster-wide and shared by every database that has the extension, so they
-- are created only when missing and are left in place by DROP EXTENSION
-- (docs/tenancy.md, docs/security.md).

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'commerce_admin') THEN
    CREATE ROLE commerce_admin NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'commerce_gateway') THEN
    CREATE ROLE commerce_gateway NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'commerce_partner') THEN
    CREATE ROLE commerce_partner NOLOGIN;
  END IF;
  -- The owner of every command: commands are security-definer functions
  -- owned by it, the only role that writes tenant tables. It must stay a
  -- role nobody can log in as or become, and row-level security must bind
  -- it, so an existing one is brought back to that shape.
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'commerce_owner') THEN
    CREATE ROLE commerce_owner NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
  ELSE
    ALTER ROLE commerce_owner NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles r ON r.oid = m.roleid
             WHERE r.rolname = 'commerce_owner') THEN
    RAISE EXCEPTION 'role commerce_owner has members'
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'A member of commerce_owner could write tenant tables without going through a command.',
            HINT = 'REVOKE commerce_owner FROM every role, then create the extension again.';
  END IF;
END
$$;

-- Platform operators bind roles to tenants, which makes those roles members
-- of commerce_partner: they need the admin option on it.
GRANT commerce_partner TO commerce_admin WITH ADMIN OPTION;
