-- test/sql/perf_keyed_plans.sql — a command's kept statements find rows by
-- key whatever the statistics say (extension/planner_keyed.c, issue 13,
-- docs/design.md "Plans of kept statements"). A backend makes its plans
-- while a new database's tables are small or were analyzed empty; on a
-- one-page table a sequential scan is the cheapest plan, and a kept
-- generic plan then scans the whole table at every call as it grows (the
-- idempotency key look-up did: a fresh database's checkouts slowed with
-- every order until an autoanalyze). What must hold: with the growing
-- tables analyzed nearly empty, checkouts past the plan cache's five
-- custom plans (so the kept generic plan runs too) scan no commerce table
-- sequentially, and find their key, counter and stock rows through
-- indexes; none is JIT-compiled (a scan that stays sequential costs 1e10); a replay does the same; a session's own statements after a
-- command (and after a failed one) are planned as before.
BEGIN;
SELECT plan(11);
\ir ../fixtures/orders.sql
\ir ../fixtures/idempotency.sql

SELECT * FROM idem_test.shop('perf-keyed') \gset
-- JIT for any plan above 1e9: a scan that stays sequential (no usable index)
-- costs 1e10 with sequential scans off, and must still not be compiled
SET jit = on;
SET jit_above_cost = 1e9;

-- the growing tables as a new database's: analyzed (nearly) empty
ANALYZE commerce.idempotency_keys, commerce.order_counters, commerce.orders,
        commerce.order_lines, commerce.outbox_written, commerce.inventory_levels;
SELECT ok((SELECT bool_and(c.relpages <= 2) FROM pg_class c
            WHERE c.oid IN ('commerce.idempotency_keys'::regclass, 'commerce.order_counters'::regclass)),
          'the key and counter tables look one or two pages long to the planner');

CREATE TEMP TABLE scans_before AS
  SELECT relname, seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE schemaname = 'commerce';
GRANT SELECT ON scans_before TO PUBLIC;

SET LOCAL ROLE idem_test_gateway;
SELECT idem_test.as_caller(:'t', 'staff-1') AS ok \gset
SELECT format('SELECT commerce.checkout(%L, %L)',
              jsonb_build_object('currency', 'EUR', 'customer_id', :'ann',
                                 'lines', jsonb_build_array(jsonb_build_object('variant_id', :'v', 'quantity', 1))),
              'keyed-' || n) AS statement
  FROM generate_series(1, 8) AS n \gexec
SELECT idem_test.call(format('SELECT commerce.checkout(%L, %L)',
              jsonb_build_object('currency', 'EUR', 'customer_id', :'ann',
                                 'lines', jsonb_build_array(jsonb_build_object('variant_id', :'v', 'quantity', 1))),
              'keyed-8')) -> 'replayed' AS replayed \gset
RESET ROLE;
SELECT is(:'replayed'::text, 'true', 'the ninth call, a replay of the eighth key, is flagged');

CREATE TEMP TABLE scans_delta AS
  SELECT a.relname, a.seq_scan - coalesce(b.seq_scan, 0) AS seq_scans,
         coalesce(a.idx_scan, 0) - coalesce(b.idx_scan, 0) AS idx_scans
    FROM pg_stat_xact_user_tables a LEFT JOIN scans_before b USING (relname)
   WHERE a.schemaname = 'commerce';
-- (commerce.hooks is read whole, every tenant's, once per backend: hooks.c)
SELECT is((SELECT string_agg(relname || ' ' || seq_scans, ', ' ORDER BY relname)
             FROM scans_delta WHERE seq_scans > 0 AND relname <> 'hooks'),
          NULL::text, 'nine calls scanned no commerce table sequentially');
SELECT is((SELECT count(*) FROM commerce.orders WHERE tenant_id = :'t'), 8::bigint,
          'eight checkouts placed eight orders');
SELECT cmp_ok((SELECT idx_scans FROM scans_delta WHERE relname = 'idempotency_keys'), '>=', 9::bigint,
              'each call looked its key up through the key''s index');
SELECT cmp_ok((SELECT idx_scans FROM scans_delta WHERE relname = 'order_counters'), '>=', 8::bigint,
              'each order took its number through the counter''s index');
SELECT cmp_ok((SELECT idx_scans FROM scans_delta WHERE relname = 'inventory_levels'), '>=', 8::bigint,
              'and reserved its stock through the stock''s index');

SELECT ok(pg_read_file('/proc/' || pg_backend_pid() || '/maps') NOT LIKE '%llvmjit%',
          'no command statement was JIT-compiled (LLVM never loaded), though the hooks'' whole-table read is a sequential scan');
-- (pg_jit_available() loads the provider: asked after the check above)
SELECT ok(current_setting('jit') = 'on' AND pg_catalog.pg_jit_available(),
          'JIT is available in this backend (the check above means something)');

-- the session's own statements are planned as before: after a command, and
-- after one that failed, a sequential scan is still the plan of a one-page table
SET LOCAL ROLE idem_test_gateway;
SELECT throws_ok(format('SELECT commerce.checkout(%L, %L)',
                        jsonb_build_object('currency', 'EUR', 'lines', jsonb_build_array()),
                        'keyed-bad'), '55000', NULL, 'a failing checkout (no lines)');
RESET ROLE;
CREATE TEMP TABLE one_page (id int PRIMARY KEY, v text);
INSERT INTO one_page SELECT g, 'x' FROM generate_series(1, 10) g;
ANALYZE one_page;
CREATE FUNCTION pg_temp.plan_of(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE line text; plan text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN ' || query LOOP plan := plan || line || E'\n'; END LOOP;
  RETURN plan;
END $$;
SELECT ok(pg_temp.plan_of('SELECT v FROM one_page WHERE id = 3') LIKE '%Seq Scan on one_page%',
          'the session''s own query of a one-page table is still planned as a sequential scan');

SELECT * FROM finish();
ROLLBACK;
