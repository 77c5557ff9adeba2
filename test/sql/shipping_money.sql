-- test/sql/shipping_money.sql — shipping priced into the totals and taxed,
-- table-driven (issue 17, docs/shipping.md): JPY, EUR and KWD, tax-exclusive
-- and inclusive, half_even and half_up, per-line and per-order scope, each
-- kind of method; free_over and weight-band edges. Every case is placed two
-- ways (checkout, and a draft with set_order_addresses, set_shipping_method
-- and place_order) and every order's total is the sum of its parts: in the
-- answer, in the stored row, and line taxes + shipping tax = tax_total.
BEGIN;
SELECT plan(48);
\ir ../fixtures/orders.sql

CREATE SCHEMA shipping_test;
CREATE TABLE shipping_test.cases (
  name text, currency text, inclusive bool, mode text, scope text,
  line_amount bigint, quantity int, line_rate int, weight int,
  kind text, ship_amount bigint, free_over bigint, bands jsonb, ship_rate int,
  -- expected
  subtotal bigint, shipping_total bigint, shipping_tax bigint, line_tax bigint,
  tax_total bigint, total bigint);
INSERT INTO shipping_test.cases VALUES
  -- EUR, flat rate
  ('EUR excl half_even line: 19.99@19% + 4.90@19%',  'EUR', false, 'half_even', 'line',  1999, 1, 190000, NULL, 'flat_rate', 490, NULL, NULL, 190000, 1999, 490, 93, 380, 473, 2962),
  ('EUR excl half_even order: 19.99 + 4.90 one group', 'EUR', false, 'half_even', 'order', 1999, 1, 190000, NULL, 'flat_rate', 490, NULL, NULL, 190000, 1999, 490, 93, 380, 473, 2962),
  ('EUR excl half_even line: 0.05 ties round to 0',  'EUR', false, 'half_even', 'line',  5, 1, 100000, NULL, 'flat_rate', 5, NULL, NULL, 100000, 5, 5, 0, 0, 0, 10),
  ('EUR excl half_up line: 0.05 ties round to 1',    'EUR', false, 'half_up',   'line',  5, 1, 100000, NULL, 'flat_rate', 5, NULL, NULL, 100000, 5, 5, 1, 1, 2, 12),
  ('EUR excl half_even order: 1.0 ct shared to line', 'EUR', false, 'half_even', 'order', 5, 1, 100000, NULL, 'flat_rate', 5, NULL, NULL, 100000, 5, 5, 0, 1, 1, 11),
  ('EUR incl half_even line: 11.90 + 5.95 @19%',     'EUR', true,  'half_even', 'line',  1190, 1, 190000, NULL, 'flat_rate', 595, NULL, NULL, 190000, 1190, 595, 95, 190, 285, 1785),
  ('EUR incl half_even order: 1.00@19% + 1.00@7%',   'EUR', true,  'half_even', 'order', 100, 1, 190000, NULL, 'flat_rate', 100, NULL, NULL, 70000, 100, 100, 7, 16, 23, 200),
  ('EUR incl half_up line: zero-rated shipping',     'EUR', true,  'half_up',   'line',  1190, 2, 190000, NULL, 'flat_rate', 499, NULL, NULL, 0, 2380, 499, 0, 380, 380, 2879),
  -- JPY (0 decimals)
  ('JPY excl half_even line: 3 x 98@8% + 500@10%',   'JPY', false, 'half_even', 'line',  98, 3, 80000, NULL, 'flat_rate', 500, NULL, NULL, 100000, 294, 500, 50, 24, 74, 868),
  ('JPY excl half_up order: 98 + 50 @8%',            'JPY', false, 'half_up',   'order', 98, 1, 80000, NULL, 'flat_rate', 50, NULL, NULL, 80000, 98, 50, 4, 8, 12, 160),
  ('JPY incl half_even line: 1100 + 550 @10%',       'JPY', true,  'half_even', 'line',  1100, 1, 100000, NULL, 'flat_rate', 550, NULL, NULL, 100000, 1100, 550, 50, 100, 150, 1650),
  ('JPY incl half_up order: free over 1000',         'JPY', true,  'half_up',   'order', 1100, 1, 100000, NULL, 'free_over', 550, 1000, NULL, 100000, 1100, 0, 0, 100, 100, 1100),
  -- KWD (3 decimals)
  ('KWD excl half_even line: 1.255 + 2.000 @5%',     'KWD', false, 'half_even', 'line',  1255, 1, 50000, NULL, 'flat_rate', 2000, NULL, NULL, 50000, 1255, 2000, 100, 63, 163, 3418),
  ('KWD incl half_up order: 179 fils shared 60+119', 'KWD', true,  'half_up',   'order', 1255, 1, 50000, NULL, 'flat_rate', 2510, NULL, NULL, 50000, 1255, 2510, 119, 60, 179, 3765),
  ('KWD excl half_up order: weight band 2',          'KWD', false, 'half_up',   'order', 1255, 3, 50000, 400, 'weight_bands', NULL, NULL, '[{"up_to_grams": 1000, "amount": 1500}, {"up_to_grams": 5000, "amount": 3250}]', 50000, 3765, 3250, 163, 188, 351, 7366),
  ('KWD incl half_even line: free at threshold',     'KWD', true,  'half_even', 'line',  1255, 1, 50000, NULL, 'free_over', 2000, 1255, NULL, 50000, 1255, 0, 0, 60, 60, 1255),
  -- free_over edges (EUR): one cent below pays, at the threshold is free
  ('EUR free_over: 49.99 below 50.00 pays',          'EUR', false, 'half_even', 'line',  4999, 1, 190000, NULL, 'free_over', 490, 5000, NULL, 190000, 4999, 490, 93, 950, 1043, 6532),
  ('EUR free_over: 50.00 at 50.00 is free',          'EUR', false, 'half_even', 'line',  5000, 1, 190000, NULL, 'free_over', 490, 5000, NULL, 190000, 5000, 0, 0, 950, 950, 5950),
  -- weight-band edges (EUR): 1000 g is band 1, 1001 g band 2, 5000 g band 2
  ('EUR bands: 2 x 500 g = 1000 g, band 1',          'EUR', false, 'half_even', 'line',  1000, 2, 190000, 500, 'weight_bands', NULL, NULL, '[{"up_to_grams": 1000, "amount": 490}, {"up_to_grams": 5000, "amount": 990}]', 190000, 2000, 490, 93, 380, 473, 2963),
  ('EUR bands: 1 x 1001 g, band 2',                  'EUR', false, 'half_even', 'line',  1000, 1, 190000, 1001, 'weight_bands', NULL, NULL, '[{"up_to_grams": 1000, "amount": 490}, {"up_to_grams": 5000, "amount": 990}]', 190000, 1000, 990, 188, 190, 378, 2368),
  ('EUR bands: 10 x 500 g = 5000 g, band 2',         'EUR', false, 'half_even', 'line',  100, 10, 190000, 500, 'weight_bands', NULL, NULL, '[{"up_to_grams": 1000, "amount": 490}, {"up_to_grams": 5000, "amount": 990}]', 190000, 1000, 990, 188, 190, 378, 2368);

