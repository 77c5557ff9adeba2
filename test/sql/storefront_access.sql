-- test/sql/storefront_access.sql — the storefront actor in the database
-- (docs/storefront.md): set_context verifies the publishable key (hash,
-- tenant, revocation) before it sets actor 'storefront'; every command
-- outside a storefront command refuses that actor (permission_denied),
-- including staff-only ones and reads; row-level security shows it the
-- active catalog only, no customer, and only the cart whose secret the
-- transaction proved; a wrong or missing secret, another tenant's cart and
-- a draft product answer exactly as an absent id; keys and secrets are
-- stored as SHA-256 only; guest idempotency keys never cross carts.
BEGIN;
SELECT plan(66);

CREATE ROLE sf_gw IN ROLE commerce_gateway;
CREATE ROLE sf_admin IN ROLE commerce_admin;
SET LOCAL ROLE sf_admin;
SELECT commerce.create_tenant('sf-a', 'Shop A', 'EUR') AS a \gset
SELECT commerce.create_tenant('sf-b', 'Shop B', 'EUR') AS b \gset
RESET ROLE;
\ir ../fixtures/make_variant.sql
SELECT public.make_variant(:'a', 'SF-A-1', 1250, 100) AS va \gset
SELECT public.make_variant(:'b', 'SF-B-1', 990, 100) AS vb \gset

\ir ../fixtures/answer.sql

SET LOCAL ROLE sf_gw;
SELECT commerce.set_context(:'a', 'alice', 'staff');
SELECT commerce.create_storefront_key('{"label": "web"}') AS key_a_json \gset
SELECT :'key_a_json'::jsonb ->> 'key' AS key_a, :'key_a_json'::jsonb ->> 'id' AS key_a_id \gset
SELECT commerce.create_storefront_key('{"label": "old"}') ->> 'key' AS key_old \gset
SELECT commerce.create_storefront_key('{}') ->> 'id' AS key_old_id \gset
-- a draft product with a variant
SELECT commerce.create_product('{"title": "Secret draft", "status": "draft"}') ->> 'id' AS draft \gset
SELECT commerce.create_variant(:'draft', '{"sku": "DRAFT-1"}') ->> 'id' AS draft_v \gset
SELECT (SELECT id FROM commerce.products WHERE tenant_id = :'a' AND status = 'active' LIMIT 1) AS pa \gset
SELECT commerce.create_customer('{"email": "c@example.com"}') ->> 'id' AS customer \gset
SELECT commerce.set_context(:'b', 'bob', 'staff');
SELECT commerce.create_storefront_key('{}') ->> 'key' AS key_b \gset

-- Keys --------------------------------------------------------------------
SELECT ok(:'key_a' ~ ('^pk_' || replace(:'a', '-', '') || '_[A-Za-z0-9_-]{43}$'), 'a key names its tenant and 32 random bytes');
SELECT is((SELECT count(*) FROM commerce.storefront_keys WHERE key_hash = sha256(convert_to(:'key_a', 'UTF8'))), 0::bigint,
          'tenant B''s context sees no key of A');
RESET ROLE;
SELECT is((SELECT count(*) FROM commerce.storefront_keys WHERE key_hash = sha256(convert_to(:'key_a', 'UTF8'))), 1::bigint,
          'only the SHA-256 of the key is stored');
SELECT is((SELECT count(*) FROM commerce.storefront_keys k WHERE row_to_json(k)::text LIKE '%' || right(:'key_a', 20) || '%'), 0::bigint,
          'no column holds the key''s secret part');
SET LOCAL ROLE sf_gw;
SELECT commerce.set_context(:'a', 'alice', 'staff');
SELECT is(commerce.list_storefront_keys() -> 'data' -> 0 ? 'key', false, 'a listed key shows no key');
SELECT is(commerce.revoke_storefront_key(:'key_old_id') ->> 'revoked_at' IS NOT NULL, true, 'staff revoke a key');

SELECT is(pg_temp.answer(format('SELECT commerce.set_context(%L, %L, ''storefront'')', :'a', 'pk_nonsense')),
          '28000 invalid_publishable_key the publishable key is not valid', 'a malformed key is refused');
