# bench/lib/http_cluster.sh — sourced by the HTTP benchmarks (after
# scripts/common.sh, from the repository root): a private PostgreSQL for a
# benchmark under WORK, built from this checkout.
#
# bench_lock WORK
#   holds WORK.lock (flock) until the benchmark's shell exits, or exits 1 at
#   once when another benchmark holds it: a second run in the same WORK
#   would stop the first one's cluster and wipe its files.
bench_lock() {
  mkdir -p "$(dirname "$1")"
  exec 9>"$1.lock"
  flock -n 9 || { echo "bench: another benchmark is running in $1 (it holds $1.lock)" >&2; exit 1; }
}

# bench_http_cluster WORK PORT_BASE SETTINGS
#   builds the extension and its private installation, exports PATH,
#   pgbin and PGCOMMERCE_PGDATA/PGBIN/PGPORT (a port from PORT_BASE up),
#   stops a cluster an earlier run left in WORK, starts WORK afresh, runs
#   `scripts/cluster.sh init` and appends SETTINGS (postgresql.conf lines)
#   to the new data directory's configuration. Sets datadir. Does not start
#   the cluster: the caller sets its traps first.
bench_http_cluster() {
  local work=$1 port_base=$2 settings=$3
  bench_lock "$work"
  make -s all >/dev/null
  pgbin=$(./scripts/tmp-install.sh)
  export PATH="$pgbin:$PATH"
  export PGCOMMERCE_PGDATA=$work/pg PGCOMMERCE_PGBIN=$pgbin PGCOMMERCE_PGPORT=$((port_base + RANDOM % 3000))
  if [ -d "$work/pg" ]; then ./scripts/cluster.sh stop 2>/dev/null || true; fi
  rm -rf "$work"; own_for_server "$work"
  ./scripts/cluster.sh init
  datadir=$work/pg/data
  printf '%s\n' "$settings" >>"$datadir/postgresql.conf"
}

# checkout_peer_workload: the defaults of the workload bench/checkout_peer's
# scripts share (the same data, rounds and load on both); the other
# benchmarks that source this file keep their own.
checkout_peer_workload() {
  TENANTS=${TENANTS:-100} PRODUCTS=${PRODUCTS:-100} CUSTOMERS=${CUSTOMERS:-100} STOCK=${STOCK:-1000000}
  ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-15} WARMUP=${WARMUP:-3} PRIME=${PRIME:-5}
  THREADS=${THREADS:-2} CONNS=${CONNS:-64}
}

# The settings bench/checkout_peer's scripts share (one cluster, the same
# settings for pgcommerce and the peer).
# shellcheck disable=SC2034
CHECKOUT_PEER_SETTINGS="shared_buffers = 512MB
max_connections = 300
max_wal_size = 4GB
wal_keep_size = 4GB
autovacuum = ${AUTOVACUUM:-on}"

# bench_gateway_cluster WORK DB
#   a private cluster in WORK (afresh) for a gateway benchmark, started,
#   with max_connections = 300 and the empty database DB; PATH, pgbin,
#   PGCOMMERCE_* and PGHOST/PGPORT/PGUSER exported. The caller starts its
#   gateway in the background and sets gw_pid: on exit the gateway gets
#   SIGTERM (and is waited for) and the cluster stops.
bench_gateway_cluster() {
  local work=$1 db=$2
  bench_lock "$work"
  make -s all >/dev/null
  pgbin=$(./scripts/tmp-install.sh)
  export PATH="$pgbin:$PATH"
  rm -rf "$work"; own_for_server "$work"
  export PGCOMMERCE_PGDATA=$work/pg PGCOMMERCE_PGBIN=$pgbin PGCOMMERCE_PGPORT=$((56000 + RANDOM % 3000))
  ./scripts/cluster.sh start
  gw_pid=
  trap bench_gateway_cleanup EXIT
  eval "$(./scripts/cluster.sh env)"
  export PGHOST PGPORT PGUSER
  psql -X -q -d postgres -c "ALTER SYSTEM SET max_connections = 300" -c "CREATE DATABASE $db" >/dev/null
  ./scripts/cluster.sh stop; ./scripts/cluster.sh start
}
# bench_gateway_database DB
#   pgcommerce installed in DB, and the gateway's login bench_gateway (a
#   member of commerce_gateway, made once per cluster).
bench_gateway_database() {
  psql -X -q -v ON_ERROR_STOP=1 -d "$1" <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION pgcommerce CASCADE;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bench_gateway') THEN
    CREATE ROLE bench_gateway LOGIN;
  END IF;
END $$;
GRANT commerce_gateway TO bench_gateway;
SQL
}
# bench_staff_token SECRET TENANT
#   an HS256 token (PGCOMMERCE_JWT_SECRET=SECRET) of a staff member of
#   TENANT, sub "bench", valid for a day.
bench_staff_token() {
  perl -MDigest::SHA=hmac_sha256 -MMIME::Base64=encode_base64url -e '
    my ($s, $t) = @ARGV; my $h = encode_base64url(q({"alg":"HS256","typ":"JWT"}));
    my $c = encode_base64url(qq({"tenant_id":"$t","sub":"bench","role":"staff","exp":) . (time + 86400) . "}");
    print "$h.$c." . encode_base64url(hmac_sha256("$h.$c", $s));' "$1" "$2"
}
bench_gateway_cleanup() {
  if [ -n "${gw_pid:-}" ]; then kill -TERM "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null; fi
  ./scripts/cluster.sh stop
}
