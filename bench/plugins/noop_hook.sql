-- bench/plugins/noop_hook.sql — the cost of plugin hooks on checkout, in
-- one session (no client round trips, so the ratio is a lower bound of
-- what bench/place_order would show): ROUNDS x interleaved batches of N
-- checkouts for a tenant without plugins and for a tenant with the loyalty
-- plugin enabled plus a no-op order.before_place hook of its own plugin.
-- Run: psql -v n=500 -v rounds=5 -d commerce -f bench/plugins/noop_hook.sql
\set ON_ERROR_STOP 1
CREATE EXTENSION IF NOT EXISTS loyalty;
CREATE SCHEMA IF NOT EXISTS bench_plug;
CREATE OR REPLACE FUNCTION bench_plug.noop(input jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT NULL::jsonb $$;
SELECT commerce.register_plugin('bench_noop');
BEGIN;
SET LOCAL commerce.plugin = 'bench_noop';
SELECT commerce.register_hook('order.before_place', 'bench_plug.noop(jsonb)', name => 'noop');
COMMIT;
CREATE OR REPLACE FUNCTION bench_plug.tenant(slug text, plugins boolean) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE t uuid; p uuid; v uuid; r jsonb;
BEGIN
  SELECT id INTO t FROM commerce.tenants WHERE tenants.slug = tenant.slug;
  IF t IS NULL THEN t := commerce.create_tenant(slug, slug, 'EUR'); END IF;
  PERFORM commerce.set_context(t, 'bench', 'staff');
  r := commerce.create_product(jsonb_build_object('title', 'P', 'status', 'active'));
  r := commerce.create_variant((r->>'id')::uuid, jsonb_build_object('sku', 'SKU-' || commerce.uuid_generate_v7()));
  v := (r->>'id')::uuid;
  r := commerce.create_price_list(jsonb_build_object('name', 'L' || commerce.uuid_generate_v7(), 'currency', 'EUR'));
  PERFORM commerce.set_price((r->>'id')::uuid, jsonb_build_object('variant_id', v, 'amount', 1000));
  PERFORM commerce.set_inventory(v, jsonb_build_object('on_hand', 100000000));
  IF plugins THEN
    PERFORM commerce.enable_plugin('loyalty');
    PERFORM commerce.enable_plugin('bench_noop');
  END IF;
  RETURN jsonb_build_object('tenant', t, 'variant', v);
END $$;
CREATE OR REPLACE FUNCTION bench_plug.batch(ids jsonb, n int) RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE s timestamptz; i int;
BEGIN
  PERFORM commerce.set_context((ids->>'tenant')::uuid, 'bench', 'staff');
  s := clock_timestamp();
  FOR i IN 1..n LOOP
    PERFORM commerce.checkout(jsonb_build_object('currency', 'EUR', 'lines',
              jsonb_build_array(jsonb_build_object('variant_id', ids->>'variant', 'quantity', 1))));
  END LOOP;
  RETURN n / extract(epoch FROM clock_timestamp() - s);
END $$;
SELECT bench_plug.tenant('bench-plain', false) AS plain \gset
SELECT bench_plug.tenant('bench-plugins', true) AS plug \gset
CREATE TEMP TABLE results (round int, kind text, rate double precision);
SELECT format('INSERT INTO results SELECT %s, %L, bench_plug.batch(%L, %s);', r, k, CASE k WHEN 'plain' THEN :'plain' ELSE :'plug' END, :n)
  FROM generate_series(1, :rounds) r, unnest(ARRAY['plain', 'plugins']) k ORDER BY r, k \gexec
SELECT kind, round(max(rate)::numeric, 1) AS best_rate, round(avg(rate)::numeric, 1) AS mean_rate FROM results GROUP BY kind ORDER BY kind;
SELECT round(((SELECT max(rate) FROM results WHERE kind = 'plugins') / (SELECT max(rate) FROM results WHERE kind = 'plain'))::numeric, 3) AS ratio_best,
       round(((SELECT avg(rate) FROM results WHERE kind = 'plugins') / (SELECT avg(rate) FROM results WHERE kind = 'plain'))::numeric, 3) AS ratio_mean;
