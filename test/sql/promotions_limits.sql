-- test/sql/promotions_limits.sql — where a code's uses are counted
-- (docs/promotions.md, "Where uses are counted"; extension/promotion_limits.c):
-- a code without a limit is not written by placing (its uses are counted
-- from the orders), a limit set later starts from the uses already taken
-- (total and per customer), cancelling frees a use before and after, a
-- limit removed stops the counters, and a draft placed with a code and a
-- new order's discounts (plain INSERT) are stored the same.
BEGIN;
SELECT plan(29);
\ir ../fixtures/orders.sql

SELECT orders_test.tenant('limits', 'EUR') AS t \gset
SELECT orders_test.variant(:'t', 'L', 1000) AS v \gset
SELECT orders_test.customer(:'t', 'ann@example.com') AS ann \gset
SELECT orders_test.customer(:'t', 'bob@example.com') AS bob \gset
SELECT (commerce.create_promotion('{"name": "Open", "type": "percentage", "percent_ppm": 100000}') ->> 'id') AS p \gset
SELECT (commerce.create_promotion_code(:'p', '{"code": "OPEN"}') ->> 'id') AS c \gset

CREATE FUNCTION pg_temp.buy(who uuid) RETURNS text LANGUAGE sql AS $$
  SELECT orders_test.code(format('SELECT commerce.checkout(%L)',
    jsonb_build_object('currency', 'EUR', 'discount_code', 'open', 'customer_id', who,
                       'lines', jsonb_build_array(jsonb_build_object('variant_id', current_setting('limits.v'), 'quantity', 1)))))
$$;
SELECT set_config('limits.v', :'v', true) IS NOT NULL AS ok \gset
CREATE TEMP TABLE code_row AS SELECT xmin::text AS row_xmin, ctid::text AS row_ctid, used, version FROM commerce.promotion_codes WHERE id = :'c';

-- no limit: placing writes neither the code nor a customer's counter
SELECT is(pg_temp.buy(:'ann') || pg_temp.buy(:'ann') || pg_temp.buy(:'bob') || pg_temp.buy(NULL), 'okokokok',
          'four checkouts with a code without limits');
SELECT is((SELECT count(*) FROM commerce.orders WHERE tenant_id = :'t' AND discount_total = 100), 4::bigint,
          'each carries the discount');
SELECT results_eq($$SELECT xmin::text, ctid::text, used, version FROM commerce.promotion_codes WHERE id = $$ || quote_literal(:'c'),
                  'SELECT * FROM code_row', 'the code''s row was not written (same row version)');
SELECT is((SELECT count(*) FROM commerce.promotion_code_customers WHERE code_id = :'c'), 0::bigint,
          'no per-customer counter without a per-customer limit');
SELECT is(commerce.get_promotion_code(:'c') ->> 'used', '4', 'get_promotion_code counts the 4 uses from the orders');
SELECT is((commerce.list_promotion_codes(:'p') -> 'data' -> 0 ->> 'used'), '4', 'and so does list_promotion_codes');
SELECT is((SELECT count(*) FROM commerce.order_discounts WHERE code_id = :'c' AND amount = 100), 4::bigint,
          'a new order''s discount rows are stored (plain INSERT)');

-- cancelling an order of a code without limit: one use fewer
SELECT (SELECT o.id FROM commerce.orders o JOIN commerce.order_discounts d ON d.order_id = o.id
         WHERE d.code_id = :'c' AND o.customer_id = :'bob') AS bob_order \gset
SELECT commerce.cancel_order(:'bob_order') IS NOT NULL AS ok \gset
SELECT is(commerce.get_promotion_code(:'c') ->> 'used', '3', 'cancelling frees a use of a code without limit');

-- a total limit set after the uses: starts from them, exactly
SELECT is(orders_test.code(format($$SELECT commerce.update_promotion_code(%L, '{"usage_limit": 2}')$$, :'c')),
          'invalid_input', 'a limit below the 3 uses taken: invalid_input');
SELECT is(commerce.update_promotion_code(:'c', '{"usage_limit": 4}') ->> 'used', '3',
          'usage_limit 4 set after 3 uses: used = 3, counted from the orders');
