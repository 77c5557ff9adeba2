#!/usr/bin/env bash
# bench/gateway/count.sh — exact costs of the gateway process per request,
# which do not move with the machine's load (wall-clock rates on a shared
# 2-core machine do): system calls (strace -c -f) and user-space
# instructions (valgrind --tool=callgrind, zeroed before and dumped after a
# batch with callgrind_control) per request, for the two requests of
# bench/checkout_peer: GET /v1/products/{id} and a 3-line checkout
# (POST /v1/checkout, staff token, customer_id in the body, a fresh
# Idempotency-Key each). Not part of `make test`.
#
# One client connection (curl, keep-alive: the N requests of a batch in one
# invocation) sends a warm-up batch, then the counted batch; every answer
# must be 200 (GET) or 201 (checkout). The catalogue is
# bench/checkout_peer/seed.sql with 1 tenant, 3 products, 1 customer.
# Figures are for the gateway only (PostgreSQL is not counted).
#   N=1000 CG_N=200 bench/gateway/count.sh
# Environment: N (requests per strace batch, 1000), CG_N (per callgrind
# batch, 200), GATEWAY (binary, ./gateway/pgcommerce-gateway), LOG_LEVEL
# (warn, as bench/checkout_peer), THREADS/POOL_SIZE (the gateway's
# defaults), SKIP_STRACE=1 / SKIP_CALLGRIND=1, LOAD=seconds (also count
# system calls under wrk -t2 -c64 for that long: not exact, for orientation).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/common.sh
for tool in strace valgrind callgrind_control curl; do
  command -v $tool >/dev/null || { echo "count: $tool is missing" >&2; exit 1; }
done
n=${N:-1000}
cg_n=${CG_N:-200}
gateway=${GATEWAY:-./gateway/pgcommerce-gateway}
source bench/lib/http_cluster.sh
work=$REPO_ROOT/tmp_check/bench-gw-count
bench_gateway_cluster "$work" bench
make -s "$gateway" >/dev/null 2>&1 || true

bench_gateway_database bench
ids=$(psql -X -qAt -d bench -v tenants=1 -v products=3 -v customers=1 -v stock=100000000 \
  -f bench/checkout_peer/seed.sql | tail -n1)
IFS='|' read -r tenant products variants customers <<<"$ids"
product=$(echo "$products" | tr -d '{}' | cut -d, -f1)
IFS=, read -r v1 v2 v3 <<<"$(echo "$variants" | tr -d '{}')"
customer=$(echo "$customers" | tr -d '{}')
body="{\"customer_id\":\"$customer\",\"currency\":\"EUR\",\"lines\":[{\"variant_id\":\"$v1\",\"quantity\":1},{\"variant_id\":\"$v2\",\"quantity\":1},{\"variant_id\":\"$v3\",\"quantity\":1}]}"

secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
token=$(bench_staff_token "$secret" "$tenant")
port=$(free_port 18700)
base=http://127.0.0.1:$port

start_gateway() {  # [wrapper...]: the gateway in the background, gw_pid set
  PGCOMMERCE_DATABASE_URL="host=$PGHOST port=$PGPORT dbname=bench user=bench_gateway" \
  PGCOMMERCE_LISTEN=127.0.0.1:$port PGCOMMERCE_JWT_SECRET=$secret PGCOMMERCE_LOG_LEVEL=${LOG_LEVEL:-warn} \
  ${THREADS:+PGCOMMERCE_THREADS=$THREADS} ${POOL_SIZE:+PGCOMMERCE_POOL_SIZE=$POOL_SIZE} \
    "$@" "$gateway" >>"$work/gateway.log" 2>&1 &
  gw_pid=$!
  for _ in $(seq 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base/v1/products/$product")" = 200 ] && return
    sleep 0.1
  done
  echo "count: the gateway did not answer" >&2; cat "$work/gateway.log" >&2; exit 1
}
stop_gateway() { kill -TERM "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null || true; gw_pid=; }

# A curl config of COUNT requests of KIND (get|checkout), each answer's
# status on a line of its own.
batch_config() {
  awk -v kind="$1" -v count="$2" -v tag="$3" -v b="$base" -v p="$product" -v tok="$token" -v body="$body" 'BEGIN {
    gsub(/"/, "\\\"", body)
    for (i = 1; i <= count; i++) {
      if (kind == "checkout") {
        print "url = \"" b "/v1/checkout\""
        print "header = \"Content-Type: application/json\""
        print "header = \"Idempotency-Key: count-" tag "-" i "\""
        print "data = \"" body "\""
      } else
        print "url = \"" b "/v1/products/" p "\""
      print "header = \"Authorization: Bearer " tok "\""
      print "output = \"/dev/null\""
      print "write-out = \"%{http_code}\\n\""
      if (i < count) print "next"
    } }'
}
run_batch() {  # kind count tag -> checks every status
  local want=200
  [ "$1" = checkout ] && want=201
  batch_config "$1" "$2" "$3" > "$work/batch.cfg"
  curl -s --config "$work/batch.cfg" > "$work/batch.codes"
  local bad; bad=$(grep -vc "^$want\$" "$work/batch.codes" || true)
  [ "$(wc -l < "$work/batch.codes")" = "$2" ] && [ "$bad" = 0 ] ||
    { echo "count: $1 batch: $bad of $2 answers not $want" >&2; sort "$work/batch.codes" | uniq -c >&2; exit 1; }
}
run_tag=$(date +%s)-$RANDOM
per() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

