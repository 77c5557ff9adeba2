#!/usr/bin/env bash
# bench/catalog/run.sh — throughput of the customer and catalog commands
# (the C commands over kept SPI plans, idempotency and outbox included),
# as a role bound to one tenant, under row-level security. Starts its own
# cluster (scripts/cluster.sh, data in tmp_check/bench-catalog), loads
# TENANTS tenants x PRODUCTS products (two variants each) and as many
# customers, then runs each pgbench script DURATION seconds with CLIENTS
# clients:
#   get_product      commerce.get_product(random id) — product + variants JSON
#   list_products    commerce.list_products(50) — one page of 50 with variants
#   get_customer     commerce.get_customer(random id)
#   create_customer  commerce.create_customer(new email) — insert + event
#   create_variant   commerce.create_variant(product, new SKU, key) — with an
#                    idempotency key (stored response) + event
# Prints TPS and mean latency per script. Results: bench/catalog/RESULTS.md.
#
# Environment: TENANTS (20), PRODUCTS (5000), DURATION (10), CLIENTS (4).
set -euo pipefail
source "$(dirname "$0")/../../scripts/common.sh"
cd "$REPO_ROOT"

TENANTS=${TENANTS:-20}
PRODUCTS=${PRODUCTS:-5000}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-4}
bench_dir=$REPO_ROOT/tmp_check/bench-catalog

make -s all >/dev/null
pgbin=$(./scripts/tmp-install.sh)
export PATH="$pgbin:$PATH"
export PGCOMMERCE_PGDATA=$bench_dir/cluster PGCOMMERCE_PGBIN=$pgbin
./scripts/cluster.sh stop 2>/dev/null || true
rm -rf "$bench_dir"
own_for_server "$bench_dir"
./scripts/cluster.sh init
cat >>"$PGCOMMERCE_PGDATA/data/postgresql.conf" <<CONF
shared_buffers = 256MB
max_wal_size = 4GB
CONF
./scripts/cluster.sh start
trap './scripts/cluster.sh stop' EXIT
eval "$(./scripts/cluster.sh env)"

t=$(( TENANTS / 2 + 1 ))
psql -X -q -d postgres -c "CREATE DATABASE bench"
psql -X -q -v ON_ERROR_STOP=1 -d bench -v tenants="$TENANTS" -v products="$PRODUCTS" -v t="$t" <<'SQL'
CREATE EXTENSION pgcommerce;
SET synchronous_commit = off;
INSERT INTO commerce.tenants (id, slug, name, default_currency)
SELECT md5('t-' || t)::uuid, 'bench-' || t, 'Bench ' || t, 'EUR' FROM generate_series(1, :tenants) t;
INSERT INTO commerce.products (tenant_id, id, title, handle, status, options)
SELECT md5('t-' || t)::uuid, md5('p-' || t || '-' || n)::uuid, 'Product ' || n, 'product-' || n, 'active',
       '[{"name": "Size", "values": ["S", "M"]}]'
FROM generate_series(1, :tenants) t, generate_series(1, :products) n;
INSERT INTO commerce.variants (tenant_id, id, product_id, sku, option_values)
SELECT md5('t-' || t)::uuid, md5('v-' || t || '-' || n || s)::uuid, md5('p-' || t || '-' || n)::uuid,
       'SKU-' || n || '-' || s, jsonb_build_object('Size', s)
FROM generate_series(1, :tenants) t, generate_series(1, :products) n, unnest(ARRAY['S', 'M']) s;
INSERT INTO commerce.customers (tenant_id, id, email)
SELECT md5('t-' || t)::uuid, md5('c-' || t || '-' || n)::uuid, 'c' || n || '@example.com'
FROM generate_series(1, :tenants) t, generate_series(1, :products) n;
-- the product that takes new variants has no options
INSERT INTO commerce.products (tenant_id, id, title, handle)
SELECT md5('t-' || t)::uuid, md5('bulk-' || t)::uuid, 'Bulk', 'bulk' FROM generate_series(1, :tenants) t;
ANALYZE;
CREATE ROLE bench_catalog LOGIN;
SELECT commerce.bind_role('bench_catalog', md5('t-' || :t)::uuid);
SQL

cat >"$bench_dir/get_product.sql" <<SQL
\set n random(1, $PRODUCTS)
SELECT commerce.get_product(md5('p-$t-' || :n)::uuid);
SQL
cat >"$bench_dir/list_products.sql" <<SQL
SELECT commerce.list_products(50);
SQL
cat >"$bench_dir/get_customer.sql" <<SQL
\set n random(1, $PRODUCTS)
SELECT commerce.get_customer(md5('c-$t-' || :n)::uuid);
SQL
cat >"$bench_dir/create_customer.sql" <<SQL
SELECT commerce.create_customer(jsonb_build_object('email', gen_random_uuid() || '@example.com', 'first_name', 'Bench'));
SQL
cat >"$bench_dir/create_variant.sql" <<SQL
SELECT commerce.create_variant(md5('bulk-$t')::uuid, jsonb_build_object('sku', gen_random_uuid()), gen_random_uuid()::text);
SQL

echo "# $TENANTS tenants x $PRODUCTS products (2 variants each) and customers; $DURATION s per script, $CLIENTS clients, $(nproc) cores, PostgreSQL $(psql -X -qAt -d bench -c 'SHOW server_version')"
for script in get_product list_products get_customer create_customer create_variant; do
  pgbench -n -M prepared -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION" -U bench_catalog -f "$bench_dir/$script.sql" bench 2>&1 |
    awk -v s="$script" '/^tps = / { tps = $3 } /^latency average/ { lat = $4 } /failed/ { failed = $0 }
                         END { printf "%-16s %8.0f tps   %6.3f ms mean latency\n", s, tps, lat }'
done
echo "# rows written: $(psql -X -qAt -d bench -c "SELECT (SELECT count(*) FROM commerce.customers WHERE tenant_id = md5('t-$t')::uuid) - $PRODUCTS || ' customers, ' || (SELECT count(*) FROM commerce.variants WHERE product_id = md5('bulk-$t')::uuid) || ' variants, ' || (SELECT count(*) FROM commerce.outbox) || ' outbox events'")"
