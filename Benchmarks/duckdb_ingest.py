#!/usr/bin/env python3
"""DuckDB baseline for `bursar ingest`: the same job done with DuckDB SQL, to compare against.

Given a folder of application-summary logs (as `bursar synth OUT` writes them; recursively, every
`*.log` and `*.log.gz`), it reads every line, extracts the summary fields of every shape

  * YuniKorn >= 1.5  `YK_APP_SUMMARY: {ApplicationID: ..., ResourceUsage: TrackedResource{...}, ...}` in a zap line,
  * YuniKorn 1.3/1.4 `YK_APP_SUMMARY:` TAB zap JSON fields,
  * Fluent Bit records whose `log` field holds either of those,
  * YARN `ApplicationSummary` key=value lines (MB*s -> byte*s, vcore*s -> millicore*s),

rejects malformed summaries with the same rules as Bursar's parser (non-numeric or negative times,
finish before start, negative usage, truncated lines), de-duplicates by (cluster, application id) and
aggregates vcore and memory resource-seconds per queue and per queue and hour into a DuckDB database.
All parsing happens inside DuckDB (regexp_extract, json_extract); Python only lists files and prints.
Lambdas use the `lambda x: ...` form (DuckDB 1.3 and later; 2.0 dropped the old `x -> ...` arrow).

Tables written: `apps` (one row per distinct (cluster, application id); the cluster is the RmID, or
for YARN the folder the file is in), `queue_usage` (per cluster and queue), `queue_hourly_usage`
(usage spread over the clock hours each application ran in) and `ingest_stats`.

Prints one line of JSON on stdout (and nothing else there: whatever a library prints goes to stderr): input (files, bytes on disk, uncompressed bytes, lines), wall time,
MB/s, summary lines, distinct summaries, rejected and skipped lines, and, when the folder has a
`manifest.json` (written by `bursar synth`), whether every count and per-queue total matches it.

Usage: Benchmarks/duckdb_ingest.py FOLDER [--db FILE] [--threads N] [--manifest FILE|none]
Exit codes: 0 ok, 1 usage, 2 unreadable input, 3 counts differ from the manifest.
"""
import argparse
import json
import os
import platform
import sys
import time

import result_stream

# Before duckdb is loaded: anything it prints on descriptor 1 goes to standard error, not into the JSON.
RESULT = result_stream.claim()
import duckdb  # noqa: E402

# Zap >= 1.5 summary fields, one small regex each, every one anchored on its own key and the next: a
# truncated line loses a later key and so a field. (One regex with eleven lazy groups was 20x slower
# in RE2 than these single-group ones.) Values that cannot hold a comma (ids, queue names, states) use
# [^,]*; the user name can, so it is matched lazily up to the next key, as Bursar's parser does.
MODERN_FIELDS = [
    ("app_id", r"YK_APP_SUMMARY: \{ApplicationID: ([^,]*), SubmissionTime: "),
    ("sub", r", SubmissionTime: (-?\d+), StartTime: "),
    ("start", r", StartTime: (-?\d+), FinishTime: "),
    ("finish", r", FinishTime: (-?\d+), User: "),
    ("user", r", User: (.*?), Queue: "),
    ("queue", r", Queue: ([^,]*), State: "),
    ("state", r", State: ([^,]*), RmID: "),
    ("rm_id", r", RmID: ([^,]*), ResourceUsage: "),
    ("usage", r", ResourceUsage: (TrackedResource\{[^}]*\}), PreemptedResource: "),
    ("preempted", r", PreemptedResource: (TrackedResource\{[^}]*\}), PlaceholderResource: "),
    ("placeholder", r", PlaceholderResource: (TrackedResource\{[^}]*\})\}"),
]
# A whole TrackedResource: inst:res=n entries joined by commas (or none).
TRACKED = r"TrackedResource\{(?:[^,=]+=-?\d+(?:,[^,=]+=-?\d+)*)?\}"


def sql_string(text):
    return "'" + text.replace("'", "''") + "'"


