-- sql/src/895_core_route_docs.sql — the API documents of the core routes
-- (sql/src/890_core_routes.sql): the shared JSON Schemas of what the
-- commands take and answer (their CommerceField tables and renderers in
-- extension/*.c), then each route's operationId (the command's name in
-- camelCase), tag, body schemas and error answers, through the same
-- commerce.describe_schema / commerce.describe_route a plugin calls.
--
-- Schema shorthand, expanded below before registration:
--   @uuid @ts @str @int @bool @obj     uuid, date-time, string, integer, boolean, object
--   a trailing ?                       the same or null
--   @money @money?                     integer minor units (int64)
--   @cur @ver @meta                    Currency, Version, Metadata
--   @ref:Name                          {"$ref": "#/components/schemas/Name"}
-- An answer schema ("out") lists every property as required except those
-- in "x-optional"; a request schema ("in") says what is required, and a
-- "Create" request also gives the "Update" one (nothing required).
-- The helpers live in commerce only while the script runs (dropped
-- below), not in pg_temp: a transaction that touched a temporary object
-- cannot be prepared, and Citus creates the extension on its workers in
-- two-phase commit (docs/scaling.md).

CREATE FUNCTION commerce.install_api_expand(body text) RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
  SELECT regexp_replace(
         replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
         replace(replace(replace(replace(replace(replace(body,
           '@uuid?', '{"type": ["string", "null"], "format": "uuid"}'),
           '@uuid', '{"type": "string", "format": "uuid"}'),
           '@ts?', '{"type": ["string", "null"], "format": "date-time"}'),
           '@ts', '{"type": "string", "format": "date-time"}'),
           '@str?', '{"type": ["string", "null"]}'),
           '@str', '{"type": "string"}'),
           '@int?', '{"type": ["integer", "null"]}'),
           '@int', '{"type": "integer"}'),
           '@bool', '{"type": "boolean"}'),
           '@obj?', '{"type": ["object", "null"]}'),
           '@obj', '{"type": "object"}'),
           '@money?', '{"type": ["integer", "null"], "format": "int64", "description": "Minor units of the currency."}'),
           '@money', '{"$ref": "#/components/schemas/MinorUnits"}'),
           '@cur', '{"$ref": "#/components/schemas/Currency"}'),
           '@ver', '{"$ref": "#/components/schemas/Version"}'),
           '@meta', '{"$ref": "#/components/schemas/Metadata"}'),
         '@ref:([A-Za-z0-9]+)', '{"$ref": "#/components/schemas/\1"}', 'g')::jsonb
$$;

-- An answer schema: required = every property but the x-optional ones.
CREATE FUNCTION commerce.install_api_out(s jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
  SELECT (s - 'x-optional') || jsonb_build_object('type', 'object', 'required',
           coalesce((SELECT jsonb_agg(k ORDER BY k) FROM jsonb_object_keys(s -> 'properties') k
                      WHERE NOT coalesce(s -> 'x-optional', '[]') ? k), '[]'))
$$;

-- One core route's document from a row of the tables below: nothing when
-- this build did not register the route (sql/src/890_core_routes.sql); the
-- operationId is the handler's name in camelCase; request and response
-- name components/schemas (NULL: none).
CREATE FUNCTION commerce.install_describe_route(method text, path text, tag text, request text,
                                                response text, errors text, params jsonb)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  ref constant text := '#/components/schemas/';
BEGIN
  IF NOT EXISTS (SELECT 1 FROM commerce.routes x WHERE x.method = $1 AND x.path = $2) THEN
    RETURN;
  END IF;
  PERFORM commerce.describe_route($1, $2,
    (SELECT split_part(p.proname, '_', 1)
            || coalesce(string_agg(initcap(w), '' ORDER BY n) FILTER (WHERE n > 1), '')
       FROM commerce.routes x JOIN pg_proc p ON p.oid = x.handler::oid,
            unnest(string_to_array(p.proname, '_')) WITH ORDINALITY u(w, n)
      WHERE x.method = $1 AND x.path = $2
      GROUP BY p.proname),
    tag,
    CASE WHEN request IS NOT NULL THEN jsonb_build_object('$ref', ref || request) END,
    CASE WHEN response IS NOT NULL THEN jsonb_build_object('$ref', ref || response) END,
    errors::jsonb, params);
END
$$;

DO $$
DECLARE
  r record;
  s jsonb;
BEGIN
  -- Building blocks first: later schemas $ref them.
  PERFORM commerce.describe_schema('Currency',
    '{"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 currency code the platform knows (its exponent gives the minor unit: EUR 2, JPY 0, KWD 3).", "examples": ["EUR"]}');
  PERFORM commerce.describe_schema('MinorUnits',
    '{"type": "integer", "format": "int64", "minimum": -9223372036854775808, "maximum": 9223372036854775807, "description": "An amount in minor units of its currency (4900 EUR is 49.00 EUR; JPY has none), never a float.", "examples": [4900]}');
  PERFORM commerce.describe_schema('Version',
    '{"type": "integer", "format": "int64", "minimum": 0, "description": "The aggregate''s version: ETag \"<version>\" of answers, If-Match of updates."}');
  PERFORM commerce.describe_schema('Metadata',
    '{"type": "object", "maxProperties": 50, "description": "Free-form JSON of the caller (at most 50 keys)."}');
  PERFORM commerce.describe_schema('ProductOption', '{"type": "object", "required": ["name", "values"], "additionalProperties": false, "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100}, "values": {"type": "array", "maxItems": 100, "items": {"type": "string", "minLength": 1, "maxLength": 100}}}}');
  PERFORM commerce.describe_schema('OrderLineInput', '{"type": "object", "required": ["variant_id", "quantity"], "additionalProperties": false, "properties": {"variant_id": {"type": "string", "format": "uuid"}, "quantity": {"type": "integer", "minimum": 1, "maximum": 1000000}}}');

  PERFORM commerce.describe_schema('PluginName', '{"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$", "description": "A registered plugin (commerce.register_plugin): lower-case letters, digits and _.", "examples": ["gift_cards"]}');

  PERFORM commerce.describe_schema('OrderStatus', '{"type": "string", "enum": ["draft", "placed", "paid", "fulfilled", "cancelled", "refunded"], "description": "The order state machine of docs/orders.md."}');
  PERFORM commerce.describe_schema('OrderPaymentStatus', '{"type": "string", "enum": ["unpaid", "authorized", "partially_paid", "paid", "partially_refunded", "refunded"]}');

  -- What the commands answer.
  FOR r IN SELECT * FROM (VALUES
    ('CreatedId', '{"properties": {"id": @uuid}}'),
    ('CustomerAddress', '{"properties": {"id": @uuid, "object": {"const": "customer_address"}, "customer_id": @uuid,
        "label": @str?, "first_name": @str?, "last_name": @str?, "company": @str?, "line1": @str, "line2": @str?,
        "city": @str, "region": @str?, "postal_code": @str?, "country": @str, "phone": @str?,
        "is_default_shipping": @bool, "is_default_billing": @bool, "version": @ver, "created_at": @ts, "updated_at": @ts}}'),
    ('RemovedCustomerAddress', '{"properties": {"id": @uuid, "object": {"const": "customer_address"}, "deleted": {"const": true}, "customer_id": @uuid}}'),
    ('Customer', '{"properties": {"id": @uuid, "object": {"const": "customer"}, "email": @str, "group_id": @uuid?,
        "first_name": @str?, "last_name": @str?, "phone": @str?, "metadata": @meta,
        "addresses": {"type": "array", "items": @ref:CustomerAddress},
        "version": @ver, "created_at": @ts, "updated_at": @ts}}'),
    ('CustomerGroup', '{"properties": {"id": @uuid, "object": {"const": "customer_group"}, "name": @str, "description": @str?,
        "metadata": @meta, "version": @ver, "created_at": @ts, "updated_at": @ts}}'),
    ('Category', '{"properties": {"id": @uuid, "object": {"const": "category"}, "name": @str, "description": @str?,
        "parent_id": @uuid?, "position": @int, "metadata": @meta, "version": @ver, "created_at": @ts, "updated_at": @ts}}'),
    ('Variant', '{"properties": {"id": @uuid, "object": {"const": "variant"}, "product_id": @uuid, "sku": @str, "title": @str?,
        "option_values": {"type": "object", "additionalProperties": {"type": "string"}}, "attributes": @obj,
        "position": @int, "version": @ver, "created_at": @ts, "updated_at": @ts}}'),
    ('Product', '{"properties": {"id": @uuid, "object": {"const": "product"}, "title": @str, "handle": @str, "description": @str?,
        "status": {"type": "string", "enum": ["draft", "active", "archived"]}, "category_id": @uuid?, "tax_category": @str?,
        "attributes": @obj, "options": {"type": "array", "items": @ref:ProductOption},
        "variants": {"type": "array", "items": @ref:Variant},
        "version": @ver, "created_at": @ts, "updated_at": @ts, "archived_at": @ts?}}'),
    ('PriceList', '{"properties": {"id": @uuid, "name": @str, "description": @str?, "currency": @cur,
        "customer_group_id": @uuid?, "valid_from": @ts?, "valid_until": @ts?, "priority": @int,
        "status": {"type": "string", "enum": ["active", "inactive"]}, "version": @ver, "created_at": @ts, "updated_at": @ts}}'),
    ('Price', '{"properties": {"id": @uuid, "price_list_id": @uuid, "variant_id": @uuid, "amount": @money, "currency": @cur,
        "min_quantity": @int, "version": @ver, "created_at": @ts, "updated_at": @ts}}'),
    ('ResolvedPrice', '{"properties": {"variant_id": @uuid, "currency": @cur, "quantity": @int, "unit_amount": @money,
        "amount": @money, "min_quantity": @int, "price_list_id": @uuid}}'),
    ('InventoryLevel', '{"properties": {"variant_id": @uuid, "location": @str, "on_hand": @int, "reserved": @int,
        "available": @int, "version": @ver, "updated_at": @ts}}'),
    ('TaxSettings', '{"properties": {"prices_include_tax": @bool, "rounding_mode": {"type": "string", "enum": ["half_even", "half_up"]},
        "rounding_scope": {"type": "string", "enum": ["line", "order"]}, "version": @ver}}'),
    ('TaxRate', '{"properties": {"id": @uuid, "name": @str, "category": @str?, "rate_ppm": {"type": "integer", "minimum": 0, "maximum": 1000000},
        "version": @ver, "created_at": @ts, "updated_at": @ts}}'),
    ('Tenant', '{"properties": {"id": @uuid, "slug": @str, "name": @str, "default_currency": @cur,
        "status": {"type": "string", "enum": ["active", "suspended"]}, "version": @ver, "created_at": @ts, "updated_at": @ts}}'),
    ('Plugin', '{"properties": {"name": @ref:PluginName, "description": @str,
        "enabled": {"type": "boolean", "description": "Whether the token''s tenant has turned it on."}}}'),
    ('PluginState', '{"properties": {"plugin": @ref:PluginName, "enabled": @bool}}'),
    ('OrderLine', '{"properties": {"id": @uuid, "variant_id": @uuid, "sku": @str, "title": @str, "quantity": @int,
        "price_list_id": @uuid?, "unit_amount": @money?, "amount": @money?, "tax_category": @str?,
        "tax_rate_ppm": @int?, "tax_amount": @money?,
        "discount_amount": {"type": "integer", "format": "int64", "minimum": 0, "description": "The line''s share of the order''s discounts (docs/promotions.md); tax is on amount - discount_amount."}}}'),
    ('OrderDiscount', '{"properties": {"promotion_id": @uuid, "code": @str?, "name": @str,
        "scope": {"type": "string", "enum": ["order", "line"]}, "amount": @money}}'),
    ('Order', '{"x-optional": ["prices_complete"], "properties": {"id": @uuid, "number": @int?, "customer_id": @uuid?,
        "status": @ref:OrderStatus, "payment_status": @ref:OrderPaymentStatus, "currency": @cur,
        "prices_include_tax": @bool, "tax_rounding_mode": {"type": "string", "enum": ["half_even", "half_up"]},
        "tax_rounding_scope": {"type": "string", "enum": ["line", "order"]},
        "subtotal": @money, "discount_total": @money, "tax_total": @money, "total": @money,
        "discounts": {"type": "array", "items": @ref:OrderDiscount, "description": "The promotions the order gets (docs/promotions.md): live on a draft, snapshotted by placing."},
        "prices_complete": {"type": "boolean", "description": "Drafts only: every line has a price."},
        "amount_authorized": @money, "amount_captured": @money, "amount_refunded": @money,
        "lines": {"type": "array", "items": @ref:OrderLine}, "metadata": @obj?, "version": @ver,
        "created_at": @ts, "updated_at": @ts, "placed_at": @ts?, "paid_at": @ts?, "fulfilled_at": @ts?,
        "cancelled_at": @ts?, "refunded_at": @ts?}}'),
    ('OrderSummary', '{"properties": {"id": @uuid, "number": @int?, "customer_id": @uuid?, "status": @ref:OrderStatus,
        "payment_status": @ref:OrderPaymentStatus, "currency": @cur,
        "subtotal": {"type": ["integer", "null"], "format": "int64", "description": "Minor units; null for a draft, whose lines are priced live (read the order)."},
        "tax_total": {"type": ["integer", "null"], "format": "int64", "description": "Minor units; null for a draft."},
        "total": {"type": ["integer", "null"], "format": "int64", "description": "Minor units; null for a draft."}, "version": @ver, "created_at": @ts, "updated_at": @ts, "placed_at": @ts?}}'),
    ('PaymentTransaction', '{"properties": {"id": @uuid, "payment_id": @uuid,
        "kind": {"type": "string", "enum": ["authorize", "capture", "void", "refund"]},
        "status": {"type": "string", "enum": ["succeeded", "declined"]}, "amount": @money, "currency": @cur,
        "provider": @str, "provider_reference": @str?, "decline_code": @str?, "reason": @str?, "created_at": @ts}}'),
    ('Payment', '{"x-optional": ["transaction", "transactions"], "properties": {"id": @uuid, "order_id": @uuid, "customer_id": @uuid?,
        "provider": @str, "provider_reference": @str?,
        "status": {"type": "string", "enum": ["authorized", "partially_captured", "captured", "partially_refunded", "refunded", "voided", "declined"]},
        "currency": @cur, "amount": @money, "amount_authorized": @money, "amount_captured": @money,
        "amount_refunded": @money, "amount_voided": @money, "amount_capturable": @money, "amount_refundable": @money,
        "decline_code": @str?, "version": @ver, "created_at": @ts, "updated_at": @ts,
        "transaction": {"allOf": [@ref:PaymentTransaction], "description": "Answers of a payment command: the transaction it made."},
        "transactions": {"type": "array", "items": @ref:PaymentTransaction, "description": "GET /v1/payments/{id}: every transaction, oldest first."}}}')
  ) AS t(name, body) LOOP
    PERFORM commerce.describe_schema(r.name, commerce.install_api_out(commerce.install_api_expand(r.body)));
  END LOOP;

  -- List envelopes.
  FOR r IN SELECT * FROM unnest(ARRAY['Customer', 'CustomerGroup', 'Category', 'Product', 'Variant', 'PriceList',
                                      'Price', 'OrderSummary', 'Payment', 'TaxRate']) AS t(item) LOOP
    PERFORM commerce.describe_schema(regexp_replace(r.item, 'Summary$', '') || 'Page', jsonb_build_object(
      'type', 'object', 'required', jsonb_build_array('data', 'next_cursor'),
      'description', 'A page of a list: pass next_cursor as ?after= for the next one (null: the last page).',
      'properties', jsonb_build_object(
        'data', jsonb_build_object('type', 'array', 'items', jsonb_build_object('$ref', '#/components/schemas/' || r.item)),
        'next_cursor', '{"type": ["string", "null"]}'::jsonb)));
  END LOOP;
  -- Every plugin in one answer (list_plugins takes no cursor).
  PERFORM commerce.describe_schema('PluginPage',
    '{"type": "object", "required": ["data", "next_cursor"], "description": "Every registered plugin, by name: next_cursor is always null.",
      "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Plugin"}}, "next_cursor": {"type": ["string", "null"], "description": "Always null: one page holds every plugin."}}}');

  -- What the commands take (their CommerceField tables): unknown fields are refused.
  FOR r IN SELECT * FROM (VALUES
    ('TenantCreate', '{"required": ["slug", "name", "default_currency"], "properties": {"slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,62}$"}, "name": {"type": "string", "minLength": 1, "maxLength": 200}, "default_currency": @cur}}'),
    ('CustomerCreate', '{"required": ["email"], "properties": {"email": {"type": "string", "minLength": 1, "maxLength": 254}, "group_id": @uuid?,
        "first_name": {"type": ["string", "null"], "maxLength": 100}, "last_name": {"type": ["string", "null"], "maxLength": 100},
        "phone": {"type": ["string", "null"], "maxLength": 32}, "metadata": @meta}}'),
    ('CustomerAddressCreate', '{"required": ["line1", "city", "country"], "properties": {"label": {"type": ["string", "null"], "maxLength": 100},
        "first_name": {"type": ["string", "null"], "maxLength": 100}, "last_name": {"type": ["string", "null"], "maxLength": 100},
        "company": {"type": ["string", "null"], "maxLength": 200}, "line1": {"type": "string", "minLength": 1, "maxLength": 200},
        "line2": {"type": ["string", "null"], "maxLength": 200}, "city": {"type": "string", "minLength": 1, "maxLength": 100},
        "region": {"type": ["string", "null"], "maxLength": 100}, "postal_code": {"type": ["string", "null"], "maxLength": 20},
        "country": {"type": "string", "minLength": 2, "maxLength": 2, "description": "ISO 3166-1 alpha-2"},
        "phone": {"type": ["string", "null"], "maxLength": 32}, "is_default_shipping": @bool, "is_default_billing": @bool}}'),
    ('CustomerGroupCreate', '{"required": ["name"], "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": ["string", "null"], "maxLength": 2000}, "metadata": @meta}}'),
    ('CategoryCreate', '{"required": ["name"], "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": ["string", "null"], "maxLength": 5000}, "parent_id": @uuid?,
        "position": {"type": "integer", "minimum": -2147483648, "maximum": 2147483647}, "metadata": @meta}}'),
    ('ProductCreate', '{"required": ["title"], "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 500},
        "handle": {"type": "string", "maxLength": 200}, "description": {"type": ["string", "null"], "maxLength": 20000},
        "status": {"type": "string", "enum": ["draft", "active", "archived"]}, "category_id": @uuid?,
        "tax_category": {"type": ["string", "null"], "minLength": 1, "maxLength": 64},
        "attributes": {"type": "object", "maxProperties": 100}, "options": {"type": "array", "maxItems": 10, "items": @ref:ProductOption}}}'),
    ('VariantCreate', '{"required": ["sku"], "properties": {"sku": {"type": "string", "minLength": 1, "maxLength": 64},
        "title": {"type": ["string", "null"], "maxLength": 500},
        "option_values": {"type": "object", "maxProperties": 10, "additionalProperties": {"type": "string"}},
        "attributes": {"type": "object", "maxProperties": 100}, "position": {"type": "integer", "minimum": -2147483648, "maximum": 2147483647}}}'),
    ('PriceListCreate', '{"required": ["name", "currency"], "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": ["string", "null"], "maxLength": 2000}, "currency": @cur, "customer_group_id": @uuid?,
        "valid_from": @ts?, "valid_until": @ts?, "priority": {"type": ["integer", "null"], "minimum": -2147483648, "maximum": 2147483647},
        "status": {"type": ["string", "null"], "enum": ["active", "inactive", null]}}}'),
    ('PriceSet', '{"required": ["variant_id", "amount"], "properties": {"variant_id": @uuid,
        "amount": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 9223372036854775807, "description": "Minor units of the price list''s currency."},
        "min_quantity": {"type": "integer", "minimum": 1, "maximum": 2147483647}, "currency": @cur}}'),
    ('InventorySet', '{"required": ["on_hand"], "properties": {"on_hand": {"type": "integer", "format": "int64", "minimum": 0},
        "location": {"type": ["string", "null"], "maxLength": 100}}}'),
    ('InventoryAdjust', '{"required": ["delta", "reason"], "properties": {"delta": {"type": "integer", "format": "int64"},
        "reason": {"type": "string"}, "location": {"type": "string", "maxLength": 100}}}'),
    ('OrderCreate', '{"required": ["currency"], "properties": {"currency": @cur, "customer_id": @uuid?,
        "lines": {"type": ["array", "null"], "maxItems": 100, "items": @ref:OrderLineInput}, "metadata": @obj?}}'),
    ('CheckoutCreate', '{"required": ["currency", "lines"], "properties": {"currency": @cur, "customer_id": @uuid?,
        "lines": {"type": "array", "minItems": 1, "maxItems": 100, "items": @ref:OrderLineInput}, "metadata": @obj?,
        "discount_code": {"type": ["string", "null"], "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", "description": "A discount code (docs/promotions.md), compared case-insensitively."}}}'),
    ('OrderLineUpdate', '{"required": ["quantity"], "properties": {"quantity": {"type": "integer", "minimum": 1, "maximum": 1000000}}}'),
    ('PaymentAuthorize', '{"required": ["provider"], "properties": {"provider": {"type": "string", "minLength": 1, "maxLength": 63, "examples": ["manual"]},
        "amount": {"type": ["integer", "null"], "format": "int64", "minimum": 1, "description": "Minor units; default: the order''s balance."}}}'),
    ('PaymentCapture', '{"properties": {"amount": {"type": ["integer", "null"], "format": "int64", "minimum": 1, "description": "Minor units; default: all that is capturable."}}}'),
    ('PaymentRefund', '{"properties": {"amount": {"type": ["integer", "null"], "format": "int64", "minimum": 1, "description": "Minor units; default: all that is refundable."},
        "reason": {"type": ["string", "null"], "maxLength": 500}}}'),
    ('TaxSettingsUpdate', '{"properties": {"prices_include_tax": @bool, "rounding_mode": {"type": "string", "enum": ["half_even", "half_up"]},
        "rounding_scope": {"type": "string", "enum": ["line", "order"]}}}'),
    ('TaxRateCreate', '{"required": ["name", "rate_ppm"], "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 200},
        "category": {"type": ["string", "null"], "maxLength": 100}, "rate_ppm": {"type": "integer", "minimum": 0, "maximum": 1000000, "description": "Parts per million: 200000 is 20 %."}}}')
  ) AS t(name, body) LOOP
    s := commerce.install_api_expand(r.body) || '{"type": "object", "additionalProperties": false}';
    PERFORM commerce.describe_schema(r.name, s);
    IF r.name LIKE '%Create' AND r.name NOT IN ('TenantCreate', 'CheckoutCreate', 'OrderCreate', 'TaxRateCreate') THEN
      PERFORM commerce.describe_schema(replace(r.name, 'Create', 'Update'), s - 'required');
    END IF;
  END LOOP;
END
$$;

-- Each core route's document: operationId from the command's name.
DO $$
DECLARE
  r record;
  ref constant text := '#/components/schemas/';
BEGIN
  FOR r IN SELECT * FROM (VALUES
    -- method, path, tag, request schema, answer schema, error answers
    ('POST',  '/v1/tenants', 'Tenants', 'TenantCreate', 'CreatedId', '{"409": "The slug is taken (tenant_slug_taken).", "422": "Unknown currency (unknown_currency)."}'),
    ('POST',  '/v1/tenants/{tenant}/suspend', 'Tenants', NULL, NULL, '{}'),
    ('POST',  '/v1/tenants/{tenant}/activate', 'Tenants', NULL, NULL, '{}'),
    ('GET',   '/v1/tenants/{id}', 'Tenants', NULL, 'Tenant', '{"404": "No such tenant."}'),
    ('POST',  '/v1/customers', 'Customers', 'CustomerCreate', 'Customer', '{"409": "The email is taken (email_taken)."}'),
    ('GET',   '/v1/customers', 'Customers', NULL, 'CustomerPage', '{}'),
    ('GET',   '/v1/customers/{id}', 'Customers', NULL, 'Customer', '{}'),
    ('PATCH', '/v1/customers/{id}', 'Customers', 'CustomerUpdate', 'Customer', '{"409": "The email is taken (email_taken)."}'),
    ('POST',  '/v1/customers/{customer_id}/addresses', 'Customers', 'CustomerAddressCreate', 'CustomerAddress', '{"422": "Too many addresses (too_many_addresses)."}'),
    ('GET',   '/v1/customers/{customer_id}/addresses/{address_id}', 'Customers', NULL, 'CustomerAddress', '{"404": "No such customer (for a customer token: another one), or the customer has no such address (not_found)."}'),
    ('PATCH', '/v1/customers/{customer_id}/addresses/{address_id}', 'Customers', 'CustomerAddressUpdate', 'CustomerAddress', '{}'),
    ('DELETE','/v1/customers/{customer_id}/addresses/{address_id}', 'Customers', NULL, 'RemovedCustomerAddress', '{}'),
    ('POST',  '/v1/customer-groups', 'Customers', 'CustomerGroupCreate', 'CustomerGroup', '{"409": "The name is taken (customer_group_name_taken)."}'),
    ('GET',   '/v1/customer-groups', 'Customers', NULL, 'CustomerGroupPage', '{}'),
    ('GET',   '/v1/customer-groups/{id}', 'Customers', NULL, 'CustomerGroup', '{}'),
    ('PATCH', '/v1/customer-groups/{id}', 'Customers', 'CustomerGroupUpdate', 'CustomerGroup', '{"409": "The name is taken (customer_group_name_taken)."}'),
    ('POST',  '/v1/categories', 'Catalog', 'CategoryCreate', 'Category', '{"422": "The parent would make a cycle (category_cycle)."}'),
    ('GET',   '/v1/categories', 'Catalog', NULL, 'CategoryPage', '{}'),
    ('GET',   '/v1/categories/{id}', 'Catalog', NULL, 'Category', '{}'),
    ('PATCH', '/v1/categories/{id}', 'Catalog', 'CategoryUpdate', 'Category', '{"422": "The parent would make a cycle (category_cycle)."}'),
    ('POST',  '/v1/products', 'Catalog', 'ProductCreate', 'Product', '{"409": "The handle is taken (handle_taken)."}'),
    ('GET',   '/v1/products', 'Catalog', NULL, 'ProductPage', '{}'),
    ('GET',   '/v1/products/{id}', 'Catalog', NULL, 'Product', '{}'),
    ('PATCH', '/v1/products/{id}', 'Catalog', 'ProductUpdate', 'Product', '{"409": "The handle is taken, or the status change is not allowed (handle_taken, invalid_product_transition)."}'),
    ('POST',  '/v1/products/{id}/archive', 'Catalog', NULL, 'Product', '{"409": "Already archived (invalid_product_transition)."}'),
    ('POST',  '/v1/products/{product_id}/variants', 'Catalog', 'VariantCreate', 'Variant', '{"409": "The SKU or option values are taken, or the product is archived (sku_taken, variant_options_taken, product_archived).", "422": "Option values that the product does not declare (invalid_option_values)."}'),
    ('GET',   '/v1/products/{product_id}/variants', 'Catalog', NULL, 'VariantPage', '{}'),
    ('GET',   '/v1/variants/{id}', 'Catalog', NULL, 'Variant', '{}'),
    ('PATCH', '/v1/variants/{id}', 'Catalog', 'VariantUpdate', 'Variant', '{"409": "The SKU or option values are taken (sku_taken, variant_options_taken).", "422": "Option values that the product does not declare (invalid_option_values)."}'),
    ('POST',  '/v1/price-lists', 'Pricing', 'PriceListCreate', 'PriceList', '{"422": "Unknown currency (unknown_currency)."}'),
    ('GET',   '/v1/price-lists', 'Pricing', NULL, 'PriceListPage', '{}'),
    ('GET',   '/v1/price-lists/{id}', 'Pricing', NULL, 'PriceList', '{}'),
    ('PATCH', '/v1/price-lists/{id}', 'Pricing', 'PriceListUpdate', 'PriceList', '{"422": "Unknown currency (unknown_currency)."}'),
    ('POST',  '/v1/price-lists/{price_list}/prices', 'Pricing', 'PriceSet', 'Price', '{"422": "A negative amount, or another currency than the list''s (negative_amount, amount_overflow, currency_mismatch)."}'),
    ('GET',   '/v1/price-lists/{price_list}/prices', 'Pricing', NULL, 'PricePage', '{}'),
    ('GET',   '/v1/price-lists/{price_list}/prices/{price}', 'Pricing', NULL, 'Price', '{"404": "No such price in this price list; for a customer token, also a price of a product that is not active (not_found)."}'),
    ('DELETE','/v1/price-lists/{price_list}/prices/{price}', 'Pricing', NULL, 'Price', '{}'),
    ('GET',   '/v1/prices/resolve', 'Pricing', NULL, 'ResolvedPrice', '{"422": "Unknown currency (unknown_currency)."}'),
    ('GET',   '/v1/inventory/{variant}', 'Inventory', NULL, 'InventoryLevel', '{}'),
    ('POST',  '/v1/inventory/{variant}/adjust', 'Inventory', 'InventoryAdjust', 'InventoryLevel', '{"409": "Stock on hand would fall below what is reserved (reservation_exceeded)."}'),
    ('PUT',   '/v1/inventory/{variant}', 'Inventory', 'InventorySet', 'InventoryLevel', '{"409": "Stock on hand would fall below what is reserved (reservation_exceeded)."}'),
    ('POST',  '/v1/orders', 'Orders', 'OrderCreate', 'Order', '{"409": "A variant is not for sale (variant_not_available).", "422": "Unknown currency (unknown_currency)."}'),
    ('GET',   '/v1/orders', 'Orders', NULL, 'OrderPage', '{}'),
    ('GET',   '/v1/orders/{id}', 'Orders', NULL, 'Order', '{}'),
    ('POST',  '/v1/orders/{order_id}/lines', 'Orders', 'OrderLineInput', 'Order', '{"409": "The order is not a draft, or the variant is not for sale (invalid_transition, variant_not_available)."}'),
    ('PATCH', '/v1/orders/{order_id}/lines/{line_id}', 'Orders', 'OrderLineUpdate', 'Order', '{"409": "The order is not a draft (invalid_transition)."}'),
    ('DELETE','/v1/orders/{order_id}/lines/{line_id}', 'Orders', NULL, 'Order', '{"409": "The order is not a draft (invalid_transition)."}'),
    ('POST',  '/v1/orders/{id}/place', 'Orders', NULL, 'Order', '{"409": "Not a draft, no lines, not enough stock, or a discount code on it is inactive, does not apply, cannot be combined or is used up (invalid_transition, order_empty, insufficient_stock, variant_not_available, discount_code_inactive, discount_not_applicable, discount_not_combinable, discount_limit_reached)."}'),
    ('POST',  '/v1/orders/{id}/cancel', 'Orders', NULL, 'Order', '{"409": "Not allowed from the order''s status (invalid_transition)."}'),
    ('POST',  '/v1/orders/{id}/fulfill', 'Orders', NULL, 'Order', '{"409": "Not allowed from the order''s status (invalid_transition)."}'),
    ('POST',  '/v1/checkout', 'Orders', 'CheckoutCreate', 'Order', '{"404": "No such discount code (discount_code_not_found).", "409": "Not enough stock, a variant is not for sale, or the discount code is inactive, does not apply or is used up (insufficient_stock, variant_not_available, discount_code_inactive, discount_not_applicable, discount_limit_reached).", "422": "Unknown currency (unknown_currency)."}'),
    ('GET',   '/v1/tax-settings', 'Tax', NULL, 'TaxSettings', '{}'),
    ('PUT',   '/v1/tax-settings', 'Tax', 'TaxSettingsUpdate', 'TaxSettings', '{}'),
    ('POST',  '/v1/tax-rates', 'Tax', 'TaxRateCreate', 'TaxRate', '{"409": "A rate of this category exists (tax_rate_exists)."}'),
    ('GET',   '/v1/tax-rates', 'Tax', NULL, 'TaxRatePage', '{}'),
    ('GET',   '/v1/tax-rates/{id}', 'Tax', NULL, 'TaxRate', '{}'),
    ('POST',  '/v1/orders/{order_id}/payments', 'Payments', 'PaymentAuthorize', 'Payment', '{"402": "Declined by the provider (payment_declined); the declined payment is in details.", "409": "The order cannot take this payment (invalid_transition, payment_exceeds_balance).", "422": "Unknown provider (unknown_payment_provider).", "502": "The provider failed (payment_provider_error)."}'),
    ('GET',   '/v1/orders/{order_id}/payments', 'Payments', NULL, 'PaymentPage', '{}'),
    ('GET',   '/v1/payments/{id}', 'Payments', NULL, 'Payment', '{}'),
    ('POST',  '/v1/payments/{id}/capture', 'Payments', 'PaymentCapture', 'Payment', '{"402": "Declined by the provider (payment_declined).", "409": "More than authorized, or not capturable (capture_exceeds_authorized, invalid_transition).", "502": "The provider failed (payment_provider_error)."}'),
    ('POST',  '/v1/payments/{id}/void', 'Payments', NULL, 'Payment', '{"409": "Not voidable in its status (invalid_transition).", "502": "The provider failed (payment_provider_error)."}'),
    ('POST',  '/v1/payments/{id}/refunds', 'Payments', 'PaymentRefund', 'Payment', '{"402": "Declined by the provider (payment_declined).", "409": "More than captured (refund_exceeds_captured, invalid_transition).", "502": "The provider failed (payment_provider_error)."}'),
    ('GET',   '/v1/plugins', 'Plugins', NULL, 'PluginPage', '{}'),
    ('POST',  '/v1/plugins/{plugin}/enable', 'Plugins', NULL, 'PluginState', '{"403": "A customer token may not (permission_denied).", "404": "No such plugin (not_found)."}'),
    ('POST',  '/v1/plugins/{plugin}/disable', 'Plugins', NULL, 'PluginState', '{"403": "A customer token may not (permission_denied).", "404": "No such plugin (not_found)."}')
  ) AS t(method, path, tag, request, response, errors)
  LOOP
    PERFORM commerce.install_describe_route(r.method, r.path, r.tag, r.request, r.response, r.errors,
      CASE r.method || ' ' || r.path
        WHEN 'GET /v1/products' THEN jsonb_build_object('status', '{"type": "string", "enum": ["draft", "active", "archived"]}'::jsonb,
                                                        'filter', commerce.filter_schema('list_products'))
        -- the list filters (docs/filters.md): one query parameter per property
        WHEN 'GET /v1/products/{product_id}/variants' THEN jsonb_build_object('filter', commerce.filter_schema('list_variants'))
        WHEN 'GET /v1/orders' THEN jsonb_build_object('filter', commerce.filter_schema('list_orders'))
        WHEN 'GET /v1/customers' THEN jsonb_build_object('filter', commerce.filter_schema('list_customers'))
        WHEN 'POST /v1/plugins/{plugin}/enable' THEN '{"plugin": {"$ref": "#/components/schemas/PluginName"}}'::jsonb
        WHEN 'POST /v1/plugins/{plugin}/disable' THEN '{"plugin": {"$ref": "#/components/schemas/PluginName"}}'::jsonb
        WHEN 'GET /v1/prices/resolve' THEN '{"currency": {"$ref": "#/components/schemas/Currency"}, "quantity": {"type": "integer", "minimum": 1, "maximum": 1000000}}'::jsonb
        ELSE '{}'::jsonb END);
  END LOOP;
END
$$;

-- Issue 17: addresses and shipping (sql/src/530_shipping.sql,
-- docs/shipping.md): their schemas, the new fields of Order, Variant,
-- OrderCreate and CheckoutCreate, and the routes' documents.
DO $$
DECLARE
  r record;
  ref constant text := '#/components/schemas/';
  address_in constant text := '{"required": ["line1", "city", "country"], "properties": {
        "first_name": {"type": ["string", "null"], "maxLength": 100}, "last_name": {"type": ["string", "null"], "maxLength": 100},
        "company": {"type": ["string", "null"], "maxLength": 200}, "line1": {"type": "string", "minLength": 1, "maxLength": 200},
        "line2": {"type": ["string", "null"], "maxLength": 200}, "city": {"type": "string", "minLength": 1, "maxLength": 100},
        "region": {"type": ["string", "null"], "maxLength": 100}, "postal_code": {"type": ["string", "null"], "maxLength": 20},
        "country": @ref:CountryCode, "phone": {"type": ["string", "null"], "maxLength": 32}}}';
  addresses_in constant text := '"shipping_address": {"oneOf": [@ref:OrderAddress, {"type": "null"}]}, "shipping_address_id": @uuid?,
        "billing_address": {"oneOf": [@ref:OrderAddress, {"type": "null"}]}, "billing_address_id": @uuid?';
BEGIN
  PERFORM commerce.describe_schema('CountryCode', '{"type": "string", "pattern": "^[A-Z]{2}$", "description": "An assigned ISO 3166-1 alpha-2 country code.", "examples": ["DE"]}');
  PERFORM commerce.describe_schema('OrderAddress',
    commerce.install_api_expand(address_in) || '{"type": "object", "additionalProperties": false, "description": "A postal address on an order (a copy: later changes to a saved customer address do not move it)."}');
  PERFORM commerce.describe_schema('WeightBand', '{"type": "object", "required": ["up_to_grams", "amount"], "additionalProperties": false, "properties": {"up_to_grams": {"type": "integer", "minimum": 1, "maximum": 2147483647}, "amount": {"type": "integer", "format": "int64", "minimum": 0}}}');
  PERFORM commerce.describe_schema('OrderShippingMethod', commerce.install_api_out(commerce.install_api_expand('{"properties": {"id": @uuid, "name": @str?,
        "amount": @money, "tax_rate_ppm": @int, "tax_amount": @money}}')));
  PERFORM commerce.describe_schema('ShippingMethod', commerce.install_api_out(commerce.install_api_expand('{"properties": {"id": @uuid,
        "object": {"const": "shipping_method"}, "name": @str, "kind": {"type": "string", "enum": ["flat_rate", "free_over", "weight_bands"]},
        "currency": @cur, "amount": @money?, "free_over_amount": @money?,
        "weight_bands": {"type": ["array", "null"], "items": @ref:WeightBand},
        "countries": {"type": "array", "items": @ref:CountryCode}, "tax_category": @str?,
        "status": {"type": "string", "enum": ["active", "archived"]}, "metadata": @meta,
        "version": @ver, "created_at": @ts, "updated_at": @ts}}')));
  PERFORM commerce.describe_schema('ShippingMethodPage', '{"type": "object", "required": ["data", "next_cursor"],
      "description": "A page of a list: pass next_cursor as ?after= for the next one (null: the last page).",
      "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/ShippingMethod"}}, "next_cursor": {"type": ["string", "null"]}}}');
  PERFORM commerce.describe_schema('ShippingMethodCreate', commerce.install_api_expand('{"required": ["name", "kind", "currency", "countries"], "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200}, "kind": {"type": "string", "enum": ["flat_rate", "free_over", "weight_bands"]},
        "currency": @cur, "amount": {"type": "integer", "format": "int64", "minimum": 0, "description": "flat_rate, free_over: minor units."},
        "free_over_amount": {"type": "integer", "format": "int64", "minimum": 0, "description": "free_over: a subtotal at or above it ships free."},
        "weight_bands": {"type": "array", "minItems": 1, "maxItems": 50, "items": @ref:WeightBand},
        "countries": {"type": "array", "minItems": 1, "maxItems": 250, "uniqueItems": true, "items": @ref:CountryCode},
        "tax_category": {"type": ["string", "null"], "minLength": 1, "maxLength": 100}, "metadata": @meta}}') || '{"type": "object", "additionalProperties": false}');
  PERFORM commerce.describe_schema('ShippingMethodUpdate', (SELECT (s.schema - 'required') #- '{properties,kind}' #- '{properties,currency}'
                                                               FROM commerce.api_schemas s WHERE s.name = 'ShippingMethodCreate'));
  PERFORM commerce.describe_schema('OrderAddressesSet', commerce.install_api_expand('{"properties": {' || addresses_in || '}}')
                                                         || '{"type": "object", "additionalProperties": false, "minProperties": 1}');
  PERFORM commerce.describe_schema('ShippingOption', commerce.install_api_out(commerce.install_api_expand('{"properties": {"shipping_method_id": @uuid,
        "name": @str, "amount": @money, "tax_rate_ppm": @int, "tax_amount": @money,
        "total": {"type": "integer", "format": "int64", "description": "The order''s total with this method."}}}')));
  PERFORM commerce.describe_schema('ShippingOptionPage', '{"type": "object", "required": ["data", "next_cursor"],
      "description": "Every method that can ship the cart, in creation order: next_cursor is always null.",
      "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/ShippingOption"}}, "next_cursor": {"type": "null"}}}');
  PERFORM commerce.describe_schema('ShippingMethodChoice', '{"type": "object", "required": ["shipping_method_id"], "additionalProperties": false,
      "properties": {"shipping_method_id": {"type": ["string", "null"], "format": "uuid", "description": "null clears the choice."}}}');
  -- the new fields of existing schemas
  FOR r IN SELECT * FROM (VALUES
    ('Order', '{"shipping_total": @money, "shipping_tax": @money,
        "shipping_address": {"oneOf": [@ref:OrderAddress, {"type": "null"}]}, "billing_address": {"oneOf": [@ref:OrderAddress, {"type": "null"}]},
        "shipping_method": {"oneOf": [@ref:OrderShippingMethod, {"type": "null"}]}}', true),
    ('Variant', '{"weight_grams": {"type": ["integer", "null"], "minimum": 0, "maximum": 100000000}}', true),
    ('VariantCreate', '{"weight_grams": {"type": ["integer", "null"], "minimum": 0, "maximum": 100000000}}', false),
    ('VariantUpdate', '{"weight_grams": {"type": ["integer", "null"], "minimum": 0, "maximum": 100000000}}', false),
    ('OrderCreate', '{' || addresses_in || ', "shipping_method_id": @uuid?}', false),
    ('CheckoutCreate', '{' || addresses_in || ', "shipping_method_id": @uuid?}', false)
  ) AS t(name, props, answer) LOOP
    PERFORM commerce.describe_schema(r.name, (SELECT jsonb_set(s.schema, '{properties}', (s.schema -> 'properties') || commerce.install_api_expand(r.props))
                                                     || CASE WHEN r.answer THEN jsonb_build_object('required',
                                                          (s.schema -> 'required') || (SELECT jsonb_agg(k) FROM jsonb_object_keys(commerce.install_api_expand(r.props)) k))
                                                        ELSE '{}'::jsonb END
                                                FROM commerce.api_schemas s WHERE s.name = r.name));
  END LOOP;
  FOR r IN SELECT * FROM (VALUES
    ('POST',  '/v1/shipping-methods', 'ShippingMethodCreate', 'ShippingMethod', '{"422": "Unknown currency or a negative amount (unknown_currency, negative_amount)."}'),
    ('GET',   '/v1/shipping-methods', NULL, 'ShippingMethodPage', '{}'),
    ('GET',   '/v1/shipping-methods/{id}', NULL, 'ShippingMethod', '{"404": "No such shipping method in this tenant (not_found)."}'),
    ('PATCH', '/v1/shipping-methods/{id}', 'ShippingMethodUpdate', 'ShippingMethod', '{"403": "A customer token may not (permission_denied).", "404": "No such shipping method (not_found)."}'),
    ('POST',  '/v1/shipping-methods/{id}/archive', NULL, 'ShippingMethod', '{"403": "A customer token may not (permission_denied).", "404": "No such shipping method (not_found).", "409": "Already archived (shipping_method_unavailable)."}'),
    ('PUT',   '/v1/orders/{id}/addresses', 'OrderAddressesSet', 'Order', '{"404": "No such order, or no such saved address of the order''s customer (not_found).", "409": "Not a draft, or clearing the address of a chosen method (invalid_transition, shipping_address_required).", "422": "The chosen method does not ship to the new country (shipping_country_not_served)."}'),
    ('GET',   '/v1/orders/{order_id}/shipping-options', NULL, 'ShippingOptionPage', '{"404": "No such order (not_found).", "409": "Not a draft, or no shipping address yet (invalid_transition, shipping_address_required)."}'),
    ('PUT',   '/v1/orders/{id}/shipping-method', 'ShippingMethodChoice', 'Order', '{"404": "No such order or shipping method (not_found).", "409": "Not a draft, no shipping address, or the method cannot ship it: archived, weight unknown or beyond its bands (invalid_transition, shipping_address_required, shipping_method_unavailable).", "422": "The method does not ship to the address''s country, or is in another currency (shipping_country_not_served, currency_mismatch)."}')
  ) AS t(method, path, request, response, errors)
  LOOP
    PERFORM commerce.install_describe_route(r.method, r.path, 'Shipping', r.request, r.response, r.errors,
                                            '{}'::jsonb);
  END LOOP;
END
$$;

-- issue 17: promotions and discount codes (sql/src/530_promotions.sql)
DO $$
DECLARE
  r record;
  ref constant text := '#/components/schemas/';
BEGIN
  PERFORM commerce.describe_schema('Promotion', commerce.install_api_out(commerce.install_api_expand('{"properties": {"id": @uuid,
      "object": {"const": "promotion"}, "name": @str, "description": @str?, "automatic": @bool,
      "type": {"type": "string", "enum": ["percentage", "fixed"]}, "percent_ppm": @int?, "amounts": @obj,
      "scope": {"type": "string", "enum": ["order", "line"]}, "target_variant_ids": {"type": "array", "items": @uuid},
      "target_product_ids": {"type": "array", "items": @uuid}, "target_category_ids": {"type": "array", "items": @uuid},
      "min_subtotal": @obj, "combinable": @bool, "starts_at": @ts?, "ends_at": @ts?,
      "status": {"type": "string", "enum": ["active", "archived"]}, "metadata": @obj, "archived_at": @ts?,
      "version": @ver, "created_at": @ts, "updated_at": @ts}}')));
  PERFORM commerce.describe_schema('PromotionCode', commerce.install_api_out(commerce.install_api_expand('{"properties": {"id": @uuid,
      "object": {"const": "promotion_code"}, "promotion_id": @uuid, "code": @str, "usage_limit": @int?,
      "per_customer_limit": @int?, "used": {"type": "integer", "minimum": 0, "description": "Uses taken by placed, not cancelled orders."},
      "status": {"type": "string", "enum": ["active", "archived"]}, "metadata": @obj, "archived_at": @ts?,
      "version": @ver, "created_at": @ts, "updated_at": @ts}}')));
  FOR r IN SELECT * FROM unnest(ARRAY['Promotion', 'PromotionCode']) AS t(item) LOOP
    PERFORM commerce.describe_schema(r.item || 'Page', jsonb_build_object(
      'type', 'object', 'required', jsonb_build_array('data', 'next_cursor'),
      'description', 'A page of a list: pass next_cursor as ?after= for the next one (null: the last page).',
      'properties', jsonb_build_object(
        'data', jsonb_build_object('type', 'array', 'items', jsonb_build_object('$ref', ref || r.item)),
        'next_cursor', '{"type": ["string", "null"]}'::jsonb)));
  END LOOP;
  PERFORM commerce.describe_schema('MoneyByCurrency', '{"type": "object", "maxProperties": 50, "propertyNames": {"pattern": "^[A-Z]{3}$"}, "additionalProperties": {"type": "integer", "format": "int64", "minimum": 0}, "description": "Exact minor units per currency: {\"EUR\": 500, \"JPY\": 500, \"KWD\": 1500}."}');
  PERFORM commerce.describe_schema('PromotionCreate', commerce.install_api_expand('{"type": "object", "additionalProperties": false,
      "required": ["name", "type"], "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 200},
      "description": {"type": ["string", "null"], "maxLength": 2000}, "automatic": @bool,
      "type": {"type": "string", "enum": ["percentage", "fixed"]},
      "percent_ppm": {"type": "integer", "minimum": 1, "maximum": 1000000, "description": "Parts per million: 100000 is 10 %."},
      "amounts": @ref:MoneyByCurrency, "scope": {"type": "string", "enum": ["order", "line"]},
      "target_variant_ids": {"type": "array", "maxItems": 100, "items": @uuid},
      "target_product_ids": {"type": "array", "maxItems": 100, "items": @uuid},
      "target_category_ids": {"type": "array", "maxItems": 100, "items": @uuid},
      "min_subtotal": @ref:MoneyByCurrency, "combinable": @bool, "starts_at": @ts?, "ends_at": @ts?, "metadata": @meta}}'));
  PERFORM commerce.describe_schema('PromotionUpdate', commerce.install_api_expand('{"type": "object", "additionalProperties": false,
      "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 200},
      "description": {"type": ["string", "null"], "maxLength": 2000},
      "percent_ppm": {"type": "integer", "minimum": 1, "maximum": 1000000}, "amounts": @ref:MoneyByCurrency,
      "target_variant_ids": {"type": "array", "maxItems": 100, "items": @uuid},
      "target_product_ids": {"type": "array", "maxItems": 100, "items": @uuid},
      "target_category_ids": {"type": "array", "maxItems": 100, "items": @uuid},
      "min_subtotal": @ref:MoneyByCurrency, "combinable": @bool, "starts_at": @ts?, "ends_at": @ts?, "metadata": @meta}}'));
  PERFORM commerce.describe_schema('PromotionCodeCreate', commerce.install_api_expand('{"type": "object", "additionalProperties": false,
      "required": ["code"], "properties": {"code": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"},
      "usage_limit": {"type": ["integer", "null"], "minimum": 1}, "per_customer_limit": {"type": ["integer", "null"], "minimum": 1},
      "metadata": @meta}}'));
  PERFORM commerce.describe_schema('PromotionCodeUpdate', commerce.install_api_expand('{"type": "object", "additionalProperties": false,
      "properties": {"usage_limit": {"type": ["integer", "null"], "minimum": 1},
      "per_customer_limit": {"type": ["integer", "null"], "minimum": 1}, "metadata": @meta}}'));
  PERFORM commerce.describe_schema('DiscountCodeApply', '{"type": "object", "additionalProperties": false, "required": ["code"],
      "properties": {"code": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", "description": "Compared case-insensitively."}}}');

  FOR r IN SELECT * FROM (VALUES
    ('POST',  '/v1/promotions', 'PromotionCreate', 'Promotion', '{"403": "Staff only (permission_denied).", "422": "Unknown currency (unknown_currency)."}'),
    ('GET',   '/v1/promotions', NULL, 'PromotionPage', '{"403": "Staff only (permission_denied)."}'),
    ('GET',   '/v1/promotions/{id}', NULL, 'Promotion', '{"403": "Staff only (permission_denied)."}'),
    ('PATCH', '/v1/promotions/{id}', 'PromotionUpdate', 'Promotion', '{"403": "Staff only (permission_denied).", "409": "Archived (invalid_transition)."}'),
    ('POST',  '/v1/promotions/{id}/archive', NULL, 'Promotion', '{"403": "Staff only (permission_denied).", "409": "Already archived (invalid_transition)."}'),
    ('POST',  '/v1/promotions/{promotion_id}/codes', 'PromotionCodeCreate', 'PromotionCode', '{"403": "Staff only (permission_denied).", "409": "The code is taken, or the promotion is archived (discount_code_taken, invalid_transition)."}'),
    ('GET',   '/v1/promotions/{promotion_id}/codes', NULL, 'PromotionCodePage', '{"403": "Staff only (permission_denied)."}'),
    ('GET',   '/v1/promotion-codes/{id}', NULL, 'PromotionCode', '{"403": "Staff only (permission_denied)."}'),
    ('PATCH', '/v1/promotion-codes/{id}', 'PromotionCodeUpdate', 'PromotionCode', '{"403": "Staff only (permission_denied).", "409": "Archived (invalid_transition)."}'),
    ('POST',  '/v1/promotion-codes/{id}/archive', NULL, 'PromotionCode', '{"403": "Staff only (permission_denied).", "409": "Already archived (invalid_transition)."}'),
    ('POST',  '/v1/orders/{order_id}/discount-codes', 'DiscountCodeApply', 'Order', '{"404": "No such order, or no such code (not_found, discount_code_not_found).", "409": "The code is inactive, does not apply, cannot be combined, is used up or already applied, or the order is not a draft (discount_code_inactive, discount_not_applicable, discount_not_combinable, discount_limit_reached, discount_code_already_applied, invalid_transition)."}'),
    ('DELETE','/v1/orders/{order_id}/discount-codes/{code}', NULL, 'Order', '{"404": "No such order, or the order does not carry the code (not_found).", "409": "The order is not a draft (invalid_transition)."}')
  ) AS t(method, path, request, response, errors)
  LOOP
    PERFORM commerce.install_describe_route(r.method, r.path, 'Promotions', r.request, r.response, r.errors,
      CASE WHEN r.path LIKE '%{code}' THEN '{"code": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"}}'::jsonb
           ELSE '{}'::jsonb END);
  END LOOP;
END
$$;

-- issue 17: publishable keys, guest carts, identity links, claims
-- (sql/src/530_storefront.sql, docs/storefront.md).
DO $$
DECLARE
  r record;
  ref constant text := '#/components/schemas/';
BEGIN
  FOR r IN SELECT * FROM (VALUES
    ('StorefrontKey', '{"x-optional": ["key"], "properties": {"id": @uuid, "label": @str, "key_hint": {"type": "string", "description": "pk_… and the last four characters, to tell keys apart."},
        "created_by": @str, "created_at": @ts, "revoked_at": @ts?,
        "key": {"type": "string", "description": "The publishable key (pk_<tenant>_<secret>): in the answer of its creation only, never again."}}}'),
    ('CustomerIdentity', '{"properties": {"id": @uuid, "customer_id": @uuid, "issuer": @str, "subject": @str, "created_at": @ts}}'),
    ('Cart', '{"x-optional": ["prices_complete"], "properties": {"id": @uuid, "number": @int?, "customer_id": @uuid?, "status": @ref:OrderStatus,
        "payment_status": @ref:OrderPaymentStatus, "currency": @cur, "prices_include_tax": @bool,
        "tax_rounding_mode": {"type": ["string", "null"], "enum": ["half_even", "half_up", null]},
        "tax_rounding_scope": {"type": ["string", "null"], "enum": ["line", "order", null]},
        "subtotal": @money, "tax_total": @money, "total": @money,
        "prices_complete": {"type": "boolean", "description": "Drafts only: every line has a price."},
        "amount_authorized": @money, "amount_captured": @money, "amount_refunded": @money,
        "lines": {"type": "array", "items": @ref:OrderLine}, "metadata": @obj?, "version": @ver,
        "created_at": @ts, "updated_at": @ts, "placed_at": @ts?, "paid_at": @ts?, "fulfilled_at": @ts?,
        "cancelled_at": @ts?, "refunded_at": @ts?, "email": @str?,
        "discount_total": @money, "discounts": {"type": "array", "items": @ref:OrderDiscount, "description": "The promotions the cart gets (docs/promotions.md): live on a draft, snapshotted by placing."},
        "shipping_total": @money, "shipping_tax": @money,
        "shipping_address": {"oneOf": [@ref:OrderAddress, {"type": "null"}]}, "billing_address": {"oneOf": [@ref:OrderAddress, {"type": "null"}]},
        "shipping_method": {"oneOf": [@ref:OrderShippingMethod, {"type": "null"}]}}}'),
    ('CartCreated', '{"properties": {"id": @uuid, "cart": @ref:Cart, "cart_secret": {"type": "string", "description": "cs_ and 43 base64url characters: shown once; send it as X-Cart-Secret with every later request about this cart."}}}')
  ) AS t(name, body) LOOP
    PERFORM commerce.describe_schema(r.name, commerce.install_api_out(commerce.install_api_expand(r.body)));
  END LOOP;
  -- staff read a guest order's email on GET /v1/orders/{id} (get_order)
  PERFORM commerce.describe_schema('Order', (SELECT jsonb_set(s.schema, '{properties,email}',
      '{"type": "string", "description": "Staff only, for an order that was a guest cart: the guest''s email."}')
    FROM commerce.api_schemas s WHERE s.name = 'Order'));
  FOR r IN SELECT * FROM unnest(ARRAY['StorefrontKey', 'CustomerIdentity']) AS t(item) LOOP
    PERFORM commerce.describe_schema(r.item || 'Page', jsonb_build_object(
      'type', 'object', 'required', jsonb_build_array('data', 'next_cursor'),
      'description', 'A page of a list: pass next_cursor as ?after= for the next one (null: the last page).',
      'properties', jsonb_build_object(
        'data', jsonb_build_object('type', 'array', 'items', jsonb_build_object('$ref', ref || r.item)),
        'next_cursor', '{"type": ["string", "null"]}'::jsonb)));
  END LOOP;
  FOR r IN SELECT * FROM (VALUES
    ('StorefrontKeyCreate', '{"properties": {"label": {"type": "string", "maxLength": 200}}}'),
    ('CustomerIdentityLink', '{"required": ["issuer", "subject"], "properties": {"issuer": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^\\S+$", "description": "The iss claim of the provider''s tokens."}, "subject": {"type": "string", "minLength": 1, "maxLength": 200, "description": "The sub claim."}}}'),
    ('CartCreate', '{"required": ["currency"], "properties": {"currency": @cur, "email": {"type": ["string", "null"], "maxLength": 254},
        "lines": {"type": ["array", "null"], "maxItems": 100, "items": @ref:OrderLineInput}, "metadata": @obj?}}'),
    ('CartUpdate', '{"properties": {"email": {"type": ["string", "null"], "maxLength": 254}}}'),
    ('CartPayment', '{"required": ["provider"], "properties": {"provider": {"type": "string", "minLength": 1, "maxLength": 63, "examples": ["test"], "description": "Any provider but manual."},
        "amount": {"type": ["integer", "null"], "format": "int64", "minimum": 1, "description": "Minor units; default: the order''s balance."}}}')
  ) AS t(name, body) LOOP
    PERFORM commerce.describe_schema(r.name, commerce.install_api_expand(r.body) || '{"type": "object", "additionalProperties": false}');
  END LOOP;
  FOR r IN SELECT * FROM (VALUES
    ('POST',  '/v1/storefront-keys', 'Storefront', 'StorefrontKeyCreate', 'StorefrontKey', '{}'),
    ('GET',   '/v1/storefront-keys', 'Storefront', NULL, 'StorefrontKeyPage', '{}'),
    ('GET',   '/v1/storefront-keys/{id}', 'Storefront', NULL, 'StorefrontKey', '{"404": "No such key (not_found)."}'),
    ('POST',  '/v1/storefront-keys/{id}/revoke', 'Storefront', NULL, 'StorefrontKey', '{"404": "No such key (not_found)."}'),
    ('POST',  '/v1/customers/{customer_id}/identities', 'Customers', 'CustomerIdentityLink', 'CustomerIdentity', '{"409": "The identity is linked already (identity_taken)."}'),
    ('GET',   '/v1/customers/{customer_id}/identities', 'Customers', NULL, 'CustomerIdentityPage', '{}'),
    ('GET',   '/v1/customers/{customer_id}/identities/{identity_id}', 'Customers', NULL, 'CustomerIdentity', '{"404": "No such link (not_found)."}'),
    ('DELETE','/v1/customers/{customer_id}/identities/{identity_id}', 'Customers', NULL, 'CustomerIdentity', '{"404": "No such link (not_found)."}'),
    ('POST',  '/v1/orders/{id}/claim', 'Orders', NULL, 'Order', '{"404": "No such unclaimed guest order, a wrong cart secret, or a verified email that is not the guest''s (not_found)."}'),
    ('GET',   '/v1/store/products', 'Storefront', NULL, 'ProductPage', '{"400": "An unknown filter field or operator, or a bad value (invalid_filter): the message names the allowed ones."}'),
    ('GET',   '/v1/store/products/{id}', 'Storefront', NULL, 'Product', '{"404": "No such active product (not_found): a draft one answers the same."}'),
    ('GET',   '/v1/store/categories', 'Storefront', NULL, 'CategoryPage', '{}'),
    ('GET',   '/v1/store/categories/{id}', 'Storefront', NULL, 'Category', '{"404": "No such category (not_found)."}'),
    ('GET',   '/v1/store/prices/resolve', 'Storefront', NULL, 'ResolvedPrice', '{"404": "No such variant of an active product, or no price (not_found, no_price)."}'),
    ('POST',  '/v1/store/carts', 'Storefront', 'CartCreate', 'CartCreated', '{"404": "A variant of no active product (not_found).", "422": "Unknown currency (unknown_currency)."}'),
    ('GET',   '/v1/store/carts/{id}', 'Storefront', NULL, 'Cart', '{"404": "No such cart, or a wrong cart secret (not_found)."}'),
    ('PATCH', '/v1/store/carts/{id}', 'Storefront', 'CartUpdate', 'Cart', '{"404": "No such cart, or a wrong cart secret (not_found).", "409": "The cart is placed (invalid_transition)."}'),
    ('POST',  '/v1/store/carts/{id}/lines', 'Storefront', 'OrderLineInput', 'Cart', '{"404": "No such cart, a wrong secret, or a variant of no active product (not_found).", "409": "The cart is placed (invalid_transition)."}'),
    ('PATCH', '/v1/store/carts/{id}/lines/{line_id}', 'Storefront', 'OrderLineUpdate', 'Cart', '{"404": "No such cart or line, or a wrong cart secret (not_found).", "409": "The cart is placed (invalid_transition)."}'),
    ('DELETE','/v1/store/carts/{id}/lines/{line_id}', 'Storefront', NULL, 'Cart', '{"404": "No such cart or line, or a wrong cart secret (not_found).", "409": "The cart is placed (invalid_transition)."}'),
    ('POST',  '/v1/store/carts/{id}/place', 'Storefront', NULL, 'Cart', '{"404": "No such cart, or a wrong cart secret (not_found).", "409": "Placed already, no lines, or not enough stock (invalid_transition, order_empty, insufficient_stock).", "422": "No email yet (email_required)."}'),
    ('POST',  '/v1/store/carts/{id}/payments', 'Storefront', 'CartPayment', 'Payment', '{"402": "Declined by the provider (payment_declined).", "404": "No such cart, or a wrong cart secret (not_found).", "409": "Not placed, or more than its balance (invalid_transition, payment_exceeds_balance)."}'),
    -- session 8: the cart's addresses, shipping method and discount codes
    ('PUT',   '/v1/store/carts/{id}/addresses', 'Storefront', 'OrderAddressesSet', 'Cart', '{"404": "No such cart, a wrong cart secret, or a saved address id (a guest has none) (not_found).", "409": "Not a draft, or clearing the address of a chosen method (invalid_transition, shipping_address_required).", "422": "The chosen method does not ship to the new country (shipping_country_not_served)."}'),
    ('GET',   '/v1/store/carts/{id}/shipping-options', 'Storefront', NULL, 'ShippingOptionPage', '{"404": "No such cart, or a wrong cart secret (not_found).", "409": "Not a draft, or no shipping address yet (invalid_transition, shipping_address_required)."}'),
    ('PUT',   '/v1/store/carts/{id}/shipping-method', 'Storefront', 'ShippingMethodChoice', 'Cart', '{"404": "No such cart or shipping method of the tenant, or a wrong cart secret (not_found).", "409": "Not a draft, no shipping address, or the method cannot ship it: archived, weight unknown or beyond its bands (invalid_transition, shipping_address_required, shipping_method_unavailable).", "422": "The method does not ship to the address''s country, or is in another currency (shipping_country_not_served, currency_mismatch)."}'),
    ('POST',  '/v1/store/carts/{id}/discount-codes', 'Storefront', 'DiscountCodeApply', 'Cart', '{"404": "No such cart, a wrong cart secret, or no such code of the tenant (not_found, discount_code_not_found).", "409": "The code is inactive, does not apply (a per-customer limit needs a customer), cannot be combined, is used up or already applied, or the cart is placed (discount_code_inactive, discount_not_applicable, discount_not_combinable, discount_limit_reached, discount_code_already_applied, invalid_transition)."}'),
    ('DELETE','/v1/store/carts/{id}/discount-codes/{code}', 'Storefront', NULL, 'Cart', '{"404": "No such cart, a wrong cart secret, or the cart does not carry the code (not_found).", "409": "The cart is placed (invalid_transition)."}')
  ) AS t(method, path, tag, request, response, errors)
  LOOP
    PERFORM commerce.install_describe_route(r.method, r.path, r.tag, r.request, r.response, r.errors,
      CASE r.method || ' ' || r.path
        WHEN 'GET /v1/store/prices/resolve' THEN '{"currency": {"$ref": "#/components/schemas/Currency"}, "quantity": {"type": "integer", "minimum": 1, "maximum": 1000000}}'::jsonb
        -- the list filters of list_products but status (always active)
        WHEN 'GET /v1/store/products' THEN jsonb_build_object('filter',
          commerce.filter_schema('list_products') #- '{properties,status}' #- '{properties,status[in]}')
        ELSE '{}'::jsonb END);
  END LOOP;
END
$$;

DROP FUNCTION commerce.install_api_expand(text);
DROP FUNCTION commerce.install_api_out(jsonb);
DROP FUNCTION commerce.install_describe_route(text, text, text, text, text, text, jsonb);

-- Everything documented by the install script is core (not dumped).
UPDATE commerce.api_schemas SET core = true;
UPDATE commerce.route_docs SET core = true;
