-- test/sql/payments_declines.sql — the provider registry: the test provider
-- declines amounts ending in 02 with the attempt recorded, committed with
-- the command, and the order unchanged; a plugin provider registered from
-- SQL; a provider's malformed answer; unknown providers.
BEGIN;
\ir ../fixtures/payments.sql
SELECT plan(52);

CREATE ROLE dec_admin IN ROLE commerce_admin;
CREATE ROLE dec_partner;
SET LOCAL ROLE dec_admin;
SELECT commerce.create_tenant('pay-dec', 'Declines', 'EUR') AS tenant \gset
SELECT commerce.bind_role('dec_partner', :'tenant');
RESET ROLE;

SELECT payments_test.order(:'tenant', 5000) AS o1 \gset
SELECT payments_test.order(:'tenant', 5000) AS o2 \gset
SELECT payments_test.order(:'tenant', 5000) AS o3 \gset

-- The built-in handlers themselves.
SELECT is(commerce.payment_provider_test('{"operation": "authorize", "amount": 1002, "transaction_id": "01900000-0000-7000-8000-000000000001"}'),
          '{"approved": false, "reference": "test_01900000-0000-7000-8000-000000000001", "decline_code": "card_declined"}'::jsonb,
          'test provider declines 1002');
SELECT is(commerce.payment_provider_test('{"operation": "capture", "amount": 1003, "transaction_id": "01900000-0000-7000-8000-000000000001"}') -> 'approved',
          'true'::jsonb, 'test provider approves 1003');
SELECT is(commerce.payment_provider_test('{"operation": "refund", "amount": 2, "transaction_id": "01900000-0000-7000-8000-000000000001"}') -> 'approved',
          'false'::jsonb, 'test provider declines 2 (ends in 02)');
SELECT is(commerce.payment_provider_test('{"operation": "capture", "amount": 12, "transaction_id": "01900000-0000-7000-8000-000000000001"}') -> 'approved',
          'true'::jsonb, 'test provider approves 12 (ends in 12)');
SELECT is(commerce.payment_provider_test('{"operation": "void", "amount": 1002, "transaction_id": "01900000-0000-7000-8000-000000000001"}') -> 'approved',
          'true'::jsonb, 'test provider never declines a void');
SELECT is(commerce.payment_provider_manual('{"operation": "authorize", "amount": 1002, "transaction_id": "01900000-0000-7000-8000-000000000001"}') -> 'approved',
          'true'::jsonb, 'manual provider approves 1002');
SELECT throws_ok($$SELECT commerce.payment_provider_manual('{"amount": 1}')$$, '22023', NULL, 'a request without operation is invalid');

SET LOCAL ROLE dec_partner;