def entries(column):
    """`TrackedResource{inst:res=n,...}` as a list of [resource, amount-text] pairs (parsed once per row)."""
    return (f"list_transform(string_split({column}[17:-2], ','), "
            f"lambda x: string_split(split_part(x, ':', -1), '='))")


def tracked_sum(column, resource):
    """Sum of one resource over instance types, from `entries`."""
    return (f"coalesce(list_sum(list_transform(list_filter({column}, lambda x: x[1] = {sql_string(resource)}), "
            f"lambda x: TRY_CAST(x[2] AS HUGEINT))), 0)")


def json_sum(column, key, resource):
    """Sum of one resource over instance types in a 1.3/1.4 `{inst: {res: n}}` map."""
    path = sql_string(f'$.{key}.*."{resource}"')
    return f"coalesce(list_sum(list_transform(json_extract({column}, {path}), lambda x: x::HUGEINT)), 0)"


def json_min(column, key):
    path = sql_string(f"$.{key}.*.*")
    return f"coalesce(list_min(list_transform(json_extract({column}, {path}), lambda x: x::DOUBLE)), 0)"


def yarn_field(key):
    """A YARN key=value field; values escape , = and \\ with a backslash."""
    pattern = sql_string("(?:^|[ ,])" + key + r"=((?:[^,\\]|\\.)*)")
    return f"regexp_extract(body, {pattern}, 1)"


def yarn_number(key):
    """A whole-number YARN field as BIGINT (NULL when missing or not an integer: `1.7e12` must not pass)."""
    pattern = sql_string("(?:^|[ ,])" + key + r"=(-?\d+)(?:,|$)")
    return f"TRY_CAST(nullif(regexp_extract(body, {pattern}, 1), '') AS BIGINT)"


def unescape(expr):
    return "regexp_replace(" + expr + r", '\\(.)', '\1', 'g')"


def json_time(key):
    return (f"CASE WHEN json_type(j, {sql_string('$.' + key)}) IN ('BIGINT', 'UBIGINT') "
            f"THEN (j ->> {sql_string('$.' + key)})::BIGINT END")


