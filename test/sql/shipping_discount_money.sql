-- test/sql/shipping_discount_money.sql — shipping and discounts in one order,
-- table-driven (issue 17, "Money"): JPY (0 decimals), EUR (2) and KWD (3),
-- tax-exclusive and inclusive prices, half_even and half_up, per-line and
-- per-order tax scope. Every case has a shipping method (flat rate, free
-- over a subtotal, weight bands) AND discounts (percentage and fixed, order
-- and line scope, a code and/or automatic promotions, combinable and
-- exclusive), including discounts that drop the goods under a free-over
-- threshold. The expected figures were worked out by hand from the rules of
-- docs/promotions.md and docs/shipping.md (not from the code); they are the
-- table of docs/shipping.md, "Shipping and discounts together".
--
-- Every case is placed two ways (checkout with shipping_address,
-- shipping_method_id and discount_code in its body; and a draft with
-- set_order_addresses, set_shipping_method, apply_discount_code and
-- place_order; its list_shipping_options too). Checked: each figure, which promotions applied and how
-- much, and that every total is the sum of its parts — in the answers, in
-- the stored rows (orders, order_lines, order_discounts) and by
-- commerce.check_invariants().
BEGIN;
SELECT plan(47);
\ir ../fixtures/orders.sql

CREATE SCHEMA sd_test;
-- promotions: created in this order (creation order is the stacking order
-- among promotions of the same scope). Each is create_promotion's data plus
-- "code" (a code of it; the case's checkout uses code) and "targets" (line
-- numbers, 1-based, turned into target_variant_ids).
CREATE TABLE sd_test.cases (
  name text, currency text, inclusive bool, mode text, scope text, line_rate int, ship_rate int,
  amounts bigint[], quantities int[], weights int[],
  kind text, ship_amount bigint, free_over bigint, bands jsonb,
  promotions jsonb, code text,
  -- expected
  applied jsonb,              -- {promotion name: amount} of the order's discounts
  line_discounts bigint[], line_taxes bigint[],
  subtotal bigint, discount_total bigint, shipping_total bigint, shipping_tax bigint,
  tax_total bigint, total bigint);

