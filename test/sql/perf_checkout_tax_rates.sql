-- test/sql/perf_checkout_tax_rates.sql — pricing remembers a tenant's tax
-- rates per backend (extension/tax_rate_cache.c, issue 13 session 11) until
-- commerce.tax_rates is written, and chooses a line's rate in C by the rule
-- of TAX_RATE_SQL: the category's own rate, else the default, else 0. A
-- tenant with more than TAX_RATES_KEPT (8) rates is priced by the statement's
-- sub-query. What must hold, in one backend (test/t/770 covers the trigger
-- across backends for the other caches): the rule for a category with a
-- rate, one without (default), a product without a category, no default;
-- a rate created in this transaction (create_tax_rate), or changed or
-- deleted by an operator's direct write (no command changes a rate),
-- applies to the next checkout; a change rolled back with its subtransaction is undone;
-- the ninth rate switches to the statement's sub-query with the same answers.
BEGIN;
SELECT plan(12);
\ir ../fixtures/orders.sql
\ir ../fixtures/checkout_total.sql

SELECT orders_test.tenant('tax-rates-a') AS t \gset
SELECT orders_test.variant(:'t', 'FOOD', 1000) AS food \gset
SELECT orders_test.variant(:'t', 'BOOK', 1000) AS book \gset
SELECT orders_test.variant(:'t', 'NONE', 1000) AS plain \gset
UPDATE commerce.products p SET tax_category = 'food'
  FROM commerce.variants v WHERE v.id = :'food' AND p.id = v.product_id;
UPDATE commerce.products p SET tax_category = 'books'
  FROM commerce.variants v WHERE v.id = :'book' AND p.id = v.product_id;
UPDATE commerce.products p SET tax_category = NULL
  FROM commerce.variants v WHERE v.id = :'plain' AND p.id = v.product_id;

SELECT commerce.set_context(:'t', 'staff-1', 'staff') IS NULL AS ok \gset
SELECT is(pg_temp.checkout_total(:'t', :'food'), 1000::bigint, 'no rate at all: 0');
SELECT commerce.set_context(:'t', 'staff-1', 'staff') IS NULL AS ok \gset
SELECT commerce.create_tax_rate('{"name": "VAT", "rate_ppm": 200000}') ->> 'id' AS vat \gset
SELECT is(pg_temp.checkout_total(:'t', :'food'), 1200::bigint,
          'a default created in this transaction applies to the next checkout');
SELECT commerce.set_context(:'t', 'staff-1', 'staff') IS NULL AS ok \gset
SELECT commerce.create_tax_rate('{"name": "Food", "category": "food", "rate_ppm": 70000}') ->> 'id' AS reduced \gset
SELECT is(pg_temp.checkout_total(:'t', :'food'), 1070::bigint, 'the category''s own rate');
SELECT is(pg_temp.checkout_total(:'t', :'book'), 1200::bigint, 'a category without a rate: the default');
SELECT is(pg_temp.checkout_total(:'t', :'plain'), 1200::bigint, 'a product without a category: the default');

SAVEPOINT back;
UPDATE commerce.tax_rates SET rate_ppm = 50000 WHERE tenant_id = :'t' AND id = :'reduced';
SELECT is(pg_temp.checkout_total(:'t', :'food'), 1050::bigint, 'a changed rate applies at once');
ROLLBACK TO SAVEPOINT back;
SELECT is(pg_temp.checkout_total(:'t', :'food'), 1070::bigint, 'rolled back: the old rate again');

DELETE FROM commerce.tax_rates WHERE tenant_id = :'t' AND id = :'vat';
SELECT is(pg_temp.checkout_total(:'t', :'book'), 1000::bigint, 'the default deleted: 0 again');
SELECT is(pg_temp.checkout_total(:'t', :'food'), 1070::bigint, 'the category keeps its rate');

-- nine rates: more than the backend keeps; the statement's sub-query answers
SELECT commerce.set_context(:'t', 'staff-1', 'staff') IS NULL AS ok \gset
SELECT count(commerce.create_tax_rate(jsonb_build_object('name', 'R' || n, 'category', 'c' || n,
                                                          'rate_ppm', 1000 * n)))
  FROM generate_series(1, 7) n \gset
SELECT commerce.create_tax_rate('{"name": "VAT", "rate_ppm": 190000}') IS NOT NULL AS ok \gset
SELECT is((SELECT count(*) FROM commerce.tax_rates WHERE tenant_id = :'t'), 9::bigint, 'nine rates');
SELECT is(pg_temp.checkout_total(:'t', :'food'), 1070::bigint, 'nine rates: the category''s own');
SELECT is(pg_temp.checkout_total(:'t', :'book'), 1190::bigint, 'nine rates: the default');

SELECT * FROM finish();
ROLLBACK;
