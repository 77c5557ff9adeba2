#!/usr/bin/env bash
# bench/place_order/plugins.sh — issue 14's "bench/place_order with the
# example plugin enabled and a no-op order.before_place hook: >= 0.9 of the
# rate without plugins", on one commit: PAIRS pairs of bench/place_order
# runs, PLUGINS=0 and PLUGINS=1 alternating (the order flips every pair,
# ABBA, so a drift of the machine's load hits both sides alike), the empty
# database only, one round each. Prints every run's checkout rate, its
# plain-SQL baseline (the same cluster and minute, no extension code: a
# gauge of the machine's speed at that moment) and the load average, then
# per client count the ratio with/without plugins of the summed rates and
# of the extension/baseline ratios. Results go to docs/benchmarks.md by hand.
#
# Environment: PAIRS (3), DURATION (20), CLIENTS ("1 8"), BENCH_TENANTS (16).
set -euo pipefail
source "$(dirname "$0")/../../scripts/common.sh"
cd "$REPO_ROOT"
PAIRS=${PAIRS:-3}
export DURATION=${DURATION:-20} CLIENTS=${CLIENTS:-"1 8"} SKIP_LARGE=1 ROUNDS=1
out=$REPO_ROOT/tmp_check/bench-place-order-plugins
mkdir -p "$out"
rm -f "$out"/run-*.txt

n=0
for pair in $(seq 1 "$PAIRS"); do
  if [ $((pair % 2)) = 1 ]; then order="0 1"; else order="1 0"; fi
  for p in $order; do
    n=$((n + 1))
    # KEEP=1 after the first run: the cluster is reused, bench_empty is
    # always loaded afresh (run.sh drops and re-creates it).
    KEEP=$([ "$n" = 1 ] && echo 0 || echo 1) PLUGINS=$p bench/place_order/run.sh >"$out/run-$n-p$p.txt"
    la=$(cut -d' ' -f1 /proc/loadavg)
    for c in $CLIENTS; do
      e=$(sed -n "s/^round 1  empty extension c$c *$c clients *\([0-9.]*\) tps.*/\1/p" "$out/run-$n-p$p.txt")
      b=$(sed -n "s/^round 1  empty baseline c$c *$c clients *\([0-9.]*\) tps.*/\1/p" "$out/run-$n-p$p.txt")
      echo "run $n plugins $p c=$c extension $e baseline $b load $la"
    done
  done
done | tee "$out/summary.txt"

echo "# $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes'), $(date -u +%FT%TZ), $PAIRS pairs x $DURATION s"
for c in $CLIENTS; do
  awk -v c="c=$c" '$5 == c {
      s[$4] += $7; r[$4] += $7 / $9; n[$4]++ }
    END {
      printf "%s  plugins/none: rate %.3f (means %.1f / %.1f tps)   extension/baseline %.3f / %.3f = %.3f\n",
        c, s[1] / s[0], s[1] / n[1], s[0] / n[0], r[1] / n[1], r[0] / n[0], (r[1] / n[1]) / (r[0] / n[0]) }' \
    "$out/summary.txt"
done
