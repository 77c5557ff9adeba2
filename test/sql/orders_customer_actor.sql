-- test/sql/orders_customer_actor.sql — a customer actor (through a
-- commerce_gateway member, as the gateway acts) creates, reads and places
-- only its own orders; staff work (cancel, fulfil, tax) is refused; the
-- tables themselves show it only its own orders and lines.
BEGIN;
SELECT plan(18);
\ir ../fixtures/orders.sql

CREATE ROLE orders_test_gateway NOLOGIN IN ROLE commerce_gateway;
SELECT orders_test.tenant('cust', 'EUR') AS t \gset
SELECT orders_test.variant(:'t', 'CU-1', 700, 'EUR', 50) AS v \gset
SELECT orders_test.customer(:'t', 'ann@example.com') AS ann \gset
SELECT orders_test.customer(:'t', 'bob@example.com') AS bob \gset
-- staff orders for bob, and one without a customer
SELECT (commerce.checkout(orders_test.cart(:'v') || jsonb_build_object('customer_id', :'bob')) ->> 'id') AS bob_order \gset
SELECT (commerce.create_order(orders_test.cart(:'v')) ->> 'id') AS anon_order \gset

SET LOCAL ROLE orders_test_gateway;
SELECT commerce.set_context(:'t', :'ann', 'customer') IS NULL AS ok \gset

SELECT commerce.create_order(orders_test.cart(:'v', 2)) AS ann_order \gset
SELECT is(:'ann_order'::jsonb ->> 'customer_id', :'ann'::text, 'a customer''s order is its own by default');
SELECT is(orders_test.code(format('SELECT commerce.create_order(%L)', orders_test.cart(:'v') || jsonb_build_object('customer_id', :'bob'))),
          'permission_denied', 'ordering for another customer: permission_denied');
SELECT is(orders_test.code(format('SELECT commerce.checkout(%L)', orders_test.cart(:'v') || jsonb_build_object('customer_id', :'bob'))),
          'permission_denied', 'checking out for another customer: permission_denied');
SELECT is(commerce.create_order(orders_test.cart(:'v') || jsonb_build_object('customer_id', :'ann')) ->> 'customer_id', :'ann'::text,
          'naming itself is fine');
SELECT is(commerce.add_order_line((:'ann_order'::jsonb->>'id')::uuid, jsonb_build_object('variant_id', :'v', 'quantity', 1)) -> 'lines' -> 0 ->> 'quantity',
          '3', 'it edits its own cart');
SELECT is(commerce.place_order((:'ann_order'::jsonb->>'id')::uuid) ->> 'status', 'placed', 'it places its own order');
SELECT is(commerce.checkout(orders_test.cart(:'v')) ->> 'status', 'placed', 'it checks out for itself');

SELECT is(orders_test.code(format('SELECT commerce.get_order(%L)', :'bob_order')), 'not_found', 'another customer''s order: not_found');
SELECT is(orders_test.code(format('SELECT commerce.get_order(%L)', :'anon_order')), 'not_found', 'an order without customer: not_found');
SELECT is(orders_test.code(format('SELECT commerce.place_order(%L)', :'anon_order')), 'not_found', 'it cannot place someone else''s cart');
SELECT is(orders_test.code(format('SELECT commerce.add_order_line(%L, %L)', :'anon_order', jsonb_build_object('variant_id', :'v', 'quantity', 1))),
          'not_found', 'it cannot edit someone else''s cart');
SELECT is(orders_test.code(format('SELECT commerce.cancel_order(%L)', (:'ann_order'::jsonb->>'id'))), 'permission_denied', 'cancelling is staff work');
SELECT is(orders_test.code(format('SELECT commerce.fulfil_order(%L)', (:'ann_order'::jsonb->>'id'))), 'permission_denied', 'fulfilling is staff work');
SELECT is(orders_test.code($$SELECT commerce.create_tax_rate('{"name": "x", "rate_ppm": 1}')$$), 'permission_denied', 'tax rates are staff work');

SELECT is((SELECT count(*) FROM commerce.list_orders() l, jsonb_array_elements(l -> 'data') o WHERE o ->> 'customer_id' IS DISTINCT FROM :'ann'::text),
          0::bigint, 'list_orders shows only its own orders');
SELECT is((SELECT count(*) FROM commerce.orders WHERE customer_id IS DISTINCT FROM :'ann'::uuid), 0::bigint, 'the orders table shows only its own rows');
SELECT is((SELECT count(*) FROM commerce.order_lines WHERE order_id IN (:'bob_order'::uuid, :'anon_order'::uuid)), 0::bigint,
          'the order_lines table shows only its own lines');
SELECT is(orders_test.code(format($$UPDATE commerce.orders SET customer_id = %L WHERE customer_id = %L$$, :'bob', :'ann')),
          'sqlstate 42501', 'it cannot hand its order to another customer');

SELECT * FROM finish();
ROLLBACK;
