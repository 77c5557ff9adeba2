-- sql/src/100_roles.sql — the group roles. Roles are cluster-wide and shared
-- by every database that has the extension, so they are created only when
-- missing and are left in place by DROP EXTENSION (docs/tenancy.md).

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
END
$$;

-- Platform operators bind roles to tenants, which makes those roles members
-- of commerce_partner: they need the admin option on it.
GRANT commerce_partner TO commerce_admin WITH ADMIN OPTION;
