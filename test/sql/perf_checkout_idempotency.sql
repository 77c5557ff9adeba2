-- test/sql/perf_checkout_idempotency.sql — the checkout's idempotency after
-- session 10's cuts (issue 13, docs/benchmarks.md "Issue 13, session 10"):
-- the key look-up reads the key's row only and fetches the stored response
-- (the event's data) by a statement of its own only on a replay
-- (extension/command.c, stored_response). What must hold: a replay returns
-- the first answer, flagged, for the same caller only; another request
-- under the key is idempotency_key_reused; a key whose event is gone is
-- idempotency_response_gone; the key references exactly the event of its
-- command; the Citus form (pgcommerce.citus_sql_check) replays the same.
BEGIN;
SELECT plan(16);
\ir ../fixtures/orders.sql
\ir ../fixtures/idempotency.sql

SELECT * FROM idem_test.shop('perf-co-idem') \gset
SELECT format('SELECT commerce.checkout(%L, %L)',
              jsonb_build_object('currency', 'EUR', 'customer_id', :'ann',
                                 'lines', jsonb_build_array(jsonb_build_object('variant_id', :'v', 'quantity', 2))),
              'co-key-1') AS checkout_ann \gset
SELECT format('SELECT commerce.checkout(%L, %L)',
              jsonb_build_object('currency', 'EUR', 'customer_id', :'ann',
                                 'lines', jsonb_build_array(jsonb_build_object('variant_id', :'v', 'quantity', 3))),
              'co-key-1') AS checkout_other \gset

SET LOCAL ROLE idem_test_gateway;
SELECT idem_test.as_caller(:'t', 'staff-1') AS ok \gset
SELECT idem_test.call(:'checkout_ann') AS first \gset
SELECT is(:'first'::jsonb -> 'replayed', 'false'::jsonb, 'a new key is not a replay');
SELECT is(:'first'::jsonb #>> '{response,status}', 'placed', 'and the checkout placed its order');
SELECT idem_test.replays(:'checkout_ann', :'first', 'the retry returns the first answer (read from its event), flagged');
SELECT idem_test.replays(:'checkout_ann', :'first', 'and again: a replay writes nothing it would find next time');
RESET ROLE;

SELECT is((SELECT count(*) FROM commerce.orders WHERE tenant_id = :'t'), 1::bigint,
          'the retries placed no second order');
SELECT is((SELECT count(*) FROM commerce.outbox_written WHERE tenant_id = :'t' AND type = 'order.placed'), 1::bigint,
          'and wrote no second event');
SELECT is((SELECT k.response_event FROM commerce.idempotency_keys k
            WHERE k.tenant_id = :'t' AND k.key = 'co-key-1'),
          (SELECT e.id FROM commerce.outbox_written e
            WHERE e.tenant_id = :'t' AND e.aggregate_id = (:'first'::jsonb #>> '{response,id}')::uuid),
          'the key references its command''s event');
SELECT ok((SELECT k.response IS NULL AND k.command = 'checkout' FROM commerce.idempotency_keys k
            WHERE k.tenant_id = :'t' AND k.key = 'co-key-1'),
          'with no second copy of the document');
SELECT is((SELECT e.data FROM commerce.outbox_written e
            WHERE e.tenant_id = :'t' AND e.type = 'order.placed'),
          :'first'::jsonb -> 'response', 'the event''s data is the answer');

SET LOCAL ROLE idem_test_gateway;
SELECT idem_test.as_caller(:'t', 'staff-1') AS ok \gset
SELECT throws_ok(:'checkout_other', '22023',
                 'idempotency key "co-key-1" was already used for a different request',
                 'another request under the key: idempotency_key_reused, nothing read from the event');
-- the same key and body from another caller (another staff sub, then the
-- customer herself) is their own key: a new order each, not a replay
SELECT idem_test.as_caller(:'t', 'staff-2') AS ok \gset
SELECT idem_test.call(:'checkout_ann') AS second \gset
SELECT ok(:'second'::jsonb -> 'replayed' = 'false'::jsonb
          AND :'second'::jsonb #>> '{response,id}' <> :'first'::jsonb #>> '{response,id}',
          'another staff caller''s same key places its own order, no replay of the first');
SELECT idem_test.as_caller(:'t', :'ann', 'customer') AS ok \gset
SELECT idem_test.call(:'checkout_ann') AS third \gset
SELECT ok(:'third'::jsonb -> 'replayed' = 'false'::jsonb
          AND :'third'::jsonb #>> '{response,id}' NOT IN (:'first'::jsonb #>> '{response,id}',
                                                           :'second'::jsonb #>> '{response,id}'),
          'the customer''s same key is hers alone');
RESET ROLE;

-- the referenced event gone (retention keeps events longer than keys; a
-- superuser purge can still remove it): the replay says so
DELETE FROM commerce.outbox_written
 WHERE tenant_id = :'t' AND aggregate_id = (:'first'::jsonb #>> '{response,id}')::uuid;
SET LOCAL ROLE idem_test_gateway;
SELECT idem_test.as_caller(:'t', 'staff-1') AS ok \gset
SELECT throws_ok(:'checkout_ann', '55000',
                 'the first response of idempotency key "co-key-1" is no longer kept',
                 'a key whose event is gone: idempotency_response_gone');
RESET ROLE;

-- the Citus form of the statements (pgcommerce.citus_sql_check) stores and
-- replays the same way
SET LOCAL pgcommerce.citus_sql_check = on;
SET LOCAL client_min_messages = error;
SET LOCAL ROLE idem_test_gateway;
SELECT idem_test.as_caller(:'t', 'staff-3') AS ok \gset
SELECT idem_test.call(:'checkout_ann') AS citus \gset
SELECT idem_test.replays(:'checkout_ann', :'citus', 'the Citus form replays its first answer');
RESET ROLE;
SELECT is((SELECT k.response_event FROM commerce.idempotency_keys k
            WHERE k.tenant_id = :'t' AND k.subject = 'staff-3'),
          (SELECT e.id FROM commerce.outbox_written e
            WHERE e.tenant_id = :'t' AND e.aggregate_id = (:'citus'::jsonb #>> '{response,id}')::uuid),
          'and its key references its event');
SELECT is((SELECT count(*) FROM commerce.idempotency_keys WHERE tenant_id = :'t'), 4::bigint,
          'four callers, four keys');

SELECT * FROM finish();
ROLLBACK;
