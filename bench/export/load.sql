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
\set ON_ERROR_STOP 1
SET synchronous_commit = off;
SET maintenance_work_mem = '512MB';

CREATE FUNCTION pg_temp.bench_id(n bigint) RETURNS uuid LANGUAGE sql IMMUTABLE
  AS $$ SELECT ('00000000-0000-7000-8000-' || n)::uuid $$;

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

INSERT INTO commerce.orders (tenant_id, id, number, status, payment_status, currency, prices_include_tax,
                             tax_rounding_mode, tax_rounding_scope, subtotal, tax_total, total, placed_at)
SELECT tenant_id, id, number, 'placed', 'unpaid', 'EUR', false, 'half_even', 'line',
       amount, amount * 19 / 100, amount + amount * 19 / 100, now()
FROM pg_temp_orders ORDER BY i;
INSERT INTO commerce.order_lines (tenant_id, id, order_id, variant_id, quantity, sku, title,
                                  unit_amount, amount, tax_rate_ppm, tax_amount)
SELECT tenant_id, commerce.uuid_generate_v7(), id, variant_id, 1, 'SKU', 'Product',
       amount, amount, 190000, amount * 19 / 100
FROM pg_temp_orders ORDER BY i;
INSERT INTO commerce.order_counters (tenant_id, last_number)
SELECT tenant_id, max(number) FROM pg_temp_orders GROUP BY tenant_id;
INSERT INTO commerce.outbox (tenant_id, id, seq, type, aggregate_type, aggregate_id, published_at, data)
SELECT tenant_id, commerce.uuid_generate_v7(), i + 1, 'order.placed', 'order', id, now(),
       jsonb_build_object('id', id, 'number', number, 'status', 'placed', 'currency', 'EUR',
                          'total', amount + amount * 19 / 100)
FROM pg_temp_orders ORDER BY i;
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
