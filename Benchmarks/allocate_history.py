#!/usr/bin/env python3
"""The helpers of Benchmarks/allocate_history.sh (issue #14: `bursar allocate` end to end on a realistic
first night). Subcommands:

  generate OUT   a deterministic application history shaped like the one the issue was reported on;
  clusters       a clusters.yaml whose tier-1 demand (read from a `bursar allocate --format json` report)
                 is a chosen share of usable capacity;
  describe       the inputs as Bursar saw them (queues, window, demand per tier) from such a report;
  header, figures  the benchmark's table: its header, and one row from a run's JSON report.

The history (generate):
Every project has 2-6 daily workflows, each at a fixed hour of the day; a workflow is tier 1, 2 or 3
with probability 20/30/50% and runs 1-3 Spark applications side by side. Application sizes are
lognormal (sigma = 1, median 4 vcore, 2-8 GiB per vcore per workflow job), the same every day up to
+-10%, so a queue's hourly usage is peaky: its p95 over the hours it ran is close to its daily peak.
Each project ran on one of the clusters, chosen in proportion to the cluster weights.

Writes, under OUT:
  logs/<cluster>/yunikorn-<day>.log   YuniKorn >= 1.5 zap console lines (YK_APP_SUMMARY), by finish time
  mappings/{workflows,projects,owners,job_apps}.csv   the attribution bursar ingest reads (--mappings)
  manifest.json                       counts (projects, workflows, leaf queues, apps) and the options

The same options always give byte-identical files (Python's random.Random, seeded).
"""
import argparse
import datetime
import json
import math
import os
import random
import re
import sys


