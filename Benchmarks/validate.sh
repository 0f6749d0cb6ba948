#!/usr/bin/env bash
# Benchmark: validate a generated queues.yaml of 10,000 queues (4 levels, one partition).
# Prints the machine, the input and the figures: in-process end to end with its parts, and the
# wall time of `bursar validate FILE` as a process. Timing never fails anything.
set -euo pipefail
cd "$(dirname "$0")/.."
queues="${QUEUES:-10000}"
swift build -c release --product bursar >/dev/null
bin=.build/release/bursar
file="$(mktemp -d)/queues-${queues}.yaml"
"$bin" bench validate --queues "$queues" --runs 20 --write "$file"
echo "process: bursar validate $file (wall time of 10 runs)"
times=()
for _ in $(seq 10); do
  start=$(date +%s%N)
  "$bin" validate "$file" >/dev/null
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "process: median ${sorted[5]} ms, min ${sorted[0]} ms, max ${sorted[9]} ms"
rm -rf "$(dirname "$file")"
