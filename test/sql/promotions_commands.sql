-- test/sql/promotions_commands.sql — promotions and discount codes: the
-- staff commands and their validation, codes on carts (apply, remove,
-- the combinability rule, automatic promotions), usage limits taken at
-- placing and given back by cancelling, events, and the attacks: another
-- tenant's code, an expired or archived code, a customer applying a code
-- to another customer's order, a customer reading codes.
BEGIN;
SELECT plan(55);
\ir ../fixtures/orders.sql

SELECT orders_test.tenant('promo-b', 'EUR') AS tb \gset
SELECT (commerce.create_promotion('{"name": "B only", "type": "percentage", "percent_ppm": 500000}') ->> 'id') AS pb \gset
SELECT commerce.create_promotion_code(:'pb', '{"code": "BONLY"}') IS NOT NULL AS ok \gset

SELECT orders_test.tenant('promo-a', 'EUR') AS t \gset
SELECT orders_test.variant(:'t', 'A', 1000) AS va \gset
SELECT orders_test.variant(:'t', 'B', 500) AS vb \gset
SELECT orders_test.customer(:'t', 'ann@example.com') AS ann \gset
SELECT orders_test.customer(:'t', 'bob@example.com') AS bob \gset

-- validation
SELECT is(orders_test.code($$SELECT commerce.create_promotion('{"name": "x", "type": "percentage"}')$$),
          'invalid_input', 'percentage without percent_ppm: invalid_input');
SELECT is(orders_test.code($$SELECT commerce.create_promotion('{"name": "x", "type": "fixed", "amounts": {"XXX": 5}}')$$),
          'unknown_currency', 'an amount in an unknown currency: unknown_currency');
SELECT is(orders_test.code($$SELECT commerce.create_promotion('{"name": "x", "type": "fixed", "amounts": {"EUR": 1.5}}')$$),
          'invalid_input', 'a fractional minor unit: invalid_input');
SELECT is(orders_test.code($$SELECT commerce.create_promotion('{"name": "x", "type": "fixed", "amounts": {"EUR": 0}}')$$),
          'invalid_input', 'a zero amount: invalid_input');
SELECT is(orders_test.code(format($$SELECT commerce.create_promotion('{"name": "x", "type": "percentage", "percent_ppm": 1, "target_variant_ids": ["%s"]}')$$, :'va')),
          'invalid_input', 'targets on an order-scope promotion: invalid_input');
SELECT is(orders_test.code($$SELECT commerce.create_promotion('{"name": "x", "type": "percentage", "percent_ppm": 1, "scope": "line", "target_product_ids": ["nope"]}')$$),
          'invalid_input', 'a target that is no uuid: invalid_input');
SELECT is(orders_test.code($$SELECT commerce.create_promotion('{"name": "x", "type": "percentage", "percent_ppm": 1000001}')$$),
          'invalid_input', 'more than 100 %: invalid_input');
SELECT is(orders_test.code($$SELECT commerce.create_promotion('{"name": "x", "type": "percentage", "percent_ppm": 1, "starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"}')$$),
          'invalid_input', 'a window ending before it starts: invalid_input');
SELECT is(orders_test.code($$SELECT commerce.create_promotion('{"name": "x", "type": "percentage", "percent_ppm": 1, "colour": "red"}')$$),
          'invalid_input', 'an unknown field: invalid_input');

-- a code promotion: 10 %, minimum 15.00 EUR
SELECT commerce.create_promotion('{"name": "Ten", "type": "percentage", "percent_ppm": 100000, "min_subtotal": {"EUR": 1500}}') AS promo \gset
SELECT (:'promo'::jsonb ->> 'id') AS p10 \gset
SELECT is((SELECT type FROM commerce.outbox WHERE aggregate_id = :'p10'::uuid), 'promotion.created', 'promotion.created emitted');
SELECT commerce.create_promotion_code(:'p10', '{"code": "ten-off", "usage_limit": 2, "per_customer_limit": 1}') AS code \gset
SELECT is(:'code'::jsonb ->> 'code', 'TEN-OFF', 'codes are stored upper-case');
SELECT is(orders_test.code(format($$SELECT commerce.create_promotion_code(%L, '{"code": "Ten-Off"}')$$, :'p10')),
          'discount_code_taken', 'the same code in another case: discount_code_taken');
SELECT is(orders_test.code(format($$SELECT commerce.create_promotion_code(%L, '{"code": "bad code!"}')$$, :'p10')),
          'invalid_input', 'a code with a space: invalid_input');