SELECT is((SELECT used FROM commerce.promotion_codes WHERE id = :'c'), 3, 'the counter is stored');
SELECT is(pg_temp.buy(:'bob'), 'ok', 'the 4th use is taken');
SELECT is(pg_temp.buy(:'bob'), 'discount_limit_reached', 'a 5th: discount_limit_reached');
SELECT is((SELECT used FROM commerce.promotion_codes WHERE id = :'c'), 4, 'used = 4 = usage_limit');
SELECT (SELECT o.id FROM commerce.orders o JOIN commerce.order_discounts d ON d.order_id = o.id
         WHERE d.code_id = :'c' AND o.customer_id = :'ann' ORDER BY o.id LIMIT 1) AS ann_order \gset
SELECT commerce.cancel_order(:'ann_order') IS NOT NULL AS ok \gset
SELECT is((SELECT used FROM commerce.promotion_codes WHERE id = :'c'), 3,
          'cancelling an order placed before the limit was set frees its use');
SELECT is(pg_temp.buy(:'ann'), 'ok', 'so one more checkout is placed');
SELECT is(pg_temp.buy(:'ann'), 'discount_limit_reached', 'and then the limit holds again');

-- a per-customer limit set after the uses: each customer's counter from the orders
SELECT is(commerce.update_promotion_code(:'c', '{"usage_limit": null, "per_customer_limit": 2}') ->> 'per_customer_limit', '2',
          'per_customer_limit 2 set (and the total limit removed)');
SELECT results_eq(format($$SELECT customer_id, used FROM commerce.promotion_code_customers WHERE code_id = %L ORDER BY used$$, :'c'),
                  format($$VALUES (%L::uuid, 1), (%L::uuid, 2)$$, :'bob', :'ann'),
                  'the customers'' counters start from their live orders (bob 1, ann 2: cancelled ones not counted)');
SELECT is(commerce.get_promotion_code(:'c') ->> 'used', '4', 'without a total limit the uses are counted again (4 live orders)');
SELECT is(pg_temp.buy(:'ann'), 'discount_limit_reached', 'ann is at her per-customer limit');
SELECT is(pg_temp.buy(NULL), 'discount_not_applicable', 'a guest cannot use a code with a per-customer limit');
SELECT (SELECT o.id FROM commerce.orders o JOIN commerce.order_discounts d ON d.order_id = o.id
         WHERE d.code_id = :'c' AND o.customer_id = :'ann' AND o.status = 'placed' ORDER BY o.id LIMIT 1) AS ann_order2 \gset
SELECT commerce.cancel_order(:'ann_order2') IS NOT NULL AS ok \gset
SELECT is((SELECT used FROM commerce.promotion_code_customers WHERE code_id = :'c' AND customer_id = :'ann'), 1,
          'cancelling frees ann''s per-customer use');
SELECT is(pg_temp.buy(:'ann'), 'ok', 'so ann can use the code once more');
SELECT is(commerce.update_promotion_code(:'c', '{"per_customer_limit": null}') ->> 'per_customer_limit', NULL,
          'per_customer_limit removed');
SELECT is((SELECT count(*) FROM commerce.promotion_code_customers WHERE code_id = :'c'), 0::bigint,
          'the customers'' counters are dropped with it');
SELECT is(pg_temp.buy(:'ann'), 'ok', 'and ann is no longer limited');

-- a draft placed with a code without limit (ON CONFLICT path), counted alike
SELECT (commerce.create_order(jsonb_build_object('currency', 'EUR', 'customer_id', :'bob', 'lines',
          jsonb_build_array(jsonb_build_object('variant_id', :'v', 'quantity', 1)))) ->> 'id') AS draft \gset
SELECT commerce.apply_discount_code(:'draft', '{"code": "OPEN"}') IS NOT NULL AS ok \gset
SELECT is(commerce.place_order(:'draft') ->> 'discount_total', '100', 'a cart with the code is placed');
SELECT is(commerce.get_promotion_code(:'c') ->> 'used', '6', 'its use is counted (6 live orders)');

SELECT * FROM finish();
ROLLBACK;
