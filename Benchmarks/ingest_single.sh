#!/usr/bin/env bash
# Benchmark (issue #12): one large log file, streamed. LINES summary lines of every shape from `bursar synth`
# (with its noise and malformed lines) are concatenated into ONE file (about 4 GB for the default), which
# `bursar ingest` reads into a fresh SQLite store. Prints the machine, the input, the wall time, MB/s and the
# process's peak resident memory (GNU time's maximum RSS), for a plain and a gzip copy. Timing never fails
# anything.
set -euo pipefail
cd "$(dirname "$0")/.."
lines="${LINES:-4200000}"
# BURSAR_BIN: a release binary built elsewhere (e.g. with --scratch-path); else one is built here.
if [ -z "${BURSAR_BIN:-}" ]; then
    swift build -c release --product bursar >/dev/null
fi
bin="${BURSAR_BIN:-$PWD/.build/release/bursar}"
work="$(mktemp -d "${TMPDIR:-/tmp}/bursar-single.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
"$bin" synth "$work/data" --lines "$lines" >/dev/null
mkdir -p "$work/one/moka-a"
# YARN lines carry no cluster: the file's folder (moka-a) gives them one, as it would in production.
find "$work/data/logs" "$work/data/yarn" -type f -name '*.log' -print0 | sort -z | xargs -0 cat >"$work/one/moka-a/all.log"
rm -rf "$work/data/logs" "$work/data/yarn"
bytes=$(stat -c %s "$work/one/moka-a/all.log")
echo "input: one file of $bytes bytes ($(wc -l <"$work/one/moka-a/all.log") lines; $lines summary lines requested)"

measure() {  # $1 = label, $2 = file
    rm -f "$work"/bench.sqlite*
    sync
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$bin" ingest "$2" --store "sqlite:$work/bench.sqlite" --format json >"$work/last.json"
    read -r seconds kilobytes <"$work/time.txt"
    awk -v l="$1" -v s="$seconds" -v k="$kilobytes" -v b="$bytes" \
        'BEGIN {printf "%s: %.1f s, %.1f MB/s of log content, peak RSS %.0f MiB\n", l, s, b / s / 1e6, k / 1024}'
    echo "  counts $(tr -d ' \n' <"$work/last.json" | sed 's/"errors":\[\],//')"
}
measure "bursar ingest, one plain file, SQLite" "$work/one/moka-a/all.log"
gzip -1 -c "$work/one/moka-a/all.log" >"$work/one/moka-a/all.log.gz"
rm "$work/one/moka-a/all.log"
echo "gzip copy: $(stat -c %s "$work/one/moka-a/all.log.gz") bytes"
measure "bursar ingest, the same file gzipped, SQLite" "$work/one/moka-a/all.log.gz"
