-- test/sql/payments_access.sql — strict input, idempotent replay, version
-- checks, order states, tenant isolation (another tenant's ids are
-- not_found), the customer actor, pagination, and the order cancel hook
-- voiding open authorizations.
BEGIN;
\ir ../fixtures/payments.sql
SELECT plan(62);

CREATE ROLE acc_admin IN ROLE commerce_admin;
CREATE ROLE acc_gateway IN ROLE commerce_gateway;
CREATE ROLE acc_partner_a;
CREATE ROLE acc_partner_b;
SET LOCAL ROLE acc_admin;
SELECT commerce.create_tenant('pay-acc-a', 'A', 'EUR') AS a \gset
SELECT commerce.create_tenant('pay-acc-b', 'B', 'EUR') AS b \gset
SELECT commerce.bind_role('acc_partner_a', :'a');
SELECT commerce.bind_role('acc_partner_b', :'b');
RESET ROLE;

SELECT payments_test.order(:'a', 10000) AS o1 \gset
SELECT payments_test.order(:'a', 10000, 'EUR', NULL, 'draft') AS draft \gset
SELECT payments_test.order(:'a', 10000, 'EUR', NULL, 'cancelled') AS cancelled \gset
SELECT payments_test.order(:'b', 10000) AS ob \gset
SELECT orders_test.customer(:'a', 'one@example.com') AS cust1 \gset
SELECT orders_test.customer(:'a', 'two@example.com') AS cust2 \gset
SELECT payments_test.order(:'a', 4000, 'EUR', :'cust1') AS oc1 \gset
SELECT payments_test.order(:'a', 4000, 'EUR', :'cust2') AS oc2 \gset
SELECT payments_test.order(:'a', 9000) AS ocancel \gset
SELECT payments_test.order(:'a', 3000) AS ofulfilled \gset
SELECT commerce.fulfil_order(:'ofulfilled') AS f \gset
SELECT payments_test.order(:'a', 2000) AS opaid \gset
SELECT commerce.set_context(:'a');
SELECT commerce.capture_payment((commerce.authorize_payment(:'opaid', '{"provider": "manual"}') ->> 'id')::uuid) AS c \gset

SET LOCAL ROLE acc_partner_a;

-- Strict input: nothing written.
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": "manual", "colour": "red"}')$$, :'o1')),
          'invalid_input', 'unknown field');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": "manual", "amount": "100"}')$$, :'o1')),
          'invalid_input', 'amount as a string');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": "manual", "amount": 1.5}')$$, :'o1')),
          'invalid_input', 'fractional amount');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"amount": 100}')$$, :'o1')),
          'invalid_input', 'missing provider');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": 7}')$$, :'o1')),
          'invalid_input', 'provider as a number');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, %L)$$, :'o1', json_build_object('provider', repeat('m', 64)))),
          'invalid_input', 'oversized provider name');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '[1]')$$, :'o1')),
          'invalid_input', 'data must be an object');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, NULL)$$, :'o1')),
          'invalid_input', 'data must not be null');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": "manual", "amount": -5}')$$, :'o1')),
          'negative_amount', 'negative amount');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": "manual", "amount": 0}')$$, :'o1')),
          'invalid_input', 'zero amount');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": "manual", "amount": 10001}')$$, :'o1')),
          'payment_exceeds_balance', 'more than the order total');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": "manual"}', '')$$, :'o1')),
          'invalid_idempotency_key', 'empty idempotency key');
SELECT is((SELECT count(*) FROM commerce.payments WHERE order_id = :'o1'), 0::bigint, 'no payment was written by bad input');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": "manual"}')$$, :'draft')),
          'invalid_transition', 'a draft order cannot be paid');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": "manual"}')$$, :'cancelled')),
          'invalid_transition', 'a cancelled order cannot be paid');
SELECT is((commerce.authorize_payment(:'ofulfilled', '{"provider": "manual"}') ->> 'amount_authorized')::bigint, 3000::bigint,
          'an order fulfilled before payment can be paid');
SELECT is((SELECT status FROM commerce.orders WHERE id = :'opaid'), 'paid', 'fixture: a paid order');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": "manual"}')$$, :'opaid')),
          'invalid_transition', 'a paid order cannot be paid again');
SELECT throws_ok(format($$SELECT commerce.authorize_payment(%L, '{"provider": "manual"}')$$, :'draft'), '55000', NULL,
                 'invalid_transition is SQLSTATE 55000');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": "manual"}')$$, commerce.uuid_generate_v7())),
          'not_found', 'unknown order');

