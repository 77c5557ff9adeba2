-- test/sql/perf_checkout_tax_settings.sql — pricing remembers a tenant's tax
-- settings per backend (extension/tenant_cache.c, tax_settings_for_pricing;
-- issue 13 session 10) until commerce.tax_settings is written. What must
-- hold in one backend (test/t/770 does it across backends): a change of
-- the settings applies to the next checkout, in the same transaction too;
-- a change rolled back with its subtransaction is undone for pricing too;
-- each tenant has its own; set_tax_settings' version check reads the table.
BEGIN;
SELECT plan(8);
\ir ../fixtures/orders.sql

SELECT orders_test.tenant('tax-cache-a') AS ta \gset
SELECT orders_test.variant(:'ta', 'TA', 1000) AS va \gset
SELECT commerce.create_tax_rate('{"name": "VAT", "rate_ppm": 200000}') IS NOT NULL AS ok \gset
SELECT orders_test.tenant('tax-cache-b') AS tb \gset
SELECT orders_test.variant(:'tb', 'TB', 1000) AS vb \gset
SELECT commerce.create_tax_rate('{"name": "VAT", "rate_ppm": 200000}') IS NOT NULL AS ok \gset

\ir ../fixtures/checkout_total.sql

SELECT is(pg_temp.checkout_total(:'ta', :'va'), 1200::bigint, 'the defaults: tax added (and remembered)');
SELECT is(pg_temp.checkout_total(:'tb', :'vb'), 1200::bigint, 'another tenant, the same');

SELECT commerce.set_context(:'ta', 'staff-1', 'staff') IS NULL AS ok \gset
SELECT commerce.set_tax_settings('{"prices_include_tax": true}') IS NOT NULL AS ok \gset
SELECT is(pg_temp.checkout_total(:'ta', :'va'), 1000::bigint,
          'inclusive prices set in this transaction apply to the next checkout');
SELECT is(pg_temp.checkout_total(:'tb', :'vb'), 1200::bigint, 'the other tenant keeps its own');

SAVEPOINT back;
SELECT commerce.set_context(:'ta', 'staff-1', 'staff') IS NULL AS ok \gset
SELECT commerce.set_tax_settings('{"prices_include_tax": false}') IS NOT NULL AS ok \gset
SELECT is(pg_temp.checkout_total(:'ta', :'va'), 1200::bigint, 'exclusive again inside a subtransaction');
ROLLBACK TO SAVEPOINT back;
SELECT is(pg_temp.checkout_total(:'ta', :'va'), 1000::bigint,
          'rolled back: inclusive again for pricing');
SELECT is((SELECT prices_include_tax FROM commerce.orders WHERE tenant_id = :'ta' ORDER BY id DESC LIMIT 1),
          true, 'and the order snapshots the settings it was priced with');

SELECT commerce.set_context(:'ta', 'staff-1', 'staff') IS NULL AS ok \gset
SELECT throws_ok($$SELECT commerce.set_tax_settings('{"rounding_mode": "half_up"}', 7)$$, '40001', NULL,
                 'set_tax_settings checks the stored version, not a remembered one');

SELECT * FROM finish();
ROLLBACK;
