-- test/sql/shipping_charge_rate.sql — the tax rate of the shipping charge
-- (docs/shipping.md, "Price and tax of the charge"; extension/shipping_rules.c,
-- charge_rate): the rate of the method's tax category, else the default
-- rate, else 0, whether it is taken from a line of the same category (the
-- pricing statement's rate) or read (no line has the category).
BEGIN;
SELECT plan(7);
\ir ../fixtures/orders.sql

SELECT orders_test.tenant('charge-rate', 'EUR') AS t \gset
SELECT commerce.create_tax_rate('{"name": "standard", "rate_ppm": 190000}') IS NOT NULL AS ok \gset
SELECT commerce.create_tax_rate('{"name": "reduced", "category": "reduced", "rate_ppm": 70000}') IS NOT NULL AS ok \gset
SELECT commerce.create_tax_rate('{"name": "shipping", "category": "shipping", "rate_ppm": 100000}') IS NOT NULL AS ok \gset
SELECT orders_test.variant(:'t', 'PLAIN', 1000) AS plain \gset
SELECT orders_test.variant(:'t', 'BOOK', 1000, tax_category => 'reduced') AS book \gset
SELECT orders_test.variant(:'t', 'FOOD', 1000, tax_category => 'unrated') AS food \gset

CREATE FUNCTION pg_temp.rate(variant uuid, category text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE m text;
BEGIN
  m := commerce.create_shipping_method(jsonb_strip_nulls(jsonb_build_object('name', 'M', 'kind', 'flat_rate',
         'currency', 'EUR', 'amount', 1000, 'countries', '["DE"]'::jsonb, 'tax_category', category))) ->> 'id';
  RETURN commerce.checkout(jsonb_build_object('currency', 'EUR',
           'shipping_address', '{"line1": "1 Main St", "city": "Berlin", "country": "DE"}'::jsonb,
           'shipping_method_id', m,
           'lines', jsonb_build_array(jsonb_build_object('variant_id', variant, 'quantity', 1))))
         -> 'shipping_method' ->> 'tax_rate_ppm';
END $$;

SELECT is(pg_temp.rate(:'plain', NULL), '190000', 'no category, a line without one: the default rate (from the line)');
SELECT is(pg_temp.rate(:'book', NULL), '190000', 'no category, no line without one: the default rate (read)');
SELECT is(pg_temp.rate(:'book', 'reduced'), '70000', 'the category of a line: its rate (from the line)');
SELECT is(pg_temp.rate(:'plain', 'shipping'), '100000', 'a category no line has: its rate (read)');
SELECT is(pg_temp.rate(:'plain', 'unrated'), '190000', 'a category without a rate: the default rate (read)');
SELECT is(pg_temp.rate(:'food', 'unrated'), '190000', 'a line of that category got the default rate too (from the line)');
DELETE FROM commerce.tax_rates WHERE tenant_id = :'t' AND category IS NULL;
SELECT is(pg_temp.rate(:'food', 'unrated'), '0', 'no rate and no default: 0');

SELECT * FROM finish();
ROLLBACK;