INSERT INTO sd_test.cases VALUES
  -- 1
  ('EUR excl half_even line: exclusive code 10% of the order, flat 4.90',
   'EUR', false, 'half_even', 'line', 190000, 190000, '{4000,1500}', '{1,1}', NULL,
   'flat_rate', 490, NULL, NULL,
   '[{"name": "TEN", "type": "percentage", "percent_ppm": 100000, "code": "TEN"}]', 'TEN',
   '{"TEN": 550}', '{400,150}', '{684,256}', 5500, 550, 490, 93, 1033, 6473),
  -- 2
  ('EUR excl half_up order: the code drops 55.00 under free-over 50.00, shipping charged',
   'EUR', false, 'half_up', 'order', 190000, 190000, '{3000,2500}', '{1,1}', NULL,
   'free_over', 490, 5000, NULL,
   '[{"name": "TEN", "type": "percentage", "percent_ppm": 100000, "code": "TEN"}]', 'TEN',
   '{"TEN": 550}', '{300,250}', '{513,428}', 5500, 550, 490, 93, 1034, 6474),
  -- 3
  ('EUR excl half_up order: 5.00 off leaves exactly 50.00, shipping free',
   'EUR', false, 'half_up', 'order', 190000, 190000, '{3000,2500}', '{1,1}', NULL,
   'free_over', 490, 5000, NULL,
   '[{"name": "FIVE", "type": "fixed", "amounts": {"EUR": 500}, "code": "FIVE"}]', 'FIVE',
   '{"FIVE": 500}', '{273,227}', '{518,432}', 5500, 500, 0, 0, 950, 5950),
  -- 4
  ('JPY excl half_even line: automatic 15% on a line + code ¥300 off the order, weight band 2',
   'JPY', false, 'half_even', 'line', 100000, 100000, '{1980,500}', '{2,1}', '{300,200}',
   'weight_bands', NULL, NULL, '[{"up_to_grams": 500, "amount": 600}, {"up_to_grams": 2000, "amount": 900}]',
   '[{"name": "LINE15", "type": "percentage", "percent_ppm": 150000, "scope": "line", "targets": [1], "automatic": true, "combinable": true},
     {"name": "Y300", "type": "fixed", "amounts": {"JPY": 300}, "combinable": true, "code": "Y300"}]', 'Y300',
   '{"LINE15": 594, "Y300": 300}', '{855,39}', '{310,46}', 4460, 894, 900, 90, 446, 4912),
  -- 5
  ('JPY incl half_up order: exclusive code 20% drops under free-over ¥4,000, automatic left out',
   'JPY', true, 'half_up', 'order', 100000, 100000, '{3300,1000}', '{1,1}', NULL,
   'free_over', 550, 4000, NULL,
   '[{"name": "AUTO100", "type": "fixed", "amounts": {"JPY": 100}, "automatic": true, "combinable": true},
     {"name": "TWENTY", "type": "percentage", "percent_ppm": 200000, "code": "TWENTY"}]', 'TWENTY',
   '{"TWENTY": 860}', '{660,200}', '{240,73}', 4300, 860, 550, 50, 363, 3990),
  -- 6
  ('KWD excl half_even order: no code, the exclusive automatic 10% beats 0.100 off each line',
   'KWD', false, 'half_even', 'order', 50000, 50000, '{1255,750}', '{2,1}', NULL,
   'flat_rate', 1000, NULL, NULL,
   '[{"name": "EACH100", "type": "fixed", "amounts": {"KWD": 100}, "scope": "line", "automatic": true, "combinable": true},
     {"name": "AUTO10", "type": "percentage", "percent_ppm": 100000, "automatic": true}]', NULL,
   '{"AUTO10": 326}', '{251,75}', '{113,34}', 3260, 326, 1000, 50, 197, 4131),
  -- 7
  ('KWD incl half_up line: code 12.5% on a line + automatic 0.250 off the order, weight band 2',
   'KWD', true, 'half_up', 'line', 50000, 50000, '{2100,1050}', '{1,3}', '{1000,500}',
   'weight_bands', NULL, NULL, '[{"up_to_grams": 2000, "amount": 1500}, {"up_to_grams": 10000, "amount": 2750}]',
   '[{"name": "OFF250", "type": "fixed", "amounts": {"KWD": 250}, "automatic": true, "combinable": true},
     {"name": "LINE125", "type": "percentage", "percent_ppm": 125000, "scope": "line", "targets": [2], "combinable": true, "code": "LINE125"}]', 'LINE125',
   '{"OFF250": 250, "LINE125": 394}', '{108,536}', '{95,124}', 5250, 644, 2750, 131, 350, 7356),
  -- 8
  ('EUR incl half_even order: automatic 10% then code 2.00 drop under free-over 25.00; shipping at 7%',
   'EUR', true, 'half_even', 'order', 190000, 70000, '{1190,595}', '{2,1}', NULL,
   'free_over', 390, 2500, NULL,
   '[{"name": "AUTO10", "type": "percentage", "percent_ppm": 100000, "automatic": true, "combinable": true},
     {"name": "TWO", "type": "fixed", "amounts": {"EUR": 200}, "combinable": true, "code": "TWO"}]', 'TWO',
   '{"AUTO10": 298, "TWO": 200}', '{398,100}', '{316,79}', 2975, 498, 390, 26, 421, 2867),
  -- 9
  ('EUR excl half_even line: 10.00 off a 3.00 order, only the shipping is paid',
   'EUR', false, 'half_even', 'line', 190000, 190000, '{300}', '{1}', NULL,
   'flat_rate', 490, NULL, NULL,
   '[{"name": "TENOFF", "type": "fixed", "amounts": {"EUR": 1000}, "code": "TENOFF"}]', 'TENOFF',
   '{"TENOFF": 300}', '{300}', '{0}', 300, 300, 490, 93, 93, 583),
  -- 10
  ('JPY excl half_up order: exclusive code 33.3333% on every line, lines 8% and shipping 10%',
   'JPY', false, 'half_up', 'order', 80000, 100000, '{980,98}', '{1,5}', NULL,
   'flat_rate', 500, NULL, NULL,
   '[{"name": "AUTO5", "type": "percentage", "percent_ppm": 50000, "automatic": true, "combinable": true},
     {"name": "THIRD", "type": "percentage", "percent_ppm": 333333, "scope": "line", "code": "THIRD"}]', 'THIRD',
   '{"THIRD": 490}', '{327,163}', '{52,26}', 1470, 490, 500, 50, 128, 1608),
  -- 11
  ('KWD excl half_up line: automatic 0.050 off the line + code 10% (minimum 10.000 met before discounts) drop under free-over',
   'KWD', false, 'half_up', 'line', 50000, 50000, '{5500}', '{2}', NULL,
   'free_over', 1500, 10000, NULL,
   '[{"name": "FIFTY", "type": "fixed", "amounts": {"KWD": 50}, "scope": "line", "automatic": true, "combinable": true},
     {"name": "MIN10", "type": "percentage", "percent_ppm": 100000, "min_subtotal": {"KWD": 10000}, "combinable": true, "code": "MIN10"}]', 'MIN10',
   '{"FIFTY": 50, "MIN10": 1095}', '{1145}', '{493}', 11000, 1145, 1500, 75, 568, 11923),
  -- 12
  ('KWD incl half_even order: exclusive code 0.777 off the order, flat 2.000',
   'KWD', true, 'half_even', 'order', 50000, 50000, '{1001,2002}', '{3,1}', NULL,
   'flat_rate', 2000, NULL, NULL,
   '[{"name": "ODD", "type": "fixed", "amounts": {"KWD": 777}, "code": "ODD"}]', 'ODD',
   '{"ODD": 777}', '{466,311}', '{121,81}', 5005, 777, 2000, 95, 297, 6228),
  -- 13
  ('EUR excl half_up line: code 25% on a line + automatic 5% of the order, weight band 2',
   'EUR', false, 'half_up', 'line', 190000, 190000, '{2499,999}', '{1,2}', '{800,150}',
   'weight_bands', NULL, NULL, '[{"up_to_grams": 1000, "amount": 490}, {"up_to_grams": 5000, "amount": 690}]',
   '[{"name": "AUTO5", "type": "percentage", "percent_ppm": 50000, "automatic": true, "combinable": true},
     {"name": "Q25", "type": "percentage", "percent_ppm": 250000, "scope": "line", "targets": [1], "combinable": true, "code": "Q25"}]', 'Q25',
   '{"AUTO5": 194, "Q25": 625}', '{719,100}', '{338,361}', 4497, 819, 690, 131, 830, 5198),
  -- 14
  ('JPY incl half_even line: automatic 10% on the line + code ¥500 drop under free-over ¥5,000',
   'JPY', true, 'half_even', 'line', 100000, 100000, '{5500}', '{1}', NULL,
   'free_over', 770, 5000, NULL,
   '[{"name": "LINE10", "type": "percentage", "percent_ppm": 100000, "scope": "line", "automatic": true, "combinable": true},
     {"name": "Y500", "type": "fixed", "amounts": {"JPY": 500}, "combinable": true, "code": "Y500"}]', 'Y500',
   '{"LINE10": 550, "Y500": 500}', '{1050}', '{405}', 5500, 1050, 770, 70, 475, 5220),
  -- 15
  ('JPY excl half_even order: exclusive code 10% leaves ¥5,400, still free over ¥5,000',
   'JPY', false, 'half_even', 'order', 100000, 100000, '{6000}', '{1}', NULL,
   'free_over', 770, 5000, NULL,
   '[{"name": "TEN", "type": "percentage", "percent_ppm": 100000, "code": "TEN"}]', 'TEN',
   '{"TEN": 600}', '{600}', '{540}', 6000, 600, 0, 0, 540, 5940),
  -- 16
  ('EUR excl half_even order: 1 ct of tax, a tie of remainders goes to the line, not the charge',
   'EUR', false, 'half_even', 'order', 100000, 100000, '{10}', '{1}', NULL,
   'flat_rate', 5, NULL, NULL,
   '[{"name": "HALF", "type": "percentage", "percent_ppm": 500000, "code": "HALF"}]', 'HALF',
   '{"HALF": 5}', '{5}', '{1}', 10, 5, 5, 0, 1, 11),
  -- 17
  ('KWD excl half_even line: exclusive code 0.125 off each line (capped), 1000 g is band 1',
   'KWD', false, 'half_even', 'line', 50000, 50000, '{500,80}', '{4,1}', '{250,0}',
   'weight_bands', NULL, NULL, '[{"up_to_grams": 1000, "amount": 1250}, {"up_to_grams": 3000, "amount": 2000}]',
   '[{"name": "AUTO5", "type": "percentage", "percent_ppm": 50000, "automatic": true, "combinable": true},
     {"name": "EACH125", "type": "fixed", "amounts": {"KWD": 125}, "scope": "line", "code": "EACH125"}]', 'EACH125',
   '{"EACH125": 205}', '{125,80}', '{94,0}', 2080, 205, 1250, 62, 156, 3281),
  -- 18
  ('EUR incl half_up line: a combinable code wins over a larger exclusive automatic',
   'EUR', true, 'half_up', 'line', 190000, 190000, '{1190}', '{3}', NULL,
   'flat_rate', 595, NULL, NULL,
   '[{"name": "BIG", "type": "fixed", "amounts": {"EUR": 500}, "automatic": true},
     {"name": "TEN", "type": "percentage", "percent_ppm": 100000, "combinable": true, "code": "TEN"}]', 'TEN',
   '{"TEN": 357}', '{357}', '{513}', 3570, 357, 595, 95, 608, 3808);

