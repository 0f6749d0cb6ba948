#!/usr/bin/env bash
# The scheduler's closed loop on one machine, on the bundled sample (issue #16):
#   scheduler → router → simulated clusters → summary logs → bursar ingest → bursar slo report,
# then the report's verdict on each run is compared with the scheduler's own record.
#
# Everything lives in DEMO (default .bursar/demo, started afresh): its own store, two simulated clusters
# (moka-a, moka-b) with the sample's night deployed as their queue configuration, a router, and the scheduler
# running RUNS manual runs of each workflow in Examples/demo/Pipelines until they end.
# BURSAR_BIN: the bursar binary (default .build/debug/bursar); STORE: the store (default sqlite:DEMO/store.sqlite;
# a postgres:// URL works alike). Exits 1 when the report and the scheduler disagree on any run.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BURSAR_BIN:-$PWD/.build/debug/bursar}"
demo="${DEMO:-.bursar/demo}"
runs="${RUNS:-4}"
store="${STORE:-sqlite:$demo/store.sqlite}"
rm -rf "$demo"
mkdir -p "$demo/logs"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "1. the sample's night: ingest, plan every queue, write Queues/"
"$bin" nightly --store "$store" --out "$demo/Queues" --report-dir "$demo/report" | tail -2

step "2. two simulated clusters (Kubernetes API on loopback; each job runs 3 s; 15% of attempts fail)"
registry="$demo/clusters.yaml"
printf 'clusters:\n' > "$registry"
for cluster in moka-a moka-b; do
    mkdir -p "$demo/logs/$cluster"
    fifo="$demo/$cluster.stdin"; mkfifo "$fifo"
    "$bin" simcluster --cluster "$cluster" --port 0 --log-file "$demo/logs/$cluster/yunikorn.log" --failure-share 0.15 \
        --seed 16 --default-duration 3 --exit-on-stdin-eof < "$fifo" > "$demo/$cluster.out" 2> "$demo/$cluster.err" &
    pids+=($!)
    exec {holder}> "$fifo"   # keeps the simulator's standard input open until this script ends
    for _ in $(seq 100); do grep -q port "$demo/$cluster.out" 2>/dev/null && break; sleep 0.1; done
    port=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['port'])" "$demo/$cluster.out")
    echo "$cluster: http://127.0.0.1:$port"
    python3 - "$cluster" "$port" >> "$registry" <<'PY'
import sys
capacity = {"moka-a": "{vcore: 4000, memory: 16Ti, nvidia.com/gpu: 64}", "moka-b": "{vcore: 2000, memory: 8Ti}"}[sys.argv[1]]
print(f"  - name: {sys.argv[1]}\n    capacity: {capacity}\n    labels: [general]\n    kubernetes: {{server: \"http://127.0.0.1:{sys.argv[2]}\"}}")
PY
done

step "3. deploy the night's queue configuration to both (YuniKorn's max and maxapplications hold jobs back there)"
"$bin" deploy moka-a moka-b --clusters "$registry" --queues "$demo/Queues" --store "$store" | tail -3

step "4. the router, with a token for the scheduler"
"$bin" token new --principal scheduler --team payments-core --team search-relevance --admin --file "$demo/tokens.yaml" 2> "$demo/token" > /dev/null
"$bin" serve --port 0 --tokens "$demo/tokens.yaml" --clusters "$registry" --queues "$demo/Queues" --store "$store" \
    --probe-interval 0 > "$demo/router.out" 2> "$demo/router.err" &
pids+=($!)
for _ in $(seq 200); do grep -qo 'listening on 127.0.0.1:[0-9]*' "$demo/router.err" 2>/dev/null && break; sleep 0.1; done
router="http://$(grep -o '127.0.0.1:[0-9]*' "$demo/router.err" | head -1)"
echo "router: $router"

step "5. $runs manual runs of each workflow in Examples/demo/Pipelines, then the scheduler until they end"
for workflow in $(ls Examples/demo/Pipelines | sed 's/\.yaml$//'); do
    for _ in $(seq "$runs"); do "$bin" trigger "$workflow" --pipelines Examples/demo/Pipelines --store "$store" > /dev/null; sleep 0.01; done
done
"$bin" scheduler run --pipelines Examples/demo/Pipelines --store "$store" --server "$router" --token "$(cat "$demo/token")" \
    --clusters "$registry" --until-idle --interval 0.5 --no-builtin-steps | grep -v "^scheduler: 0 workflows" | tail -4

step "6. the clusters' summary logs ingested, and the SLO report"
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=()
"$bin" ingest "$demo/logs" --store "$store" | tail -1
"$bin" slo report --store "$store" | head -12

step "7. the report against the scheduler's own record"
"$bin" slo check-scheduler --store "$store"
