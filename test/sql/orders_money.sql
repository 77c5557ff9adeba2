-- test/sql/orders_money.sql — tax and rounding, table-driven: exclusive and
-- inclusive prices, half_even and half_up, per-line and per-order scope,
-- JPY/EUR/KWD exponents, the overflow guard, and stored totals equal to the
-- sum of their parts. The worked examples of docs/orders.md are cases here.
BEGIN;
SELECT plan(38);
\ir ../fixtures/orders.sql

CREATE TEMP TABLE tax_cases (name text, amounts bigint[], rates int[], inclusive bool,
                             mode text, scope text, line_tax bigint[], subtotal bigint,
                             tax_total bigint, total bigint);
INSERT INTO tax_cases VALUES
  ('EUR 19.99 at 19%, exclusive',                 '{1999}', '{190000}', false, 'half_even', 'line', '{380}', 1999, 380, 2379),
  ('tie 2.5 half_even rounds to even 2',          '{25}', '{100000}', false, 'half_even', 'line', '{2}', 25, 2, 27),
  ('tie 2.5 half_up rounds to 3',                 '{25}', '{100000}', false, 'half_up', 'line', '{3}', 25, 3, 28),
  ('tie 1.5 half_even rounds to even 2',          '{15}', '{100000}', false, 'half_even', 'line', '{2}', 15, 2, 17),
  ('three 0.5 ties per line, half_even',          '{5,5,5}', '{100000,100000,100000}', false, 'half_even', 'line', '{0,0,0}', 15, 0, 15),
  ('three 0.5 ties per line, half_up',            '{5,5,5}', '{100000,100000,100000}', false, 'half_up', 'line', '{1,1,1}', 15, 3, 18),
  ('three 0.5 ties per order, half_even',         '{5,5,5}', '{100000,100000,100000}', false, 'half_even', 'order', '{1,1,0}', 15, 2, 17),
  ('three 0.5 ties per order, half_up',           '{5,5,5}', '{100000,100000,100000}', false, 'half_up', 'order', '{1,1,0}', 15, 2, 17),
  ('two rates per line',                          '{1000,333,333}', '{190000,70000,70000}', false, 'half_even', 'line', '{190,23,23}', 1666, 236, 1902),
  ('two rates per order, remainder to first',     '{1000,333,333}', '{190000,70000,70000}', false, 'half_even', 'order', '{190,24,23}', 1666, 237, 1903),
  ('seven 0.5 shares per order',                  '{1,1,1,1,1,1,1}', '{500000,500000,500000,500000,500000,500000,500000}', false, 'half_even', 'order', '{1,1,1,1,0,0,0}', 7, 4, 11),
  ('inclusive 11.90 at 19% holds 1.90',           '{1190}', '{190000}', true, 'half_even', 'line', '{190}', 1190, 190, 1190),
  ('inclusive 1.00 at 19% holds 0.16',            '{100}', '{190000}', true, 'half_even', 'line', '{16}', 100, 16, 100),
  ('inclusive tie 2.5 half_even',                 '{5}', '{1000000}', true, 'half_even', 'line', '{2}', 5, 2, 5),
  ('inclusive tie 2.5 half_up',                   '{5}', '{1000000}', true, 'half_up', 'line', '{3}', 5, 3, 5),
  ('JPY 98 at 8%: 7.84 yen -> 8',                 '{98}', '{80000}', false, 'half_even', 'line', '{8}', 98, 8, 106),
  ('KWD 1.255 at 5%: 62.75 fils -> 63',           '{1255}', '{50000}', false, 'half_even', 'line', '{63}', 1255, 63, 1318),
  ('zero rate',                                   '{500}', '{0}', false, 'half_even', 'line', '{0}', 500, 0, 500),
  ('no lines',                                    '{}', '{}', false, 'half_even', 'order', '{}', 0, 0, 0),
  ('KWD inclusive per order, half_up',            '{1255,2510}', '{50000,50000}', true, 'half_up', 'order', '{60,119}', 3765, 179, 3765);

