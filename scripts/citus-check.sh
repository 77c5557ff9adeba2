#!/usr/bin/env bash
# scripts/citus-check.sh — pgcommerce on a throwaway Citus cluster: a
# coordinator and two workers on this machine, the extension created on
# the coordinator, every platform table made a reference table and every
# tenant table distributed by tenant_id (foreign keys dropped on every node
# and added again after), then the SQL story through the coordinator
# (catalog, prices, stock, orders, checkout, payments, cancel), the
# outbox's events checked published exactly once in per-tenant order and
# delivered to a subscription, the gateway's checkout through the
# coordinator, the isolation suite through the coordinator (test/t/801;
# SKIP_ISOLATION=1 leaves it out), and the nodes' logs checked for
# background workers' errors (kept in tmp_check/citus-logs). Prints one
# line per step (ok / FAILED with the error) and a summary; exits non-zero
# when a step failed. docs/scaling.md records the last run and what remains.
#
# It needs a PostgreSQL 15 installation that holds both Citus and this
# checkout's pgcommerce, and never builds or fetches Citus itself:
#   PGCOMMERCE_CITUS_PGBIN=/path/to/bin scripts/citus-check.sh
# (default: ./tmp_install's bin). Without Citus there it says how to get
# it and exits 0 (skipped). KEEP=1 leaves the nodes' data directories,
# HOLD=1 leaves the nodes running (the next run stops them).
#
# The nodes listen on no TCP port: each has a Unix socket directory of mode
# 0700 (as scripts/cluster.sh does), and Citus reaches the workers through
# those sockets (a node name that starts with / is a socket directory).
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO_ROOT"

pgbin=${PGCOMMERCE_CITUS_PGBIN:-$REPO_ROOT/tmp_install/usr/lib/postgresql/15/bin}
sharedir=$("$pgbin/pg_config" --sharedir 2>/dev/null || true)
if [ ! -f "$sharedir/extension/citus.control" ]; then
  cat <<MSG
citus-check: SKIPPED — Citus is not installed in $pgbin ($sharedir/extension/citus.control).
  Citus is not packaged by Debian. Build v13.2.2 (supports PostgreSQL 15) outside this
  repository, e.g. from https://github.com/citusdata/citus (tag v13.2.2):
    ./configure PG_CONFIG=<pg_config> [--without-libcurl --without-lz4 --without-zstd]
    make && make install DESTDIR=<a copy of tmp_install>
  then run: PGCOMMERCE_CITUS_PGBIN=<that copy>/usr/lib/postgresql/15/bin $0
MSG
  exit 0
fi
if [ ! -f "$sharedir/extension/pgcommerce.control" ]; then
  echo "citus-check: pgcommerce is not installed in $sharedir (make install DESTDIR=...)" >&2
  exit 2
fi

base=${PGCOMMERCE_CITUS_DIR:-$REPO_ROOT/tmp_check/citus}
names=(coordinator worker1 worker2)
ports=(57630 57631 57632)
sockdir() { echo "$base/$1/socket"; }

stop_all() {
  [ -z "${gw_pid:-}" ] || kill -TERM "$gw_pid" 2>/dev/null || true
  if [ "${HOLD:-0}" = 1 ] && [ "${1:-}" = exit ]; then
    echo "citus-check: HOLD=1, the nodes keep running (data in $base; stop each with pg_ctl -D $base/<node>/data stop)"
    return
  fi
  for n in "${names[@]}"; do
    [ -f "$base/$n/data/PG_VERSION" ] &&
      run_as_server_user "$pgbin/pg_ctl" -D "$base/$n/data" -m fast -w stop >/dev/null 2>&1 || true
  done
  # the nodes' and the gateway's logs stay in tmp_check/citus-logs
  mkdir -p "$REPO_ROOT/tmp_check/citus-logs"
  for n in "${names[@]}"; do
    cp "$base/$n/postgresql.log" "$REPO_ROOT/tmp_check/citus-logs/$n.log" 2>/dev/null || true
  done
  cp "$base/gateway.log" "$REPO_ROOT/tmp_check/citus-logs/" 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] || rm -rf "$base"
}

ensure_server_user_access
stop_all
rm -rf "$base"
trap 'stop_all exit' EXIT

