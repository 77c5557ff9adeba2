-- test/sql/idempotency_scope_staff_customer.sql — issue 11's second attack:
-- a customer replays a key that staff used, hoping for the order staff made
-- for someone else. Staff and customer keys are different scopes, both
-- ways: the command runs for the caller as if the key were new.
BEGIN;
SELECT plan(8);
\ir ../fixtures/orders.sql
\ir ../fixtures/idempotency.sql

SELECT * FROM idem_test.shop('idem-staff') \gset
SELECT format('SELECT commerce.create_order(%L, %L)', orders_test.cart(:'v') || jsonb_build_object('customer_id', :'bob'),
              'order-for-bob') AS for_bob,
       format('SELECT commerce.create_order(%L, %L)', orders_test.cart(:'v'), 'plain-cart') AS plain_cart \gset

SET LOCAL ROLE idem_test_gateway;
-- staff (a gateway token with sub staff-1) orders for bob, and a plain cart
SELECT idem_test.as_caller(:'t', 'staff-1') AS ok \gset
SELECT idem_test.call(:'for_bob') AS staff_bob \gset
SELECT idem_test.call(:'plain_cart') AS staff_plain \gset
SELECT is(:'staff_bob'::jsonb #>> '{response,customer_id}', :'bob', 'staff ordered for bob with key order-for-bob');

-- ann replays staff's keys and bodies
SELECT idem_test.as_caller(:'t', :'ann', 'customer') AS ok \gset
SELECT is(orders_test.code(:'for_bob'), 'permission_denied',
          'ann with staff''s key and body: the command runs for her (ordering for bob is refused), no replay of bob''s order');
SELECT idem_test.call(:'plain_cart') AS ann_plain \gset
SELECT is(:'ann_plain'::jsonb #>> '{response,customer_id}', :'ann', 'ann with staff''s plain-cart key gets her own cart');
SELECT isnt(:'ann_plain'::jsonb #>> '{response,id}', :'staff_plain'::jsonb #>> '{response,id}', 'not staff''s');
SELECT is(:'ann_plain'::jsonb -> 'replayed', 'false'::jsonb, 'not flagged as a replay');

-- and the other way: staff sending ann's key is not replayed ann's cart
SELECT idem_test.call(format('SELECT commerce.create_order(%L, %L)', orders_test.cart(:'v'), 'ann-key')) AS ann_own \gset
SELECT idem_test.as_caller(:'t', 'staff-1') AS ok \gset
SELECT idem_test.call(format('SELECT commerce.create_order(%L, %L)', orders_test.cart(:'v'), 'ann-key')) AS staff_ann_key \gset
SELECT ok(:'staff_ann_key'::jsonb #>> '{response,customer_id}' IS NULL
          AND :'staff_ann_key'::jsonb #>> '{response,id}' <> :'ann_own'::jsonb #>> '{response,id}',
          'staff with ann''s key gets a cart of its own, without customer');
SELECT is(:'staff_ann_key'::jsonb -> 'replayed', 'false'::jsonb, 'not flagged as a replay');
RESET ROLE;

SELECT is((SELECT count(*) FROM commerce.orders WHERE tenant_id = :'t'), 5::bigint,
          'five orders: staff''s two, ann''s two, staff''s third; the refused one wrote nothing');

SELECT * FROM finish();
ROLLBACK;
