-- bench/export/load.sql — the database of the export benchmark: :orders
-- placed orders of one line each, spread evenly over :tenants tenants
-- (order i belongs to tenant (i % tenants) + 1, so every tenant holds
-- 1/tenants of the rows, interleaved on the pages the way orders arriving
-- together are), each with its published order.placed event in the outbox
-- (seq = i + 1, outbox_seq at the last one) and its tenant's counter at its
-- last number; one product and variant per tenant. Written straight into
-- the tables as the superuser, set-based, like bench/place_order/many_orders.sql:
-- a fixture, not a workload. Role bench_export_1 is bound to tenant 1,
-- bench_export_empty to tenant bench-empty, which has no rows.
\ir ../lib/fixture_ids.sql

INSERT INTO commerce.tenants (id, slug, name, default_currency)
SELECT pg_temp.bench_id(200000000000 + t), 'bench-' || t, 'Bench ' || t, 'EUR'
FROM generate_series(1, :tenants) t;
INSERT INTO commerce.products (tenant_id, id, title, handle, status)
SELECT pg_temp.bench_id(200000000000 + t), pg_temp.bench_id(100000000000 + t), 'Product', 'product', 'active'
FROM generate_series(1, :tenants) t;
INSERT INTO commerce.variants (tenant_id, id, product_id, sku)
SELECT pg_temp.bench_id(200000000000 + t), pg_temp.bench_id(100000000000 + t),
       pg_temp.bench_id(100000000000 + t), 'SKU-' || t
FROM generate_series(1, :tenants) t;

CREATE UNLOGGED TABLE pg_temp_orders AS
SELECT i, pg_temp.bench_id(200000000000 + (i % :tenants) + 1) AS tenant_id,
       commerce.uuid_generate_v7() AS id,
       i / :tenants + 1 AS number,
       pg_temp.bench_id(100000000000 + (i % :tenants) + 1) AS variant_id,
       1000 + (i % 997) AS amount
FROM generate_series(0, :orders - 1) i;

\ir ../lib/orders_from_temp.sql
CREATE TEMP TABLE pg_temp_events AS
SELECT i, tenant_id, commerce.uuid_generate_v7() AS event_id, id, number, amount FROM pg_temp_orders;
INSERT INTO commerce.outbox_written (tenant_id, id, type, aggregate_type, aggregate_id, data)
SELECT tenant_id, event_id, 'order.placed', 'order', id,
       jsonb_build_object('id', id, 'number', number, 'status', 'placed', 'currency', 'EUR',
                          'total', amount + amount * 19 / 100)
FROM pg_temp_events ORDER BY i;
INSERT INTO commerce.outbox_published (tenant_id, id, seq)
SELECT tenant_id, event_id, i + 1 FROM pg_temp_events ORDER BY i;
DROP TABLE pg_temp_events;
SELECT pg_catalog.setval('commerce.outbox_seq', :orders);
DROP TABLE pg_temp_orders;

DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bench_export_1') THEN
    CREATE ROLE bench_export_1 LOGIN;
  END IF;
END $$;
SELECT commerce.bind_role('bench_export_1', pg_temp.bench_id(200000000001));
-- A tenant with no rows, bound to bench_export_empty: its export is the
-- fixed cost of any export (connections, pg_dump reading the catalogue).
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bench_export_empty') THEN
    CREATE ROLE bench_export_empty LOGIN;
  END IF;
END $$;
SELECT commerce.bind_role('bench_export_empty', commerce.create_tenant('bench-empty', 'Empty', 'EUR'));
VACUUM ANALYZE;
