-- test/sql/shipping_rules.sql — shipping methods and order addresses
-- (issue 17, docs/shipping.md): the method commands and their body rules,
-- address rules (inline and by saved address), the precise errors when a
-- method does not apply (country not served, another currency, archived,
-- no address, no weight, beyond the last band), the events, and attacks:
-- another tenant's method id, a customer's hands on another customer's
-- order or address, a customer writing methods.
BEGIN;
SELECT plan(55);
\ir ../fixtures/orders.sql

CREATE ROLE ship_test_gateway NOLOGIN IN ROLE commerce_gateway;
-- tenant B first: its method is the one attacked
SELECT orders_test.tenant('ship-b', 'EUR') AS tb \gset
SELECT commerce.create_shipping_method('{"name": "B secret", "kind": "flat_rate", "currency": "EUR", "amount": 100, "countries": ["DE"]}') ->> 'id' AS mb \gset

SELECT orders_test.tenant('ship-a', 'EUR') AS t \gset
SELECT orders_test.variant(:'t', 'SA-1', 1000, 'EUR', 100) AS v \gset
SELECT orders_test.customer(:'t', 'ann@example.com') AS ann \gset
SELECT orders_test.customer(:'t', 'bob@example.com') AS bob \gset
SELECT commerce.add_customer_address(:'ann', '{"first_name": "Ann", "line1": "2 Ann Road", "city": "Vienna", "postal_code": "1010", "country": "AT"}') ->> 'id' AS ann_addr \gset
SELECT commerce.add_customer_address(:'bob', '{"line1": "3 Bob Lane", "city": "Paris", "country": "FR"}') ->> 'id' AS bob_addr \gset

-- 1. methods: create, read, list, update, archive; body rules
SELECT commerce.create_shipping_method('{"name": "Standard", "kind": "flat_rate", "currency": "EUR", "amount": 490, "countries": ["DE", "AT"], "tax_category": "shipping", "metadata": {"carrier": "dhl"}}', 'sm-1') AS m \gset
SELECT is(:'m'::jsonb - ARRAY['id', 'created_at', 'updated_at'],
          '{"object": "shipping_method", "name": "Standard", "kind": "flat_rate", "currency": "EUR", "amount": 490, "free_over_amount": null, "weight_bands": null, "countries": ["DE", "AT"], "tax_category": "shipping", "status": "active", "metadata": {"carrier": "dhl"}, "version": 1}'::jsonb,
          'create_shipping_method returns the method');
SELECT is(commerce.create_shipping_method('{"name": "Standard", "kind": "flat_rate", "currency": "EUR", "amount": 490, "countries": ["DE", "AT"], "tax_category": "shipping", "metadata": {"carrier": "dhl"}}', 'sm-1'),
          :'m'::jsonb, 'the same key replays the first answer');
SELECT is(commerce.get_shipping_method((:'m'::jsonb->>'id')::uuid), :'m'::jsonb, 'get_shipping_method reads it');
SELECT commerce.create_shipping_method('{"name": "Free over 50", "kind": "free_over", "currency": "EUR", "amount": 590, "free_over_amount": 5000, "countries": ["DE"]}') ->> 'id' AS m_free \gset
SELECT commerce.create_shipping_method('{"name": "By weight", "kind": "weight_bands", "currency": "EUR", "weight_bands": [{"up_to_grams": 1000, "amount": 490}, {"up_to_grams": 5000, "amount": 990}], "countries": ["DE"]}') ->> 'id' AS m_weight \gset
SELECT commerce.create_shipping_method('{"name": "Yen", "kind": "flat_rate", "currency": "JPY", "amount": 500, "countries": ["DE"]}') ->> 'id' AS m_jpy \gset
SELECT is(jsonb_array_length(commerce.list_shipping_methods() -> 'data'), 4, 'list_shipping_methods lists the tenant''s methods only');
SELECT is(commerce.update_shipping_method((:'m'::jsonb->>'id')::uuid, '{"amount": 500, "countries": ["DE", "AT", "CH"]}', 1) - ARRAY['created_at', 'updated_at', 'metadata', 'id', 'object', 'name', 'kind', 'currency', 'free_over_amount', 'weight_bands', 'tax_category', 'status'],
          '{"amount": 500, "countries": ["DE", "AT", "CH"], "version": 2}'::jsonb, 'update_shipping_method changes amount and countries');