def iso_z(ms):
    """Milliseconds since the epoch as zap's ISO 8601 time in UTC (2026-11-20T00:10:54.681Z)."""
    t = datetime.datetime.fromtimestamp(ms // 1000, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def generate(args):
    if args.projects < 1 or args.days < 1:
        sys.exit("allocate_history.py: --projects and --days must be positive")

    rng = random.Random(args.seed)
    clusters = []
    for part in args.clusters.split(","):
        name, weight = part.split(":")
        clusters.append((name, float(weight)))
    end = datetime.date.fromisoformat(args.end)
    first_day = end - datetime.timedelta(days=args.days - 1)
    epoch = datetime.date(1970, 1, 1)
    first_ms = (first_day - epoch).days * 86_400_000

    # The platform: orgs, owner teams, projects, workflows and their jobs, fixed for the whole history.
    n_orgs = max(1, round(args.projects / 25))
    orgs = ["org%03d" % i for i in range(n_orgs)]
    owners = {}          # owner -> org
    projects = []        # (name, owner, org, cluster, [workflow])
    for p in range(args.projects):
        org = orgs[rng.randrange(n_orgs)]
        owner = "%s-team%d" % (org, rng.randrange(4))
        owners[owner] = org
        name = "proj%05d" % p
        cluster = rng.choices([c for c, _ in clusters], weights=[w for _, w in clusters])[0]
        workflows = []
        for w in range(rng.randint(2, 6)):
            tier = rng.choices([1, 2, 3], weights=[20, 30, 50])[0]
            hour, minute = rng.randrange(24), rng.choice([0, 15, 30, 45])
            jobs = []
            for _ in range(rng.randint(1, 3)):
                vcores = min(256.0, max(0.25, rng.lognormvariate(math.log(4), 1.0)))
                gib_per_vcore = rng.uniform(2, 8)
                minutes = min(180.0, max(5.0, rng.lognormvariate(math.log(35), 0.5)))
                jobs.append((vcores, gib_per_vcore, minutes))
            slo = int(math.ceil(max(j[2] for j in jobs) * 1.1 / 5) * 5) + 30
            workflows.append(("%s-wf%d" % (name, w), tier, hour, minute, jobs, slo))
        projects.append((name, owner, org, cluster, workflows))

    os.makedirs(os.path.join(args.out, "mappings"), exist_ok=True)
    for name, _ in clusters:
        os.makedirs(os.path.join(args.out, "logs", name), exist_ok=True)
    mappings = os.path.join(args.out, "mappings")
    with open(os.path.join(mappings, "owners.csv"), "w") as f:
        f.write("owner,org\n")
        for owner in sorted(owners):
            f.write("%s,%s\n" % (owner, owners[owner]))
    with open(os.path.join(mappings, "projects.csv"), "w") as f:
        f.write("project,owner\n")
        for name, owner, _, _, _ in projects:
            f.write("%s,%s\n" % (name, owner))
    with open(os.path.join(mappings, "workflows.csv"), "w") as f:
        f.write("workflow,project,tier,slo_minutes\n")
        for name, _, _, _, workflows in projects:
            for wf, tier, _, _, _, slo in workflows:
                f.write("%s,%s,%d,%d\n" % (wf, name, tier, slo))

    # The history, day by day. A log line is written when its application finishes, so each file holds the
    # applications that finished on its day; a run late in the evening lands in the next day's file.
    prefix = "\tINFO\tcore.scheduler.application.usage\tobjects/application_summary.go:60\tYK_APP_SUMMARY: {"
    pending = {}         # (cluster, day index) -> [(finish ms, line)]
    apps = 0
    failed = 0
    last_finish = 0

    def flush(before_day):
        for key in sorted(k for k in pending if k[1] < before_day):
            cluster, day = key
            date = first_day + datetime.timedelta(days=day)
            path = os.path.join(args.out, "logs", cluster, "yunikorn-%s.log" % date.isoformat())
            with open(path, "w") as f:
                for _, line in sorted(pending.pop(key)):
                    f.write(line)

    with open(os.path.join(mappings, "job_apps.csv"), "w") as job_apps:
        job_apps.write("app_id,workflow,job,run_id,scheduled_at\n")
        for day in range(args.days):
            day_ms = first_ms + day * 86_400_000
            for name, _, org, cluster, workflows in projects:
                user = "svc-" + name
                for wf, tier, hour, minute, jobs, _ in workflows:
                    scheduled = day_ms + (hour * 60 + minute) * 60_000
                    stamp = datetime.datetime.fromtimestamp(scheduled // 1000, tz=datetime.timezone.utc)
                    run_id = "%s-%s" % (wf, stamp.strftime("%Y%m%dT%H%M"))
                    scheduled_at = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
                    queue = "root.%s.%s.tier%d" % (org, name, tier)
                    for j, (vcores, gib_per_vcore, minutes) in enumerate(jobs):
                        size = vcores * rng.uniform(0.9, 1.1)
                        seconds = int(minutes * 60 * rng.uniform(0.9, 1.1))
                        submitted = scheduled + rng.randrange(1_000, 60_000)
                        start = submitted + rng.randrange(2_000, 30_000)
                        finish = start + seconds * 1000 + rng.randrange(1000)
                        millicores = max(1, int(size * 1000))
                        memory = int(size * gib_per_vcore * (1 << 30))
                        pods = 1 + int(math.ceil(size / 4))
                        state = "Completed"
                        if rng.random() < 0.02:
                            state = "Failed"
                            failed += 1
                        app_id = "spark-%032x" % rng.getrandbits(128)
                        line = (iso_z(finish) + prefix
                                + "ApplicationID: %s, SubmissionTime: %d, StartTime: %d, FinishTime: %d, User: %s, "
                                  "Queue: %s, State: %s, RmID: %s, ResourceUsage: TrackedResource{UNKNOWN:vcore=%d,"
                                  "UNKNOWN:memory=%d,UNKNOWN:pods=%d}, PreemptedResource: TrackedResource{}, "
                                  "PlaceholderResource: TrackedResource{}}\n"
                                % (app_id, submitted, start, finish, user, queue, state, cluster,
                                   millicores * seconds, memory * seconds, pods * seconds))
                        finish_day = (finish - first_ms) // 86_400_000
                        pending.setdefault((cluster, finish_day), []).append((finish, line))
                        job_apps.write("%s,%s,job%d,%s,%s\n" % (app_id, wf, j, run_id, scheduled_at))
                        apps += 1
                        last_finish = max(last_finish, finish)
            flush(day)
        flush(args.days + 1)

    leaf_queues = {(name, wf[1]) for name, _, _, _, workflows in projects for wf in workflows}
    manifest = {
        "seed": args.seed, "projects": args.projects, "orgs": n_orgs, "owners": len(owners),
        "days": args.days, "first_day": first_day.isoformat(), "last_day": end.isoformat(),
        "clusters": {name: weight for name, weight in clusters},
        "workflows": sum(len(p[4]) for p in projects),
        "workflows_by_tier": {str(t): sum(1 for p in projects for wf in p[4] if wf[1] == t) for t in (1, 2, 3)},
        "leaf_queues": len(leaf_queues),
        "leaf_queues_by_tier": {str(t): sum(1 for q in leaf_queues if q[1] == t) for t in (1, 2, 3)},
        "apps": apps, "failed_apps": failed, "last_finish": iso_z(last_finish),
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    print(json.dumps(manifest, sort_keys=True))


def load_report(path):
    """A `bursar allocate --format json` report, or None when the run wrote none (it failed or timed out)."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def tier3_floor(policy_path):
    """policy.yaml's tier3_floor (default 0.1, as Bursar's); a flat key, so no YAML library is needed."""
    with open(policy_path) as f:
        for line in f:
            match = re.match(r"\s*tier3_floor\s*:\s*([0-9.]+)", line)
            if match:
                return float(match.group(1))
    return 0.1


def clusters(args):
    """Sizes the clusters from the calibration report: per resource, the capacity whose usable part
    (capacity x (1 - reserve_fraction)) makes tier-1 demand `share` of it, split in the weights' ratio."""
    report = load_report(args.report)
    if report is None:
        sys.exit("allocate_history.py: %s is not a JSON report" % args.report)
    weights = [(name, float(weight)) for name, weight in (part.split(":") for part in args.weights.split(","))]
    total_weight = sum(w for _, w in weights)
    resources = ("vcore", "memory")
    tier1 = {r: sum(q["resources"].get(r, {}).get("demand", 0) for q in report["queues"] if q["tier"] == 1) for r in resources}
    tier3 = {r: sum(q["resources"].get(r, {}).get("demand", 0) for q in report["queues"] if q["tier"] == 3) for r in resources}
    all_tiers = {r: sum(q["resources"].get(r, {}).get("demand", 0) for q in report["queues"]) for r in resources}
    block = report["clusters"][0]["resources"]["vcore"]
    reserve = block["reserve"] / block["capacity"]
    floor = tier3_floor(args.policy)
    share = args.share / 100
    capacity = {}        # cluster -> resource -> capacity in model units (vcore, GiB), rounded up
    for name, weight in weights:
        capacity[name] = {r: math.ceil(tier1[r] / share / (1 - reserve) * weight / total_weight) for r in resources}
    with open(args.out, "w") as f:
        f.write("# Written by Benchmarks/allocate_history.py: tier-1 demand = %g%% of usable capacity.\nclusters:\n" % args.share)
        for name, _ in weights:
            f.write("  - name: %s\n    capacity: {vcore: %d, memory: %dGi}\n    labels: [general]\n"
                    % (name, capacity[name]["vcore"], capacity[name]["memory"]))
    usable = {r: sum(c[r] for c in capacity.values()) * (1 - reserve) for r in resources}
    caps = ", ".join("%s %s vcore / %s GiB" % (name, format(capacity[name]["vcore"], ","), format(capacity[name]["memory"], ","))
                     for name, _ in weights)
    print("share %g%%: %s" % (args.share, caps))
    print("  usable (reserve %g%%): %s vcore, %s GiB; tier-1 demand / usable: vcore %.1f%%, memory %.1f%%; "
          "with the tier-3 floor (%g x tier-3 demand): vcore %.1f%%, memory %.1f%%; all tiers' demand / usable: vcore %.0f%%, memory %.0f%%"
          % (reserve * 100, format(round(usable["vcore"]), ","), format(round(usable["memory"]), ","),
             100 * tier1["vcore"] / usable["vcore"], 100 * tier1["memory"] / usable["memory"], floor,
             100 * (tier1["vcore"] + floor * tier3["vcore"]) / usable["vcore"],
             100 * (tier1["memory"] + floor * tier3["memory"]) / usable["memory"],
             100 * all_tiers["vcore"] / usable["vcore"], 100 * all_tiers["memory"] / usable["memory"]))


def describe(args):
    """The inputs as Bursar saw them, from the calibration report."""
    report = load_report(args.report)
    queues = report["queues"]
    by_tier = {t: sum(1 for q in queues if q["tier"] == t) for t in (1, 2, 3)}
    window = report["window"]
    hours = (window["end_ms"] - window["start_ms"]) // 3_600_000
    start = iso_z(window["start_ms"])[:16] + "Z"
    end = iso_z(window["end_ms"])[:16] + "Z"
    sources = {}
    for q in queues:
        sources[q["demand_source"]] = sources.get(q["demand_source"], 0) + 1
    print("leaf queues sized by bursar: %s (tier 1: %s, tier 2: %s, tier 3: %s); demand from %s"
          % (format(len(queues), ","), format(by_tier[1], ","), format(by_tier[2], ","), format(by_tier[3], ","),
             ", ".join("%s %s" % (k, format(v, ",")) for k, v in sorted(sources.items()))))
    print("window: %s to %s (%d hours); %s queue-hours with usage (mean %.1f hours a queue)"
          % (start, end, hours, format(sum(q["history_hours"] for q in queues), ","),
             sum(q["history_hours"] for q in queues) / max(1, len(queues))))
    for r in ("vcore", "memory"):
        demand = {t: sum(q["resources"].get(r, {}).get("demand", 0) for q in queues if q["tier"] == t) for t in (1, 2, 3)}
        print("demand %s (%s): tier 1 %s, tier 2 %s, tier 3 %s" % (r, "vcore" if r == "vcore" else "GiB",
              *(format(round(demand[t]), ",") for t in (1, 2, 3))))


def figures(args):
    """One table row: the run's exit, time, memory and the placement figures of its report."""
    report = load_report(args.report)
    cells = [args.share + "%", args.night, args.exit, args.wall, args.rss]
    if report is None:
        cells += ["-"] * 9
    else:
        p = report["placement"]
        cells += [format(len(report["queues"]), ","), format(p["new"], ","), format(p["moved"], ","),
                  "%.6g" % p["objective"], "%.6g" % p["lower_bound"], "%.3f%%" % (100 * p["gap"]),
                  "yes" if p["used_full_model"] else "no", "%.2f" % p["seconds"], "%.2f" % report["allocation_seconds"]]
    print(ROW % tuple(cells))


# share, night, exit, wall, peak RSS, queues, new, moved, objective, bound, gap, full MIP, placement s, allocation s
ROW = "%-6s %-6s %-5s %-8s %-9s %-7s %-7s %-6s %-12s %-12s %-8s %-9s %-11s %-6s"
HEADER = ROW % ("share", "night", "exit", "wall s", "peak MiB", "queues", "new", "moved", "objective", "LP bound",
                "gap", "full MIP", "placement", "alloc")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="write the history")
    g.add_argument("out", help="output folder (created)")
    g.add_argument("--projects", type=int, default=2000, help="number of projects (default 2000: about 4,400 leaf queues)")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--days", type=int, default=14, help="days of history (the policy's window_days)")
    g.add_argument("--end", default="2026-11-20", help="last day of the history, YYYY-MM-DD (UTC)")
    g.add_argument("--clusters", default="c1:2,c2:3,c3:4,c4:5,c5:6",
                   help="name:weight,... (where the history ran; the weights are the capacity ratio)")
    c = sub.add_parser("clusters", help="write a clusters.yaml sized for a tier-1 share")
    c.add_argument("--report", required=True, help="a `bursar allocate --format json` report (the calibration run)")
    c.add_argument("--policy", required=True, help="the policy.yaml the runs use (for tier3_floor)")
    c.add_argument("--share", type=float, required=True, help="tier-1 demand as a percentage of usable capacity")
    c.add_argument("--weights", default="c1:2,c2:3,c3:4,c4:5,c5:6", help="name:weight,... (capacity ratio)")
    c.add_argument("--out", required=True)
    d = sub.add_parser("describe", help="print the inputs as Bursar saw them")
    d.add_argument("--report", required=True)
    sub.add_parser("header", help="print the table header")
    f = sub.add_parser("figures", help="print one table row")
    for name in ("report", "share", "night", "exit", "wall", "rss"):
        f.add_argument("--" + name, required=True)
    args = parser.parse_args()
    if args.command == "generate":
        generate(args)
    elif args.command == "clusters":
        clusters(args)
    elif args.command == "describe":
        describe(args)
    elif args.command == "header":
        print(HEADER)
    else:
        figures(args)


if __name__ == "__main__":
    main()