-- One case end to end: a tenant with the case's settings and rates (the
-- lines' rate is the default; the charge's is category "shipping"), its
-- variants, method and promotions; then checkout, and the draft path.
-- Returns {checkout, draft, placed}.
CREATE FUNCTION sd_test.run(c sd_test.cases, n int) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  t uuid := orders_test.tenant('sd-' || n, c.currency);
  v uuid[] := '{}';
  lines jsonb := '[]';
  addr jsonb := '{"first_name": "Ada", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "DE"}';
  m jsonb;
  p jsonb;
  promo jsonb;
  pid uuid;
  co jsonb;
  d jsonb;
BEGIN
  PERFORM commerce.set_tax_settings(jsonb_build_object('prices_include_tax', c.inclusive,
            'rounding_mode', c.mode, 'rounding_scope', c.scope));
  PERFORM commerce.create_tax_rate(jsonb_build_object('name', 'standard', 'rate_ppm', c.line_rate));
  PERFORM commerce.create_tax_rate(jsonb_build_object('name', 'shipping', 'category', 'shipping',
            'rate_ppm', c.ship_rate));
  FOR i IN 1 .. cardinality(c.amounts) LOOP
    v := v || orders_test.variant(t, 'SKU-' || i, c.amounts[i], c.currency, 1000);
    UPDATE commerce.variants SET weight_grams = c.weights[i] WHERE id = v[i];
    lines := lines || jsonb_build_array(jsonb_build_object('variant_id', v[i], 'quantity', c.quantities[i]));
  END LOOP;
  m := commerce.create_shipping_method(jsonb_strip_nulls(jsonb_build_object('name', 'Ship ' || n,
         'kind', c.kind, 'currency', c.currency, 'amount', c.ship_amount, 'free_over_amount', c.free_over,
         'weight_bands', c.bands, 'countries', '["DE"]'::jsonb, 'tax_category', 'shipping')));
  FOR p IN SELECT x FROM jsonb_array_elements(c.promotions) WITH ORDINALITY a(x, k) ORDER BY k LOOP
    promo := p - '{code,targets}'::text[];
    IF p ? 'targets' THEN
      promo := promo || jsonb_build_object('target_variant_ids',
                 (SELECT jsonb_agg(v[k::int]) FROM jsonb_array_elements_text(p->'targets') k));
    END IF;
    pid := (commerce.create_promotion(promo) ->> 'id')::uuid;
    IF p ? 'code' THEN
      PERFORM commerce.create_promotion_code(pid, jsonb_build_object('code', p->>'code'));
    END IF;
  END LOOP;
  co := commerce.checkout(jsonb_strip_nulls(jsonb_build_object('currency', c.currency, 'lines', lines,
          'shipping_address', addr, 'shipping_method_id', m->>'id', 'discount_code', c.code)));
  d := commerce.create_order(jsonb_build_object('currency', c.currency, 'lines', lines));
  d := commerce.set_order_addresses((d->>'id')::uuid, jsonb_build_object('shipping_address', addr));
  d := commerce.set_shipping_method((d->>'id')::uuid, jsonb_build_object('shipping_method_id', m->>'id'));
  IF c.code IS NOT NULL THEN
    d := commerce.apply_discount_code((d->>'id')::uuid, jsonb_build_object('code', lower(c.code)));
  END IF;
  RETURN jsonb_build_object('checkout', co, 'draft', d,
           'options', commerce.list_shipping_options((d->>'id')::uuid),
           'placed', commerce.place_order((d->>'id')::uuid));