SELECT is(orders_test.code(format($$SELECT commerce.update_shipping_method(%L, '{"name": "x"}', 1)$$, :'m'::jsonb->>'id')),
          'version_conflict', 'a stale expected_version: version_conflict');

CREATE TEMP TABLE bad_bodies (body text, why text);
INSERT INTO bad_bodies VALUES
  ('{"name": "x", "kind": "pigeon", "currency": "EUR", "amount": 1, "countries": ["DE"]}', 'an unknown kind'),
  ('{"name": "x", "kind": "flat_rate", "currency": "EUR", "countries": ["DE"]}', 'flat_rate without amount'),
  ('{"name": "x", "kind": "flat_rate", "currency": "EUR", "amount": 1, "free_over_amount": 5, "countries": ["DE"]}', 'flat_rate with free_over_amount'),
  ('{"name": "x", "kind": "free_over", "currency": "EUR", "amount": 1, "countries": ["DE"]}', 'free_over without its threshold'),
  ('{"name": "x", "kind": "weight_bands", "currency": "EUR", "amount": 1, "weight_bands": [{"up_to_grams": 1, "amount": 1}], "countries": ["DE"]}', 'weight_bands with amount'),
  ('{"name": "x", "kind": "weight_bands", "currency": "EUR", "weight_bands": [], "countries": ["DE"]}', 'no band'),
  ('{"name": "x", "kind": "weight_bands", "currency": "EUR", "weight_bands": [{"up_to_grams": 500, "amount": 1}, {"up_to_grams": 500, "amount": 2}], "countries": ["DE"]}', 'bands not increasing'),
  ('{"name": "x", "kind": "weight_bands", "currency": "EUR", "weight_bands": [{"up_to_grams": 0, "amount": 1}], "countries": ["DE"]}', 'a band up to 0 g'),
  ('{"name": "x", "kind": "weight_bands", "currency": "EUR", "weight_bands": [{"up_to_grams": 10, "amount": 1, "extra": 1}], "countries": ["DE"]}', 'an unknown band field'),
  ('{"name": "x", "kind": "flat_rate", "currency": "EUR", "amount": 1, "countries": []}', 'no country'),
  ('{"name": "x", "kind": "flat_rate", "currency": "EUR", "amount": 1, "countries": ["XX"]}', 'an unassigned country code'),
  ('{"name": "x", "kind": "flat_rate", "currency": "EUR", "amount": 1, "countries": ["de"]}', 'a lower-case country code'),
  ('{"name": "x", "kind": "flat_rate", "currency": "EUR", "amount": 1, "countries": ["DE", "DE"]}', 'a country twice'),
  ('{"name": "x", "kind": "flat_rate", "currency": "EUR", "amount": 1, "countries": [1]}', 'a country that is not a string'),
  ('{"name": "", "kind": "flat_rate", "currency": "EUR", "amount": 1, "countries": ["DE"]}', 'an empty name'),
  ('{"name": "x", "kind": "flat_rate", "currency": "EUR", "amount": 1, "countries": ["DE"], "speed": "fast"}', 'an unknown field');
SELECT is((SELECT string_agg(why || ': ' || orders_test.code(format('SELECT commerce.create_shipping_method(%L)', body)), '; ' ORDER BY why)
             FROM bad_bodies WHERE orders_test.code(format('SELECT commerce.create_shipping_method(%L)', body)) <> 'invalid_input'),
          NULL, 'every malformed method body is invalid_input');
