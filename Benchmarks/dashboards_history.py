#!/usr/bin/env python3
"""A platform-scale history for the dashboards benchmark (issue #18): QUEUES leaf queues
(root.<org>.<project>.tier<N>) on CLUSTERS clusters, each running two 12-hour applications a day, and WORKFLOWS
workflows of three chained jobs run daily (about 5% of runs late), over DAYS days, as YuniKorn 1.4 summary
lines and the mappings CSVs; and the SQL that archives a plan for each night (guaranteed and max per queue,
changing a little from night to night), applied by the benchmark after `bursar ingest` created the schema.

Usage: dashboards_history.py OUT [--queues 5000] [--workflows 3000] [--days 30] [--clusters 4] [--end YYYY-MM-DD]"""
import argparse
import datetime
import json
import os
import random


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--queues", type=int, default=5000)
    parser.add_argument("--workflows", type=int, default=3000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--clusters", type=int, default=4)
    parser.add_argument("--end", default="2026-11-30")
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(os.path.join(args.out, "logs"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "mappings"), exist_ok=True)

    # Queues: orgs of 34 projects of 3 tiers until QUEUES leaves.
    queues = []  # (org, project, tier, cluster, cores)
    org = 0
    while len(queues) < args.queues:
        for p in range(34):
            for tier in (1, 2, 3):
                if len(queues) < args.queues:
                    queues.append((f"org{org:03d}", f"o{org:03d}p{p:02d}", tier, f"c{(org * 34 + p) % args.clusters}", rng.choice([2, 4, 8, 16])))
        org += 1
    end = datetime.date.fromisoformat(args.end)
    start = end - datetime.timedelta(days=args.days - 1)
    day0 = int(datetime.datetime(start.year, start.month, start.day, tzinfo=datetime.timezone.utc).timestamp() * 1000)
    hour = 3_600_000

    def line(app, submitted, started, finished, queue, cluster, cores, state="Completed"):
        seconds = (finished - started) / 1000
        usage = {"vcore": int(cores * 1000 * seconds), "memory": int(cores * 4 * 2**30 * seconds), "pods": int(cores * seconds / 4)}
        when = datetime.datetime.fromtimestamp(finished / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        body = {"appID": app, "submissionTime": submitted, "startTime": started, "finishTime": finished, "user": "svc",
                "queue": queue, "state": state, "rmID": cluster, "resourceUsage": {"UNKNOWN": usage}, "preemptedResource": {}}
        return f"{when}\tINFO\tcore.scheduler.application.usage\tobjects/application.go:1790\tYK_APP_SUMMARY:\t{json.dumps(body)}\n"

    projects = sorted({(q[0], q[1]) for q in queues})
    with open(os.path.join(args.out, "mappings", "projects.csv"), "w") as f:
        f.write("project,owner\n")
        f.writelines(f"{p},team-{p}\n" for _, p in projects)
    with open(os.path.join(args.out, "mappings", "owners.csv"), "w") as f:
        f.write("owner,org\n")
        f.writelines(f"team-{p},{o}\n" for o, p in projects)
    workflows = []  # (name, queue tuple, slo minutes)
    for w in range(args.workflows):
        q = queues[(w * 7919) % len(queues)]
        workflows.append((f"wf{w:04d}-{q[1]}", q, rng.choice([60, 90, 120, 180])))
    with open(os.path.join(args.out, "mappings", "workflows.csv"), "w") as f:
        f.write("workflow,project,tier,slo_minutes\n")
        f.writelines(f"{name},{q[1]},{q[2]},{slo}\n" for name, q, slo in workflows)

    apps = 0
    job_apps = open(os.path.join(args.out, "mappings", "job_apps.csv"), "w")
    job_apps.write("app_id,workflow,job,run_id,scheduled_at\n")
    for d in range(args.days):
        base = day0 + d * 24 * hour
        date = (start + datetime.timedelta(days=d)).isoformat()
        files = {}
        def out(cluster):
            if cluster not in files:
                files[cluster] = open(os.path.join(args.out, "logs", f"{cluster}-{date}.log"), "w")
            return files[cluster]
        for i, (o, p, tier, cluster, cores) in enumerate(queues):
            queue = f"root.{o}.{p}.tier{tier}"
            for half in (0, 1):
                started = base + half * 12 * hour + rng.randint(0, 600_000)
                finished = started + 12 * hour - rng.randint(600_000, 1_200_000)
                scale = cores * (0.5 + rng.random())
                out(cluster).write(line(f"spark-q{i}-{d}-{half}", started - 5000, started, finished, queue, cluster, scale))
                apps += 1
        for w, (name, q, slo) in enumerate(workflows):
            o, p, tier, cluster, cores = q
            queue = f"root.{o}.{p}.tier{tier}"
            scheduled = base + (2 + w % 6) * hour
            run = f"{name}-{date.replace('-', '')}"
            at = datetime.datetime.fromtimestamp(scheduled / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            late = rng.random() < 0.05
            t = scheduled + 60_000
            for j, job in enumerate(("extract", "transform", "publish")):
                length = int(slo * 60_000 / 4 * (1.8 if late else 1) * (0.8 + 0.2 * rng.random()))
                app = f"spark-w{w}-{d}-{j}"
                out(cluster).write(line(app, t - 2000, t, t + length, queue, cluster, cores))
                job_apps.write(f"{app},{name},{job},{run},{at}\n")
                t += length + 30_000
                apps += 1
        for f in files.values():
            f.close()
    job_apps.close()

    # Plans: each night, per cluster, guaranteed and max per leaf queue; a queue's guaranteed moves by a step now
    # and then, so the step lines have changes to mark.
    with open(os.path.join(args.out, "plans.sql"), "w") as sql:
        sql.write("BEGIN;\n")
        for d in range(args.days):
            night = (start + datetime.timedelta(days=d)).isoformat()
            planned = day0 + d * 24 * hour + hour
            sql.write(f"INSERT INTO plan_nights VALUES ('{night}', 'bench-{night}', {planned}, {planned - 30 * 24 * hour}, {planned}, "
                      f"'{'none' if d == 0 else 'night'}', {'NULL' if d == 0 else repr((start + datetime.timedelta(days=d - 1)).isoformat())}, 0);\n")
            for c in range(args.clusters):
                cluster = f"c{c}"
                lines = ["partitions:", "  - name: default", "    queues:", "      - name: root", "        queues:"]
                by_org = {}
                for i, (o, p, tier, qc, cores) in enumerate(queues):
                    if qc == cluster:
                        by_org.setdefault(o, {}).setdefault(p, []).append((i, tier, cores))
                for o in sorted(by_org):
                    lines += [f"          - name: {o}", "            queues:"]
                    for p in sorted(by_org[o]):
                        lines += [f"              - name: {p}", "                queues:"]
                        for i, tier, cores in by_org[o][p]:
                            step = 1 + ((i + d // 7) % 3) * 0.25
                            g = int(cores * 1000 * step)
                            lines += [f"                  - name: tier{tier}", "                    resources:",
                                      f"                      guaranteed: {{vcore: {g}m, memory: {g * 4 // 1000}Gi}}",
                                      f"                      max: {{vcore: {g * 2}m, memory: {g * 8 // 1000}Gi}}"]
                text = "\n".join(lines) + "\n"
                sql.write(f"INSERT INTO plan_night_files VALUES ('{night}', 'plan', '{cluster}', '{text}');\n")
        sql.write("COMMIT;\n")
    print(f"history: {len(queues)} queues on {args.clusters} clusters, {len(workflows)} workflows of 3 jobs, {args.days} days "
          f"({start} to {end}), {apps} application summaries, {args.days} nights of plans")


if __name__ == "__main__":
    main()
