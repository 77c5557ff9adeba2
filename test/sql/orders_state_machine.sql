-- test/sql/orders_state_machine.sql — the order state machine of
-- docs/orders.md, table-driven: every state x every command, legal ones
-- move the order to the documented state, illegal ones raise
-- invalid_transition and change nothing.
BEGIN;
SELECT plan(50);
\ir ../fixtures/orders.sql

SELECT orders_test.tenant('sm', 'EUR') AS t \gset
SELECT orders_test.variant(:'t', 'SM-1', 1000, 'EUR', 1000) AS v \gset
SELECT orders_test.variant(:'t', 'SM-2', 300, 'EUR', 1000) AS v2 \gset

CREATE TEMP TABLE transitions (state text, command text, outcome text, next_state text);
INSERT INTO transitions VALUES
  ('draft',     'add_order_line',    'ok', 'draft'),
  ('draft',     'update_order_line', 'ok', 'draft'),
  ('draft',     'remove_order_line', 'ok', 'draft'),
  ('draft',     'place_order',       'ok', 'placed'),
  ('draft',     'cancel_order',      'ok', 'cancelled'),
  ('draft',     'fulfil_order',      'invalid_transition', 'draft'),
  ('placed',    'add_order_line',    'invalid_transition', 'placed'),
  ('placed',    'update_order_line', 'invalid_transition', 'placed'),
  ('placed',    'remove_order_line', 'invalid_transition', 'placed'),
  ('placed',    'place_order',       'invalid_transition', 'placed'),
  ('placed',    'cancel_order',      'ok', 'cancelled'),
  ('placed',    'fulfil_order',      'ok', 'fulfilled'),
  ('paid',      'add_order_line',    'invalid_transition', 'paid'),
  ('paid',      'update_order_line', 'invalid_transition', 'paid'),
  ('paid',      'remove_order_line', 'invalid_transition', 'paid'),
  ('paid',      'place_order',       'invalid_transition', 'paid'),
  ('paid',      'cancel_order',      'invalid_transition', 'paid'),
  ('paid',      'fulfil_order',      'ok', 'fulfilled'),
  ('fulfilled', 'add_order_line',    'invalid_transition', 'fulfilled'),
  ('fulfilled', 'update_order_line', 'invalid_transition', 'fulfilled'),
  ('fulfilled', 'remove_order_line', 'invalid_transition', 'fulfilled'),
  ('fulfilled', 'place_order',       'invalid_transition', 'fulfilled'),
  ('fulfilled', 'cancel_order',      'invalid_transition', 'fulfilled'),
  ('fulfilled', 'fulfil_order',      'invalid_transition', 'fulfilled'),
  ('cancelled', 'add_order_line',    'invalid_transition', 'cancelled'),
  ('cancelled', 'update_order_line', 'invalid_transition', 'cancelled'),
  ('cancelled', 'remove_order_line', 'invalid_transition', 'cancelled'),
  ('cancelled', 'place_order',       'invalid_transition', 'cancelled'),
  ('cancelled', 'cancel_order',      'invalid_transition', 'cancelled'),
  ('cancelled', 'fulfil_order',      'invalid_transition', 'cancelled'),
  ('refunded',  'add_order_line',    'invalid_transition', 'refunded'),
  ('refunded',  'update_order_line', 'invalid_transition', 'refunded'),
  ('refunded',  'remove_order_line', 'invalid_transition', 'refunded'),
  ('refunded',  'place_order',       'invalid_transition', 'refunded'),
  ('refunded',  'cancel_order',      'invalid_transition', 'refunded'),
  ('refunded',  'fulfil_order',      'invalid_transition', 'refunded');

-- one fresh order per case, in the case's state
CREATE TEMP TABLE cases AS
  SELECT tr.*, orders_test.order_in(tr.state, :'v') AS order_id FROM transitions tr;
SELECT is((SELECT count(*) FROM cases c JOIN commerce.orders o ON o.id = c.order_id
           WHERE o.status = c.state), 36::bigint, 'every case starts in its state');

