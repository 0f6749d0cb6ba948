#!/usr/bin/env bash
# Benchmark (issue #16): the workflow scheduler under Spinner's stress shape (Pinterest's Airflow test), on one
# machine: WORKFLOWS workflows of JOBS jobs (chains and fan-outs up to 10 wide, `bursar bench scheduler-setup`),
# all due in the same minute; one simulated cluster with no queue configuration (no limit holds a job back),
# every job running DURATION seconds; the router (`bursar serve`) and the scheduler, all release builds.
#
# It runs the scheduler for LOAD seconds after the tick, kills it with SIGKILL under full load, restarts it and
# times the first dispatch after the restart, runs AFTER more seconds, then prints what the store holds:
# TSD1 (tick → run created), TSD2 (tick → the run's first job running on the cluster), job dispatch delay, the
# dispatch rate, the definitions' load time, the scheduler's CPU seconds and peak memory. Once per store in
# STORES ("sqlite postgres"; PostgreSQL through scripts/with-postgres.sh). Timing never fails anything.
#
# REPLICAS ("1" by default; "1 2 3" for issue #17): on PostgreSQL, the same shape with that many scheduler
# replicas sharing the store (each `--replica rN`), for LOAD seconds: dispatches/s and dispatch delay from the
# store, each replica's CPU seconds and peak memory, and the PostgreSQL round trips per dispatched job (from each
# replica's /metrics). The kill -9 and restart is measured with one replica only. SQLite runs one replica.
set -euo pipefail
cd "$(dirname "$0")/.."
workflows="${WORKFLOWS:-3000}"
jobs="${JOBS:-200}"
load="${LOAD:-60}"
after="${AFTER:-20}"
duration="${DURATION:-2}"
width="${WIDTH:-64}"
stores="${STORES:-sqlite postgres}"
replica_counts="${REPLICAS:-1}"
if [ -z "${BURSAR_BIN:-}" ]; then
    swift build -c release --product bursar >/dev/null
fi
bin="${BURSAR_BIN:-$PWD/.build/release/bursar}"
export BURSAR_BIN="$bin"

if [[ " $stores " == *" postgres "* ]] && [ -z "${BURSAR_TEST_POSTGRES_URL:-}" ]; then
    exec bash scripts/with-postgres.sh bash "$0"
fi

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "input: $workflows workflows × $jobs jobs, all due in one minute; jobs run $duration s on one simulated cluster; load $load s, then kill -9 and restart, then $after s"

