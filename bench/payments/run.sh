#!/usr/bin/env bash
# bench/payments/run.sh — throughput of the payment commands. Starts its own
# cluster (scripts/cluster.sh, data in tmp_check/bench-payments), places
# ORDERS orders of one tenant through the real commands
# (test/fixtures/payments.sql), then runs bench/payments/authorize_capture.sql
# with pgbench at 1 and CLIENTS clients, with synchronous_commit on and off
# (off shows the CPU cost without the WAL flush of every command). Prints
# pgbench's TPS (one transaction = authorize + capture) and per-statement
# latencies.
#
# Environment: ORDERS (2000), DURATION seconds per run (10), CLIENTS (8).
set -euo pipefail
source "$(dirname "$0")/../../scripts/common.sh"
cd "$REPO_ROOT"

ORDERS=${ORDERS:-2000}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-8}
bench_dir=$REPO_ROOT/tmp_check/bench-payments

make -s all >/dev/null
pgbin=$(./scripts/tmp-install.sh)
export PATH="$pgbin:$PATH"
export PGCOMMERCE_PGDATA=$bench_dir/cluster PGCOMMERCE_PGBIN=$pgbin
./scripts/cluster.sh stop 2>/dev/null || true
rm -rf "$bench_dir"
own_for_server "$bench_dir"
./scripts/cluster.sh init
./scripts/cluster.sh start
trap './scripts/cluster.sh stop' EXIT
eval "$(./scripts/cluster.sh env)"

psql -X -q -U postgres -d postgres -c "CREATE DATABASE bench"
psql -X -q -U postgres -d bench -v ON_ERROR_STOP=1 -v orders="$ORDERS" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pgcommerce CASCADE;
\i test/fixtures/payments.sql
SELECT commerce.create_tenant('bench', 'Bench', 'EUR') AS t \gset
CREATE TABLE bench_orders (n serial PRIMARY KEY, id uuid NOT NULL);
INSERT INTO bench_orders (id) SELECT payments_test.order(:'t', 1000000) FROM generate_series(1, :orders);
DROP ROLE IF EXISTS bench_partner;
CREATE ROLE bench_partner LOGIN;
SELECT commerce.bind_role('bench_partner', :'t');
GRANT SELECT ON bench_orders TO bench_partner;
VACUUM ANALYZE;
SQL

for sync in on off; do
  for clients in 1 "$CLIENTS"; do
    echo "# synchronous_commit=$sync clients=$clients"
    PGOPTIONS="-c synchronous_commit=$sync" pgbench -n -r -U bench_partner \
      -c "$clients" -j "$clients" -T "$DURATION" -D orders="$ORDERS" \
      -f bench/payments/authorize_capture.sql bench 2>&1 |
      grep -E 'tps|failed|authorize_payment|capture_payment'
  done
done