SELECT is(orders_test.code(format($$SELECT commerce.create_promotion_code(%L, '{"code": "X"}')$$, :'pb')),
          'not_found', 'a code under another tenant''s promotion: not_found');
SELECT is(commerce.update_promotion(:'p10', '{"description": "ten percent"}', 1) ->> 'version', '2', 'update_promotion bumps the version');
SELECT is(orders_test.code(format($$SELECT commerce.update_promotion(%L, '{"type": "fixed"}')$$, :'p10')),
          'invalid_input', 'the type cannot change');
SELECT is(orders_test.code(format($$SELECT commerce.update_promotion(%L, '{"name": "x"}', 1)$$, :'p10')),
          'version_conflict', 'a stale expected_version: version_conflict');
SELECT is((commerce.list_promotions() -> 'data' -> 0 ->> 'id'), :'p10', 'list_promotions lists the tenant''s only');

-- the cart
SELECT (commerce.create_order(jsonb_build_object('currency', 'EUR', 'customer_id', :'ann', 'lines', jsonb_build_array(
          jsonb_build_object('variant_id', :'va', 'quantity', 1)))) ->> 'id') AS o1 \gset
SELECT is(orders_test.code(format($$SELECT commerce.apply_discount_code(%L, '{"code": "ten-off"}')$$, :'o1')),
          'discount_not_applicable', 'below the minimum subtotal: discount_not_applicable');
SELECT commerce.add_order_line(:'o1', jsonb_build_object('variant_id', :'vb', 'quantity', 1)) IS NOT NULL AS ok \gset
SELECT commerce.apply_discount_code(:'o1', '{"code": "ten-off"}') AS cart \gset
SELECT results_eq(format($$SELECT (%1$L::jsonb->>'discount_total')::bigint, %1$L::jsonb->'discounts'->0->>'code', (%1$L::jsonb->>'total')::bigint$$, :'cart'),
                  $$VALUES (150::bigint, 'TEN-OFF', 1350::bigint)$$, 'a code on the cart: 10 % of 15.00 shown live');
SELECT is((SELECT data->>'discount_total' FROM commerce.outbox WHERE aggregate_id = :'o1'::uuid ORDER BY id DESC LIMIT 1),
          '150', 'order.updated carries the discount');
SELECT is(orders_test.code(format($$SELECT commerce.apply_discount_code(%L, '{"code": "TEN-OFF"}')$$, :'o1')),
          'discount_code_already_applied', 'the same code twice: discount_code_already_applied');
SELECT is(orders_test.code(format($$SELECT commerce.apply_discount_code(%L, '{"code": "nothing"}')$$, :'o1')),
          'discount_code_not_found', 'an unknown code: discount_code_not_found');
SELECT is(orders_test.code(format($$SELECT commerce.apply_discount_code(%L, '{"code": "BONLY"}')$$, :'o1')),
          'discount_code_not_found', 'another tenant''s code: discount_code_not_found (no existence revealed)');
-- a second, exclusive code cannot join
SELECT (commerce.create_promotion('{"name": "Five", "type": "fixed", "amounts": {"EUR": 500}}') ->> 'id') AS p5 \gset
SELECT commerce.create_promotion_code(:'p5', '{"code": "FIVE"}') IS NOT NULL AS ok \gset
SELECT is(orders_test.code(format($$SELECT commerce.apply_discount_code(%L, '{"code": "FIVE"}')$$, :'o1')),
          'discount_not_combinable', 'a second code of exclusive promotions: discount_not_combinable');
-- expired and archived codes
SELECT (commerce.create_promotion('{"name": "Old", "type": "percentage", "percent_ppm": 1, "ends_at": "2020-01-01T00:00:00Z"}') ->> 'id') AS pold \gset
SELECT commerce.create_promotion_code(:'pold', '{"code": "OLD"}') IS NOT NULL AS ok \gset
SELECT is(orders_test.code(format($$SELECT commerce.apply_discount_code(%L, '{"code": "OLD"}')$$, :'o1')),
          'discount_code_inactive', 'an expired code: discount_code_inactive');
SELECT commerce.archive_promotion(:'p5') IS NOT NULL AS ok \gset
SELECT is(orders_test.code(format($$SELECT commerce.apply_discount_code(%L, '{"code": "FIVE"}')$$, :'o1')),
          'discount_code_inactive', 'an archived promotion''s code: discount_code_inactive');
