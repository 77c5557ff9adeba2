-- test/sql/idempotency_scope_customers.sql — issue 11's first attack: a
-- customer sends another customer's Idempotency-Key with the same body.
-- Keys are scoped to the caller, so it gets an order of its own and is not
-- told it replayed; each customer's own retry still replays its own order.
BEGIN;
SELECT plan(10);
\ir ../fixtures/orders.sql
\ir ../fixtures/idempotency.sql

SELECT * FROM idem_test.shop('idem-cust') \gset
SELECT format('SELECT commerce.create_order(%L, %L)', orders_test.cart(:'v'), 'cart-1') AS create_cart \gset

SET LOCAL ROLE idem_test_gateway;
SELECT idem_test.as_caller(:'t', :'ann', 'customer') AS ok \gset
SELECT idem_test.call(:'create_cart') AS ann_first \gset
SELECT is(:'ann_first'::jsonb #>> '{response,customer_id}', :'ann', 'ann creates her cart with key cart-1');

SELECT idem_test.as_caller(:'t', :'bob', 'customer') AS ok \gset
SELECT idem_test.call(:'create_cart') AS bob_first \gset
SELECT is(:'bob_first'::jsonb #>> '{response,customer_id}', :'bob',
          'bob sending ann''s key with the same body gets an order of his own');
SELECT isnt(:'bob_first'::jsonb #>> '{response,id}', :'ann_first'::jsonb #>> '{response,id}',
            'not ann''s order');
SELECT is(:'bob_first'::jsonb -> 'replayed', 'false'::jsonb, 'and is not told it is a replay');
SELECT is(orders_test.code(format('SELECT commerce.get_order(%L)', :'ann_first'::jsonb #>> '{response,id}')),
          'not_found', 'ann''s order stays out of bob''s reach');

SELECT idem_test.replays(:'create_cart', :'bob_first', 'bob''s own retry replays his own order, flagged');

SELECT idem_test.as_caller(:'t', :'ann', 'customer') AS ok \gset
SELECT idem_test.replays(:'create_cart', :'ann_first', 'ann''s retry still replays hers');
RESET ROLE;

SELECT is((SELECT count(*) FROM commerce.orders WHERE tenant_id = :'t'), 2::bigint,
          'two orders: one per customer, none for the retries');
SELECT is((SELECT array_agg(subject ORDER BY subject) FROM commerce.idempotency_keys
            WHERE tenant_id = :'t' AND key = 'cart-1' AND actor = 'customer'),
          (SELECT array_agg(s ORDER BY s) FROM unnest(ARRAY[:'ann', :'bob']) s),
          'the key is stored once per customer');
SELECT is((SELECT count(*) FROM commerce.idempotency_keys WHERE tenant_id = :'t' AND actor = 'staff'), 0::bigint,
          'and never as a staff key');

SELECT * FROM finish();
ROLLBACK;