if [ -z "${SKIP_STRACE:-}" ]; then
  start_gateway
  for kind in get checkout; do
    run_batch "$kind" 50 "$run_tag-warm-$kind"
    strace -c -f -q -p "$gw_pid" -o "$work/strace-$kind.txt" &
    st_pid=$!
    sleep 1
    run_batch "$kind" "$n" "$run_tag-st-$kind"
    kill -INT "$st_pid"; wait "$st_pid" || true
    total=$(awk '$NF == "total" { print $(NF-2) + 0; exit }' "$work/strace-$kind.txt")
    [ -n "$total" ] || total=$(awk '/total/ { print $4 }' "$work/strace-$kind.txt")
    echo "count: $kind: $(per "$total" "$n") system calls per request ($total in $n requests); by call:"
    awk -v n="$n" 'NR > 2 && $NF != "total" && $0 !~ /^-/ && NF >= 5 { printf "  %-16s %6.2f\n", $NF, $4 / n }' \
      "$work/strace-$kind.txt"
  done
  if [ -n "${LOAD:-}" ] && command -v wrk >/dev/null; then
    # Under load (wrk -t2 -c64, LOAD seconds): not exact (batching in
    # epoll, contention on locks vary with the machine), for orientation.
    cat > "$work/checkout.lua" <<LUA
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $token",
    ["Idempotency-Key"] = "load-$run_tag-" .. tid .. "-" .. n}, '$body')
end
LUA
    for kind in get checkout; do
      path=/v1/products/$product; script=()
      [ "$kind" = checkout ] && { path=/v1/checkout; script=(-s "$work/checkout.lua"); }
      strace -c -f -q -p "$gw_pid" -o "$work/strace-load-$kind.txt" &
      st_pid=$!
      sleep 1
      wrk -t2 -c64 -d"${LOAD}s" -H "Authorization: Bearer $token" "${script[@]}" "$base$path" > "$work/wrk-$kind.txt"
      kill -INT "$st_pid"; wait "$st_pid" || true
      reqs=$(awk '/requests in/ { print $1; exit }' "$work/wrk-$kind.txt")
      total=$(awk '$NF == "total" { print $(NF-2) + 0; exit }' "$work/strace-load-$kind.txt")
      echo "count: $kind under load (wrk -c64, ${LOAD} s, strace attached): $(per "$total" "$reqs") system calls per request ($reqs requests; $(grep -c Non-2xx "$work/wrk-$kind.txt") lines of non-2xx); by call:"
      awk -v n="$reqs" 'NR > 2 && $NF != "total" && $0 !~ /^-/ && NF >= 5 && $4 / n >= 0.01 { printf "  %-16s %6.2f\n", $NF, $4 / n }' \
        "$work/strace-load-$kind.txt"
    done
  fi
  stop_gateway
fi

if [ -z "${SKIP_CALLGRIND:-}" ]; then
  start_gateway valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" -q
  for kind in get checkout; do
    run_batch "$kind" 20 "$run_tag-cgwarm-$kind"
    callgrind_control -z "$gw_pid" >/dev/null
    run_batch "$kind" "$cg_n" "$run_tag-cg-$kind"
    rm -f "$work"/callgrind.out.*
    callgrind_control -d "$kind" "$gw_pid" >/dev/null
    mv "$work"/callgrind.out.* "$work/callgrind-$kind.out"
    ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$work/callgrind-$kind.out")
    echo "count: $kind: $(per "$ir" "$cg_n") user-space instructions per request ($ir in $cg_n requests)"
    callgrind_annotate --threshold=100 --auto=no --inclusive=yes "$work/callgrind-$kind.out" 2>/dev/null |
      sed -n '/file:function/,$p' | sed -n '3,42p' | cut -c1-160 > "$work/callgrind-$kind.top" || true
  done
  stop_gateway
  echo "count: profiles in $work/callgrind-{get,checkout}.out (inclusive top 40: .top)"
fi