SELECT is(orders_test.code($$SELECT commerce.create_shipping_method('{"name": "x", "kind": "flat_rate", "currency": "EUR", "amount": -1, "countries": ["DE"]}')$$),
          'negative_amount', 'a negative amount: negative_amount');
SELECT is(orders_test.code($$SELECT commerce.create_shipping_method('{"name": "x", "kind": "flat_rate", "currency": "XYZ", "amount": 1, "countries": ["DE"]}')$$),
          'unknown_currency', 'an unknown currency: unknown_currency');
SELECT is(orders_test.code(format($$SELECT commerce.update_shipping_method(%L, '{"currency": "USD"}')$$, :'m'::jsonb->>'id')),
          'invalid_input', 'the currency cannot change');
SELECT is(orders_test.code(format($$SELECT commerce.update_shipping_method(%L, '{"free_over_amount": 1}')$$, :'m'::jsonb->>'id')),
          'invalid_input', 'an update may not give a field of another kind');
SELECT is(orders_test.code(format($$SELECT commerce.update_shipping_method(%L, '{"amount": null}')$$, :'m'::jsonb->>'id')),
          'invalid_input', 'the amount cannot be nulled');

-- 2. addresses on a draft
SELECT commerce.create_order(orders_test.cart(:'v', 1) || jsonb_build_object('customer_id', :'ann')) ->> 'id' AS o \gset
SELECT commerce.set_order_addresses(:'o', jsonb_build_object('shipping_address_id', :'ann_addr', 'billing_address', jsonb_build_object('company', 'ACME', 'line1', '9 Billing Blvd', 'city', 'Berlin', 'country', 'DE'))) AS oa \gset
SELECT is(:'oa'::jsonb -> 'shipping_address', '{"first_name": "Ann", "line1": "2 Ann Road", "city": "Vienna", "postal_code": "1010", "country": "AT"}'::jsonb,
          'a saved address is copied onto the order');
SELECT is(:'oa'::jsonb -> 'billing_address' ->> 'company', 'ACME', 'an inline billing address is kept');
SELECT is((:'oa'::jsonb ->> 'version')::int, 2, 'set_order_addresses bumps the version');
SELECT commerce.update_customer_address(:'ann', :'ann_addr', '{"city": "Graz"}') IS NOT NULL AS ok \gset
SELECT is(commerce.get_order(:'o') -> 'shipping_address' ->> 'city', 'Vienna', 'changing the saved address does not move the order');

CREATE TEMP TABLE bad_addresses (address jsonb, why text);
INSERT INTO bad_addresses VALUES
  ('{"line1": "x", "city": "y", "country": "XX"}', 'an unassigned country'),
  ('{"line1": "x", "city": "y", "country": "fr"}', 'a lower-case country'),
  ('{"line1": "x", "city": "y", "country": "FRA"}', 'an alpha-3 country'),
  ('{"city": "y", "country": "FR"}', 'no line1'),
  ('{"line1": "", "city": "y", "country": "FR"}', 'an empty line1'),
  ('{"line1": "x", "country": "FR"}', 'no city'),
  ('{"line1": "x", "city": "y"}', 'no country'),
  ('{"line1": "x", "city": "y", "country": "FR", "label": "home"}', 'an unknown field'),
  ('{"line1": "x", "city": "y", "country": "FR", "postal_code": "123456789012345678901"}', 'a postal code over 20'),
  ('{"line1": "x", "city": "y", "country": "FR", "line2": 5}', 'a number for a string'),
  ('"FR"', 'not an object');
SELECT is((SELECT string_agg(why || ': ' || orders_test.code(format('SELECT commerce.set_order_addresses(%L, %L)', :'o', jsonb_build_object('shipping_address', address))), '; ' ORDER BY why)
             FROM bad_addresses WHERE orders_test.code(format('SELECT commerce.set_order_addresses(%L, %L)', :'o', jsonb_build_object('shipping_address', address))) <> 'invalid_input'),
          NULL, 'every malformed address is invalid_input');
