#!/usr/bin/env bash
# bench/rls/run.sh — what row-level security costs. Starts its own cluster
# (scripts/cluster.sh, data in tmp_check/bench-rls), loads TENANTS tenants x
# PRODUCTS products (one variant and one price each), then runs with
# pgbench, side by side and in alternating rounds:
#   product read   — SELECT of one product by id
#   resolve_price  — commerce.resolve_price(variant, 'EUR', 1)
# each (a) under RLS as a role bound to one tenant, and (b) with an explicit
# WHERE tenant_id = ... as a role bound to the same tenant but with
# BYPASSRLS, so both run the same code and only the policies differ.
# Prints TPS per round, the medians and the overhead (TPS without RLS /
# TPS with RLS - 1). Results go to docs/benchmarks.md by hand.
#
# Then, because TPS on a shared 2-core machine moves with whatever else
# runs, the backend CPU time per transaction of the same statements, one
# transaction each in one session (read from /proc/<pid>/stat), which
# other load hardly changes.
#
# Environment: TENANTS (1000), PRODUCTS (1000), DURATION seconds per run
# (10), ROUNDS (5), CLIENTS (2), CPU_TXNS (20000), CPU_ROUNDS (5), KEEP=1 to reuse a
# loaded cluster.
set -euo pipefail
source "$(dirname "$0")/../../scripts/common.sh"
cd "$REPO_ROOT"

TENANTS=${TENANTS:-1000}
PRODUCTS=${PRODUCTS:-1000}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-5}
CLIENTS=${CLIENTS:-2}
bench_dir=$REPO_ROOT/tmp_check/bench-rls

make -s all >/dev/null
pgbin=$(./scripts/tmp-install.sh)
export PATH="$pgbin:$PATH"
export PGCOMMERCE_PGDATA=$bench_dir/cluster PGCOMMERCE_PGBIN=$pgbin
if [ "${KEEP:-0}" != 1 ]; then
  ./scripts/cluster.sh stop 2>/dev/null || true
  rm -rf "$bench_dir"
fi
own_for_server "$bench_dir"
./scripts/cluster.sh init
if [ "${KEEP:-0}" != 1 ]; then
  cat >>"$PGCOMMERCE_PGDATA/data/postgresql.conf" <<CONF
shared_buffers = 512MB
maintenance_work_mem = 256MB
max_wal_size = 4GB
checkpoint_timeout = 30min
CONF
fi
./scripts/cluster.sh start
trap './scripts/cluster.sh stop' EXIT
eval "$(./scripts/cluster.sh env)"

tenant=$(psql -X -qAt -d postgres -c "SELECT md5('t-' || ($TENANTS / 2 + 1))::uuid")
if [ "${KEEP:-0}" != 1 ]; then
  psql -X -q -d postgres -c "CREATE DATABASE bench"
  start=$(date +%s)
  psql -X -q -v ON_ERROR_STOP=1 -d bench -v tenants="$TENANTS" -v products="$PRODUCTS" \
       -v tenant="$tenant" -f bench/rls/load.sql
  echo "# loaded $TENANTS tenants x $PRODUCTS products in $(( $(date +%s) - start )) s"
fi

# n: a random product number; the ids are md5-derived from (tenant, n).
t=$(( TENANTS / 2 + 1 ))
cat >"$bench_dir/product_rls.sql" <<SQL
\set n random(1, $PRODUCTS)
SELECT id, title, status FROM commerce.products WHERE id = md5('p-$t-' || :n)::uuid;
SQL
cat >"$bench_dir/product_plain.sql" <<SQL
\set n random(1, $PRODUCTS)
SELECT id, title, status FROM commerce.products WHERE tenant_id = '$tenant' AND id = md5('p-$t-' || :n)::uuid;
SQL
cat >"$bench_dir/resolve.sql" <<SQL
\set n random(1, $PRODUCTS)
SELECT commerce.resolve_price(md5('v-$t-' || :n)::uuid, 'EUR', 1);
SQL

# Sanity: both roles see the same product and price; the RLS role sees one tenant only.
check() { psql -X -qAt -d bench -U "$1" -c "$2"; }
[ "$(check bench_rls "SELECT count(*) FROM commerce.products")" = "$PRODUCTS" ] || { echo "RLS role sees other tenants" >&2; exit 1; }
[ "$(check bench_rls "SELECT commerce.resolve_price(md5('v-$t-7')::uuid, 'EUR', 1)->>'unit_amount'")" = \
  "$(check bench_plain "SELECT commerce.resolve_price(md5('v-$t-7')::uuid, 'EUR', 1)->>'unit_amount'")" ] \
  || { echo "roles disagree on the price" >&2; exit 1; }

run() { # run ROLE SCRIPT -> tps
  pgbench -n -M prepared -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION" -U "$1" -f "$bench_dir/$2" bench 2>/dev/null |
    awk '/^tps = / { printf "%.0f\n", $3 }'
}

echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A tps
for round in $(seq 1 "$ROUNDS"); do
  for pair in "product:product_rls.sql:product_plain.sql" "resolve:resolve.sql:resolve.sql"; do
    IFS=: read -r name rls_script plain_script <<<"$pair"
    # alternate which side runs first, so drift in the machine's load
    # does not always favour the same side
    if [ $((round % 2)) -eq 1 ]; then
      a=$(run bench_rls "$rls_script"); b=$(run bench_plain "$plain_script")
    else
      b=$(run bench_plain "$plain_script"); a=$(run bench_rls "$rls_script")
    fi
    tps[$name-rls]+="$a "
    tps[$name-plain]+="$b "
    printf 'round %d  %-8s  RLS %8s tps   no RLS %8s tps\n' "$round" "$name" "$a" "$b"
  done
done

echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "# medians of $ROUNDS rounds, $DURATION s each, $CLIENTS clients, $(nproc) cores, PostgreSQL $(psql -X -qAt -d bench -c 'SHOW server_version')"
for name in product resolve; do
  [ "$ROUNDS" -gt 0 ] || break
  a=$(echo "${tps[$name-rls]}" | median)
  b=$(echo "${tps[$name-plain]}" | median)
  awk -v n="$name" -v a="$a" -v b="$b" \
    'BEGIN { printf "%-8s  RLS %8d tps   no RLS %8d tps   overhead %+.1f %%\n", n, a, b, (b / a - 1) * 100 }'
done

# --- backend CPU per transaction -------------------------------------------
CPU_TXNS=${CPU_TXNS:-20000}
CPU_ROUNDS=${CPU_ROUNDS:-5}
cpu_us() { # cpu_us ROLE PREPARE_SQL -> backend CPU microseconds per transaction
  local role=$1 prepare=$2 script=$bench_dir/cpu.sql pidfile=$bench_dir/backend.pid
  {
    echo "\\o $pidfile"
    echo "SELECT pg_backend_pid();"
    echo "\\o /dev/null"
    echo "$prepare"
    echo "EXECUTE q(1);"
    echo "\\! awk '{ print \$14 + \$15 }' /proc/\$(tr -d ' \\n' < $pidfile)/stat > $bench_dir/cpu.start"
    awk -v n="$CPU_TXNS" -v p="$PRODUCTS" \
      'BEGIN { srand(42); for (i = 0; i < n; i++) printf "EXECUTE q(%d);\n", int(rand() * p) + 1 }'
    echo "\\! awk '{ print \$14 + \$15 }' /proc/\$(tr -d ' \\n' < $pidfile)/stat > $bench_dir/cpu.end"
  } >"$script"
  psql -X -q -t -A -d bench -U "$role" -f "$script" >/dev/null
  awk -v a="$(cat "$bench_dir/cpu.start")" -v b="$(cat "$bench_dir/cpu.end")" -v hz="$(getconf CLK_TCK)" \
      -v n="$CPU_TXNS" 'BEGIN { printf "%.1f\n", (b - a) * 1000000 / hz / n }'
}
product_rls_q="PREPARE q(int) AS SELECT id, title, status FROM commerce.products WHERE id = md5('p-$t-' || \$1)::uuid;"
product_plain_q="PREPARE q(int) AS SELECT id, title, status FROM commerce.products WHERE tenant_id = '$tenant' AND id = md5('p-$t-' || \$1)::uuid;"
resolve_q="PREPARE q(int) AS SELECT commerce.resolve_price(md5('v-$t-' || \$1)::uuid, 'EUR', 1);"
declare -A cpu
for round in $(seq 1 "$CPU_ROUNDS"); do
  cpu[product-rls]+="$(cpu_us bench_rls "$product_rls_q") "
  cpu[product-plain]+="$(cpu_us bench_plain "$product_plain_q") "
  cpu[resolve-rls]+="$(cpu_us bench_rls "$resolve_q") "
  cpu[resolve-plain]+="$(cpu_us bench_plain "$resolve_q") "
done
# other load only ever adds CPU time (cache misses, migrations): the
# minimum is the best estimate of the cost itself
fmin() { tr ' ' '\n' | grep . | sort -g | head -n 1; }
echo "# backend CPU per transaction, minimum of $CPU_ROUNDS x $CPU_TXNS transactions, one session"
for name in product resolve; do
  a=$(echo "${cpu[$name-rls]}" | fmin)
  b=$(echo "${cpu[$name-plain]}" | fmin)
  awk -v n="$name" -v a="$a" -v b="$b" -v all="${cpu[$name-rls]}| ${cpu[$name-plain]}" \
    'BEGIN { printf "%-8s  RLS %6.1f us   no RLS %6.1f us   overhead %+.1f %%   (runs: %s)\n", n, a, b, (a / b - 1) * 100, all }'
done
