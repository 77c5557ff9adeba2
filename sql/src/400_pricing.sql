-- sql/src/400_pricing.sql — price lists, prices (minimum-quantity tiers) and
-- price resolution (extension/price_lists.c, extension/prices.c,
-- extension/resolve_price.c). Amounts are bigint minor units of the list's
-- currency. The resolution rules are in docs/pricing.md.

CREATE TABLE commerce.price_lists (
  tenant_id         uuid NOT NULL REFERENCES commerce.tenants (id),
  id                uuid NOT NULL,
  name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description       text CHECK (length(description) <= 2000),
  currency          text NOT NULL REFERENCES commerce.currencies (code),
  customer_group_id uuid,
  valid_from        timestamptz,
  valid_until       timestamptz,
  priority          integer NOT NULL DEFAULT 0,
  status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  version           bigint NOT NULL DEFAULT 1,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT price_lists_validity_check
    CHECK (valid_from IS NULL OR valid_until IS NULL OR valid_from < valid_until),
  FOREIGN KEY (tenant_id, customer_group_id) REFERENCES commerce.customer_groups (tenant_id, id)
);
CREATE INDEX price_lists_customer_group_idx ON commerce.price_lists (tenant_id, customer_group_id)
  WHERE customer_group_id IS NOT NULL;
COMMENT ON TABLE commerce.price_lists IS 'Price lists: one currency, optionally one customer group, a validity window [valid_from, valid_until) and a priority. See docs/pricing.md.';
SELECT commerce.enable_tenancy('commerce.price_lists');

CREATE TABLE commerce.prices (
  tenant_id     uuid NOT NULL,
  id            uuid NOT NULL,
  price_list_id uuid NOT NULL,
  variant_id    uuid NOT NULL,
  min_quantity  integer NOT NULL DEFAULT 1 CHECK (min_quantity >= 1),
  amount        bigint NOT NULL CHECK (amount >= 0),
  version       bigint NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  -- one amount per tier of a variant in a list; also lists a list's prices
  CONSTRAINT prices_tier_key UNIQUE (tenant_id, price_list_id, variant_id, min_quantity),
  FOREIGN KEY (tenant_id, price_list_id) REFERENCES commerce.price_lists (tenant_id, id)
    ON DELETE CASCADE,
  -- a variant's prices go with it
  FOREIGN KEY (tenant_id, variant_id) REFERENCES commerce.variants (tenant_id, id)
    ON DELETE CASCADE
);
-- resolve_price: every tier of one variant, across lists
CREATE INDEX prices_variant_idx ON commerce.prices (tenant_id, variant_id, min_quantity)
  INCLUDE (price_list_id, amount);
COMMENT ON TABLE commerce.prices IS 'Tier prices: the amount (minor units of the list''s currency) of one variant in one price list from min_quantity units up.';
SELECT commerce.enable_tenancy('commerce.prices');

INSERT INTO commerce.error_codes (code, sqlstate, http_status, description) VALUES
  ('no_price', 'P0002', 404, 'No price list in this currency has a price for the variant at this quantity, time and customer.');

-- Customers (actor customer) and storefronts read prices; only staff write
-- them (permissive policies only: 120_enable_tenancy.sql).
SELECT commerce.install_tenant_policies(t, 'true',
  'commerce.current_actor() OPERATOR(pg_catalog.=) ''staff''',
  'commerce.current_actor() OPERATOR(pg_catalog.=) ''staff''')
FROM (VALUES ('commerce.price_lists'::regclass), ('commerce.prices')) v(t);

CREATE FUNCTION commerce.resolve_price(variant uuid, currency text, quantity integer,
                                       customer uuid DEFAULT NULL,
                                       at timestamptz DEFAULT pg_catalog.now())
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_resolve_price'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.resolve_price(uuid, text, integer, uuid, timestamptz) IS
  'The price of quantity units of a variant (docs/pricing.md): SELECT commerce.resolve_price(''0190...''::uuid, ''EUR'', 3) -> {"variant_id","currency","quantity","unit_amount","amount","price_list_id","min_quantity"}. customer selects its group''s lists; at defaults to now(). Errors: no_price (P0002), not_found (P0002: variant, customer), unknown_currency (22023), invalid_input (22023: quantity < 1), amount_overflow (22003), permission_denied (42501: a customer actor naming another customer).';

CREATE FUNCTION commerce.create_price_list(data jsonb, idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_create_price_list'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.create_price_list(jsonb, text) IS
  'Create a price list (staff): SELECT commerce.create_price_list(''{"name": "Retail EUR", "currency": "EUR", "priority": 10}''); data: name (required, 1-200), currency (required, ISO 4217), description, customer_group_id, valid_from, valid_until (RFC 3339, from < until), priority (integer, default 0), status (active|inactive, default active). Emits price_list.created. Errors: invalid_input (22023), unknown_currency (22023), not_found (P0002: customer group), permission_denied (42501), idempotency errors.';

CREATE FUNCTION commerce.update_price_list(id uuid, data jsonb,
                                           expected_version bigint DEFAULT NULL,
                                           idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_update_price_list'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.update_price_list(uuid, jsonb, bigint, text) IS
  'Change fields of a price list (staff): SELECT commerce.update_price_list(''0190...''::uuid, ''{"priority": 20}'', 1); null clears an optional field. Bumps version; emits price_list.updated. Errors: not_found (P0002), version_conflict (40001), invalid_input (22023), unknown_currency (22023), currency_mismatch (22023: currency change while the list has prices), permission_denied (42501).';

CREATE FUNCTION commerce.get_price_list(id uuid) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_get_price_list'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.get_price_list(uuid) IS
  'A price list: SELECT commerce.get_price_list(''0190...''::uuid). Errors: not_found (P0002).';

CREATE FUNCTION commerce.list_price_lists(lim integer DEFAULT 50, after text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_list_price_lists'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.list_price_lists(integer, text) IS
  'The tenant''s price lists, oldest first: SELECT commerce.list_price_lists(50) -> {"data": [...], "next_cursor": text|null}; pass next_cursor as after for the next page. Errors: invalid_input (22023: lim outside 1..200, bad cursor).';

CREATE FUNCTION commerce.set_price(price_list uuid, data jsonb, idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_set_price'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.set_price(uuid, jsonb, text) IS
  'Create or replace a tier price (staff): SELECT commerce.set_price(''0190...''::uuid, ''{"variant_id": "0190...", "amount": 1999, "min_quantity": 10}''); amount in minor units of the list''s currency, min_quantity default 1, optional currency must equal the list''s. Emits price.set. Errors: invalid_input (22023), negative_amount (22023), amount_overflow (22003), currency_mismatch (22023), unknown_currency (22023), not_found (P0002: list, variant), permission_denied (42501).';

CREATE FUNCTION commerce.remove_price(price_list uuid, price uuid, idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_remove_price'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.remove_price(uuid, uuid, text) IS
  'Remove a tier price from a list (staff) and return it: SELECT commerce.remove_price(''0190...''::uuid, ''0190...''::uuid). Emits price.removed. Errors: not_found (P0002: list, price), permission_denied (42501).';

CREATE FUNCTION commerce.list_prices(price_list uuid, lim integer DEFAULT 50, after text DEFAULT NULL)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_list_prices'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.list_prices(uuid, integer, text) IS
  'The prices of a list, oldest first: SELECT commerce.list_prices(''0190...''::uuid) -> {"data": [...], "next_cursor": text|null}. Errors: not_found (P0002), invalid_input (22023).';
