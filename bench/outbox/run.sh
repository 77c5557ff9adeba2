#!/usr/bin/env bash
# bench/outbox/run.sh — outbox benchmarks on a throwaway cluster started from
# the private installation (./tmp_install):
#   1. commit-to-receipt latency at a steady 1,000 events/s: pgbench writers
#      (one event per transaction, rate-limited) and a pgcommerce-listen
#      consumer with --receipt-times; latency = receipt time - the writer's
#      clock just before COMMIT (an upper bound: it includes the commit);
#   2. drain time of a backlog of 1,000,000 unpublished events (written
#      while pgcommerce.databases kept the publisher away, in transactions
#      of 1,000 events), from the moment publishing is allowed again.
# Usage: bench/outbox/run.sh [seconds_of_latency_run=30] [backlog=1000000]
# Prints the figures; docs/benchmarks.md records them.
set -euo pipefail
source "$(dirname "$0")/../../scripts/common.sh"
cd "$REPO_ROOT"

duration=${1:-30}
backlog=${2:-1000000}
make -s all >/dev/null
pgbin=$(./scripts/tmp-install.sh)
export PATH="$pgbin:$PATH"

work=$REPO_ROOT/tmp_check/bench-outbox
rm -rf "$work"; own_for_server "$work"
port=$(free_port 56400)
as() { run_as_server_user "$@"; }
as initdb -D "$work/data" -A trust -U postgres >/dev/null
cat >> "$work/data/postgresql.conf" <<CONF
shared_preload_libraries = 'pgcommerce'
track_commit_timestamp = on
port = $port
unix_socket_directories = '$work'
listen_addresses = ''
max_connections = 100
shared_buffers = 512MB
max_wal_size = 8GB
synchronous_commit = on
CONF
as pg_ctl -D "$work/data" -l "$work/server.log" -w start >/dev/null
[ -n "${BENCH_KEEP:-}" ] || trap 'as pg_ctl -D "$work/data" -m fast stop >/dev/null 2>&1 || true' EXIT
export PGHOST=$work PGPORT=$port PGUSER=postgres
psql -X -q -d postgres -c 'CREATE DATABASE bench'
export PGDATABASE=bench
psql -X -q -c 'CREATE EXTENSION pgcommerce CASCADE'
tenant=$(psql -X -At -c "SELECT commerce.create_tenant('bench', 'Bench', 'EUR')")

# --- 1. latency at 1,000 events/s -----------------------------------------
cat > "$work/one_event.sql" <<SQL
BEGIN;
SELECT commerce.set_context('$tenant');
SELECT commerce.emit_event('bench.event', 'bench', commerce.uuid_generate_v7(),
  jsonb_build_object('t', (extract(epoch from clock_timestamp()) * 1000000)::bigint));
COMMIT;
SQL
./bin/pgcommerce-listen --tenant "$tenant" --receipt-times \
  "host=$work port=$port user=postgres dbname=bench" > "$work/received.tsv" &
listener=$!
sleep 1
pgbench -n -c 4 -j 2 -R 1000 -T "$duration" -f "$work/one_event.sql" > "$work/pgbench.out" 2>&1
expected=$(psql -X -At -c "SELECT count(*) FROM commerce.outbox")
for _ in $(seq 1 100); do
  [ "$(wc -l < "$work/received.tsv")" -ge "$expected" ] && break
  sleep 0.1
done
kill "$listener"; wait "$listener" 2>/dev/null || true
echo "# commit-to-receipt latency, ${duration}s at 1,000 events/s ($(grep -o 'tps = [0-9.]*' "$work/pgbench.out" | head -1))"
perl -ne 'if (/^(\d+)\t.*"t": (\d+)/) { push @l, ($1 - $2) / 1000 }
  END { @l = sort { $a <=> $b } @l; my $n = @l;
        printf "events %d  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\n",
          $n, $l[int($n * 0.50)], $l[int($n * 0.90)], $l[int($n * 0.99)], $l[-1] }' "$work/received.tsv"

psql -X -At -c "SELECT 'of which commit to the start of the publishing transaction: p50 ' ||
    round(percentile_cont(0.5) WITHIN GROUP (ORDER BY d)::numeric, 2) || ' ms  p99 ' ||
    round(percentile_cont(0.99) WITHIN GROUP (ORDER BY d)::numeric, 2) || ' ms'
  FROM (SELECT extract(epoch from published_at) * 1000 - (data->>'t')::bigint / 1000.0 AS d
          FROM commerce.outbox WHERE type = 'bench.event') s"

# --- 2. drain a backlog -----------------------------------------------------
psql -X -q -c "ALTER SYSTEM SET pgcommerce.databases = 'no_such_database'" -c 'SELECT pg_reload_conf()' >/dev/null
for _ in $(seq 1 100); do
  n=$(psql -X -At -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pgcommerce publisher'")
  [ "$n" = 0 ] && break; sleep 0.1
done
cat > "$work/thousand.sql" <<SQL
BEGIN;
SELECT commerce.set_context('$tenant');
SELECT count(commerce.emit_event('bench.backlog', 'bench', commerce.uuid_generate_v7(), jsonb_build_object('i', g))) FROM generate_series(1, 1000) g;
COMMIT;
SQL
start=$(date +%s.%N)
pgbench -n -c 2 -j 2 -t $((backlog / 2000)) -f "$work/thousand.sql" > "$work/pgbench-backlog.out" 2>&1
echo "# backlog: $(psql -X -At -c 'SELECT count(*) FROM commerce.outbox WHERE seq IS NULL') unpublished events written in $(echo "$(date +%s.%N) - $start" | bc) s"
psql -X -q -c 'VACUUM ANALYZE commerce.outbox_written, commerce.outbox_published'
psql -X -q -c "ALTER SYSTEM RESET pgcommerce.databases" -c 'SELECT pg_reload_conf()' >/dev/null
start=$(date +%s.%N)
while [ "$(psql -X -At -c 'SELECT count(*) FROM commerce.outbox WHERE seq IS NULL')" != 0 ]; do sleep 0.2; done
wall=$(echo "$(date +%s.%N) - $start" | bc)
psql -X -At -F ' ' -c "SELECT 'drain: ' || count(*) || ' events published in ' ||
    round(extract(epoch from max(published_at) - min(published_at))::numeric, 2) || ' s between first and last batch (' ||
    round(count(*) / nullif(extract(epoch from max(published_at) - min(published_at)), 0))::bigint || ' events/s)'
  FROM commerce.outbox WHERE type = 'bench.backlog'"
echo "drain wall clock including start-up of the publisher: ${wall} s"
psql -X -At -c "SELECT 'rate by tenth of the backlog (events/s): ' || string_agg(r::text, ' ' ORDER BY b)
  FROM (SELECT b, round(count(*) / nullif(extract(epoch from max(published_at) - min(published_at)), 0)) AS r
          FROM (SELECT published_at, ntile(10) OVER (ORDER BY seq) AS b
                  FROM commerce.outbox WHERE type = 'bench.backlog') s GROUP BY b) t"
echo "# machine: $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), $(date -u +%Y-%m-%d)"