-- One case end to end: a tenant with the case's settings and rates (the
-- line's rate is the default; the shipping charge's is category
-- "shipping"), a variant, a method; then checkout, and the draft path.
-- Returns {checkout, draft, placed}.
CREATE FUNCTION shipping_test.run(c shipping_test.cases, n int) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  t uuid := orders_test.tenant('ship-' || n, c.currency);
  v uuid;
  m jsonb;
  addr jsonb := '{"first_name": "Ada", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "DE"}';
  co jsonb;
  d jsonb;
  placed jsonb;
BEGIN
  PERFORM commerce.set_tax_settings(jsonb_build_object('prices_include_tax', c.inclusive,
            'rounding_mode', c.mode, 'rounding_scope', c.scope));
  PERFORM commerce.create_tax_rate(jsonb_build_object('name', 'standard', 'rate_ppm', c.line_rate));
  PERFORM commerce.create_tax_rate(jsonb_build_object('name', 'shipping', 'category', 'shipping',
            'rate_ppm', c.ship_rate));
  v := orders_test.variant(t, 'SKU-' || n, c.line_amount, c.currency, 1000);
  UPDATE commerce.variants SET weight_grams = c.weight WHERE id = v;
  m := commerce.create_shipping_method(jsonb_strip_nulls(jsonb_build_object('name', 'Ship ' || n,
         'kind', c.kind, 'currency', c.currency, 'amount', c.ship_amount, 'free_over_amount', c.free_over,
         'weight_bands', c.bands, 'countries', '["DE", "AT"]'::jsonb, 'tax_category', 'shipping')));
  co := commerce.checkout(jsonb_build_object('currency', c.currency, 'shipping_address', addr,
          'shipping_method_id', m->>'id',
          'lines', jsonb_build_array(jsonb_build_object('variant_id', v, 'quantity', c.quantity))));
  d := commerce.create_order(orders_test.cart(v, c.quantity, c.currency));
  d := commerce.set_order_addresses((d->>'id')::uuid, jsonb_build_object('shipping_address', addr));
  d := commerce.set_shipping_method((d->>'id')::uuid, jsonb_build_object('shipping_method_id', m->>'id'));
  placed := commerce.place_order((d->>'id')::uuid);
  RETURN jsonb_build_object('checkout', co, 'draft', d, 'placed', placed);
END $$;

CREATE TABLE shipping_test.results AS
  SELECT c.*, shipping_test.run(c, (row_number() OVER (ORDER BY c.name))::int) AS r
  FROM shipping_test.cases c;

