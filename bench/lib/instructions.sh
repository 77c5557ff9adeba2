# bench/lib/instructions.sh — sourced by bench/instructions/run.sh and
# scale.sh (after scripts/common.sh, from the repository root): their
# private cluster and their instruction count.
#
# bench_instructions_cluster WORK
#   builds the extension and its private installation (pgbin), starts a
#   cluster in WORK afresh (stopped on exit), exports PGCOMMERCE_* and the
#   libpq variables, and creates the empty database bench. psql below is
#   the private installation's, stopping at the first error.
bench_instructions_cluster() {
  local work=$1
  make -s all >/dev/null
  pgbin=$(./scripts/tmp-install.sh)
  rm -rf "$work"; own_for_server "$work"
  export PGCOMMERCE_PGDATA=$work/pg PGCOMMERCE_PGBIN=$pgbin PGCOMMERCE_PGPORT=$((57000 + RANDOM % 2000))
  ./scripts/cluster.sh start >/dev/null
  trap './scripts/cluster.sh stop >/dev/null 2>&1 || true' EXIT
  eval "$(./scripts/cluster.sh env)"
  psql -d postgres -c "CREATE DATABASE bench" >/dev/null
}
psql() { "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

# instructions FILE: total instructions of a single-user backend of the
# (stopped) cluster running FILE against bench; the run's output and
# callgrind's file are kept in $work.
instructions() {
  run_as_server_user valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
    "$pgbin/postgres" --single -D "$PGCOMMERCE_PGDATA/data" bench < "$1" > "$work/single.log" 2>&1
  if grep -q 'ERROR' "$work/single.log"; then grep -m3 ERROR "$work/single.log" >&2; exit 1; fi
  sed -n 's/^summary: //p' "$work/callgrind.out"
}
