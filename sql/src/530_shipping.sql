-- sql/src/530_shipping.sql — shipping methods per tenant, and the shipping
-- and billing addresses and shipping figures of orders (issue 17,
-- extension/shipping_methods.c, shipping_rules.c, order_shipping.c,
-- order_addresses.c). The rules, the money and worked examples are in
-- docs/shipping.md; the totals formula in docs/orders.md.
-- Commands below: the method commands, set_order_addresses,
-- set_shipping_method, list_shipping_options.

CREATE TABLE commerce.shipping_methods (
  tenant_id        uuid NOT NULL,
  id               uuid NOT NULL,
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind             text NOT NULL CHECK (kind IN ('flat_rate', 'free_over', 'weight_bands')),
  -- one currency per method: it serves orders in that currency only
  currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- flat_rate: the price; free_over: the price below the threshold
  amount           bigint CHECK (amount >= 0),
  -- free_over: a subtotal at or above it ships free
  free_over_amount bigint CHECK (free_over_amount >= 0),
  -- weight_bands: [{"up_to_grams": int, "amount": minor units}, ...],
  -- strictly increasing up_to_grams (checked by the commands)
  weight_bands     jsonb CHECK (jsonb_typeof(weight_bands) = 'array'),
  -- ISO 3166-1 alpha-2 codes the method ships to (1..250)
  countries        text[] NOT NULL CHECK (cardinality(countries) BETWEEN 1 AND 250),
  -- the tax category of the shipping charge (tax_rates.category; NULL:
  -- the tenant's default rate)
  tax_category     text CHECK (length(tax_category) BETWEEN 1 AND 100),
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  metadata         jsonb NOT NULL DEFAULT '{}'::jsonb,
  version          bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT shipping_methods_kind_fields CHECK (CASE kind
    WHEN 'flat_rate' THEN amount IS NOT NULL AND free_over_amount IS NULL AND weight_bands IS NULL
    WHEN 'free_over' THEN amount IS NOT NULL AND free_over_amount IS NOT NULL AND weight_bands IS NULL
    ELSE amount IS NULL AND free_over_amount IS NULL AND weight_bands IS NOT NULL END)
);
COMMENT ON TABLE commerce.shipping_methods IS 'Shipping methods of a tenant (docs/shipping.md): flat_rate, free_over a subtotal, or by weight_bands; one currency; the countries it ships to; the tax category of its charge. Archived methods cannot be chosen.';
SELECT commerce.enable_tenancy('commerce.shipping_methods');
-- Customers and storefronts read methods (to choose one); only staff
-- write (permissive policies only, each starting with the tenant:
-- docs/scaling.md).
SELECT commerce.install_tenant_policies('commerce.shipping_methods', 'true',
  'commerce.current_actor() OPERATOR(pg_catalog.=) ''staff''',
  'commerce.current_actor() OPERATOR(pg_catalog.=) ''staff''');

-- A variant's weight, for weight_bands methods (NULL: unknown).
ALTER TABLE commerce.variants ADD COLUMN weight_grams integer
  CHECK (weight_grams BETWEEN 0 AND 100000000);

-- Orders: addresses (set on the draft, kept as placed), the chosen method
-- and, once placed, its snapshot. No foreign key to shipping_methods: its
-- check would lock the method row (FOR KEY SHARE) at every checkout of the
-- tenant; methods are never deleted (archived), the commands read the
-- method in the same transaction, and the name and figures are copied.
-- The shipping columns' rules are one CHECK calling a C function
-- (extension/row_rules.c; why: sql/src/500_orders.sql).
CREATE FUNCTION commerce.order_shipping_row_rules(shipping_address jsonb, billing_address jsonb,
    shipping_method_id uuid, shipping_tax_rate_ppm integer, shipping_total bigint,
    shipping_tax bigint, tax_total bigint) RETURNS boolean
    AS 'MODULE_PATHNAME', 'commerce_order_shipping_row_rules'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION commerce.order_shipping_row_rules(jsonb, jsonb, uuid, integer, bigint, bigint, bigint) IS
  'The CHECK of the shipping columns of commerce.orders (extension/row_rules.c): true, or check_violation (23514) naming the broken rule: orders_shipping_address_check, orders_billing_address_check (a JSON object), orders_shipping_tax_rate_ppm_check (0..1000000), orders_shipping_total_check, orders_shipping_tax_check (not negative), orders_shipping_tax_within (shipping_tax <= tax_total), orders_shipping_needs_method (a charge only with a method).';

ALTER TABLE commerce.orders
  ADD COLUMN shipping_address      jsonb,              -- a JSON object
  ADD COLUMN billing_address       jsonb,              -- a JSON object
  ADD COLUMN shipping_method_id    uuid,
  ADD COLUMN shipping_method_name  text,
  ADD COLUMN shipping_tax_rate_ppm integer,            -- 0..1000000
  ADD COLUMN shipping_total        bigint NOT NULL DEFAULT 0,   -- not negative
  -- the shipping charge's tax: a part of tax_total (docs/orders.md)
  ADD COLUMN shipping_tax          bigint NOT NULL DEFAULT 0,   -- 0..tax_total
  ADD CONSTRAINT orders_shipping_row_rules CHECK (commerce.order_shipping_row_rules(shipping_address,
    billing_address, shipping_method_id, shipping_tax_rate_ppm, shipping_total, shipping_tax, tax_total)),
  DROP CONSTRAINT orders_inclusive_tax_within,
  ADD CONSTRAINT orders_inclusive_tax_within CHECK
    (NOT prices_include_tax OR tax_total <= subtotal + shipping_total);

INSERT INTO commerce.error_codes (code, sqlstate, http_status, description) VALUES
  ('shipping_country_not_served', '22023', 422, 'The shipping method does not ship to the shipping address''s country.'),
  ('shipping_method_unavailable', '55000', 409, 'The shipping method cannot ship this order: archived, the order''s weight is beyond its last band, or a variant has no weight.'),
  ('shipping_address_required',   '55000', 409, 'A shipping method needs the order''s shipping address first.');

-- Commands -----------------------------------------------------------------

CREATE FUNCTION commerce.create_shipping_method(data jsonb, idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_create_shipping_method' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.create_shipping_method(jsonb, text) IS
  'Create a shipping method (staff): SELECT commerce.create_shipping_method(''{"name": "Standard", "kind": "flat_rate", "currency": "EUR", "amount": 490, "countries": ["FR", "DE"]}''); data: name, kind (flat_rate | free_over | weight_bands), currency, countries (ISO 3166-1 alpha-2, 1..250) required; amount (flat_rate, free_over: the price below the threshold), free_over_amount (free_over), weight_bands ([{"up_to_grams", "amount"}], increasing, 1..50; weight_bands), tax_category, metadata. Amounts are minor units of the currency. Emits shipping_method.created. Errors: invalid_input (22023), unknown_currency (22023), negative_amount (22023), permission_denied (42501), idempotency errors.';

CREATE FUNCTION commerce.update_shipping_method(id uuid, data jsonb, expected_version bigint DEFAULT NULL,
                                                idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_update_shipping_method' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.update_shipping_method(uuid, jsonb, bigint, text) IS
  'Change a shipping method partially (staff): SELECT commerce.update_shipping_method(''0190...''::uuid, ''{"amount": 590}'', 1); kind and currency cannot change; the fields given must be those of its kind. Orders placed earlier keep their snapshot; drafts see the change. Emits shipping_method.updated. Errors: invalid_input (22023), not_found (P0002), version_conflict (40001), permission_denied (42501), idempotency errors.';

CREATE FUNCTION commerce.archive_shipping_method(id uuid, expected_version bigint DEFAULT NULL,
                                                 idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_archive_shipping_method' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.archive_shipping_method(uuid, bigint, text) IS
  'Archive a shipping method (staff): it can no longer be chosen or placed with; placed orders keep their snapshot: SELECT commerce.archive_shipping_method(''0190...''::uuid). Emits shipping_method.archived. Errors: not_found (P0002), shipping_method_unavailable (55000: already archived), version_conflict (40001), permission_denied (42501).';

CREATE FUNCTION commerce.get_shipping_method(id uuid) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_get_shipping_method' LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.get_shipping_method(uuid) IS
  'A shipping method: SELECT commerce.get_shipping_method(''0190...''::uuid). Errors: not_found (P0002).';

CREATE FUNCTION commerce.list_shipping_methods(lim integer DEFAULT 50, after text DEFAULT NULL) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_list_shipping_methods' LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.list_shipping_methods(integer, text) IS
  'The tenant''s shipping methods in creation order (archived ones too, with their status): SELECT commerce.list_shipping_methods() -> {"data": [...], "next_cursor": text|null}. Errors: invalid_input (22023: lim outside 1..200, bad cursor).';

CREATE FUNCTION commerce.set_order_addresses(id uuid, data jsonb, expected_version bigint DEFAULT NULL,
                                             idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_set_order_addresses' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.set_order_addresses(uuid, jsonb, bigint, text) IS
  'Set the shipping and/or billing address of a draft order (the cart): SELECT commerce.set_order_addresses(''0190...''::uuid, ''{"shipping_address": {"line1": "1 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"}, "billing_address_id": "0190..."}''); each address inline (line1, city, country required; first_name, last_name, company, line2, region, postal_code, phone) or by the id of one of the order customer''s saved addresses (shipping_address_id, billing_address_id: copied), or null to clear. The address is copied: later changes to a saved address do not move the order. A chosen shipping method must serve the new country. Emits order.updated. Errors: invalid_input (22023), not_found (P0002: order, address), invalid_transition (55000), shipping_country_not_served (22023), version_conflict (40001), idempotency errors.';

CREATE FUNCTION commerce.set_shipping_method(id uuid, data jsonb, expected_version bigint DEFAULT NULL,
                                             idempotency_key text DEFAULT NULL)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'commerce_set_shipping_method' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.set_shipping_method(uuid, jsonb, bigint, text) IS
  'Choose the shipping method of a draft order (null clears it): SELECT commerce.set_shipping_method(''0190...''::uuid, ''{"shipping_method_id": "0190..."}''). The method must be active, in the order''s currency, and serve the shipping address''s country (set it first); it is priced live into the draft''s totals and snapshotted by place_order. Emits order.updated. Errors: invalid_input (22023), not_found (P0002: order, method), invalid_transition (55000), shipping_address_required (55000), shipping_country_not_served (22023), currency_mismatch (22023), shipping_method_unavailable (55000), version_conflict (40001), idempotency errors.';

CREATE FUNCTION commerce.list_shipping_options(order_id uuid) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'commerce_list_shipping_options' LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.list_shipping_options(uuid) IS
  'The shipping methods that can ship a draft order now, each priced and taxed for it (active, in the order''s currency, serving its shipping country, its weight within the bands): SELECT commerce.list_shipping_options(''0190...''::uuid) -> {"data": [{"shipping_method_id", "name", "amount", "tax_rate_ppm", "tax_amount", "total"}], "next_cursor": null}; total is the order''s total with that method. Errors: not_found (P0002), invalid_transition (55000: not a draft), shipping_address_required (55000).';
