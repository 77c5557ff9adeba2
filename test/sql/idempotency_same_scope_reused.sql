-- test/sql/idempotency_same_scope_reused.sql — within one scope a key still
-- names one request: the same caller sending it with another request gets
-- idempotency_key_reused, whoever else has used the key for what.
BEGIN;
SELECT plan(6);
\ir ../fixtures/orders.sql
\ir ../fixtures/idempotency.sql

SELECT * FROM idem_test.shop('idem-reused') \gset

SET LOCAL ROLE idem_test_gateway;
SELECT idem_test.as_caller(:'t', :'ann', 'customer') AS ok \gset
SELECT idem_test.call(format('SELECT commerce.create_order(%L, %L)', orders_test.cart(:'v', 1), 'k-1')) AS ann_first \gset
SELECT is(orders_test.code(format('SELECT commerce.create_order(%L, %L)', orders_test.cart(:'v', 2), 'k-1')),
          'idempotency_key_reused', 'a customer''s key with another body: idempotency_key_reused');
SELECT throws_ok(format('SELECT commerce.checkout(%L, %L)', orders_test.cart(:'v', 1), 'k-1'), '22023', NULL,
                 'with another command: 22023 as well');

-- bob's use of the same key with another body is a key of his own
SELECT idem_test.as_caller(:'t', :'bob', 'customer') AS ok \gset
SELECT is(idem_test.call(format('SELECT commerce.create_order(%L, %L)', orders_test.cart(:'v', 2), 'k-1')) #>> '{response,customer_id}',
          :'bob', 'another customer with the key and another body: runs normally for him');
SELECT is(orders_test.code(format('SELECT commerce.create_order(%L, %L)', orders_test.cart(:'v', 3), 'k-1')),
          'idempotency_key_reused', 'and then it is his: another body is idempotency_key_reused');

SELECT idem_test.as_caller(:'t', 'staff-1') AS ok \gset
SELECT idem_test.call($$SELECT commerce.create_customer_group('{"name": "VIP"}', 'k-2')$$) AS staff_first \gset
SELECT is(orders_test.code($$SELECT commerce.create_customer_group('{"name": "Gold"}', 'k-2')$$),
          'idempotency_key_reused', 'staff''s key with another body: idempotency_key_reused');
RESET ROLE;

SELECT is((SELECT count(*) FROM commerce.orders WHERE tenant_id = :'t'), 2::bigint,
          'the refused requests wrote nothing: ann''s and bob''s orders only');

SELECT * FROM finish();
ROLLBACK;