SELECT is(orders_test.code(format($$SELECT commerce.set_order_addresses(%L, '{"shipping_address": {"line1": "x", "city": "y", "country": "FR"}, "shipping_address_id": %I}')$$, :'o', :'ann_addr')),
          'invalid_input', 'an address inline and by id at once: invalid_input');
SELECT is(orders_test.code(format($$SELECT commerce.set_order_addresses(%L, '{}')$$, :'o')),
          'invalid_input', 'no address at all: invalid_input');
SELECT is(orders_test.code(format($$SELECT commerce.set_order_addresses(%L, '{"shipping_address_id": "%s"}')$$, :'o', :'bob_addr')),
          'not_found', 'another customer''s saved address: not_found');
SELECT is(orders_test.code(format($$SELECT commerce.set_order_addresses(%L, '{"shipping_address_id": "%s"}')$$,
                                  commerce.create_order(orders_test.cart(:'v')) ->> 'id', :'ann_addr')),
          'not_found', 'a saved address on an order without customer: not_found');

-- 3. choosing a method: the precise errors
SELECT is(orders_test.code(format($$SELECT commerce.set_shipping_method(%L, '{"shipping_method_id": "%s"}')$$, :'o', :'m_free')),
          'shipping_country_not_served', 'the address is in AT, the method ships to DE only: shipping_country_not_served');
SELECT throws_ok(format($$SELECT commerce.set_shipping_method(%L, '{"shipping_method_id": "%s"}')$$, :'o', :'m_free'),
                 '22023', format('shipping method %s does not ship to AT', :'m_free'), 'the error names the method and the country');
SELECT is(orders_test.code(format($$SELECT commerce.set_shipping_method(%L, '{"shipping_method_id": "%s"}')$$, :'o', :'m_jpy')),
          'currency_mismatch', 'a JPY method on a EUR order: currency_mismatch');
SELECT is(orders_test.code(format($$SELECT commerce.set_shipping_method(%L, '{"shipping_method_id": "%s"}')$$, :'o', :'mb')),
          'not_found', 'another tenant''s method id: not_found');
SELECT is(orders_test.code(format($$SELECT commerce.set_shipping_method(%L, '{"shipping_method_id": "%s"}')$$, :'o', gen_random_uuid())),
          'not_found', 'an unknown method id: not_found (the same answer)');
SELECT is(orders_test.code(format($$SELECT commerce.set_shipping_method(%L, '{}')$$, :'o')),
          'invalid_input', 'no shipping_method_id: invalid_input');
SELECT commerce.create_order(orders_test.cart(:'v')) ->> 'id' AS o_noaddr \gset
SELECT is(orders_test.code(format($$SELECT commerce.set_shipping_method(%L, '{"shipping_method_id": "%s"}')$$, :'o_noaddr', :'m'::jsonb->>'id')),
          'shipping_address_required', 'no shipping address yet: shipping_address_required');
SELECT is(orders_test.code(format($$SELECT commerce.set_shipping_method(%L, '{"shipping_method_id": "%s"}')$$, :'o', :'m_weight')),
          'shipping_country_not_served', 'the weight method does not serve AT either');
SELECT commerce.set_order_addresses(:'o', '{"shipping_address": {"line1": "1 Hauptstr.", "city": "Berlin", "country": "DE"}}') IS NOT NULL AS ok \gset
SELECT is(orders_test.code(format($$SELECT commerce.set_shipping_method(%L, '{"shipping_method_id": "%s"}')$$, :'o', :'m_weight')),
          'shipping_method_unavailable', 'a variant without weight_grams: shipping_method_unavailable');
UPDATE commerce.variants SET weight_grams = 5001 WHERE id = :'v';
SELECT throws_ok(format($$SELECT commerce.set_shipping_method(%L, '{"shipping_method_id": "%s"}')$$, :'o', :'m_weight'),
                 '55000', format('the order weighs 5001 g, beyond the last weight band of shipping method %s', :'m_weight'),
                 '5001 g beyond the last band (5000 g): shipping_method_unavailable, precise');
