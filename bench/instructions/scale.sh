#!/usr/bin/env bash
# bench/instructions/scale.sh — CPU instructions per 3-line checkout at the
# scale of bench/checkout_peer (its seed.sql: TENANTS × PRODUCTS products,
# CUSTOMERS customers per tenant, VACUUM ANALYZE), counted by callgrind in a
# single-user backend as bench/instructions/run.sh does (the gateway's
# statement, as a commerce_gateway member, a fresh idempotency key each),
# N checkouts of one tenant with 3 distinct variants each, minus a run of
# one. run.sh's one-product tenant hides what grows with the data: plans
# that scan every tenant's rows of a small table, documents past the TOAST
# threshold (docs/benchmarks.md, "Issue 13, session 9").
# Environment: N (100), TENANTS PRODUCTS CUSTOMERS (100 100 100).
set -euo pipefail
source "$(dirname "$0")/../../scripts/common.sh"
source "$(dirname "$0")/../lib/instructions.sh"
cd "$REPO_ROOT"
command -v valgrind >/dev/null || { echo "bench: valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
n=${N:-100}
work=$REPO_ROOT/tmp_check/bench-instructions-scale

bench_instructions_cluster "$work"
psql -d bench -c "SET client_min_messages = warning" -c "CREATE EXTENSION pgcommerce" \
  -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_gateway') THEN CREATE ROLE bench_gateway LOGIN; END IF; END \$\$" \
  -c "GRANT commerce_gateway TO bench_gateway" >/dev/null
psql -At -d bench -v tenants="${TENANTS:-100}" -v products="${PRODUCTS:-100}" \
  -v customers="${CUSTOMERS:-100}" -v stock=1000000 -f bench/checkout_peer/seed.sql > "$work/seed.txt"
psql -d bench -c "VACUUM ANALYZE" >/dev/null
./scripts/cluster.sh stop >/dev/null

# tenant|{products}|{variants}|{customers}: the first tenant, 3 variants apart
IFS='|' read -r tenant _ variants _ < "$work/seed.txt"
IFS=',' read -r -a v <<<"${variants//[\{\}]/}"
checkout_stmt() {  # checkout_stmt KEY I
  local a=${v[$(($2 % ${#v[@]}))]} b=${v[$((($2 + 1) % ${#v[@]}))]} c=${v[$((($2 + 2) % ${#v[@]}))]}
  echo "WITH ctx AS MATERIALIZED (SELECT commerce.set_context('$tenant'::uuid, 'bench', 'staff', 'bench')) SELECT commerce.json_text((commerce.checkout(\"data\" => '{\"currency\": \"EUR\", \"lines\": [{\"variant_id\": \"$a\", \"quantity\": 1}, {\"variant_id\": \"$b\", \"quantity\": 1}, {\"variant_id\": \"$c\", \"quantity\": 1}]}'::jsonb, \"idempotency_key\" => '$1'))) FROM ctx;"
}
{ echo "SET ROLE bench_gateway"; checkout_stmt one 0; } > "$work/checkout-1.sql"
{ echo "SET ROLE bench_gateway"; for i in $(seq "$n"); do checkout_stmt "k-$i" "$i"; done; } > "$work/checkout-n.sql"
own_for_server "$work"

c1=$(instructions "$work/checkout-1.sql"); cn=$(instructions "$work/checkout-n.sql")
echo "# $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes'), ${TENANTS:-100} tenants x ${PRODUCTS:-100} products, valgrind $(valgrind --version | sed 's/valgrind-//')"
printf 'checkout (set_context + checkout, 3 lines) %7d instructions per request\n' $(( (cn - c1) / (n - 1) ))