for i in "${!names[@]}"; do
  n=${names[$i]}
  own_for_server "$base/$n" "$(sockdir "$n")"
  chmod 0700 "$(sockdir "$n")"
  run_as_server_user "$pgbin/initdb" -D "$base/$n/data" -U postgres --auth-local=trust \
    --auth-host=reject --encoding=UTF8 --locale=C.UTF-8 >"$base/$n/initdb.log" 2>&1
  run_as_server_user tee -a "$base/$n/data/postgresql.conf" >/dev/null <<CONF
port = ${ports[$i]}
listen_addresses = ''
unix_socket_directories = '$(sockdir "$n")'
unix_socket_permissions = 0700
shared_preload_libraries = 'citus,pgcommerce'
track_commit_timestamp = on
max_prepared_transactions = 200
max_connections = 200
# The route, tenant, binding and hook triggers only note a change for the
# local workers (docs/scaling.md); Citus refuses triggers on distributed
# and reference tables without this.
citus.enable_unsafe_triggers = on
# set_context's settings reach the workers as SET LOCAL (docs/scaling.md).
citus.propagate_set_commands = 'local'
log_line_prefix = '%m [%p] %q%u@%d '
CONF
  run_as_server_user "$pgbin/pg_ctl" -D "$base/$n/data" -l "$base/$n/postgresql.log" -w -t 60 start >/dev/null
done

nfailed=0
nok=0
# step NAME NODE SQL — run SQL on a node's commerce database (postgres for
# the set-up), print ok or FAILED with the first error line.
step() {
  local name=$1 node=$2 sql=$3 db=${4:-commerce} out
  local i
  for i in "${!names[@]}"; do [ "${names[$i]}" = "$node" ] && break; done
  if out=$(run_as_server_user "$pgbin/psql" -X -At -v ON_ERROR_STOP=1 -h "$(sockdir "$node")" \
             -p "${ports[$i]}" -U postgres -d "$db" -c "$sql" 2>&1); then
    nok=$((nok + 1))
    printf 'ok      %s\n' "$name"
  else
    nfailed=$((nfailed + 1))
    printf 'FAILED  %s: %s\n' "$name" "$(grep -m1 -E 'ERROR|FATAL' <<<"$out" || echo "$out" | head -1)"
  fi
  STEP_OUT=$out
}

for n in "${names[@]}"; do
  step "create database on $n" "$n" "CREATE DATABASE commerce" postgres
  step "create extension citus on $n" "$n" "CREATE EXTENSION citus"
done
step "coordinator host" coordinator \
  "SELECT citus_set_coordinator_host('$(sockdir coordinator)', ${ports[0]})"
step "add worker1" coordinator "SELECT citus_add_node('$(sockdir worker1)', ${ports[1]})"
step "add worker2" coordinator "SELECT citus_add_node('$(sockdir worker2)', ${ports[2]})"
step "citus version" coordinator "SELECT citus_version()"
echo "        $STEP_OUT"
step "CREATE EXTENSION pgcommerce (coordinator)" coordinator "CREATE EXTENSION pgcommerce CASCADE"
# Session 11 (issue 13): with Citus loaded the install script makes the
# row rules' CHECKs over columns, not over the whole row (Citus cannot
# ship a whole-row Var to the shards: sql/src/872_row_checks.sql).
step "row rules' CHECKs over columns" coordinator "
  DO \$\$ BEGIN
    IF EXISTS (SELECT FROM pg_constraint WHERE contype = 'c'
                AND connamespace = 'commerce'::regnamespace
                AND pg_get_constraintdef(oid) LIKE '%.*%') THEN
      RAISE EXCEPTION 'a whole-row CHECK is left: run SELECT commerce.row_rules_form(false)';
    END IF; END \$\$"

# Distribution (docs/scaling.md, "Distributing the tables"). Citus creates
# the extension on the workers too, so every extension table already exists
# there (Citus expects that: it creates no shell table for a table owned by
# an extension). But making a table a reference table converts every local
# table that points at it by a foreign key into a "Citus local table", and
# that conversion re-creates the table on the workers ("relation ... already
# exists"). So the foreign keys between commerce tables are dropped on every
# node first, the tables are distributed (platform tables as reference
# tables, tenant tables by tenant_id, all colocated), and the keys added
# again on the coordinator, which puts them on
# the shards and on the workers' tables.
step "save the foreign keys of commerce" coordinator "
  CREATE TABLE public.commerce_distribute_fks AS
  SELECT c.conrelid::regclass::text AS tbl, c.conname, pg_get_constraintdef(c.oid) AS def
    FROM pg_constraint c
   WHERE c.contype = 'f' AND c.connamespace = 'commerce'::regnamespace"
