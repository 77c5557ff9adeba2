-- sql/src/000_header.sql — start of the pgcommerce install script.
-- The install script sql/pgcommerce--0.1.0.sql is these sql/src/*.sql files
-- concatenated in name order (see the Makefile); each file holds one area.
-- Everything is schema-qualified: search_path is not trusted.

\echo Use "CREATE EXTENSION pgcommerce" to load this file. \quit

-- The schema is created here rather than named in the control file: a schema
-- the control file names is created outside the extension and would survive
-- DROP EXTENSION. Created here, it is a member and goes with the extension.
CREATE SCHEMA commerce;