UPDATE commerce.variants SET weight_grams = 5000 WHERE id = :'v';
SELECT is(commerce.set_shipping_method(:'o', jsonb_build_object('shipping_method_id', :'m_weight')) ->> 'shipping_total', '990',
          '5000 g is in the last band');
SELECT is(commerce.set_shipping_method(:'o', jsonb_build_object('shipping_method_id', :'m'::jsonb->>'id')) -> 'shipping_method' ->> 'name', 'Standard',
          'another method replaces it');
SELECT is((SELECT jsonb_agg(jsonb_build_array(x->>'name', (x->>'amount')::int, (x->>'tax_amount')::int, (x->>'total')::int) ORDER BY x->>'shipping_method_id')
             FROM jsonb_array_elements(commerce.list_shipping_options(:'o') -> 'data') x),
          '[["Standard", 500, 0, 1500], ["Free over 50", 590, 0, 1590], ["By weight", 990, 0, 1990]]'::jsonb,
          'list_shipping_options: the EUR methods serving DE, priced for the cart (not the JPY one)');
UPDATE commerce.variants SET weight_grams = 5001 WHERE id = :'v';
SELECT is((SELECT jsonb_agg(x->>'name') FROM jsonb_array_elements(commerce.list_shipping_options(:'o') -> 'data') x),
          '["Standard", "Free over 50"]'::jsonb, 'a method the cart is too heavy for is left out');
UPDATE commerce.variants SET weight_grams = 5000 WHERE id = :'v';
SELECT is(orders_test.code(format($$SELECT commerce.list_shipping_options(%L)$$, :'o_noaddr')),
          'shipping_address_required', 'list_shipping_options without an address: shipping_address_required');
SELECT is(orders_test.code(format($$SELECT commerce.set_order_addresses(%L, '{"shipping_address": {"line1": "1 rue", "city": "Paris", "country": "FR"}}')$$, :'o')),
          'shipping_country_not_served', 'moving the address to a country the chosen method does not serve: shipping_country_not_served');
SELECT is(orders_test.code(format($$SELECT commerce.set_order_addresses(%L, '{"shipping_address": null}')$$, :'o')),
          'shipping_address_required', 'clearing the address under a chosen method: shipping_address_required');
-- archived after being chosen: the draft shows prices_complete false; placing fails
SELECT commerce.archive_shipping_method((:'m'::jsonb->>'id')::uuid) ->> 'status' AS st \gset
SELECT is(:'st'::text, 'archived', 'archive_shipping_method archives');
SELECT is(orders_test.code(format($$SELECT commerce.archive_shipping_method(%L)$$, :'m'::jsonb->>'id')),
          'shipping_method_unavailable', 'archiving twice: shipping_method_unavailable');
SELECT is(commerce.get_order(:'o') ->> 'prices_complete', 'false', 'a draft whose method was archived is not complete');
SELECT is(orders_test.code(format($$SELECT commerce.place_order(%L)$$, :'o')),
          'shipping_method_unavailable', 'placing with an archived method: shipping_method_unavailable');
SELECT is(orders_test.code(format($$SELECT commerce.checkout(%L)$$, orders_test.cart(:'v') || jsonb_build_object('shipping_address', jsonb_build_object('line1', 'x', 'city', 'y', 'country', 'DE'), 'shipping_method_id', :'m'::jsonb->>'id'))),
          'shipping_method_unavailable', 'checkout with an archived method: shipping_method_unavailable');
SELECT is(orders_test.code(format($$SELECT commerce.checkout(%L)$$, orders_test.cart(:'v') || jsonb_build_object('shipping_address', jsonb_build_object('line1', 'x', 'city', 'y', 'country', 'FR'), 'shipping_method_id', :'m_free'))),
          'shipping_country_not_served', 'checkout to a country not served: shipping_country_not_served');
