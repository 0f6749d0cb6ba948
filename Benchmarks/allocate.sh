#!/usr/bin/env bash
# Benchmark (issues #4 and #14): the nightly allocation on generated platforms (`bursar bench allocate`),
# 5,000 leaf queues over 5 clusters and 10,000 over 10, in four shapes:
#   warm:        three resources (vcore, memory, nvidia.com/gpu), a tenth of the projects on GPUs, a tenth of
#                the queues new, one cluster crowded last night, pins;
#   first:       the same with no previous plan (every queue new);
#   peaky-first: issue #14's reporter's shape (2-6 daily workflows per project at fixed hours, tiers
#                20/30/50%, lognormal sizes, no GPUs, capacity 2:3:4:5:6), no previous plan, tier-1 demand and
#                tier-3 floors 85% of usable capacity (tight);
#   peaky-warm:  the same, tight, with last night's plan.
# SHAPES picks some (default all four).
#   1. bursar (release build): placement MIP (column generation + LP rounding + local search, GLPK) and
#      the allocation LPs (GLPK), best of RUNS;
#   2. the same models exported (--export-lp) and solved by HiGHS (highspy), which also checks that our
#      allocation equals HiGHS's optimum to 1e-6 and that our placement is within 0.5% of optimal;
#   3. with BASELINE=1, GLPK's glpsol on the whole placement MIP as one model (the straightforward way).
# Prints the machine, the inputs and every figure. Timing never fails anything.
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-3}"
highs_limit="${HIGHS_TIME_LIMIT:-120}"
# BURSAR_BIN: a release binary built elsewhere (e.g. with --scratch-path); else one is built here.
if [ -z "${BURSAR_BIN:-}" ]; then
    swift build -c release --product bursar >/dev/null || exit 1
fi
bin="${BURSAR_BIN:-$PWD/.build/release/bursar}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); GLPK $(glpsol --version | head -1 | awk '{print $NF}'), HiGHS $(python3 -c 'import importlib.metadata as m; print(m.version("highspy"))' 2>/dev/null || echo 'not installed')"
shape_flags() {
    case "$1" in
        warm) echo "" ;;
        first) echo "--first-night" ;;
        peaky-first) echo "--peaky --first-night --hard-share 0.85" ;;
        peaky-warm) echo "--peaky --hard-share 0.85" ;;
        *) echo "unknown shape $1" >&2; exit 2 ;;
    esac
}
for size in "5000 5" "10000 10"; do
  set -- $size
  queues=$1 clusters=$2
  for shape in ${SHAPES:-warm first peaky-first peaky-warm}; do
    flags=$(shape_flags "$shape")
    case_dir="$work/$queues-$shape"
    echo
    echo "== $queues leaf queues, $clusters clusters, $shape ($flags) =="
    # shellcheck disable=SC2086
    "$bin" bench allocate --queues "$queues" --clusters "$clusters" --runs "$runs" $flags | grep -v '^machine'
    # shellcheck disable=SC2086
    "$bin" bench allocate --queues "$queues" --clusters "$clusters" --runs 1 $flags --export-lp "$case_dir" >/dev/null
    echo "exported: $(ls "$case_dir" | grep -c '\.lp$') LP files ($(du -sh "$case_dir" | cut -f1))"
    if python3 -c 'import highspy' 2>/dev/null; then
        python3 Benchmarks/highs_check.py "$case_dir" --time-limit "$highs_limit" >"$case_dir.json"
        status=$?
        python3 - "$case_dir.json" "$status" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p, a = r["placement"], r["allocation"]
print(f"HiGHS {r['highs_version']} on the placement MIP: {p['highs_seconds']} s ({p['highs_status']}), objective {p['highs_objective']:.6g}, bound {p['highs_bound']:.6g}")
print(f"  bursar placement objective {p['bursar_objective']:.6g} = HiGHS x {p['bursar_over_highs']:.5f}; proven within {100 * p['proven_gap']:.3f}% of optimal (target 0.5%)")
print(f"HiGHS on the {a['lps']} allocation LPs: {a['highs_seconds']} s (bursar's GLPK: {a['bursar_glpk_seconds']} s); largest difference {max(a['worst_objective_difference'], a['worst_value_difference']):.1e} (limit 1e-6)")
print("checks: " + ("all passed" if not r["failures"] else "FAILED: " + "; ".join(r["failures"])))
PY
    else
        echo "HiGHS: highspy not installed (bash scripts/setup.sh installs it); skipped"
    fi
    if [ "${BASELINE:-0}" = 1 ]; then
        start=$(date +%s.%N)
        glpsol --lp "$case_dir/placement.lp" --mipgap 0.005 --tmlim "${BASELINE_LIMIT:-300}" >"$case_dir-glpk.txt" 2>&1
        end=$(date +%s.%N)
        echo "baseline: glpsol on the whole placement MIP: $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}') s; $(grep -E 'SOLUTION|TIME LIMIT|GAP' "$case_dir-glpk.txt" | tail -1)"
    fi
  done
done
