-- sql/src/520_payments.sql — payments of orders (extension/payments.c) and
-- the payment provider registry (extension/payment_providers.c).
--
-- One row of commerce.payments per authorization; every attempt made
-- through a provider (authorize, capture, void, refund — declined ones
-- included) is a row of commerce.payment_transactions. Amounts are bigint
-- minor units in the order's currency; the CHECK constraints restate the
-- invariants the commands enforce (captured + voided <= authorized,
-- refunded <= captured) so no write path can break them. docs/payments.md
-- explains states, providers and declines.

-- Providers: platform-wide, not tenant data. A provider is a row naming a
-- SQL function handler(request jsonb) RETURNS jsonb; plugins add rows with
-- commerce.register_payment_provider.
CREATE TABLE commerce.payment_providers (
  name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
  handler     regprocedure NOT NULL,
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  enabled     boolean NOT NULL DEFAULT true,
  builtin     boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE commerce.payment_providers IS
  'Payment providers: name and the SQL function handler(request jsonb) RETURNS jsonb that performs authorize/capture/void/refund. Built-ins: manual (always approves), test (declines amounts ending in 02).';
GRANT SELECT ON commerce.payment_providers TO PUBLIC;
GRANT INSERT, UPDATE ON commerce.payment_providers TO commerce_admin;
-- Plugins' providers are data to dump; the built-ins come with the script.
-- Providers are platform rows: a full dump carries the registered ones, a
-- tenant's export (current_tenant() is set) none.
SELECT pg_catalog.pg_extension_config_dump('commerce.payment_providers',
  'WHERE NOT builtin AND commerce.current_tenant() IS NULL');

CREATE FUNCTION commerce.payment_provider_manual(request jsonb) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_payment_provider_manual'
    LANGUAGE C STRICT IMMUTABLE;
COMMENT ON FUNCTION commerce.payment_provider_manual(jsonb) IS
  'Built-in provider "manual": approves every operation; the reference is "manual_" and the transaction id. Example: SELECT commerce.payment_provider_manual(''{"operation": "authorize", "amount": 1000, "transaction_id": "0190..."}''); Errors: invalid_input (22023) when operation or transaction_id is missing.';

CREATE FUNCTION commerce.payment_provider_test(request jsonb) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_payment_provider_test'
    LANGUAGE C STRICT IMMUTABLE;
COMMENT ON FUNCTION commerce.payment_provider_test(jsonb) IS
  'Built-in provider "test": declines (decline_code "card_declined") an authorize, capture or refund whose amount ends in 02 (amount % 100 = 2), approves everything else; voids always succeed. Example: SELECT commerce.payment_provider_test(''{"operation": "authorize", "amount": 1002, "transaction_id": "0190..."}''); Errors: invalid_input (22023).';

INSERT INTO commerce.payment_providers (name, handler, description, builtin) VALUES
  ('manual', 'commerce.payment_provider_manual(jsonb)', 'Always approves: cash, bank transfer, offline card terminals.', true),
  ('test', 'commerce.payment_provider_test(jsonb)', 'For tests: declines amounts ending in 02, approves the rest.', true);

CREATE FUNCTION commerce.register_payment_provider(name text, handler regprocedure,
                                                   description text DEFAULT '')
    RETURNS void
    AS 'MODULE_PATHNAME', 'commerce_register_payment_provider'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.register_payment_provider(text, regprocedure, text) IS
  'Register or replace a payment provider (commerce_admin only): handler(request jsonb) RETURNS jsonb answers {"approved": bool, "reference": text, "decline_code": text}. Example: SELECT commerce.register_payment_provider(''acmepay'', ''acmepay.handle(jsonb)'', ''Acme Pay''); Errors: permission_denied (42501), invalid_input (22023: bad name, handler not taking jsonb and returning jsonb, or replacing a built-in).';
REVOKE ALL ON FUNCTION commerce.register_payment_provider(text, regprocedure, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION commerce.register_payment_provider(text, regprocedure, text) TO commerce_admin;

-- Payments: one per authorization. customer_id is the order's customer,
-- copied so the customer-actor policy needs no join.
CREATE TABLE commerce.payments (
  tenant_id          uuid NOT NULL REFERENCES commerce.tenants (id),
  id                 uuid NOT NULL,
  order_id           uuid NOT NULL,
  customer_id        uuid,
  provider           text NOT NULL REFERENCES commerce.payment_providers (name),
  provider_reference text,
  status             text NOT NULL CHECK (status IN ('authorized', 'partially_captured', 'captured',
                                                     'partially_refunded', 'refunded', 'voided', 'declined')),
  currency           text NOT NULL REFERENCES commerce.currencies (code),
  amount             bigint NOT NULL CHECK (amount > 0),
  amount_authorized  bigint NOT NULL CHECK (amount_authorized >= 0),
  amount_captured    bigint NOT NULL DEFAULT 0 CHECK (amount_captured >= 0),
  amount_voided      bigint NOT NULL DEFAULT 0 CHECK (amount_voided >= 0),
  amount_refunded    bigint NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0),
  decline_code       text,
  version            bigint NOT NULL DEFAULT 1,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES commerce.orders (tenant_id, id),
  CONSTRAINT payments_capture_within_authorized
    CHECK (amount_captured + amount_voided <= amount_authorized),
  CONSTRAINT payments_refund_within_captured CHECK (amount_refunded <= amount_captured),
  CONSTRAINT payments_declined_authorizes_nothing
    CHECK ((status = 'declined') = (amount_authorized = 0))
);
CREATE INDEX payments_order_idx ON commerce.payments (tenant_id, order_id, id);
COMMENT ON TABLE commerce.payments IS
  'One row per authorization of an order (declined authorizations included, status declined). Written only through commerce.authorize_payment, capture_payment, void_payment, refund_payment.';
SELECT commerce.enable_tenancy('commerce.payments');

-- Every attempt through a provider, declined ones included.
CREATE TABLE commerce.payment_transactions (
  tenant_id          uuid NOT NULL REFERENCES commerce.tenants (id),
  id                 uuid NOT NULL,
  payment_id         uuid NOT NULL,
  order_id           uuid NOT NULL,
  customer_id        uuid,
  kind               text NOT NULL CHECK (kind IN ('authorize', 'capture', 'void', 'refund')),
  status             text NOT NULL CHECK (status IN ('succeeded', 'declined')),
  amount             bigint NOT NULL CHECK (amount >= 0),
  currency           text NOT NULL REFERENCES commerce.currencies (code),
  provider           text NOT NULL REFERENCES commerce.payment_providers (name),
  provider_reference text,
  decline_code       text,
  reason             text CHECK (length(reason) <= 500),
  provider_response  jsonb,
  created_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, payment_id) REFERENCES commerce.payments (tenant_id, id),
  CHECK ((status = 'declined') = (decline_code IS NOT NULL))
);
CREATE INDEX payment_transactions_payment_idx
  ON commerce.payment_transactions (tenant_id, payment_id, id);
