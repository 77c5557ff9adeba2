-- test/sql/row_rules.sql — the one-CHECK-per-table row rules
-- (extension/row_rules.c): every rule the separate CHECK constraints held is
-- still refused on a direct write (as a superuser: no role but the commands'
-- owner may write), with SQLSTATE 23514 and the rule's own constraint name,
-- and rows the rules allow (NULLs where a column allows them) pass.
BEGIN;
SELECT plan(62);
\ir ../fixtures/orders.sql

SELECT orders_test.tenant('rules') AS t \gset
SELECT orders_test.variant(:'t', 'R-1', 250) AS v \gset
SELECT orders_test.order_in('placed', :'v') AS placed \gset
SELECT orders_test.order_in('draft', :'v') AS draft \gset
SELECT (commerce.create_promotion('{"name": "R", "type": "percentage", "percent_ppm": 100000}') ->> 'id') AS promo \gset
SELECT (commerce.create_promotion_code(:'promo', '{"code": "RULES-1", "usage_limit": 5}') ->> 'id') AS pcode \gset
RESET ROLE;

-- statement, rule it breaks
CREATE TEMP TABLE broken (stmt text, rule text);
INSERT INTO broken VALUES
  (format($$UPDATE commerce.orders SET number = 0 WHERE id = %L$$, :'placed'), 'orders_number_check'),
  (format($$UPDATE commerce.orders SET status = 'shipped' WHERE id = %L$$, :'placed'), 'orders_status_check'),
  (format($$UPDATE commerce.orders SET status = 'Placed' WHERE id = %L$$, :'placed'), 'orders_status_check'),
  (format($$UPDATE commerce.orders SET payment_status = 'owed' WHERE id = %L$$, :'placed'), 'orders_payment_status_check'),
  (format($$UPDATE commerce.orders SET currency = 'eur' WHERE id = %L$$, :'draft'), 'orders_currency_check'),
  (format($$UPDATE commerce.orders SET currency = 'EURO' WHERE id = %L$$, :'draft'), 'orders_currency_check'),
  (format($$UPDATE commerce.orders SET currency = 'E1R' WHERE id = %L$$, :'draft'), 'orders_currency_check'),
  (format($$UPDATE commerce.orders SET tax_rounding_mode = 'ceiling' WHERE id = %L$$, :'placed'), 'orders_tax_rounding_mode_check'),
  (format($$UPDATE commerce.orders SET tax_rounding_scope = 'cart' WHERE id = %L$$, :'placed'), 'orders_tax_rounding_scope_check'),
  (format($$UPDATE commerce.orders SET subtotal = -1, total = -1 WHERE id = %L$$, :'draft'), 'orders_subtotal_check'),
  (format($$UPDATE commerce.orders SET amount_authorized = -1 WHERE id = %L$$, :'placed'), 'orders_amount_authorized_check'),
  (format($$UPDATE commerce.orders SET amount_captured = -1 WHERE id = %L$$, :'placed'), 'orders_amount_captured_check'),
  (format($$UPDATE commerce.orders SET amount_refunded = -1 WHERE id = %L$$, :'placed'), 'orders_amount_refunded_check'),
  (format($$UPDATE commerce.orders SET number = NULL WHERE id = %L$$, :'placed'), 'orders_number_when_placed'),
  (format($$UPDATE commerce.orders SET placed_at = now() WHERE id = %L$$, :'draft'), 'orders_number_when_placed'),
  (format($$UPDATE commerce.orders SET status = 'draft' WHERE id = %L$$, :'placed'), 'orders_draft_unplaced'),
  (format($$UPDATE commerce.orders SET amount_captured = 5, amount_refunded = 6, amount_authorized = 5 WHERE id = %L$$, :'placed'), 'orders_refunded_le_captured'),
  (format($$UPDATE commerce.orders SET total = total + 1 WHERE id = %L$$, :'placed'), 'orders_total_is_sum'),
  (format($$UPDATE commerce.orders SET shipping_address = '["not", "an object"]' WHERE id = %L$$, :'draft'), 'orders_shipping_address_check'),
  (format($$UPDATE commerce.orders SET billing_address = '"a string"' WHERE id = %L$$, :'draft'), 'orders_billing_address_check'),
  (format($$UPDATE commerce.orders SET shipping_tax_rate_ppm = -1 WHERE id = %L$$, :'placed'), 'orders_shipping_tax_rate_ppm_check'),
  (format($$UPDATE commerce.orders SET shipping_tax = tax_total + 1 WHERE id = %L$$, :'placed'), 'orders_shipping_tax_within'),
  (format($$UPDATE commerce.orders SET shipping_total = 500, total = total + 500 WHERE id = %L$$, :'placed'), 'orders_shipping_needs_method'),
  (format($$UPDATE commerce.orders SET discount_total = subtotal + 1 WHERE id = %L$$, :'placed'), 'orders_discount_within'),
  (format($$UPDATE commerce.order_lines SET discount_amount = -1 WHERE order_id = %L$$, :'placed'), 'order_lines_discount_amount_check'),
  (format($$UPDATE commerce.order_lines SET discount_amount = 1 WHERE order_id = %L$$, :'draft'), 'order_lines_discount_within'),
  (format($$UPDATE commerce.order_lines SET quantity = 0 WHERE order_id = %L$$, :'draft'), 'order_lines_quantity_check'),
  (format($$UPDATE commerce.order_lines SET quantity = 1000001 WHERE order_id = %L$$, :'draft'), 'order_lines_quantity_check'),
  (format($$UPDATE commerce.order_lines SET unit_amount = -1, amount = -1 WHERE order_id = %L$$, :'placed'), 'order_lines_unit_amount_check'),
  (format($$UPDATE commerce.order_lines SET tax_rate_ppm = 1000001 WHERE order_id = %L$$, :'placed'), 'order_lines_tax_rate_ppm_check'),
  (format($$UPDATE commerce.order_lines SET tax_amount = -1 WHERE order_id = %L$$, :'placed'), 'order_lines_tax_amount_check'),
  (format($$UPDATE commerce.order_lines SET tax_amount = NULL WHERE order_id = %L$$, :'placed'), 'order_lines_snapshot_complete'),
  (format($$UPDATE commerce.order_lines SET unit_amount = 1, amount = 1, tax_rate_ppm = 0 WHERE order_id = %L$$, :'draft'), 'order_lines_snapshot_complete'),
  (format($$UPDATE commerce.order_lines SET amount = amount + 1 WHERE order_id = %L$$, :'placed'), 'order_lines_amount_is_product'),
  (format($$UPDATE commerce.order_lines SET unit_amount = 4611686018427387904, amount = 0, quantity = 2 WHERE order_id = %L$$, :'placed'), 'order_lines_amount_is_product'),
  (format($$UPDATE commerce.inventory_levels SET location = '' WHERE variant_id = %L$$, :'v'), 'inventory_levels_location_check'),
  (format($$UPDATE commerce.inventory_levels SET location = repeat('é', 101) WHERE variant_id = %L$$, :'v'), 'inventory_levels_location_check'),
  (format($$UPDATE commerce.inventory_levels SET on_hand = -1, reserved = 0 WHERE variant_id = %L$$, :'v'), 'inventory_levels_on_hand_check'),
  (format($$UPDATE commerce.inventory_levels SET reserved = -1 WHERE variant_id = %L$$, :'v'), 'inventory_levels_reserved_check'),
  (format($$UPDATE commerce.inventory_levels SET reserved = on_hand + 1 WHERE variant_id = %L$$, :'v'), 'inventory_levels_reserved_le_on_hand'),
  (format($$INSERT INTO commerce.idempotency_keys (tenant_id, actor, subject, key, command, fingerprint, response) VALUES (%L, 'staff', 's', '', 'x', '\x00', '{}')$$, :'t'), 'idempotency_keys_key_check'),
  (format($$INSERT INTO commerce.idempotency_keys (tenant_id, actor, subject, key, command, fingerprint, response) VALUES (%L, 'staff', 's', repeat('k', 256), 'x', '\x00', '{}')$$, :'t'), 'idempotency_keys_key_check'),
  (format($$INSERT INTO commerce.idempotency_keys (tenant_id, actor, subject, key, command, fingerprint) VALUES (%L, 'staff', 's', 'k', 'x', '\x00')$$, :'t'), 'idempotency_keys_check'),
  (format($$INSERT INTO commerce.idempotency_keys (tenant_id, actor, subject, key, command, fingerprint, response, response_event) VALUES (%L, 'staff', 's', 'k', 'x', '\x00', '{}', gen_random_uuid())$$, :'t'), 'idempotency_keys_check'),
  (format($$UPDATE commerce.promotion_codes SET code = 'rules-1' WHERE id = %L$$, :'pcode'), 'promotion_codes_code_check'),
  (format($$UPDATE commerce.promotion_codes SET code = '-RULES' WHERE id = %L$$, :'pcode'), 'promotion_codes_code_check'),
  (format($$UPDATE commerce.promotion_codes SET code = repeat('A', 65) WHERE id = %L$$, :'pcode'), 'promotion_codes_code_check'),
  (format($$UPDATE commerce.promotion_codes SET usage_limit = 0 WHERE id = %L$$, :'pcode'), 'promotion_codes_usage_limit_check'),
  (format($$UPDATE commerce.promotion_codes SET per_customer_limit = 0 WHERE id = %L$$, :'pcode'), 'promotion_codes_per_customer_limit_check'),
  (format($$UPDATE commerce.promotion_codes SET used = -1 WHERE id = %L$$, :'pcode'), 'promotion_codes_used_check'),
  (format($$UPDATE commerce.promotion_codes SET status = 'paused' WHERE id = %L$$, :'pcode'), 'promotion_codes_status_check'),
  (format($$UPDATE commerce.promotion_codes SET used = 6 WHERE id = %L$$, :'pcode'), 'promotion_codes_within_limit'),
  (format($$UPDATE commerce.promotion_codes SET status = 'archived' WHERE id = %L$$, :'pcode'), 'promotion_codes_archived_at'),
  (format($$UPDATE commerce.promotion_codes SET archived_at = now() WHERE id = %L$$, :'pcode'), 'promotion_codes_archived_at'),
  (format($$INSERT INTO commerce.order_discounts (tenant_id, order_id, promotion_id, name, scope) VALUES (%L, gen_random_uuid(), gen_random_uuid(), 'x', 'cart')$$, :'t'), 'order_discounts_scope_check'),
  (format($$INSERT INTO commerce.order_discounts (tenant_id, order_id, promotion_id, name, scope, amount) VALUES (%L, gen_random_uuid(), gen_random_uuid(), 'x', 'order', -1)$$, :'t'), 'order_discounts_amount_check'),
  (format($$INSERT INTO commerce.order_discounts (tenant_id, order_id, promotion_id, name, scope, code) VALUES (%L, gen_random_uuid(), gen_random_uuid(), 'x', 'order', 'X')$$, :'t'), 'order_discounts_code'),
  (format($$INSERT INTO commerce.order_discounts (tenant_id, order_id, promotion_id, name, scope, code_id) VALUES (%L, gen_random_uuid(), gen_random_uuid(), 'x', 'line', gen_random_uuid())$$, :'t'), 'order_discounts_code');