SELECT is(pg_temp.answer(format('SELECT commerce.set_context(%L, %L, ''storefront'')', :'b', :'key_a')),
          '28000 invalid_publishable_key the publishable key is not valid', 'A''s key in B''s context is refused');
SELECT is(pg_temp.answer(format('SELECT commerce.set_context(%L, %L, ''storefront'')', :'a',
                                left(:'key_a', 78) || CASE WHEN right(:'key_a', 1) = 'A' THEN 'B' ELSE 'A' END)),
          '28000 invalid_publishable_key the publishable key is not valid', 'a key one character off is refused');
SELECT is(pg_temp.answer(format('SELECT commerce.set_context(%L, NULL, ''storefront'')', :'a')),
          '22023 invalid_input a storefront actor needs its publishable key as subject', 'no key, no storefront');
-- a revoked key stops at once (same transaction as the revocation here)
SELECT commerce.create_storefront_key('{}') AS tmp \gset
SELECT commerce.revoke_storefront_key((:'tmp'::jsonb ->> 'id')::uuid) IS NOT NULL AS revoked \gset
SELECT is(pg_temp.answer(format('SELECT commerce.set_context(%L, %L, ''storefront'')', :'a', :'tmp'::jsonb ->> 'key')),
          '28000 invalid_publishable_key the publishable key is not valid', 'a revoked key is refused');

SELECT commerce.set_context(:'a', :'key_a', 'storefront');
SELECT is(commerce.current_actor(), 'storefront', 'a verified key acts as storefront');
SELECT is(commerce.current_subject(), :'key_a_id', 'its subject is the key''s id, never the key');

-- Every other command refuses it --------------------------------------------
SELECT is(pg_temp.answer(s), '42501 permission_denied a publishable key may not call this command', s)
  FROM unnest(ARRAY[
    'SELECT commerce.list_orders()',
    format('SELECT commerce.get_order(%L)', commerce.uuid_generate_v7()),
    'SELECT commerce.list_customers()',
    format('SELECT commerce.get_customer(%L)', :'customer'),
    'SELECT commerce.create_product(''{"title": "x"}'')',
    format('SELECT commerce.get_product(%L)', :'pa'),
    'SELECT commerce.list_products()',
    format('SELECT commerce.create_order(''{"currency": "EUR"}'')'),
    format('SELECT commerce.checkout(jsonb_build_object(''currency'', ''EUR'', ''lines'', jsonb_build_array(jsonb_build_object(''variant_id'', %L, ''quantity'', 1))))', :'va'),
    'SELECT commerce.events_since(0)',
    'SELECT commerce.list_storefront_keys()',
    'SELECT commerce.create_storefront_key()',
    format('SELECT commerce.link_customer_identity(%L, ''{"issuer": "i", "subject": "s"}'')', :'customer'),
    'SELECT commerce.enable_plugin(''x'')',
    format('SELECT commerce.get_inventory(%L)', :'va')]) AS s;

-- RLS: the active catalog only, no customer, no order ------------------------
SELECT is((SELECT count(*) FROM commerce.products WHERE status <> 'active'), 0::bigint, 'plain SQL: no draft product');
SELECT is((SELECT count(*) FROM commerce.customers), 0::bigint, 'plain SQL: no customer');
SELECT is((SELECT count(*) FROM commerce.orders), 0::bigint, 'plain SQL: no order');

-- Catalog through the storefront commands ------------------------------------
SELECT is(jsonb_array_length(commerce.storefront_list_products() -> 'data'), 1, 'storefront lists the active product only');
SELECT is(pg_temp.answer(format('SELECT commerce.storefront_get_product(%L)', :'draft')),
          pg_temp.answer(format('SELECT commerce.storefront_get_product(%L)', commerce.uuid_generate_v7())),
          'a draft product answers as an absent one');
SELECT is(pg_temp.answer(format('SELECT commerce.storefront_resolve_price(%L, ''EUR'', 1)', :'draft_v')),
          pg_temp.answer(format('SELECT commerce.storefront_resolve_price(%L, ''EUR'', 1)', commerce.uuid_generate_v7())),
          'the price of a draft product''s variant answers as an absent variant');
