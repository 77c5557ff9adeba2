-- test/sql/extension_lifecycle.sql — DROP EXTENSION pgcommerce CASCADE
-- leaves no object behind in the database (but the empty schema commerce), and CREATE EXTENSION works again
-- afterwards. (The group roles are cluster-wide and shared by every database
-- with the extension, so they stay by design; see docs/tenancy.md.)
BEGIN;
SELECT plan(5);

CREATE TEMP TABLE catalog_counts(phase text, catalog text, n bigint);
CREATE FUNCTION pg_temp.count_catalogs(phase text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO catalog_counts
  SELECT phase, c, n FROM (VALUES
    ('pg_class',        (SELECT count(*) FROM pg_class)),
    ('pg_proc',         (SELECT count(*) FROM pg_proc)),
    ('pg_type',         (SELECT count(*) FROM pg_type)),
    ('pg_namespace',    (SELECT count(*) FROM pg_namespace)),
    ('pg_policy',       (SELECT count(*) FROM pg_policy)),
    ('pg_trigger',      (SELECT count(*) FROM pg_trigger)),
    ('pg_event_trigger',(SELECT count(*) FROM pg_event_trigger)),
    ('pg_constraint',   (SELECT count(*) FROM pg_constraint)),
    ('pg_operator',     (SELECT count(*) FROM pg_operator)),
    ('pg_cast',         (SELECT count(*) FROM pg_cast)),
    ('pg_depend',       (SELECT count(*) FROM pg_depend)),
    ('pg_description',  (SELECT count(*) FROM pg_description)),
    ('pg_default_acl',  (SELECT count(*) FROM pg_default_acl))
  ) AS v(c, n);
$$;

DROP EXTENSION pgcommerce CASCADE;
SELECT pg_temp.count_catalogs('after first drop');

-- The schema is named in the control file, so it is not a member and
-- stays, empty (docs/tenant-export.md says why).
SELECT is_empty($$SELECT 1 FROM pg_depend WHERE refobjid = 'commerce'::regnamespace AND deptype = 'n'$$,
                'the commerce schema is left empty');

CREATE EXTENSION pgcommerce CASCADE;
SELECT has_schema('commerce', 'CREATE EXTENSION works again after a drop');
SELECT ok(EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgcommerce'), 'extension is registered');

DROP EXTENSION pgcommerce CASCADE;
SELECT pg_temp.count_catalogs('after second drop');

SELECT is_empty($$
  SELECT a.catalog, a.n, b.n FROM catalog_counts a JOIN catalog_counts b USING (catalog)
  WHERE a.phase = 'after first drop' AND b.phase = 'after second drop' AND a.n <> b.n
$$, 'create then drop leaves every catalog as it was');

SELECT is_empty($$
  SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = 'commerce'
$$, 'no function is left in schema commerce');

SELECT * FROM finish();
ROLLBACK;
