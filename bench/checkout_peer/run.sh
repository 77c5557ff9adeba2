#!/usr/bin/env bash
# bench/checkout_peer/run.sh — pgcommerce against the Node.js peer
# (../shared/peers/seed-stack: Fastify + node-postgres, 13 statements per
# checkout) on the workload of issue 13, in one run, on one PostgreSQL
# cluster started by scripts/cluster.sh (the same settings for both sides):
#
#   seed   both sides: TENANTS × PRODUCTS products with one variant each
#          (EUR price, STOCK on hand), CUSTOMERS customers per tenant;
#          pgcommerce in database pgc (seed.sql, as the superuser), the peer
#          in database peer (its run.sh: schema.sql + seed.js);
#   serve  gateway/pgcommerce-gateway (the normal build) logged in as
#          bench_gateway (a commerce_gateway member), and the peer's
#          server.js logged in as seed_app (RLS applies to both);
#   prime  PRIME s of checkouts on each side, then both servers stop,
#          VACUUM ANALYZE, both start again (the peer's README: a fresh
#          database plans the idempotency look-up as a sequential scan);
#   rounds ROUNDS interleaved rounds; in each, for GET /v1/products/{id} and
#          then POST /v1/checkout, each side in turn (the side that goes
#          first alternates): WARMUP s (discarded), CHECKPOINT, running
#          autovacuums let finish (up to 120 s, both databases), DURATION s of
#          wrk -t THREADS -c CONNS --latency with the peer's own wrk scripts
#          (wrk/get_product.lua, wrk/checkout.lua: random tenant, product or
#          customer and 3 distinct random variants, a fresh Idempotency-Key
#          per request, the tenant's staff token, customer_id in the body),
#          run from the peer's folder for the peer and, for pgcommerce,
#          through symlinks beside a data.lua of pgcommerce's ids;
#   pgbench each side's checkout SQL straight to PostgreSQL, as its service's
#          login, at each of PGB_CLIENTS client counts (each side's best
#          count is compared too): ours is the statement the gateway
#          sends (checkout.sql), the peer's its pgbench/checkout.sql.
#
# Per run: req/s (tps), p50/p99 ms, non-2xx and socket errors (failed
# transactions for pgbench), CPU per request of the server process and of
# PostgreSQL (all backends and workers, /proc), the server's peak RSS
# (VmHWM), machine CPU in use (noise from other processes shows there),
# and for checkouts the orders created, WAL bytes (pg_current_wal_lsn
# difference) and WAL records and full-page-image bytes (pg_waldump --stats)
# per order, measured from just before the run to after pgcommerce's outbox
# publisher has published every event of it. Then the ratios pgcommerce ÷
# peer of each round. Writes bench/results/checkout_peer-<UTC time>.md (and
# the raw outputs under tmp_check/bench-checkout-peer). Exits 3 when any
# measured run had errors (non-2xx, socket errors, failed transactions).
#
# Environment (defaults): TENANTS PRODUCTS CUSTOMERS (100 100 100), STOCK
# (1000000), ROUNDS (3), DURATION (15 s), WARMUP (3 s), PRIME (5 s),
# THREADS (2), CONNS (64), WRK_TIMEOUT (2s: wrk's own; a slower answer is
# counted as a socket timeout error), PGB_CLIENTS ("8 16 64"), PGB_DURATION (DURATION),
# PICKS (100000, pre-drawn pgbench checkouts per side), GW_POOL_SIZE and
# PEER_POOL_SIZE (unset: each server's default, 4 × CPUs and 16),
# GW_LOG_LEVEL (warn: no access log, as the peer logs nothing), VACUUM_MODE
# (charged: autovacuum off, and after each measured run that wrote orders its
# side's database is VACUUMed inside the run's counters, so each side pays
# for the vacuum its own writes need: with autovacuum on, the vacuums one
# side's run made due started during the other side's next run and were
# counted there, 13-14 autovacuum runs in the peer's checkout runs of rounds
# 1 and 3; auto: autovacuum as AUTOVACUUM says (on), the column counting the
# autovacuum runs that finished in, or overlap, each run), PEER_SRC
# (../shared/peers/seed-stack), PEER_DIR (/tmp/seed-stack: copied there and
# `npm ci`-ed when it has no node_modules). Quick run:
#   TENANTS=10 PRODUCTS=20 CUSTOMERS=10 ROUNDS=2 DURATION=5 bench/checkout_peer/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/common.sh
here=bench/checkout_peer

