#!/usr/bin/env bash
# bench/instructions/run.sh — CPU instructions per request, counted by
# valgrind --tool=callgrind in a single-user backend, so the figure does not
# move with the machine's load (wall-clock rates on a shared 2-core machine
# swing 2-4x): the gateway's own statement for a read (set_context +
# commerce.get_product) and for a single-line checkout (set_context +
# commerce.checkout with a fresh idempotency key), each run as a
# commerce_gateway member as the gateway does, N times, minus a run of one.
# Compare two commits with bench/compare:
#   BASE=4a6ee02 BENCH=instructions PAIRS=1 bench/compare/run.sh
# Environment: READS (2000), CHECKOUTS (1000), PLUGINS=1 (the tenant
# enables the example plugin loyalty, whose order.before_place hook runs,
# plus a no-op order.before_place hook of a second plugin: issue 14's
# "bench with plugins" against PLUGINS=0 on the same commit). EXTRAS=1
# (issue 17): every checkout also carries a shipping address, the tenant's
# flat-rate method and a 10 % discount code without usage limit
# (bench/checkout_peer/extras.sql), against EXTRAS=0 on the same commit.
set -euo pipefail
source "$(dirname "$0")/../../scripts/common.sh"
source "$(dirname "$0")/../lib/instructions.sh"
cd "$REPO_ROOT"
command -v valgrind >/dev/null || { echo "bench: valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
reads=${READS:-2000}
checkouts=${CHECKOUTS:-1000}
work=$REPO_ROOT/tmp_check/bench-instructions

bench_instructions_cluster "$work"
ids=$(psql -At -d bench <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pgcommerce;
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bench_gateway') THEN
  CREATE ROLE bench_gateway LOGIN; END IF; END $$;
GRANT commerce_gateway TO bench_gateway;
SELECT commerce.create_tenant('bench', 'Bench', 'EUR') AS t \gset
BEGIN;
SELECT commerce.set_context(:'t') \gset
SELECT commerce.create_product('{"title": "Tea", "status": "active"}')->>'id' AS p \gset
SELECT commerce.create_variant(:'p', '{"sku": "TEA"}')->>'id' AS v \gset
SELECT commerce.set_inventory(:'v', '{"on_hand": 1000000}') \gset
SELECT commerce.create_price_list('{"name": "Retail", "currency": "EUR"}')->>'id' AS l \gset
SELECT commerce.set_price(:'l', jsonb_build_object('variant_id', :'v', 'amount', 500)) \gset
COMMIT;
SELECT :'t' || ' ' || :'p' || ' ' || :'v';
SQL
)
if [ "${PLUGINS:-0}" = 1 ]; then
  psql -d bench >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION loyalty;
CREATE SCHEMA bench_plug;
CREATE FUNCTION bench_plug.noop(input jsonb) RETURNS jsonb LANGUAGE sql AS \$\$ SELECT NULL::jsonb \$\$;
SELECT commerce.register_plugin('bench_noop');
BEGIN;
SET LOCAL commerce.plugin = 'bench_noop';
SELECT commerce.register_hook('order.before_place', 'bench_plug.noop(jsonb)', name => 'noop');
COMMIT;
BEGIN;
SELECT commerce.set_context('$(echo "$ids" | tail -1 | cut -d' ' -f1)');
SELECT commerce.enable_plugin('loyalty'), commerce.enable_plugin('bench_noop');
COMMIT;
SQL
fi
read -r tenant product variant <<<"$(echo "$ids" | tail -1)"
extras=
if [ "${EXTRAS:-0}" = 1 ]; then  # issue 17: a method and a code on every checkout
  method=$(psql -At -d bench -f bench/checkout_peer/extras.sql | tail -1 | cut -d'|' -f2)
  extras=", \"shipping_address\": {\"line1\": \"1 Main St\", \"city\": \"Berlin\", \"country\": \"DE\"}, \"shipping_method_id\": \"$method\", \"discount_code\": \"BENCH10\""
fi
./scripts/cluster.sh stop >/dev/null

# The statements the gateway sends (bench/gateway/run.sh), one per line.
ctx="WITH ctx AS MATERIALIZED (SELECT commerce.set_context('$tenant'::uuid, 'bench', 'staff', 'bench'))"
read_stmt="$ctx SELECT commerce.json_text((commerce.get_product(\"id\" => '$product'::uuid))) FROM ctx;"
checkout_stmt() {
  echo "$ctx SELECT commerce.json_text((commerce.checkout(\"data\" => '{\"currency\": \"EUR\", \"lines\": [{\"variant_id\": \"$variant\", \"quantity\": 1}]$extras}'::jsonb, \"idempotency_key\" => '$1'))) FROM ctx;"
}
{ echo "SET ROLE bench_gateway"; echo "$read_stmt"; } > "$work/read-1.sql"
{ echo "SET ROLE bench_gateway"; for _ in $(seq "$reads"); do echo "$read_stmt"; done; } > "$work/read-n.sql"
{ echo "SET ROLE bench_gateway"; checkout_stmt one; } > "$work/checkout-1.sql"
{ echo "SET ROLE bench_gateway"; for i in $(seq "$checkouts"); do checkout_stmt "k-$i"; done; } > "$work/checkout-n.sql"
own_for_server "$work"

r1=$(instructions "$work/read-1.sql"); rn=$(instructions "$work/read-n.sql")
c1=$(instructions "$work/checkout-1.sql"); cn=$(instructions "$work/checkout-n.sql")
echo "# $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes'), plugins ${PLUGINS:-0}, extras ${EXTRAS:-0}, valgrind $(valgrind --version | sed 's/valgrind-//'), PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}')"
printf 'read (set_context + get_product)       %10d instructions per request\n' $(( (rn - r1) / (reads - 1) ))
printf 'checkout (set_context + checkout, 1 line) %7d instructions per request\n' $(( (cn - c1) / (checkouts - 1) ))