-- each broken rule: 23514 with the rule's name in the message and the
-- constraint field (the error code field callers read)
SELECT is(orders_test.code(stmt), rule, rule || ': ' || left(stmt, 60)) FROM broken;
SELECT throws_ok(format($$UPDATE commerce.orders SET status = 'shipped' WHERE id = %L$$, :'placed'),
                 '23514', 'new row for relation "orders" violates check constraint "orders_status_check"',
                 'the message names the table and the rule as a per-rule CHECK did');

-- what the rules allow: a key of 255 characters, a location of 100
-- multibyte characters, the response by reference
SELECT lives_ok(format($$INSERT INTO commerce.idempotency_keys (tenant_id, actor, subject, key, command, fingerprint, response_event) VALUES (%L, 'staff', 's', repeat('é', 255), 'x', '\x00', gen_random_uuid());
                        UPDATE commerce.inventory_levels SET location = repeat('é', 100) WHERE variant_id = %L$$, :'t', :'v'),
                'the rules allow their limits (255-character key, 100-character location)');
SELECT lives_ok(format($$UPDATE commerce.promotion_codes SET code = repeat('Z', 64) WHERE id = %L;
                        UPDATE commerce.promotion_codes SET code = 'A1_-', usage_limit = NULL, used = 100 WHERE id = %L;
                        UPDATE commerce.promotion_codes SET status = 'archived', archived_at = now() WHERE id = %L$$,
                        :'pcode', :'pcode', :'pcode'),
                'promotion codes: a 64-character code, no limit with any uses, archived with its time');
SELECT lives_ok(format($$INSERT INTO commerce.order_discounts (tenant_id, order_id, promotion_id, code_id, code, name, scope, amount)
                        VALUES (%L, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'X', 'x', 'line', 0),
                               (%L, gen_random_uuid(), gen_random_uuid(), NULL, NULL, 'x', 'order', NULL)$$, :'t', :'t'),
                'order discounts: a line discount of 0 with its code, an order one without code or amount');

SELECT * FROM finish();
ROLLBACK;
