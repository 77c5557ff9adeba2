-- bench/place_order/many_orders.sql — existing orders for the "large
-- database" run: :orders placed orders of one line each, spread evenly
-- over :tenants extra tenants plus the bench tenants (which get their share
-- too, so the hot tenants' indexes are as deep as everyone's), written
-- straight into commerce.orders/order_lines and baseline.orders/order_lines
-- (same rows), with each tenant's counter at its last number. The orders
-- of the empty-database runs are removed first.
\ir ../lib/fixture_ids.sql

INSERT INTO commerce.tenants (id, slug, name, default_currency)
SELECT pg_temp.bench_id(200000000000 + t), 'bench-' || t, 'Bench ' || t, 'EUR'
FROM generate_series(:bench_tenants + 1, :tenants) t;

-- the orders of the empty-database runs go: numbers restart at 1
TRUNCATE commerce.order_lines, commerce.orders, commerce.order_counters,
         baseline.order_lines, baseline.orders, baseline.order_counters CASCADE;

-- orders: tenant (i % tenants) + 1, number i / tenants + 1
CREATE UNLOGGED TABLE pg_temp_orders AS
SELECT i, pg_temp.bench_id(200000000000 + (i % :tenants) + 1) AS tenant_id,
       commerce.uuid_generate_v7() AS id,
       i / :tenants + 1 AS number,
       pg_temp.bench_id(100000000000 + LEAST((i % :tenants) + 1, :bench_tenants) * 1000 + (i % 50) + 1) AS variant_id,
       1000 + (i % 997) AS amount
FROM generate_series(0, :orders - 1) i;

\ir ../lib/orders_from_temp.sql

INSERT INTO baseline.orders SELECT * FROM commerce.orders;
INSERT INTO baseline.order_lines SELECT * FROM commerce.order_lines;
INSERT INTO baseline.order_counters SELECT * FROM commerce.order_counters;
DROP TABLE pg_temp_orders;
VACUUM ANALYZE;
