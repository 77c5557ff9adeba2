-- test/sql/idempotency_same_scope_replay.sql — what scoping must not break:
-- the same caller retrying with its key and request gets the first
-- response again, flagged, and nothing is done twice; for a customer, for
-- gateway staff and for a partner's SQL role (subject '').
BEGIN;
SELECT plan(10);
\ir ../fixtures/orders.sql
\ir ../fixtures/idempotency.sql

SELECT * FROM idem_test.shop('idem-replay') \gset
CREATE ROLE idem_partner;
SELECT commerce.bind_role('idem_partner', :'t') IS NULL AS ok \gset
SELECT format('SELECT commerce.create_order(%L, %L)', orders_test.cart(:'v'), 'retry-me') AS create_cart \gset

SET LOCAL ROLE idem_test_gateway;
SELECT idem_test.as_caller(:'t', :'ann', 'customer') AS ok \gset
SELECT idem_test.call(:'create_cart') AS first \gset
SELECT is(:'first'::jsonb -> 'replayed', 'false'::jsonb, 'a customer''s first request is not a replay');
SELECT idem_test.replays(:'create_cart', :'first', 'its retry returns the first response, flagged as a replay');

SELECT idem_test.as_caller(:'t', 'staff-1') AS ok \gset
SELECT idem_test.call(:'create_cart') AS first \gset
SELECT idem_test.replays(:'create_cart', :'first', 'gateway staff''s retry returns its first response, flagged');

SET LOCAL ROLE idem_partner;
SELECT idem_test.call(:'create_cart') AS first \gset
SELECT idem_test.replays(:'create_cart', :'first', 'a partner role''s retry returns its first response, flagged');

-- the same key twice inside one statement: the second call sees the key the
-- first stored (command.c looks it up as a statement of its own would)
SELECT (commerce.create_order(orders_test.cart(:'v'), 'twice-in-one') ->> 'id') AS a,
       (commerce.create_order(orders_test.cart(:'v'), 'twice-in-one') ->> 'id') AS b \gset
SELECT is(:'b'::text, :'a'::text, 'the same key twice in one statement: the second call replays the first');
SELECT is((SELECT count(*) FROM commerce.idempotency_keys WHERE tenant_id = :'t' AND key = 'twice-in-one'),
          1::bigint, '... one key stored');

-- the fingerprint is SHA-256 over the command's name and its arguments'
-- text, a jsonb argument's as jsonb_out writes it (command.c writes it with
-- json_text.c: keys stored before that must still match)
SELECT jsonb_build_object('currency', 'EUR', 'metadata', jsonb_build_object('note', E'a"b\\c\n\u0001 é'),
         'lines', jsonb_build_array(jsonb_build_object('variant_id', :'v', 'quantity', 1))) AS fp_data \gset
SELECT commerce.create_order(:'fp_data', 'fingerprinted') IS NOT NULL AS ok \gset
SELECT is((SELECT fingerprint FROM commerce.idempotency_keys WHERE tenant_id = :'t' AND key = 'fingerprinted'),
          sha256(convert_to('create_order', 'UTF8') || '\x00'::bytea || '\x0056'::bytea
                 || convert_to((:'fp_data'::jsonb)::text, 'UTF8')),
          'the fingerprint: SHA-256 of the name and the jsonb argument''s text as ::text writes it');
RESET ROLE;

SELECT is((SELECT count(*) FROM commerce.orders WHERE tenant_id = :'t'), 5::bigint,
          'five orders: the retries created none');
SELECT is((SELECT count(*) FROM commerce.outbox WHERE tenant_id = :'t' AND type = 'order.created'), 5::bigint,
          'and emitted no event');
SELECT is((SELECT array_agg(actor || ':' || subject ORDER BY actor, subject) FROM commerce.idempotency_keys
            WHERE tenant_id = :'t' AND key = 'retry-me'),
          ARRAY['customer:' || :'ann', 'staff:', 'staff:staff-1'],
          'one stored response per scope: (customer, its id), (staff, sub), (staff, '''') for a partner');

SELECT * FROM finish();
ROLLBACK;
