extension Schema {
    /// Version 12 lets several daemons share one store with no leader (issue #17):
    /// - `replicas`: every scheduler and router process that uses the store, by its replica name, with its host,
    ///   pid, start, last heartbeat, the leases it holds and the takeovers it made (for `/healthz`,
    ///   `GET /v1/replicas` and the metrics); a replica is alive while its heartbeat is younger than its lease.
    /// - `wf_leases`: one lease per workflow. Its owner alone creates the workflow's runs, moves them on and
    ///   dispatches their jobs, until `expires_at`; `version` changes on every update of the lease (claim,
    ///   renewal, release), as Pinball's tokens did. A replica that dies holds nothing once its leases expire, and
    ///   the others take its workflows over. The workflow is the unit because `max_active_runs` is per workflow.
    /// - `wf_watch_positions`: each scheduler replica's own watch position per cluster (the single-replica
    ///   `wf_watch` rows carry over as the replica named `scheduler`, the default name).
    /// - a partial index on the jobs in flight, which each replica counts across the others against the global
    ///   and per-queue limits.
    static let replicasMigration = Migration(version: 12, name: "replicas, workflow leases, per-replica watch positions", sql: """
        CREATE TABLE replicas (
            replica TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            host TEXT NOT NULL,
            pid BIGINT NOT NULL,
            started_at BIGINT NOT NULL,
            heartbeat_at BIGINT NOT NULL,
            lease_ms BIGINT NOT NULL,
            leases BIGINT NOT NULL,
            takeovers BIGINT NOT NULL
        );
        CREATE TABLE wf_leases (
            workflow TEXT PRIMARY KEY,
            owner TEXT,
            expires_at BIGINT NOT NULL,
            version BIGINT NOT NULL
        );
        CREATE INDEX wf_leases_owner ON wf_leases (owner);
        CREATE TABLE wf_watch_positions (
            replica TEXT NOT NULL,
            cluster TEXT NOT NULL,
            resource_version TEXT NOT NULL,
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (replica, cluster)
        );
        INSERT INTO wf_watch_positions (replica, cluster, resource_version, updated_at)
            SELECT 'scheduler', cluster, resource_version, updated_at FROM wf_watch;
        DROP TABLE wf_watch;
        CREATE INDEX wf_jobs_in_flight ON wf_jobs (run_id) WHERE state IN ('submitted', 'running');
        """)
}
