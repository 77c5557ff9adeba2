-- test/sql/promotions_money.sql — discounts and tax, table-driven (issue 17,
-- "Money"): JPY/EUR/KWD, exclusive and inclusive prices, half_even and
-- half_up, per-line and per-order tax scope, percentage and fixed, order
-- and line scope. Each case is a checkout with a discount code; the order
-- must equal the expected figures and its parts must add up (stored row,
-- lines, discounts, the orders_total_is_sum formula). The worked examples
-- of docs/promotions.md are cases here.
BEGIN;
SELECT plan(17);
\ir ../fixtures/orders.sql

CREATE TEMP TABLE money_cases (
  name text, currency text, inclusive bool, mode text, scope text, rate int,
  amounts bigint[], quantities int[], promotion jsonb, targeted int[],
  line_discounts bigint[], line_taxes bigint[], subtotal bigint, discount_total bigint,
  tax_total bigint, total bigint);
INSERT INTO money_cases VALUES
  ('EUR excl, 10% of the order, shared 100 + 67, tax per line', 'EUR', false, 'half_even', 'line', 190000,
   '{1000,333}', '{1,2}', '{"type": "percentage", "percent_ppm": 100000}', NULL,
   '{100,67}', '{171,114}', 1666, 167, 285, 1784),
  ('EUR excl, 10% of the order, tax per order', 'EUR', false, 'half_even', 'order', 190000,
   '{1000,333}', '{1,2}', '{"type": "percentage", "percent_ppm": 100000}', NULL,
   '{100,67}', '{171,114}', 1666, 167, 285, 1784),
  ('JPY excl, ¥50 off the order', 'JPY', false, 'half_even', 'line', 80000,
   '{98}', '{3}', '{"type": "fixed", "amounts": {"JPY": 50, "EUR": 500}}', NULL,
   '{50}', '{20}', 294, 50, 20, 264),
  ('JPY excl half_up per order, 15% of the order', 'JPY', false, 'half_up', 'order', 100000,
   '{333,667}', '{1,1}', '{"type": "percentage", "percent_ppm": 150000}', NULL,
   '{50,100}', '{28,57}', 1000, 150, 85, 935),
  ('KWD incl half_up per order, 0.500 KD off the order', 'KWD', true, 'half_up', 'order', 50000,
   '{1255,2510}', '{1,1}', '{"type": "fixed", "amounts": {"KWD": 500}}', NULL,
   '{167,333}', '{52,103}', 3765, 500, 155, 3265),
  ('KWD excl, 0.100 KD off each line (capped at the line)', 'KWD', false, 'half_even', 'line', 50000,
   '{1255,50}', '{2,1}', '{"type": "fixed", "amounts": {"KWD": 100}, "scope": "line"}', NULL,
   '{100,50}', '{120,0}', 2560, 150, 120, 2530),
  ('EUR incl, 20% off a targeted line only', 'EUR', true, 'half_even', 'line', 190000,
   '{1190,100}', '{1,1}', '{"type": "percentage", "percent_ppm": 200000, "scope": "line"}', '{1}',
   '{238,0}', '{152,16}', 1290, 238, 168, 1052),
  ('EUR excl, fixed larger than the order: everything, tax 0', 'EUR', false, 'half_even', 'line', 190000,
   '{300}', '{1}', '{"type": "fixed", "amounts": {"EUR": 1000}}', NULL,
   '{300}', '{0}', 300, 300, 0, 0),
  ('JPY incl half_even per line, 100% off a targeted line', 'JPY', true, 'half_even', 'line', 100000,
   '{1100,550}', '{1,1}', '{"type": "percentage", "percent_ppm": 1000000, "scope": "line"}', '{2}',
   '{0,550}', '{100,0}', 1650, 550, 100, 1100),
  ('KWD excl half_up per order, 12.5% of the order over three lines', 'KWD', false, 'half_up', 'order', 50000,
   '{1001,1001,1001}', '{1,1,1}', '{"type": "percentage", "percent_ppm": 125000}', NULL,
   '{125,125,125}', '{44,44,43}', 3003, 375, 131, 2759);

CREATE FUNCTION pg_temp.run_case(c money_cases) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE t uuid;
        v uuid[] := '{}';
        promo jsonb := c.promotion;
        p uuid;
        lines jsonb := '[]';
BEGIN
  t := orders_test.tenant('m-' || md5(c.name), c.currency);
  PERFORM commerce.set_tax_settings(jsonb_build_object('prices_include_tax', c.inclusive,
                                    'rounding_mode', c.mode, 'rounding_scope', c.scope));
  PERFORM commerce.create_tax_rate(jsonb_build_object('name', 'rate', 'rate_ppm', c.rate));
  FOR i IN 1 .. cardinality(c.amounts) LOOP
    v := v || orders_test.variant(t, 'SKU-' || i, c.amounts[i], c.currency, 100);
    lines := lines || jsonb_build_array(jsonb_build_object('variant_id', v[i], 'quantity', c.quantities[i]));
  END LOOP;
  IF c.targeted IS NOT NULL THEN
    promo := promo || jsonb_build_object('target_variant_ids',
               (SELECT jsonb_agg(v[k]) FROM unnest(c.targeted) k));
  END IF;
  p := (commerce.create_promotion(promo || '{"name": "case"}') ->> 'id')::uuid;
  PERFORM commerce.create_promotion_code(p, '{"code": "case"}');
  RETURN commerce.checkout(jsonb_build_object('currency', c.currency, 'lines', lines,
                                              'discount_code', 'CASE'));
END $$;