-- A declined authorization: recorded, not raised; the order unchanged.
SELECT version AS o1_version FROM commerce.orders WHERE id = :'o1' \gset
SELECT commerce.authorize_payment(:'o1', '{"provider": "test", "amount": 1002}') AS d \gset
SELECT is(current_setting('commerce.response_error', true), 'payment_declined', 'a decline tells the gateway: payment_declined (HTTP 402)');
SELECT is(:'d'::jsonb ->> 'status', 'declined', 'declined payment: status declined');
SELECT is(:'d'::jsonb ->> 'decline_code', 'card_declined', 'declined payment: decline code');
SELECT is((:'d'::jsonb ->> 'amount')::bigint, 1002::bigint, 'declined payment: the amount asked');
SELECT is((:'d'::jsonb ->> 'amount_authorized')::bigint, 0::bigint, 'declined payment: nothing authorized');
SELECT is(:'d'::jsonb #>> '{transaction,status}', 'declined', 'the returned attempt is declined');
SELECT is((SELECT kind || ':' || status || ':' || amount || ':' || decline_code || ':' || provider
           FROM commerce.payment_transactions WHERE payment_id = (:'d'::jsonb ->> 'id')::uuid),
          'authorize:declined:1002:card_declined:test', 'the declined attempt is recorded');
SELECT is((SELECT payment_status || ':' || status || ':' || version FROM commerce.orders WHERE id = :'o1'),
          'unpaid:placed:' || :'o1_version', 'the order is unchanged by the decline');
SELECT is(payments_test.code(format($$SELECT commerce.capture_payment(%L)$$, :'d'::jsonb ->> 'id')),
          'invalid_transition', 'a declined payment cannot be captured');
SELECT is(payments_test.code(format($$SELECT commerce.void_payment(%L)$$, :'d'::jsonb ->> 'id')),
          'invalid_transition', 'a declined payment cannot be voided');
SELECT is((SELECT count(*) FROM commerce.payment_transactions WHERE payment_id = (:'d'::jsonb ->> 'id')::uuid), 1::bigint,
          'refused commands on the declined payment record nothing');

-- An approved one clears the signal; the decline did not use up the balance.
SELECT commerce.authorize_payment(:'o1', '{"provider": "test"}') AS a \gset
SELECT is(current_setting('commerce.response_error', true), '', 'an approved payment command clears the signal');
SELECT is((:'a'::jsonb ->> 'amount_authorized')::bigint, 5000::bigint, 'after a decline the whole total is still due');
SELECT (:'a'::jsonb ->> 'id') AS p \gset

-- A declined capture: recorded, payment unchanged.
SELECT commerce.capture_payment(:'p', '{"amount": 1502}') AS dc \gset
SELECT is(current_setting('commerce.response_error', true), 'payment_declined', 'declined capture signals payment_declined');
SELECT is(:'dc'::jsonb ->> 'status', 'authorized', 'declined capture: the payment stays authorized');
SELECT is((:'dc'::jsonb ->> 'amount_captured')::bigint, 0::bigint, 'declined capture: nothing captured');
SELECT is((:'dc'::jsonb ->> 'version')::bigint, 1::bigint, 'declined capture: version unchanged');
SELECT is(:'dc'::jsonb #>> '{transaction,kind}', 'capture', 'declined capture: the attempt is a capture');
SELECT is(:'dc'::jsonb #>> '{transaction,status}', 'declined', 'declined capture: the attempt is declined');
SELECT is((SELECT payment_status FROM commerce.orders WHERE id = :'o1'), 'authorized', 'declined capture: order unchanged');
SELECT commerce.capture_payment(:'p', '{"amount": 1500}') AS c \gset
SELECT is((:'c'::jsonb ->> 'amount_captured')::bigint, 1500::bigint, 'then a capture of 1500 succeeds');

-- A declined refund.
SELECT commerce.refund_payment(:'p', '{"amount": 102}') AS dr \gset
SELECT is(:'dr'::jsonb #>> '{transaction,status}', 'declined', 'declined refund recorded');
SELECT is((:'dr'::jsonb ->> 'amount_refunded')::bigint, 0::bigint, 'declined refund: nothing refunded');
SELECT is((SELECT array_agg(type ORDER BY id) FROM commerce.outbox WHERE aggregate_id = :'p'),
          ARRAY['payment.authorized', 'payment.declined', 'payment.captured', 'payment.declined'],
          'declines are announced as payment.declined');
SELECT is((SELECT array_agg(type) FROM commerce.outbox WHERE aggregate_id = (:'d'::jsonb ->> 'id')::uuid),
          ARRAY['payment.declined'], 'a declined authorization emits payment.declined only');
SELECT is((SELECT array_agg(kind || ':' || status ORDER BY id) FROM commerce.payment_transactions WHERE payment_id = :'p'),
          ARRAY['authorize:succeeded', 'capture:declined', 'capture:succeeded', 'refund:declined'],
          'every attempt is recorded, declined ones included');

-- Providers that do not exist or are not well-behaved.
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": "nope"}')$$, :'o2')),
          'unknown_payment_provider', 'unknown provider');
RESET ROLE;

-- A plugin provider, registered from SQL.
CREATE SCHEMA dec_plugin;
CREATE FUNCTION dec_plugin.strict_bank(request jsonb) RETURNS jsonb LANGUAGE sql AS $$
  SELECT CASE WHEN (request ->> 'amount')::bigint > 1000
    THEN jsonb_build_object('approved', false, 'reference', 'sb-' || (request ->> 'operation'), 'decline_code', 'insufficient_funds')
    ELSE jsonb_build_object('approved', true, 'reference', 'sb-' || (request ->> 'operation') || '-' || (request ->> 'amount')) END
$$;
CREATE FUNCTION dec_plugin.broken(request jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{"ok": 1}'::jsonb $$;
CREATE FUNCTION dec_plugin.wrong_type(request text) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{}'::jsonb $$;
CREATE FUNCTION dec_plugin.no_void(request jsonb) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('approved', request ->> 'operation' <> 'void', 'decline_code', 'void_refused')
$$;
CREATE FUNCTION dec_plugin.private(request jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{"approved": true}'::jsonb $$;
REVOKE EXECUTE ON FUNCTION dec_plugin.private(jsonb) FROM PUBLIC;
GRANT USAGE ON SCHEMA dec_plugin TO PUBLIC;
SET LOCAL ROLE dec_admin;
SELECT lives_ok($$SELECT commerce.register_payment_provider('strict_bank', 'dec_plugin.strict_bank(jsonb)', 'Declines above 1000')$$, 'admin registers a plugin provider');
SELECT lives_ok($$SELECT commerce.register_payment_provider('broken', 'dec_plugin.broken(jsonb)')$$, 'admin registers a broken provider');
SELECT lives_ok($$SELECT commerce.register_payment_provider('private', 'dec_plugin.private(jsonb)')$$, 'admin registers a provider whose handler is not public');
SELECT lives_ok($$SELECT commerce.register_payment_provider('no_void', 'dec_plugin.no_void(jsonb)')$$, 'admin registers a provider that refuses voids');
SELECT is(payments_test.code($$SELECT commerce.register_payment_provider('bad', 'dec_plugin.wrong_type(text)')$$),
          'invalid_input', 'a handler must take jsonb');
SELECT is(payments_test.code($$SELECT commerce.register_payment_provider('manual', 'dec_plugin.broken(jsonb)')$$),
          'invalid_input', 'a built-in cannot be replaced');
SELECT is(payments_test.code($$SELECT commerce.register_payment_provider('Bad Name', 'dec_plugin.broken(jsonb)')$$),
          'invalid_input', 'provider names are checked');
RESET ROLE;
SET LOCAL ROLE dec_partner;
SELECT throws_ok($$SELECT commerce.register_payment_provider('mine', 'dec_plugin.broken(jsonb)')$$, '42501', NULL,
                 'a partner cannot register providers');
SELECT commerce.authorize_payment(:'o2', '{"provider": "strict_bank", "amount": 1001}') AS sb \gset
SELECT is(:'sb'::jsonb ->> 'decline_code', 'insufficient_funds', 'the plugin''s decline code is kept');
SELECT is(current_setting('commerce.response_error', true), 'payment_declined', 'a plugin decline signals payment_declined');
SELECT commerce.authorize_payment(:'o2', '{"provider": "strict_bank", "amount": 1000}') AS sb2 \gset
SELECT is(:'sb2'::jsonb ->> 'provider_reference', 'sb-authorize-1000', 'the plugin approves and its reference is kept');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": "broken", "amount": 10}')$$, :'o2')),
          'payment_provider_error', 'a malformed answer: payment_provider_error');
SELECT throws_ok(format($$SELECT commerce.authorize_payment(%L, '{"provider": "broken", "amount": 10}')$$, :'o2'), 'PC502', NULL,
                 'payment_provider_error is SQLSTATE PC502');
SELECT is(payments_test.code(format($$SELECT commerce.authorize_payment(%L, '{"provider": "private", "amount": 10}')$$, :'o2')),
          'permission_denied', 'the caller must be allowed to EXECUTE the handler');
SELECT is((SELECT count(*) FROM commerce.payments WHERE order_id = :'o2'), 2::bigint, 'the malformed answer left no payment');
-- A provider refusing the void of an open authorization stops the cancel.
SELECT commerce.authorize_payment(:'o3', '{"provider": "no_void"}') ->> 'id' AS pv \gset
SELECT is(payments_test.code(format($$SELECT commerce.cancel_order(%L)$$, :'o3')), 'payment_declined',
          'cancel with an authorization the provider will not void: payment_declined');
SELECT throws_ok(format($$SELECT commerce.cancel_order(%L)$$, :'o3'), 'PC402', NULL, 'payment_declined is SQLSTATE PC402');
SELECT is((SELECT o.status || ':' || p.status FROM commerce.orders o JOIN commerce.payments p ON p.order_id = o.id WHERE o.id = :'o3'),
          'placed:authorized', 'the order stays placed and the authorization open');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
