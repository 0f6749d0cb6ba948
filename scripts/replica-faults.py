#!/usr/bin/env python3
"""Fault tests of scheduler replicas sharing one PostgreSQL store (issue #17), on a real server of their own.

    scripts/replica-faults.py kill   [--seed N]   two schedulers under load; kill -9 one of them at a moment drawn
                                                  from the seed; the other takes its workflows over
    scripts/replica-faults.py outage [--seed N]   two schedulers under load; the PostgreSQL server stopped for
                                                  --outage seconds (10), then started again

Each starts its own PostgreSQL server (so it can stop it), a simulated cluster, the router and two
`bursar scheduler run` replicas (a, b) on WORKFLOWS workflows of JOBS jobs (`bursar bench scheduler-setup`, all
due now), every job running 1 s. Then it checks, once every run has ended:
  - nothing lost: every run succeeded (the simulated cluster fails none);
  - no job dispatched twice: every job attempt the scheduler recorded has exactly one record in the router's
    submissions, under its idempotency key, and exactly one SparkApplication on the cluster; no application on
    the cluster is unknown to the scheduler; the cluster's summary log names each application once;
  - kill: the surviving replica took over the killed one's workflows (the takeover time is printed);
  - outage: no SparkApplication was created while the server was down, and work resumed after it.
Prints the figures; exits 1 with the reasons when a check fails, 2 when the set-up fails.
BURSAR_BIN: the bursar binary (default .build/debug/bursar).
"""
import argparse
import glob
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("BURSAR_BIN", os.path.join(ROOT, ".build/debug/bursar"))


