-- bench/lib/fixture_ids.sql — the start of a benchmark fixture written
-- straight into the tables as the superuser (bench/export/load.sql,
-- bench/place_order/many_orders.sql): fast settings for a bulk load and
-- pg_temp.bench_id(n), the fixed uuid of fixture object n (tenants are
-- 200000000000 + t, products and variants 100000000000 + ...).
\set ON_ERROR_STOP 1
SET synchronous_commit = off;
SET maintenance_work_mem = '512MB';

CREATE FUNCTION pg_temp.bench_id(n bigint) RETURNS uuid LANGUAGE sql IMMUTABLE
  AS $$ SELECT ('00000000-0000-7000-8000-' || n)::uuid $$;
