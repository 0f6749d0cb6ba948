#!/usr/bin/env python3
"""Two `bursar` binaries must say the same about workflow definitions: this writes 600 definitions, most of them
mutated at random (values, keys, lines, job names, spec fields), with a SparkApplication file and a mappings folder
beside them, runs `bursar pipelines validate` of each binary in text and in JSON, and compares output and exit code
byte for byte. For changes meant to make validation faster while saying nothing different.

Usage: scripts/pipelines-differential.py OLD_BURSAR NEW_BURSAR [SEED...]   (exits 1 on any difference)"""
import os
import random
import shutil
import subprocess
import sys
import tempfile


base_lines = """workflow: WF
project: proj-1
tier: 1
schedule: "45 2 * * *"
timezone: America/Los_Angeles
slo_minutes: 120
start_date: 2026-11-01
catchup: {max_days: 3}
max_active_runs: 1
defaults:
  retries: 2
  retry_delay: 5m
  retry_backoff: 2
  timeout: 2h
  spark: {image: "registry/spark:3.5.1", driver: {cores: 1, memory: 2g}, executor: {instances: 2, cores: 2, memory: 4g}}
jobs:
  - name: extract
    spark: {main: "local:///opt/jobs/extract.py"}
  - name: aggregate
    depends_on: [extract]
    spark: {main: "local:///opt/jobs/aggregate.py", executor: {instances: 8}, conf: {spark.sql.shuffle.partitions: 200}}
    timeout: 30m
  - name: load
    depends_on: [aggregate, extract]
    spark: {main: "local:///opt/jobs/load.jar", main_class: com.example.Load, args: [a, 1, true], spark_version: 3.4.0}
  - name: app
    depends_on: aggregate
    spark_file: app.yaml
  - name: replan
    depends_on: [load]
    bursar: allocate
""".split("\n")
app = """apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata:
  name: aggregate
spec:
  type: Python
  mode: cluster
  image: registry/spark:3.5.1
  mainApplicationFile: local:///opt/jobs/aggregate.py
  sparkVersion: 3.5.1
  driver: {cores: 1, memory: 2g}
  executor: {instances: 2, cores: 2, memory: 4g}
"""
values = ["", "~", "null", "x", "X_Y", "-1", "0", "1", "4", "1.5", "yes", "true", "off", "[a, b]", "{a: 1}", "{}", "[]",
          "\"\"", "'q'", "\"a b\"", "2g", "4Gi", "0m", "512m", "9999999999", "0x10", "tier2", "Tier1", "a" * 70,
          "local:///x.py", "1h30m", "90s", "soon", "2026-02-30", "2026-11-01", "@daily", "\"61 2 * * *\"", "UTC", "Mars/Base",
          "[extract]", "[nope]", "[extract, extract]", "[load]", "extract", "{max_days: 45}", "false", "allocate", "rm -rf",
          "/etc/x.yaml", "../x.yaml", "app.yaml", "missing.yaml", "\"20240501T020000Z\"", "-5", "spark.x"]
keys = ["workflow", "project", "tier", "org", "job", "run_id", "scheduled_at", "name", "image", "main", "main_class", "args",
        "spark_version", "driver", "executor", "conf", "kind", "apiVersion", "cores", "memory", "instances", "labels", "Image",
        "main-class", "retries", "retry_delay", "retry_backoff", "timeout", "depends_on", "spark", "spark_file", "bursar",
        "catchup", "max_days", "spark.kubernetes.namespace", "spark.kubernetes.driver.label.x", "spark.executor.instances",
        "unknown", "<<"]
def mutate(lines):
    lines = list(lines)
    for _ in range(random.choice([1, 1, 1, 2, 3])):
        i = random.randrange(len(lines) - 1)
        line = lines[i]
        op = random.choices(range(8), weights=[2, 1, 5, 5, 1, 1, 0.2, 2])[0]
        if op in (2, 3) and '{' not in line:
            i = random.choice([k for k, l in enumerate(lines) if '{' in l]); line = lines[i]
        if op == 0 and ":" in line:
            k, _, v = line.partition(":")
            lines[i] = k + ": " + random.choice(values)
        elif op == 1:
            del lines[i]
        elif op == 2 and "{" in line:
            # add a key inside a flow mapping
            j = line.index("{") + 1
            lines[i] = line[:j] + random.choice(keys) + ": " + random.choice(values) + ", " + line[j:]
        elif op == 3 and "{" in line:
            # replace a value inside a flow map
            parts = line.split(", ")
            p = random.randrange(len(parts))
            if ":" in parts[p]:
                k, _, v = parts[p].partition(": ")
                closing = ""
                while v.endswith("}"):
                    v = v[:-1]; closing += "}"
                parts[p] = k + ": " + random.choice(values) + closing
            lines[i] = ", ".join(parts)
        elif op == 4:
            indent = len(line) - len(line.lstrip())
            lines.insert(i + 1, " " * indent + random.choice(keys) + ": " + random.choice(values))
        elif op == 5:
            lines[i] = line.replace("extract", random.choice(["load", "Extract", "extract", "x" * 70, "replan"]))
        elif op == 6:
            lines.insert(i, lines[i])
        else:
            lines[i] = line.replace("main", random.choice(["main", "mian", "kind", "workflow", "name"]), 1)
    return lines

def write(out, seed, n=600):
    random.seed(seed)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out + "/Pipelines/team-a")
    os.makedirs(out + "/mappings")
    open(out + "/mappings/projects.csv", "w").write("project,owner\nproj-1,team-1\nads-reporting,team-1\n")
    open(out + "/mappings/owners.csv", "w").write("owner,org\nteam-1,org-1\n")
    open(out + "/mappings/workflows.csv", "w").write("workflow,project,tier,slo_minutes\nwf-0003,proj-1,2,60\n")
    open(out + "/Pipelines/team-a/app.yaml", "w").write(app)
    for f in range(n):
        lines = [l.replace("WF", "wf-%04d" % (f % 350)) for l in base_lines]
        if f % 7 != 0:
            lines = mutate(lines)
        open(out + "/Pipelines/team-a/wf-%04d.yaml" % f, "w").write("\n".join(lines))
    # a few special files
    open(out + "/Pipelines/team-a/empty.yaml", "w").write("# nothing\n")
    open(out + "/Pipelines/team-a/list.yaml", "w").write("workflow: [a]\n- x\n")
    open(out + "/Pipelines/team-a/tab.yaml", "w").write("workflow: t\n\tproject: x\n")

def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    old, new = sys.argv[1], sys.argv[2]
    seeds = [int(seed) for seed in sys.argv[3:]] or [1, 2, 3]
    different = False
    with tempfile.TemporaryDirectory() as work:
        for seed in seeds:
            folder = os.path.join(work, str(seed))
            write(folder, seed)
            for form in ["text", "json"]:
                outputs = []
                for binary in [old, new]:
                    run = subprocess.run([binary, "pipelines", "validate", folder + "/Pipelines", "--mappings", folder + "/mappings",
                                          "--format", form], capture_output=True, text=True)
                    outputs.append((run.returncode, run.stdout, run.stderr))
                same = outputs[0] == outputs[1]
                different |= not same
                last = outputs[0][1].strip().splitlines()[-1] if form == "text" else ""
                print(f"seed {seed} {form}: {'same' if same else 'DIFFERENT'} (exit {outputs[0][0]}) {last}")
    sys.exit(1 if different else 0)


if __name__ == "__main__":
    main()
