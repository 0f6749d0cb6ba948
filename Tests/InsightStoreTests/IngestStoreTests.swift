import Foundation
import Ingest
import IngestPipeline
@testable import InsightStore
import Insights
import Store
import Testing

/// Ingestion into the insight tables, run against every available backend with the same expectations.
@Suite("Insight store and ingestion")
struct IngestStoreTests {
    /// A folder with every shape, noise, a malformed line and a duplicate (the YuniKorn line repeated in a
    /// second file, as a Fluent Bit copy would).
    static func sampleFolder() throws -> URL {
        let folder = try Scratch.directory()
        let t = Lines.day + 2 * HourlyUsage.hourMillis
        try Scratch.write([
            Lines.yunikorn("spark-1", queue: "root.payments.ledger.tier1", start: t, minutes: 90),
            Lines.noise,
            Lines.yunikorn("spark-2", queue: "root.default", start: t, minutes: 10),
            "YK_APP_SUMMARY: {ApplicationID: cut, SubmissionTime: 1",
            Lines.yunikorn("spark-3", queue: "root.adhoc", start: t, minutes: 30),
        ].joined(separator: "\n") + "\n", to: folder.appendingPathComponent("logs/moka-a/yk.log"))
        try Scratch.write([
            Lines.yunikorn("spark-1", queue: "root.payments.ledger.tier1", start: t, minutes: 90),
            Lines.yunikornJSON("spark-9", queue: "root.search.index.tier2", start: t, minutes: 5),
        ].joined(separator: "\n"), to: folder.appendingPathComponent("logs/moka-a/copy.log"))
        try Scratch.write(Lines.yarn("application_1_0001", queue: "root.payments.ledger.tier3", start: t, minutes: 60) + "\n",
                          to: folder.appendingPathComponent("yarn/moka-c/rm-appsummary.log"))
        return folder
    }

    static func sampleMappings() -> Mappings {
        var mappings = Mappings()
        mappings.load(.workflows, text: "workflow,project,tier,slo_minutes\nnightly-ledger,ledger,1,120\n")
        mappings.load(.projects, text: "project,owner\nledger,team-ledger\n")
        mappings.load(.owners, text: "owner,org\nteam-ledger,payments\n")
        mappings.load(.jobApps, text: "app_id,workflow,job,run_id,scheduled_at\nspark-3,nightly-ledger,load,r1,2025-11-20T02:00:00Z\n")
        return mappings
    }

    func ingest(_ store: InsightStore, _ folder: URL?, batchLines: Int = 50_000, rescan: Bool = false,
                mappings: Mappings? = nil) throws -> IngestReport {
        var options = IngestOptions()
        options.batchLines = batchLines
        options.rescan = rescan
        let update = mappings.map { MappingUpdate(mappings: $0, files: Set(MappingFile.allCases)) }
        return try Ingester(store: store, options: options).ingest(folder.map { [$0.path] } ?? [], mappings: update)
    }

