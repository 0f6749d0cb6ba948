import Foundation
import InsightStore
import Store
import Testing

/// `bursar ingest` run as a process: counts, JSON, exit codes, and a real SIGKILL in the middle of a run.
struct IngestCommandTests {
    let cli = ValidateCommandTests()

    /// A folder holding one log of `count` YuniKorn summaries (every 10th line is other log output and
    /// one line in 1,000 is a truncated summary).
    static func makeLogs(count: Int) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-ingest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("moka-a"), withIntermediateDirectories: true)
        var text = ""
        text.reserveCapacity(count * 420)
        let base: Int64 = 1_763_596_800_000
        for i in 0..<count {
            if i % 10 == 9 {
                text += "2025-11-20T10:00:01.000Z\tINFO\tcore.scheduler\tscheduler/scheduler.go:10\tnode added\n"
            } else if i % 1000 == 500 {
                text += "YK_APP_SUMMARY: {ApplicationID: cut-\(i), SubmissionTime: 1\n"
            } else {
                let start = base + Int64(i) * 13_000
                text += "2025-11-20T10:00:00.000Z\tINFO\tcore.scheduler.application.usage\tobjects/application_summary.go:60\t"
                    + "YK_APP_SUMMARY: {ApplicationID: spark-\(i), SubmissionTime: \(start), StartTime: \(start), "
                    + "FinishTime: \(start + Int64(i % 97) * 61_000), User: u\(i % 7), Queue: root.org\(i % 5).p\(i % 11).tier\(1 + i % 3), "
                    + "State: Completed, RmID: moka-a, ResourceUsage: TrackedResource{UNKNOWN:vcore=\(i * 17),UNKNOWN:memory=\(i * 1_000_003)}, "
                    + "PreemptedResource: TrackedResource{}, PlaceholderResource: TrackedResource{}}\n"
            }
        }
        try Data(text.utf8).write(to: folder.appendingPathComponent("moka-a/yk.log"))
        return folder
    }

    @Test func jsonCountsAndRejectRateExitCode() throws {
        let logs = try Self.makeLogs(count: 3_000)
        let store = "sqlite:" + logs.path + "-store.sqlite"
        let first = try cli.run(["ingest", logs.path, "--store", store, "--format", "json"])
        #expect(first.status == 0, "\(first.stderr)")
        let counts = try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any] ?? [:]
        for key in ["files", "lines", "summaries", "duplicates", "skipped", "rejects", "unattributed"] {
            #expect(counts[key] is Int, "missing key \(key)")
        }
        #expect(counts["files"] as? Int == 1)
        #expect(counts["lines"] as? Int == 3_000)
        #expect(counts["skipped"] as? Int == 300)
        #expect(counts["rejects"] as? Int == 3)
        #expect(counts["summaries"] as? Int == 2_697)
        #expect(counts["duplicates"] as? Int == 0)

        // Rejects are shown with file, line and reason; a strict reject rate fails with exit 4.
        let strict = try cli.run(["ingest", logs.path, "--store", store, "--rescan", "--show-rejects", "--max-reject-rate", "0.0001"])
        #expect(strict.status == 4)
        #expect(strict.stdout.contains("moka-a/yk.log:501: rejected:"))
        #expect(strict.stderr.contains("--max-reject-rate"))
        #expect(strict.stdout.contains("2697 duplicates"))
    }

    @Test func unreadableSourceExitsTwoAndUsageExitsOne() throws {
        let missing = try cli.run(["ingest", "/no/such/folder", "--store", "sqlite:" + NSTemporaryDirectory() + "/\(UUID()).sqlite"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/no/such/folder: no such file or folder"))
        let usage = try cli.run(["ingest"])
        #expect(usage.status == 1)
        let badStore = try cli.run(["ingest", "x", "--store", "mysql://h/db"])
        #expect(badStore.status == 1)
        #expect(badStore.stderr.contains("sqlite:PATH or postgres://"))
    }

    @Test func mappingRowErrorsNameFileAndLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-map-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "workflow,project,tier,slo_minutes\nok,p,1,60\nbad,p,4,60\n".write(
            to: folder.appendingPathComponent("workflows.csv"), atomically: true, encoding: .utf8)
        let result = try cli.run(["ingest", "--mappings", folder.path, "--store", "sqlite:" + folder.path + "/s.sqlite"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("workflows.csv:3: tier \"4\" is not 1, 2 or 3"))
    }

    /// Kills an ingest with SIGKILL part-way (after some batches committed), re-runs it, and checks the
    /// tables equal those of one clean run.
    ///
    /// The log is split in two around a named pipe that no one writes (a.log, b.log the pipe, c.log; sources
    /// are read in path order): the first run commits batches of a.log, then blocks opening b.log, so it cannot
    /// finish however fast it is or however slowly this test is scheduled. The test waits for committed lines
    /// in the store (the deadline only stops a hung run), kills it, removes the pipe, and resumes.
    @Test func killedIngestResumesToTheSameTables() throws {
        let logs = try Self.makeLogs(count: 60_000)
        let killedStore = logs.path + "-killed.sqlite"
        let cleanStore = logs.path + "-clean.sqlite"
        let cluster = logs.appendingPathComponent("moka-a")
        let lines = try String(contentsOf: cluster.appendingPathComponent("yk.log"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        try (lines.prefix(30_000).joined(separator: "\n") + "\n").write(to: cluster.appendingPathComponent("a.log"), atomically: true, encoding: .utf8)
        try (lines.dropFirst(30_000).joined(separator: "\n") + "\n").write(to: cluster.appendingPathComponent("c.log"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: cluster.appendingPathComponent("yk.log"))
        let pipe = cluster.appendingPathComponent("b.log").path
        #expect(mkfifo(pipe, 0o600) == 0, "mkfifo: \(String(cString: strerror(errno)))")
        defer { unlink(pipe) }

        let process = Process()
        process.executableURL = ValidateCommandTests.binary
        process.arguments = ["ingest", logs.path, "--store", "sqlite:" + killedStore, "--batch-lines", "200"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Whatever fails below, the blocked child must not outlive the test.
        defer {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        // Wait until some batches are committed (the checkpoint has moved), then kill without warning.
        var committed: Int64 = 0
        let deadline = ContinuousClock.now + .seconds(300)
        while process.isRunning && committed < 2_000 && ContinuousClock.now < deadline {
            usleep(2_000)
            committed = (try? Self.checkpointLines(killedStore)) ?? 0
        }
        #expect(committed >= 2_000, "the ingest committed \(committed) lines before stopping or the deadline")
        let killedMidway = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(killedMidway, "the ingest ended before it was killed (status \(process.terminationStatus)); it should block on the pipe")
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)
        let linesAtKill = try Self.checkpointLines(killedStore)
        #expect(linesAtKill > 0 && linesAtKill < 60_000)
        #expect(linesAtKill <= 30_000, "nothing after the pipe can have been read")
        unlink(pipe)

        let resumed = try cli.run(["ingest", logs.path, "--store", "sqlite:" + killedStore, "--format", "json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let counts = try JSONSerialization.jsonObject(with: Data(resumed.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(counts["duplicates"] as? Int == 0)
        #expect((counts["lines"] as? Int ?? 0) + Int(linesAtKill) == 60_000)

        let clean = try cli.run(["ingest", logs.path, "--store", "sqlite:" + cleanStore, "--batch-lines", "7000"])
        #expect(clean.status == 0)
        let a = try InsightStore(.sqlite(path: killedStore)).digest()
        let b = try InsightStore(.sqlite(path: cleanStore)).digest()
        // Compared table by table and reported by first difference: the digests are megabytes long.
        for table in b.keys.sorted() {
            let left = a[table] ?? [], right = b[table] ?? []
            #expect(left.count == right.count, "\(table): \(left.count) rows after kill and resume, \(right.count) in a clean run")
            if let index = left.indices.first(where: { $0 < right.count && left[$0] != right[$0] }) {
                Issue.record("\(table) differs at row \(index): \(left[index]) vs \(right[index])")
            }
        }
        #expect(a["apps"]?.count == 53_940)  // 60,000 lines less 6,000 other lines and 60 truncated summaries
    }

    static func checkpointLines(_ path: String) throws -> Int64 {
        let db = try SQLiteConnection(path: path)
        try db.executeScript("PRAGMA busy_timeout = 1000")
        return try db.execute("SELECT COALESCE(SUM(lines), 0) FROM ingest_sources").first?.first?.int64 ?? 0
    }

    /// A mapping file that exists but cannot be read is an error naming it, and none of the folder's files is
    /// applied (before, it was silently taken as absent, and the other files replaced the stored mappings).
    @Test func anUnreadableMappingFileIsAnErrorAndNothingIsApplied() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-map-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("workflows.csv"), withIntermediateDirectories: true)
        try "project,owner\nledger,team-ledger\n".write(to: folder.appendingPathComponent("projects.csv"), atomically: true, encoding: .utf8)
        let store = folder.path + "/s.sqlite"
        let result = try cli.run(["ingest", "--mappings", folder.path, "--store", "sqlite:" + store])
        #expect(result.status == 2)
        #expect(result.stderr.contains(folder.appendingPathComponent("workflows.csv").path + ": cannot be read"), "\(result.stderr)")
        #expect(try InsightStore(.sqlite(path: store)).digest()["map_projects"] == [])
    }
}
