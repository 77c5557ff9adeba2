-- test/sql/perf_checkout_promotion_probe.sql — pricing a new order skips
-- the probe of commerce.promotions for a tenant this backend knows to have
-- no active automatic promotion (extension/promotion_presence.c, issue 13
-- session 10). What must hold, in one backend (test/t/770 does it across
-- backends): an automatic promotion created after the tenant was learned
-- applies to the next checkout (the statement trigger's invalidation), in
-- the same transaction too; a promotion archived in a subtransaction that
-- rolls back applies again afterwards (the invalidation is undone with
-- it); another tenant's absence is its own; and the probes of an existing
-- order (its codes) still run.
BEGIN;
SELECT plan(10);
\ir ../fixtures/orders.sql

SELECT orders_test.tenant('probe-a') AS ta \gset
SELECT orders_test.variant(:'ta', 'PA', 1000) AS va \gset
SELECT orders_test.tenant('probe-b') AS tb \gset
SELECT orders_test.variant(:'tb', 'PB', 1000) AS vb \gset

\ir ../fixtures/checkout_total.sql

SELECT is(pg_temp.checkout_total(:'ta', :'va'), 1000::bigint,
          'a tenant without automatic promotion: full price (and the absence is learned)');
SELECT is(pg_temp.checkout_total(:'ta', :'va'), 1000::bigint, 'again, without the probe');
SELECT is(pg_temp.checkout_total(:'tb', :'vb'), 1000::bigint, 'another tenant learned too');

-- an automatic promotion of tenant a, in this transaction
SELECT commerce.set_context(:'ta', 'staff-1', 'staff') IS NULL AS ok \gset
SELECT (commerce.create_promotion('{"name": "Ten off", "automatic": true, "type": "percentage", "percent_ppm": 100000}') ->> 'id') AS pa \gset
SELECT is(pg_temp.checkout_total(:'ta', :'va'), 900::bigint,
          'a promotion created after the absence was learned applies to the next checkout');
SELECT is(pg_temp.checkout_total(:'tb', :'vb'), 1000::bigint,
          'the other tenant still pays full price');

-- archived in a subtransaction that rolls back: learned absent inside it,
-- forgotten when it is undone
SAVEPOINT archive;
SELECT commerce.set_context(:'ta', 'staff-1', 'staff') IS NULL AS ok \gset
SELECT commerce.archive_promotion(:'pa') IS NOT NULL AS ok \gset
SELECT is(pg_temp.checkout_total(:'ta', :'va'), 1000::bigint, 'archived: full price again');
SELECT is(pg_temp.checkout_total(:'ta', :'va'), 1000::bigint, 'and learned');
ROLLBACK TO SAVEPOINT archive;
SELECT is(pg_temp.checkout_total(:'ta', :'va'), 900::bigint,
          'the archive rolled back: the promotion applies again');

-- a draft of a tenant known without automatic promotion still finds its code
SELECT commerce.set_context(:'tb', 'staff-1', 'staff') IS NULL AS ok \gset
SELECT (commerce.create_promotion('{"name": "Code", "type": "percentage", "percent_ppm": 200000}') ->> 'id') AS pb \gset
SELECT commerce.create_promotion_code(:'pb', '{"code": "TWENTY"}') IS NOT NULL AS ok \gset
SELECT is(pg_temp.checkout_total(:'tb', :'vb'), 1000::bigint, 'tenant b: no automatic promotion, full price');
SELECT (commerce.create_order(jsonb_build_object('currency', 'EUR',
          'lines', jsonb_build_array(jsonb_build_object('variant_id', :'vb', 'quantity', 1)))) ->> 'id') AS ob \gset
SELECT commerce.apply_discount_code(:'ob', '{"code": "TWENTY"}') IS NOT NULL AS ok \gset
SELECT is((commerce.get_order(:'ob') ->> 'total')::bigint, 800::bigint,
          'an existing draft''s code is still found by its probe');

SELECT * FROM finish();
ROLLBACK;
