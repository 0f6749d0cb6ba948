#!/usr/bin/env bash
# Benchmark (issue #14): the whole `bursar allocate` command on a realistic first night.
#   1. generates a deterministic 14-day history (Benchmarks/allocate_history.py generate): PROJECTS projects
#      (default 2,000, about 4,400 leaf queues; 2,730 give about 6,000, 4,550 about 10,000) with 2-6 daily
#      workflows each at a fixed hour, tiers 20/30/50% of workflows, lognormal job sizes (sigma 1), no GPUs,
#      as YuniKorn application-summary lines plus the mapping CSVs;
#   2. ingests it into a fresh SQLite store (`bursar ingest`; any reject is reported);
#   3. runs `bursar allocate --dry-run --format json` once against generous capacity to read Bursar's own
#      per-queue demand, then writes, for each share in SHARES, a clusters.yaml of 5 clusters c1..c5 in the
#      capacity ratio 2:3:4:5:6 (vcore and memory) where tier-1 demand is that share of usable capacity
#      (capacity x (1 - the policy's onboarding reserve_fraction));
#   4. times `bursar allocate` for each share on a first night (empty --out, no previous plan) and then on a
#      warm night (the next night, --night, with the first night archived in the store as its previous plan, same history);
#   5. prints the machine, the inputs and a table: wall time and peak memory (GNU time), exit code, and the
#      placement figures of the JSON report (objective, LP bound, gap, whether GLPK's branch and bound on the
#      whole MIP was used, queues, new, moved, placement and allocation seconds).
# Each allocate run is cut at TIMEOUT seconds (exit 124). Timing never fails anything; a non-zero exit is
# reported with the tail of its standard error.
#
# Environment: PROJECTS (2000), SEED (1), SHARES ("40 80"; e.g. "40 80 85"), TIMEOUT (120), POLICY
# (Queues/policy.yaml), BURSAR_BIN (a release binary built elsewhere; else one is built here), TRACE=1 (run
# allocate with BURSAR_TRACE=1 and print its phase timings), WARM_ARGS (arguments for the warm night instead of
# --night <the first night + 1 day>), KEEP=1 (keep the work folder and print its path).
set -uo pipefail
cd "$(dirname "$0")/.."
projects="${PROJECTS:-2000}"
seed="${SEED:-1}"
shares="${SHARES:-40 80}"
limit="${TIMEOUT:-120}"
policy="${POLICY:-$PWD/Queues/policy.yaml}"
weights="c1:2,c2:3,c3:4,c4:5,c5:6"
helper="$PWD/Benchmarks/allocate_history.py"
if [ -z "${BURSAR_BIN:-}" ]; then
    swift build -c release --product bursar >/dev/null || exit 1
fi
bin="${BURSAR_BIN:-$PWD/.build/release/bursar}"
work="$(mktemp -d)"
if [ "${KEEP:-0}" = 1 ]; then
    trap 'echo "work folder kept: $work"' EXIT
else
    trap 'rm -rf "$work"' EXIT
fi
store="sqlite:$work/store.sqlite"
trace_env=()
[ "${TRACE:-0}" = 1 ] && trace_env=(BURSAR_TRACE=1)

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); GLPK $(glpsol --version 2>/dev/null | head -1 | awk '{print $NF}')"
echo "binary: $bin"
echo "policy: $policy"

# 1. The history.
start=$(date +%s.%N)
python3 "$helper" generate "$work/history" --projects "$projects" --seed "$seed" --clusters "$weights" >/dev/null || exit 1
end=$(date +%s.%N)
python3 - "$work/history/manifest.json" "$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}')" "$(du -sh "$work/history" | cut -f1)" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
f = lambda n: format(n, ",")
print(f"history (seed {m['seed']}): {f(m['projects'])} projects in {m['orgs']} orgs, {f(m['workflows'])} daily workflows "
      f"(tier 1/2/3: {f(m['workflows_by_tier']['1'])}/{f(m['workflows_by_tier']['2'])}/{f(m['workflows_by_tier']['3'])}), "
      f"{f(m['leaf_queues'])} leaf queues (tier 1/2/3: {f(m['leaf_queues_by_tier']['1'])}/{f(m['leaf_queues_by_tier']['2'])}/{f(m['leaf_queues_by_tier']['3'])}), "
      f"{f(m['apps'])} applications ({f(m['failed_apps'])} failed) over {m['days']} days {m['first_day']}..{m['last_day']} "
      f"(last finish {m['last_finish']}); generated in {sys.argv[2]} s, {sys.argv[3]}")
PY

# 2. Ingest into a fresh store.
"$bin" ingest "$work/history/logs" --mappings "$work/history/mappings" --store "$store" --format json \
    >"$work/ingest.json" 2>"$work/ingest.err"
status=$?
python3 - "$work/ingest.json" "$status" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except ValueError:
    print(f"ingest: exit {sys.argv[2]}, no JSON report"); sys.exit(0)
f = lambda n: format(n, ",")
print(f"ingest: exit {sys.argv[2]}, {f(r['files'])} files, {f(r['lines'])} lines, {f(r['new_apps'])} new applications, "
      f"{f(r['duplicates'])} duplicates, {f(r['rejects'])} rejects, {f(r['unattributed'])} unattributed, {f(r['mapping_errors'])} mapping errors, {r['seconds']:.1f} s")