# The scheduler's CPU seconds (user + system) and peak memory, from /proc, while it runs.
cpu_of() { awk '{printf "%.1f", ($14 + $15) / 100}' "/proc/$1/stat"; }
peak_of() { awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$1/status"; }

run_one() {
    local kind="$1" replicas="$2" work store
    work="$(mktemp -d)"
    local pids=()
    trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"' RETURN
    if [ "$kind" = sqlite ]; then
        store="sqlite:$work/store.sqlite"
    else
        local db="bursar_bench_$$_$RANDOM"
        psql "$BURSAR_TEST_POSTGRES_URL" -qc "CREATE DATABASE $db" >/dev/null
        store="${BURSAR_TEST_POSTGRES_URL%/*}/$db"
    fi
    echo
    echo "== store: $kind, $replicas scheduler replica(s)"
    # The tick: the next minute that leaves at least 20 s to start everything.
    local tick_epoch=$(( ( $(date +%s) + 20 + 59 ) / 60 * 60 ))
    local tick; tick="$(date -u -d "@$tick_epoch" +%Y-%m-%dT%H:%M)"
    "$bin" bench scheduler-setup --workflows "$workflows" --jobs "$jobs" --at "$tick" --out "$work"
    "$bin" ingest --mappings "$work/mappings" --store "$store" > /dev/null

    mkfifo "$work/sim.stdin"
    "$bin" simcluster --cluster bench --port 0 --log-file "$work/yunikorn.log" --default-duration "$duration" \
        --exit-on-stdin-eof < "$work/sim.stdin" > "$work/sim.out" 2> "$work/sim.err" &
    pids+=($!)
    exec {holder}> "$work/sim.stdin"
    for _ in $(seq 100); do grep -q port "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
    local port; port=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['port'])" "$work/sim.out")
    printf 'clusters:\n  - name: bench\n    capacity: {vcore: 1000000, memory: 4000Ti}\n    labels: [general]\n    kubernetes: {server: "http://127.0.0.1:%s"}\n' "$port" > "$work/clusters.yaml"
    "$bin" token new --principal scheduler --admin --file "$work/tokens.yaml" 2> "$work/token" > /dev/null
    "$bin" serve --port 0 --tokens "$work/tokens.yaml" --clusters "$work/clusters.yaml" --queues "$work/Queues" --store "$store" \
        --probe-interval 0 > "$work/router.out" 2> "$work/router.err" &
    pids+=($!)
    for _ in $(seq 200); do grep -qo 'listening on 127.0.0.1:[0-9]*' "$work/router.err" 2>/dev/null && break; sleep 0.1; done
    local router; router="http://$(grep -o '127.0.0.1:[0-9]*' "$work/router.err" | head -1)"
    if [ "$router" = "http://" ]; then echo "the router did not start:"; cat "$work/router.err"; return 1; fi

    local scheduler_args=(scheduler run --pipelines "$work/Pipelines" --store "$store" --server "$router" --token "$(cat "$work/token")"
        --clusters "$work/clusters.yaml" --no-builtin-steps --interval 0.2 --max-in-flight 1000000 --max-per-queue 1000000 --dispatch-width "$width")
    if [ "$replicas" -gt 1 ]; then
        local replica_pids=() r
        for r in $(seq "$replicas"); do
            "$bin" "${scheduler_args[@]}" --replica "r$r" --metrics-port 0 > "$work/scheduler-r$r.out" 2> "$work/scheduler-r$r.err" &
            replica_pids+=($!)
            pids+=($!)
        done
        local until=$(( tick_epoch + load ))
        while [ "$(date +%s)" -lt "$until" ]; do sleep 1; done
        local trips=0 dispatched
        for r in $(seq "$replicas"); do
            local pid="${replica_pids[$((r - 1))]}" url count
            url="$(grep -o 'http://[0-9.:]*/metrics' "$work/scheduler-r$r.out" | head -1)"
            count="$(curl -s "$url" | awk '/^bursar_store_round_trips_total / {print $2}')"
            trips=$(( trips + ${count%.*} ))
            echo "replica r$r: $(cpu_of "$pid") CPU seconds, peak memory $(peak_of "$pid"), $(curl -s "$url" | awk '/^bursar_scheduler_leases_held / {print $2}') workflow leases, ${count%.*} PostgreSQL round trips"
        done
        dispatched="$(psql "$store" -Atc "SELECT COUNT(*) FROM wf_jobs WHERE app_id IS NOT NULL")"
        echo "jobs dispatched: $dispatched; PostgreSQL round trips per dispatched job (all replicas): $(awk -v t="$trips" -v d="$dispatched" 'BEGIN {printf "%.2f", (d > 0 ? t / d : 0)}')"
        grep -h "took over" "$work"/scheduler-r*.out | head -3 || true
        "$bin" bench scheduler-figures --store "$store" --since "$tick"
        return 0
    fi
    "$bin" "${scheduler_args[@]}" --metrics-port 0 > "$work/scheduler.out" 2> "$work/scheduler.err" &
    local scheduler=$!
    pids+=($scheduler)
    local until=$(( tick_epoch + load ))
    while [ "$(date +%s)" -lt "$until" ]; do sleep 1; done
    if [ "$kind" = postgres ]; then
        local url count dispatched
        url="$(grep -o 'http://[0-9.:]*/metrics' "$work/scheduler.out" | head -1)"
        count="$(curl -s "$url" | awk '/^bursar_store_round_trips_total / {print $2}')"
        dispatched="$(psql "$store" -Atc "SELECT COUNT(*) FROM wf_jobs WHERE app_id IS NOT NULL")"
        echo "jobs dispatched: $dispatched; PostgreSQL round trips per dispatched job: $(awk -v t="${count%.*}" -v d="$dispatched" 'BEGIN {printf "%.2f", (d > 0 ? t / d : 0)}')"
    fi
    local cpu peak; cpu="$(cpu_of $scheduler)"; peak="$(peak_of $scheduler)"
    grep -m1 "loaded" "$work/scheduler.out" | sed 's/^scheduler: /definitions: /'
    echo "scheduler after $load s under load: $cpu CPU seconds, peak memory $peak"
    "$bin" bench scheduler-figures --store "$store" --since "$tick"

    kill -9 "$scheduler"
    wait "$scheduler" 2>/dev/null || true
    local restart_ms; restart_ms=$(date +%s%3N)
    "$bin" "${scheduler_args[@]}" > "$work/scheduler2.out" 2> "$work/scheduler2.err" &
    scheduler=$!
    pids+=($scheduler)
    sleep "$after"
    echo "after kill -9 and restart ($after s):"
    "$bin" bench scheduler-figures --store "$store" --since "$tick" --restart-at "$restart_ms" | grep -E "restart|dispatches|jobs by state"
    grep -m1 "loaded" "$work/scheduler2.out" | sed 's/^scheduler: /definitions after the restart: /'
    grep -c "dispatch failed" "$work/scheduler.err" "$work/scheduler2.err" | sed 's/^/dispatch failures logged: /' || true
}

for kind in $stores; do
    for replicas in $replica_counts; do
        if [ "$kind" = sqlite ] && [ "$replicas" -gt 1 ]; then continue; fi  # one scheduler per SQLite file
        run_one "$kind" "$replicas"
    done
done
