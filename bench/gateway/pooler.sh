#!/usr/bin/env bash
# bench/gateway/pooler.sh — what a transaction-mode pooler costs the
# gateway (issue 16). One cluster, one fixture (bench/gateway/run.sh's), three
# gateways side by side, measured in interleaved rounds so that the
# machine's background load falls on all three alike:
#   direct   straight to PostgreSQL, named prepared statements (the default)
#   unnamed  straight to PostgreSQL, PGCOMMERCE_PREPARED_STATEMENTS=off
#   pooled   through pgbouncer (pool_mode = transaction, Debian's package),
#            PGCOMMERCE_POOLER=transaction, LISTEN on a direct connection
# Workloads: GET /v1/products/{id} and a checkout (POST with an idempotency
# key), wrk with CONNECTIONS clients for DURATION seconds each. Prints, per
# round, req/s of each and the ratios unnamed/direct and pooled/direct, then
# the median ratio over ROUNDS rounds, and writes
# bench/results/pooler-<time>.md.
#   CONNECTIONS=32 DURATION=8 ROUNDS=3 SERVER_POOL=8 bench/gateway/pooler.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/common.sh

connections=${CONNECTIONS:-32}
duration=${DURATION:-8}
rounds=${ROUNDS:-3}
gw_pool=${POOL_SIZE:-16}
server_pool=${SERVER_POOL:-$gw_pool}
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || { echo "bench: pgbouncer is missing (scripts/deps.sh)" >&2; exit 1; }
make -s all >/dev/null

