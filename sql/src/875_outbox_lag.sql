-- sql/src/875_outbox_lag.sql — how far event publishing is behind, for the
-- gateway's /metrics and /readyz (issue 16). An event is unpublished while
-- commerce.outbox_published has no mark for it; the oldest one is the first
-- unmarked event from the publisher's scan floor on (the publisher's own
-- look-up, bgworker/publisher.c): the walk covers at most the events
-- published since the floor last rose, never the whole retention.

CREATE FUNCTION commerce.outbox_scan_floor() RETURNS uuid
AS 'MODULE_PATHNAME', 'commerce_outbox_scan_floor'
LANGUAGE C STABLE;
COMMENT ON FUNCTION commerce.outbox_scan_floor() IS
  'The publisher''s scan floor: every outbox event with a lower id is published or rolled back (all zero before its first raise). Internal, for commerce.outbox_lag().';

CREATE FUNCTION commerce.outbox_lag(OUT oldest_unpublished_seconds double precision,
                                    OUT oldest_unpublished_at timestamptz)
LANGUAGE sql STABLE
AS $$
  SELECT coalesce(pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) o.occurred_at), 0),
         o.occurred_at
    FROM (SELECT NULL) one
    LEFT JOIN LATERAL (SELECT u.occurred_at FROM commerce.outbox_written u
                        WHERE u.id OPERATOR(pg_catalog.>=) commerce.outbox_scan_floor()
                          AND NOT EXISTS (SELECT FROM commerce.outbox_published p
                                           WHERE p.tenant_id OPERATOR(pg_catalog.=) u.tenant_id
                                             AND p.id OPERATOR(pg_catalog.=) u.id)
                        ORDER BY u.id LIMIT 1) o ON true
$$;
COMMENT ON FUNCTION commerce.outbox_lag() IS
  'Age of the oldest event not yet published, over every tenant of this database (0 and NULL when none): SELECT * FROM commerce.outbox_lag(). For monitoring: it says no more than how far publishing is behind. Security definer as the extension owner (it reads every tenant''s outbox); commerce_gateway and commerce_admin may call it.';
