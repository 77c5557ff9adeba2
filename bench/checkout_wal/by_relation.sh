#!/usr/bin/env bash
# bench/checkout_wal/by_relation.sh — where a checkout's WAL goes, by
# relation and record kind. Reuses the cluster run.sh left in
# tmp_check/bench-checkout-wal (run that first), runs N more checkouts,
# waits until the publisher has published them, and sums pg_waldump's
# record lengths per (resource manager, record kind, relation), per
# checkout. The publisher's share of the outbox (its UPDATE, the LOCK
# before it, the seq and published_at index entries, the later PRUNE)
# shows up under "outbox" and its indexes: that is how docs/events.md
# ("What publishing writes") measured the rewrite. Full-page images count
# in the record's length, as they do in the WAL.
#
# Environment: N checkouts (500), BENCH_TENANTS (16).
set -euo pipefail
source "$(dirname "$0")/../../scripts/common.sh"
cd "$REPO_ROOT"

N=${N:-500}
BENCH_TENANTS=${BENCH_TENANTS:-16}
export PGCOMMERCE_PGPORT=${PGCOMMERCE_PGPORT:-$((55000 + RANDOM % 5000))}
[ -d "$REPO_ROOT/tmp_check/bench-checkout-wal/cluster" ] || { echo "run bench/checkout_wal/run.sh first" >&2; exit 1; }
KEEP=1 bench_cluster "$REPO_ROOT/tmp_check/bench-checkout-wal"
export PGDATABASE=bench_wal
q() { psql -X -qAt -c "$1"; }
drained() {
  for _ in $(seq 1 600); do
    [ "$(q "SELECT count(*) FROM commerce.outbox WHERE seq IS NULL")" = 0 ] && return 0
    sleep 0.1
  done
  echo "outbox did not drain" >&2; exit 1
}

q "CHECKPOINT"
lsn0=$(q "SELECT pg_current_wal_lsn()")
pgbench -n -U bench_gateway -c 1 -t "$N" -D tenants="$BENCH_TENANTS" \
        -f bench/place_order/checkout.sql | grep -E "^tps"
drained
sleep 1   # the publisher's last batch commit
lsn1=$(q "SELECT pg_current_wal_lsn()")
relmap=$(mktemp) dump=$(mktemp)
trap 'rm -f "$relmap" "$dump"; ./scripts/cluster.sh stop' EXIT
q "SELECT pg_catalog.pg_relation_filenode(c.oid) || ' ' || c.relname
     FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('commerce', 'pg_toast') AND pg_catalog.pg_relation_filenode(c.oid) IS NOT NULL" >"$relmap"
pg_waldump -p "$PGCOMMERCE_PGDATA/data/pg_wal" -s "$lsn0" -e "$lsn1" >"$dump" 2>/dev/null || true

echo "commit $(git rev-parse --short HEAD), $N checkouts: WAL bytes and records per checkout"
awk -v n="$N" 'NR == FNR { name[$1] = $2; next }
  {
    tot = $6; sub(/,/, "", tot)             # "len (rec/tot): 54/ 5738,": the total
    rmgr = $2
    kind = $0; sub(/.*desc: /, "", kind); split(kind, k, " ")
    rel = "-"
    if (match($0, /rel [0-9]+\/[0-9]+\/[0-9]+/)) {
      split(substr($0, RSTART + 4, RLENGTH - 4), p, "/")
      rel = (p[3] in name) ? name[p[3]] : p[3]
    }
    key = sprintf("%-6s %-12s %s", rmgr, k[1], rel); bytes[key] += tot; recs[key]++
  }
  END { for (x in bytes) printf "%8.1f B %6.2f rec  %s\n", bytes[x] / n, recs[x] / n, x }' \
  "$relmap" "$dump" | sort -nr | awk '$1 >= 5'
