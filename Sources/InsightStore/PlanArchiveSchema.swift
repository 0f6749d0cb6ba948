extension Schema {
    /// Version 8 archives each night's plan (`bursar allocate` / `bursar nightly`), so the previous plan of a
    /// night is what was planned for the night before it, whatever ran since:
    /// - `plan_nights`: one row per night (`YYYY-MM-DD`, UTC, which sorts as dates do): the id of the plan now
    ///   archived for it, when it was planned, its usage window, and what it was measured against
    ///   (`previous_source` night / baseline / none / ignored, with `previous_night`). `baseline_kept` = 1 when
    ///   the night's baseline (the files found before the archive had an earlier night) is in
    ///   `plan_night_files`, possibly as no rows at all (no file existed): a rerun then uses it again.
    /// - `plan_night_files`: per night, kind (`plan`: what was written; `baseline`) and cluster, the
    ///   `queues.yaml` text, from which the plan is rebuilt.
    /// - `plan_commits`: every plan id ever committed, never replaced: after a crash the output journal's id is
    ///   looked up here to tell a committed plan (keep its files) from one that never was (restore the old ones).
    static let planArchiveMigration = Migration(version: 8, name: "nightly plan archive", sql: """
        CREATE TABLE plan_nights (
            night TEXT PRIMARY KEY,
            plan_id TEXT NOT NULL,
            planned_at BIGINT NOT NULL,
            window_start BIGINT NOT NULL,
            window_end BIGINT NOT NULL,
            previous_source TEXT NOT NULL,
            previous_night TEXT,
            baseline_kept BIGINT NOT NULL
        );
        CREATE TABLE plan_night_files (
            night TEXT NOT NULL,
            kind TEXT NOT NULL,
            cluster TEXT NOT NULL,
            queues_yaml TEXT NOT NULL,
            PRIMARY KEY (night, kind, cluster)
        );
        CREATE TABLE plan_commits (
            plan_id TEXT PRIMARY KEY,
            night TEXT NOT NULL,
            committed_at BIGINT NOT NULL
        );
        """)
}
