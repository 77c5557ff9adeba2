#!/usr/bin/env bash
# scripts/run.sh — the second half of `make run` (the Makefile has already
# installed missing packages and built everything):
#   1. installs the extension into the system PostgreSQL 15 (needs root);
#   2. starts the embedded cluster under ./.pgdata (scripts/cluster.sh: Unix
#      socket only, in a directory only the server's OS user and root can
#      enter), unless PGCOMMERCE_DATABASE_URL points at another server;
#   3. creates database `pgcommerce`, the extension, and the gateway's login
#      role `pgcommerce_gateway` (member of commerce_gateway, not a
#      superuser: the gateway refuses roles row-level security does not
#      bind), if missing;
#   4. seeds a demo tenant `demo` and, with the catalog commands that exist,
#      a small catalog (idempotent: a second run finds them);
#   5. keeps a JWT secret in .pgdata/jwt_secret, prints a demo token and a
#      curl line, and runs the gateway on 127.0.0.1:8080 in the foreground.
# Ctrl-C stops the gateway (it finishes requests under way) and then the
# cluster. A second `make run` reuses the cluster and its data.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO_ROOT"

listen=${PGCOMMERCE_LISTEN:-127.0.0.1:8080}
state=${PGCOMMERCE_PGDATA:-$REPO_ROOT/.pgdata}
mkdir -p "$state"

# 1. The embedded cluster runs the system's PostgreSQL binaries, so the
#    extension goes into the system installation.
if [ "$(id -u)" -eq 0 ]; then
  make -s install >/dev/null
elif [ -z "${PGCOMMERCE_DATABASE_URL:-}" ]; then
  echo "pgcommerce: installing the extension into $($PG_CONFIG --pkglibdir) needs root." >&2
  echo "  Run \`sudo make install\` once, then \`make run\` again (or run it as root)." >&2
  if [ ! -f "$($PG_CONFIG --sharedir)/extension/pgcommerce.control" ]; then
    exit 1
  fi
  echo "pgcommerce: an installed copy exists; using it." >&2
fi

# 2-3. Database, extension, gateway role.
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
if [ -z "${PGCOMMERCE_DATABASE_URL:-}" ]; then
  ./scripts/cluster.sh start
  stop_cluster() { ./scripts/cluster.sh stop || true; }
  trap 'stop_cluster' EXIT
  eval "$(./scripts/cluster.sh env)"
  export PGHOST PGPORT PGUSER
  if [ "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'pgcommerce'")" != 1 ]; then
    psql_admin -d postgres -c "CREATE DATABASE pgcommerce"
  fi
  admin_db=(-d pgcommerce)
  # Through the cluster's private socket directory ($PGHOST), never TCP.
  database_url="host=$PGHOST port=$PGPORT dbname=pgcommerce user=pgcommerce_gateway"
else
  admin_db=(-d "${PGCOMMERCE_ADMIN_DATABASE_URL:-$PGCOMMERCE_DATABASE_URL}")
  database_url=$PGCOMMERCE_DATABASE_URL
fi

psql_admin "${admin_db[@]}" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgcommerce CASCADE;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgcommerce_gateway') THEN
    CREATE ROLE pgcommerce_gateway LOGIN;
  END IF;
  GRANT commerce_gateway TO pgcommerce_gateway;
  -- Platform routes (POST /v1/tenants ...) run as commerce_admin for
  -- platform_admin tokens only; the demo gateway serves them.
  GRANT commerce_admin TO pgcommerce_gateway;
END
$$;
SQL

# 4. Demo tenant and catalog, with whatever commands this build has.
tenant_id=$(psql_admin "${admin_db[@]}" -tA <<'SQL'
SET client_min_messages = warning;
SELECT coalesce((SELECT id FROM commerce.tenants WHERE slug = 'demo'),
                commerce.create_tenant('demo', 'Demo Shop', 'EUR'));
SQL
)
tenant_id=$(echo "$tenant_id" | tail -n 1)
if [ -f scripts/demo-seed.sql ] &&
   [ "$(psql_admin "${admin_db[@]}" -tAc "SELECT to_regprocedure('commerce.create_product(jsonb,text)') IS NOT NULL")" = t ]; then
  psql_admin "${admin_db[@]}" -v tenant="$tenant_id" -f scripts/demo-seed.sql >/dev/null
fi

# 5. Secret, token, gateway.
secret_file=$state/jwt_secret
if [ ! -s "$secret_file" ]; then
  (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$secret_file")
fi
secret=$(cat "$secret_file")
token=$(perl -MDigest::SHA=hmac_sha256 -MMIME::Base64=encode_base64url -e '
  my ($secret, $tenant) = @ARGV;
  my $h = encode_base64url(q({"alg":"HS256","typ":"JWT"}));
  my $exp = time + 30 * 24 * 3600;
  my $c = encode_base64url(qq({"tenant_id":"$tenant","sub":"demo-staff","role":"staff","exp":$exp}));
  print "$h.$c." . encode_base64url(hmac_sha256("$h.$c", $secret));' "$secret" "$tenant_id")

cat <<EOF2

pgcommerce is running: gateway on http://$listen, tenant "demo" ($tenant_id).
Demo bearer token (staff of "demo", valid 30 days):

  export TOKEN=$token

Try:
  curl -s http://$listen/readyz
  curl -s -H "Authorization: Bearer \$TOKEN" http://$listen/v1/products
  curl -s -N -H "Authorization: Bearer \$TOKEN" http://$listen/v1/events/stream   # live events
  curl -s http://$listen/openapi.json

Ctrl-C stops the gateway and the cluster. Logs: one JSON line per request below.

EOF2

export PGCOMMERCE_DATABASE_URL="$database_url" PGCOMMERCE_LISTEN="$listen"
export PGCOMMERCE_JWT_SECRET="$secret"
# In the foreground: Ctrl-C reaches the gateway, which drains and exits;
# the EXIT trap then stops the cluster.
set +e
./gateway/pgcommerce-gateway
status=$?
set -e
exit $status
