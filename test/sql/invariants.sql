-- test/sql/invariants.sql — commerce.check_invariants(): nothing to report
-- after a history made by the commands (checkouts, place, cancel, fulfil,
-- authorize, capture, refund), and each rule reports a row broken on
-- purpose by a direct write (as the superuser, in a savepoint), so a
-- checker that stopped looking would fail here.
BEGIN;
SELECT plan(22);
\ir ../fixtures/orders.sql

SELECT orders_test.tenant('inv-a') AS ta \gset
SELECT orders_test.variant(:'ta', 'A-1', 500) AS va \gset
SELECT orders_test.variant(:'ta', 'A-2', 120, 'EUR', 50) AS va2 \gset
SELECT commerce.checkout(jsonb_build_object('currency', 'EUR', 'lines', jsonb_build_array(
  jsonb_build_object('variant_id', :'va', 'quantity', 2), jsonb_build_object('variant_id', :'va2', 'quantity', 1)))) ->> 'id' AS o1 \gset
SELECT commerce.checkout(orders_test.cart(:'va', 3)) ->> 'id' AS o2 \gset
SELECT orders_test.order_in('cancelled', :'va') AS o3 \gset
SELECT orders_test.order_in('fulfilled', :'va2') AS o4 \gset
SELECT orders_test.order_in('draft', :'va') AS o5 \gset
SELECT commerce.authorize_payment(:'o1', '{"provider": "manual"}') ->> 'id' AS p1 \gset
SELECT commerce.capture_payment(:'p1', '{"amount": 300}') IS NOT NULL AS ok \gset
SELECT commerce.refund_payment(:'p1', '{"amount": 100}') IS NOT NULL AS ok \gset
-- paid in full, then refunded in full before it shipped: its stock comes back
SELECT (SELECT reserved FROM commerce.inventory_levels WHERE variant_id = :'va2') AS reserved_before \gset
SELECT commerce.checkout(orders_test.cart(:'va2', 4)) AS o6 \gset
SELECT commerce.authorize_payment(((:'o6'::jsonb) ->> 'id')::uuid, jsonb_build_object('provider', 'manual', 'amount', ((:'o6'::jsonb) ->> 'total')::bigint)) ->> 'id' AS p6 \gset
SELECT commerce.capture_payment(:'p6') IS NOT NULL AS ok \gset
SELECT commerce.refund_payment(:'p6') ->> 'status' AS p6_status \gset
SELECT is((SELECT status FROM commerce.orders WHERE id = ((:'o6'::jsonb) ->> 'id')::uuid), 'refunded',
          'paid then refunded in full: refunded');
SELECT is((SELECT reserved FROM commerce.inventory_levels WHERE variant_id = :'va2'), :'reserved_before'::bigint,
          '... and its 4 units are no longer reserved (it never shipped)');
-- a discount code used by a customer's checkout (code and customer uses)
SELECT orders_test.customer(:'ta', 'inv@example.com') AS ca \gset
SELECT commerce.create_promotion('{"name": "Ten off", "type": "percentage", "percent_ppm": 100000}') ->> 'id' AS promo \gset
SELECT commerce.create_promotion_code(:'promo', '{"code": "TEN", "usage_limit": 5, "per_customer_limit": 2}') ->> 'id' AS code \gset
SELECT commerce.checkout(jsonb_build_object('currency', 'EUR', 'customer_id', :'ca', 'discount_code', 'ten',
  'lines', jsonb_build_array(jsonb_build_object('variant_id', :'va', 'quantity', 1)))) ->> 'discount_total' AS disc \gset
SELECT ok(:'disc'::bigint > 0, 'the checkout carries the discount');
SELECT orders_test.tenant('inv-b') AS tb \gset
SELECT orders_test.variant(:'tb', 'B-1', 700) AS vb \gset
SELECT commerce.checkout(orders_test.cart(:'vb', 1)) ->> 'id' AS b1 \gset
RESET ROLE;

SELECT is_empty($$ SELECT * FROM commerce.check_invariants(true) $$,
                'a history made by the commands breaks no invariant (strict stock)');

-- what each deliberately broken row reports
CREATE FUNCTION pg_temp.reported(strict boolean DEFAULT false) RETURNS text[] LANGUAGE sql AS
  $$ SELECT coalesce(array_agg(DISTINCT invariant ORDER BY invariant), '{}') FROM commerce.check_invariants(strict) $$;

SAVEPOINT s;
UPDATE commerce.order_lines SET unit_amount = unit_amount + 1, amount = amount + quantity WHERE order_id = :'o2';
SELECT is(pg_temp.reported(), '{order_total_is_sum_of_parts}', 'a line changed under its order''s totals');
ROLLBACK TO SAVEPOINT s;

UPDATE commerce.inventory_levels SET reserved = reserved - 1 WHERE variant_id = :'va';
SELECT is(pg_temp.reported(), '{stock_reserved_by_open_orders}', 'less reserved than open orders hold');
ROLLBACK TO SAVEPOINT s;

