-- sql/src/200_outbox.sql — the transactional outbox and the event feed.
-- Commands insert event rows into commerce.outbox_written in their own
-- transaction (commerce_emit_event in C); the background publisher
-- (bgworker/) gives each committed event its seq, in commit order, by
-- inserting its row into commerce.outbox_published (the events are never
-- rewritten), and wakes listeners with an empty NOTIFY commerce_events. commerce.events_since() is where consumers
-- read the events, under row-level security. See docs/events.md.

-- seq values, drawn only by the publisher of this database.
CREATE SEQUENCE commerce.outbox_seq AS bigint MINVALUE 1 NO CYCLE;
COMMENT ON SEQUENCE commerce.outbox_seq IS
  'Source of commerce.outbox_published.seq; only the publisher draws from it, in publish order.';

-- The events themselves: what commands write, never updated. Publishing
-- does not touch these rows (it inserts into outbox_published below), so an
-- event is written once: one heap row and two index entries.
-- Restores: a publisher runs in the restored database (started by the
-- restored CREATE EXTENSION) while data loads, so the publication marks
-- must be in before the events, or it numbers a restored published event
-- again and the marks' COPY then fails on the key. pg_dump orders the data
-- of extension tables by foreign keys (referenced first), then by name:
-- nothing references outbox_written (deliveries reference the marks), and
-- outbox_published sorts before it. A parallel pg_restore (-j) loads
-- tables concurrently: docs/tenant-export.md says how to hold the
-- publisher then.
CREATE TABLE commerce.outbox_written (
  tenant_id      uuid NOT NULL,
  id             uuid NOT NULL,
  type           text NOT NULL,
  aggregate_type text NOT NULL,
  aggregate_id   uuid NOT NULL,
  occurred_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
  data           jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (tenant_id, id)
);
COMMENT ON TABLE commerce.outbox_written IS
  'Events written by commands in their own transaction, insert-only; published (numbered) when commerce.outbox_published has their row. Read through commerce.outbox or commerce.events_since().';
-- The publisher's queue: events in id (= creation time) order, from its
-- scan floor on; the published ones are skipped by their
-- outbox_published row (bgworker/publisher.c).
CREATE INDEX outbox_written_queue ON commerce.outbox_written (id);

-- Publication marks: one row per published event, inserted by the
-- publisher alone, in seq order, never updated. (tenant_id, id) makes a
-- second numbering of an event a key violation; (tenant_id, seq) is the
-- feed. No foreign key to outbox_written: its check would lock the event
-- row (a WAL record per event); the retention purge and tenant erase
-- delete both rows.
CREATE TABLE commerce.outbox_published (
  tenant_id    uuid NOT NULL,
  id           uuid NOT NULL,
  seq          bigint NOT NULL,
  published_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT outbox_tenant_seq UNIQUE (tenant_id, seq)
);
COMMENT ON TABLE commerce.outbox_published IS
  'When and with which seq each event of commerce.outbox_written was published; written only by the publisher, in seq order.';
-- The retention purge: rows are appended in published_at order, so a
-- block range index finds the expired ones and costs nothing per insert
-- while the last range is unsummarized.
CREATE INDEX outbox_published_at ON commerce.outbox_published USING brin (published_at);
-- Building the index on the empty table summarized its first (empty) block
-- range, and an insert into a summarized range rewrites the summary (a WAL
-- record per event, the values only ever grow). Leave it to VACUUM, which
-- summarizes ranges once they are full.
SELECT pg_catalog.brin_desummarize_range('commerce.outbox_published_at'::pg_catalog.regclass, 0);

SELECT commerce.enable_tenancy('commerce.outbox_written');
SELECT commerce.enable_tenancy('commerce.outbox_published');

-- The outbox as readers know it: one row per event, seq and published_at
-- NULL until it is published. Security-invoker: the tables' row-level
-- security applies to whoever reads it.
CREATE VIEW commerce.outbox WITH (security_invoker = true) AS
  SELECT e.tenant_id, e.id, p.seq, e.type, e.aggregate_type, e.aggregate_id,
         e.occurred_at, p.published_at, e.data
    FROM commerce.outbox_written e
    LEFT JOIN commerce.outbox_published p
      ON p.tenant_id OPERATOR(pg_catalog.=) e.tenant_id AND p.id OPERATOR(pg_catalog.=) e.id;
COMMENT ON VIEW commerce.outbox IS
  'Every event of the current tenant with its seq and published_at (NULL: not yet published): commerce.outbox_written joined with commerce.outbox_published. Read through commerce.events_since() for a cursor feed.';
GRANT SELECT ON commerce.outbox TO commerce_partner, commerce_gateway, commerce_admin, commerce_owner;

-- Commands insert events (commerce_emit_event, as commerce_owner, so the
-- tenant policy still checks the caller's tenant); only the publisher
-- inserts publication marks, and only the retention purge (and tenant
-- erase) deletes (the triggers below refuse everyone else).

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
  'Trigger function refusing UPDATE and DELETE of outbox rows (events and publication marks) by anyone but the (superuser) background worker.';
-- The workers run as the bootstrap superuser; everyone else is refused.
CREATE TRIGGER outbox_append_only BEFORE UPDATE OR DELETE ON commerce.outbox_written
  FOR EACH ROW WHEN (pg_catalog.current_setting('is_superuser') OPERATOR(pg_catalog.<>) 'on')
  EXECUTE FUNCTION commerce.outbox_append_only();
CREATE TRIGGER outbox_append_only BEFORE UPDATE OR DELETE ON commerce.outbox_published
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