def build_sql(files):
    file_list = "[" + ", ".join(sql_string(f) for f in files) + "]"
    modern_fields = ",\n".join(f"           regexp_extract(body, {sql_string(pattern)}, 1) AS \"{name}\""
                                for name, pattern in MODERN_FIELDS)
    # read_csv with a delimiter that never occurs and quoting off: one VARCHAR per line, read in
    # parallel, .gz decompressed by extension.
    source = (f"read_csv({file_list}, columns = {{'line': 'VARCHAR'}}, delim = '\\x01', quote = '', escape = '', "
              f"header = false, auto_detect = false, strict_mode = false, filename = true, "
              f"max_line_size = 16777216, compression = 'auto')")
    return f"""
CREATE OR REPLACE TEMP TABLE parsed AS
WITH src AS (
    SELECT filename, coalesce(line, '') AS line FROM {source}
), unwrapped AS (
    SELECT filename, strlen(line) + 1 AS nbytes,
           starts_with(ltrim(line, ' ' || chr(9)), '{{') AND contains(line, '"log"') AS wrapped,
           contains(line, 'YK_APP_SUMMARY:') AS marker,
           line
    FROM src
), inner_lines AS MATERIALIZED (
    -- Materialised so that the Fluent Bit JSON is parsed once: the classification below refers to
    -- `body` several times, and an inlined CASE would be evaluated again at each reference.
    SELECT filename, nbytes, marker,
           CASE WHEN NOT wrapped THEN line
                WHEN json_valid(line) THEN rtrim(json_extract_string(line, '$.log'), chr(10) || chr(13))
           END AS body
    FROM unwrapped
), classified AS MATERIALIZED (
    -- Materialised: four branches below read it, and an inlined CTE would be scanned and classified
    -- once per branch. Only candidate summaries keep their text.
    SELECT filename, nbytes, kind, CASE WHEN kind IN ('modern', 'json', 'yarn') THEN body END AS body
    FROM (SELECT filename, nbytes, body,
           CASE WHEN body IS NULL THEN CASE WHEN marker THEN 'bad' ELSE 'skip' END
                WHEN contains(body, 'YK_APP_SUMMARY: {{ApplicationID: ') THEN 'modern'
                WHEN contains(body, 'YK_APP_SUMMARY:') THEN
                     CASE WHEN json_valid(regexp_extract(body, 'YK_APP_SUMMARY:[ \\t]*(\\{{.*)$', 1)) THEN 'json' ELSE 'bad' END
                WHEN contains(body, 'appId=')
                     AND (starts_with(ltrim(body, ' ' || chr(9)), 'appId=') OR contains(body, 'ApplicationSummary')) THEN 'yarn'
                ELSE 'skip'
           END AS kind
    FROM inner_lines)
), modern AS (
    SELECT filename, nbytes, kind,
{modern_fields}
    FROM classified WHERE kind = 'modern'
), modern_entries AS (
    SELECT *, {entries('usage')} AS usage_entries
    FROM modern
), modern_rows AS (
    SELECT filename, nbytes, kind, 'yunikorn' AS format, app_id, rm_id, queue, "user", state,
           TRY_CAST(nullif(sub, '') AS BIGINT) AS submission_time, TRY_CAST(nullif(start, '') AS BIGINT) AS start_time,
           TRY_CAST(nullif(finish, '') AS BIGINT) AS finish_time,
           {tracked_sum('usage_entries', 'vcore')} AS vcore, {tracked_sum('usage_entries', 'memory')} AS memory,
           {tracked_sum('usage_entries', 'pods')} AS pods, {tracked_sum('usage_entries', 'nvidia.com/gpu')} AS gpu,
           regexp_full_match(usage, {sql_string(TRACKED)})
             AND regexp_full_match(preempted, {sql_string(TRACKED)})
             AND regexp_full_match(placeholder, {sql_string(TRACKED)})
             AND NOT contains(usage || preempted || placeholder, '=-') AS fields_ok
    FROM modern_entries
), json_lines AS (
    SELECT filename, nbytes, kind, regexp_extract(body, 'YK_APP_SUMMARY:[ \\t]*(\\{{.*)$', 1) AS j
    FROM classified WHERE kind = 'json'
), json_rows AS (
    SELECT filename, nbytes, kind, 'yunikorn-json' AS format,
           coalesce(j ->> '$.appID', j ->> '$.appId', '') AS app_id,
           coalesce(j ->> '$.rmID', '') AS rm_id,
           j ->> '$.queue' AS queue, j ->> '$.user' AS "user", j ->> '$.state' AS state,
           {json_time('submissionTime')} AS submission_time,
           {json_time('startTime')} AS start_time,
           {json_time('finishTime')} AS finish_time,
           {json_sum('j', 'resourceUsage', 'vcore')} AS vcore,
           {json_sum('j', 'resourceUsage', 'memory')} AS memory,
           {json_sum('j', 'resourceUsage', 'pods')} AS pods,
           {json_sum('j', 'resourceUsage', 'nvidia.com/gpu')} AS gpu,
           {json_min('j', 'resourceUsage')} >= 0 AND {json_min('j', 'preemptedResource')} >= 0
             AND {json_min('j', 'placeHolderResource')} >= 0 AS fields_ok
    FROM json_lines
), yarn_rows AS (
    SELECT filename, nbytes, kind, 'yarn' AS format,
           regexp_extract(body, 'appId=([^,]*)', 1) AS app_id, '' AS rm_id,
           {unescape(yarn_field('queue'))} AS queue, {unescape(yarn_field('user'))} AS "user",
           {yarn_field('state')} AS state,
           {yarn_number('submitTime')} AS submission_time,
           {yarn_number('startTime')} AS start_time,
           {yarn_number('finishTime')} AS finish_time,
           {yarn_number('vcoreSeconds')}::HUGEINT * 1000 AS vcore,
           {yarn_number('memorySeconds')}::HUGEINT * 1048576 AS memory,
           0::HUGEINT AS pods, 0::HUGEINT AS gpu,
           coalesce({yarn_number('preemptedMemorySeconds')}, 0) >= 0
             AND coalesce({yarn_number('preemptedVcoreSeconds')}, 0) >= 0 AS fields_ok
    FROM classified WHERE kind = 'yarn'
), other_rows AS (
    SELECT filename, nbytes, kind, NULL AS format, NULL AS app_id, NULL AS rm_id, NULL AS queue, NULL AS "user",
           NULL AS state, NULL::BIGINT AS submission_time, NULL::BIGINT AS start_time, NULL::BIGINT AS finish_time,
           NULL::HUGEINT AS vcore, NULL::HUGEINT AS memory, NULL::HUGEINT AS pods, NULL::HUGEINT AS gpu,
           false AS fields_ok
    FROM classified WHERE kind IN ('skip', 'bad')
), all_rows AS (
    SELECT * FROM modern_rows UNION ALL SELECT * FROM json_rows
    UNION ALL SELECT * FROM yarn_rows UNION ALL SELECT * FROM other_rows
)
SELECT filename, nbytes, kind, format,
       CASE WHEN rm_id <> '' THEN rm_id ELSE regexp_extract(filename, '([^/]+)/[^/]+$', 1) END AS cluster,
       app_id, queue, "user", state, submission_time, start_time, finish_time, vcore, memory, pods, gpu,
       coalesce(kind <> 'skip' AND kind <> 'bad' AND fields_ok AND app_id <> ''
         AND finish_time >= start_time AND start_time >= 0 AND submission_time >= 0
         AND vcore >= 0 AND memory >= 0 AND pods >= 0 AND gpu >= 0, false) AS ok
FROM all_rows;

CREATE OR REPLACE TABLE apps AS
SELECT DISTINCT ON (cluster, app_id)
       cluster, app_id, format, queue, "user", state, submission_time, start_time, finish_time,
       vcore, memory, pods, gpu, filename
FROM parsed WHERE ok;

CREATE OR REPLACE TABLE queue_usage AS
SELECT cluster, queue, count(*) AS apps, sum(vcore) AS vcore_millicore_seconds,
       sum(memory) AS memory_byte_seconds, sum(pods) AS pod_seconds, sum(gpu) AS gpu_seconds
FROM apps GROUP BY cluster, queue;

-- Usage spread over the clock hours an application ran in, in proportion to the time in each.
CREATE OR REPLACE TABLE queue_hourly_usage AS
WITH spans AS (
    SELECT cluster, queue, start_time, finish_time, vcore, memory,
           unnest(range(start_time // 3600000, finish_time // 3600000 + 1)) AS hour
    FROM apps
), shares AS (
    SELECT cluster, queue, hour,
           CASE WHEN finish_time = start_time THEN 1.0
                ELSE (least(finish_time, (hour + 1) * 3600000) - greatest(start_time, hour * 3600000))::DOUBLE
                     / (finish_time - start_time) END AS share,
           vcore, memory
    FROM spans
)
SELECT cluster, queue, make_timestamp(hour * 3600000000) AS hour,
       sum(vcore::DOUBLE * share) AS vcore_millicore_seconds, sum(memory::DOUBLE * share) AS memory_byte_seconds
FROM shares GROUP BY cluster, queue, hour;

CREATE OR REPLACE TABLE ingest_stats AS
SELECT count(DISTINCT filename) AS files, count(*) AS lines, sum(nbytes) AS uncompressed_bytes,
       count(*) FILTER (WHERE ok) AS summary_lines,
       count(*) FILTER (WHERE NOT ok AND kind <> 'skip') AS rejected_lines,
       count(*) FILTER (WHERE kind = 'skip') AS skipped_lines,
       (SELECT count(*) FROM apps) AS summaries
FROM parsed;
"""