-- Idempotent replay.
SELECT commerce.authorize_payment(:'o1', '{"provider": "manual", "amount": 6000}', 'auth-1') AS first \gset
SELECT is(commerce.authorize_payment(:'o1', '{"provider": "manual", "amount": 6000}', 'auth-1'), :'first'::jsonb,
          'replay returns the first response');
SELECT is(current_setting('commerce.idempotent_replayed', true), 'true', 'replay is flagged for the gateway');
SELECT is((SELECT count(*) FROM commerce.payments WHERE order_id = :'o1'), 1::bigint, 'replay authorized nothing more');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": "manual", "amount": 5000}', 'auth-1')$$, :'o1')),
          'idempotency_key_reused', 'same key, another request');
SELECT (:'first'::jsonb ->> 'id') AS p1 \gset
SELECT commerce.capture_payment(:'p1', '{"amount": 1000}', NULL, 'cap-1') AS cap \gset
SELECT is(commerce.capture_payment(:'p1', '{"amount": 1000}', NULL, 'cap-1'), :'cap'::jsonb, 'capture replay: same response');
SELECT is((SELECT amount_captured FROM commerce.payments WHERE id = :'p1'), 1000::bigint, 'capture replay captured once');
SELECT is(payments_test.code(format($$SELECT commerce.refund_payment(%L, '{"amount": 1000}', NULL, 'cap-1')$$, :'p1')),
          'idempotency_key_reused', 'a capture key cannot be reused for a refund');
SELECT commerce.refund_payment(:'p1', '{"amount": 400}', NULL, 'ref-1') AS ref \gset
SELECT is(commerce.refund_payment(:'p1', '{"amount": 400}', NULL, 'ref-1'), :'ref'::jsonb, 'refund replay: same response');
SELECT is((SELECT amount_refunded FROM commerce.payments WHERE id = :'p1'), 400::bigint, 'refund replay refunded once');
-- A declined response is replayed as a decline.
SELECT commerce.authorize_payment(:'o1', '{"provider": "test", "amount": 302}', 'auth-declined') AS dec \gset
SELECT set_config('commerce.response_error', '', true) AS reset \gset
SELECT is(commerce.authorize_payment(:'o1', '{"provider": "test", "amount": 302}', 'auth-declined'), :'dec'::jsonb,
          'declined replay: same response');
SELECT is(current_setting('commerce.response_error', true), 'payment_declined', 'declined replay still signals the decline');
SELECT is((SELECT count(*) FROM commerce.payment_transactions WHERE order_id = :'o1' AND status = 'declined'), 1::bigint,
          'declined replay recorded no second attempt');

-- Version checks.
SELECT is(payments_test.code(format($$SELECT commerce.capture_payment(%L, '{"amount": 10}', 1)$$, :'p1')),
          'version_conflict', 'capture with a stale expected_version');
SELECT throws_ok(format($$SELECT commerce.void_payment(%L, 99)$$, :'p1'), '40001', NULL, 'version_conflict is SQLSTATE 40001');
SELECT is((commerce.capture_payment(:'p1', '{"amount": 10}', 3) ->> 'version')::bigint, 4::bigint,
          'capture with the current expected_version');
SELECT is(payments_test.code(format($$SELECT commerce.capture_payment(%L, '{"amount": 10, "extra": 1}')$$, :'p1')),
          'invalid_input', 'capture: unknown field');
SELECT is(payments_test.code(format($$SELECT commerce.refund_payment(%L, %L)$$, :'p1', json_build_object('reason', repeat('r', 501)))),
          'invalid_input', 'refund: oversized reason');

-- Lists and pagination.
SELECT commerce.authorize_payment(:'o1', '{"provider": "manual", "amount": 100}') ->> 'id' AS p2 \gset
SELECT commerce.list_order_payments(:'o1', 2) AS page1 \gset
SELECT is(jsonb_array_length(:'page1'::jsonb -> 'data'), 2, 'first page holds 2 payments');
SELECT is(:'page1'::jsonb -> 'data' -> 0 ->> 'id', :'p1', 'oldest first');
SELECT is(:'page1'::jsonb ->> 'next_cursor', :'page1'::jsonb -> 'data' -> 1 ->> 'id', 'next_cursor is the last id of the page');
SELECT is(commerce.list_order_payments(:'o1', 2, :'page1'::jsonb ->> 'next_cursor'),
          jsonb_build_object('data', jsonb_build_array(commerce.get_payment(:'p2') - 'transactions'), 'next_cursor', NULL),
          'second page: the last payment and no cursor');
