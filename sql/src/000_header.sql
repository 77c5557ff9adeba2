-- sql/src/000_header.sql — start of the pgcommerce install script.
-- The install script sql/pgcommerce--0.1.0.sql is these sql/src/*.sql files
-- concatenated in name order (see the Makefile); each file holds one area.
-- Everything is schema-qualified: search_path is not trusted.

\echo Use "CREATE EXTENSION pgcommerce" to load this file. \quit

-- The schema is named in the control file (schema = commerce), so CREATE
-- EXTENSION creates it outside the extension: it is not a member. That is
-- what lets `pg_dump --data-only -n commerce` dump the data of the
-- extension's configuration tables (pg_dump drops the data of a schema that
-- is an extension member), which a tenant export is (docs/tenant-export.md).
-- The price: DROP EXTENSION leaves the empty schema behind. A schema
-- commerce that already exists must be empty and owned by a superuser, so
-- nobody can have planted objects for the script to find.
DO $$
BEGIN
  IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_namespace n
            JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
           WHERE n.nspname OPERATOR(pg_catalog.=) 'commerce')
     OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                 WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
                   AND d.refobjid OPERATOR(pg_catalog.=) 'commerce'::pg_catalog.regnamespace
                   AND d.deptype OPERATOR(pg_catalog.=) 'n'
                   AND d.classid OPERATOR(pg_catalog.<>) 'pg_catalog.pg_extension'::pg_catalog.regclass) THEN
    RAISE EXCEPTION 'schema commerce must be empty and owned by a superuser'
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Drop the schema commerce (or what it holds) before CREATE EXTENSION pgcommerce.';
  END IF;
END
$$;