SELECT is(commerce.compute_tax(amounts, rates, inclusive, mode, scope),
          jsonb_build_object(
            'lines', COALESCE((SELECT jsonb_agg(jsonb_build_object('amount', a, 'tax_amount', x) ORDER BY i)
                               FROM unnest(amounts, line_tax) WITH ORDINALITY u(a, x, i)), '[]'::jsonb),
            'subtotal', subtotal, 'tax_total', tax_total, 'total', total),
          name)
FROM tax_cases ORDER BY name;

-- the guards
SELECT is(orders_test.code($$SELECT commerce.compute_tax('{9223372036854775807,1}', '{0,0}')$$),
          'amount_overflow', 'subtotal overflow: amount_overflow');
SELECT is(orders_test.code($$SELECT commerce.compute_tax('{9223372036854775807}', '{10}')$$),
          'amount_overflow', 'total overflow: amount_overflow');
SELECT is(orders_test.code($$SELECT commerce.compute_tax('{-1}', '{0}')$$),
          'negative_amount', 'negative amount: negative_amount');
SELECT is(orders_test.code($$SELECT commerce.compute_tax('{1}', '{1000001}')$$),
          'invalid_input', 'rate above 100%: invalid_input');
SELECT is(orders_test.code($$SELECT commerce.compute_tax('{1,2}', '{0}')$$),
          'invalid_input', 'arrays of different lengths: invalid_input');

-- end to end, JPY: default settings (exclusive, half_even, per line), 8% default rate
SELECT orders_test.tenant('yen', 'JPY') AS t_jpy \gset
SELECT commerce.create_tax_rate('{"name": "consumption", "rate_ppm": 80000}') IS NOT NULL AS rate_ok \gset
SELECT orders_test.variant(:'t_jpy', 'JP-1', 98, 'JPY', 10) AS v_jpy \gset
SELECT commerce.checkout(orders_test.cart(:'v_jpy', 3, 'JPY')) AS o_jpy \gset
SELECT results_eq(format($$SELECT (%L::jsonb->>'subtotal')::bigint, (%L::jsonb->>'tax_total')::bigint, (%L::jsonb->>'total')::bigint$$, :'o_jpy', :'o_jpy', :'o_jpy'),
                  $$VALUES (294::bigint, 24::bigint, 318::bigint)$$,
                  'JPY 3 x 98 at 8%: subtotal 294, tax 23.52 -> 24, total 318');

-- end to end, KWD: inclusive, half_up, per order; a category rate beside the default
SELECT orders_test.tenant('fils', 'KWD') AS t_kwd \gset
SELECT commerce.set_tax_settings('{"prices_include_tax": true, "rounding_mode": "half_up", "rounding_scope": "order"}') ->> 'version' AS settings_version \gset
SELECT is(:'settings_version'::text, '1', 'set_tax_settings creates version 1');
SELECT commerce.create_tax_rate('{"name": "VAT", "rate_ppm": 50000}') IS NOT NULL AS ok \gset
SELECT commerce.create_tax_rate('{"name": "zero", "category": "books", "rate_ppm": 0}') IS NOT NULL AS ok \gset
SELECT orders_test.variant(:'t_kwd', 'KW-1', 1255, 'KWD', 10) AS k1 \gset
SELECT orders_test.variant(:'t_kwd', 'KW-2', 2510, 'KWD', 10) AS k2 \gset
SELECT orders_test.variant(:'t_kwd', 'KW-3', 4000, 'KWD', 10, 'books') AS k3 \gset
SELECT commerce.checkout(jsonb_build_object('currency', 'KWD', 'lines', jsonb_build_array(
  jsonb_build_object('variant_id', :'k1', 'quantity', 1),
  jsonb_build_object('variant_id', :'k2', 'quantity', 1),
  jsonb_build_object('variant_id', :'k3', 'quantity', 1)))) AS o_kwd \gset
SELECT results_eq(format($$SELECT (l->>'tax_amount')::bigint, (l->>'tax_rate_ppm')::int FROM jsonb_array_elements(%L::jsonb->'lines') l ORDER BY l->>'sku'$$, :'o_kwd'),
                  $$VALUES (60::bigint, 50000), (119::bigint, 50000), (0::bigint, 0)$$,
                  'KWD inclusive per order: 179 fils shared 60 + 119, books at 0');