def list_files(folder):
    found = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            if name.endswith(".log") or name.endswith(".log.gz"):
                found.append(os.path.join(root, name))
    return found


def check_manifest(con, manifest):
    """Compares the ingest with `bursar synth`'s truth; returns a list of differences."""
    problems = []
    stats = con.execute("SELECT summary_lines, summaries, rejected_lines, skipped_lines, lines FROM ingest_stats").fetchone()
    for name, got, key in [("summary lines", stats[0], "summary_lines"), ("distinct summaries", stats[1], "apps"),
                           ("rejected lines", stats[2], "malformed_lines"), ("skipped lines", stats[3], "noise_lines"),
                           ("lines", stats[4], "lines")]:
        if got != manifest[key]:
            problems.append(f"{name}: {got} != manifest {manifest[key]}")
    got = {(c, q): (a, int(v), int(m)) for c, q, a, v, m in con.execute(
        "SELECT cluster, queue, apps, vcore_millicore_seconds, memory_byte_seconds FROM queue_usage").fetchall()}
    want = {(q["cluster"], q["queue"]): (q["apps"], q["vcore"], q["memory"]) for q in manifest["queues"]}
    for key in sorted(set(got) | set(want)):
        if got.get(key) != want.get(key):
            problems.append(f"queue {key}: {got.get(key)} != manifest {want.get(key)}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--db", default=None, help="DuckDB database file (default: a fresh temporary file)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--manifest", default=None, help="manifest.json to check against ('none' to skip)")
    args = parser.parse_args()
    if not os.path.isdir(args.folder):
        print(f"not a folder: {args.folder}", file=sys.stderr)
        return 1
    files = list_files(args.folder)
    if not files:
        print(f"no *.log or *.log.gz files under {args.folder}", file=sys.stderr)
        return 2
    stored_bytes = sum(os.path.getsize(f) for f in files)
    db = args.db or os.path.join(os.environ.get("TMPDIR", "/tmp"), f"duckdb_ingest_{os.getpid()}.duckdb")
    remove_db(db)
    try:
        return ingest(args, files, stored_bytes, db)
    finally:
        # A throwaway database goes, whatever happened; one named with --db stays for inspection.
        if args.db is None:
            remove_db(db)


