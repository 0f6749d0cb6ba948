#!/usr/bin/env bash
# Benchmark (issue #3): LINES summary lines of mixed shapes (YuniKorn >= 1.5, 1.3/1.4 JSON, Fluent Bit
# records, YARN; with noise and malformed lines) from `bursar synth`, through parse, attribute and store:
#   1. bursar ingest into a fresh SQLite store (the embedded default),
#   2. DuckDB doing the equivalent parse, dedupe and per-queue aggregation on the same files,
#   3. bursar ingest into a fresh PostgreSQL database (a throwaway server on loopback).
# Prints the machine, the input and each figure (wall time of the whole process, MB/s over the log bytes)
# and the ratio. Timing never fails anything.
set -euo pipefail
cd "$(dirname "$0")/.."
lines="${LINES:-1000000}"
runs="${RUNS:-3}"
swift build -c release --product bursar >/dev/null
bin="$PWD/.build/release/bursar"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
"$bin" synth "$work/data" --lines "$lines" >"$work/synth.txt"
sed 's/^/synth: /' "$work/synth.txt"
bytes=$(find "$work/data/logs" "$work/data/yarn" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "input: $lines summary lines requested, $(find "$work/data/logs" "$work/data/yarn" -type f | wc -l) files, $bytes bytes of logs"

now() { date +%s%N; }
best() { sort -n | head -1; }

run_bursar() {  # $1 = store URL; prints wall seconds
    local start end
    start=$(now)
    "$bin" ingest "$work/data/logs" "$work/data/yarn" --mappings "$work/data/mappings" --store "$1" --format json >"$work/last.json"
    end=$(now)
    awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f\n", (b - a) / 1e9}'
}

sqlite_times=()
for i in $(seq "$runs"); do
    rm -f "$work"/bench.sqlite*
    sqlite_times+=("$(run_bursar "sqlite:$work/bench.sqlite")")
done
sqlite=$(printf '%s\n' "${sqlite_times[@]}" | best)
echo "bursar ingest, SQLite: runs ${sqlite_times[*]} s; counts $(tr -d ' \n' <"$work/last.json" | sed 's/"errors":\[\],//')"

duck_times=()
for i in $(seq "$runs"); do
    rm -f "$work"/bench.duckdb*
    python3 Benchmarks/duckdb_ingest.py "$work/data" --db "$work/bench.duckdb" >"$work/duck.json"
    duck_times+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' "$work/duck.json")")
done
duck=$(printf '%s\n' "${duck_times[@]}" | best)
echo "duckdb $(python3 -c 'import duckdb; print(duckdb.__version__)'): runs ${duck_times[*]} s; $(cat "$work/duck.json")"

pg=$(BIN="$bin" WORK="$work" bash scripts/with-postgres.sh bash -c '
    start=$(date +%s%N)
    "$BIN" ingest "$WORK/data/logs" "$WORK/data/yarn" --mappings "$WORK/data/mappings" --store "$BURSAR_TEST_POSTGRES_URL" --format json >"$WORK/pg.json"
    end=$(date +%s%N)
    awk -v a="$start" -v b="$end" "BEGIN {printf \"%.3f\\n\", (b - a) / 1e9}"' 2>/dev/null | tail -1)

mbs() { awk -v b="$bytes" -v s="$1" 'BEGIN {printf "%.1f", b / 1e6 / s}'; }
echo
echo "result ($lines lines, $(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e6}') MB; best of $runs):"
echo "  bursar ingest -> SQLite      $sqlite s  $(mbs "$sqlite") MB/s   (target >= 200 MB/s)"
echo "  duckdb parse + aggregate     $duck s  $(mbs "$duck") MB/s"
echo "  ratio duckdb / bursar        $(awk -v d="$duck" -v s="$sqlite" 'BEGIN {printf "%.2f", d / s}')x"
echo "  bursar ingest -> PostgreSQL  $pg s  $(mbs "$pg") MB/s   (one run)"