UPDATE commerce.inventory_levels SET reserved = reserved + 1 WHERE variant_id = :'va';
SELECT is(pg_temp.reported(), '{}', 'more reserved than orders hold: fine unless stock is reserved only by orders');
SELECT is(pg_temp.reported(true), '{stock_reserved_by_open_orders}', '... and reported when it is');
ROLLBACK TO SAVEPOINT s;

DELETE FROM commerce.orders WHERE id = :'o2';
SELECT is(pg_temp.reported(true), '{line_has_its_order,order_numbers_gapless,stock_reserved_by_open_orders}',
          'an order row gone: its lines orphaned, a gap in the numbers, its stock held by nothing');
ROLLBACK TO SAVEPOINT s;

UPDATE commerce.promotion_codes SET used = used + 1 WHERE id = :'code';
SELECT is(pg_temp.reported(), '{discount_usage_counted}', 'a code counting a use no order made');
ROLLBACK TO SAVEPOINT s;

UPDATE commerce.promotion_code_customers SET used = 0 WHERE code_id = :'code';
SELECT is(pg_temp.reported(), '{discount_customer_usage_counted}', 'a customer''s use of a code not counted');
ROLLBACK TO SAVEPOINT s;

UPDATE commerce.order_lines SET discount_amount = discount_amount + 1
 WHERE order_id = (SELECT order_id FROM commerce.order_discounts WHERE code_id = :'code');
SELECT is(pg_temp.reported(), '{order_total_is_sum_of_parts}', 'a line discount the order''s discount_total does not hold');
ROLLBACK TO SAVEPOINT s;

UPDATE commerce.order_counters SET last_number = last_number + 1 WHERE tenant_id = :'tb';
SELECT is(pg_temp.reported(), '{order_numbers_gapless}', 'the counter ahead of the numbers');
ROLLBACK TO SAVEPOINT s;

UPDATE commerce.orders SET amount_captured = amount_captured + 1, amount_authorized = amount_authorized + 1 WHERE id = :'o1';
SELECT is(pg_temp.reported(), '{order_payments_sum}', 'order payment figures that are not its payments''');
ROLLBACK TO SAVEPOINT s;

ALTER TABLE commerce.payments DISABLE TRIGGER ALL;
ALTER TABLE commerce.payments DROP CONSTRAINT payments_refund_within_captured;
UPDATE commerce.payments SET amount_refunded = amount_captured + 1 WHERE id = :'p1';
SELECT ok('payment_amounts_within' = ANY (pg_temp.reported()), 'a refund above the capture (with the table''s CHECK dropped)');
ROLLBACK TO SAVEPOINT s;

ALTER TABLE commerce.outbox_written DISABLE TRIGGER ALL;
DELETE FROM commerce.outbox_written WHERE aggregate_id = :'o4' AND type = 'order.fulfilled';
SELECT is(pg_temp.reported(), '{one_event_per_order_change}', 'a fulfilment without its event');
ROLLBACK TO SAVEPOINT s;

INSERT INTO commerce.outbox_written (tenant_id, id, type, aggregate_type, aggregate_id, data)
  SELECT tenant_id, commerce.uuid_generate_v7(), type, aggregate_type, aggregate_id, data
    FROM commerce.outbox_written WHERE aggregate_id = :'o3' AND type = 'order.cancelled';
SELECT is(pg_temp.reported(), '{one_event_per_order_change}', 'a cancellation with two events');
ROLLBACK TO SAVEPOINT s;

INSERT INTO commerce.outbox_published (tenant_id, id, seq)
  SELECT tenant_id, id, row_number() OVER (ORDER BY id) * 2 FROM commerce.outbox_written WHERE tenant_id = :'ta';
SELECT is(pg_temp.reported(), '{}', 'event numbers with gaps are fine');
INSERT INTO commerce.outbox_published (tenant_id, id, seq)
  SELECT tenant_id, id, 2 FROM commerce.outbox_written WHERE tenant_id = :'tb' LIMIT 1;
SELECT is(pg_temp.reported(), '{event_seq_unique}', 'two tenants'' events with one number');
ROLLBACK TO SAVEPOINT s;

INSERT INTO commerce.outbox_published (tenant_id, id, seq) VALUES (:'ta', commerce.uuid_generate_v7(), 1);
SELECT is(pg_temp.reported(), '{mark_has_its_event}', 'a publication mark without its event');
ROLLBACK TO SAVEPOINT s;

INSERT INTO commerce.idempotency_keys (tenant_id, actor, subject, key, command, fingerprint, response_event)
  SELECT :'ta', 'staff', 'staff-1', 'stolen', 'checkout', '\x00', id
    FROM commerce.outbox_written WHERE tenant_id = :'tb' LIMIT 1;
SELECT is(pg_temp.reported(), '{idempotency_event_same_tenant}', 'a key whose response is another tenant''s event');
ROLLBACK TO SAVEPOINT s;

SELECT is_empty($$ SELECT * FROM commerce.check_invariants(true) $$, 'every break rolled back: nothing to report');

SELECT * FROM finish();
ROLLBACK;