END $$;

CREATE TABLE sd_test.results AS
  SELECT c.*, sd_test.run(c, (row_number() OVER (ORDER BY c.name))::int) AS r
  FROM sd_test.cases c;

-- The figures of an order answer, in the order of the expected columns.
CREATE FUNCTION sd_test.figures(o jsonb) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object(
    'applied', (SELECT jsonb_object_agg(d->>'name', (d->>'amount')::bigint) FROM jsonb_array_elements(o->'discounts') d),
    'line_discounts', (SELECT jsonb_agg((l->>'discount_amount')::bigint ORDER BY k) FROM jsonb_array_elements(o->'lines') WITH ORDINALITY x(l, k)),
    'line_taxes', (SELECT jsonb_agg((l->>'tax_amount')::bigint ORDER BY k) FROM jsonb_array_elements(o->'lines') WITH ORDINALITY x(l, k)),
    'subtotal', (o->>'subtotal')::bigint, 'discount_total', (o->>'discount_total')::bigint,
    'shipping_total', (o->>'shipping_total')::bigint, 'shipping_tax', (o->>'shipping_tax')::bigint,
    'tax_total', (o->>'tax_total')::bigint, 'total', (o->>'total')::bigint) $$;
CREATE FUNCTION sd_test.expected(c sd_test.results) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('applied', c.applied, 'line_discounts', to_jsonb(c.line_discounts),
    'line_taxes', to_jsonb(c.line_taxes), 'subtotal', c.subtotal, 'discount_total', c.discount_total,
    'shipping_total', c.shipping_total, 'shipping_tax', c.shipping_tax, 'tax_total', c.tax_total,
    'total', c.total) $$;