    @Test(arguments: Backend.available)
    func migratesOnceAndReopens(backend: Backend) throws {
        let location = try backend.freshLocation()
        // Version 2: derived tables once per run (#3); 3: the routing table (#4); 4: the router's tables (#5);
        // 5: apps keyed in app_keys instead of a unique index (#3); 6: slimmer apps rows, app_keys by id hash (#3);
        // 7: submission idempotency keys and reconciliation (#13); 8: the nightly plan archive (#14);
        // 9: the workflow scheduler's runs, jobs, versions and events (#16); 10: job ends from cluster watches (#16);
        // 11: indexes for the workflow and run listings (#16); 12: replicas, workflow leases, per-replica watch
        // positions (#17).
        #expect(try InsightStore(location).schemaVersion() == 12)
        let again = try InsightStore(location)
        #expect(try again.schemaVersion() == 12)
        let applied = try again.connection.execute("SELECT version FROM schema_migrations ORDER BY version").compactMap { $0.first?.int64 }
        #expect(applied == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    }

    @Test(arguments: Backend.available)
    func countsEveryLineAndAttributes(backend: Backend) throws {
        let store = try InsightStore(try backend.freshLocation())
        let report = try ingest(store, try Self.sampleFolder(), mappings: Self.sampleMappings())
        #expect(report.files == 3)
        #expect(report.lines == 8)
        #expect(report.summaries == 6)
        #expect(report.duplicates == 1)
        #expect(report.newApps == 5)
        #expect(report.skipped == 1)
        #expect(report.rejects == 1)
        #expect(report.rejected.first?.reason.contains("StartTime") == true)
        #expect(report.rejected.first?.line == 4)
        #expect(report.unattributed == 1)  // spark-2 in root.default; spark-3 via job_apps; others via the queue path

        let rows = try store.connection.execute(
            "SELECT app_id, cluster, basis, org, project, tier, workflow, demand_queue, memory_seconds, job, run_id FROM app_details ORDER BY app_id")
        let byApp = Dictionary(uniqueKeysWithValues: rows.map { ($0[0].string!, $0) })
        #expect(byApp["spark-3"]?[2].string == "job_apps")
        #expect(byApp["spark-3"]?[7].string == "root.payments.ledger.tier1")
        #expect(byApp["spark-3"]?[6].string == "nightly-ledger")
        #expect(byApp["spark-3"]?[9].string != nil && byApp["spark-3"]?[10].string != nil)  // job and run from job_apps
        #expect(byApp["spark-1"]?[9].string == nil)
        #expect(byApp["spark-1"]?[2].string == "queue")
        #expect(byApp["spark-2"]?[2].string == "unattributed")
        #expect(byApp["spark-2"]?[7].string == "root.default")
        // YARN: no RmID, so the folder names the cluster; MB·s normalised to byte·s.
        #expect(byApp["application_1_0001"]?[1].string == "moka-c")
        #expect(byApp["application_1_0001"]?[8].int64 == Int64(1024) * 1_048_576)
        #expect(byApp["spark-9"]?[1].string == "moka-b")

        // spark-1 ran 90 minutes from 02:00: 2/3 of its usage in hour 02, 1/3 in hour 03, summing exactly.
        let hourly = try store.connection.execute(
            "SELECT hour, vcore FROM queue_hours WHERE queue = 'root.payments.ledger.tier1' ORDER BY hour")
        let spark1And3 = hourly.map { $0[1].int64 ?? 0 }
        #expect(spark1And3.reduce(0, +) == 2 * 60_000)
        #expect(hourly.first?[0].int64 == Lines.day + 2 * HourlyUsage.hourMillis)
        #expect(spark1And3 == [40_000 + 60_000, 20_000])

        let runs = try store.workflowRuns(from: 0, to: .max)
        #expect(runs.count == 1)
        #expect(runs.first?.outcome == .met)  // scheduled 02:00 + 120 min; spark-3 finished 02:30
        #expect(runs.first?.org == "payments")
    }

    /// A run whose applications all finished in time is missed when a job's latest application failed, and met
    /// when a failed attempt was followed by one that completed.
    @Test(arguments: Backend.available)
    func aRunWhoseJobFailedForGoodIsMissed(backend: Backend) throws {
        let store = try InsightStore(try backend.freshLocation())
        let folder = try Scratch.directory()
        let t = Lines.day + 2 * HourlyUsage.hourMillis
        func line(_ app: String, start: Int64, failed: Bool) -> String {
            let text = Lines.yunikorn(app, queue: "root.payments.ledger.tier1", start: start, minutes: 5)
            return failed ? text.replacingOccurrences(of: "State: Completed", with: "State: Failed") : text
        }
        try Scratch.write([
            line("ra-load-1", start: t, failed: true), line("ra-load-2", start: t + 600_000, failed: false),  // retried: met
            line("rb-load-1", start: t, failed: false), line("rb-publish-1", start: t + 600_000, failed: true),  // missed
        ].joined(separator: "\n") + "\n", to: folder.appendingPathComponent("logs/moka-a/yk.log"))
        var mappings = Self.sampleMappings()
        mappings.load(.jobApps, text: """
            app_id,workflow,job,run_id,scheduled_at
            ra-load-1,nightly-ledger,load,ra,2025-11-20T02:00:00Z
            ra-load-2,nightly-ledger,load,ra,2025-11-20T02:00:00Z
            rb-load-1,nightly-ledger,load,rb,2025-11-20T02:00:00Z
            rb-publish-1,nightly-ledger,publish,rb,2025-11-20T02:00:00Z

            """)
        _ = try ingest(store, folder, mappings: mappings)
        let outcomes = Dictionary(uniqueKeysWithValues: try store.workflowRuns(from: 0, to: .max).map { ($0.runID, $0.outcome) })
        // rb's applications all finished by 02:15, well within its 120-minute SLO: only its failed job misses it.
        #expect(outcomes["ra"] == .met && outcomes["rb"] == .missed, "\(outcomes)")
    }

    /// What the allocator reads: per queue and hour, usage by resource, run time and starts.
    @Test(arguments: Backend.available)
    func queueHoursReadBack(backend: Backend) throws {
        let store = try InsightStore(try backend.freshLocation())
        _ = try ingest(store, try Self.sampleFolder(), mappings: Self.sampleMappings())
        let hours = try store.queueHours(from: 0, to: .max).filter { $0.queue == "root.payments.ledger.tier1" }
        let two = Lines.day + 2 * HourlyUsage.hourMillis
        // spark-1 (90 min) and spark-3 (30 min, attributed by job_apps) both start at 02:00.
        #expect(hours.map(\.hour) == [two, two + HourlyUsage.hourMillis])
        #expect(hours.map { $0.usage["vcore"] } == [100_000, 20_000])
        #expect(hours.map { $0.usage["pods"] } == [5_400, 1_800])
        #expect(hours.map(\.appMillis) == [90 * 60_000, 30 * 60_000])
        #expect(hours.map(\.appsStarted) == [2, 0])
        #expect(hours.allSatisfy { $0.cluster == "moka-a" })
        #expect(try store.queueHours(from: two + HourlyUsage.hourMillis, to: .max).count == 1)  // only spark-1 runs past 03:00
        #expect(try store.newestQueueHour() == two + HourlyUsage.hourMillis)
    }

    @Test(arguments: Backend.available)
    func ingestingTwiceChangesNothing(backend: Backend) throws {
        let store = try InsightStore(try backend.freshLocation())
        let folder = try Self.sampleFolder()
        _ = try ingest(store, folder)
        let before = try store.digest()
        let second = try ingest(store, folder)
        #expect(second.unchangedFiles == 3)
        #expect(second.summaries == 0)
        let rescan = try ingest(store, folder, rescan: true)
        #expect(rescan.summaries == 6)
        #expect(rescan.duplicates == 6)
        #expect(rescan.newApps == 0)
        #expect(try store.digest() == before)
    }

    /// A log that grows between runs is resumed from its checkpoint, and the tables equal a single run
    /// over the final file, whatever the batch size.
    @Test(arguments: Backend.available)
    func resumedGrowingLogEqualsOneRun(backend: Backend) throws {
        let t = Lines.day
        var all: [String] = []
        for i in 0..<40 {
            if i % 7 == 3 {
                all.append(Lines.noise)
                continue
            }
            let queue = "root.org\(i % 3).p\(i % 4).tier\(1 + i % 3)"
            let start: Int64 = t + Int64(i) * 600_000
            all.append(Lines.yunikorn("app-\(i % 31)", queue: queue, start: start, minutes: Int64(5 + i * 7)))
        }
        let growing = try Scratch.directory()
        let file = growing.appendingPathComponent("moka-a/yk.log")
        let resumed = try InsightStore(try backend.freshLocation())
        try Scratch.write(all[..<17].joined(separator: "\n") + "\n", to: file)
        _ = try ingest(resumed, growing, batchLines: 4)
        try Scratch.write(all.joined(separator: "\n") + "\n", to: file)
        let rest = try ingest(resumed, growing, batchLines: 3)
        #expect(rest.lines == 23)

        let clean = try InsightStore(try backend.freshLocation())
        let other = try Scratch.directory()
        try Scratch.write(all.joined(separator: "\n") + "\n", to: other.appendingPathComponent("moka-a/yk.log"))
        _ = try ingest(clean, other, batchLines: 1000)
        var a = try resumed.digest()
        var b = try clean.digest()
        // The source path is part of each row; compare without it.
        for table in ["apps", "rejects"] {
            a[table] = a[table]?.map { $0.replacingOccurrences(of: growing.path, with: "") }
            b[table] = b[table]?.map { $0.replacingOccurrences(of: other.path, with: "") }
        }
        #expect(a == b)
        #expect(a["apps"]?.count == 28)  // 34 summary lines, 6 of them repeat an app id
    }

    /// Skipped (visibly) without a PostgreSQL server; under CI `available` lists PostgreSQL anyway, so a
    /// missing server fails in `freshLocation` instead.
    @Test(.enabled(if: Backend.available.contains(.postgres), "BURSAR_TEST_POSTGRES_URL is not set; run under scripts/with-postgres.sh"))
    func bothBackendsStoreTheSameTables() throws {
        let folder = try Self.sampleFolder()
        var digests: [[String: [String]]] = []
        for backend in Backend.allCases {
            let store = try InsightStore(try backend.freshLocation())
            _ = try ingest(store, folder, batchLines: 2, mappings: Self.sampleMappings())
            digests.append(try store.digest())
        }
        #expect(digests[0] == digests[1])
    }

    @Test(arguments: Backend.available)
    func aFailedBatchLeavesNothingBehind(backend: Backend) throws {
        let store = try InsightStore(try backend.freshLocation())
        let app = AppRecord(cluster: "c", summary: AppSummary(format: .yunikorn, applicationID: "a", rmID: "c",
                                                               submissionTime: 0, startTime: 0, finishTime: 1, user: "u",
                                                               queue: "root.q", state: "Completed", usage: ["vcore": 1]),
                            attribution: .unattributed, source: "s", line: 1)
        // With the checkpoint table gone, the batch fails at its last step, after the app row went in;
        // the whole transaction must roll back.
        let broken = IngestBatch(apps: [app], rejects: [],
                                 checkpoint: SourceCheckpoint(source: "x", fingerprint: "f",
                                                              size: 1, offset: 1, lines: 1, complete: true))
        try store.connection.execute("DROP TABLE ingest_sources")
        #expect(throws: (any Error).self) { try store.write(broken) }
        #expect(try store.connection.execute("SELECT COUNT(*) FROM apps").first?.first?.int64 == 0)
        // …and hand the same sequence number out again.
        try store.connection.execute("CREATE TABLE ingest_sources (source TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, size BIGINT NOT NULL, offset_bytes BIGINT NOT NULL, lines BIGINT NOT NULL, complete BIGINT NOT NULL, updated_at BIGINT NOT NULL)")
        #expect(try store.write(broken).isNew == [true])
        #expect(try store.connection.execute("SELECT seq FROM apps").first?.first?.int64 == 1)
    }

    /// Duplicates are found without a unique index on apps: in memory for applications stored since the
    /// derived tables were last written (also when repeated inside one batch), in app_keys for earlier ones,
    /// also by a store opened afresh; the same app id on another cluster is another application.
    @Test(arguments: Backend.available)
    func duplicatesAreFoundBeforeAndAfterAppsAreKeyed(backend: Backend) throws {
        let location = try backend.freshLocation()
        func app(_ id: String, cluster: String = "c", finish: Int64 = 1) -> AppRecord {
            AppRecord(cluster: cluster, summary: AppSummary(format: .yunikorn, applicationID: id, rmID: cluster,
                                                            submissionTime: 0, startTime: 0, finishTime: finish,
                                                            user: "u", queue: "root.q", state: "Completed", usage: ["vcore": 1]),
                      attribution: .unattributed, source: "s", line: 1)
        }
        var line: Int64 = 0
        func batch(_ apps: [AppRecord]) -> IngestBatch {
            line += 1
            return IngestBatch(apps: apps, rejects: [], checkpoint: SourceCheckpoint(
                source: "s", fingerprint: "f", size: 9, offset: line, lines: line, complete: false))
        }
        let store = try InsightStore(location)
        #expect(try store.write(batch([app("a"), app("a", finish: 2), app("b")])).isNew == [true, false, true])
        #expect(try store.write(batch([app("a"), app("c"), app("a", cluster: "d")])).isNew == [false, true, true])
        #expect(try store.connection.execute("SELECT COUNT(*) FROM app_keys").first?.first?.int64 == 0)

        try store.commit(DerivedUpdate(mappings: Mappings(), replacedTables: [], newJobApps: [], hourly: HourlyUsage(),
                                       runs: [], state: DerivedState(throughSeq: try store.lastAppSeq(), newestFinish: 1)))
        let keys = try store.connection.execute("""
            SELECT a.app_id, a.cluster, k.seq, k.app_hash FROM app_keys k JOIN apps a ON a.seq = k.seq
            ORDER BY a.app_id, a.cluster
            """).map { $0.map { $0.string ?? "NULL" }.joined(separator: "|") }
        #expect(keys == ["a|c|1|\(AppKey.hash("a"))", "a|d|4|\(AppKey.hash("a"))", "b|c|2|\(AppKey.hash("b"))",
                         "c|c|3|\(AppKey.hash("c"))"])
        // A hash match is only a candidate: "zz" filed under b's number (as a colliding hash would be) is still new.
        try store.connection.execute("INSERT INTO app_keys (app_hash, seq) VALUES (\(AppKey.hash("zz")), 2)")
        // Keyed applications are found by this store and by one opened afresh.
        #expect(try store.write(batch([app("b"), app("e"), app("zz")])).isNew == [false, true, true])
        let reopened = try InsightStore(location)
        #expect(try reopened.write(batch([app("c"), app("e"), app("f"), app("zz")])).isNew == [false, false, true, false])
        #expect(try reopened.connection.execute("SELECT COUNT(*) FROM apps").first?.first?.int64 == 7)
        // The first reading of "a" on cluster c is the one stored.
        #expect(try reopened.appTimes(["a"], through: 4).map(\.finish).sorted() == [1, 1])
    }

    @Test func storeLocationsParseAndHidePasswords() throws {
        #expect(try StoreLocation.parse("sqlite:/tmp/x.sqlite") == .sqlite(path: "/tmp/x.sqlite"))
        #expect(try StoreLocation.parse("postgres://u:pw@h/db") == .postgres(url: "postgres://u:pw@h/db"))
        #expect(StoreLocation.postgres(url: "postgres://u:pw@h/db").description == "postgres://u:***@h/db")
        #expect(throws: StoreError.self) { try StoreLocation.parse("mysql://x") }
    }
}
