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
# Also per checkout: statements nested in the command (pg_stat_statements,
# track = all: every SPI statement and foreign-key check, toplevel false)
# and index entries written (B-tree insert records in pg_waldump --stats).
#
# Environment: N checkouts (2000), BENCH_TENANTS (16), VARIANTS (150);
# CHECKOUT_SQL (bench/place_order/checkout.sql) and EXTRA_LOAD (an SQL file
# loaded after load.sql) for variants, e.g. issue 17's
# CHECKOUT_SQL=bench/place_order/checkout_shipping.sql
# EXTRA_LOAD=bench/place_order/shipping_load.sql.
set -euo pipefail
source "$(dirname "$0")/../../scripts/common.sh"
cd "$REPO_ROOT"

N=${N:-2000}
CHECKOUT_SQL=${CHECKOUT_SQL:-bench/place_order/checkout.sql}
BENCH_TENANTS=${BENCH_TENANTS:-16}
bench_dir=$REPO_ROOT/tmp_check/bench-checkout-wal

export PGCOMMERCE_PGPORT=${PGCOMMERCE_PGPORT:-$((55000 + RANDOM % 5000))}
KEEP=0 bench_cluster "$bench_dir" "shared_buffers = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min
autovacuum = off
shared_preload_libraries = 'pgcommerce,pg_stat_statements'
pg_stat_statements.track = all
pg_stat_statements.track_planning = on
pg_stat_statements.max = 10000"

psql -X -q -d postgres -c "CREATE DATABASE bench_wal"
export PGDATABASE=bench_wal
psql -X -q -c "CREATE EXTENSION pgcommerce CASCADE" -c "CREATE EXTENSION pg_stat_statements" \
     -c "CREATE ROLE bench_gateway LOGIN" -c "GRANT commerce_gateway TO bench_gateway"
psql -X -q -v tenants="$BENCH_TENANTS" -v variants=150 -f bench/place_order/load.sql
[ -z "${EXTRA_LOAD:-}" ] || psql -X -q -v tenants="$BENCH_TENANTS" -f "$EXTRA_LOAD"

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
        -f "$CHECKOUT_SQL" >/dev/null
drained
q "CHECKPOINT"
outbox0=$(q "SELECT count(*) FROM commerce.outbox")
q "SELECT pg_stat_reset_shared('wal')" >/dev/null
q "SELECT pg_stat_statements_reset()" >/dev/null
lsn0=$(q "SELECT pg_current_wal_lsn()")

pgbench -n -U bench_gateway -c 1 -t "$N" -D tenants="$BENCH_TENANTS" \
        -f "$CHECKOUT_SQL" | grep -E "^(number of transactions actually|tps)"
drained
sleep 1   # the publisher's last batch commit and NOTIFY
read -r bytes rec fpi <<<"$(q "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$lsn0'), wal_records, wal_fpi FROM pg_stat_wal" | tr '|' ' ')"
outbox=$(( $(q "SELECT count(*) FROM commerce.outbox") - outbox0 ))
lsn1=$(q "SELECT pg_current_wal_lsn()")
nested=$(q "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE NOT toplevel")
# B-tree entries: leaf inserts (page splits write the entry in their own record)
waldump=$(pg_waldump -p "$PGCOMMERCE_PGDATA/data/pg_wal" -s "$lsn0" -e "$lsn1" --stats=record 2>/dev/null || true)
index_entries=$(awk '/^Btree\/(INSERT_LEAF|INSERT_POST|SPLIT_L|SPLIT_R|NEWROOT)/ { n += $2 } END { print n + 0 }' <<<"$waldump")

echo "commit $(git rev-parse --short HEAD), $N checkouts"
awk -v n="$N" -v b="$bytes" -v r="$rec" -v f="$fpi" -v o="$outbox" -v s="$nested" -v x="$index_entries" 'BEGIN {
  printf "WAL bytes per checkout   %.0f\n", b / n;
  printf "WAL records per checkout %.1f\n", r / n;
  printf "full-page images         %.2f per checkout\n", f / n;
  printf "outbox rows per checkout %.2f\n", o / n;
  printf "nested statements        %.1f per checkout\n", s / n;
  printf "index entries            %.1f per checkout\n", x / n }'
psql -X -q -c "SELECT type, count(*) FROM commerce.outbox GROUP BY type ORDER BY type"
echo "WAL records per checkout by kind (pg_waldump --stats=record):"
awk -v n="$N" '$2 ~ /^[0-9]+$/ && $2 / n >= 0.05 { printf "  %-28s %6.2f\n", $1, $2 / n }' <<<"$waldump" | sort -k2 -nr
psql -X -q -c "SELECT round(calls::numeric / $N, 2) AS per_checkout, round(plans::numeric / $N, 2) AS plans, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS statement
                FROM pg_stat_statements WHERE NOT toplevel ORDER BY calls DESC, query LIMIT 25"
