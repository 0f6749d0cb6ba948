import Foundation
import Store

/// The insight tables, as numbered migrations. One text serves SQLite and PostgreSQL: only portable
/// types (BIGINT, TEXT, DOUBLE PRECISION) and natural keys, no autoincrement. Two words differ by
/// dialect and are written as placeholders: `$SEQ_KEY` (SQLite's rowid alias `INTEGER PRIMARY KEY`,
/// else `BIGINT PRIMARY KEY`), `$COMPACT` (`WITHOUT ROWID` on SQLite for small-row tables) and `$AUTO_KEY`
/// (a key the database numbers itself: SQLite's rowid alias, PostgreSQL's `BIGSERIAL`), for logs that several
/// processes append to.
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
        // Derived tables written once per ingest run instead of once per batch (the hourly usage and the
        // workflow runs are functions of `apps` and the mappings): apps get an ingest sequence number,
        // and `ingest_state.derived_through_seq` says up to which one they are included, so a run killed
        // before its final transaction is caught up by the next one. Hourly usage becomes one row per
        // queue and hour (run time, starts, vcore, memory, pods) plus rows for any other resource.
        // Workflow runs are kept for every run in job_apps, `unmapped` while the workflow is unknown.
        Migration(version: 2, name: "sequenced apps, queue hours, incremental workflow runs", sql: """
            CREATE TABLE apps_v2 (
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
                line BIGINT NOT NULL,
                UNIQUE (app_id, cluster)
            );
            INSERT INTO apps_v2
            SELECT ROW_NUMBER() OVER (ORDER BY cluster, app_id), cluster, app_id, format, queue, user_name, state,
                   submitted_at, started_at, finished_at, vcore_seconds, memory_seconds, usage, preempted, placeholder,
                   basis, org, project, tier, workflow, job, run_id, demand_queue, source, line
            FROM apps;
            DROP TABLE apps;
            ALTER TABLE apps_v2 RENAME TO apps;

            CREATE TABLE queue_hours (
                cluster TEXT NOT NULL,
                queue TEXT NOT NULL,
                hour BIGINT NOT NULL,
                app_ms BIGINT NOT NULL,
                apps_started BIGINT NOT NULL,
                vcore BIGINT NOT NULL,
                memory BIGINT NOT NULL,
                pods BIGINT NOT NULL,
                PRIMARY KEY (cluster, queue, hour)
            ) $COMPACT;
            CREATE TABLE queue_hours_other (
                cluster TEXT NOT NULL,
                queue TEXT NOT NULL,
                hour BIGINT NOT NULL,
                resource TEXT NOT NULL,
                amount BIGINT NOT NULL,
                PRIMARY KEY (cluster, queue, hour, resource)
            ) $COMPACT;
            INSERT INTO queue_hours (cluster, queue, hour, app_ms, apps_started, vcore, memory, pods)
            SELECT cluster, queue, hour, SUM(app_ms), SUM(apps_started), SUM(vcore), SUM(memory), SUM(pods) FROM (
                SELECT cluster, queue, hour, app_ms, apps_started, 0 AS vcore, 0 AS memory, 0 AS pods FROM occupancy_hourly
                UNION ALL
                SELECT cluster, queue, hour, 0, 0,
                       CASE WHEN resource = 'vcore' THEN amount ELSE 0 END,
                       CASE WHEN resource = 'memory' THEN amount ELSE 0 END,
                       CASE WHEN resource = 'pods' THEN amount ELSE 0 END
                FROM usage_hourly
            ) AS merged GROUP BY cluster, queue, hour;
            INSERT INTO queue_hours_other (cluster, queue, hour, resource, amount)
            SELECT cluster, queue, hour, resource, amount FROM usage_hourly WHERE resource NOT IN ('vcore', 'memory', 'pods');
            DROP TABLE usage_hourly;
            DROP TABLE occupancy_hourly;

            CREATE TABLE workflow_runs_v2 (
                workflow TEXT NOT NULL,
                run_id TEXT NOT NULL,
                project TEXT,
                org TEXT,
                tier BIGINT,
                scheduled_at BIGINT NOT NULL,
                slo_minutes BIGINT,
                started_at BIGINT,
                finished_at BIGINT,
                apps_expected BIGINT NOT NULL,
                apps_finished BIGINT NOT NULL,
                outcome TEXT NOT NULL,
                PRIMARY KEY (workflow, run_id)
            );
            INSERT INTO workflow_runs_v2 SELECT * FROM workflow_runs;
            INSERT INTO workflow_runs_v2 (workflow, run_id, scheduled_at, started_at, finished_at, apps_expected,
                                          apps_finished, outcome)
            SELECT j.workflow, j.run_id, MIN(j.scheduled_at), MIN(a.started_at), MAX(a.finished_at), COUNT(*),
                   COUNT(a.app_id), 'unmapped'
            FROM job_apps j LEFT JOIN apps a ON a.app_id = j.app_id
            WHERE NOT EXISTS (SELECT 1 FROM workflow_runs r WHERE r.workflow = j.workflow AND r.run_id = j.run_id)
            GROUP BY j.workflow, j.run_id;
            DROP TABLE workflow_runs;
            ALTER TABLE workflow_runs_v2 RENAME TO workflow_runs;
            CREATE INDEX workflow_runs_by_time ON workflow_runs (scheduled_at);
            CREATE TABLE job_apps_v2 (
                app_id TEXT PRIMARY KEY,
                workflow TEXT NOT NULL,
                job TEXT NOT NULL,
                run_id TEXT NOT NULL,
                scheduled_at BIGINT NOT NULL
            ) $COMPACT;
            INSERT INTO job_apps_v2 SELECT app_id, workflow, job, run_id, scheduled_at FROM job_apps;
            DROP TABLE job_apps;
            ALTER TABLE job_apps_v2 RENAME TO job_apps;

            CREATE TABLE ingest_state (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
            INSERT INTO ingest_state (name, value) SELECT 'derived_through_seq', COALESCE(MAX(seq), 0) FROM apps;
            INSERT INTO ingest_state (name, value) SELECT 'newest_finish', COALESCE(MAX(finished_at), 0) FROM apps;
            """),
        routingMigration,
        archerMigration,
        appKeysMigration,
        slimAppsMigration,
        idempotencyMigration,
        planArchiveMigration,
        schedulerMigration,
        completionMigration,
        listingsMigration,
        replicasMigration,
    ]

    /// A migration's text in `dialect`.
    static func sql(_ migration: Migration, dialect: SQLDialect) -> String {
        let sqlite = dialect == .sqlite
        return migration.sql
            .replacingOccurrences(of: "$SEQ_KEY", with: sqlite ? "INTEGER PRIMARY KEY" : "BIGINT PRIMARY KEY")
            .replacingOccurrences(of: "$COMPACT", with: sqlite ? "WITHOUT ROWID" : "")
            .replacingOccurrences(of: "$AUTO_KEY", with: sqlite ? "INTEGER PRIMARY KEY" : "BIGSERIAL PRIMARY KEY")
    }

    /// The columns of an application a digest compares (all but the sequence number), from `app_details`.
    static let appColumns = """
        cluster, app_id, format, queue, user_name, state, submitted_at, started_at, finished_at, vcore_seconds,
        memory_seconds, other_usage, preempted, placeholder, basis, org, project, tier, workflow, job, run_id,
        demand_queue, source, line
        """

    /// The insight tables with the columns a digest compares, where they are read from and their key, in
    /// a stable order (for digests and tests).
    static let tables: [(name: String, columns: String, from: String, key: String)] = [
        ("apps", appColumns, "app_details", "cluster, app_id"),
        ("app_keys", "k.app_hash, a.app_id, a.cluster", "app_keys k JOIN apps a ON a.seq = k.seq", "a.app_id, a.cluster"),
        ("queue_hours", "*", "queue_hours", "cluster, queue, hour"),
        ("queue_hours_other", "*", "queue_hours_other", "cluster, queue, hour, resource"),
        ("rejects", "*", "rejects", "source, line"),
        ("map_workflows", "*", "map_workflows", "workflow"),
        ("map_projects", "*", "map_projects", "project"),
        ("map_owners", "*", "map_owners", "owner"),
        ("job_apps", "*", "job_apps", "app_id"),
        ("workflow_runs", "*", "workflow_runs", "workflow, run_id"),
    ]
}
