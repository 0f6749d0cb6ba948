#!/usr/bin/env bash
# Benchmark (issue #5): the submission router over real HTTP on loopback, release build, dry-run targets,
# SQLite store. Every submission is authenticated, parsed, authorised, routed, mutated, recorded (group
# commit, write-ahead) and handed to the dry-run target, and its outcome recorded, before it is answered.
#   1. `bursar serve --dry-run` on the bundled sample's plan (bursar nightly into a fresh store),
#   2. wrk (CONNECTIONS connections, THREADS threads, DURATION) POSTing a JSON SparkApplication with
#      workflow/project/tier labels; latency percentiles from wrk --latency,
#   3. the store is checked afterwards: recorded submissions must equal the 2xx answers wrk counted,
#   4. `bursar bench route`: the routing decision alone, in process.
# Prints the machine, the parameters and every figure. Timing never fails anything.
set -euo pipefail
cd "$(dirname "$0")/.."
connections="${CONNECTIONS:-16}"
threads="${THREADS:-1}"
duration="${DURATION:-20s}"
# BURSAR_BIN: a release binary built elsewhere (e.g. with --scratch-path); else one is built here.
if [ -z "${BURSAR_BIN:-}" ]; then
    swift build -c release --product bursar >/dev/null
fi
bin="${BURSAR_BIN:-$PWD/.build/release/bursar}"
work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
store="sqlite:$work/bench.sqlite"
"$bin" nightly --store "$store" --out "$work/Queues" --report-dir "$work/report" >/dev/null
cp Queues/clusters.yaml Queues/policy.yaml "$work/Queues/"
hash=$(echo bench-token | "$bin" token hash)
printf 'principals:\n  - name: bench\n    teams: [payments-core]\n    roles: [submitter]\n    token_sha256: %s\n' "$hash" >"$work/tokens.yaml"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --port "$port" --store "$store" --tokens "$work/tokens.yaml" --clusters "$work/Queues/clusters.yaml" \
    --policy "$work/Queues/policy.yaml" --queues "$work/Queues" --dry-run --dry-run-dir "$work/dry-run" \
    --log-level warning ${EVENT_LOOPS:+--event-loops "$EVENT_LOOPS"} 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

cat >"$work/submit.json" <<'JSON'
{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"SparkApplication",
 "metadata":{"name":"ledger-features-reconcile","labels":{"bursar.dev/workflow":"ledger-features","bursar.dev/project":"ledger","bursar.dev/tier":"1","bursar.dev/job":"reconcile","bursar.dev/run-id":"ledger-features-20261122T0245","bursar.dev/scheduled-at":"20261122T024500Z"}},
 "spec":{"type":"Scala","mode":"cluster","image":"spark:3.5.3","mainClass":"com.example.Reconcile","mainApplicationFile":"local:///opt/jobs/reconcile.jar","sparkVersion":"3.5.3",
  "driver":{"cores":1,"memory":"2g","serviceAccount":"spark"},"executor":{"instances":4,"cores":2,"memory":"4g"}}}
JSON
python3 - "$work/submit.json" >"$work/post.lua" <<'PY'
import json, sys
body = json.dumps(json.load(open(sys.argv[1])), separators=(",", ":"))
print('wrk.method = "POST"')
print('wrk.headers["Content-Type"] = "application/json"')
print('wrk.headers["Authorization"] = "Bearer bench-token"')
print("wrk.body = " + json.dumps(body))
print('''done = function(summary, latency, requests)
  io.write(string.format("wrk-summary: requests=%d non2xx=%d errors_connect=%d errors_read=%d errors_write=%d errors_timeout=%d\\n",
    summary.requests, summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
  io.write(string.format("wrk-latency-ms: p50=%.2f p90=%.2f p99=%.2f p999=%.2f max=%.2f\\n",
    latency:percentile(50)/1000, latency:percentile(90)/1000, latency:percentile(99)/1000, latency:percentile(99.9)/1000, latency.max/1000))
end''')
PY
curl -sf -X POST -H "Authorization: Bearer bench-token" -H "Content-Type: application/json" --data-binary @"$work/submit.json" \
    "http://127.0.0.1:$port/v1/submissions" >"$work/one.json"
echo "one submission: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["state"], d["decision"]["cluster"], d["decision"]["queue"], d["decision"]["source"])' "$work/one.json")"
echo "body: $(wc -c <"$work/submit.json") bytes JSON; wrk: $threads thread(s), $connections connections, $duration"
wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$work/post.lua" "http://127.0.0.1:$port/v1/submissions" >"$work/wrk.txt"
grep -E "Requests/sec|Latency |wrk-" "$work/wrk.txt"
kill -TERM "$server"; wait "$server" || true; server=""
requests=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' "$work/wrk.txt")
non2xx=$(sed -n 's/.*non2xx=\([0-9]*\).*/\1/p' "$work/wrk.txt")
recorded=$(python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("select count(*) from submissions where state=\"submitted\"").fetchone()[0])' "$work/bench.sqlite")
sent=$(cat "$work"/dry-run/*.jsonl 2>/dev/null | wc -l)
echo "store: $recorded submissions recorded as submitted; wrk counted $requests answers ($non2xx non-2xx), plus the 1 above (requests still in flight when wrk stops are recorded but not counted by wrk); dry-run target lines: $sent"
echo
"$bin" bench route
