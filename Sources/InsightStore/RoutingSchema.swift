extension Schema {
    /// The routing table written by the nightly allocation (`bursar allocate`): for each (project, tier),
    /// the cluster and queue its work is submitted to. The router reads it. Keyed with the org too: queue
    /// paths from logs may use one project name under two orgs, and those are two queues.
    static let routingMigration = Migration(version: 3, name: "routing table", sql: """
        CREATE TABLE routing (
            project TEXT NOT NULL,
            tier BIGINT NOT NULL,
            org TEXT NOT NULL,
            cluster TEXT NOT NULL,
            queue TEXT NOT NULL,
            planned_at BIGINT NOT NULL,
            PRIMARY KEY (org, project, tier)
        );
        """)
}