pgbin=$(./scripts/tmp-install.sh)
export PATH="$pgbin:$PATH"
work=$REPO_ROOT/tmp_check/bench-pooler
rm -rf "$work"; own_for_server "$work"
export PGCOMMERCE_PGDATA=$work/pg PGCOMMERCE_PGBIN=$pgbin PGCOMMERCE_PGPORT=$((56000 + RANDOM % 3000))
./scripts/cluster.sh start
pids=()
bouncer_pid=
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  [ -n "$bouncer_pid" ] && kill -TERM "$bouncer_pid" 2>/dev/null
  ./scripts/cluster.sh stop
}
trap cleanup EXIT
eval "$(./scripts/cluster.sh env)"
export PGHOST PGPORT PGUSER
psql -X -q -d postgres -c "ALTER SYSTEM SET max_connections = 300" -c "CREATE DATABASE bench" >/dev/null
./scripts/cluster.sh stop; ./scripts/cluster.sh start
psql -X -q -v ON_ERROR_STOP=1 -d bench <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION pgcommerce CASCADE;
CREATE ROLE bench_gateway LOGIN;
GRANT commerce_gateway TO bench_gateway;
SQL
tenant=$(psql -X -qtA -d bench -c "SELECT commerce.create_tenant('bench', 'Bench', 'EUR')")
ids=$(psql -X -qtA -d bench -v tenant="$tenant" -f bench/gateway/seed-product.sql | tail -n1)
product=${ids%|*}; variant=${ids#*|}
read_path=/v1/products/$product
body="{\"currency\": \"EUR\", \"lines\": [{\"variant_id\": \"$variant\", \"quantity\": 1}]}"

# pgbouncer, as the server user (it refuses to run as root), loopback only.
bport=$(free_port 18600)
cat > "$work/pgbouncer.ini" <<INI
[databases]
bench = host=$PGHOST port=$PGPORT dbname=bench
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bport
unix_socket_dir =
auth_type = trust
auth_file = $work/users.txt
pool_mode = transaction
default_pool_size = $server_pool
max_client_conn = 1000
logfile = $work/pgbouncer.log
pidfile = $work/pgbouncer.pid
INI
echo '"bench_gateway" ""' > "$work/users.txt"
own_for_server "$work"
run_as_server_user "$(command -v pgbouncer || echo /usr/sbin/pgbouncer)" -d "$work/pgbouncer.ini"
for _ in $(seq 50); do [ -s "$work/pgbouncer.pid" ] && break; sleep 0.1; done
bouncer_pid=$(cat "$work/pgbouncer.pid")

secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
token=$(perl -MDigest::SHA=hmac_sha256 -MMIME::Base64=encode_base64url -e '
  my ($s, $t) = @ARGV; my $h = encode_base64url(q({"alg":"HS256","typ":"JWT"}));
  my $c = encode_base64url(qq({"tenant_id":"$t","sub":"bench","role":"staff","exp":) . (time + 86400) . "}");
  print "$h.$c." . encode_base64url(hmac_sha256("$h.$c", $s));' "$secret" "$tenant")
direct="host=$PGHOST port=$PGPORT dbname=bench user=bench_gateway"
pooled="host=127.0.0.1 port=$bport dbname=bench user=bench_gateway"
declare -A port
start_gw() {  # name env...
  local name=$1; shift
  port[$name]=$(free_port $((18700 + ${#pids[@]} * 7)))
  env PGCOMMERCE_LISTEN=127.0.0.1:${port[$name]} PGCOMMERCE_JWT_SECRET=$secret PGCOMMERCE_LOG_LEVEL=warn \
      PGCOMMERCE_POOL_SIZE=$gw_pool "$@" "${GATEWAY:-./gateway/pgcommerce-gateway}" > "$work/gw-$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "http://127.0.0.1:${port[$name]}$read_path")" = 200 ] && return
    sleep 0.1
  done
  echo "bench: gateway $name did not serve" >&2; cat "$work/gw-$name.log" >&2; exit 1
}
start_gw direct PGCOMMERCE_DATABASE_URL="$direct"
start_gw unnamed PGCOMMERCE_DATABASE_URL="$direct" PGCOMMERCE_PREPARED_STATEMENTS=off
start_gw pooled PGCOMMERCE_DATABASE_URL="$pooled" PGCOMMERCE_POOLER=transaction PGCOMMERCE_LISTEN_DATABASE_URL="$direct"

cat > "$work/write.lua" <<LUA
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
local n = 0
local run = os.time() .. math.random(1000000)
request = function()
  n = n + 1
  local h = {}
  for k, v in pairs(wrk.headers) do h[k] = v end
  h["Idempotency-Key"] = "wrk-" .. run .. "-" .. tid .. "-" .. n
  return wrk.format("POST", nil, h, '$body')
end
LUA
run_wrk() {  # name path extra... -> "rps non2xx"
  local name=$1 path=$2; shift 2
  wrk -t2 -c"$connections" -d"${duration}s" -H "Authorization: Bearer $token" \
      -H "Content-Type: application/json" "$@" "http://127.0.0.1:${port[$name]}$path" > "$work/wrk.out"
  echo "$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.out") $(awk '/Non-2xx/ {print $5}' "$work/wrk.out" | grep . || echo 0)"
}
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: $connections connections, ${duration}s each, gateway pool $gw_pool, pgbouncer server pool $server_pool, $(nproc) CPUs, load $load"
: > "$work/rows"
for round in $(seq "$rounds"); do
  for wl in read checkout; do
    line="$round $wl"
    # Rotate the order each round: none of the three always runs first.
    order=(direct unnamed pooled)
    order=("${order[@]:$((round % 3))}" "${order[@]:0:$((round % 3))}")
    declare -A res=()
    for name in "${order[@]}"; do
      if [ "$wl" = read ]; then res[$name]=$(run_wrk "$name" "$read_path")
      else res[$name]=$(run_wrk "$name" /v1/checkout -s "$work/write.lua"); fi
    done
    for name in direct unnamed pooled; do line="$line ${res[$name]}"; done
    echo "$line" | tee -a "$work/rows"
  done
done
mkdir -p bench/results
out=bench/results/pooler-$(date -u +%Y%m%dT%H%M%SZ).md
{
  echo "| round | workload | direct req/s | unnamed req/s | pooled req/s | unnamed/direct | pooled/direct | non-2xx (d/u/p) |"
  echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |"
  awk '{ printf "| %s | %s | %.0f | %.0f | %.0f | %.2f | %.2f | %s/%s/%s |\n", $1, $2, $3, $5, $7, $5/$3, $7/$3, $4, $6, $8 }' "$work/rows"
  echo
  median() { sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] }'; }
  for wl in read checkout; do
    u=$(awk -v wl="$wl" '$2 == wl { print $5 / $3 }' "$work/rows" | median)
    p=$(awk -v wl="$wl" '$2 == wl { print $7 / $3 }' "$work/rows" | median)
    echo "Median over $rounds rounds, $wl: unnamed/direct $u, pooled/direct $p"
  done
  echo
  echo "$connections wrk connections, ${duration}s per run; gateway pool $gw_pool; pgbouncer 1.18 transaction mode, server pool $server_pool; $(nproc) CPUs; load average before: $load; $(date -u +%Y-%m-%dT%H:%MZ)."
} | tee "$out"
echo "bench: written to $out"
