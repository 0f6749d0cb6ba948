#!/usr/bin/env bash
# Crash test (issue #13): kill -9 the router under load, restart it, let clients retry, and count.
# For each run: `bursar serve --dry-run` on the bundled sample's plan; CONNECTIONS client connections POST
# for DURATION, each request with its own Idempotency-Key; the router is killed (SIGKILL) at a random moment
# in that window; it is restarted on the same store and journal; every request that got no answer is retried
# with its key, and a sample of answered ones too. Then, once the reconciler has settled every row:
#   answered    2xx answers before the kill
#   unanswered  requests that got no answer (connection reset by the kill)
#   recorded    rows in `submissions`
#   sent        SparkApplications in the dry-run journal (distinct names)
#   reconciled  rows settled by the reconciler (found on the cluster, or sent again)
#   duplicated  journal names sent more than once + keys answered with two app ids + rows without a create
# RUNS_SQLITE (5) runs on SQLite, RUNS_POSTGRES (2) on PostgreSQL (only under scripts/with-postgres.sh).
# The client is Python (one thread per connection) rather than wrk, so every key's answer is known.
set -euo pipefail
cd "$(dirname "$0")/.."
connections="${CONNECTIONS:-16}"
duration="${DURATION:-20}"
runs_sqlite="${RUNS_SQLITE:-5}"
runs_postgres="${RUNS_POSTGRES:-2}"
# BURSAR_BIN: a release binary built elsewhere (e.g. with --scratch-path); else one is built here.
if [ -z "${BURSAR_BIN:-}" ]; then
    swift build -c release --product bursar >/dev/null
fi
bin="${BURSAR_BIN:-$PWD/.build/release/bursar}"
work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill -9 "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "load: $connections connections for ${duration}s, kill -9 at a random moment, restart, retries with the same keys"
"$bin" nightly --store "sqlite:$work/plan.sqlite" --out "$work/Queues" --report-dir "$work/report" >/dev/null
cp Queues/clusters.yaml Queues/policy.yaml "$work/Queues/"
hash=$(echo bench-token | "$bin" token hash)
printf 'principals:\n  - name: bench\n    teams: [payments-core]\n    roles: [submitter]\n    token_sha256: %s\n' "$hash" >"$work/tokens.yaml"

cat >"$work/client.py" <<'PY'
import http.client, json, random, sys, threading, time
mode, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
body = json.dumps({"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
    "metadata": {"name": "ledger-features-reconcile", "labels": {"bursar.dev/workflow": "ledger-features",
        "bursar.dev/project": "ledger", "bursar.dev/tier": "1", "bursar.dev/job": "reconcile",
        "bursar.dev/run-id": "ledger-features-20261122T0245", "bursar.dev/scheduled-at": "20261122T024500Z"}},
    "spec": {"type": "Scala", "mode": "cluster", "image": "spark:3.5.3", "mainApplicationFile": "local:///opt/jobs/r.jar",
        "sparkVersion": "3.5.3", "driver": {"cores": 1, "memory": "2g"}, "executor": {"instances": 4, "cores": 2, "memory": "4g"}}})
headers = {"Authorization": "Bearer bench-token", "Content-Type": "application/json"}

def post(conn, key):
    conn.request("POST", "/v1/submissions", body, dict(headers, **{"Idempotency-Key": key}))
    response = conn.getresponse()
    data = response.read()
    return response.status, json.loads(data).get("app_id") if data.startswith(b"{") else None

if mode == "load":
    results, lock, stop = [], threading.Lock(), time.time() + float(sys.argv[4])
    run = sys.argv[5]
    def worker(n):
        conn, i = http.client.HTTPConnection("127.0.0.1", port, timeout=30), 0
        while time.time() < stop:
            key = f"{run}-{n}-{i}"; i += 1
            try:
                status, app = post(conn, key)
                with lock: results.append((key, status, app))
            except Exception:
                with lock: results.append((key, None, None))
                return  # the router is gone
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(int(sys.argv[6]))]
    for t in threads: t.start()
    for t in threads: t.join()
    json.dump(results, open(out, "w"))
else:  # retry: every unanswered key, and up to 200 answered ones
    results = json.load(open(sys.argv[4]))
    unanswered = [r for r in results if r[1] is None]
    answered = [r for r in results if r[1] is not None and 200 <= r[1] < 300]
    sample = random.sample(answered, min(200, len(answered)))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    retried = []
    for key, status, app in unanswered + sample:
        for _ in range(50):
            try:
                s, a = post(conn, key); break
            except Exception:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30); time.sleep(0.1)
        retried.append((key, status, app, s, a))
    json.dump(retried, open(out, "w"))
