extension Schema {
    /// The router's tables (`bursar serve`):
    /// - `submissions`: every accepted submission, the decision taken for it and what became of it at the
    ///   cluster. This is the decision log; the app id → workflow run rows it implies go to `job_apps`, which
    ///   the ingester reads, in the same transaction. The manifest as sent is kept apart in
    ///   `submission_manifests`, so recording the cluster's answer rewrites a small row, not the manifest.
    /// - `routing_rules`: the explicit cross-cluster routing rules, one JSON body per rule with a revision
    ///   for optimistic concurrency.
    /// - `audit_log`: every change (rules, deploys, cordons): who, what, when, before and after.
    /// - `cluster_cordons`: clusters an admin took out of routing (treated as unhealthy).
    static let archerMigration = Migration(version: 4, name: "router submissions, rules and audit", sql: """
        CREATE TABLE submissions (
            app_id TEXT PRIMARY KEY,
            submitted_at BIGINT NOT NULL,
            principal TEXT NOT NULL,
            org TEXT,
            project TEXT NOT NULL,
            tier BIGINT NOT NULL,
            workflow TEXT,
            job TEXT,
            run_id TEXT,
            scheduled_at BIGINT,
            cluster TEXT NOT NULL,
            queue TEXT NOT NULL,
            namespace TEXT NOT NULL,
            source TEXT NOT NULL,
            rule_id TEXT,
            reason TEXT NOT NULL,
            state TEXT NOT NULL,
            state_detail TEXT,
            updated_at BIGINT NOT NULL
        );
        CREATE INDEX submissions_by_time ON submissions (submitted_at);
        CREATE TABLE submission_manifests (
            app_id TEXT PRIMARY KEY,
            manifest TEXT NOT NULL
        );
        CREATE TABLE routing_rules (
            id TEXT PRIMARY KEY,
            priority BIGINT NOT NULL,
            body TEXT NOT NULL,
            revision BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            updated_by TEXT NOT NULL
        );
        CREATE TABLE audit_log (
            id $AUTO_KEY,
            at BIGINT NOT NULL,
            principal TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            before_json TEXT,
            after_json TEXT,
            detail TEXT
        );
        CREATE TABLE cluster_cordons (
            cluster TEXT PRIMARY KEY,
            reason TEXT NOT NULL,
            cordoned_by TEXT NOT NULL,
            cordoned_at BIGINT NOT NULL
        );
        """)
}

extension Schema {
    /// Version 7 makes every answered submission recorded exactly once, through crashes and retries:
    /// - `idempotency_key`: the client's key (its `Idempotency-Key` header, or the app id it chose), unique per
    ///   principal, so a retry finds the first attempt's row instead of making a second one, and one caller's
    ///   key never finds another's row (a partial index: submissions without a key cost it nothing);
    /// - `fallback_used`: the one part of the decision the row lacked, so a retry is answered exactly as the
    ///   first attempt was;
    /// - `attempts`: how many times the reconciler tried to settle a `recorded` or `unknown` row (it gives up
    ///   after a limit); the partial index finds those rows without reading the settled ones.
    static let idempotencyMigration = Migration(version: 7, name: "submission idempotency keys and reconciliation", sql: """
        ALTER TABLE submissions ADD COLUMN idempotency_key TEXT;
        ALTER TABLE submissions ADD COLUMN fallback_used BIGINT NOT NULL DEFAULT 0;
        ALTER TABLE submissions ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
        CREATE UNIQUE INDEX submissions_by_key ON submissions (principal, idempotency_key) WHERE idempotency_key IS NOT NULL;
        CREATE INDEX submissions_unsettled ON submissions (updated_at) WHERE state IN ('recorded', 'unknown');
        """)
}