-- 1. checkout gives the hand-worked figures (18 cases)
SELECT is(sd_test.figures(r->'checkout'), sd_test.expected(s), 'checkout: ' || name)
FROM sd_test.results s ORDER BY name;

-- 2. the draft shows them live and place_order snapshots them (18 cases)
SELECT ok(sd_test.figures(r->'draft') = sd_test.expected(s) AND sd_test.figures(r->'placed') = sd_test.expected(s),
          'draft and place_order: ' || name)
FROM sd_test.results s ORDER BY name;

-- the shipping options of the discounted cart price the method as placing does
SELECT is((SELECT count(*) FROM sd_test.results
            WHERE jsonb_array_length(r->'options'->'data') <> 1
               OR (r->'options'->'data'->0->>'amount')::bigint <> shipping_total
               OR (r->'options'->'data'->0->>'tax_amount')::bigint <> shipping_tax
               OR (r->'options'->'data'->0->>'total')::bigint <> total),
          0::bigint, 'list_shipping_options on every discounted cart: the charge, its tax and the total of the case');

-- 3. the sum of its parts, in every answer (checkout, live draft, placed)
SELECT is((SELECT count(*) FROM sd_test.results, LATERAL (VALUES (r->'checkout'), (r->'draft'), (r->'placed')) x(o)
            WHERE (o->>'total')::bigint <> (o->>'subtotal')::bigint - (o->>'discount_total')::bigint
                    + (o->>'shipping_total')::bigint + CASE WHEN inclusive THEN 0 ELSE (o->>'tax_total')::bigint END),
          0::bigint, 'every answer: total = subtotal - discount_total + shipping_total (+ tax_total when exclusive)');
SELECT is((SELECT count(*) FROM sd_test.results, LATERAL (VALUES (r->'checkout'), (r->'draft'), (r->'placed')) x(o)
            WHERE (o->>'subtotal')::bigint IS DISTINCT FROM (SELECT sum((l->>'amount')::bigint) FROM jsonb_array_elements(o->'lines') l)
               OR (o->>'discount_total')::bigint IS DISTINCT FROM (SELECT sum((l->>'discount_amount')::bigint) FROM jsonb_array_elements(o->'lines') l)
               OR (o->>'discount_total')::bigint IS DISTINCT FROM (SELECT sum((d->>'amount')::bigint) FROM jsonb_array_elements(o->'discounts') d)
               OR (o->>'tax_total')::bigint IS DISTINCT FROM (SELECT sum((l->>'tax_amount')::bigint) FROM jsonb_array_elements(o->'lines') l)
                                                               + (o->>'shipping_tax')::bigint
               OR (o->'shipping_method'->>'amount')::bigint IS DISTINCT FROM (o->>'shipping_total')::bigint
               OR (o->'shipping_method'->>'tax_amount')::bigint IS DISTINCT FROM (o->>'shipping_tax')::bigint),
          0::bigint, 'every answer: lines add up to subtotal, discount_total (= its discounts) and tax_total (with shipping_tax)');