PY

serve() {  # store, journal dir
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$bin" serve --port "$port" --store "$1" --tokens "$work/tokens.yaml" --clusters "$work/Queues/clusters.yaml" \
        --policy "$work/Queues/policy.yaml" --queues "$work/Queues" --dry-run --dry-run-dir "$2" \
        --log-level warning 2>>"$work/serve.log" &
    server=$!
    for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.1; done
    echo "router did not start"; tail -5 "$work/serve.log"; exit 1
}

one_run() {  # backend, index
    local backend=$1 index=$2 store query
    local dir="$work/run-$backend-$index"; mkdir -p "$dir"
    if [ "$backend" = sqlite ]; then
        cp "$work/plan.sqlite" "$dir/store.sqlite"
        store="sqlite:$dir/store.sqlite"
        query() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$dir/store.sqlite" "$1"; }
    else
        local db="bursar_kill_${index}_$$"
        psql -q "$BURSAR_TEST_POSTGRES_URL" -c "CREATE DATABASE $db"
        store="${BURSAR_TEST_POSTGRES_URL%/*}/$db"
        "$bin" nightly --store "$store" --out "$dir/Queues" --report-dir "$dir/report" >/dev/null
        query() { psql -qtA "$store" -c "$1"; }
    fi
    serve "$store" "$dir/dry-run"
    local kill_at; kill_at=$(python3 -c "import random; print(round(random.uniform(2, $duration - 2), 1))")
    python3 "$work/client.py" load "$port" "$dir/load.json" "$duration" "$backend$index" "$connections" &
    local client=$!
    sleep "$kill_at"; kill -9 "$server"; wait "$server" 2>/dev/null || true; server=""
    wait "$client"
    local started; started=$(date +%s%N)
    serve "$store" "$dir/dry-run"
    local restart_ms=$(( ($(date +%s%N) - started) / 1000000 ))
    python3 "$work/client.py" retry "$port" "$dir/retry.json" "$dir/load.json"
    for _ in $(seq 100); do  # the start-up pass settles what the crash left; retried keys may add 202s
        [ "$(query "SELECT COUNT(*) FROM submissions WHERE state IN ('recorded','unknown')")" = 0 ] && break; sleep 0.2
    done
    kill -TERM "$server"; wait "$server" 2>/dev/null || true; server=""
    python3 - "$dir" "$kill_at" "$restart_ms" \
        "$(query "SELECT COUNT(*) FROM submissions")" \
        "$(query "SELECT COUNT(*) FROM submissions WHERE state_detail LIKE '%reconciler%'")" \
        "$(query "SELECT COUNT(*) FROM submissions WHERE state IN ('recorded','unknown')")" \
        "$(query "SELECT COUNT(*) FROM submissions WHERE state = 'failed'")" "$backend" <<'PY'
import json, sys, glob, collections
d, kill_at, restart_ms, recorded, reconciled, unsettled, failed, backend = sys.argv[1:]
load = json.load(open(d + "/load.json")); retry = json.load(open(d + "/retry.json"))
answered = sum(1 for r in load if r[1] is not None and 200 <= r[1] < 300)
unanswered = sum(1 for r in load if r[1] is None)
names = collections.Counter()
for path in glob.glob(d + "/dry-run/*.jsonl"):
    for line in open(path, "rb"):
        if line.endswith(b"}\n") and b'"method":"POST","name":' in line:
            names[line.rsplit(b'"name":', 1)[1].split(b'"')[1]] += 1
sent = len(names)
twice = sum(n - 1 for n in names.values() if n > 1)
changed = sum(1 for key, s0, a0, s1, a1 in retry if a0 is not None and a1 != a0)
retried_ok = sum(1 for r in retry if r[1] is None and r[3] is not None and 200 <= r[3] < 300)
print(f"{backend} run: kill at {kill_at}s, restart {restart_ms} ms | answered {answered}, unanswered {unanswered} "
      f"(retried: {retried_ok} answered 2xx) | recorded {recorded}, sent {sent}, reconciled {reconciled}, "
      f"failed {failed}, unsettled {unsettled} | duplicated {twice + changed + max(0, int(recorded) - sent - int(failed))}")
PY
}

for i in $(seq "$runs_sqlite"); do one_run sqlite "$i"; done
if [ -n "${BURSAR_TEST_POSTGRES_URL:-}" ]; then
    for i in $(seq "$runs_postgres"); do one_run postgres "$i"; done
else
    echo "postgres: skipped (run under scripts/with-postgres.sh)"
fi
