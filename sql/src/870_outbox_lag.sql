-- sql/src/870_outbox_lag.sql — how far event publishing is behind, for the
-- gateway's /metrics and /readyz (issue 16). One small function so that
-- whoever reworks the outbox's publishing tables adapts this one place.
-- Written against today's schema: an event is unpublished while its seq is
-- NULL; outbox ids are UUIDv7, so the oldest unpublished is the first of
-- the outbox_unpublished index (id WHERE seq IS NULL): no scan.

CREATE FUNCTION commerce.outbox_lag(OUT oldest_unpublished_seconds double precision,
                                    OUT oldest_unpublished_at timestamptz)
LANGUAGE sql STABLE
AS $$
  SELECT coalesce(pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) o.occurred_at), 0),
         o.occurred_at
    FROM (SELECT NULL) one
    LEFT JOIN LATERAL (SELECT u.occurred_at FROM commerce.outbox u
                        WHERE u.seq IS NULL ORDER BY u.id LIMIT 1) o ON true
$$;
COMMENT ON FUNCTION commerce.outbox_lag() IS
  'Age of the oldest event not yet published, over every tenant of this database (0 and NULL when none): SELECT * FROM commerce.outbox_lag(). For monitoring: it says no more than how far publishing is behind. Security definer as the extension owner (it reads every tenant''s outbox); commerce_gateway and commerce_admin may call it.';
