extension Schema {
    /// Version 6 stores each application in about half the bytes, because writing `apps` was most of an
    /// ingest's time and I/O (377 of 654 MB on the 1M-line benchmark, every byte written twice through
    /// the WAL). Nothing is lost: what was dropped is derived again by the `app_details` view.
    /// - `source` (a path repeated on every row) becomes `source_id` into `source_names`;
    /// - `usage` becomes `other_usage`: resources besides vcore and memory, which have their own columns
    ///   (rows from before version 6 still list those too; the columns win);
    /// - `job` and `run_id` come from the application's job_apps row (job_apps rows are only ever added,
    ///   so the row that attributed it is still there);
    /// - `demand_queue` is `root.<org>.<project>.tier<N>` when attributed, else the queue it ran in.
    ///
    /// `app_keys` keys each application by a 64-bit hash of its id (FNV-1a, the same on every platform)
    /// rather than by its id and cluster text: a third of the index to write, and a lookup compares the
    /// stored row's id and cluster, so two ids with one hash are still told apart. SQL cannot compute the
    /// hash, so the migration leaves `app_keys` empty and flags it; the store refills it when opened.
    static let slimAppsMigration = Migration(version: 6, name: "slimmer apps rows, app_keys by id hash", sql: """
        CREATE TABLE source_names (
            id $AUTO_KEY,
            source TEXT NOT NULL UNIQUE
        );
        INSERT INTO source_names (source) SELECT DISTINCT source FROM apps ORDER BY source;
        CREATE TABLE apps_v6 (
            seq $SEQ_KEY,
            cluster TEXT NOT NULL,
            app_id TEXT NOT NULL,
            format TEXT NOT NULL,
            queue TEXT NOT NULL,
            user_name TEXT NOT NULL,
            state TEXT NOT NULL,
            submitted_at BIGINT NOT NULL,
            started_at BIGINT NOT NULL,
            finished_at BIGINT NOT NULL,
            vcore_seconds BIGINT NOT NULL,
            memory_seconds BIGINT NOT NULL,
            other_usage TEXT NOT NULL,
            preempted TEXT NOT NULL,
            placeholder TEXT NOT NULL,
            basis TEXT NOT NULL,
            org TEXT,
            project TEXT,
            tier BIGINT,
            workflow TEXT,
            source_id BIGINT NOT NULL,
            line BIGINT NOT NULL
        );
        INSERT INTO apps_v6 (seq, cluster, app_id, format, queue, user_name, state, submitted_at, started_at,
                             finished_at, vcore_seconds, memory_seconds, other_usage, preempted, placeholder, basis,
                             org, project, tier, workflow, source_id, line)
        SELECT a.seq, a.cluster, a.app_id, a.format, a.queue, a.user_name, a.state, a.submitted_at, a.started_at,
               a.finished_at, a.vcore_seconds, a.memory_seconds, a.usage, a.preempted, a.placeholder, a.basis, a.org,
               a.project, a.tier, a.workflow, s.id, a.line
        FROM apps a JOIN source_names s ON s.source = a.source ORDER BY a.seq;
        DROP TABLE apps;
        ALTER TABLE apps_v6 RENAME TO apps;
        DROP TABLE app_keys;
        CREATE TABLE app_keys (
            app_hash BIGINT NOT NULL,
            seq BIGINT NOT NULL,
            PRIMARY KEY (app_hash, seq)
        ) $COMPACT;
        INSERT INTO ingest_state (name, value) VALUES ('app_keys_refill', 1);
        CREATE VIEW app_details AS
        SELECT a.seq, a.cluster, a.app_id, a.format, a.queue, a.user_name, a.state, a.submitted_at, a.started_at,
               a.finished_at, a.vcore_seconds, a.memory_seconds, a.other_usage, a.preempted, a.placeholder, a.basis,
               a.org, a.project, a.tier, a.workflow, j.job, j.run_id,
               CASE WHEN a.tier IS NULL THEN a.queue ELSE 'root.' || a.org || '.' || a.project || '.tier' || a.tier END
                   AS demand_queue,
               s.source, a.line
        FROM apps a
        LEFT JOIN job_apps j ON a.basis = 'job_apps' AND j.app_id = a.app_id
        LEFT JOIN source_names s ON s.id = a.source_id;
        """)
}
