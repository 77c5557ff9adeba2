#!/usr/bin/env bash
# bench/soak/run.sh — the load soak of issue 18 (docs/reliability.md): wrk
# holds CONNECTIONS (256) connections through the gateway for DURATION
# (300 s) with a read/write mix (40 % GET /v1/products/{id}, 40 %
# GET /v1/products?limit=10, 20 % POST /v1/checkout with a new
# Idempotency-Key each), while this script samples every 5 s the gateway's
# RSS and open descriptors and the database's connections. It passes when
#   - no answer was a 5xx (nor a 4xx, nor a socket error or timeout),
#   - the gateway's connections to the database after the run (2 s idle)
#     are no more than before it or in its first minute (a leak grows), and
#     its open descriptors likewise,
#   - the gateway's RSS in the last minute is within 10 % of the first
#     minute's (flat; the short run compares its first and last fifths),
#   - commerce.check_invariants(true) reports nothing afterwards;
# and prints requests, p50/p99/max latency and those figures, also written
# to tmp_check/soak/summary.txt.
#   bench/soak/run.sh                            # 5 minutes, 256 connections
#   DURATION=20 CONNECTIONS=64 bench/soak/run.sh # the short one
# GATEWAY=path picks the binary (default the release build); POOL_SIZE
# its database connections (default 32).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/common.sh

connections=${CONNECTIONS:-256}
duration=${DURATION:-300}
pool=${POOL_SIZE:-32}
command -v wrk >/dev/null || { echo "soak: wrk is missing (PGCOMMERCE_WITH_BENCH=1 scripts/deps.sh)" >&2; exit 1; }
source bench/lib/http_cluster.sh
work=$REPO_ROOT/tmp_check/soak
bench_gateway_cluster "$work" soak

# 20 active products with a priced variant and stock for every checkout.
psql -X -q -v ON_ERROR_STOP=1 -d soak <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION pgcommerce CASCADE;
CREATE ROLE soak_gateway LOGIN;
GRANT commerce_gateway TO soak_gateway;
CREATE TABLE public.soak_ids (product uuid, variant uuid);
DO $$
DECLARE t uuid := commerce.create_tenant('soak', 'Soak', 'EUR'); l uuid; p uuid; v uuid;
BEGIN
  PERFORM commerce.set_context(t);
  l := (commerce.create_price_list('{"name": "Retail", "currency": "EUR"}') ->> 'id')::uuid;
  FOR j IN 1 .. 20 LOOP
    p := (commerce.create_product(jsonb_build_object('title', 'Soak ' || j, 'status', 'active')) ->> 'id')::uuid;
    v := (commerce.create_variant(p, jsonb_build_object('sku', 'SOAK-' || j)) ->> 'id')::uuid;
    PERFORM commerce.set_inventory(v, '{"on_hand": 1000000000}');
    PERFORM commerce.set_price(l, jsonb_build_object('variant_id', v, 'amount', 100 * j + 99));
    INSERT INTO public.soak_ids VALUES (p, v);
  END LOOP;
END $$;
SQL
tenant=$(psql -X -qtA -d soak -c "SELECT id FROM commerce.tenants WHERE slug = 'soak'")
psql -X -qtA -d soak -c "SELECT 'p ' || product FROM public.soak_ids UNION ALL SELECT 'v ' || variant FROM public.soak_ids" > "$work/ids"

secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
token=$(perl -MDigest::SHA=hmac_sha256 -MMIME::Base64=encode_base64url -e '
  my ($s, $t) = @ARGV; my $h = encode_base64url(q({"alg":"HS256","typ":"JWT"}));
  my $c = encode_base64url(qq({"tenant_id":"$t","sub":"soak","role":"staff","exp":) . (time + 86400) . "}");
  print "$h.$c." . encode_base64url(hmac_sha256("$h.$c", $s));' "$secret" "$tenant")
echo "t $token" >> "$work/ids"
port=$(free_port 18700)
PGCOMMERCE_DATABASE_URL="host=$PGHOST port=$PGPORT dbname=soak user=soak_gateway" \
PGCOMMERCE_LISTEN=127.0.0.1:$port PGCOMMERCE_JWT_SECRET=$secret PGCOMMERCE_LOG_LEVEL=warn \
PGCOMMERCE_POOL_SIZE=$pool "${GATEWAY:-./gateway/pgcommerce-gateway}" > "$work/gateway.log" 2>&1 &
gw_pid=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "soak: the gateway is not ready" >&2; cat "$work/gateway.log" >&2; exit 1; }

cat > "$work/mix.lua" <<'LUA'
-- the read/write mix; statuses counted per thread, summed in done()
local threads = {}
function setup(thread) table.insert(threads, thread); thread:set("tid", #threads) end
function init(args)
  products, variants, n, run = {}, {}, 0, os.time()
  s2, s4, s5 = 0, 0, 0
  for line in io.lines(args[1]) do
    local k, v = line:match("^(%a) (.+)$")
    if k == "p" then table.insert(products, v) elseif k == "v" then table.insert(variants, v) else auth = "Bearer " .. v end
  end
end
function request()
  n = n + 1
  local r = math.random(100)
  if r <= 20 then
    local body = '{"currency": "EUR", "lines": [{"variant_id": "' .. variants[math.random(#variants)] .. '", "quantity": 1}]}'
    return wrk.format("POST", "/v1/checkout", { ["Authorization"] = auth, ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = "soak-" .. run .. "-" .. tid .. "-" .. n }, body)
  elseif r <= 60 then
    return wrk.format("GET", "/v1/products/" .. products[math.random(#products)], { ["Authorization"] = auth })
  end
  return wrk.format("GET", "/v1/products?limit=10", { ["Authorization"] = auth })
end
function response(status)
  if status >= 500 then s5 = s5 + 1 elseif status >= 400 then s4 = s4 + 1 else s2 = s2 + 1 end
end
function done(summary, latency)
  local a, b, c = 0, 0, 0
  for _, t in ipairs(threads) do a = a + t:get("s2"); b = b + t:get("s4"); c = c + t:get("s5") end
  local e = summary.errors
  io.write(string.format("soak-result requests=%d s2xx=%d s4xx=%d s5xx=%d connect=%d read=%d write=%d timeout=%d "
    .. "p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n", summary.requests, a, b, c, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
LUA

db_conns() { psql -X -qtA -d soak -c "SELECT count(*) FROM pg_stat_activity WHERE usename = 'soak_gateway'"; }
fds() { ls "/proc/$gw_pid/fd" | wc -l; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$gw_pid/status"; }

# warm up (every pooled connection opened), then the "before" figures
wrk -t2 -c"$connections" -d10s --timeout 10s -s "$work/mix.lua" "http://127.0.0.1:$port" -- "$work/ids" > "$work/warmup.out"
sleep 2
conns_before=$(db_conns); fds_before=$(fds)
echo "soak: $connections connections, ${duration}s, pool $pool, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

interval=$(( duration >= 120 ? 5 : 2 ))
: > "$work/samples.tsv"
(
  t0=$(date +%s)
  while kill -0 "$gw_pid" 2>/dev/null; do
    printf '%s\t%s\t%s\t%s\n' "$(( $(date +%s) - t0 ))" "$(rss_kb)" "$(fds)" "$(db_conns)" >> "$work/samples.tsv"
    sleep "$interval"
  done
) &
sampler=$!
wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s -s "$work/mix.lua" "http://127.0.0.1:$port" -- "$work/ids" \
  > "$work/wrk.out" || true
kill "$sampler" 2>/dev/null || true
sleep 2
conns_after=$(db_conns); fds_after=$(fds)
bad_inv=$(psql -X -qtA -d soak -c "SELECT count(*) FROM commerce.check_invariants(true)")
orders=$(psql -X -qtA -d soak -c "SELECT count(*) FROM commerce.orders")

result=$(grep '^soak-result' "$work/wrk.out" || true)
[ -n "$result" ] || { echo "soak: wrk gave no result" >&2; cat "$work/wrk.out" >&2; exit 1; }
eval "$(echo "${result#soak-result }" | tr ' ' '\n' | sed 's/^/r_/')"
# RSS: the first and the last minute (a quarter of the run when shorter)
window=$(( duration >= 240 ? 60 : duration / 4 ))
read -r rss_first rss_last rss_max conns_max conns_early fds_early <<<"$(awk -v w="$window" -v d="$duration" '
  $1 <= w { f += $2; nf++; if ($4 > ce) ce = $4; if ($3 > fe) fe = $3 }
  $1 >= d - w && $1 <= d { l += $2; nl++ } $2 > m { m = $2 } $4 > c { c = $4 }
  END { printf "%d %d %d %d %d %d", f / (nf ? nf : 1), l / (nl ? nl : 1), m, c, ce, fe }' "$work/samples.tsv")"
# a leak grows: after the run no more than before it or in the first window
conns_ref=$(( conns_early > conns_before ? conns_early : conns_before ))
fds_ref=$(( fds_early > fds_before ? fds_early : fds_before ))
rss_ratio=$(awk -v a="$rss_first" -v b="$rss_last" 'BEGIN { printf "%.3f", (a ? b / a : 0) }')
rps=$(awk -v r="$r_requests" -v d="$duration" 'BEGIN { printf "%.0f", r / d }')

fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
{
  echo "soak $(date -u +%FT%TZ): $connections connections, ${duration}s, pool $pool, gateway ${GATEWAY:-./gateway/pgcommerce-gateway}"
  echo "requests $r_requests ($rps/s): 2xx $r_s2xx, 4xx $r_s4xx, 5xx $r_s5xx; socket errors connect $r_connect read $r_read write $r_write timeout $r_timeout; checkouts committed $orders"
  echo "latency p50 $r_p50_ms ms, p99 $r_p99_ms ms, max $r_max_ms ms"
  echo "gateway RSS first ${window}s $rss_first kB, last ${window}s $rss_last kB (ratio $rss_ratio), peak $rss_max kB"
  echo "database connections of the gateway: before $conns_before, first ${window}s up to $conns_early, after $conns_after, peak $conns_max (pool $pool); gateway descriptors before $fds_before, first ${window}s up to $fds_early, after $fds_after"
  echo "invariants broken: $bad_inv"
  check "no 5xx" '[ "$r_s5xx" = 0 ]'
  check "no 4xx, no socket error or timeout" '[ "$r_s4xx" = 0 ] && [ $((r_connect + r_read + r_write + r_timeout)) = 0 ]'
  check "no connection leak (after <= before or first window)" '[ "$conns_after" -le "$conns_ref" ]'
  check "no descriptor leak (after <= before or first window)" '[ "$fds_after" -le "$fds_ref" ]'
  check "RSS flat (last within 10 % of first)" 'awk -v r="$rss_ratio" "BEGIN { exit !(r > 0 && r <= 1.10) }"'
  check "invariants hold" '[ "$bad_inv" = 0 ]'
} | tee "$work/summary.txt"
grep -q '^FAIL' "$work/summary.txt" && exit 1
exit 0
