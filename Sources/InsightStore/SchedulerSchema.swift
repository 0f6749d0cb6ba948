extension Schema {
    /// Version 9 holds the workflow scheduler's state, so a restart (or `kill -9`) picks runs and jobs up where
    /// they were:
    /// - `wf_versions`: every version of a definition ever run, by content digest, with its text, so the history
    ///   shows which version each run used.
    /// - `wf_workflows`: per workflow, the version in force and whether it is paused.
    /// - `wf_runs`: one row per run; the key is derived from (workflow, kind, scheduled_at), and that triple is
    ///   unique as well, so a tick is turned into a run exactly once however many passes or replicas try.
    ///   `state` is queued, running, succeeded or failed; `missed` is set the moment the deadline passes unmet.
    /// - `wf_jobs`: per run and job, its state, attempt and the current attempt's times, app id and cluster.
    /// - `wf_events`: what happened, in order (created, ready, submitted, started, ended, retried, timed out…).
    static let schedulerMigration = Migration(version: 9, name: "workflow scheduler", sql: """
        CREATE TABLE wf_versions (
            digest TEXT PRIMARY KEY,
            workflow TEXT NOT NULL,
            file TEXT NOT NULL,
            definition TEXT NOT NULL,
            first_seen BIGINT NOT NULL
        );
        CREATE TABLE wf_workflows (
            workflow TEXT PRIMARY KEY,
            digest TEXT NOT NULL,
            paused BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        );
        CREATE TABLE wf_runs (
            run_id TEXT PRIMARY KEY,
            workflow TEXT NOT NULL,
            kind TEXT NOT NULL,
            scheduled_at BIGINT NOT NULL,
            deadline BIGINT NOT NULL,
            digest TEXT NOT NULL,
            state TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            started_at BIGINT,
            ended_at BIGINT,
            missed BIGINT NOT NULL,
            UNIQUE (workflow, kind, scheduled_at)
        );
        CREATE INDEX wf_runs_state ON wf_runs (state, workflow);
        CREATE TABLE wf_jobs (
            run_id TEXT NOT NULL,
            job TEXT NOT NULL,
            position BIGINT NOT NULL,
            state TEXT NOT NULL,
            attempt BIGINT NOT NULL,
            not_before BIGINT NOT NULL,
            ready_at BIGINT NOT NULL,
            submitted_at BIGINT NOT NULL,
            started_at BIGINT NOT NULL,
            ended_at BIGINT NOT NULL,
            app_id TEXT,
            cluster TEXT,
            reason TEXT,
            PRIMARY KEY (run_id, job)
        );
        CREATE TABLE wf_events (
            seq $AUTO_KEY,
            at BIGINT NOT NULL,
            run_id TEXT NOT NULL,
            job TEXT,
            kind TEXT NOT NULL,
            detail TEXT
        );
        """)
}

extension Schema {
    /// Version 10 lets the scheduler learn each job's end from one watch per cluster:
    /// - `wf_watch`: per cluster, the resourceVersion of SparkApplications up to which every change has been
    ///   applied to the jobs (written in the same transaction as those changes), so a restart resumes the watch
    ///   there and neither misses an end nor rescans the cluster.
    /// - `wf_jobs.namespace`: where the current attempt's application is, so a timed-out one can be deleted.
    /// - an index on `wf_jobs.app_id`, to find the job a cluster's report is about.
    /// - `wf_meta` `operations`: bumped by every change made outside the scheduler's passes (clear, mark
    ///   succeeded), so a scheduler that keeps its runs' jobs in memory between passes knows to read them again.
    /// - `wf_versions.jobs`: the version's job names in order. A run of such a version stores a job's row only
    ///   from its first change on (a waiting job is implied), so a tick of 3,000 workflows of 200 jobs writes
    ///   3,000 run rows, not 600,000 job rows, and a pass reads only the jobs something happened to.
    static let completionMigration = Migration(version: 10, name: "job completion from cluster watches", sql: """
        CREATE TABLE wf_watch (
            cluster TEXT PRIMARY KEY,
            resource_version TEXT NOT NULL,
            updated_at BIGINT NOT NULL
        );
        ALTER TABLE wf_jobs ADD COLUMN namespace TEXT;
        ALTER TABLE wf_versions ADD COLUMN jobs TEXT;
        CREATE TABLE wf_meta (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
        INSERT INTO wf_meta (name, value) VALUES ('operations', 0);
        CREATE INDEX wf_jobs_app ON wf_jobs (app_id);
        """)
}

extension Schema {
    /// Version 11 serves the operators' listings (`GET /v1/workflows`, `/v1/runs`, `bursar runs list`) from indexes
    /// rather than scans, however many runs years of hourly ticks leave:
    /// - `wf_runs (workflow, scheduled_at)`: a workflow's newest runs, and its latest for the workflow list;
    /// - `wf_runs (scheduled_at)` and `(state, scheduled_at)`: the newest runs, of every workflow or in one state;
    /// - `wf_events (run_id, seq)`: one run's history, in order.
    static let listingsMigration = Migration(version: 11, name: "indexes for workflow and run listings", sql: """
        CREATE INDEX wf_runs_workflow_time ON wf_runs (workflow, scheduled_at);
        CREATE INDEX wf_runs_time ON wf_runs (scheduled_at);
        CREATE INDEX wf_runs_state_time ON wf_runs (state, scheduled_at);
        CREATE INDEX wf_events_run ON wf_events (run_id, seq);
        """)
}