SELECT is(pg_temp.answer(format('SELECT commerce.storefront_resolve_price(%L, ''EUR'', 1)', :'vb')),
          pg_temp.answer(format('SELECT commerce.storefront_resolve_price(%L, ''EUR'', 1)', commerce.uuid_generate_v7())),
          'another tenant''s variant answers as an absent variant');

-- Carts ----------------------------------------------------------------------
SELECT commerce.storefront_create_cart(jsonb_build_object('currency', 'EUR', 'email', 'G1@Example.com')) AS c1 \gset
SELECT (:'c1'::jsonb) -> 'cart' ->> 'id' AS cart1, (:'c1'::jsonb) ->> 'cart_secret' AS secret1 \gset
SELECT ok(:'secret1' ~ '^cs_[A-Za-z0-9_-]{43}$', 'a cart secret is 32 random bytes');
SELECT is((:'c1'::jsonb) -> 'cart' ->> 'email', 'g1@example.com', 'the guest''s email is kept (lower case)');
SELECT is((:'c1'::jsonb) -> 'cart' ->> 'customer_id', NULL, 'a guest cart has no customer');
SELECT commerce.storefront_create_cart('{"currency": "EUR"}') AS c2 \gset
SELECT commerce.storefront_create_cart('{"currency": "EUR", "email": "g3@example.com"}') ->> 'id' AS cart3 \gset
SELECT (:'c2'::jsonb) -> 'cart' ->> 'id' AS cart2, (:'c2'::jsonb) ->> 'cart_secret' AS secret2 \gset
SELECT is(commerce.storefront_add_cart_line(:'cart1', :'secret1', jsonb_build_object('variant_id', :'va', 'quantity', 2), NULL, 'same-key')
          -> 'lines' -> 0 ->> 'quantity', '2', 'a line is added with the secret');
SELECT is(jsonb_array_length(commerce.storefront_add_cart_line(:'cart2', :'secret2', jsonb_build_object('variant_id', :'va', 'quantity', 1), NULL, 'same-key')
          -> 'lines'), 1, 'another guest''s same idempotency key is another key (no replay of cart 1)');
SELECT is((SELECT pg_temp.answer(format('SELECT commerce.storefront_get_cart(%L, %L)', :'cart1', s))), x, d)
  FROM (VALUES (NULL::text, 'no secret'), (:'secret2', 'another cart''s secret'),
               ('cs_' || repeat('A', 43), 'a wrong secret')) AS t(s, d),
       LATERAL (SELECT pg_temp.answer(format('SELECT commerce.storefront_get_cart(%L, %L)', commerce.uuid_generate_v7(), :'secret1')) AS x) r;
SELECT is(pg_temp.answer(format('SELECT commerce.storefront_add_cart_line(%L, %L, %L)', :'cart1', :'secret1',
                                jsonb_build_object('variant_id', :'draft_v', 'quantity', 1))),
          pg_temp.answer(format('SELECT commerce.storefront_add_cart_line(%L, %L, %L)', :'cart1', :'secret1',
                                jsonb_build_object('variant_id', commerce.uuid_generate_v7(), 'quantity', 1))),
          'a draft product''s variant in a cart answers as an absent variant');
SELECT is(pg_temp.answer(format('SELECT commerce.storefront_create_cart(%L)',
                                jsonb_build_object('currency', 'EUR', 'customer_id', :'customer'))),
          '22023 invalid_input unknown field "customer_id" (allowed: currency, lines, email, metadata)',
          'a storefront names no customer');
SELECT is(pg_temp.answer(format('SELECT commerce.storefront_place_cart(%L, %L)', :'cart2', :'secret2')),
          '22023 email_required a guest cart needs an email before it is placed', 'placing needs an email');
SELECT is(commerce.storefront_place_cart(:'cart1', :'secret1') ->> 'status', 'placed', 'the cart is placed');
SELECT is(pg_temp.answer(format('SELECT commerce.storefront_pay_cart(%L, %L, ''{"provider": "manual"}'')', :'cart1', :'secret1')),
          '42501 permission_denied a storefront pays through a payment provider, not the manual provider',
          'the manual provider is refused');
SELECT is(commerce.storefront_pay_cart(:'cart1', :'secret1', '{"provider": "test"}') ->> 'status', 'authorized',
          'the guest pays through the test provider');