SELECT is(payments_test.code(format($$SELECT commerce.list_order_payments(%L, 0)$$, :'o1')), 'invalid_input', 'lim 0');
SELECT is(payments_test.code(format($$SELECT commerce.list_order_payments(%L, 50, 'garbage')$$, :'o1')), 'invalid_input', 'bad cursor');

RESET ROLE;

-- Another tenant: every id of tenant A is not_found for tenant B.
SET LOCAL ROLE acc_partner_b;
SELECT is(payments_test.code(format($$SELECT commerce.get_payment(%L)$$, :'p1')), 'not_found', 'B cannot get A''s payment');
SELECT is(payments_test.code(format($$SELECT commerce.capture_payment(%L, '{"amount": 1}')$$, :'p1')), 'not_found', 'B cannot capture A''s payment');
SELECT is(payments_test.code(format($$SELECT commerce.void_payment(%L)$$, :'p1')), 'not_found', 'B cannot void A''s payment');
SELECT is(payments_test.code(format($$SELECT commerce.refund_payment(%L, '{"amount": 1}')$$, :'p1')), 'not_found', 'B cannot refund A''s payment');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": "manual"}')$$, :'o1')), 'not_found', 'B cannot pay A''s order');
SELECT is(payments_test.code(format($$SELECT commerce.list_order_payments(%L)$$, :'o1')), 'not_found', 'B cannot list A''s order payments');
SELECT is((SELECT count(*) FROM commerce.payments) + (SELECT count(*) FROM commerce.payment_transactions), 0::bigint, 'B sees no rows of A');
RESET ROLE;

-- A customer actor: its own orders' payments only; no capture, void or refund.
SET LOCAL ROLE acc_gateway;
SELECT commerce.set_context(:'a', :'cust1', 'customer');
SELECT commerce.authorize_payment(:'oc1', '{"provider": "manual"}') ->> 'id' AS pc1 \gset
SELECT is((SELECT customer_id FROM commerce.payments WHERE id = :'pc1'), :'cust1'::uuid, 'a customer pays its own order');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": "manual"}')$$, :'oc2')), 'not_found', 'a customer cannot pay another customer''s order');
SELECT is(payments_test.code(format($$SELECT commerce.capture_payment(%L)$$, :'pc1')), 'permission_denied', 'a customer cannot capture');
SELECT is(payments_test.code(format($$SELECT commerce.capture_payment(%L, '{"amount": 1000}', NULL, 'cap-1')$$, :'p1')),
          'permission_denied', 'nor replay a staff capture by its key');
SELECT is(payments_test.code(format($$SELECT commerce.get_payment(%L)$$, :'p1')), 'not_found', 'a customer cannot see a payment of an order not its own');
SELECT is((SELECT count(*) FROM commerce.payments), 1::bigint, 'a customer reads only its own payments');
SELECT commerce.set_context(:'a', NULL, 'staff');
SELECT is((SELECT count(*) FROM commerce.payments), 6::bigint, 'staff reads all the tenant''s payments');
RESET ROLE;

-- Cancelling an order voids its open authorizations (the order cancel hook).
SET LOCAL ROLE acc_partner_a;
SELECT throws_ok('DELETE FROM commerce.payment_transactions', '42501', NULL, 'payment attempts cannot be deleted with SQL');
SELECT throws_ok('DELETE FROM commerce.payments', '42501', NULL, 'nor payments');
SELECT is((SELECT count(*) || ':' || (SELECT count(*) FROM commerce.payment_transactions) FROM commerce.payments),
          '6:10', 'payments and attempts are a record: nothing removed, even in the own tenant');
SELECT commerce.authorize_payment(:'ocancel', '{"provider": "manual", "amount": 5000}') ->> 'id' AS pk1 \gset
SELECT commerce.authorize_payment(:'ocancel', '{"provider": "manual", "amount": 4000}') ->> 'id' AS pk2 \gset
SELECT commerce.void_payment(:'pk2') AS v \gset
SELECT commerce.cancel_order(:'ocancel') AS cancelled_order \gset
SELECT is((SELECT status || ':' || amount_voided FROM commerce.payments WHERE id = :'pk1'), 'voided:5000',
          'cancel voided the open authorization');
SELECT is((SELECT count(*) FROM commerce.payment_transactions WHERE payment_id = :'pk2' AND kind = 'void'), 1::bigint,
          'an already voided payment is left alone');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
