-- plugins/loyalty/test/loyalty.sql — the example plugin end to end, inside
-- one transaction (run by test/sql/plugins_loyalty.sql): CREATE EXTENSION
-- registers it, tenant A enables it (B does not), the minimum order value
-- rejects, paid orders earn points, points redeem as a discount line, and
-- DROP EXTENSION leaves no row of it in any core table.
BEGIN;
SELECT plan(17);
\ir ../../../test/fixtures/orders.sql

SELECT orders_test.tenant('loy-b', 'EUR') AS b \gset
SELECT orders_test.variant(:'b', 'LB-1', 1000, 'EUR', 100) AS vb \gset
SELECT orders_test.tenant('loy-a', 'EUR') AS a \gset
SELECT orders_test.variant(:'a', 'LA-1', 1000, 'EUR', 100) AS va \gset
SELECT orders_test.customer(:'a', 'loyal@example.com') AS ca \gset

CREATE EXTENSION loyalty;
SELECT is((SELECT extension FROM commerce.plugins WHERE name = 'loyalty'), true, 'CREATE EXTENSION registers the plugin');
SELECT is((SELECT count(*) FROM commerce.routes WHERE plugin = 'loyalty'), 2::bigint, 'its routes belong to it');
SELECT is((SELECT plugin FROM commerce.hooks WHERE name = 'loyalty'), 'loyalty', 'its hook belongs to it');
SELECT is((SELECT plugin FROM commerce.subscriptions WHERE name = 'loyalty_award'), 'loyalty', 'its subscription belongs to it');

SELECT commerce.set_context(:'a', 'staff-1', 'staff');
SELECT commerce.enable_plugin('loyalty');
SELECT is(loyalty.set_settings('{"min_order_value": 1500}') ->> 'min_order_value', '1500', 'A sets a minimum order value');

-- below the minimum: rejected with the plugin's code
SELECT commerce.create_order(orders_test.cart(:'va', 1) || jsonb_build_object('customer_id', :'ca')) ->> 'id' AS small \gset
SELECT is(orders_test.code(format('SELECT commerce.place_order(%L)', :'small')), 'loyalty_below_minimum_order',
          'A: an order under the minimum is rejected with the plugin''s code');
SELECT is((SELECT status FROM commerce.orders WHERE id = :'small'), 'draft', 'and stays a draft');

-- B did not enable it: no minimum
SELECT commerce.set_context(:'b', 'staff-1', 'staff');
SELECT commerce.create_order(orders_test.cart(:'vb', 1)) ->> 'id' AS bsmall \gset
SELECT is(commerce.place_order(:'bsmall') ->> 'status', 'placed', 'B: the same order is placed');
SELECT is(orders_test.code($$SELECT loyalty.get_account(commerce.uuid_generate_v7())$$), 'not_found', 'B: unknown customer is not_found');

-- earning: the subscription's handler as the dispatcher would call it
SELECT commerce.set_context(:'a', 'staff-1', 'staff');
SELECT commerce.checkout(orders_test.cart(:'va', 3) || jsonb_build_object('customer_id', :'ca')) AS paid \gset
SET LOCAL ROLE loyalty_plugin;
SELECT loyalty.award(jsonb_build_object('type', 'order.paid', 'aggregate_id', :'paid'::jsonb ->> 'id', 'data', :'paid'::jsonb));
SELECT loyalty.award(jsonb_build_object('type', 'order.paid', 'aggregate_id', :'paid'::jsonb ->> 'id', 'data', :'paid'::jsonb));
RESET ROLE;
SELECT is(loyalty.get_account(:'ca') ->> 'points', ((:'paid'::jsonb ->> 'total')::bigint / 100)::text,
          'a paid order earns points once, however often it is delivered');

-- redeeming: 5 points as a discount line
SELECT commerce.checkout(orders_test.cart(:'va', 2) || jsonb_build_object('customer_id', :'ca', 'metadata', '{"loyalty_redeem": 5}'::jsonb)) AS redeemed \gset
SELECT is((:'redeemed'::jsonb ->> 'total')::bigint,
          (:'redeemed'::jsonb ->> 'subtotal')::bigint + (:'redeemed'::jsonb ->> 'tax_total')::bigint - 5,
          'redeemed points lower the total');
SELECT is((SELECT code || ':' || amount FROM commerce.order_adjustments WHERE order_id = (:'redeemed'::jsonb ->> 'id')::uuid),
          'loyalty.redeem:5', 'as a discount line of the plugin');
SELECT is((loyalty.get_account(:'ca') ->> 'redeemed'), '5', 'the points are spent');
SELECT is(orders_test.code(format($$SELECT commerce.checkout(orders_test.cart(%L, 2) || jsonb_build_object('customer_id', %L, 'metadata', '{"loyalty_redeem": 100000}'::jsonb))$$, :'va', :'ca')),
          'loyalty_not_enough_points', 'more points than the customer has: rejected');

-- the plugin's role cannot write core tables
SET LOCAL ROLE loyalty_plugin;
SELECT throws_ok($$UPDATE commerce.orders SET total = 0$$, '42501', NULL, 'loyalty_plugin may not write commerce.orders');
RESET ROLE;

-- DROP EXTENSION: nothing of it left in any core table
DROP EXTENSION loyalty;
SELECT is((SELECT count(*) FROM commerce.plugins WHERE name = 'loyalty')
        + (SELECT count(*) FROM commerce.routes WHERE plugin = 'loyalty' OR handler::text LIKE 'loyalty.%')
        + (SELECT count(*) FROM commerce.hooks WHERE plugin = 'loyalty')
        + (SELECT count(*) FROM commerce.subscriptions WHERE plugin = 'loyalty' OR name = 'loyalty_award'),
          0::bigint, 'DROP EXTENSION: no plugin, route, hook or subscription row left');
SELECT is((SELECT count(*) FROM commerce.plugin_tenants WHERE plugin = 'loyalty'), 0::bigint,
          'DROP EXTENSION: no tenant enablement left');

SELECT * FROM finish();
ROLLBACK;