SELECT is(orders_test.code(format($$SELECT commerce.archive_promotion(%L)$$, :'p5')),
          'invalid_transition', 'archiving twice: invalid_transition');
SELECT is((SELECT type FROM commerce.outbox WHERE aggregate_id = :'p5'::uuid ORDER BY id DESC LIMIT 1),
          'promotion.archived', 'promotion.archived emitted');

-- a customer: no staff reads, no code on another customer's cart
SELECT (commerce.create_order(jsonb_build_object('currency', 'EUR', 'customer_id', :'bob', 'lines', jsonb_build_array(
          jsonb_build_object('variant_id', :'va', 'quantity', 2)))) ->> 'id') AS obob \gset
SELECT commerce.set_context(:'t', :'ann', 'customer') IS NULL AS ok \gset
SELECT is(orders_test.code('SELECT commerce.list_promotions()'), 'permission_denied', 'a customer cannot list promotions');
SELECT is(orders_test.code(format('SELECT commerce.get_promotion_code(%L)', :'code'::jsonb->>'id')), 'permission_denied', 'a customer cannot read a code');
SELECT is(orders_test.code($$SELECT commerce.create_promotion('{"name": "mine", "type": "percentage", "percent_ppm": 1000000}')$$),
          'permission_denied', 'a customer cannot create promotions');
SELECT is(orders_test.code(format($$SELECT commerce.apply_discount_code(%L, '{"code": "TEN-OFF"}')$$, :'obob')),
          'not_found', 'a customer applying a code to another customer''s order: not_found');
SELECT is(commerce.remove_discount_code(:'o1', 'ten-off') ->> 'discount_total', '0',
          'a customer removes a code from its own cart: no discount left');
SELECT is(commerce.apply_discount_code(:'o1', '{"code": "TEN-OFF"}') ->> 'discount_total', '150', 'and applies it again');
-- placing takes a use of the code and of the customer
SELECT commerce.place_order(:'o1') AS placed1 \gset
SELECT commerce.set_context(:'t', 'staff-1', 'staff') IS NULL AS ok \gset
SELECT is((SELECT used FROM commerce.promotion_codes WHERE code = 'TEN-OFF'), 1, 'placing takes one use');
SELECT is((SELECT used FROM commerce.promotion_code_customers WHERE customer_id = :'ann'), 1, 'and one of the customer''s');
SELECT is((SELECT data->'discounts'->0->>'amount' FROM commerce.outbox WHERE aggregate_id = :'o1'::uuid AND type = 'order.placed'),
          '150', 'order.placed carries the discounts');
SELECT is(commerce.get_order(:'o1') -> 'discounts' -> 0 ->> 'code', 'TEN-OFF', 'get_order shows a placed order''s discounts');
-- per-customer limit 1: ann again fails; nothing is written
SELECT (SELECT count(*) FROM commerce.orders) AS orders_before \gset
SELECT is(orders_test.code(format($$SELECT commerce.checkout(%L)$$, jsonb_build_object('currency', 'EUR', 'customer_id', :'ann',
            'discount_code', 'TEN-OFF', 'lines', jsonb_build_array(jsonb_build_object('variant_id', :'va', 'quantity', 2))))),
          'discount_limit_reached', 'ann''s second use: discount_limit_reached');
SELECT is(orders_test.code(format($$SELECT commerce.checkout(%L)$$, jsonb_build_object('currency', 'EUR',
            'discount_code', 'TEN-OFF', 'lines', jsonb_build_array(jsonb_build_object('variant_id', :'va', 'quantity', 2))))),
          'discount_not_applicable', 'a guest cannot use a code with a per-customer limit');
-- bob takes the second and last use; then the code is exhausted for everyone
SELECT is(commerce.checkout(jsonb_build_object('currency', 'EUR', 'customer_id', :'bob', 'discount_code', 'ten-off',
            'lines', jsonb_build_array(jsonb_build_object('variant_id', :'va', 'quantity', 2)))) ->> 'discount_total',
          '200', 'bob''s checkout with the code');
SELECT orders_test.customer(:'t', 'cid@example.com') AS cid \gset
SELECT (SELECT count(*) FROM commerce.orders) AS orders_mid \gset
SELECT (SELECT reserved FROM commerce.inventory_levels WHERE variant_id = :'va') AS reserved_mid \gset
SELECT is(orders_test.code(format($$SELECT commerce.checkout(%L)$$, jsonb_build_object('currency', 'EUR', 'customer_id', :'cid',
            'discount_code', 'TEN-OFF', 'lines', jsonb_build_array(jsonb_build_object('variant_id', :'va', 'quantity', 2))))),
          'discount_limit_reached', 'the third use of a code limited to 2: discount_limit_reached');
