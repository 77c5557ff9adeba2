-- test/sql/storefront_cart_checkout.sql — the storefront commands of
-- session 8 in the database (docs/storefront.md): search with the list
-- filters (active products only, status cannot widen it), a guest cart's
-- addresses, shipping options and method and discount codes through the
-- proven cart only; the same commands refuse staff and customers; the
-- shared pieces (storefront_scoped, storefront_cart, storefront_cart_after,
-- storefront_staff_tenant) are the owner's alone; staff read a guest
-- order's email through get_order, a customer (even the one who claimed it)
-- and a storefront's plain get_order do not.
BEGIN;
SELECT plan(27);

CREATE ROLE sc_gw IN ROLE commerce_gateway;
CREATE ROLE sc_admin IN ROLE commerce_admin;
SET LOCAL ROLE sc_admin;
SELECT commerce.create_tenant('sc-a', 'Shop A', 'EUR') AS a \gset
SELECT commerce.create_tenant('sc-b', 'Shop B', 'EUR') AS b \gset
RESET ROLE;
\ir ../fixtures/make_variant.sql
SELECT public.make_variant(:'a', 'SC-TEE-1', 1000, 100) AS va \gset

\ir ../fixtures/answer.sql

SET LOCAL ROLE sc_gw;
SELECT commerce.set_context(:'b', 'bob', 'staff');
SELECT commerce.create_shipping_method('{"name": "B", "kind": "flat_rate", "currency": "EUR", "amount": 1, "countries": ["FR"]}') ->> 'id' AS mb \gset
SELECT commerce.create_promotion('{"name": "B", "type": "percentage", "percent_ppm": 500000}') ->> 'id' AS pb \gset
SELECT commerce.create_promotion_code(:'pb', '{"code": "BONLY"}') IS NOT NULL AS ok \gset
SELECT commerce.set_context(:'a', 'alice', 'staff');
SELECT commerce.create_product('{"title": "Secret tee", "status": "draft"}') ->> 'id' AS draft \gset
SELECT commerce.create_shipping_method('{"name": "Std", "kind": "flat_rate", "currency": "EUR", "amount": 500, "countries": ["FR"]}') ->> 'id' AS ma \gset
SELECT commerce.create_promotion('{"name": "Five", "type": "fixed", "amounts": {"EUR": 500}}') ->> 'id' AS pa \gset
SELECT commerce.create_promotion_code(:'pa', '{"code": "FIVE"}') IS NOT NULL AS ok \gset
SELECT commerce.create_customer('{"email": "ann@example.com"}') ->> 'id' AS ann \gset
SELECT commerce.create_storefront_key('{}') ->> 'key' AS key \gset

-- Search ------------------------------------------------------------------
SELECT commerce.set_context(:'a', :'key', 'storefront');
SELECT is(jsonb_array_length(commerce.storefront_list_products(50, NULL, '{"q": "tee"}') -> 'data'), 1,
          'q=tee finds the active product, not the draft "Secret tee"');
SELECT is(jsonb_array_length(commerce.storefront_list_products(50, NULL, '{"status": "draft"}') -> 'data'), 0,
          'a status term cannot widen the list to drafts');
SELECT is(jsonb_array_length(commerce.storefront_list_products(50, NULL, '{"sku": "SC-TEE-1"}') -> 'data'), 1, 'sku');
SELECT is(jsonb_array_length(commerce.storefront_list_products() -> 'data'), 1, 'no filter: the active products');
SELECT is(pg_temp.answer('SELECT commerce.storefront_list_products(50, NULL, ''{"colour": "red"}'')') ~ '^22023 invalid_filter ', true,
          'an unknown field: invalid_filter');

-- A guest cart through the new commands ---------------------------------------
SELECT commerce.storefront_create_cart(jsonb_build_object('currency', 'EUR', 'email', 'Guest@Example.com',
         'lines', jsonb_build_array(jsonb_build_object('variant_id', :'va', 'quantity', 2)))) AS made \gset
SELECT (:'made'::jsonb ->> 'id') AS cart, (:'made'::jsonb ->> 'cart_secret') AS secret \gset
SELECT commerce.storefront_create_cart('{"currency": "EUR"}') AS other \gset
SELECT (:'other'::jsonb ->> 'cart_secret') AS other_secret \gset
SELECT is(pg_temp.answer(format('SELECT commerce.storefront_list_shipping_options(%L, %L)', :'cart', :'secret')),
          '55000 shipping_address_required order <id> has no shipping address', 'no options before an address');
SELECT is(commerce.storefront_set_cart_addresses(:'cart', :'secret',
            '{"shipping_address": {"line1": "1 rue", "city": "Paris", "country": "FR"}}') #>> '{shipping_address,city}',
          'Paris', 'storefront_set_cart_addresses');
SELECT is(pg_temp.answer(format('SELECT commerce.storefront_set_cart_addresses(%L, %L, %L)', :'cart', :'secret',
            jsonb_build_object('billing_address_id', commerce.uuid_generate_v7()))) ~ '^P0002 not_found ', true,
          'a saved address id: not_found (a guest has none)');
