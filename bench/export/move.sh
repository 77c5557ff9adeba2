#!/usr/bin/env bash
# bench/export/move.sh — move one tenant between two databases of the
# running cluster the way docs/tenant-export.md says, with no lost write,
# and print the time of each step:
#   1. suspend the tenant at the source (its commands are refused from here:
#      the write pause starts),
#   2. wait until the publisher has numbered its last events,
#   3. export it as its bound role,
#   4. import it into the target (which has the extension already),
#   5. activate it in the target (the write pause ends: clients are
#      switched to the target's gateway),
#   6. erase it at the source (after the pause: nobody writes there).
# Usage: move.sh SOURCE_DB TARGET_DB TENANT_SLUG BOUND_ROLE (PGHOST, PGPORT
# and PGUSER, a superuser, from the environment; bin/pgcommerce-tenant from
# this checkout).
set -euo pipefail
source "$(dirname "$0")/../../scripts/common.sh"
source_db=$1 target_db=$2 slug=$3 role=$4
tool=$REPO_ROOT/bin/pgcommerce-tenant
file=$(mktemp "${TMPDIR:-/tmp}/move-$slug.XXXXXX.tar")
trap 'rm -f "$file" "$file.log"' EXIT

q() { psql -X -qAt -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
now() { date +%s.%N; }
declare -a names times
step() {  # step NAME COMMAND...: runs it, records its seconds
  local t0 t1
  t0=$(now)
  "${@:2}" >/dev/null 2>"$file.log" || { cat "$file.log" >&2; exit 1; }
  t1=$(now)
  names+=("$1")
  times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
}
wait_published() {
  until [ "$(q "$source_db" "SELECT count(*) FROM commerce.outbox WHERE seq IS NULL AND tenant_id = '$tenant'")" = 0 ]; do
    sleep 0.05
  done
}

tenant=$(q "$source_db" "SELECT id FROM commerce.tenants WHERE slug = '$slug'")
[ -n "$tenant" ] || { echo "move.sh: no tenant $slug in $source_db" >&2; exit 1; }
orders=$(q "$source_db" "SELECT count(*) FROM commerce.orders WHERE tenant_id = '$tenant'")
pause_start=$(now)
step suspend q "$source_db" "SELECT commerce.suspend_tenant('$tenant')"
step wait_publisher wait_published
step export "$tool" export -d "dbname=$source_db user=$role" -f "$file"
step import "$tool" import -d "dbname=$target_db" -f "$file"
step activate q "$target_db" "SELECT commerce.activate_tenant('$tenant')"
pause=$(awk -v a="$pause_start" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')
step erase_source "$tool" erase -d "dbname=$source_db" --tenant "$slug"

echo "# move of tenant $slug ($orders orders, export $(du -k "$file" | cut -f1) kB) from $source_db to $target_db"
for i in "${!names[@]}"; do
  printf '%-16s %8s s\n' "${names[$i]}" "${times[$i]}"
done
printf '%-16s %8s s   (suspend to activate: no write accepted anywhere)\n' "write pause" "$pause"
