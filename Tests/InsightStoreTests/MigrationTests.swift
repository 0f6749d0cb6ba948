import Foundation
@testable import InsightStore
import Store
import Testing

/// A store written by an older bursar is carried forward, its data intact.
@Suite("Store migrations")
struct MigrationTests {
    @Test(arguments: Backend.available)
    func version1StoresAreCarriedOver(backend: Backend) throws {
        let location = try backend.freshLocation()
        let old: any SQLConnection
        switch location {
        case let .sqlite(path): old = try SQLiteConnection(path: path)
        case let .postgres(url): old = try PostgresConnection(url)
        }
        try old.executeScript("""
            CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
            """)
        try old.executeScript(Schema.migrations[0].sql)
        try old.executeScript("""
            INSERT INTO schema_migrations VALUES (1, 'insight tables', 0);
            INSERT INTO apps VALUES ('moka-a', 'spark-b', 'yunikorn', 'root.x', 'u', 'Completed', 0, 0, 7200000, 10, 20,
                'memory=20,vcore=10', '', '', 'job_apps', 'o', 'p', 1, 'wf', 'load', 'r1', 'root.o.p.tier1', 'f.log', 1);
            INSERT INTO apps VALUES ('moka-a', 'spark-a', 'yunikorn', 'root.x', 'u', 'Completed', 0, 0, 3600000, 10, 20,
                'memory=20,vcore=10', '', '', 'queue', 'o', 'p', 1, NULL, NULL, NULL, 'root.o.p.tier1', 'f.log', 2);
            INSERT INTO usage_hourly VALUES ('moka-a', 'root.o.p.tier1', 0, 'vcore', 15);
            INSERT INTO usage_hourly VALUES ('moka-a', 'root.o.p.tier1', 0, 'nvidia.com/gpu', 2);
            INSERT INTO occupancy_hourly VALUES ('moka-a', 'root.o.p.tier1', 0, 7200000, 2);
            INSERT INTO map_workflows VALUES ('wf', 'p', 1, 60);
            INSERT INTO job_apps VALUES ('spark-b', 'wf', 'load', 'r1', 0);
            INSERT INTO job_apps VALUES ('spark-z', 'other', 'load', 'r9', 0);
            INSERT INTO workflow_runs VALUES ('wf', 'r1', 'p', 'o', 1, 0, 60, 0, 7200000, 1, 1, 'missed');
            """)

        let store = try InsightStore(location)
        #expect(try store.schemaVersion() == Schema.migrations.map(\.version).max())
        // Sequence numbers in key order; the derived tables already include them all.
        let seqs = try store.connection.execute("SELECT app_id, seq FROM apps ORDER BY seq").map { "\($0[0].string!)=\($0[1].int64!)" }
        #expect(seqs == ["spark-a=1", "spark-b=2"])
        #expect(try store.derivedState() == DerivedState(throughSeq: 2, newestFinish: 7_200_000))
        // Version 6 keys the applications the derived tables include in app_keys by a hash of their id,
        // filled when the store is opened after the migration.
        let keys = try store.connection.execute(
            "SELECT a.app_id, a.cluster, k.seq, k.app_hash FROM app_keys k JOIN apps a ON a.seq = k.seq ORDER BY a.app_id")
            .map { $0.map { $0.string ?? "NULL" }.joined(separator: "|") }
        #expect(keys == ["spark-a|moka-a|1|\(AppKey.hash("spark-a"))", "spark-b|moka-a|2|\(AppKey.hash("spark-b"))"])
        #expect(try store.connection.execute("SELECT 1 FROM ingest_state WHERE name = 'app_keys_refill'").isEmpty)
        // What version 6 no longer stores on each row is still shown by app_details.
        let details = try store.connection.execute("""
            SELECT app_id, job, run_id, demand_queue, source, other_usage, vcore_seconds FROM app_details ORDER BY app_id
            """).map { $0.map { $0.string ?? "NULL" }.joined(separator: "|") }
        #expect(details == ["spark-a|NULL|NULL|root.o.p.tier1|f.log|memory=20,vcore=10|10",
                            "spark-b|load|r1|root.o.p.tier1|f.log|memory=20,vcore=10|10"])
        #expect(try store.apps(after: 0).map(\.usage) == [["memory": 20, "vcore": 10], ["memory": 20, "vcore": 10]])
        try store.connection.execute("""
            INSERT INTO apps SELECT 3, cluster, app_id, format, queue, user_name, state, submitted_at, started_at,
                finished_at, vcore_seconds, memory_seconds, other_usage, preempted, placeholder, basis, org, project, tier,
                workflow, source_id, line FROM apps WHERE seq = 1
            """)
        try store.connection.execute("DELETE FROM apps WHERE seq = 3")
        // Long hourly rows become one row per queue hour, other resources kept beside it.
        #expect(try store.queueHours(from: 0, to: 1) == [
            QueueHour(cluster: "moka-a", queue: "root.o.p.tier1", hour: 0, usage: ["vcore": 15, "nvidia.com/gpu": 2],
                      appMillis: 7_200_000, appsStarted: 2),
        ])
        // The run of an unknown workflow, which version 1 did not keep, is there (unmapped), with its progress.
        let runs = try store.connection.execute(
            "SELECT workflow, run_id, apps_expected, apps_finished, outcome FROM workflow_runs ORDER BY workflow")
            .map { $0.map { $0.string ?? "NULL" }.joined(separator: "|") }
        #expect(runs == ["other|r9|1|0|unmapped", "wf|r1|1|1|missed"])
        #expect(try store.workflowRuns(from: .min, to: .max).map(\.runID) == ["r1"])
        #expect(try store.mappings().jobApps.count == 2)
    }
}
