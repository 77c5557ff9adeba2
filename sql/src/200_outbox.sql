-- sql/src/200_outbox.sql — the transactional outbox and the event feed.
-- Commands insert event rows here in their own transaction
-- (commerce_emit_event in C); the background publisher (bgworker/) gives
-- each committed row its seq, in commit order, and wakes listeners with an
-- empty NOTIFY commerce_events. commerce.events_since() is where consumers
-- read the events, under row-level security. See docs/events.md.

-- seq values, drawn only by the publisher of this database.
CREATE SEQUENCE commerce.outbox_seq AS bigint MINVALUE 1 NO CYCLE;
COMMENT ON SEQUENCE commerce.outbox_seq IS
  'Source of commerce.outbox.seq; only the publisher draws from it, in publish order.';

CREATE TABLE commerce.outbox (
  tenant_id      uuid NOT NULL,
  id             uuid NOT NULL,
  seq            bigint,
  type           text NOT NULL,
  aggregate_type text NOT NULL,
  aggregate_id   uuid NOT NULL,
  occurred_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
  published_at   timestamptz,
  data           jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (tenant_id, id),
  CHECK ((seq IS NULL) OPERATOR(pg_catalog.=) (published_at IS NULL))
);
COMMENT ON TABLE commerce.outbox IS
  'Events written by commands in their own transaction; seq and published_at are set by the publisher (NULL: not yet published). Read through commerce.events_since().';
-- The feed: one tenant's events after a cursor. Partial, so that writers'
-- inserts (seq still NULL) do not touch it; "seq > $cursor" implies it.
CREATE UNIQUE INDEX outbox_tenant_seq ON commerce.outbox (tenant_id, seq) WHERE seq IS NOT NULL;
-- The retention purge: published rows by publication time, so that finding
-- the expired ones never reads the rest (bgworker/retention.c).
CREATE INDEX outbox_published_at ON commerce.outbox (published_at) WHERE seq IS NOT NULL;
-- The publisher's queue: unpublished rows in id (= creation time) order.
CREATE INDEX outbox_unpublished ON commerce.outbox (id) WHERE seq IS NULL;

SELECT commerce.enable_tenancy('commerce.outbox');
-- Commands insert (commerce_emit_event, as commerce_owner, so the tenant
-- policy still checks the caller's tenant); only the publisher numbers and
-- only the retention purge deletes (the trigger below refuses everyone else).

CREATE FUNCTION commerce.outbox_append_only() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
  RAISE EXCEPTION 'the outbox is append-only'
    USING ERRCODE = '42501', CONSTRAINT = 'permission_denied', SCHEMA = 'commerce',
          DETAIL = 'Events record committed changes: only the publisher numbers them and only the retention purge deletes them.';
END
$$;
COMMENT ON FUNCTION commerce.outbox_append_only() IS
  'Trigger function refusing UPDATE and DELETE of outbox rows by anyone but the (superuser) background worker.';
-- The workers run as the bootstrap superuser; everyone else is refused.
CREATE TRIGGER outbox_append_only BEFORE UPDATE OR DELETE ON commerce.outbox
  FOR EACH ROW WHEN (pg_catalog.current_setting('is_superuser') OPERATOR(pg_catalog.<>) 'on')
  EXECUTE FUNCTION commerce.outbox_append_only();
-- The sequence's position is dumped, so a restored publisher goes on above
-- every restored seq. Bound roles may read it, for their pg_dump: it shows
-- how many events the database has published, which the seq values of a
-- tenant's own events show already (seq is drawn for all tenants from this
-- one sequence). USAGE (nextval, setval) stays the publisher's.
SELECT pg_catalog.pg_extension_config_dump('commerce.outbox_seq', '');
GRANT SELECT ON SEQUENCE commerce.outbox_seq TO commerce_partner;

CREATE FUNCTION commerce.event_envelope(e commerce.outbox) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT pg_catalog.jsonb_build_object(
    'id', e.id,
    'seq', e.seq,
    'tenant_id', e.tenant_id,
    'type', e.type,
    'aggregate_type', e.aggregate_type,
    'aggregate_id', e.aggregate_id,
    'occurred_at', pg_catalog.to_char(pg_catalog.timezone('UTC', e.occurred_at),
                                      'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'data', e.data)
$$;
COMMENT ON FUNCTION commerce.event_envelope(commerce.outbox) IS
  'The public JSON envelope of an outbox row (id, seq, tenant_id, type, aggregate_type, aggregate_id, occurred_at in RFC 3339 UTC, data), exactly as commerce.events_since() and the gateway''s event stream carry it. Example: SELECT commerce.event_envelope(o) FROM commerce.outbox o LIMIT 1;';

CREATE FUNCTION commerce.emit_event(type text, aggregate_type text, aggregate_id uuid,
                                    data jsonb DEFAULT '{}')
RETURNS uuid
AS 'MODULE_PATHNAME', 'commerce_emit_event_sql'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.emit_event(text, text, uuid, jsonb) IS
  'Record an event of the current tenant in the outbox, in the caller''s transaction (published after commit, never if it rolls back); returns its id. For plugins: the core''s own namespaces (order., payment., product., ... see docs/security.md) are refused with permission_denied (42501), since only commands emit them. type and aggregate_type are lower-case dotted names. Example: SELECT commerce.emit_event(''loyalty.points_added'', ''customer'', ''0190...''::uuid, ''{"points": 10}'');';

CREATE FUNCTION commerce.events_since(after_seq bigint, max int DEFAULT 100)
RETURNS SETOF jsonb
AS 'MODULE_PATHNAME', 'commerce_events_since'
LANGUAGE C STABLE ROWS 100;
COMMENT ON FUNCTION commerce.events_since(bigint, int) IS
  'The current tenant''s published events with seq > after_seq, in seq order, at most max (1..1000), each as its full envelope (never truncated). A consumer keeps the last seq it processed and calls this after every (re)connect: no committed event is ever skipped. Example: SELECT * FROM commerce.events_since(0, 100);';

CREATE FUNCTION commerce.start_outbox_workers() RETURNS void
AS 'MODULE_PATHNAME', 'commerce_start_outbox_workers'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION commerce.start_outbox_workers() IS
  'Ask the pgcommerce launcher to start this database''s publisher and dispatcher when the current transaction commits. CREATE EXTENSION calls it; harmless to call again.';
REVOKE ALL ON FUNCTION commerce.start_outbox_workers() FROM PUBLIC;

SELECT commerce.start_outbox_workers();
