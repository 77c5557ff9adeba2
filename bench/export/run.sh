#!/usr/bin/env bash
# bench/export/run.sh — exporting one tenant against a full dump of the same
# database (issue 15: goal ≤ 5 % of the full dump's time). Starts its own
# cluster (scripts/cluster.sh, data in tmp_check/bench-export), loads
# ORDERS orders over TENANTS tenants (bench/export/load.sql: every tenant
# holds 1/TENANTS of the rows, so 1 % with the default 100), then, in
# interleaved rounds (export then full dump, then the other way round, so
# neither always runs on a warmer cache):
#   - `bin/pgcommerce-tenant export` of tenant bench-1 as its bound role
#     (pg_dump --enable-row-security: row-level security picks the rows);
#   - the same export of tenant bench-empty, which has no rows: the fixed
#     cost of any export (connections, pg_dump reading the catalogue);
#   - `pg_dump -Fc` of the whole database as the superuser.
# Prints seconds and sizes per round, the best of each and their ratio,
# the plans of the COPY queries the export runs under row-level security,
# then moves tenant bench-1 to a second database with bench/export/move.sh
# (the time of each step). Results go to docs/benchmarks.md by hand.
#
# Environment: ORDERS (1000000), TENANTS (100), ROUNDS (5), KEEP=1 to reuse
# the cluster and database of a previous run, BENCH_DIR (tmp_check/bench-export:
# where the cluster lives, ~3 GB), LAYOUTS ("interleaved clustered": which
# comparisons to run; CLUSTER rewrites the tables, so "clustered" comes last
# and a later KEEP=1 run finds them clustered), MOVE (1: move bench-1 at the
# end, which erases it and drops the database; 0 keeps it for KEEP=1),
# HUGE_PAGES (unset: as configured; on|off|try: set and restart — "on"
# needs vm.nr_hugepages, see below), BASE_TOOL (another copy of
# bin/pgcommerce-tenant to time in the same rounds).
set -euo pipefail
source "$(dirname "$0")/../../scripts/common.sh"
cd "$REPO_ROOT"

ORDERS=${ORDERS:-1000000}
TENANTS=${TENANTS:-100}
ROUNDS=${ROUNDS:-5}
here=bench/export
bench_dir=${BENCH_DIR:-$REPO_ROOT/tmp_check/bench-export}
LAYOUTS=${LAYOUTS:-interleaved clustered}
MOVE=${MOVE:-1}

bench_cluster "$bench_dir" "shared_buffers = 1GB
maintenance_work_mem = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min"
out=$(mktemp -d "${TMPDIR:-/tmp}/bench-export.XXXXXX")
trap './scripts/cluster.sh stop; rm -rf "$out"' EXIT

if [ "${KEEP:-0}" != 1 ] || ! psql -X -qAt -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'bench_export'" | grep -q 1; then
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS bench_export" -c "CREATE DATABASE bench_export"
  psql -X -q -d bench_export -c "CREATE EXTENSION pgcommerce CASCADE"
  start=$(date +%s)
  psql -X -q -d bench_export -v orders="$ORDERS" -v tenants="$TENANTS" -f $here/load.sql
  echo "# loaded $ORDERS orders across $TENANTS tenants in $(( $(date +%s) - start )) s"
fi

q() { psql -X -qAt -d bench_export -c "$1"; }
# HUGE_PAGES=on|off|try: shared memory in huge pages or not (ALTER SYSTEM and
# a restart). "on" needs the kernel's pool first, as root:
# sysctl vm.nr_hugepages=N with N at least shared_memory_size_in_huge_pages.
if [ -n "${HUGE_PAGES:-}" ]; then
  q "ALTER SYSTEM SET huge_pages = '$HUGE_PAGES'" >/dev/null
  ./scripts/cluster.sh stop >/dev/null
  ./scripts/cluster.sh start >/dev/null || { echo "run.sh: the cluster does not start with huge_pages = $HUGE_PAGES (vm.nr_hugepages: $(cat /proc/sys/vm/nr_hugepages))" >&2; exit 1; }
fi
tenant=$(q "SELECT id FROM commerce.tenants WHERE slug = 'bench-1'")
echo "# $(date -u +%FT%TZ) $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), PostgreSQL $(q 'SHOW server_version'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# shared_buffers $(q 'SHOW shared_buffers'), huge_pages $(q 'SHOW huge_pages') (needs $(q 'SHOW shared_memory_size_in_huge_pages') pages of $(q 'SHOW huge_page_size' | sed 's/^0$/the default size/'));" \
     "kernel: $(grep -E '^HugePages_(Total|Free)' /proc/meminfo | tr -s ' ' | paste -sd' ')"
echo "# database $(q "SELECT pg_size_pretty(pg_database_size(current_database()))"):" \
     "$(q 'SELECT count(*) FROM commerce.orders') orders, $(q 'SELECT count(*) FROM commerce.outbox') events," \
     "$(q 'SELECT count(*) FROM commerce.tenants') tenants; bench-1 holds" \
     "$(q "SELECT round(100.0 * (SELECT count(*) FROM commerce.orders WHERE tenant_id = '$tenant') / count(*), 2) FROM commerce.orders") % of the orders"

seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
best_export= best_full= best_empty= best_base=
# timed VAR BEST -- COMMAND...: run COMMAND, put its seconds in VAR and
# keep the smallest seen in BEST.
timed() {
  local -n took=$1 best=$2
  local t0 t1
  shift 3
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  took=$(seconds "$t0" "$t1")
  if [ -z "$best" ] || awk -v a="$took" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$took; fi
}
run_empty() {
  timed z best_empty -- bin/pgcommerce-tenant export -d "dbname=bench_export user=bench_export_empty" \
    -f "$out/empty.tar" 2>/dev/null
}
run_export() {  # keeps the tool's own account of where the time went
  timed e best_export -- bin/pgcommerce-tenant export -d "dbname=bench_export user=bench_export_1" \
    -f "$out/tenant.tar" 2>"$out/export.err"
}
# BASE_TOOL=PATH: also time another copy of bin/pgcommerce-tenant (an
# earlier version, e.g. `git show main:bin/pgcommerce-tenant > /tmp/t`).
run_base() {
  [ -n "${BASE_TOOL:-}" ] || { b=-; return; }
  timed b best_base -- "$BASE_TOOL" export -d "dbname=bench_export user=bench_export_1" -f "$out/base.tar" 2>/dev/null
}
full_dump() {
  pg_dump -Fc -d bench_export -f "$out/full.dump" 2>"$out/full.err" || { cat "$out/full.err" >&2; exit 1; }
}
run_full() {
  timed f best_full -- full_dump
}
compare() {  # compare LABEL: the interleaved rounds, their best and ratio
  best_export= best_full= best_empty= best_base=
  psql -X -q -d bench_export -c CHECKPOINT
  for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then run_export; run_empty; run_base; run_full; else run_full; run_base; run_empty; run_export; fi
    printf '%s round %s  export %7s s (%s kB)   empty tenant %7s s   %sfull pg_dump -Fc %8s s (%s kB)   ratio %s   load average %s\n' "$1" "$round" \
      "$e" "$(du -k "$out/tenant.tar" | cut -f1)" "$z" "${BASE_TOOL:+base tool $b s ($(ratio "$b" "$f"))   }" \
      "$f" "$(du -k "$out/full.dump" | cut -f1)" "$(ratio "$e" "$f")" "$(cut -d' ' -f1 /proc/loadavg)"
    sed -n 's/^export: pg_dump took/#   export: pg_dump took/p' "$out/export.err"
  done
  printf '# %s, best of %s rounds: export %s s, empty tenant %s s, %sfull pg_dump -Fc %s s, ratio %s\n' "$1" "$ROUNDS" \
    "$best_export" "$best_empty" "${BASE_TOOL:+base tool $best_base s, }" "$best_full" "$(ratio "$best_export" "$best_full")"
}
heap_pages() {  # heap pages of the big tables, and how many hold a row of bench-1
  local t
  for t in orders order_lines outbox_written outbox_published; do
    printf '#   commerce.%-16s %7s pages, %7s of them hold rows of bench-1\n' "$t" \
      "$(q "SELECT relpages FROM pg_class WHERE oid = 'commerce.$t'::regclass")" \
      "$(q "SELECT count(DISTINCT (ctid::text::point)[0]) FROM commerce.$t WHERE tenant_id = '$tenant'")"
  done
}
plans() {  # the plan of one COPY the export runs: pg_dump's "COPY (SELECT
  # ... FROM ONLY t) TO stdout" under the tenant_isolation policy.
  local t
  for t in orders order_lines outbox_written outbox_published; do
    echo "# plan of the export's query for commerce.$t, as bench_export_1"
    psql -X -qAt -d "dbname=bench_export user=bench_export_1" \
      -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) SELECT * FROM ONLY commerce.$t" | sed 's/^/#   /'
  done
}
for layout in $LAYOUTS; do
  case $layout in
    interleaved)
      echo "# layout as loaded: the tenants' rows interleaved, as orders arriving together are"
      heap_pages
      compare interleaved
      plans ;;
    clustered)
      # The export reads a page for each of its rows: with 100 tenants
      # interleaved, a tenant with 1 % of the rows touches a third of the pages.
      # Rows of one tenant together (CLUSTER on the primary key, tenant_id first,
      # as pg_repack would do online) make it read about 1 % of them.
      echo "# CLUSTER on the primary keys (tenant_id, id): each tenant's rows together"
      start=$(date +%s)
      psql -X -q -d bench_export -c "CLUSTER commerce.orders USING orders_pkey" \
        -c "CLUSTER commerce.order_lines USING order_lines_pkey" -c "CLUSTER commerce.outbox_written USING outbox_written_pkey" \
        -c "CLUSTER commerce.outbox_published USING outbox_published_pkey" \
        -c "VACUUM ANALYZE commerce.orders, commerce.order_lines, commerce.outbox_written, commerce.outbox_published"
      echo "# clustered in $(( $(date +%s) - start )) s"
      heap_pages
      compare clustered ;;
    *) echo "run.sh: unknown layout $layout" >&2; exit 2 ;;
  esac
done

if [ "$MOVE" = 1 ]; then
  echo "# the move of bench-1 to a second database"
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS bench_target" -c "CREATE DATABASE bench_target"
  psql -X -q -d bench_target -c "CREATE EXTENSION pgcommerce CASCADE"
  $here/move.sh bench_export bench_target bench-1 bench_export_1
  # The move erased bench-1 from bench_export: the next KEEP=1 run loads again.
  psql -X -q -d postgres -c "DROP DATABASE bench_export"
fi
