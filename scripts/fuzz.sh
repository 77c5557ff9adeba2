#!/usr/bin/env bash
# scripts/fuzz.sh — run the libFuzzer harnesses of fuzz/ (docs/reliability.md).
#   scripts/fuzz.sh [harness...]      every harness (or those named) for
#                                     FUZZ_SECONDS each (default 10)
#   FUZZ_SECONDS=3600 scripts/fuzz.sh the long run
# Each harness starts from its committed seeds (fuzz/corpus/<harness>/) plus
# what earlier runs found (tmp_check/fuzz/<harness>/corpus, never committed
# automatically). A crash, leak, timeout or out-of-memory fails the run; the
# input is left in tmp_check/fuzz/<harness>/ and named in the output. The
# gateway harnesses are executables (ASan, UBSan, LeakSanitizer per input);
# json_args is a backend module run inside `postgres --single` on a
# throwaway data directory. One summary line per harness, then a total.
# FUZZ_BIN_DIR and FUZZ_CORPUS_DIR point elsewhere (test/t/900 uses them to
# check that a broken harness fails the run); FUZZ_NO_BUILD=1 skips make;
# FUZZ_PGBIN names the PostgreSQL bin dir (default: tmp_install, built).
set -uo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO_ROOT"

seconds=${FUZZ_SECONDS:-10}
bindir=${FUZZ_BIN_DIR:-$REPO_ROOT/fuzz/bin}
seeds=${FUZZ_CORPUS_DIR:-$REPO_ROOT/fuzz/corpus}
work=${FUZZ_WORK:-$REPO_ROOT/tmp_check/fuzz}
flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)

if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
  make -s fuzz >/dev/null || { echo "fuzz: make fuzz failed" >&2; exit 1; }
fi
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in "$bindir"/*; do
    [ -x "$f" ] || [ "${f##*.}" = so ] || continue
    n=$(basename "$f"); names+=("${n%.so}")
  done
fi

total=0 failed=0
# The figures of one run from libFuzzer's output: execs, cov, ft.
figures() {
  local log=$1
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
}

# json_args: libFuzzer inside a single-user backend of tmp_install.
run_backend() {
  local dir=$1 log=$2 pgbin
  pgbin=${FUZZ_PGBIN:-$(./scripts/tmp-install.sh)} || return 1
  rm -rf "$dir/data"
  own_for_server "$dir"
  run_as_server_user "$pgbin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 \
    --locale=C --no-sync >/dev/null || return 1
  local args="'-artifact_prefix=$dir/', '$dir/corpus'"
  for f in "${flags[@]}"; do args="'$f', $args"; done
  printf "CREATE FUNCTION fuzz_json_args(text[]) RETURNS int AS '%s', 'fuzz_json_args' LANGUAGE C STRICT;\n\nSELECT fuzz_json_args(ARRAY[%s]);\n" \
    "$bindir/json_args.so" "$args" > "$dir/run.sql"
  cp -r "$seeds/json_args/." "$dir/corpus/" 2>/dev/null
  own_for_server "$dir"
  run_as_server_user "$pgbin/postgres" --single -D "$dir/data" -j postgres < "$dir/run.sql" > "$log" 2>&1 &&
    ! grep -q 'ERROR:' "$log"
}

for h in "${names[@]}"; do
  dir=$work/$h
  mkdir -p "$dir/corpus"
  rm -f "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-*
  log=$dir/run.log
  start=$(date +%s)
  if [ -f "$bindir/$h.so" ]; then
    run_backend "$dir" "$log"; rc=$?
  else
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$bindir/$h" "${flags[@]}" -artifact_prefix="$dir/" "$dir/corpus" "$seeds/$h" > "$log" 2>&1
    rc=$?
  fi
  figures "$log"
  found=$(ls "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* 2>/dev/null | wc -l)
  corpus=$( (ls "$dir/corpus"; ls "$seeds/$h" 2>/dev/null) | sort -u | wc -l)
  echo "fuzz $h: ${execs:-0} execs, cov ${cov:-0}, ft ${ft:-0}, corpus $corpus inputs, $(( $(date +%s) - start )) s, crashes $found"
  total=$((total + ${execs:-0}))
  if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ] || [ -z "${execs:-}" ]; then
    failed=$((failed + 1))
    echo "fuzz $h: FAILED (exit $rc); log $log" >&2
    ls "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* 2>/dev/null | sed 's/^/  input: /' >&2
    grep -E 'ERROR|SUMMARY|unclean|runtime error' "$log" | head -5 | sed 's/^/  /' >&2
  fi
done
echo "fuzz: ${#names[@]} harnesses, $total execs, $failed failed"
[ "$failed" -eq 0 ]