if r["rejects"] or r["unattributed"] or r["mapping_errors"] or r["duplicates"] or r["errors"]:
    print("ingest: WARNING: the history should ingest whole: no rejects, duplicates or errors, every application attributed")
PY
[ "$status" = 0 ] || { echo "ingest failed:"; tail -5 "$work/ingest.err"; exit 1; }

# 3. Bursar's own demand, against capacity no plan can run short of.
{
    echo "clusters:"
    for c in c1 c2 c3 c4 c5; do
        echo "  - name: $c"
        echo "    capacity: {vcore: 10000000, memory: 100000Ti}"
        echo "    labels: [general]"
    done
} >"$work/clusters-generous.yaml"
mkdir -p "$work/calibration"
start=$(date +%s.%N)
"$bin" allocate --dry-run --format json --clusters "$work/clusters-generous.yaml" --policy "$policy" \
    --out "$work/calibration/out" --report-dir "$work/calibration/report" --store "$store" \
    >"$work/calibration.json" 2>"$work/calibration.err"
status=$?
end=$(date +%s.%N)
if [ "$status" != 0 ]; then
    echo "calibration run (generous capacity) failed with exit $status:"
    tail -5 "$work/calibration.err"
    exit 1
fi
echo "calibration: allocate --dry-run against generous capacity took $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}') s"
python3 "$helper" describe --report "$work/calibration.json"
for share in $shares; do
    python3 "$helper" clusters --report "$work/calibration.json" --policy "$policy" --share "$share" \
        --weights "$weights" --out "$work/clusters-$share.yaml" || exit 1
done
echo "warm night: the night after the first one (--night), measured against it; extra arguments: ${WARM_ARGS:-none}"

# 4. The runs: first night, then a warm night on the first night's output.
rows="$work/rows.txt"
: >"$rows"
# run SHARE NIGHT OUT EXTRA...: one timed allocate; appends a table row; prints the stderr tail on failure.
run() {
    local share=$1 night=$2 out=$3
    shift 3
    local dir="$work/run-$share-$night"
    mkdir -p "$dir"
    env "${trace_env[@]}" /usr/bin/time -f "%e %M" -o "$dir/time" timeout -k 10 "$limit" \
        "$bin" allocate --format json --clusters "$work/clusters-$share.yaml" --policy "$policy" \
        --out "$out" --report-dir "$dir/report" --store "${run_store:-$store}" "$@" >"$dir/report.json" 2>"$dir/stderr"
    local status=$?
    local wall rss
    wall=$(tail -1 "$dir/time" | awk '{print $1}')
    rss=$(tail -1 "$dir/time" | awk '{printf "%.0f", $2 / 1024}')
    python3 "$helper" figures --report "$dir/report.json" --share "$share" --night "$night" --exit "$status" \
        --wall "$wall" --rss "$rss" >>"$rows"
    local note="exit $status"
    [ "$status" = 124 ] && note="exit 124 (cut at the ${limit} s timeout)"
    echo "share $share%, $night night: $note, $wall s, peak $rss MiB"
    if [ "$status" != 0 ]; then
        grep -v '^trace: ' "$dir/stderr" | tail -6 | sed 's/^/    stderr: /'
    fi
    if [ "${TRACE:-0}" = 1 ]; then
        grep '^trace: ' "$dir/stderr" | head -40 | sed 's/^/    /'
    fi
    return "$status"
}
echo
for share in $shares; do
    # Each share on its own copy of the ingested store, so one share's archived nights are not another's.
    cp "$work/store.sqlite" "$work/store-$share.sqlite"
    [ -f "$work/store.sqlite-wal" ] && cp "$work/store.sqlite-wal" "$work/store-$share.sqlite-wal"
    run_store="sqlite:$work/store-$share.sqlite"
    first="$work/out-$share-first"
    mkdir -p "$first"
    if run "$share" first "$first"; then
        # The warm night is the next night, measured against the first one (archived in the store).
        night=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("night", ""))' "$work/run-$share-first/report.json")
        warm_args=${WARM_ARGS:-}
        if [ -n "$night" ] && [ -z "${WARM_ARGS:-}" ]; then warm_args="--night $(date -u -d "$night + 1 day" +%F)"; fi
        warm="$work/out-$share-warm"
        cp -r "$first" "$warm"
        # shellcheck disable=SC2086 # a list of arguments
        run "$share" warm "$warm" $warm_args
    else
        echo "share $share%, warm night: skipped (the first night wrote no plan)"
        printf '%-6s %-6s %s\n' "$share%" warm "skipped: the first night wrote no plan" >>"$rows"
    fi
done

# 5. The table.
echo
echo "projects $projects, seed $seed, clusters c1..c5 at 2:3:4:5:6, timeout $limit s per run"
python3 "$helper" header
cat "$rows"
echo "(objective and LP bound: the placement MIP's; gap: (objective - bound) / objective as Bursar reports it;"
echo " full MIP: GLPK's branch and bound on the whole placement MIP was used; placement, alloc: seconds inside allocate)"
