-- test/sql/payments_lifecycle.sql — authorize, partial and several captures,
-- void of the remainder, partial and several refunds, their limits, and the
-- order's payment_status and status following the captured and refunded
-- totals.
BEGIN;
\ir ../fixtures/payments.sql
SELECT plan(63);

CREATE ROLE pay_admin IN ROLE commerce_admin;
CREATE ROLE pay_partner;
SET LOCAL ROLE pay_admin;
SELECT commerce.create_tenant('pay-life', 'Payments', 'EUR') AS tenant \gset
SELECT commerce.bind_role('pay_partner', :'tenant');
RESET ROLE;


SELECT payments_test.order(:'tenant', 10000) AS o1 \gset
SELECT payments_test.order(:'tenant', 5000) AS o2 \gset
SELECT payments_test.order(:'tenant', 700, 'JPY') AS o3 \gset

SET LOCAL ROLE pay_partner;

-- Authorize: default amount is the order total, in the order's currency.
SELECT commerce.authorize_payment(:'o1', '{"provider": "manual"}') AS auth \gset
SELECT (:'auth'::jsonb ->> 'id') AS p1 \gset
SELECT is(:'auth'::jsonb ->> 'status', 'authorized', 'authorize: status authorized');
SELECT is((:'auth'::jsonb ->> 'amount_authorized')::bigint, 10000::bigint, 'authorize: default amount is the order total');
SELECT is(:'auth'::jsonb ->> 'currency', 'EUR', 'authorize: currency is the order''s');
SELECT is(:'auth'::jsonb ->> 'order_id', :'o1', 'authorize: order_id');
SELECT is((:'auth'::jsonb ->> 'amount_capturable')::bigint, 10000::bigint, 'authorize: all capturable');
SELECT is((:'auth'::jsonb ->> 'version')::bigint, 1::bigint, 'authorize: version 1');
SELECT is(:'auth'::jsonb #>> '{transaction,kind}', 'authorize', 'authorize: the attempt is returned');
SELECT is(:'auth'::jsonb #>> '{transaction,status}', 'succeeded', 'authorize: the attempt succeeded');
SELECT is(:'auth'::jsonb ->> 'provider_reference', 'manual_' || (:'auth'::jsonb #>> '{transaction,id}'),
          'authorize: provider reference from the manual provider');
SELECT ok(:'auth'::jsonb ->> 'created_at' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$', 'timestamps are RFC 3339 UTC');
SELECT is((SELECT payment_status FROM commerce.orders WHERE id = :'o1'), 'authorized', 'order payment_status authorized');
SELECT is((SELECT status FROM commerce.orders WHERE id = :'o1'), 'placed', 'order still placed');

-- Partial and several captures.
SELECT commerce.capture_payment(:'p1', '{"amount": 3000}') AS c1 \gset
SELECT is(:'c1'::jsonb ->> 'status', 'partially_captured', 'capture 3000: partially captured');
SELECT is((:'c1'::jsonb ->> 'amount_captured')::bigint, 3000::bigint, 'capture 3000: captured 3000');
SELECT is((:'c1'::jsonb ->> 'amount_capturable')::bigint, 7000::bigint, 'capture 3000: 7000 left');
SELECT is((:'c1'::jsonb ->> 'version')::bigint, 2::bigint, 'capture bumps the version');
SELECT is(:'c1'::jsonb #>> '{transaction,amount}', '3000', 'capture: the attempt carries the amount');
SELECT is((SELECT payment_status FROM commerce.orders WHERE id = :'o1'), 'partially_paid', 'order partially paid');
SELECT is((SELECT status FROM commerce.orders WHERE id = :'o1'), 'placed', 'order still placed while partially paid');
SELECT is((commerce.capture_payment(:'p1', '{"amount": 2000}') ->> 'amount_captured')::bigint, 5000::bigint, 'second capture: 5000 captured');
SELECT is(payments_test.code(format($$SELECT commerce.capture_payment(%L, '{"amount": 5001}')$$, :'p1')),
          'capture_exceeds_authorized', 'capture above the remainder: capture_exceeds_authorized');
SELECT throws_ok(format($$SELECT commerce.capture_payment(%L, '{"amount": 5001}')$$, :'p1'), '55000', NULL, 'capture_exceeds_authorized is SQLSTATE 55000');
SELECT is((SELECT amount_captured FROM commerce.payments WHERE id = :'p1'), 5000::bigint, 'the refused capture changed nothing');
SELECT commerce.capture_payment(:'p1') AS c3 \gset
SELECT is((:'c3'::jsonb ->> 'amount_captured')::bigint, 10000::bigint, 'capture without amount takes the remainder');
SELECT is(:'c3'::jsonb ->> 'status', 'captured', 'fully captured');
SELECT is((SELECT payment_status FROM commerce.orders WHERE id = :'o1'), 'paid', 'order payment_status paid');
SELECT is((SELECT status FROM commerce.orders WHERE id = :'o1'), 'paid', 'order moved to paid');
SELECT is(payments_test.code(format($$SELECT commerce.capture_payment(%L, '{"amount": 1}')$$, :'p1')),
          'capture_exceeds_authorized', 'nothing left to capture');
SELECT is(payments_test.code(format($$SELECT commerce.void_payment(%L)$$, :'p1')),
          'invalid_transition', 'a fully captured payment has nothing to void');

-- Partial and several refunds.
SELECT commerce.refund_payment(:'p1', '{"amount": 1000, "reason": "damaged"}') AS r1 \gset
SELECT is(:'r1'::jsonb ->> 'status', 'partially_refunded', 'refund 1000: partially refunded');
SELECT is((:'r1'::jsonb ->> 'amount_refunded')::bigint, 1000::bigint, 'refund 1000: refunded 1000');
SELECT is(:'r1'::jsonb #>> '{transaction,reason}', 'damaged', 'refund reason kept on the attempt');
SELECT is((SELECT payment_status FROM commerce.orders WHERE id = :'o1'), 'partially_refunded', 'order partially refunded');
SELECT is((SELECT status FROM commerce.orders WHERE id = :'o1'), 'paid', 'order still paid');
SELECT is((commerce.refund_payment(:'p1', '{"amount": 2000}') ->> 'amount_refunded')::bigint, 3000::bigint, 'second refund: 3000 refunded');
SELECT is(payments_test.code(format($$SELECT commerce.refund_payment(%L, '{"amount": 7001}')$$, :'p1')),
          'refund_exceeds_captured', 'refund above the captured remainder: refund_exceeds_captured');
SELECT throws_ok(format($$SELECT commerce.refund_payment(%L, '{"amount": 7001}')$$, :'p1'), '55000', NULL, 'refund_exceeds_captured is SQLSTATE 55000');
SELECT commerce.refund_payment(:'p1') AS r3 \gset
SELECT is((:'r3'::jsonb ->> 'amount_refunded')::bigint, 10000::bigint, 'refund without amount refunds the rest');
SELECT is(:'r3'::jsonb ->> 'status', 'refunded', 'payment refunded');
SELECT is((:'r3'::jsonb ->> 'amount_refundable')::bigint, 0::bigint, 'nothing left to refund');
SELECT is((SELECT payment_status FROM commerce.orders WHERE id = :'o1'), 'refunded', 'order payment_status refunded');
SELECT is((SELECT status FROM commerce.orders WHERE id = :'o1'), 'refunded', 'order moved to refunded');
SELECT is(payments_test.code(format($$SELECT commerce.refund_payment(%L, '{"amount": 1}')$$, :'p1')),
          'refund_exceeds_captured', 'nothing left to refund');
SELECT is((SELECT array_agg(kind || ':' || status || ':' || amount ORDER BY id) FROM commerce.payment_transactions WHERE payment_id = :'p1'),
          ARRAY['authorize:succeeded:10000', 'capture:succeeded:3000', 'capture:succeeded:2000', 'capture:succeeded:5000',
                'refund:succeeded:1000', 'refund:succeeded:2000', 'refund:succeeded:7000'],
          'every successful attempt is recorded, in order; refused commands record nothing');
SELECT is((commerce.get_payment(:'p1') -> 'transactions') -> 6 ->> 'amount', '7000', 'get_payment lists the transactions');
SELECT is((SELECT array_agg(type ORDER BY id) FROM commerce.outbox WHERE aggregate_id = :'p1'),
          ARRAY['payment.authorized', 'payment.captured', 'payment.captured', 'payment.captured',
                'payment.refunded', 'payment.refunded', 'payment.refunded'],
          'one outbox event per change, in the same transaction');
SELECT is((SELECT data #>> '{transaction,amount}' || ':' || (data ->> 'amount_captured') || ':' || aggregate_type
           FROM commerce.outbox WHERE aggregate_id = :'p1' AND type = 'payment.captured' ORDER BY id LIMIT 1),
          '3000:3000:payment', 'the event carries the payment and the attempt');
SELECT is(commerce.get_payment(:'p1') ->> 'version', '7', 'six changes: version 7');

-- Void of the uncaptured remainder after a partial capture.
SELECT commerce.authorize_payment(:'o2', '{"provider": "manual", "amount": 5000}') ->> 'id' AS p2 \gset
SELECT commerce.capture_payment(:'p2', '{"amount": 2000}') AS c \gset
SELECT commerce.void_payment(:'p2') AS v2 \gset
SELECT is(:'v2'::jsonb ->> 'status', 'captured', 'void after a partial capture: captured');
SELECT is((:'v2'::jsonb ->> 'amount_voided')::bigint, 3000::bigint, 'void releases the 3000 not captured');
SELECT is((:'v2'::jsonb ->> 'amount_capturable')::bigint, 0::bigint, 'nothing capturable after the void');
SELECT is(:'v2'::jsonb #>> '{transaction,kind}', 'void', 'the void attempt is returned');
SELECT is(payments_test.code(format($$SELECT commerce.capture_payment(%L, '{"amount": 1}')$$, :'p2')),
          'capture_exceeds_authorized', 'no capture after the remainder was voided');
SELECT is(payments_test.code(format($$SELECT commerce.void_payment(%L)$$, :'p2')),
          'invalid_transition', 'a second void: invalid_transition');
SELECT is((SELECT payment_status FROM commerce.orders WHERE id = :'o2'), 'partially_paid', 'order o2 partially paid after the void');
-- What is due can be authorized again.
SELECT commerce.authorize_payment(:'o2', '{"provider": "manual"}') AS again \gset
SELECT is((:'again'::jsonb ->> 'amount_authorized')::bigint, 3000::bigint, 'a new authorization defaults to what is still due');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": "manual", "amount": 1}')$$, :'o2')),
          'payment_exceeds_balance', 'nothing more can be authorized than is due');
SELECT commerce.capture_payment((:'again'::jsonb ->> 'id')::uuid) AS c \gset
SELECT is((SELECT status FROM commerce.orders WHERE id = :'o2'), 'paid', 'two payments together pay the order');

-- A voided authorization: no capture, no refund. JPY has no minor digits.
SELECT commerce.authorize_payment(:'o3', '{"provider": "manual"}') ->> 'id' AS p3 \gset
SELECT is((SELECT currency || ':' || amount_authorized FROM commerce.payments WHERE id = :'p3'), 'JPY:700', 'JPY order: JPY payment');
SELECT commerce.void_payment(:'p3') AS v3 \gset
SELECT is(:'v3'::jsonb ->> 'status', 'voided', 'void of an uncaptured authorization: voided');
SELECT is((SELECT payment_status FROM commerce.orders WHERE id = :'o3'), 'unpaid', 'order unpaid again after the void');
SELECT is(payments_test.code(format($$SELECT commerce.capture_payment(%L)$$, :'p3')),
          'invalid_transition', 'capture of a voided payment: invalid_transition');
SELECT is(payments_test.code(format($$SELECT commerce.refund_payment(%L)$$, :'p3')),
          'invalid_transition', 'refund of a voided payment: invalid_transition');

RESET ROLE;
SELECT * FROM finish();
ROLLBACK;
