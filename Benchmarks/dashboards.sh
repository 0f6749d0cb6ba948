#!/usr/bin/env bash
# Benchmark (issue #18): the dashboards at platform scale. A history of QUEUES leaf queues on CLUSTERS clusters and
# WORKFLOWS daily workflows of three jobs over DAYS days (Benchmarks/dashboards_history.py: YuniKorn summary lines,
# the mappings, and a plan archived for every night), ingested with `bursar ingest` into an SQLite store; then
#   1. `bursar dashboards export` of every view reachable from the overview: time, views, bytes, largest page; then
#      `bursar bench export-floor`: the same files written again with nothing rendered (this machine's floor);
#   2. `bursar serve` on that store: the first page (which waits for the snapshot read), then REQUESTS requests of
#      each kind of page, timed by curl on loopback: p50, p95 and max milliseconds and the page's size.
# Release build. Timing never fails anything.
set -euo pipefail
cd "$(dirname "$0")/.."
queues="${QUEUES:-5000}"
workflows="${WORKFLOWS:-3000}"
days="${DAYS:-30}"
clusters="${CLUSTERS:-4}"
requests="${REQUESTS:-20}"
if [ -z "${BURSAR_BIN:-}" ]; then
    swift build -c release --product bursar >/dev/null
fi
bin="${BURSAR_BIN:-$PWD/.build/release/bursar}"
work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
python3 Benchmarks/dashboards_history.py "$work/history" --queues "$queues" --workflows "$workflows" --days "$days" --clusters "$clusters"
store="sqlite:$work/store.sqlite"
start=$(date +%s.%N)
"$bin" ingest "$work/history/logs" --mappings "$work/history/mappings" --store "$store" >/dev/null
echo "ingest: $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}') s"
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read())' \
    "$work/store.sqlite" "$work/history/plans.sql"
echo "store: $(du -h "$work/store.sqlite" | cut -f1)"

echo "== export"
BURSAR_TRACE=1 /usr/bin/time -f "export: %e s wall, %U s user, %S s system, %M KB peak" "$bin" dashboards export "$work/export" --store "$store" \
    2>&1 | tee "$work/export.out"
echo "pages over 2 MB: $(find "$work/export" -name '*.html' -size +2048k | wc -l)"
# The floor under the export on this machine: its files written again with nothing rendered, and the CPU the
# store read and that writing leave for rendering under the 10 s target.
"$bin" bench export-floor "$work/export" --store-read-cpu "$(sed -n 's/^trace: store read: .* s wall, \([0-9.]*\) s CPU$/\1/p' "$work/export.out")"

echo "== served by bursar serve"
hash=$(echo bench-token | "$bin" token hash)
printf 'principals:\n  - name: bench\n    teams: []\n    roles: [submitter]\n    token_sha256: %s\n' "$hash" >"$work/tokens.yaml"
printf 'clusters:\n' >"$work/clusters.yaml"
for c in $(seq 0 $((clusters - 1))); do printf '  - name: c%s\n    capacity: {vcore: 100000, memory: 400Ti}\n' "$c" >>"$work/clusters.yaml"; done
mkdir -p "$work/Queues"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --port "$port" --store "$store" --tokens "$work/tokens.yaml" --clusters "$work/clusters.yaml" --queues "$work/Queues" \
    --dry-run --log-level warning 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
base="http://127.0.0.1:$port/dashboards"
first=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer bench-token" "$base/")
echo "first page (waits for the snapshot read): $(awk -v t="$first" 'BEGIN {printf "%.0f", t * 1000}') ms"
# A workflow, a queue, an org and a cluster that exist, from the export's file names.
workflow=$(ls "$work/export" | sed -n 's/^workflow~name=\(.*\)\.html$/\1/p' | head -1 || true)
org=$(ls "$work/export" | sed -n 's/^queues~org=\([^~]*\)\.html$/\1/p' | head -1 || true)
queue_query=$(ls "$work/export" | sed -n 's/^queue~\(.*\)\.html$/\1/p' | head -1 | sed 's/~/\&/g' || true)
pages=("overview" "slo" "slo?page=2" "slo?tier=2" "slo?tier=1&days=7" "workflow?name=$workflow" "queues" "queues?page=2"
       "queues?org=${org:-org000}" "queues?state=borrowing" "${queue_query:+queue?$queue_query}" "allocation" "allocation?page=2"
       "router" "router?days=14")
printf '%-42s %8s %8s %8s %10s\n' page p50_ms p95_ms max_ms bytes
for page in "${pages[@]}"; do
    [ -z "$page" ] && continue
    times=()
    size=0
    for _ in $(seq "$requests"); do
        read -r t s code < <(curl -s -o /dev/null -w '%{time_total} %{size_download} %{http_code}\n' -H "Authorization: Bearer bench-token" "$base/$page")
        if [ "$code" != 200 ]; then echo "$page: HTTP $code"; break; fi
        times+=("$t")
        size=$s
    done
    [ "${#times[@]}" -eq 0 ] && continue
    printf '%s\n' "${times[@]}" | sort -n | awk -v page="$page" -v size="$size" '
        { v[NR] = $1 * 1000 }
        END { p50 = v[int((NR + 1) / 2)]; i = int(NR * 0.95 + 0.999); if (i > NR) i = NR;
              printf "%-42s %8.1f %8.1f %8.1f %10d\n", substr(page, 1, 42), p50, v[i], v[NR], size }'
done
echo "router: $(ps -o rss= -p "$server" | awk '{printf "%.0f MB", $1 / 1024}') resident after the pages"
