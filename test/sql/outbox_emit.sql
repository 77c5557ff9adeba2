-- test/sql/outbox_emit.sql — writing events at the SQL level: emit_event
-- needs a tenant context and valid names, writes for the current tenant only
-- (a bound partner cannot write for another tenant), the row waits
-- unpublished with seq NULL, the envelope's shape, events_since's checks,
-- and the privileges that keep seq and published_at for the publisher.
BEGIN;
SELECT plan(20);

CREATE ROLE o_gateway IN ROLE commerce_gateway;
CREATE ROLE o_partner;
SELECT commerce.create_tenant('outbox-a', 'A', 'EUR') AS a \gset
SELECT commerce.create_tenant('outbox-b', 'B', 'EUR') AS b \gset
SELECT commerce.bind_role('o_partner', :'b');

SET LOCAL ROLE o_gateway;
SELECT throws_ok($$SELECT commerce.emit_event('test.x', 'thing', commerce.uuid_generate_v7())$$,
                 '42501', NULL, 'emit_event needs a tenant context');
SELECT commerce.set_context(:'a');
SELECT commerce.emit_event('test.x', 'thing', '01900000-0000-7000-8000-000000000001', '{"k": 1}') AS e1 \gset
SELECT is((SELECT tenant_id FROM commerce.outbox WHERE id = :'e1'), :'a'::uuid, 'the event belongs to the context tenant');
SELECT ok((SELECT seq IS NULL AND published_at IS NULL FROM commerce.outbox WHERE id = :'e1'), 'unpublished until the worker publishes it');
SELECT throws_ok($$SELECT commerce.emit_event('Test X', 'thing', commerce.uuid_generate_v7())$$,
                 '22023', NULL, 'type must be a lower-case dotted name');
SELECT throws_ok($$SELECT commerce.emit_event('', 'thing', commerce.uuid_generate_v7())$$,
                 '22023', NULL, 'type must not be empty');
SELECT throws_ok($$SELECT commerce.emit_event('test.x', NULL, commerce.uuid_generate_v7())$$,
                 '22023', NULL, 'aggregate_type is required');
SELECT throws_ok($$SELECT commerce.emit_event(NULL, 'thing', commerce.uuid_generate_v7())$$,
                 '22023', 'type is required', 'type is required, and named');
SELECT throws_ok($$SELECT commerce.emit_event('test.x', 'thing', NULL)$$,
                 '22023', 'aggregate_id is required', 'aggregate_id is required, and named');
SELECT throws_ok($$SELECT commerce.events_since(0, 0)$$, '22023', NULL, 'max below 1 is refused');
SELECT is((SELECT count(*) FROM commerce.events_since(0)), 0::bigint, 'unpublished events are not in the feed');
SELECT throws_like($$UPDATE commerce.outbox_published SET seq = 1$$, '%permission denied%', 'seq is the publisher''s');
SELECT throws_like(format($$INSERT INTO commerce.outbox_published (tenant_id, id, seq) VALUES (commerce.current_tenant(), %L, 5)$$, :'e1'),
                   '%permission denied%', 'nobody numbers an event but the publisher');
SELECT throws_like(format($$INSERT INTO commerce.outbox_written (tenant_id, id, type, aggregate_type, aggregate_id) VALUES (%L, commerce.uuid_generate_v7(), 'x.y', 'x', commerce.uuid_generate_v7())$$, :'b'),
                   '%permission denied%', 'nobody writes events but through emit_event, for no tenant');
RESET ROLE;

-- The envelope of a row as it will be published.
SELECT is(commerce.event_envelope(o) - 'occurred_at',
          jsonb_build_object('id', :'e1'::uuid, 'seq', NULL, 'tenant_id', :'a'::uuid, 'type', 'test.x',
                             'aggregate_type', 'thing', 'aggregate_id', '01900000-0000-7000-8000-000000000001'::uuid,
                             'data', '{"k": 1}'::jsonb),
          'envelope fields')
  FROM commerce.outbox o WHERE id = :'e1';
SELECT matches((SELECT commerce.event_envelope(o)->>'occurred_at' FROM commerce.outbox o WHERE id = :'e1'),
               '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$', 'occurred_at is RFC 3339 UTC');

-- A bound partner writes for its own tenant, whatever it asks.
SET LOCAL ROLE o_partner;
SELECT commerce.emit_event('test.y', 'thing', commerce.uuid_generate_v7()) AS e2 \gset
RESET ROLE;
SELECT is((SELECT tenant_id FROM commerce.outbox WHERE id = :'e2'), :'b'::uuid, 'a bound role writes for its tenant');
SET LOCAL ROLE o_partner;
SELECT is((SELECT count(*) FROM commerce.outbox), 1::bigint, 'and sees only its tenant''s events');
RESET ROLE;

SELECT ok(commerce.event_type_matches('order.*', 'order.placed') AND commerce.event_type_matches('*', 'x.y')
          AND NOT commerce.event_type_matches('order.*', 'orders.placed') AND NOT commerce.event_type_matches('order.placed', 'order.paid'),
          'event type patterns');

-- The feed's index is on the publication marks only: writers' inserts skip
-- it, and events_since's look-up (its own statement shape, as a generic
-- plan) walks it, then finds each event by its primary key.
SELECT is((SELECT indrelid::regclass::text FROM pg_index
            WHERE indexrelid = 'commerce.outbox_tenant_seq'::regclass),
          'commerce.outbox_published', 'outbox_tenant_seq indexes publication marks, not events');
CREATE TEMP TABLE many AS
SELECT t, commerce.uuid_generate_v7() AS id, i * 2 + (t = :'b')::int AS seq
  FROM unnest(ARRAY[:'a', :'b']::uuid[]) t, generate_series(1, 5000) i;
INSERT INTO commerce.outbox_written (tenant_id, id, type, aggregate_type, aggregate_id)
SELECT t, id, 'x.y', 'x', commerce.uuid_generate_v7() FROM many;
INSERT INTO commerce.outbox_published (tenant_id, id, seq) SELECT t, id, seq FROM many;
ANALYZE commerce.outbox_written, commerce.outbox_published;
SET LOCAL plan_cache_mode = force_generic_plan;
PREPARE feed(uuid, bigint, int) AS SELECT commerce.event_envelope(o) FROM commerce.outbox o
  WHERE o.tenant_id = $1 AND o.seq > $2 ORDER BY o.seq LIMIT $3;
CREATE FUNCTION pg_temp.feed_plan() RETURNS text LANGUAGE plpgsql AS $$
DECLARE plan jsonb;
BEGIN
  EXECUTE format('EXPLAIN (FORMAT JSON) EXECUTE feed(%L, 100, 100)', (SELECT id FROM commerce.tenants WHERE slug = 'outbox-a')) INTO plan;
  RETURN (SELECT string_agg(DISTINCT x #>> '{}', ',') FROM jsonb_path_query(plan, 'strict $.**."Index Name"') x)
         || ' ' || (SELECT string_agg(DISTINCT x #>> '{}', ',') FROM jsonb_path_query(plan, 'strict $.**."Node Type"') x);
END $$;
SELECT matches(pg_temp.feed_plan(), '^(outbox_tenant_seq,outbox_written_(pkey|queue)|outbox_written_(pkey|queue),outbox_tenant_seq) Index Scan,Limit,Nested Loop$',
               'events_since reads the feed index, then each event by an index of its key, nothing else');

SELECT * FROM finish();
ROLLBACK;