SELECT is(commerce.set_shipping_method(:'o', '{"shipping_method_id": null}') -> 'shipping_method', 'null'::jsonb, 'null clears the method');

-- 4. events
SELECT is((SELECT string_agg(type, ',' ORDER BY id) FROM commerce.outbox WHERE tenant_id = :'t' AND aggregate_type = 'shipping_method'
             AND aggregate_id = (:'m'::jsonb->>'id')::uuid),
          'shipping_method.created,shipping_method.updated,shipping_method.archived', 'method commands emit created, updated, archived');
SELECT is((SELECT data -> 'shipping_address' ->> 'city' FROM commerce.outbox WHERE tenant_id = :'t' AND aggregate_id = :'o'::uuid
            AND type = 'order.updated' ORDER BY id LIMIT 1),
          'Vienna', 'order.updated of set_order_addresses carries the addresses');
SELECT commerce.create_shipping_method('{"name": "Austria", "kind": "flat_rate", "currency": "EUR", "amount": 700, "countries": ["AT"]}') ->> 'id' AS m_at \gset
SELECT commerce.checkout(orders_test.cart(:'v') || jsonb_build_object('customer_id', :'ann', 'shipping_address_id', :'ann_addr', 'billing_address_id', :'ann_addr', 'shipping_method_id', :'m_at')) AS co \gset
SELECT is((SELECT jsonb_build_array(data -> 'shipping_method' ->> 'name', data -> 'shipping_method' ->> 'amount', data ->> 'shipping_total',
                                    data -> 'shipping_address' ->> 'city', data -> 'billing_address' ->> 'country')
             FROM commerce.outbox WHERE tenant_id = :'t' AND aggregate_id = (:'co'::jsonb->>'id')::uuid AND type = 'order.placed'),
          '["Austria", "700", "700", "Graz", "AT"]'::jsonb, 'order.placed of checkout carries the method snapshot and both addresses');

-- 5. a customer actor
SELECT commerce.create_order(orders_test.cart(:'v') || jsonb_build_object('customer_id', :'bob')) ->> 'id' AS bob_order \gset
SET LOCAL ROLE ship_test_gateway;
SELECT commerce.set_context(:'t', :'ann', 'customer') IS NULL AS ok \gset
SELECT is(orders_test.code(format($$SELECT commerce.set_shipping_method(%L, '{"shipping_method_id": "%s"}')$$, :'bob_order', :'m_free')),
          'not_found', 'a customer setting a method on another customer''s order: not_found');
SELECT is(orders_test.code(format($$SELECT commerce.set_order_addresses(%L, '{"shipping_address": {"line1": "x", "city": "y", "country": "DE"}}')$$, :'bob_order')),
          'not_found', 'a customer setting an address on another customer''s order: not_found');
SELECT is(orders_test.code(format($$SELECT commerce.list_shipping_options(%L)$$, :'bob_order')),
          'not_found', 'a customer listing the options of another customer''s order: not_found');
SELECT is(orders_test.code($$SELECT commerce.create_shipping_method('{"name": "x", "kind": "flat_rate", "currency": "EUR", "amount": 0, "countries": ["DE"]}')$$),
          'permission_denied', 'a customer creating a method: permission_denied');
SELECT commerce.create_order(orders_test.cart(:'v')) ->> 'id' AS ann_cart \gset
SELECT is(orders_test.code(format($$SELECT commerce.set_order_addresses(%L, '{"shipping_address_id": "%s"}')$$, :'ann_cart', :'bob_addr')),
          'not_found', 'a customer taking another customer''s saved address: not_found');
SELECT is(commerce.set_order_addresses(:'ann_cart', jsonb_build_object('shipping_address_id', :'ann_addr')) -> 'shipping_address' ->> 'city', 'Graz',
          'a customer takes its own saved address');
SELECT is(commerce.set_shipping_method(:'ann_cart', jsonb_build_object('shipping_method_id', :'m_at')) ->> 'shipping_total', '700',
          'a customer chooses a method for its own cart');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
