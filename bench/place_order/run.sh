#!/usr/bin/env bash
# bench/place_order/run.sh — single-call checkout (commerce.checkout, 3
# lines, an idempotency key) against the same work in plain SQL from the
# client (baseline.sql), at 1, 8 and 32 clients; then the same runs after
# loading ORDERS existing orders across TENANTS tenants. Starts its own
# cluster (scripts/cluster.sh, data in tmp_check/bench-place-order) with
# pgcommerce preloaded (the outbox publisher runs, as in production).
# Prints TPS per run and the ratios: extension / baseline, and large
# database / empty database. Results go to docs/benchmarks.md by hand.
#
# Environment: DURATION seconds per run (20), CLIENTS ("1 8 32"),
# BENCH_TENANTS tenants the clients order from (16), ORDERS (10000000),
# TENANTS (1000), SKIP_LARGE=1 to skip the large-database runs.
set -euo pipefail
source "$(dirname "$0")/../../scripts/common.sh"
cd "$REPO_ROOT"

DURATION=${DURATION:-20}
CLIENTS=${CLIENTS:-"1 8 32"}
BENCH_TENANTS=${BENCH_TENANTS:-16}
ORDERS=${ORDERS:-10000000}
TENANTS=${TENANTS:-1000}
here=bench/place_order
bench_dir=$REPO_ROOT/tmp_check/bench-place-order

make -s all >/dev/null
pgbin=$(./scripts/tmp-install.sh)
export PATH="$pgbin:$PATH"
export PGCOMMERCE_PGDATA=$bench_dir/cluster PGCOMMERCE_PGBIN=$pgbin
./scripts/cluster.sh stop 2>/dev/null || true
rm -rf "$bench_dir"
own_for_server "$bench_dir"
./scripts/cluster.sh init
cat >>"$PGCOMMERCE_PGDATA/data/postgresql.conf" <<CONF
shared_buffers = 2GB
maintenance_work_mem = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min
CONF
./scripts/cluster.sh start
trap './scripts/cluster.sh stop' EXIT
eval "$(./scripts/cluster.sh env)"

psql -X -q -d postgres -c "CREATE DATABASE bench"
psql -X -q -d bench -c "CREATE EXTENSION pgcommerce CASCADE"
psql -X -q -d bench -v tenants="$BENCH_TENANTS" -v variants=150 -f $here/load.sql

declare -A tps
run() {  # run LABEL SCRIPT CLIENTS
  local label=$1 script=$2 c=$3 j out
  j=$(( c < 2 ? 1 : 2 ))
  out=$(pgbench -n -M prepared -c "$c" -j "$j" -T "$DURATION" -D tenants="$BENCH_TENANTS" \
        -f "$script" bench 2>&1) || { echo "$out" >&2; exit 1; }
  tps[$label]=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
  local failed
  failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')
  printf '%-28s %3s clients  %10s tps  (failed: %s)\n' "$label" "$c" "${tps[$label]}" "${failed:-0}"
}

rounds() {  # rounds DATASET
  for c in $CLIENTS; do
    run "$1 extension c$c" $here/checkout.sql "$c"
    run "$1 baseline c$c" $here/baseline.sql "$c"
  done
}

echo "# $(date -u +%FT%TZ) $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), PostgreSQL $(psql -X -qAt -d bench -c 'SHOW server_version')"
echo "# empty database: $BENCH_TENANTS tenants x 150 variants, no orders"
rounds empty
if [ "${SKIP_LARGE:-0}" != 1 ]; then
  start=$(date +%s)
  psql -X -q -d bench -v orders="$ORDERS" -v tenants="$TENANTS" -v bench_tenants="$BENCH_TENANTS" \
       -f $here/many_orders.sql
  echo "# loaded $(psql -X -qAt -d bench -c 'SELECT count(*) FROM commerce.orders') orders across $TENANTS tenants in $(( $(date +%s) - start )) s"
  rounds large
fi

echo "# ratios"
for c in $CLIENTS; do
  e=${tps["empty extension c$c"]} b=${tps["empty baseline c$c"]}
  line=$(printf 'c=%-3s extension/baseline %s' "$c" "$(echo "scale=2; $e / $b" | bc)")
  if [ -n "${tps["large extension c$c"]:-}" ]; then
    line+=$(printf '   large/empty extension %s  baseline %s' \
      "$(echo "scale=2; ${tps["large extension c$c"]} / $e" | bc)" \
      "$(echo "scale=2; ${tps["large baseline c$c"]} / $b" | bc)")
  fi
  echo "$line"
done