step "drop them on the workers" coordinator "
  SELECT run_command_on_workers(string_agg(format('ALTER TABLE %s DROP CONSTRAINT %I', tbl, conname), '; '))
    FROM public.commerce_distribute_fks"
step "drop them on the coordinator" coordinator "
  DO \$\$ DECLARE r record; BEGIN
    FOR r IN SELECT * FROM public.commerce_distribute_fks LOOP
      EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
    END LOOP; END \$\$"

# Platform tables (no tenant_isolation policy) become reference tables,
# tenant tables are distributed by tenant_id, colocated with orders.
tables() {
  local want=$1
  run_as_server_user "$pgbin/psql" -X -At -h "$(sockdir coordinator)" -p "${ports[0]}" -U postgres \
    -d commerce -c "SELECT c.oid::regclass FROM pg_class c
      WHERE c.relnamespace = 'commerce'::regnamespace AND c.relkind = 'r'
        AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid
                    AND p.polname = 'tenant_isolation') = $want
      ORDER BY (c.relname <> 'orders'), 1" 2>/dev/null || true
}
for t in $(tables false); do
  step "reference table $t" coordinator "SELECT create_reference_table('$t')"
done
colocate=none
for t in $(tables true); do
  step "distribute $t by tenant_id" coordinator \
    "SELECT create_distributed_table('$t', 'tenant_id', colocate_with => '$colocate')"
  colocate=commerce.orders
done
step "add the foreign keys again" coordinator "
  DO \$\$ DECLARE r record; BEGIN
    FOR r IN SELECT * FROM public.commerce_distribute_fks ORDER BY tbl, conname LOOP
      EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.tbl, r.conname, r.def);
    END LOOP; END \$\$; DROP TABLE public.commerce_distribute_fks"
step "every commerce table is distributed" coordinator "
  DO \$\$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_class c
                WHERE c.relnamespace = 'commerce'::regnamespace AND c.relkind = 'r'
                  AND NOT EXISTS (SELECT 1 FROM pg_dist_partition d WHERE d.logicalrelid = c.oid)) THEN
      RAISE EXCEPTION 'not distributed: %', (SELECT string_agg(c.relname, ', ') FROM pg_class c
        WHERE c.relnamespace = 'commerce'::regnamespace AND c.relkind = 'r'
          AND NOT EXISTS (SELECT 1 FROM pg_dist_partition d WHERE d.logicalrelid = c.oid));
    END IF;
    IF (SELECT count(DISTINCT colocationid) FROM pg_dist_partition
         WHERE partmethod = 'h' AND logicalrelid::text LIKE 'commerce.%') <> 1 THEN
      RAISE EXCEPTION 'tenant tables are not all colocated';
    END IF; END \$\$"

# The SQL story through the coordinator, as the gateway runs it: the
# tenant context by set_context, one command per transaction. Citus
# connects to the workers as the command's owner (commands are SECURITY
# DEFINER), so commerce_owner must be able to log in on the workers
# (pg_hba.conf: from the cluster's nodes only); the context reaches the
# workers as SET LOCAL (citus.propagate_set_commands = 'local').
step "commerce_owner may log in (Citus's connections)" coordinator "ALTER ROLE commerce_owner LOGIN"
step "create_tenant" coordinator "SELECT commerce.create_tenant('citus-a', 'Citus A', 'EUR')"
tenant=$(tail -n1 <<<"$STEP_OUT")
# A subscription to every order event: the coordinator's dispatcher claims
# each delivery by its key on the tenant's shard (docs/scaling.md).
step "subscribe to order.* (a handler that counts)" coordinator "
  CREATE TABLE public.citus_seen (event_id uuid PRIMARY KEY, seq bigint NOT NULL);
  GRANT INSERT ON public.citus_seen TO commerce_gateway;
  CREATE FUNCTION public.citus_seen(e jsonb) RETURNS void LANGUAGE sql
    AS \$f\$ INSERT INTO public.citus_seen VALUES ((e->>'id')::uuid, (e->>'seq')::bigint) \$f\$;
  SELECT commerce.subscribe('citus-check', 'order.*', 'public.citus_seen(jsonb)'::regprocedure,
                            tenant => '$tenant')"