SELECT ok((SELECT bool_and((o->>'tax_total')::bigint <= (o->>'total')::bigint)
             FROM sd_test.results, LATERAL (VALUES (r->'checkout'), (r->'placed')) x(o) WHERE inclusive),
          'inclusive prices: the tax is within what the customer pays');

-- 4. the stored rows: the same figures, and they add up
CREATE TABLE sd_test.orders AS
  SELECT s.name, s.inclusive, o.*
    FROM sd_test.results s, LATERAL (VALUES (s.r->'checkout'), (s.r->'placed')) x(a)
    JOIN commerce.orders o ON o.id = (x.a->>'id')::uuid;
SELECT is((SELECT count(*) FROM sd_test.orders), 36::bigint, 'both orders of every case are stored');
SELECT is((SELECT count(*) FROM sd_test.orders o JOIN sd_test.results s USING (name)
            WHERE o.subtotal <> s.subtotal OR o.discount_total <> s.discount_total
               OR o.shipping_total <> s.shipping_total OR o.shipping_tax <> s.shipping_tax
               OR o.tax_total <> s.tax_total OR o.total <> s.total OR o.status <> 'placed'),
          0::bigint, 'every stored order has the figures of its case');
SELECT is((SELECT count(*) FROM sd_test.orders o
            WHERE o.total <> o.subtotal - o.discount_total + o.shipping_total
                             + CASE WHEN o.prices_include_tax THEN 0 ELSE o.tax_total END + o.adjustment_total
               OR o.subtotal IS DISTINCT FROM (SELECT sum(l.amount) FROM commerce.order_lines l WHERE l.tenant_id = o.tenant_id AND l.order_id = o.id)
               OR o.discount_total IS DISTINCT FROM (SELECT sum(l.discount_amount) FROM commerce.order_lines l WHERE l.tenant_id = o.tenant_id AND l.order_id = o.id)
               OR o.discount_total IS DISTINCT FROM (SELECT sum(d.amount) FROM commerce.order_discounts d WHERE d.tenant_id = o.tenant_id AND d.order_id = o.id)
               OR o.tax_total IS DISTINCT FROM (SELECT sum(l.tax_amount) FROM commerce.order_lines l WHERE l.tenant_id = o.tenant_id AND l.order_id = o.id) + o.shipping_tax),
          0::bigint, 'every stored order: total = sum of parts; lines and discount rows add up to the order');
SELECT is((SELECT count(*) FROM sd_test.orders o JOIN sd_test.results s USING (name)
            WHERE s.line_discounts IS DISTINCT FROM (SELECT array_agg(l.discount_amount ORDER BY l.id) FROM commerce.order_lines l WHERE l.tenant_id = o.tenant_id AND l.order_id = o.id)
               OR s.line_taxes IS DISTINCT FROM (SELECT array_agg(l.tax_amount ORDER BY l.id) FROM commerce.order_lines l WHERE l.tenant_id = o.tenant_id AND l.order_id = o.id)
               OR s.applied IS DISTINCT FROM (SELECT jsonb_object_agg(d.name, d.amount) FROM commerce.order_discounts d WHERE d.tenant_id = o.tenant_id AND d.order_id = o.id)),
          0::bigint, 'every stored order: its lines and discount rows are the case''s');
SELECT is_empty($$SELECT * FROM commerce.check_invariants()
                   WHERE invariant IN ('order_total_is_sum_of_parts', 'discount_usage_counted', 'discount_customer_usage_counted')$$,
                'check_invariants: totals are the sum of their parts, code uses counted');

-- 5. the edges the cases are about, named
SELECT ok((SELECT bool_and(shipping_total > 0 AND subtotal >= free_over AND subtotal - discount_total < free_over)
             FROM sd_test.results WHERE kind = 'free_over' AND shipping_total > 0)
          AND (SELECT count(*) FROM sd_test.results WHERE kind = 'free_over' AND shipping_total > 0) = 5,
          'five cases: a discount drops an order that was free over the threshold under it, and shipping is charged');
SELECT is((SELECT count(*) FROM unnest('{JPY,EUR,KWD}'::text[]) c, unnest('{false,true}'::bool[]) i,
                                 unnest('{line,order}'::text[]) sc
            WHERE NOT EXISTS (SELECT 1 FROM sd_test.cases WHERE currency = c AND inclusive = i AND scope = sc)),
          0::bigint, 'coverage: every currency has inclusive and exclusive cases in both rounding scopes');
SELECT * FROM finish();
ROLLBACK;