def remove_db(db):
    for leftover in (db, db + ".wal"):
        if os.path.exists(leftover):
            os.remove(leftover)


def ingest(args, files, stored_bytes, db):
    started = time.perf_counter()
    con = duckdb.connect(db)
    con.execute(f"SET threads = {args.threads}")
    # Order of rows is irrelevant here; keeping it would serialise parts of the plan.
    con.execute("SET preserve_insertion_order = false")
    try:
        con.execute(build_sql(files))
    except duckdb.IOException as error:
        print(f"unreadable input: {error}", file=sys.stderr)
        con.close()
        return 2
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - started

    stats = con.execute("SELECT files, lines, uncompressed_bytes, summary_lines, summaries, rejected_lines, "
                        "skipped_lines FROM ingest_stats").fetchone()
    result = {
        "tool": "duckdb", "duckdb": duckdb.__version__, "threads": args.threads,
        "machine": f"{os.cpu_count()} cores, {platform.platform()}",
        "input": {"folder": args.folder, "files": stats[0], "bytes": stored_bytes,
                  "uncompressed_bytes": int(stats[2]), "lines": stats[1]},
        "seconds": round(seconds, 3),
        "mb_per_s": round(stored_bytes / 1e6 / seconds, 1),
        "uncompressed_mb_per_s": round(int(stats[2]) / 1e6 / seconds, 1),
        "lines_per_s": round(stats[1] / seconds),
        "summary_lines": stats[3], "summaries": stats[4], "rejected": stats[5], "skipped": stats[6],
        "queues": con.execute("SELECT count(*) FROM queue_usage").fetchone()[0],
        "db": args.db,
    }
    status = 0
    manifest_path = args.manifest or os.path.join(args.folder, "manifest.json")
    if args.manifest != "none" and os.path.exists(manifest_path):
        with open(manifest_path) as handle:
            problems = check_manifest(con, json.load(handle))
        result["manifest"] = {"path": manifest_path, "matches": not problems, "differences": problems[:20]}
        status = 3 if problems else 0
    con.close()
    RESULT.write(json.dumps(result) + "\n")
    RESULT.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