SELECT results_eq(format($$SELECT (%L::jsonb->>'subtotal')::bigint, (%L::jsonb->>'tax_total')::bigint, (%L::jsonb->>'total')::bigint, (%L::jsonb->>'prices_include_tax')::bool$$, :'o_kwd', :'o_kwd', :'o_kwd', :'o_kwd'),
                  $$VALUES (7765::bigint, 179::bigint, 7765::bigint, true)$$,
                  'KWD inclusive: total = subtotal, the tax is inside');

-- settings are snapshotted: changing them later leaves the placed order alone
SELECT commerce.set_tax_settings('{"prices_include_tax": false}', 1) ->> 'version' AS v2 \gset
SELECT is(:'v2'::text, '2', 'set_tax_settings bumps the version');
SELECT is(orders_test.code($$SELECT commerce.set_tax_settings('{"rounding_mode": "half_down"}')$$), 'invalid_input', 'unknown rounding mode: invalid_input');
SELECT is(orders_test.code($$SELECT commerce.set_tax_settings('{"rounding_scope": "line"}', 1)$$), 'version_conflict', 'stale settings version: version_conflict');
SELECT is((commerce.get_order((:'o_kwd'::jsonb->>'id')::uuid) -> 'total')::bigint, 7765::bigint, 'a placed order keeps its snapshot');

-- end to end, EUR: the stored figures are the sum of the lines
SELECT orders_test.tenant('euro', 'EUR') AS t_eur \gset
SELECT commerce.set_tax_settings('{"rounding_scope": "order"}') IS NOT NULL AS ok \gset
SELECT commerce.create_tax_rate('{"name": "VAT", "rate_ppm": 190000}') IS NOT NULL AS ok \gset
SELECT commerce.create_tax_rate('{"name": "food", "category": "food", "rate_ppm": 70000}') IS NOT NULL AS ok \gset
SELECT orders_test.variant(:'t_eur', 'EU-1', 333, 'EUR', 1000) AS e1 \gset
SELECT orders_test.variant(:'t_eur', 'EU-2', 199, 'EUR', 1000, 'food') AS e2 \gset
SELECT orders_test.variant(:'t_eur', 'EU-3', 1, 'EUR', 1000, 'food') AS e3 \gset
SELECT count(commerce.checkout(jsonb_build_object('currency', 'EUR', 'lines', jsonb_build_array(
  jsonb_build_object('variant_id', :'e1', 'quantity', q),
  jsonb_build_object('variant_id', :'e2', 'quantity', q + 1),
  jsonb_build_object('variant_id', :'e3', 'quantity', 2 * q + 1))))) AS n FROM generate_series(1, 20) q \gset
RESET ROLE;
SELECT is((SELECT count(*) FROM commerce.orders o
           WHERE o.status = 'placed'
             AND (o.subtotal <> (SELECT sum(amount) FROM commerce.order_lines l WHERE l.tenant_id = o.tenant_id AND l.order_id = o.id)
               OR o.tax_total <> (SELECT sum(tax_amount) FROM commerce.order_lines l WHERE l.tenant_id = o.tenant_id AND l.order_id = o.id)
               OR o.total <> o.subtotal + CASE WHEN o.prices_include_tax THEN 0 ELSE o.tax_total END)),
          0::bigint, 'every placed order: lines sum to subtotal and tax_total, total is their sum');
SELECT is((SELECT count(*) FROM commerce.order_lines WHERE amount <> unit_amount * quantity), 0::bigint,
          'every line amount is unit_amount x quantity');
SELECT throws_ok($$UPDATE commerce.orders SET total = total + 1 WHERE status = 'placed'$$,
                 '23514', NULL, 'the table refuses a total that is not the sum of its parts');

-- overflow through the commands
SELECT commerce.set_context(:'t_eur') IS NOT NULL AS ok \gset
SELECT orders_test.variant(:'t_eur', 'HUGE', 4611686018427387904, 'EUR', 10) AS huge \gset
SELECT is(orders_test.code(format('SELECT commerce.checkout(%L)', orders_test.cart(:'huge', 2))),
          'amount_overflow', '2 x 2^62 minor units: amount_overflow, nothing placed');
SELECT is((SELECT reserved FROM commerce.inventory_levels WHERE variant_id = :'huge'), 0::bigint,
          'the overflowing checkout reserved nothing');

SELECT * FROM finish();
ROLLBACK;
