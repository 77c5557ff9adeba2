#!/usr/bin/env bash
# bench/checkout_wal/run.sh — what one checkout costs in WAL and outbox rows.
# Runs N single-call checkouts (bench/place_order/checkout.sql: 3 lines, an
# idempotency key, as bench_gateway, a commerce_gateway member) from one
# client, waits until the publisher has published every outbox row, and
# prints per checkout: WAL bytes (pg_current_wal_lsn difference), WAL
# records and full-page images (pg_stat_wal), outbox rows and their types.
# The publisher's work (numbering, deliveries) is inside the window, as it
# is part of a checkout's cost. Starts its own cluster (scripts/cluster.sh,
# data in tmp_check/bench-checkout-wal) with autovacuum off so that no
# vacuum lands in the window; a CHECKPOINT precedes the window, so the
# first touch of each page after it writes a full-page image (as in
# production after every checkpoint; N large makes it a small share).
#
# Environment: N checkouts (2000), BENCH_TENANTS (16), VARIANTS (150).
set -euo pipefail
source "$(dirname "$0")/../../scripts/common.sh"
cd "$REPO_ROOT"

N=${N:-2000}
BENCH_TENANTS=${BENCH_TENANTS:-16}
bench_dir=$REPO_ROOT/tmp_check/bench-checkout-wal

export PGCOMMERCE_PGPORT=${PGCOMMERCE_PGPORT:-$((55000 + RANDOM % 5000))}
KEEP=0 bench_cluster "$bench_dir" "shared_buffers = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min
autovacuum = off"

psql -X -q -d postgres -c "CREATE DATABASE bench_wal"
export PGDATABASE=bench_wal
psql -X -q -c "CREATE EXTENSION pgcommerce CASCADE" \
     -c "CREATE ROLE bench_gateway LOGIN" -c "GRANT commerce_gateway TO bench_gateway"
psql -X -q -v tenants="$BENCH_TENANTS" -v variants=150 -f bench/place_order/load.sql

q() { psql -X -qAt -c "$1"; }
drained() {  # wait until every outbox row is published
  for _ in $(seq 1 600); do
    [ "$(q "SELECT count(*) FROM commerce.outbox WHERE seq IS NULL")" = 0 ] && return 0
    sleep 0.1
  done
  echo "outbox did not drain" >&2; exit 1
}

# warm-up (plans, caches), then a clean window
pgbench -n -U bench_gateway -c 1 -t 50 -D tenants="$BENCH_TENANTS" \
        -f bench/place_order/checkout.sql >/dev/null
drained
q "CHECKPOINT"
outbox0=$(q "SELECT count(*) FROM commerce.outbox")
q "SELECT pg_stat_reset_shared('wal')" >/dev/null
lsn0=$(q "SELECT pg_current_wal_lsn()")

pgbench -n -U bench_gateway -c 1 -t "$N" -D tenants="$BENCH_TENANTS" \
        -f bench/place_order/checkout.sql | grep -E "^(number of transactions actually|tps)"
drained
sleep 1   # the publisher's last batch commit and NOTIFY
read -r bytes rec fpi <<<"$(q "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$lsn0'), wal_records, wal_fpi FROM pg_stat_wal" | tr '|' ' ')"
outbox=$(( $(q "SELECT count(*) FROM commerce.outbox") - outbox0 ))

echo "commit $(git rev-parse --short HEAD), $N checkouts"
awk -v n="$N" -v b="$bytes" -v r="$rec" -v f="$fpi" -v o="$outbox" 'BEGIN {
  printf "WAL bytes per checkout   %.0f\n", b / n;
  printf "WAL records per checkout %.1f\n", r / n;
  printf "full-page images         %.2f per checkout\n", f / n;
  printf "outbox rows per checkout %.2f\n", o / n }'
psql -X -q -c "SELECT type, count(*) FROM commerce.outbox GROUP BY type ORDER BY type"