class SetupError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A throwaway PostgreSQL server that can be stopped and started again on the same port."""

    def __init__(self, work):
        dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
        if not dirs:
            raise SetupError("no PostgreSQL server under /usr/lib/postgresql (run scripts/setup.sh)")
        self.bin = dirs[-1]
        self.dir = os.path.join(work, "pg")
        os.makedirs(self.dir)
        self.as_server = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_server = ["runuser", "-u", "postgres", "--"]
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.server(["initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync"])
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def server(self, args):
        result = subprocess.run(self.as_server + [os.path.join(self.bin, args[0])] + args[1:], cwd=self.dir,
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise SetupError(f"{args[0]} failed: {result.stderr.strip()}")

    def start(self):
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off -c max_connections=200"
        self.server(["pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-o", options, "-w", "-t", "60", "start"])

    def stop(self):
        self.server(["pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop"])

    def sql(self, query, database="bursar"):
        url = self.url.rsplit("/", 1)[0] + "/" + database
        result = subprocess.run(["psql", url, "-At", "-F", "\t", "-c", query], capture_output=True, text=True)
        if result.returncode != 0:
            raise SetupError(f"psql: {result.stderr.strip()}")
        return [line.split("\t") for line in result.stdout.splitlines() if line]


class Loop:
    def __init__(self, work, workflows, jobs):
        self.work = work
        self.processes = {}
        self.pg = Postgres(work)
        self.pg.start()
        self.pg.sql("CREATE DATABASE bursar", database="postgres")
        self.store = self.pg.url.rsplit("/", 1)[0] + "/bursar"
        tick = time.strftime("%Y-%m-%dT%H:%M", time.gmtime())
        self.run(["bench", "scheduler-setup", "--workflows", str(workflows), "--jobs", str(jobs), "--at", tick, "--out", work])
        self.run(["ingest", "--mappings", os.path.join(work, "mappings"), "--store", self.store])
        sim = self.start("sim", ["simcluster", "--cluster", "faults", "--port", "0", "--log-file", os.path.join(work, "yunikorn.log"),
                                 "--default-duration", "1"], stdin=True)
        self.sim_port = json.loads(self.wait_for(sim, "port", stream="out"))["port"]
        with open(os.path.join(work, "clusters.yaml"), "w") as f:
            f.write("clusters:\n  - name: faults\n    capacity: {vcore: 1000000, memory: 4000Ti}\n    labels: [general]\n"
                    f"    kubernetes: {{server: \"http://127.0.0.1:{self.sim_port}\"}}\n")
        self.run(["token", "new", "--principal", "scheduler", "--admin", "--file", os.path.join(work, "tokens.yaml")],
                 token_file=os.path.join(work, "token"))
        router = self.start("router", ["serve", "--port", "0", "--tokens", os.path.join(work, "tokens.yaml"), "--clusters",
                                       os.path.join(work, "clusters.yaml"), "--queues", os.path.join(work, "Queues"), "--store",
                                       self.store, "--probe-interval", "0"])
        line = self.wait_for(router, "listening on 127.0.0.1:", stream="err")
        self.router = "http://" + re.search(r"127\.0\.0\.1:[0-9]+", line).group(0)

    def run(self, args, token_file=None):
        result = subprocess.run([BIN] + args, capture_output=True, text=True, cwd=ROOT)
        if result.returncode != 0:
            raise SetupError(f"bursar {' '.join(args[:2])} failed: {result.stderr.strip()[-2000:]}")
        if token_file:
            # `bursar token new` writes the new token alone on standard error.
            with open(token_file, "w") as f:
                f.write(result.stderr.strip())
        return result

    def start(self, name, args, stdin=False):
        out = open(os.path.join(self.work, f"{name}.out"), "w")
        err = open(os.path.join(self.work, f"{name}.err"), "w")
        process = subprocess.Popen([BIN] + args, stdout=out, stderr=err, cwd=ROOT, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL)
        self.processes[name] = process
        return name

    def output(self, name, stream):
        with open(os.path.join(self.work, f"{name}.{stream}")) as f:
            return f.read()

    def wait_for(self, name, text, stream, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in self.output(name, stream).splitlines():
                if text in line:
                    return line
            if self.processes[name].poll() is not None:
                raise SetupError(f"{name} exited: {self.output(name, 'err')[-2000:]}")
            time.sleep(0.05)
        raise SetupError(f"{name} did not say {text!r} in {timeout} s: {self.output(name, 'err')[-2000:]}")

    def scheduler(self, replica):
        token = open(os.path.join(self.work, "token")).read().strip()
        return self.start(f"scheduler-{replica}", [
            "scheduler", "run", "--pipelines", os.path.join(self.work, "Pipelines"), "--store", self.store, "--server", self.router,
            "--token", token, "--clusters", os.path.join(self.work, "clusters.yaml"), "--no-builtin-steps", "--interval", "0.2",
            "--replica", replica, "--lease-seconds", "3", "--dispatch-width", "16"])

    def apps_on_cluster(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.sim_port}/apis/sparkoperator.k8s.io/v1beta2/sparkapplications", timeout=30) as r:
            return [item["metadata"]["name"] for item in json.load(r)["items"]]

    def dispatched(self):
        return int(self.pg.sql("SELECT COUNT(*) FROM wf_jobs WHERE app_id IS NOT NULL")[0][0])

    def active_runs(self):
        return int(self.pg.sql("SELECT COUNT(*) FROM wf_runs WHERE state IN ('queued', 'running')")[0][0])

    def close(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
            process.wait()
        try:
            self.pg.stop()
        except SetupError:
            pass


def wait_until(condition, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise SetupError(f"timed out after {timeout} s waiting for {what}")


def check_outcome(loop, problems):
    """The checks shared by every scenario, once every run has ended."""
    runs = loop.pg.sql("SELECT state, COUNT(*) FROM wf_runs GROUP BY state")
    states = {state: int(count) for state, count in runs}
    if set(states) != {"succeeded"}:
        problems.append(f"runs not all succeeded: {states}")
    # Every attempt the scheduler recorded: exactly one router record under its key, and one application.
    attempts = loop.pg.sql("SELECT run_id || '/' || job || '/' || attempt, app_id FROM wf_jobs WHERE app_id IS NOT NULL")
    records = loop.pg.sql("SELECT idempotency_key, app_id FROM submissions WHERE idempotency_key IS NOT NULL")
    by_key = {}
    for key, app in records:
        by_key.setdefault(key, []).append(app)
    apps = loop.apps_on_cluster()
    on_cluster = {}
    for name in apps:
        on_cluster[name] = on_cluster.get(name, 0) + 1
    for key, app in attempts:
        if by_key.get(key) != [app]:
            problems.append(f"attempt {key}: the scheduler recorded app {app}, the router {by_key.get(key)}")
        if on_cluster.get(app, 0) != 1:
            problems.append(f"attempt {key}: app {app} is on the cluster {on_cluster.get(app, 0)} times")
    recorded = {app for _, app in attempts}
    strays = [name for name in on_cluster if name not in recorded]
    if strays:
        problems.append(f"{len(strays)} applications on the cluster the scheduler has no attempt for, e.g. {strays[:3]}")
    with open(os.path.join(loop.work, "yunikorn.log")) as f:
        summaries = [line for line in f if "YK_APP_SUMMARY" in line]
    ids = []
    for line in summaries:
        marker = line.find('"appId":"')
        if marker >= 0:
            ids.append(line[marker + 9:line.index('"', marker + 9)])
    duplicated = {app for app in ids if ids.count(app) > 1} if len(ids) < 20000 else set()
    if duplicated:
        problems.append(f"applications that ran twice (two summaries): {sorted(duplicated)[:5]}")
    return len(attempts), len(apps), len(summaries)


def scenario_kill(loop, rng, problems):
    a, b = loop.scheduler("a"), loop.scheduler("b")
    wait_until(lambda: loop.dispatched() > 0, 60, "the first dispatch")
    kill_after = rng.uniform(0.5, 4.0)
    time.sleep(kill_after)
    dispatched_at_kill = loop.dispatched()
    held = loop.pg.sql("SELECT COUNT(*) FROM wf_leases WHERE owner = 'a'")[0][0]
    loop.processes[a].send_signal(signal.SIGKILL)
    killed_at = time.time()
    loop.processes[a].wait()
    wait_until(lambda: "took over" in loop.output(b, "out"), 60, "replica b to take over")
    takeover = time.time() - killed_at
    wait_until(lambda: loop.active_runs() == 0, 240, "every run to end")
    attempts, apps, summaries = check_outcome(loop, problems)
    taken = loop.pg.sql("SELECT takeovers FROM replicas WHERE replica = 'b'")[0][0]
    print(f"kill -9 of replica a {kill_after:.2f} s after the first dispatch ({dispatched_at_kill} attempts dispatched, a held {held} "
          f"workflow leases); replica b took over {taken} in {takeover:.1f} s (lease 3 s); {attempts} attempts, {apps} applications "
          f"on the cluster, {summaries} summaries")


def scenario_outage(loop, rng, problems, outage):
    loop.scheduler("a")
    loop.scheduler("b")
    wait_until(lambda: loop.dispatched() > 0, 60, "the first dispatch")
    time.sleep(rng.uniform(0.5, 3.0))
    loop.pg.stop()
    stopped = time.time()
    time.sleep(1)  # requests already past the store finish
    before = len(loop.apps_on_cluster())
    time.sleep(max(0, outage - (time.time() - stopped)))
    during = len(loop.apps_on_cluster())
    loop.pg.start()
    down = time.time() - stopped
    if during != before:
        problems.append(f"{during - before} applications were created while the store was down")
    for name in ("scheduler-a", "scheduler-b", "router"):
        if loop.processes[name].poll() is not None:
            problems.append(f"{name} exited during the outage: {loop.output(name, 'err')[-1000:]}")
    resumed_from = len(loop.apps_on_cluster())
    wait_until(lambda: len(loop.apps_on_cluster()) > resumed_from or loop.active_runs() == 0, 60, "work to resume")
    wait_until(lambda: loop.active_runs() == 0, 240, "every run to end")
    attempts, apps, summaries = check_outcome(loop, problems)
    print(f"the store stopped for {down:.1f} s under load: {during - before} applications created meanwhile; work resumed; "
          f"{attempts} attempts, {apps} applications on the cluster, {summaries} summaries")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=["kill", "outage"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workflows", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=30)
    parser.add_argument("--outage", type=float, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    options = parser.parse_args()
    rng = random.Random(options.seed)
    work = tempfile.mkdtemp(prefix="bursar-faults-")
    os.chmod(work, 0o755)
    problems = []
    loop = None
    try:
        loop = Loop(work, options.workflows, options.jobs)
        if options.scenario == "kill":
            scenario_kill(loop, rng, problems)
        else:
            scenario_outage(loop, rng, problems, options.outage)
    except SetupError as error:
        print(f"replica-faults: {error}", file=sys.stderr)
        if loop:
            for name in loop.processes:
                print(f"--- {name} stderr (tail)\n{loop.output(name, 'err')[-1500:]}", file=sys.stderr)
        return 2
    finally:
        if loop:
            loop.close()
        if options.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
