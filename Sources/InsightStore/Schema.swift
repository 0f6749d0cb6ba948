
/// The insight tables, as numbered migrations. One text serves SQLite and PostgreSQL: only portable
/// types (BIGINT, TEXT, DOUBLE PRECISION) and natural keys, no autoincrement.
///
/// Times are milliseconds since the Unix epoch (UTC). Usage is in YuniKorn's units: `vcore`
/// millicore·seconds, `memory` byte·seconds, anything else unit·seconds.
enum Schema {
    struct Migration {
        let version: Int
        let name: String
        let sql: String
    }

    static let migrations: [Migration] = [
        Migration(version: 1, name: "insight tables", sql: """
            CREATE TABLE apps (
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
                line BIGINT NOT NULL,
                PRIMARY KEY (app_id, cluster)
            );
            CREATE TABLE usage_hourly (
                cluster TEXT NOT NULL,
                queue TEXT NOT NULL,
                hour BIGINT NOT NULL,
                resource TEXT NOT NULL,
                amount BIGINT NOT NULL,
                PRIMARY KEY (cluster, queue, hour, resource)
            );
            CREATE TABLE occupancy_hourly (
                cluster TEXT NOT NULL,
                queue TEXT NOT NULL,
                hour BIGINT NOT NULL,
                app_ms BIGINT NOT NULL,
                apps_started BIGINT NOT NULL,
                PRIMARY KEY (cluster, queue, hour)
            );
            CREATE TABLE rejects (
                source TEXT NOT NULL,
                line BIGINT NOT NULL,
                reason TEXT NOT NULL,
                text TEXT NOT NULL,
                PRIMARY KEY (source, line)
            );
            CREATE TABLE ingest_sources (
                source TEXT PRIMARY KEY,
                fingerprint TEXT NOT NULL,
                size BIGINT NOT NULL,
                offset_bytes BIGINT NOT NULL,
                lines BIGINT NOT NULL,
                complete BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            CREATE TABLE map_workflows (
                workflow TEXT PRIMARY KEY,
                project TEXT NOT NULL,
                tier BIGINT NOT NULL,
                slo_minutes BIGINT NOT NULL
            );
            CREATE TABLE map_projects (project TEXT PRIMARY KEY, owner TEXT NOT NULL);
            CREATE TABLE map_owners (owner TEXT PRIMARY KEY, org TEXT NOT NULL);
            CREATE TABLE job_apps (
                app_id TEXT PRIMARY KEY,
                workflow TEXT NOT NULL,
                job TEXT NOT NULL,
                run_id TEXT NOT NULL,
                scheduled_at BIGINT NOT NULL
            );
            CREATE INDEX job_apps_by_run ON job_apps (workflow, run_id);
            CREATE TABLE workflow_runs (
                workflow TEXT NOT NULL,
                run_id TEXT NOT NULL,
                project TEXT NOT NULL,
                org TEXT NOT NULL,
                tier BIGINT NOT NULL,
                scheduled_at BIGINT NOT NULL,
                slo_minutes BIGINT NOT NULL,
                started_at BIGINT,
                finished_at BIGINT,
                apps_expected BIGINT NOT NULL,
                apps_finished BIGINT NOT NULL,
                outcome TEXT NOT NULL,
                PRIMARY KEY (workflow, run_id)
            );
            CREATE INDEX workflow_runs_by_time ON workflow_runs (scheduled_at);
            """),
        routingMigration,
    ]

    /// The insight tables and their key columns, in a stable order (for digests and tests).
    static let tables: [(name: String, key: String)] = [
        ("apps", "cluster, app_id"),
        ("usage_hourly", "cluster, queue, hour, resource"),
        ("occupancy_hourly", "cluster, queue, hour"),
        ("rejects", "source, line"),
        ("map_workflows", "workflow"),
        ("map_projects", "project"),
        ("map_owners", "owner"),
        ("job_apps", "app_id"),
        ("workflow_runs", "workflow, run_id"),
    ]
}