CREATE TEMP TABLE outcomes AS
SELECT c.state, c.command, c.outcome, c.next_state, c.order_id, v0.version AS version_before,
       orders_test.code(CASE c.command
         WHEN 'add_order_line' THEN format('SELECT commerce.add_order_line(%L, %L)', c.order_id,
                                           jsonb_build_object('variant_id', :'v2'::uuid, 'quantity', 1))
         WHEN 'update_order_line' THEN format('SELECT commerce.update_order_line(%L, %L, %L)', c.order_id,
                                           (SELECT id FROM commerce.order_lines l WHERE l.order_id = c.order_id),
                                           '{"quantity": 2}')
         WHEN 'remove_order_line' THEN format('SELECT commerce.remove_order_line(%L, %L)', c.order_id,
                                           (SELECT id FROM commerce.order_lines l WHERE l.order_id = c.order_id))
         ELSE format('SELECT commerce.%I(%L)', c.command, c.order_id) END) AS got
FROM cases c JOIN commerce.orders v0 ON v0.id = c.order_id
ORDER BY c.order_id;

SELECT is(got, outcome, format('%s on a %s order: %s', command, state, outcome))
FROM outcomes ORDER BY order_id;

SELECT is((SELECT count(*) FROM outcomes x JOIN commerce.orders o ON o.id = x.order_id
           WHERE o.status <> x.next_state), 0::bigint,
          'every case ends in the documented state');
SELECT is((SELECT count(*) FROM outcomes x JOIN commerce.orders o ON o.id = x.order_id
           WHERE x.got = 'invalid_transition' AND o.version <> x.version_before), 0::bigint,
          'a refused transition leaves the version alone');
SELECT is((SELECT count(*) FROM outcomes x JOIN commerce.orders o ON o.id = x.order_id
           WHERE x.got = 'ok' AND o.version <> x.version_before + 1), 0::bigint,
          'an allowed transition bumps the version by one');

-- payments cannot touch a draft
SELECT is(orders_test.code(format('SELECT commerce.order_apply_payment_totals(%L, 100, 0, 0)',
                                  orders_test.order_in('draft', :'v'))),
          'invalid_transition', 'payment totals on a draft: invalid_transition');

-- payment totals drive payment_status and placed -> paid -> refunded
SELECT orders_test.order_in('placed', :'v') AS p \gset
SELECT is(commerce.order_apply_payment_totals(:'p', 1190, 0, 0) ->> 'payment_status', 'authorized', 'authorized');
SELECT results_eq(
  format($$SELECT r->>'status', r->>'payment_status' FROM (SELECT commerce.order_apply_payment_totals(%L, 1000, 500, 0) r) s$$, :'p'),
  $$VALUES ('placed', 'partially_paid')$$, 'partial capture: placed, partially_paid');
SELECT results_eq(
  format($$SELECT r->>'status', r->>'payment_status' FROM (SELECT commerce.order_apply_payment_totals(%L, 1000, 1000, 0) r) s$$, :'p'),
  $$VALUES ('paid', 'paid')$$, 'captured >= total: paid, paid');
SELECT results_eq(
  format($$SELECT r->>'status', r->>'payment_status' FROM (SELECT commerce.order_apply_payment_totals(%L, 1000, 1000, 400) r) s$$, :'p'),
  $$VALUES ('paid', 'partially_refunded')$$, 'partial refund: paid, partially_refunded');
SELECT results_eq(
  format($$SELECT r->>'status', r->>'payment_status' FROM (SELECT commerce.order_apply_payment_totals(%L, 1000, 1000, 1000) r) s$$, :'p'),
  $$VALUES ('refunded', 'refunded')$$, 'all refunded: refunded, refunded');
SELECT is(orders_test.code(format('SELECT commerce.order_apply_payment_totals(%L, 100, 200, 0)', :'p')),
          'invalid_input', 'captured above authorized: invalid_input');
SELECT is((SELECT array_agg(type ORDER BY id) FROM commerce.outbox WHERE aggregate_id = :'p'::uuid AND type IN ('order.paid', 'order.refunded')),
          ARRAY['order.paid', 'order.refunded'], 'order.paid and order.refunded were emitted once each');
SELECT isnt((SELECT paid_at FROM commerce.orders WHERE id = :'p'), NULL, 'paid_at is set');
SELECT isnt((SELECT refunded_at FROM commerce.orders WHERE id = :'p'), NULL, 'refunded_at is set');

SELECT * FROM finish();
ROLLBACK;