SELECT is(commerce.storefront_get_cart(:'cart1', :'secret1') ->> 'payment_status', 'authorized', 'the confirmation shows the payment');
SELECT is((SELECT count(*) FROM commerce.orders), 1::bigint, 'plain SQL: the granted cart only');
-- permissive-only policies (docs/scaling.md): a guest cart's lines and
-- payments have no customer, they follow the cart grant by order_id only
SELECT ok((SELECT count(*) FROM commerce.order_lines) > 0
          AND (SELECT bool_and(order_id = :'cart1') FROM commerce.order_lines),
          'plain SQL: the lines of the granted cart only');
SELECT is((SELECT count(*) FROM commerce.payments WHERE order_id <> :'cart1'), 0::bigint,
          'plain SQL: no payment of another order');

-- B's key and cart cannot reach A's ------------------------------------------
SELECT commerce.set_context(:'b', :'key_b', 'storefront');
SELECT is(pg_temp.answer(format('SELECT commerce.storefront_get_cart(%L, %L)', :'cart1', :'secret1')),
          pg_temp.answer(format('SELECT commerce.storefront_get_cart(%L, %L)', commerce.uuid_generate_v7(), :'secret1')),
          'another tenant''s cart with its own secret answers as an absent one');

-- Claim by a customer ---------------------------------------------------------
SELECT commerce.set_context(:'a', :'customer', 'customer');
SELECT is(pg_temp.answer(format('SELECT commerce.claim_guest_order(%L, %L)', :'cart1', :'secret2')),
          'P0002 not_found cart not found', 'a claim with another cart''s secret is not_found');
SELECT is(commerce.claim_guest_order(:'cart1', :'secret1') ->> 'customer_id', :'customer', 'the customer claims the guest order');
SELECT is(pg_temp.answer(format('SELECT commerce.claim_guest_order(%L, NULL, %L)', :'cart3', 'g1@example.com')),
          'P0002 not_found cart not found', 'a claim by another verified email is not_found');
SELECT is(pg_temp.answer(format('SELECT commerce.claim_guest_order(%L)', :'cart3')),
          'P0002 not_found cart not found', 'a claim with neither secret nor email is not_found');
SELECT is(commerce.claim_guest_order(:'cart3', NULL, 'G3@Example.com') ->> 'customer_id', :'customer',
          'a claim by the guest''s email, verified by the identity provider');
SELECT is((SELECT count(*) FROM commerce.payments WHERE customer_id = :'customer'), 1::bigint, 'its payment follows');
SELECT ok((SELECT count(*) FROM commerce.order_lines WHERE order_id = :'cart1' AND customer_id = :'customer') > 0,
          'its lines carry the customer (the lines'' policy compares that copy)');
SELECT is((SELECT count(*) FROM commerce.order_lines WHERE customer_id IS DISTINCT FROM :'customer'), 0::bigint,
          'a customer''s plain SQL sees no guest''s or other customer''s line');
SELECT commerce.set_context(:'a', :'key_a', 'storefront');
SELECT is(pg_temp.answer(format('SELECT commerce.storefront_get_cart(%L, %L)', :'cart1', :'secret1')),
          'P0002 not_found cart not found', 'after the claim the cart secret no longer opens it');

-- promotions: gateway SQL reads them as staff only (the read rule of
-- tenant_isolation names the gateway and partner roles)
SELECT commerce.set_context(:'a', 'alice', 'staff');
SELECT commerce.create_promotion('{"name": "Late", "type": "percentage", "percent_ppm": 100000}') ->> 'id' AS promo \gset
SELECT is((SELECT count(*) FROM commerce.promotions WHERE id = :'promo'), 1::bigint, 'gateway SQL as staff reads promotions');
SELECT commerce.set_context(:'a', :'customer', 'customer');
SELECT is((SELECT count(*) FROM commerce.promotions), 0::bigint, 'gateway SQL as a customer reads no promotion');
SELECT commerce.set_context(:'a', :'key_a', 'storefront');
SELECT is((SELECT count(*) FROM commerce.promotions), 0::bigint, 'nor as a storefront');

SELECT * FROM finish();
ROLLBACK;