-- The figures of an order answer.
CREATE FUNCTION shipping_test.figures(o jsonb) RETURNS bigint[] LANGUAGE sql AS $$
  SELECT ARRAY[(o->>'subtotal')::bigint, (o->>'shipping_total')::bigint, (o->>'shipping_tax')::bigint,
               (SELECT sum((l->>'tax_amount')::bigint) FROM jsonb_array_elements(o->'lines') l)::bigint,
               (o->>'tax_total')::bigint, (o->>'total')::bigint] $$;

-- 1. checkout gives the expected figures (21 cases)
SELECT is(shipping_test.figures(r->'checkout'),
          ARRAY[subtotal, shipping_total, shipping_tax, line_tax, tax_total, total], 'checkout: ' || name)
FROM shipping_test.results ORDER BY name;

-- 2. the draft path: live figures and placed figures equal checkout's (21 cases)
SELECT ok(shipping_test.figures(r->'draft') = shipping_test.figures(r->'checkout')
          AND shipping_test.figures(r->'placed') = shipping_test.figures(r->'checkout')
          AND r->'placed'->'shipping_method'->>'amount' = (shipping_total)::text
          AND r->'placed'->'shipping_method'->>'tax_amount' = (shipping_tax)::text,
          'draft and place_order: ' || name)
FROM shipping_test.results ORDER BY name;

-- 3. the sum of its parts, in every answer and every stored row
SELECT is((SELECT count(*) FROM shipping_test.results, LATERAL (VALUES (r->'checkout'), (r->'placed')) x(o)
            WHERE (o->>'total')::bigint <> (o->>'subtotal')::bigint + (o->>'shipping_total')::bigint
                    + CASE WHEN inclusive THEN 0 ELSE (o->>'tax_total')::bigint END
               OR (o->>'tax_total')::bigint <> (SELECT sum((l->>'tax_amount')::bigint) FROM jsonb_array_elements(o->'lines') l)
                                               + (o->>'shipping_tax')::bigint
               OR (o->>'subtotal')::bigint <> (SELECT sum((l->>'amount')::bigint) FROM jsonb_array_elements(o->'lines') l)),
          0::bigint, 'every answer: total = subtotal + shipping_total (+ tax_total when exclusive); tax_total = line taxes + shipping_tax');
SELECT is((SELECT count(*) FROM commerce.orders o JOIN shipping_test.results s
             ON o.id IN ((s.r->'checkout'->>'id')::uuid, (s.r->'placed'->>'id')::uuid)
            WHERE o.total <> o.subtotal + o.shipping_total + CASE WHEN o.prices_include_tax THEN 0 ELSE o.tax_total END + o.adjustment_total
               OR o.shipping_total <> s.shipping_total OR o.shipping_tax <> s.shipping_tax
               OR o.tax_total <> (SELECT sum(l.tax_amount) FROM commerce.order_lines l
                                   WHERE l.tenant_id = o.tenant_id AND l.order_id = o.id) + o.shipping_tax
               OR o.shipping_method_name IS NULL OR o.shipping_address->>'country' <> 'DE'),
          0::bigint, 'every stored order: the same sums, the snapshot of name, address and figures');
SELECT is((SELECT count(*) FROM commerce.orders o JOIN shipping_test.results s
             ON o.id IN ((s.r->'checkout'->>'id')::uuid, (s.r->'placed'->>'id')::uuid)),
          (SELECT 2 * count(*) FROM shipping_test.cases), 'both orders of every case are stored');

-- 4. the table refuses a total that is not the sum of its parts
SELECT throws_ok(format($$UPDATE commerce.orders SET shipping_total = shipping_total + 1 WHERE id = %L$$,
                        (SELECT r->'checkout'->>'id' FROM shipping_test.results ORDER BY name LIMIT 1)),
                 '23514', NULL, 'orders_total_is_sum refuses a shipping_total outside the total');

-- 5. the placed snapshot does not move when the method or the rates change
SELECT (SELECT r->'placed' FROM shipping_test.results WHERE name = 'EUR excl half_even line: 19.99@19% + 4.90@19%') AS p \gset
SELECT commerce.set_context((SELECT tenant_id FROM commerce.orders WHERE id = (:'p'::jsonb->>'id')::uuid), 's', 'staff');
SELECT commerce.update_shipping_method((:'p'::jsonb->'shipping_method'->>'id')::uuid, '{"amount": 9999, "name": "Renamed"}') IS NOT NULL AS ok \gset
SELECT is(shipping_test.figures(commerce.get_order((:'p'::jsonb->>'id')::uuid)), shipping_test.figures(:'p'::jsonb),
          'a placed order keeps its shipping figures after the method changes');
SELECT is(commerce.get_order((:'p'::jsonb->>'id')::uuid)->'shipping_method'->>'name', :'p'::jsonb->'shipping_method'->>'name',
          'a placed order keeps the method name it was placed with');

SELECT * FROM finish();
ROLLBACK;