CREATE TEMP TABLE results AS SELECT c.*, pg_temp.run_case(c) AS o FROM money_cases c;

-- each case: the figures
SELECT is(jsonb_build_object('subtotal', (o->>'subtotal')::bigint, 'discount_total', (o->>'discount_total')::bigint,
                             'tax_total', (o->>'tax_total')::bigint, 'total', (o->>'total')::bigint,
                             'line_discounts', (SELECT jsonb_agg((l->>'discount_amount')::bigint ORDER BY n)
                                                  FROM jsonb_array_elements(o->'lines') WITH ORDINALITY x(l, n)),
                             'line_taxes', (SELECT jsonb_agg((l->>'tax_amount')::bigint ORDER BY n)
                                              FROM jsonb_array_elements(o->'lines') WITH ORDINALITY x(l, n))),
          jsonb_build_object('subtotal', subtotal, 'discount_total', discount_total, 'tax_total', tax_total,
                             'total', total, 'line_discounts', to_jsonb(line_discounts),
                             'line_taxes', to_jsonb(line_taxes)),
          name)
FROM results ORDER BY name;

-- each case: the parts add up, in the answer and in the stored rows
SELECT is(
  (SELECT count(*) FROM results r
    WHERE (r.o->>'total')::bigint = (r.o->>'subtotal')::bigint - (r.o->>'discount_total')::bigint
            + CASE WHEN r.inclusive THEN 0 ELSE (r.o->>'tax_total')::bigint END
      AND (r.o->>'discount_total')::bigint = (SELECT sum((l->>'discount_amount')::bigint) FROM jsonb_array_elements(r.o->'lines') l)
      AND (r.o->>'discount_total')::bigint = (SELECT sum((d->>'amount')::bigint) FROM jsonb_array_elements(r.o->'discounts') d)
      AND (r.o->>'tax_total')::bigint = (SELECT sum((l->>'tax_amount')::bigint) FROM jsonb_array_elements(r.o->'lines') l)
      AND (r.o->>'subtotal')::bigint = (SELECT sum((l->>'amount')::bigint) FROM jsonb_array_elements(r.o->'lines') l)),
  (SELECT count(*) FROM results), 'every answer: total = subtotal - discounts + tax (exclusive), parts sum up');

SELECT is(
  (SELECT count(*) FROM results r JOIN commerce.orders o ON o.id = (r.o->>'id')::uuid
    WHERE o.subtotal = (r.o->>'subtotal')::bigint AND o.discount_total = (r.o->>'discount_total')::bigint
      AND o.tax_total = (r.o->>'tax_total')::bigint AND o.total = (r.o->>'total')::bigint
      AND o.discount_total = (SELECT sum(l.discount_amount) FROM commerce.order_lines l WHERE l.order_id = o.id)
      AND o.tax_total = (SELECT sum(l.tax_amount) FROM commerce.order_lines l WHERE l.order_id = o.id)
      AND o.discount_total = (SELECT sum(d.amount) FROM commerce.order_discounts d WHERE d.order_id = o.id)),
  (SELECT count(*) FROM results), 'every stored order: the rows equal the answer and add up');

-- inclusive: the tax is inside what the customer pays
SELECT ok((SELECT bool_and((o->>'tax_total')::bigint <= (o->>'total')::bigint) FROM results WHERE inclusive),
          'inclusive: tax_total within the discounted total');

-- the same figures through a draft: apply_discount_code, live view, place
SELECT orders_test.tenant('m-draft', 'EUR') AS t \gset
SELECT commerce.create_tax_rate('{"name": "vat", "rate_ppm": 190000}') IS NOT NULL AS ok \gset
SELECT orders_test.variant(:'t', 'A', 1000) AS va \gset
SELECT orders_test.variant(:'t', 'B', 333) AS vb \gset
SELECT (commerce.create_promotion('{"name": "ten", "type": "percentage", "percent_ppm": 100000}') ->> 'id') AS p \gset
SELECT commerce.create_promotion_code(:'p', '{"code": "TEN"}') IS NOT NULL AS ok \gset
SELECT (commerce.create_order(jsonb_build_object('currency', 'EUR', 'lines', jsonb_build_array(
          jsonb_build_object('variant_id', :'va', 'quantity', 1),
          jsonb_build_object('variant_id', :'vb', 'quantity', 2)))) ->> 'id') AS o \gset
SELECT commerce.apply_discount_code(:'o', '{"code": "ten"}') AS live \gset
SELECT results_eq(format($$SELECT (%1$L::jsonb->>'discount_total')::bigint, (%1$L::jsonb->>'tax_total')::bigint, (%1$L::jsonb->>'total')::bigint$$, :'live'),
                  $$VALUES (167::bigint, 285::bigint, 1784::bigint)$$, 'the draft shows the discount live');
SELECT is((SELECT discount_total FROM commerce.orders WHERE id = :'o'), 0::bigint, 'a draft stores no figures');
SELECT commerce.place_order(:'o') AS placed \gset
SELECT is(:'placed'::jsonb - '{status,number,version,updated_at,placed_at,payment_status}'::text[],
          :'live'::jsonb - '{status,number,version,updated_at,placed_at,payment_status,prices_complete}'::text[],
          'placing snapshots exactly what the cart showed');
SELECT results_eq(format($$SELECT subtotal, discount_total, tax_total, total FROM commerce.orders WHERE id = %L$$, :'o'),
                  $$VALUES (1666::bigint, 167::bigint, 285::bigint, 1784::bigint)$$, 'place_order stores the discounted totals');

SELECT * FROM finish();
ROLLBACK;