COMMENT ON TABLE commerce.payment_transactions IS
  'Every authorize, capture, void and refund attempt made through a provider, declined attempts included, with the provider reference and amount.';
SELECT commerce.enable_tenancy('commerce.payment_transactions');

-- A customer actor sees and creates only payments of its own orders, a
-- storefront only those of its granted guest cart; staff the tenant's.
-- Payments and their attempts are a financial record: no one deletes them
-- (no DELETE policy: a DELETE finds no row, as for another tenant's rows).
-- Permissive policies only, each starting with the tenant (120_enable_tenancy.sql).
SELECT commerce.install_tenant_policies(t,
  'commerce.current_actor() OPERATOR(pg_catalog.=) ''staff'''
  ' OR customer_id::text OPERATOR(pg_catalog.=) commerce.current_subject()'
  ' OR order_id OPERATOR(pg_catalog.=) commerce.current_cart_id()',
  'commerce.current_actor() OPERATOR(pg_catalog.=) ''staff'''
  ' OR customer_id::text OPERATOR(pg_catalog.=) commerce.current_subject()'
  ' OR order_id OPERATOR(pg_catalog.=) commerce.current_cart_id()',
  NULL)
FROM (VALUES ('commerce.payments'::regclass), ('commerce.payment_transactions')) v(t);

CREATE FUNCTION commerce.authorize_payment(order_id uuid, data jsonb DEFAULT '{}',
                                           idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_authorize_payment'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.authorize_payment(uuid, jsonb, text) IS
  'Authorize a payment for a placed (or fulfilled, unpaid) order through a provider: data {"provider": "manual", "amount": 1000 (optional, default the amount still due)}; returns the payment with "transaction" (the attempt). A decline returns the payment with status "declined" (recorded, committed, order unchanged) and sets commerce.response_error = payment_declined (HTTP 402). Example: SELECT commerce.authorize_payment(''0190...'', ''{"provider": "manual"}'', ''key-1''); Errors: not_found (P0002), invalid_transition (55000: order not placed or fulfilled), payment_exceeds_balance (55000), unknown_payment_provider (22023), invalid_input (22023), payment_provider_error (PC502).';

CREATE FUNCTION commerce.capture_payment(id uuid, data jsonb DEFAULT '{}',
                                         expected_version bigint DEFAULT NULL,
                                         idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_capture_payment'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.capture_payment(uuid, jsonb, bigint, text) IS
  'Capture part or all of an authorization: data {"amount": 500 (optional, default the uncaptured remainder)}; several partial captures allowed, never above the authorized amount (exact under concurrency). Example: SELECT commerce.capture_payment(''0190...'', ''{"amount": 500}'', NULL, ''key-2''); Errors: not_found, permission_denied (customer actor), invalid_transition (55000: voided or declined payment), capture_exceeds_authorized (55000), version_conflict (40001), invalid_input, payment_provider_error; a decline as for authorize_payment.';

CREATE FUNCTION commerce.void_payment(id uuid, expected_version bigint DEFAULT NULL,
                                      idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_void_payment'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.void_payment(uuid, bigint, text) IS
  'Release the uncaptured remainder of an authorization. Example: SELECT commerce.void_payment(''0190...'', NULL, ''key-3''); Errors: not_found, permission_denied (customer actor), invalid_transition (55000: nothing left to void), version_conflict, payment_provider_error; a decline as for authorize_payment.';

CREATE FUNCTION commerce.refund_payment(id uuid, data jsonb DEFAULT '{}',
                                        expected_version bigint DEFAULT NULL,
                                        idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_refund_payment'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.refund_payment(uuid, jsonb, bigint, text) IS
  'Refund part or all of the captured amount: data {"amount": 300 (optional, default all not yet refunded), "reason": "text"}; several partial refunds allowed, never above the captured amount. Example: SELECT commerce.refund_payment(''0190...'', ''{"amount": 300}'', NULL, ''key-4''); Errors: not_found, permission_denied (customer actor), invalid_transition (55000: nothing captured), refund_exceeds_captured (55000), version_conflict, invalid_input, payment_provider_error; a decline as for authorize_payment.';

CREATE FUNCTION commerce.get_payment(id uuid) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_get_payment'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.get_payment(uuid) IS
  'A payment with its transactions (oldest first). Example: SELECT commerce.get_payment(''0190...''); Errors: not_found (P0002; also for another tenant''s or, for a customer actor, another customer''s payment).';

CREATE FUNCTION commerce.list_order_payments(order_id uuid, lim int DEFAULT 50,
                                             after text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_list_order_payments'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.list_order_payments(uuid, int, text) IS
  'The payments of an order, oldest first: {"data": [...], "next_cursor": text|null}. Example: SELECT commerce.list_order_payments(''0190...'', 50, NULL); Errors: not_found (order), invalid_input (lim outside 1..200, malformed cursor).';

INSERT INTO commerce.error_codes (code, sqlstate, http_status, description) VALUES
  ('payment_declined',           'PC402', 402, 'The payment provider declined the operation; the attempt is recorded (docs/payments.md).'),
  ('capture_exceeds_authorized', '55000', 409, 'The capture is larger than what is left of the authorization.'),
  ('refund_exceeds_captured',    '55000', 409, 'The refund is larger than what is captured and not yet refunded.'),
  ('payment_exceeds_balance',    '55000', 409, 'The authorization is larger than what is still due on the order.'),
  ('unknown_payment_provider',   '22023', 422, 'No enabled payment provider has this name.'),
  ('payment_provider_error',     'PC502', 502, 'The payment provider''s handler gave an answer that is not {"approved": bool, ...}.')
ON CONFLICT (code) DO NOTHING;
INSERT INTO commerce.error_codes (code, sqlstate, http_status, description) VALUES
  ('invalid_transition', '55000', 409, 'The object''s current state does not allow this operation.')
ON CONFLICT (code) DO NOTHING;
