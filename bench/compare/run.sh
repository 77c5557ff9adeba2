#!/usr/bin/env bash
# bench/compare/run.sh — one benchmark of this checkout against another
# commit, side by side on the same machine: the base commit is checked out
# in tmp_check/compare-base (a git worktree), given this checkout's copy of
# the benchmark's scripts (so only the code under test differs), and the
# two sides run alternately, PAIRS times, each run starting its own cluster.
# Alternating pairs put both sides under the same background load; compare
# them as ratios of the same pair. Every other variable (DURATION, ROUNDS,
# CLIENTS, SKIP_LARGE, ...) goes through to the benchmark.
#   BASE=4a6ee02 BENCH=place_order PAIRS=3 SKIP_LARGE=1 bench/compare/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
base=${BASE:?set BASE to the commit to compare with}
bench=${BENCH:-place_order}
pairs=${PAIRS:-2}
[ -x "bench/$bench/run.sh" ] || { echo "bench/compare: no bench/$bench/run.sh" >&2; exit 1; }
wt=$PWD/tmp_check/compare-base
if [ ! -d "$wt" ] || [ "$(git -C "$wt" rev-parse HEAD)" != "$(git rev-parse "$base^{commit}")" ]; then
  git worktree remove --force "$wt" 2>/dev/null || rm -rf "$wt"
  git worktree prune
  mkdir -p "$(dirname "$wt")"
  git worktree add --detach "$wt" "$base" >/dev/null
fi
rm -rf "$wt/bench/$bench"
cp -r "bench/$bench" "$wt/bench/$bench"
# the fixtures' shared SQL (bench/lib), as this checkout has it
if [ -d bench/lib ]; then rm -rf "$wt/bench/lib"; cp -r bench/lib "$wt/bench/lib"; fi
echo "# bench/$bench: base $(git -C "$wt" rev-parse --short HEAD) vs head $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes'), $pairs pairs"
for pair in $(seq 1 "$pairs"); do
  for side in base head; do
    dir=$PWD
    [ "$side" = base ] && dir=$wt
    echo "## pair $pair, $side"
    (cd "$dir" && "./bench/$bench/run.sh") 2>&1 | sed "s/^/$side  /"
  done
done
