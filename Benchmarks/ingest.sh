#!/usr/bin/env bash
# Benchmark (issue #3): LINES summary lines of mixed shapes (YuniKorn >= 1.5, 1.3/1.4 JSON, Fluent Bit
# records, YARN; with noise and malformed lines) from `bursar synth`, through parse, attribute and store:
#   1. bursar ingest into a fresh SQLite store (the embedded default): the full job (logs and mapping files)
#      and DuckDB's job (the logs alone),
#   2. DuckDB doing the equivalent parse, dedupe and per-queue aggregation on the same files,
#   3. bursar ingest into a fresh PostgreSQL database (a throwaway server on loopback).
#   4. the floor: the same rows written through the SQLite C API alone (Benchmarks/sqlite_floor.c).
# Prints the machine, the input and each figure (wall time of the whole process, MB/s over the log bytes)
# and the ratio. Timing never fails anything.
set -euo pipefail
cd "$(dirname "$0")/.."
lines="${LINES:-1000000}"
runs="${RUNS:-3}"
# BURSAR_BIN: a release binary built elsewhere (e.g. with --scratch-path); else one is built here.
if [ -z "${BURSAR_BIN:-}" ]; then
    swift build -c release --product bursar >/dev/null
fi
bin="${BURSAR_BIN:-$PWD/.build/release/bursar}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
"$bin" synth "$work/data" --lines "$lines" >"$work/synth.txt"
sed 's/^/synth: /' "$work/synth.txt"
bytes=$(find "$work/data/logs" "$work/data/yarn" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "input: $lines summary lines requested, $(find "$work/data/logs" "$work/data/yarn" -type f | wc -l) files, $bytes bytes of logs"

now() { date +%s%N; }
best() { sort -n | head -1; }

run_bursar() {  # $1 = store URL, then any extra arguments; prints wall seconds
    local start end store="$1"
    shift
    # Earlier writes (synth's 953 MB, the last run's store) are flushed first, not billed to this run.
    sync
    start=$(now)
    "$bin" ingest "$work/data/logs" "$work/data/yarn" "$@" --store "$store" --format json >"$work/last.json"
    end=$(now)
    awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f\n", (b - a) / 1e9}'
}

# The full job: logs and the mapping files (attribution through job_apps, workflow runs, job_apps stored).
sqlite_times=()
for i in $(seq "$runs"); do
    rm -f "$work"/bench.sqlite*
    sqlite_times+=("$(run_bursar "sqlite:$work/bench.sqlite" --mappings "$work/data/mappings")")
done
sqlite=$(printf '%s\n' "${sqlite_times[@]}" | best)
echo "bursar ingest, SQLite, logs + mappings: runs ${sqlite_times[*]} s; counts $(tr -d ' \n' <"$work/last.json" | sed 's/"errors":\[\],//')"

# DuckDB's job: the same log files parsed, de-duplicated and aggregated per queue and hour, no mapping files.
logs_times=()
for i in $(seq "$runs"); do
    rm -f "$work"/bench.sqlite*
    logs_times+=("$(run_bursar "sqlite:$work/bench.sqlite")")
done
logs=$(printf '%s\n' "${logs_times[@]}" | best)
echo "bursar ingest, SQLite, logs only: runs ${logs_times[*]} s; counts $(tr -d ' \n' <"$work/last.json" | sed 's/"errors":\[\],//')"

duck_times=()
for i in $(seq "$runs"); do
    rm -f "$work"/bench.duckdb*
    sync
    python3 Benchmarks/duckdb_ingest.py "$work/data" --db "$work/bench.duckdb" >"$work/duck.json"
    duck_times+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' "$work/duck.json")")
done
duck=$(printf '%s\n' "${duck_times[@]}" | best)
echo "duckdb $(python3 -c 'import duckdb; print(duckdb.__version__)'): runs ${duck_times[*]} s; $(cat "$work/duck.json")"

pg=$(BIN="$bin" WORK="$work" bash scripts/with-postgres.sh bash -c '
    sync
    start=$(date +%s%N)
    "$BIN" ingest "$WORK/data/logs" "$WORK/data/yarn" --mappings "$WORK/data/mappings" --store "$BURSAR_TEST_POSTGRES_URL" --format json >"$WORK/pg.json"
    end=$(date +%s%N)
    awk -v a="$start" -v b="$end" "BEGIN {printf \"%.3f\\n\", (b - a) / 1e9}"' 2>/dev/null | tail -1)

# The floor: the same rows written with SQLite's C API alone (no parsing, no Swift), one thread.
floor=""
if command -v cc >/dev/null; then
    cc -O2 -o "$work/sqlite_floor" Benchmarks/sqlite_floor.c -lsqlite3
    "$work/sqlite_floor" "$work/floor.sqlite" | tee "$work/floor.txt" | sed 's/^/sqlite floor: /'
    floor=$(awk '/total/ {print $2}' "$work/floor.txt")
fi

mbs() { awk -v b="$bytes" -v s="$1" 'BEGIN {printf "%.1f", b / 1e6 / s}'; }
echo
echo "result ($lines lines, $(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e6}') MB; best of $runs):"
echo "  bursar ingest -> SQLite, logs + mappings  $sqlite s  $(mbs "$sqlite") MB/s   (the full job; target >= 200 MB/s)"
echo "  bursar ingest -> SQLite, logs only        $logs s  $(mbs "$logs") MB/s   (DuckDB's job)"
echo "  duckdb parse + aggregate, logs only       $duck s  $(mbs "$duck") MB/s"
echo "  ratio duckdb / bursar, same job           $(awk -v d="$duck" -v s="$logs" 'BEGIN {printf "%.2f", d / s}')x"
echo "  bursar ingest -> PostgreSQL, logs + mappings  $pg s  $(mbs "$pg") MB/s   (one run)"
if [ -n "$floor" ]; then
    echo "  SQLite floor (C, the full job's rows only)  $floor s  $(mbs "$floor") MB/s   (the rows alone; 200 MB/s is $(awk -v b="$bytes" 'BEGIN {printf "%.2f", b / 200e6}') s)"
fi
