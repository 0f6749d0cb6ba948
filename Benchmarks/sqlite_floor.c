/* The floor under `bursar ingest` into SQLite (issue #3): the rows an ingest of the benchmark stores,
 * written with nothing but SQLite's C API (prepared statements, one transaction per 25,000 rows, the
 * store's pragmas, rows pre-sorted as bursar writes them), with no parsing, attribution or Swift at all.
 * Row shapes and counts follow `Benchmarks/ingest.sh`'s 1M-line input: apps 998k (schema version 6),
 * app_keys 998k, job_apps 699k, queue_hours 627k, workflow_runs 356k with its two indexes.
 *
 * Usage: sqlite_floor DB [APPS]    Prints the inputs and the seconds each table took, and the total
 * including closing the database (which copies the WAL into it). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void check(sqlite3 *db, int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "sqlite_floor: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static void exec(sqlite3 *db, const char *sql) { check(db, sqlite3_exec(db, sql, 0, 0, 0), sql); }

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql) {
    sqlite3_stmt *statement;
    check(db, sqlite3_prepare_v2(db, sql, -1, &statement, 0), sql);
    return statement;
}

static void step(sqlite3 *db, sqlite3_stmt *statement, long row) {
    check(db, sqlite3_step(statement), "insert");
    sqlite3_reset(statement);
    if (row % 25000 == 24999) exec(db, "COMMIT; BEGIN");
}

static void text(sqlite3_stmt *s, int i, const char *value) { sqlite3_bind_text(s, i, value, -1, SQLITE_STATIC); }

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: sqlite_floor DB [APPS]\n");
        return 2;
    }
    long apps = argc > 2 ? atol(argv[2]) : 997996;
    long jobApps = apps * 698845 / 997996, hours = apps * 627432 / 997996, runs = apps * 355558 / 997996;
    unlink(argv[1]);
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", argv[1]);
    unlink(wal);
    sqlite3 *db;
    check(db, sqlite3_open(argv[1], &db), "open");
    exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -262144;"
             "PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 65536");
    exec(db, "CREATE TABLE apps (seq INTEGER PRIMARY KEY, cluster TEXT, app_id TEXT, format TEXT, queue TEXT,"
             " user_name TEXT, state TEXT, submitted_at BIGINT, started_at BIGINT, finished_at BIGINT,"
             " vcore_seconds BIGINT, memory_seconds BIGINT, other_usage TEXT, preempted TEXT, placeholder TEXT,"
             " basis TEXT, org TEXT, project TEXT, tier BIGINT, workflow TEXT, source_id BIGINT, line BIGINT);"
             "CREATE TABLE app_keys (app_hash BIGINT, seq BIGINT, PRIMARY KEY (app_hash, seq)) WITHOUT ROWID;"
             "CREATE TABLE job_apps (app_id TEXT PRIMARY KEY, workflow TEXT, job TEXT, run_id TEXT,"
             " scheduled_at BIGINT) WITHOUT ROWID;"
             "CREATE TABLE queue_hours (cluster TEXT, queue TEXT, hour BIGINT, app_ms BIGINT, apps_started BIGINT,"
             " vcore BIGINT, memory BIGINT, pods BIGINT, PRIMARY KEY (cluster, queue, hour)) WITHOUT ROWID;"
             "CREATE TABLE workflow_runs (workflow TEXT, run_id TEXT, project TEXT, org TEXT, tier BIGINT,"
             " scheduled_at BIGINT, slo_minutes BIGINT, started_at BIGINT, finished_at BIGINT,"
             " apps_expected BIGINT, apps_finished BIGINT, outcome TEXT, PRIMARY KEY (workflow, run_id));"
             "CREATE INDEX workflow_runs_by_time ON workflow_runs (scheduled_at)");
    printf("sqlite %s; rows: apps %ld, app_keys %ld, job_apps %ld, queue_hours %ld, workflow_runs %ld\n",
           sqlite3_libversion(), apps, apps, jobApps, hours, runs);
    char id[64], other[64];
    double start = now(), lap = start, total = 0;
#define LAP(name) do { double t = now(); printf("  %-14s %.2f s\n", name, t - lap); lap = t; } while (0)

    exec(db, "BEGIN");
    sqlite3_stmt *s = prepare(db, "INSERT INTO apps VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    for (long i = 0; i < apps; i++) {
        snprintf(id, sizeof id, "spark-%016lx%016lx", (unsigned long)(i * 2654435761u), (unsigned long)i);
        snprintf(other, sizeof other, "pods=%ld", 1000 + i % 50000);
        int c = 1;
        sqlite3_bind_int64(s, c++, i + 1);
        text(s, c++, "moka-b"); text(s, c++, id); text(s, c++, "yunikorn");
        text(s, c++, "root.travel.loyalty-128.tier1"); text(s, c++, "svc-loyalty-128"); text(s, c++, "Completed");
        for (int k = 0; k < 3; k++) sqlite3_bind_int64(s, c++, 1794707179083LL + i * 1000 + k);
        sqlite3_bind_int64(s, c++, 114780000 + i); sqlite3_bind_int64(s, c++, 275769263652864LL + i);
        text(s, c++, other); text(s, c++, ""); text(s, c++, ""); text(s, c++, "job_apps");
        text(s, c++, "travel"); text(s, c++, "loyalty-128"); sqlite3_bind_int64(s, c++, 1);
        text(s, c++, "loyalty-128-export"); sqlite3_bind_int64(s, c++, i / 10000); sqlite3_bind_int64(s, c++, i);
        step(db, s, i);
    }
    sqlite3_finalize(s);
    exec(db, "COMMIT; BEGIN");
    LAP("apps");

    s = prepare(db, "INSERT INTO app_keys VALUES (?, ?)");
    for (long i = 0; i < apps; i++) {
        sqlite3_bind_int64(s, 1, -(1LL << 62) + i * 4000000000LL);  /* sorted by hash, as bursar writes them */
        sqlite3_bind_int64(s, 2, i + 1);
        step(db, s, i);
    }
    sqlite3_finalize(s);
    LAP("app_keys");

    s = prepare(db, "INSERT INTO job_apps VALUES (?,?,?,?,?)");
    for (long i = 0; i < jobApps; i++) {
        snprintf(id, sizeof id, "spark-%032lx", (unsigned long)i);  /* sorted, as bursar writes them */
        snprintf(other, sizeof other, "loyalty-128-export-20261115T%04ld", i / 2 % 10000);
        text(s, 1, id); text(s, 2, "loyalty-128-export"); text(s, 3, "load-raw"); text(s, 4, other);
        sqlite3_bind_int64(s, 5, 1794707179083LL + i);
        step(db, s, i);
    }
    sqlite3_finalize(s);
    LAP("job_apps");

    s = prepare(db, "INSERT INTO queue_hours VALUES (?,?,?,?,?,?,?,?)");
    for (long i = 0; i < hours; i++) {
        snprintf(other, sizeof other, "root.org-%03ld.project-%05ld.tier%ld", i / 300000, i / 300, 1 + i / 100 % 3);
        text(s, 1, "moka-b"); text(s, 2, other); sqlite3_bind_int64(s, 3, 1794700000000LL + i % 300 * 3600000);
        for (int k = 4; k <= 8; k++) sqlite3_bind_int64(s, k, 1000 * i + k);
        step(db, s, i);
    }
    sqlite3_finalize(s);
    LAP("queue_hours");

    s = prepare(db, "INSERT INTO workflow_runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    for (long i = 0; i < runs; i++) {
        snprintf(id, sizeof id, "workflow-%06ld", i / 40);
        snprintf(other, sizeof other, "workflow-%06ld-20261115T%04ld", i / 40, i % 40);
        text(s, 1, id); text(s, 2, other); text(s, 3, "loyalty-128"); text(s, 4, "travel");
        sqlite3_bind_int64(s, 5, 1); sqlite3_bind_int64(s, 6, 1794707179083LL + (i * 7919) % 1000000 * 1000);
        sqlite3_bind_int64(s, 7, 60);
        for (int k = 8; k <= 11; k++) sqlite3_bind_int64(s, k, 1794707179083LL + i + k);
        text(s, 12, "met");
        step(db, s, i);
    }
    sqlite3_finalize(s);
    exec(db, "COMMIT");
    LAP("workflow_runs");
    check(db, sqlite3_close(db), "close");
    LAP("close");
    total = now() - start;
    printf("  total          %.2f s (SQLite C API alone, one thread)\n", total);
    return 0;
}
