#!/usr/bin/env bash
# scripts/test.sh — every suite of `make test`, on throwaway clusters:
#   1. pgTAP suites (test/sql/*.sql) with pg_prove against a fresh cluster
#      with the extension freshly created;
#   2. TAP suites (test/t/*.pl) with prove and PostgreSQL::Test::Cluster, for
#      everything that needs processes (gateway, background worker, crashes).
# Both use the private installation in ./tmp_install, never the system one.
# `scripts/test.sh sql` or `scripts/test.sh tap` runs one phase; extra
# arguments name test files. Exits non-zero on any failure; the output ends
# with the runners' own summaries.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO_ROOT"

phase=${1:-all}
shift || true

ensure_server_user_access
# issue 18 (docs/reliability.md): SANITIZE=1 runs the suites on an ASan+UBSan
# build of the extension in tmp_install_asan/ (scripts/sanitize-install.sh).
if [ "${SANITIZE:-0}" = 1 ]; then pgbin=$(./scripts/sanitize-install.sh); else
pgbin=$(./scripts/tmp-install.sh)
fi
export PATH="$pgbin:$PATH"
pgxs_dir=$(cd "$(dirname "$($PG_CONFIG --pgxs)")/../.." && pwd)
export PG_REGRESS="$pgxs_dir/src/test/regress/pg_regress"
export PGCOMMERCE_REPO="$REPO_ROOT"
export PGCOMMERCE_GATEWAY="${PGCOMMERCE_GATEWAY:-$REPO_ROOT/gateway/pgcommerce-gateway-asan}"
# Sanitizer settings for the gateway suites: any report fails the run.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:exitcode=86"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="exitcode=86"

# Port lock directory shared by every checkout on this machine, so suites
# running side by side never pick the same port.
export PG_TEST_PORT_DIR=${PG_TEST_PORT_DIR:-/tmp/pgcommerce-portlock}
mkdir -p "$PG_TEST_PORT_DIR" && chmod 1777 "$PG_TEST_PORT_DIR" 2>/dev/null || true

status=0

run_sql() {
  local files=("$@")
  [ ${#files[@]} -gt 0 ] || files=(test/sql/*.sql)
  local pgdata=$REPO_ROOT/tmp_check/pgtap
  rm -rf "$pgdata"
  own_for_server "$REPO_ROOT/tmp_check"
  export PGCOMMERCE_PGDATA=$pgdata PGCOMMERCE_PGBIN=$pgbin
  export PGCOMMERCE_PGPORT=$((55000 + RANDOM % 5000))
  ./scripts/cluster.sh start
  trap './scripts/cluster.sh stop' EXIT
  eval "$(./scripts/cluster.sh env)"
  export PGDATABASE=pgcommerce_test
  psql -X -q -d postgres -c "CREATE DATABASE pgcommerce_test" >/dev/null
  psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION pgtap" \
       -c "CREATE EXTENSION pgcommerce CASCADE" >/dev/null
  echo "# pgTAP suites (pg_prove)"
  pg_prove --ext .sql "${files[@]}" || status=1
  ./scripts/cluster.sh stop
  trap - EXIT
}

# The OpenAPI tools the gateway suites use (npm, pinned in
# test/openapi/package.json and package-lock.json: validator, linters,
# typed client, validating proxy), installed with `npm ci` when the lock
# file is newer than the installed tree (once per checkout and change);
# no install scripts run (none of these tools needs one).
install_openapi_validator() {
  if [ ! test/openapi/node_modules/.package-lock.json -nt test/openapi/package-lock.json ] &&
     command -v npm >/dev/null; then
    echo "# npm ci in test/openapi"
    (cd test/openapi && npm ci --ignore-scripts --no-audit --no-fund --silent >/dev/null 2>&1) ||
      echo "pgcommerce: npm ci in test/openapi failed" >&2
  fi
}

run_tap() {
  local files=("$@")
  install_openapi_validator
  [ ${#files[@]} -gt 0 ] || files=(test/t/*.pl)
  own_for_server "$REPO_ROOT/tmp_check"
  rm -rf "$REPO_ROOT/tmp_check/tap"
  own_for_server "$REPO_ROOT/tmp_check/tap"
  # (the load average: per-file times on a shared machine mean little without it)
  echo "# TAP suites (prove); load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
  run_as_server_user env PATH="$PATH" PG_REGRESS="$PG_REGRESS" \
    PGCOMMERCE_REPO="$REPO_ROOT" PGCOMMERCE_GATEWAY="$PGCOMMERCE_GATEWAY" \
    ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" LSAN_OPTIONS="$LSAN_OPTIONS" \
    TESTDIR="$REPO_ROOT/tmp_check/tap" PG_TEST_PORT_DIR="$PG_TEST_PORT_DIR" PG_TEST_NOCLEAN="${PG_TEST_NOCLEAN:-}" \
    PGCOMMERCE_TEST_TMPFS="$(mount_test_tmpfs)" \
    prove -I "$pgxs_dir/src/test/perl" -I "$REPO_ROOT/test/lib" \
      --timer ${PROVE_FLAGS:-} "${files[@]}" || status=1
  umount_test_tmpfs
}

# issue 18 (test/t/932_faults_disk_full.pl): as root, a small tmpfs the
# server user may write, mounted for the TAP phase only, where the disk-full
# test puts a tablespace and fills the rest. Prints its path, or nothing
# (not root, or mount refused: the test then skips and says why).
test_tmpfs=$REPO_ROOT/tmp_check/tmpfs
mount_test_tmpfs() {
  [ "$(id -u)" -eq 0 ] || return 0
  mkdir -p "$test_tmpfs"
  mountpoint -q "$test_tmpfs" || mount -t tmpfs -o size=64m,mode=0700 tmpfs "$test_tmpfs" 2>/dev/null || return 0
  chown postgres:postgres "$test_tmpfs" && echo "$test_tmpfs"
}
umount_test_tmpfs() {
  if mountpoint -q "$test_tmpfs" 2>/dev/null; then umount "$test_tmpfs" || true; fi
}

case "$phase" in
  sql) run_sql "$@" ;;
  tap) run_tap "$@" ;;
  all) run_sql; run_tap ;;
  *) echo "usage: $0 [sql|tap|all] [files...]" >&2; exit 2 ;;
esac

if [ "$status" -ne 0 ]; then
  echo "pgcommerce: some suites failed" >&2
fi
exit "$status"