SELECT results_eq(format($$SELECT count(*), (SELECT reserved FROM commerce.inventory_levels WHERE variant_id = %L) FROM commerce.orders$$, :'va'),
                  format($$VALUES (%s::bigint, %s::bigint)$$, :'orders_mid', :'reserved_mid'), 'nothing half-written: no order, no stock reserved');
-- cancelling gives the use back
SELECT commerce.cancel_order(:'o1') IS NOT NULL AS ok \gset
SELECT results_eq($$SELECT c.used, u.used FROM commerce.promotion_codes c JOIN commerce.promotion_code_customers u ON u.code_id = c.id WHERE c.code = 'TEN-OFF' AND u.customer_id = (SELECT customer_id FROM commerce.orders WHERE id = $$ || quote_literal(:'o1') || $$)$$,
                  $$VALUES (1, 0)$$, 'cancelling gives the code''s and the customer''s use back');
SELECT is(commerce.checkout(jsonb_build_object('currency', 'EUR', 'customer_id', :'cid', 'discount_code', 'TEN-OFF',
            'lines', jsonb_build_array(jsonb_build_object('variant_id', :'va', 'quantity', 2)))) ->> 'discount_total',
          '200', 'the freed use is taken again');
-- the limit cannot drop below the uses taken
SELECT is(orders_test.code(format($$SELECT commerce.update_promotion_code(%L, '{"usage_limit": 1}')$$, :'code'::jsonb->>'id')),
          'invalid_input', 'usage_limit below the uses taken: invalid_input');
-- archived code: a cart carrying it cannot be placed
SELECT (commerce.create_promotion('{"name": "Twenty", "type": "percentage", "percent_ppm": 200000, "combinable": true}') ->> 'id') AS p20 \gset
SELECT (commerce.create_promotion_code(:'p20', '{"code": "TWENTY"}') ->> 'id') AS c20 \gset
SELECT (commerce.create_order(orders_test.cart(:'vb')) ->> 'id') AS o2 \gset
SELECT commerce.apply_discount_code(:'o2', '{"code": "twenty"}') IS NOT NULL AS ok \gset
SELECT commerce.archive_promotion_code(:'c20') IS NOT NULL AS ok \gset
SELECT is(commerce.get_order(:'o2') ->> 'discount_total', '0', 'an archived code on a cart takes nothing off');
SELECT is(orders_test.code(format('SELECT commerce.place_order(%L)', :'o2')), 'discount_code_inactive',
          'placing a cart with an archived code: discount_code_inactive');
SELECT is(commerce.remove_discount_code(:'o2', 'twenty') ->> 'discount_total', '0', 'remove_discount_code');
SELECT is(orders_test.code(format($$SELECT commerce.remove_discount_code(%L, 'TWENTY')$$, :'o2')), 'not_found',
          'removing a code the cart does not carry: not_found');

-- automatic promotions: combinable ones stack, the better of them or the best exclusive one
SELECT commerce.create_promotion(jsonb_build_object('name', 'B line 1.00 off', 'automatic', true, 'combinable', true,
         'type', 'fixed', 'amounts', '{"EUR": 100}'::jsonb, 'scope', 'line', 'target_variant_ids', jsonb_build_array(:'vb'))) IS NOT NULL AS ok \gset
SELECT is(commerce.get_order(:'o2') ->> 'discount_total', '100', 'an automatic line promotion applies live to a matching cart');
SELECT commerce.create_promotion('{"name": "Auto 5%", "automatic": true, "combinable": true, "type": "percentage", "percent_ppm": 50000}') IS NOT NULL AS ok \gset
SELECT is(commerce.get_order(:'o2') ->> 'discount_total', '120', 'combinable automatic promotions stack: line first, then 5 % of the rest');
SELECT commerce.create_promotion('{"name": "Auto 30% exclusive", "automatic": true, "type": "percentage", "percent_ppm": 300000}') IS NOT NULL AS ok \gset
SELECT is(commerce.get_order(:'o2') -> 'discounts' -> 0 ->> 'name', 'Auto 30% exclusive', 'a better exclusive automatic promotion applies alone');
SELECT is(commerce.place_order(:'o2') ->> 'discount_total', '150', 'and is what placing snapshots');

SELECT * FROM finish();
ROLLBACK;