VACUUM_MODE=${VACUUM_MODE:-charged}
[ "$VACUUM_MODE" = charged ] && AUTOVACUUM=off
source bench/lib/http_cluster.sh
checkout_peer_workload
PGB_CLIENTS=${PGB_CLIENTS:-"8 16 64"} PGB_DURATION=${PGB_DURATION:-$DURATION} PICKS=${PICKS:-100000}
PEER_SRC=${PEER_SRC:-$REPO_ROOT/../shared/peers/seed-stack}
PEER_DIR=${PEER_DIR:-/tmp/seed-stack}
[ "$PRODUCTS" -ge 3 ] || { echo "checkout_peer: PRODUCTS must be at least 3 (3 distinct variants per checkout)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "checkout_peer: wrk is missing (apt-get install -y wrk)" >&2; exit 1; }
command -v node >/dev/null || { echo "checkout_peer: node is missing (the peer needs Node.js 20)" >&2; exit 1; }

# --- the peer, in a writable copy -------------------------------------------
if [ ! -f "$PEER_DIR/server.js" ]; then
  [ -f "$PEER_SRC/server.js" ] || { echo "checkout_peer: no peer in $PEER_SRC (set PEER_SRC)" >&2; exit 1; }
  mkdir -p "$PEER_DIR"; cp -r "$PEER_SRC/." "$PEER_DIR/"; chmod -R u+w "$PEER_DIR"
fi
if [ ! -d "$PEER_DIR/node_modules" ]; then
  (cd "$PEER_DIR" && npm ci --no-audit --no-fund >&2) ||
    { echo "checkout_peer: npm ci failed in $PEER_DIR (no registry?)" >&2; exit 1; }
fi

# --- the cluster ---------------------------------------------------------------
work=$REPO_ROOT/tmp_check/bench-checkout-peer
bench_http_cluster "$work" 56000 "# bench/checkout_peer: one cluster, the same settings for both sides
$CHECKOUT_PEER_SETTINGS"
gw_pid= peer_pid=
stop_servers() {
  if [ -n "$gw_pid" ]; then kill -TERM "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null; gw_pid=; fi
  if [ -n "$peer_pid" ]; then
    kill -TERM "$peer_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$peer_pid" 2>/dev/null || break; sleep 0.1; done
    peer_pid=
  fi
}
cleanup() { stop_servers || true; ./scripts/cluster.sh stop || true; }
trap cleanup EXIT
./scripts/cluster.sh start
eval "$(./scripts/cluster.sh env)"
export PGHOST PGPORT PGUSER
psql -X -q -d postgres -c "CREATE DATABASE pgc" -c "CREATE DATABASE peer" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d pgc >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pgcommerce CASCADE;
CREATE ROLE bench_gateway LOGIN;
GRANT commerce_gateway TO bench_gateway;
SQL

# --- seed ----------------------------------------------------------------------
t0=$(date +%s)
psql -X -q -d pgc -v tenants="$TENANTS" -v products="$PRODUCTS" -v customers="$CUSTOMERS" \
     -v stock="$STOCK" -f $here/seed.sql > "$work/pgc-seed.txt"
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir -p "$work/wrk-pgc"
for f in common.lua get_product.lua checkout.lua; do ln -s "$PEER_DIR/wrk/$f" "$work/wrk-pgc/$f"; done
# data.lua in the format of the peer's (seed.js): one entry per tenant with
# its staff token (HS256, our secret) and its ids.
perl -MDigest::SHA=hmac_sha256 -MMIME::Base64=encode_base64url -e '
  my ($s) = @ARGV; my $h = encode_base64url(q({"alg":"HS256","typ":"JWT"})); my $i = 0;
  print "-- generated by bench/checkout_peer/run.sh\nlocal T = {}\n";
  while (<STDIN>) {
    chomp; next unless /\|/; $i++;
    my ($t, $p, $v, $c) = split /\|/;
    my $claims = encode_base64url(qq({"tenant_id":"$t","sub":"bench-user-$i","role":"staff","exp":) . (time + 86400) . "}");
    my $tok = "$h.$claims." . encode_base64url(hmac_sha256("$h.$claims", $s));
    my $lua = sub { my $a = shift; $a =~ s/^\{|\}$//g; "{" . join(",", map { qq("$_") } split /,/, $a) . "}" };
    print "T[#T+1] = (function() return {tenant_id=\"$t\",token=\"$tok\",products=", $lua->($p),
          ",variants=", $lua->($v), ",customers=", $lua->($c), "} end)()\n";
  }
  print "return T\n";' "$secret" < "$work/pgc-seed.txt" > "$work/wrk-pgc/data.lua"
t1=$(date +%s)
peer_secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
gw_port=$(free_port 18600)
peer_port=$(free_port $((gw_port + 1)))
start_peer() {  # start_peer SEED(0|1)
  peer_pid=$(cd "$PEER_DIR" && PGDATABASE=peer PORT=$peer_port HOST=127.0.0.1 JWT_SECRET=$peer_secret \
    TENANTS=$TENANTS PRODUCTS=$PRODUCTS CUSTOMERS=$CUSTOMERS STOCK=$STOCK SEED=$1 \
    ${PEER_POOL_SIZE:+PG_POOL_SIZE=$PEER_POOL_SIZE} ./run.sh 2>>"$work/peer-run.log")
}
start_gateway() {
  env PGCOMMERCE_DATABASE_URL="host=$PGHOST port=$PGPORT dbname=pgc user=bench_gateway" \
      PGCOMMERCE_LISTEN=127.0.0.1:$gw_port PGCOMMERCE_JWT_SECRET=$secret \
      PGCOMMERCE_LOG_LEVEL=${GW_LOG_LEVEL:-warn} ${GW_POOL_SIZE:+PGCOMMERCE_POOL_SIZE=$GW_POOL_SIZE} \
      ./gateway/pgcommerce-gateway >>"$work/gateway.log" 2>&1 &
  gw_pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$gw_port/readyz" >/dev/null && return 0; sleep 0.1; done
  echo "checkout_peer: the gateway did not get ready" >&2; cat "$work/gateway.log" >&2; exit 1
}
start_peer 1
t2=$(date +%s)
echo "# seeded $TENANTS tenants x $PRODUCTS products x 1 variant, $CUSTOMERS customers per tenant:" \
     "pgcommerce $((t1 - t0)) s, peer $((t2 - t1)) s"
start_gateway

# --- helpers -------------------------------------------------------------------
q() { psql -X -qAt -d "$1" -c "$2"; }
orders() { if [ "$1" = pgc ]; then q pgc "SELECT count(*) FROM commerce.orders"; else q peer "SELECT count(*) FROM orders"; fi; }
port_of() { if [ "$1" = pgc ]; then echo "$gw_port"; else echo "$peer_port"; fi; }
pid_of() { if [ "$1" = pgc ]; then echo "$gw_pid"; else echo "$peer_pid"; fi; }
wrkdir_of() { if [ "$1" = pgc ]; then echo "$work/wrk-pgc"; else echo "$PEER_DIR/wrk"; fi; }
name_of() { if [ "$1" = pgc ]; then echo pgcommerce; else echo peer; fi; }
wait_outbox() {  # every event published (pgcommerce); prints the seconds waited
  local s; s=$(date +%s.%N)
  for _ in $(seq 1200); do
    [ "$(q pgc "SELECT count(*) FROM commerce.outbox WHERE seq IS NULL")" = 0 ] && break
    sleep 0.1
  done
  [ "$(q pgc "SELECT count(*) FROM commerce.outbox WHERE seq IS NULL")" = 0 ] ||
    echo "checkout_peer: WARNING: the outbox did not drain in 120 s" >&2
  awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
pg_ticks() {  # CPU ticks of the postmaster, its live children and its reaped ones
  perl -e 'my $pm = shift; my $t = 0;
    for my $f (glob "/proc/[0-9]*/stat") {
      open(my $h, "<", $f) or next; my $s = <$h>; close $h; defined $s or next;
      $s =~ s/^.*\)\s+//; my @a = split / /, $s;
      if ($f eq "/proc/$pm/stat") { $t += $a[11] + $a[12] + $a[13] + $a[14] }
      elsif ($a[1] == $pm) { $t += $a[11] + $a[12] } }
    print "$t\n"' "$(head -1 "$datadir/postmaster.pid")"
}
client_ticks() { awk '{ sub(/^.*\) /, ""); print $14 + $15 }' "/proc/$$/stat"; }  # reaped children: wrk, pgbench
cpu_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }  # machine ticks in use
hwm_mb() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)
av_running() { q postgres "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"; }
settle() {  # let running autovacuums finish (up to 120 s) so a run starts on a settled cluster
  local n=0
  while [ "$(av_running)" != 0 ] && [ $n -lt 1200 ]; do sleep 0.1; n=$((n + 1)); done
  [ $n -gt 0 ] && echo "checkout_peer: waited $((n / 10)).$((n % 10)) s for autovacuum before the run" >&2
  return 0
}
av_count() {  # autovacuum and autoanalyze runs finished so far, both databases
  local a b; a=$(q pgc "SELECT sum(autovacuum_count + autoanalyze_count) FROM pg_stat_all_tables")
  b=$(q peer "SELECT sum(autovacuum_count + autoanalyze_count) FROM pg_stat_all_tables"); echo $((a + b))
}
ms() {  # wrk latency (12.3us, 4.5ms, 1.2s) -> ms
  awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) sub(/ms/, "", v);
                         else if (v ~ /m$/) { sub(/m/, "", v); v *= 60000 } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }
                         printf "%.2f", v }'
}
waldump() {  # waldump START END -> "records fpi_bytes"; the full --stats=record kept
  pg_waldump -p "$datadir/pg_wal" -s "$1" -e "$2" --stats=record > "$3" 2>&1 || true
  awk '$1 == "Total" { print $2, $5; found = 1 } END { if (!found) print "? ?" }' "$3"
}
errors_total=0
results=$work/results.tsv
: > "$results"
# measure KIND SIDE ROUND LABEL CMD... : runs CMD (wrk or pgbench) with the
# counters around it; appends a row to results.tsv and prints it.
measure() {
  local kind=$1 side=$2 round=$3 label=$4; shift 4
  local pid db=$side out=$work/$label.out
  pid=$(pid_of "$side")
  [ "$kind" = pgbench ] && pid=
  q "$db" CHECKPOINT >/dev/null
  settle
  local o0 l0 a0 avs s0 p0 b0 c0 w0 o1 l1 s1 p1 b1 c1 w1 av avr drain=0
  o0=$(orders "$side"); l0=$(q postgres "SELECT pg_current_wal_lsn()"); a0=$(av_count); avs=$(av_running)
  s0=${pid:+$(ticks "$pid")}; p0=$(pg_ticks); b0=$(cpu_busy); c0=$(client_ticks); w0=$(date +%s.%N)
  "$@" > "$out" 2>&1 || { echo "checkout_peer: $label failed:" >&2; cat "$out" >&2; exit 1; }
  c1=$(client_ticks); w1=$(date +%s.%N); s1=${pid:+$(ticks "$pid")}; p1=$(pg_ticks); b1=$(cpu_busy)
  sleep 1  # requests still in flight when wrk stopped finish (their orders count)
  [ "$side" = pgc ] && drain=$(wait_outbox)
  o1=$(orders "$side")
  local vac= pv=0
  if [ "$VACUUM_MODE" = charged ] && [ "$o1" -gt "$o0" ]; then
    # the vacuum this run's writes need, charged to it (CPU and WAL)
    local v0 v1 vw0 vw1
    v0=$(pg_ticks); vw0=$(date +%s.%N)
    q "$db" VACUUM >/dev/null
    v1=$(pg_ticks); vw1=$(date +%s.%N)
    pv=$((v1 - v0))
    vac=$(awk -v a="$vw0" -v b="$vw1" 'BEGIN { printf "VACUUM %.2f s", b - a }')
  fi
  l1=$(q postgres "SELECT pg_current_wal_lsn()")
  sleep 0.5; av=$(( $(av_count) - a0 )); avr=$(av_running)
  [ "$avs$avr" != 00 ] && av="$av (running at start $avs, at end $avr)"
  [ "$VACUUM_MODE" = charged ] && av=${vac:--}
  local rps p50 p99 n bad
  if [ "$kind" = pgbench ]; then
    rps=$(awk '/^tps/ { printf "%.1f", $3; exit }' "$out")
    n=$(awk '/^number of transactions actually processed/ { split($NF, a, "/"); print a[1] }' "$out")
    bad=$(awk '/^number of failed transactions/ { print $5 } /aborted in command/ { a++ } END { if (a) print a }' "$out" | paste -sd+ | bc)
    read -r p50 p99 < <(cat "$work"/pgbench_log.* | awk '{ print $3 }' | sort -n |
      awk '{ a[NR] = $1 } END { printf "%.2f %.2f\n", a[int(NR * 0.5) + 1] / 1000, a[int(NR * 0.99) + 1] / 1000 }')
    rm -f "$work"/pgbench_log.*
  else
    rps=$(awk '/^Requests\/sec/ { print $2 }' "$out")
    n=$(awk '/requests in/ { print $1 }' "$out")
    p50=$(ms "$(awk '$1 == "50%" { print $2 }' "$out")"); p99=$(ms "$(awk '$1 == "99%" { print $2 }' "$out")")
    bad=$(awk '/Non-2xx/ { b += $NF } /Socket errors/ { gsub(/,/, ""); b += $4 + $6 + $8 + $10 } END { print b + 0 }' "$out")
  fi
  local secs srv_us pg_us busy other hwm="" made wal_b rec fpi
  secs=$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')
  srv_us=-; [ -n "$pid" ] && srv_us=$(awk -v t="$((s1 - s0))" -v n="$n" -v hz="$hz" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
  pg_us=$(awk -v t="$((p1 - p0 + pv))" -v n="$n" -v hz="$hz" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
  busy=$(awk -v t="$((b1 - b0))" -v s="$secs" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz / s }')
  # everything else on the machine: busy minus server, PostgreSQL and the client (wrk or pgbench)
  other=$(awk -v t="$((b1 - b0 - (${s1:-0} - ${s0:-0}) - (p1 - p0) - (c1 - c0)))" -v s="$secs" -v hz="$hz" \
    'BEGIN { v = t / hz / s; printf "%.2f", v < 0 ? 0 : v }')
  [ -n "$pid" ] && hwm=$(hwm_mb "$pid")
  made=$((o1 - o0))
  wal_b=- rec=- fpi=-
  if [ "$made" -gt 0 ]; then
    read -r rec fpi < <(waldump "$l0" "$l1" "$work/$label.waldump")
    wal_b=$(q postgres "SELECT round(pg_wal_lsn_diff('$l1', '$l0') / $made)")
    rec=$(awk -v r="$rec" -v n="$made" 'BEGIN { if (r == "?") print "?"; else printf "%.1f", r / n }')
    fpi=$(awk -v r="$fpi" -v n="$made" 'BEGIN { if (r == "?") print "?"; else printf "%.0f", r / n }')
  fi
  [ "${bad:-0}" -gt 0 ] && errors_total=$((errors_total + bad))
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$label" "$side" "$rps" \
    "$p50" "$p99" "${bad:-0}" "$n" "$srv_us" "$pg_us" "${hwm:--}" "$busy" "$made" "$wal_b" "$rec" "$fpi" "$drain" "$other" "$av" >> "$results"
  printf '%-8s %-22s %-10s %9s/s  p50 %7s  p99 %7s ms  errors %s  cpu/req server %s µs, PostgreSQL %s µs  rss %s MB  machine %s cores (others %s)  orders %s  WAL/order %s B, %s rec, %s B FPI  drain %s s  autovacuum %s\n' \
    "round $round" "$label" "$(name_of "$side")" "$rps" "$p50" "$p99" "${bad:-0}" "$srv_us" "$pg_us" "${hwm:--}" "$busy" "$other" \
    "$made" "$wal_b" "$rec" "$fpi" "$drain" "$av"
  if [ "${bad:-0}" -gt 0 ]; then
    echo "checkout_peer: ERRORS in $label ($(name_of "$side")): $bad; see $out" >&2
    grep -E 'Non-2xx|Socket errors|failed|aborted' "$out" >&2 || true
  fi
}
run_wrk() {  # run_wrk SIDE LUA SECONDS
  wrk -t"$THREADS" -c"$CONNS" -d"$3s" --timeout "${WRK_TIMEOUT:-2s}" --latency -s "$(wrkdir_of "$1")/$2" "http://127.0.0.1:$(port_of "$1")"
}

# --- one request each, to see that both sides answer ---------------------------
sanity() {  # sanity SIDE: GET one product (200) and check out once (201)
  local port d tok p v1 v2 v3 c code
  port=$(port_of "$1") d=$(wrkdir_of "$1")
  read -r tok p v1 v2 v3 c < <(perl -ne 'if (/token="([^"]+)",products=\{"([^"]+)".*variants=\{"([^"]+)","([^"]+)","([^"]+)".*customers=\{"([^"]+)"/) {
    print "$1 $2 $3 $4 $5 $6\n"; exit }' "$d/data.lua")
  code=$(curl -s -o "$work/sanity-$1-get.json" -w '%{http_code}' -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/v1/products/$p")
  [ "$code" = 200 ] || { echo "checkout_peer: $(name_of "$1") GET product answered $code: $(cat "$work/sanity-$1-get.json")" >&2; exit 1; }
  code=$(curl -s -o "$work/sanity-$1-checkout.json" -w '%{http_code}' -H "Authorization: Bearer $tok" \
    -H 'Content-Type: application/json' -H "Idempotency-Key: sanity-$RANDOM$RANDOM" \
    -d "{\"customer_id\":\"$c\",\"currency\":\"EUR\",\"lines\":[{\"variant_id\":\"$v1\",\"quantity\":1},{\"variant_id\":\"$v2\",\"quantity\":1},{\"variant_id\":\"$v3\",\"quantity\":1}]}" \
    "http://127.0.0.1:$port/v1/checkout")
  [ "$code" = 201 ] || { echo "checkout_peer: $(name_of "$1") checkout answered $code: $(cat "$work/sanity-$1-checkout.json")" >&2; exit 1; }
}
sanity pgc; sanity peer
# The statement the gateway sent for that checkout (the last query of its
# pool connection), beside the one pgbench sends (checkout.sql).
q postgres "SELECT query FROM pg_stat_activity WHERE usename = 'bench_gateway' AND query LIKE '%commerce.checkout(%'
            ORDER BY query_start DESC LIMIT 1" > "$work/gateway-checkout-statement.sql"
echo "# the gateway's checkout statement: $(cat "$work/gateway-checkout-statement.sql")"

# --- prime, analyze, restart ----------------------------------------------------
for side in pgc peer; do run_wrk "$side" checkout.lua "$PRIME" > "$work/prime-$side.out"; done
wait_outbox >/dev/null
grep -H -E 'Non-2xx|Socket errors' "$work"/prime-*.out >&2 || true
stop_servers
q pgc "VACUUM ANALYZE" >/dev/null; q peer "VACUUM ANALYZE" >/dev/null
start_gateway; start_peer 0

load=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%FT%TZ)
echo "# $started  $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), load $load;" \
     "PostgreSQL $(q postgres 'SHOW server_version'), node $(node --version), wrk -t$THREADS -c$CONNS ${DURATION}s after ${WARMUP}s warm-up"
echo "# gateway pool $(curl -s "http://127.0.0.1:$gw_port/metrics" | awk '/^pgcommerce_db_pool_size/ { print $2 }'), peer pool ${PEER_POOL_SIZE:-16}"

# --- interleaved HTTP rounds ------------------------------------------------------
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then sides="pgc peer"; else sides="peer pgc"; fi
  for kind in get checkout; do
    lua=get_product.lua; [ "$kind" = checkout ] && lua=checkout.lua
    for side in $sides; do
      run_wrk "$side" "$lua" "$WARMUP" > "$work/warmup.out"; sleep 1
      grep -q -E 'Non-2xx|Socket errors' "$work/warmup.out" &&
        echo "checkout_peer: errors in the warm-up of $kind on $(name_of "$side"): $(grep -E 'Non-2xx|Socket errors' "$work/warmup.out" | tr '\n' ' ')" >&2
      [ "$side" = pgc ] && wait_outbox >/dev/null
      measure wrk "$side" "$round" "$kind-r$round-$side" run_wrk "$side" "$lua" "$DURATION"
    done
  done
done

# --- pgbench on each side's checkout SQL ------------------------------------------
psql -X -q -d pgc -v picks="$PICKS" -v role=bench_gateway -f $here/pick.sql
psql -X -q -d peer -v picks="$PICKS" -v app_role=seed_app -f "$PEER_DIR/pgbench/setup.sql" > /dev/null
payload=$(q peer "SELECT payload::text FROM outbox ORDER BY id DESC LIMIT 1")
response=$(q peer "SELECT response::text FROM idempotency_keys ORDER BY created_at DESC LIMIT 1")
rhash=$(printf x | sha256sum | cut -c1-64)
pgb() {  # pgb SIDE CLIENTS SECONDS [log]
  local log=(); [ "${4:-}" = log ] && log=(-l --log-prefix="$work/pgbench_log")
  if [ "$1" = pgc ]; then
    pgbench -n -M prepared -U bench_gateway -c "$2" -j "$THREADS" -T "$3" "${log[@]}" \
      -D picks="$PICKS" -D sub=bench-user -D actor=staff -f "$REPO_ROOT/$here/checkout.sql" pgc
  else
    PGUSER=seed_app PGPASSWORD=seed_app pgbench -n -M prepared -c "$2" -j "$THREADS" -T "$3" "${log[@]}" \
      -D picks="$PICKS" -D cur=EUR -D evtype=order.placed -D 'line_nos={1,2,3}' -D 'qtys={1,1,1}' \
      -D rhash="$rhash" -D "payload=$payload" -D "response=$response" -f "$PEER_DIR/pgbench/checkout.sql" peer
  fi
}
i=0
for c in $PGB_CLIENTS; do
  i=$((i + 1))
  if [ $((i % 2)) = 1 ]; then sides="pgc peer"; else sides="peer pgc"; fi
  for side in $sides; do
    pgb "$side" "$c" "$WARMUP" > "$work/warmup.out" 2>&1 || { cat "$work/warmup.out" >&2; exit 1; }
    [ "$side" = pgc ] && wait_outbox >/dev/null
    measure pgbench "$side" "c$c" "pgbench-c$c-$side" pgb "$side" "$c" "$PGB_DURATION" log
  done
done

# --- report ----------------------------------------------------------------------
mkdir -p bench/results
report=bench/results/checkout_peer-$(date -u +%Y%m%dT%H%M%SZ).md
col() { awk -F'\t' -v r="$1" -v l="$2" -v c="$3" '$1 == r && $2 == l { print $c }' "$results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == "?" || b == "?" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
{
  echo "bench/checkout_peer at $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo '+changes'), $started:" \
       "$(nproc) CPUs, load before $load; $TENANTS tenants x $PRODUCTS products (1 variant each), $CUSTOMERS customers per tenant;" \
       "wrk -t$THREADS -c$CONNS, ${DURATION} s per run after ${WARMUP} s warm-up; vacuum $VACUUM_MODE; gateway pool" \
       "$(curl -s "http://127.0.0.1:$gw_port/metrics" | awk '/^pgcommerce_db_pool_size/ { print $2 }'), peer pool ${PEER_POOL_SIZE:-16}."
  echo
  echo "| round | run | side | req/s | p50 ms | p99 ms | errors | requests | server CPU µs/req | PostgreSQL CPU µs/req | server peak RSS MB | machine busy (cores) | orders | WAL B/order | WAL records/order | FPI B/order | outbox drain s | other processes (cores) | vacuum charged (VACUUM_MODE=charged) or autovacuum runs (auto) |"
  echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  awk -F'\t' -v OFS=' | ' '{ $2 = $2; sub(/-(r[0-9]+|c[0-9]+)-(pgc|peer)$/, "", $2); $3 = ($3 == "pgc" ? "pgcommerce" : "peer"); print "| " $0 " |" }' "$results"
  echo
  echo "Ratios pgcommerce ÷ peer (req/s or tps; WAL per order):"
  echo
  echo "| round | GET product | checkout | WAL B/order | WAL records/order | server CPU/checkout | PostgreSQL CPU/checkout |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for round in $(seq "$ROUNDS"); do
    echo "| $round | $(ratio "$(col "$round" "get-r$round-pgc" 4)" "$(col "$round" "get-r$round-peer" 4)")" \
         "| **$(ratio "$(col "$round" "checkout-r$round-pgc" 4)" "$(col "$round" "checkout-r$round-peer" 4)")**" \
         "| $(ratio "$(col "$round" "checkout-r$round-pgc" 14)" "$(col "$round" "checkout-r$round-peer" 14)")" \
         "| $(ratio "$(col "$round" "checkout-r$round-pgc" 15)" "$(col "$round" "checkout-r$round-peer" 15)")" \
         "| $(ratio "$(col "$round" "checkout-r$round-pgc" 9)" "$(col "$round" "checkout-r$round-peer" 9)")" \
         "| $(ratio "$(col "$round" "checkout-r$round-pgc" 10)" "$(col "$round" "checkout-r$round-peer" 10)") |"
  done
  echo
  echo "| pgbench checkout SQL | pgcommerce tps | peer tps | ratio | WAL B/order ratio |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  for c in $PGB_CLIENTS; do
    a=$(col "c$c" "pgbench-c$c-pgc" 4) b=$(col "c$c" "pgbench-c$c-peer" 4)
    echo "| $c clients | $a | $b | **$(ratio "$a" "$b")** | $(ratio "$(col "c$c" "pgbench-c$c-pgc" 14)" "$(col "c$c" "pgbench-c$c-peer" 14)") |"
  done
  # each side at its best client count (the most tps of the counts run)
  best() { for c in $PGB_CLIENTS; do echo "$(col "c$c" "pgbench-c$c-$1" 4) $c"; done | sort -g -r | head -1; }
  read -r a ac < <(best pgc); read -r b bc < <(best peer)
  echo "| each side's best | $a ($ac clients) | $b ($bc clients) | **$(ratio "$a" "$b")** | |"
  echo
  if [ "$errors_total" -gt 0 ]; then
    echo "**ERRORS: $errors_total failed requests/transactions in the measured runs (column errors); the figures of those runs do not count.**"
  else
    echo "Errors: none (no non-2xx answer, no socket error, no failed pgbench transaction in any measured run)."
  fi
} | tee "$report"
echo "checkout_peer: written to $report; raw outputs in $work"
[ "$errors_total" -eq 0 ] || exit 3