# cmd NAME SQL [FIELD [EXPECTED]] — one command in the tenant's context;
# the answer's FIELD (or the whole answer) goes into STEP_OUT, and the step
# fails when it is not EXPECTED.
cmd() {
  local name=$1 sql=$2 field=${3:-} expected=${4:-}
  local expr="($sql)"
  [ -z "$field" ] || expr="($sql)->>'$field'"
  step "$name" coordinator "BEGIN; SELECT commerce.set_context('$tenant', 'citus-check', 'staff');
SELECT $expr; COMMIT;"
  STEP_OUT=$(grep -v -E '^(BEGIN|COMMIT)$' <<<"$STEP_OUT" | tail -n1)
  if [ -n "$expected" ] && [ "$STEP_OUT" != "$expected" ] && ! grep -q ERROR <<<"$STEP_OUT"; then
    nok=$((nok - 1)); nfailed=$((nfailed + 1))
    printf 'FAILED  %s: expected %s, got %s\n' "$name" "$expected" "$STEP_OUT"
  fi
}
cmd create_product "commerce.create_product('{\"title\": \"Tee\", \"status\": \"active\"}')" id
product=$STEP_OUT
cmd create_variant "commerce.create_variant('$product', '{\"sku\": \"TEE-1\", \"title\": \"Tee\"}')" id
variant=$STEP_OUT
cmd create_category "commerce.create_category('{\"name\": \"Shirts\"}')" id
cmd create_customer_group "commerce.create_customer_group('{\"name\": \"VIP\"}')" id
cmd create_price_list "commerce.create_price_list('{\"name\": \"Retail\", \"currency\": \"EUR\"}')" id
list=$STEP_OUT
cmd set_price "commerce.set_price('$list', '{\"variant_id\": \"$variant\", \"amount\": 1000}')" amount
cmd set_inventory "commerce.set_inventory('$variant', '{\"on_hand\": 100}')" on_hand
cmd create_customer "commerce.create_customer('{\"email\": \"ann@example.com\"}')" id
customer=$STEP_OUT
cmd create_order "commerce.create_order('{\"currency\": \"EUR\", \"customer_id\": \"$customer\"}')" id
order=$STEP_OUT
cmd add_order_line "commerce.add_order_line('$order', '{\"variant_id\": \"$variant\", \"quantity\": 2}')" total
cmd place_order "commerce.place_order('$order')" number
cmd checkout "commerce.checkout('{\"currency\": \"EUR\", \"lines\": [{\"variant_id\": \"$variant\", \"quantity\": 1}]}')" id
checkout=$STEP_OUT
cmd "get_order: the checkout is order number 2" "commerce.get_order('$checkout')" number 2
cmd authorize_payment "commerce.authorize_payment('$checkout', '{\"provider\": \"manual\"}')" id
payment=$STEP_OUT
cmd capture_payment "commerce.capture_payment('$payment')" status captured
cmd "list_orders: 2" "jsonb_array_length(commerce.list_orders()->'data')" "" 2
cmd "list_products: 1" "jsonb_array_length(commerce.list_products()->'data')" "" 1
cmd "get_inventory: 3 reserved" "commerce.get_inventory('$variant')" reserved 3
cmd update_product "commerce.update_product('$product', '{\"title\": \"Tee 2\"}')" title
cmd cancel_order "commerce.cancel_order('$order')" status cancelled
cmd "get_inventory: 1 reserved after the cancel" "commerce.get_inventory('$variant')" reserved 1
# The gateway pointed at the coordinator (docs/scaling.md, "The gateway"):
# its own login role, a staff token of the tenant, a checkout, the same
# Idempotency-Key again (a replay), and the order read back.
gw_pass() { nok=$((nok + 1)); printf 'ok      %s\n' "$1"; }
gw_fail() { nfailed=$((nfailed + 1)); printf 'FAILED  %s: %s\n' "$1" "$2"; }
gateway_checkout() {
  local gw=${PGCOMMERCE_GATEWAY:-$REPO_ROOT/gateway/pgcommerce-gateway} port secret token body out code order
  if [ ! -x "$gw" ] || ! command -v curl >/dev/null; then
    gw_fail "gateway checkout" "no gateway binary ($gw: make) or no curl"; return
  fi
  step "gateway login role (commerce_gateway)" coordinator \
    "CREATE ROLE citus_gateway LOGIN IN ROLE commerce_gateway"
  port=$(free_port 18900)
  secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  token=$(perl -MDigest::SHA=hmac_sha256 -MMIME::Base64=encode_base64url -e '
    my ($s, $t) = @ARGV; my $h = encode_base64url(q({"alg":"HS256","typ":"JWT"}));
    my $c = encode_base64url(qq({"tenant_id":"$t","sub":"citus-check","role":"staff","exp":) . (time + 3600) . "}");
    print "$h.$c." . encode_base64url(hmac_sha256("$h.$c", $s));' "$secret" "$tenant")
  PGCOMMERCE_DATABASE_URL="host=$(sockdir coordinator) port=${ports[0]} dbname=commerce user=citus_gateway" \
  PGCOMMERCE_LISTEN=127.0.0.1:$port PGCOMMERCE_JWT_SECRET=$secret PGCOMMERCE_LOG_LEVEL=warn \
  PGCOMMERCE_POOL_SIZE=4 setsid "$gw" >"$base/gateway.log" 2>&1 &
  gw_pid=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; then gw_pass "gateway ready on the coordinator"
  else gw_fail "gateway ready on the coordinator" "$(tail -3 "$base/gateway.log" | tr '\n' ' ')"; fi
  body="{\"currency\": \"EUR\", \"lines\": [{\"variant_id\": \"$variant\", \"quantity\": 2}]}"
  for attempt in first replay; do
    out=$(curl -s -D "$base/headers" -o "$base/body" -w '%{http_code}' -X POST "http://127.0.0.1:$port/v1/checkout" \
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -H 'Idempotency-Key: citus-gw-1' \
      --data "$body" || true)
    if [ "$out" = 201 ] && { [ $attempt = first ] || grep -qi '^Idempotent-Replayed: true' "$base/headers"; }; then
      gw_pass "POST /v1/checkout through the coordinator ($attempt): 201"
    else
      gw_fail "POST /v1/checkout through the coordinator ($attempt)" "HTTP $out $(head -c 300 "$base/body")"
    fi
    [ $attempt = first ] && order=$(perl -MJSON::PP -0e 'print decode_json(<STDIN>)->{id} // ""' <"$base/body" 2>/dev/null || true)
  done
  code=$(curl -s -o "$base/body" -w '%{http_code}' "http://127.0.0.1:$port/v1/orders/$order" -H "Authorization: Bearer $token" || true)
  if [ "$code" = 200 ] && grep -q '"status": *"placed"' "$base/body"; then gw_pass "GET /v1/orders/{id}: 200, placed"
  else gw_fail "GET /v1/orders/{id}" "HTTP $code $(head -c 300 "$base/body")"; fi
  kill -TERM "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null || true
  gw_pid=
}
gateway_checkout

step "every committed event published exactly once, in per-tenant order" coordinator "
  DO \$\$ DECLARE written bigint; published bigint; distinct_ids bigint; out_of_order bigint;
  BEGIN
    FOR i IN 1..30 LOOP
      SELECT count(*) INTO written FROM commerce.outbox_written;
      SELECT count(*), count(DISTINCT id) INTO published, distinct_ids FROM commerce.outbox_published;
      EXIT WHEN published >= written;
      PERFORM pg_sleep(1);
    END LOOP;
    SELECT count(*) INTO out_of_order FROM (
      SELECT seq <= lag(seq) OVER (PARTITION BY tenant_id ORDER BY id) AS bad
        FROM commerce.outbox_published) s WHERE bad;
    IF written = 0 OR published <> written OR distinct_ids <> published OR out_of_order > 0 THEN
      RAISE EXCEPTION 'written %, published % (% distinct), % out of order',
        written, published, distinct_ids, out_of_order;
    END IF;
    RAISE NOTICE 'events: % written, % published once each, in order', written, published;
  END \$\$"
step "every order event delivered once to the subscription" coordinator "
  DO \$\$ DECLARE events bigint; delivered bigint; seen bigint;
  BEGIN
    FOR i IN 1..30 LOOP
      SELECT count(*) INTO events FROM commerce.outbox WHERE type LIKE 'order.%' AND seq IS NOT NULL;
      SELECT count(*) INTO delivered FROM commerce.deliveries WHERE status = 'delivered';
      SELECT count(*) INTO seen FROM public.citus_seen;
      EXIT WHEN delivered >= events AND seen >= events;
      PERFORM pg_sleep(1);
    END LOOP;
    IF events = 0 OR delivered <> events OR seen <> events THEN
      RAISE EXCEPTION '% order events, % deliveries delivered, % seen by the handler', events, delivered, seen;
    END IF;
    RAISE NOTICE 'deliveries: % of % order events', delivered, events;
  END \$\$"
# The isolation suite through the coordinator (test/t/801): a partner bound
# to tenant A attacks tenant B; prove's summary decides the step.
if [ "${SKIP_ISOLATION:-0}" != 1 ]; then
  pgxs_dir=$(cd "$(dirname "$("$pgbin/pg_config" --pgxs)")/../.." && pwd)
  own_for_server "$base/tap"
  if out=$(run_as_server_user env PATH="$pgbin:$PATH" PGCOMMERCE_REPO="$REPO_ROOT" TESTDIR="$base/tap" \
             PGCOMMERCE_CITUS_HOST="$(sockdir coordinator)" PGCOMMERCE_CITUS_PORT="${ports[0]}" \
             prove -I "$pgxs_dir/src/test/perl" -I "$REPO_ROOT/test/lib" test/t/801_citus_isolation.pl 2>&1); then
    nok=$((nok + 1)); printf 'ok      isolation suite through the coordinator: %s\n' "$(grep -m1 -E '^Files=' <<<"$out")"
  else
    nfailed=$((nfailed + 1))
    printf 'FAILED  isolation suite through the coordinator:\n%s\n' "$(grep -E '^(not ok|#)' <<<"$out" | head -40)"
  fi
  # The seed's checkouts ran through the coordinator with a plugin's hook
  # (order.before_place, a discount line): plugin hooks run on Citus, and
  # the guest carts the seed made through the storefront's key are there.
  step "plugin hooks and storefront carts through the coordinator (the isolation seed's)" coordinator "
    DO \$\$ DECLARE hooked bigint; carts bigint;
    BEGIN
      SELECT count(DISTINCT tenant_id) INTO hooked FROM commerce.order_adjustments
       WHERE plugin LIKE 'seed\\_%' AND code = 'seed';
      SELECT count(DISTINCT tenant_id) INTO carts FROM commerce.storefront_carts;
      IF hooked < 2 OR carts < 2 THEN
        RAISE EXCEPTION 'plugin discount lines of % tenants, guest carts of % tenants (want 2 each)', hooked, carts;
      END IF;
    END \$\$"
  mkdir -p "$REPO_ROOT/tmp_check/citus-logs"
  rm -rf "$REPO_ROOT/tmp_check/citus-logs/tap"
  cp -r "$base/tap/tmp_check/log" "$REPO_ROOT/tmp_check/citus-logs/tap" 2>/dev/null || true
fi

# Errors of sessions (the check's own users and the isolation suite's
# attacking roles, whose refusals are logged) are not the workers'.
sessions='(commerce_owner|postgres|citus_gateway|iso_a|iso_b|iso_ops)@'
for n in "${names[@]}"; do
  errors=$(grep -v -E "$sessions" "$base/$n/postgresql.log" | grep -c 'ERROR' || true)
  if [ "$errors" -eq 0 ]; then
    nok=$((nok + 1)); printf 'ok      background workers on %s: no error\n' "$n"
  else
    nfailed=$((nfailed + 1))
    printf 'FAILED  background workers on %s: %s errors, e.g. %s\n' "$n" "$errors" \
      "$(grep -v -E "$sessions" "$base/$n/postgresql.log" | grep -m1 -o 'ERROR: .*')"
  fi
done

echo "citus-check: $nok steps ok, $nfailed failed"
[ "$nfailed" -eq 0 ]