SELECT is(jsonb_array_length(commerce.storefront_list_shipping_options(:'cart', :'secret') -> 'data'), 1,
          'the one method of the tenant that ships to FR (not B''s)');
SELECT is(pg_temp.answer(format('SELECT commerce.storefront_set_cart_shipping_method(%L, %L, %L)', :'cart', :'secret',
            jsonb_build_object('shipping_method_id', :'mb'))),
          pg_temp.answer(format('SELECT commerce.storefront_set_cart_shipping_method(%L, %L, %L)', :'cart', :'secret',
            jsonb_build_object('shipping_method_id', commerce.uuid_generate_v7()))),
          'B''s shipping method: the answer of an absent one');
SELECT is(commerce.storefront_set_cart_shipping_method(:'cart', :'secret', jsonb_build_object('shipping_method_id', :'ma')) ->> 'shipping_total',
          '500', 'storefront_set_cart_shipping_method prices shipping');
SELECT is(regexp_replace(pg_temp.answer(format('SELECT commerce.storefront_apply_discount_code(%L, %L, ''{"code": "BONLY"}'')', :'cart', :'secret')), '"[A-Z]+"', '"<code>"'),
          regexp_replace(pg_temp.answer(format('SELECT commerce.storefront_apply_discount_code(%L, %L, ''{"code": "NOSUCH"}'')', :'cart', :'secret')), '"[A-Z]+"', '"<code>"'),
          'B''s code: the answer of an absent one');
SELECT commerce.storefront_apply_discount_code(:'cart', :'secret', '{"code": "five"}') AS coded \gset
SELECT is((:'coded'::jsonb ->> 'discount_total')::int, 500, 'storefront_apply_discount_code');
SELECT is((:'coded'::jsonb ->> 'subtotal')::int - (:'coded'::jsonb ->> 'discount_total')::int
          + (:'coded'::jsonb ->> 'shipping_total')::int + (:'coded'::jsonb ->> 'tax_total')::int,
          (:'coded'::jsonb ->> 'total')::int, 'subtotal - discount + shipping + tax = total');
SELECT is(pg_temp.answer(format('SELECT commerce.storefront_apply_discount_code(%L, %L, ''{"code": "FIVE"}'')', :'cart', :'other_secret')),
          'P0002 not_found cart not found', 'another guest''s secret: the cart is not found');
SELECT is(pg_temp.answer(format('SELECT commerce.storefront_remove_discount_code(%L, ''FIVE'', NULL)', :'cart')),
          'P0002 not_found cart not found', 'no secret: not found');
SELECT is(commerce.storefront_remove_discount_code(:'cart', 'FIVE', :'secret') ->> 'discount_total', '0', 'storefront_remove_discount_code');
SELECT is(commerce.storefront_apply_discount_code(:'cart', :'secret', '{"code": "FIVE"}') ->> 'email', 'guest@example.com',
          'the answer is the cart, with the guest''s email');
SELECT is(commerce.storefront_place_cart(:'cart', :'secret') ->> 'status', 'placed', 'placed');
SELECT is(commerce.get_order(:'cart') ? 'email', false,
          'get_order inside the storefront scope of this transaction adds no email (storefront_cart_json does, for the proven cart)');

-- Other actors on the storefront commands ---------------------------------------
SELECT commerce.set_context(:'a', 'alice', 'staff');
SELECT is(pg_temp.answer(format('SELECT commerce.storefront_set_cart_addresses(%L, %L, ''{}'')', :'cart', :'secret')),
          '42501 permission_denied storefront routes need a publishable key', 'staff cannot call a storefront command');
SELECT is(commerce.get_order(:'cart') ->> 'email', 'guest@example.com', 'staff read the guest''s email through get_order');
SELECT is(commerce.get_order((commerce.create_order('{"currency": "EUR"}') ->> 'id')::uuid) ? 'email', false,
          'an order that was no guest cart has no email field');
SELECT commerce.set_context(:'a', :'ann', 'customer');
SELECT is(pg_temp.answer(format('SELECT commerce.storefront_list_shipping_options(%L, %L)', :'cart', :'secret')),
          '42501 permission_denied storefront routes need a publishable key', 'a customer cannot call a storefront command');
SELECT is(commerce.claim_guest_order(:'cart', :'secret') ? 'email', false, 'the claiming customer gets the order without the email');
SELECT is(commerce.get_order(:'cart') ? 'email', false, 'nor through get_order');

-- The shared pieces are the owner's ------------------------------------------------
RESET ROLE;
SELECT is(array_agg(f ORDER BY f), NULL, 'gateway, partner and admin roles execute none of the shared pieces')
  FROM (SELECT r || ' ' || f AS f
          FROM unnest(ARRAY['commerce.storefront_scoped(anyelement)', 'commerce.storefront_cart(uuid,text)',
                            'commerce.storefront_cart_after(uuid,jsonb)', 'commerce.storefront_staff_tenant(text)']) f,
               unnest(ARRAY['commerce_gateway', 'commerce_partner', 'commerce_admin', 'public']) r
         WHERE has_function_privilege(r, f, 'EXECUTE')) x;

SELECT * FROM finish();
ROLLBACK;
