extension Schema {
    /// Applications are told apart by (cluster, app id). Up to version 3 a UNIQUE index on `apps` did
    /// that on every insert; with application ids random, each insert landed on a random page of a
    /// growing index, and each batch's commit wrote most of the index to the WAL again (about half of
    /// the ingest writer's CPU time on the benchmark). From version 5 an ingest run tells new
    /// applications from stored ones itself (those it stored in memory, earlier ones in `app_keys`),
    /// `apps` is a plain table in sequence order, and `app_keys` is filled in sorted order in the run's
    /// final transaction, for every application the derived tables include (`derived_through_seq`).
    /// Applications a run stopped before its end left behind are added by the next run, as their
    /// hourly usage is.
    static let appKeysMigration = Migration(version: 5, name: "apps keyed in app_keys, filled once per run", sql: """
        CREATE TABLE apps_v5 (
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
            usage TEXT NOT NULL,
            preempted TEXT NOT NULL,
            placeholder TEXT NOT NULL,
            basis TEXT NOT NULL,
            org TEXT,
            project TEXT,
            tier BIGINT,
            workflow TEXT,
            job TEXT,
            run_id TEXT,
            demand_queue TEXT NOT NULL,
            source TEXT NOT NULL,
            line BIGINT NOT NULL
        );
        INSERT INTO apps_v5 (seq, cluster, app_id, format, queue, user_name, state, submitted_at, started_at,
                             finished_at, vcore_seconds, memory_seconds, usage, preempted, placeholder, basis, org,
                             project, tier, workflow, job, run_id, demand_queue, source, line)
        SELECT seq, cluster, app_id, format, queue, user_name, state, submitted_at, started_at, finished_at,
               vcore_seconds, memory_seconds, usage, preempted, placeholder, basis, org, project, tier, workflow, job,
               run_id, demand_queue, source, line
        FROM apps ORDER BY seq;
        DROP TABLE apps;
        ALTER TABLE apps_v5 RENAME TO apps;
        CREATE TABLE app_keys (
            app_id TEXT NOT NULL,
            cluster TEXT NOT NULL,
            seq BIGINT NOT NULL,
            PRIMARY KEY (app_id, cluster)
        ) $COMPACT;
        INSERT INTO app_keys (app_id, cluster, seq)
        SELECT app_id, cluster, seq FROM apps
        WHERE seq <= (SELECT value FROM ingest_state WHERE name = 'derived_through_seq')
        ORDER BY app_id, cluster;
        """)
}
