import Foundation
import InsightStore
import Store
import Testing
import TestSupport

/// Several `bursar ingest` processes started together on one store (issue #17): on PostgreSQL they must end with
/// exactly the tables one process writes (no application counted twice, no derived row lost, checkpoints
/// intact), whatever sources they share and however their starts are staggered; on SQLite a second ingest waits
/// for the first or fails naming the file, and never corrupts it.
@Suite(.serialized) struct ConcurrentIngestTests {
    let cli = ValidateCommandTests()

    /// The bundled sample, read where the repository has it (sources are stored by the path given, so every
    /// store in a test must be given the same paths).
    static let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Examples/sample")

    static func path(_ relative: String) -> String { sample.appendingPathComponent(relative).path }

    /// Who reads what: one list of sources per process.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var processes: [[String]]
        var testDescription: String { name }
    }

    static let everything = ["logs", "yarn"].map(path)

    static let cases: [Case] = [
        Case(name: "2 processes, all sources each", processes: [everything, everything]),
        Case(name: "3 processes, all sources each", processes: [everything, everything, everything]),
        // One per cluster, the common case; the YARN folder (both clusters) is read by two of them.
        Case(name: "3 processes, one per cluster plus YARN shared by two", processes: [
            [path("logs/moka-a"), path("yarn")], [path("logs/moka-b"), path("yarn")], [path("yarn/moka-a")],
        ]),
        // Partial overlaps: each source is read by one, two or three processes.
        Case(name: "3 processes, partly overlapping", processes: [
            [path("logs/moka-a"), path("logs/moka-b")], [path("logs/moka-b"), path("yarn")],
            [path("yarn/moka-b"), path("logs/moka-a")],
        ]),
    ]

    /// Milliseconds between one process's start and the next one's.
    static let staggers: [Int] = [0, 20, 150]

    /// The result of one process.
    struct Finished {
        var status: Int32
        var stdout: String
        var stderr: String
        var newApps: Int { (try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])?["new_apps"] as? Int ?? -1 }
    }

    /// Starts one `bursar ingest` per source list, `staggerMillis` apart, and waits for all of them.
    func ingestTogether(_ lists: [[String]], store: String, staggerMillis: Int, batchLines: Int = 40) throws -> [Finished] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-cingest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var running: [(Process, URL, URL)] = []
        defer {
            for (process, _, _) in running where process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        for (index, sources) in lists.enumerated() {
            if index > 0 && staggerMillis > 0 { usleep(UInt32(staggerMillis * 1000)) }
            let out = folder.appendingPathComponent("\(index).out"), err = folder.appendingPathComponent("\(index).err")
            FileManager.default.createFile(atPath: out.path, contents: nil)
            FileManager.default.createFile(atPath: err.path, contents: nil)
            let process = Process()
            process.executableURL = ValidateCommandTests.binary
            process.arguments = ["ingest"] + sources + ["--mappings", Self.path("mappings"), "--store", store,
                                                        "--batch-lines", "\(batchLines)", "--format", "json"]
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try process.run()
            running.append((process, out, err))
        }
        return try running.map { process, out, err in
            process.waitUntilExit()
            return Finished(status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
                            stderr: try String(contentsOf: err, encoding: .utf8))
        }
    }

    /// Every insight table in key order, and the bookkeeping a later run relies on. Left out, as process-specific:
    /// the apps' sequence numbers (which process numbers an application depends on who wrote first; the
    /// application rows are compared without them, and `derived_through_seq` must still equal the number of
    /// applications), `ingest_sources.updated_at` (the wall clock of the write), `source_names.id` (ids are
    /// handed out in the order processes first wrote each source; the names are compared) and the
    /// `derived_commits` counter in `ingest_state` (how many runs wrote the derived tables: one per process).
    static func dump(_ location: StoreLocation) throws -> [String: [String]] {
        let store = try InsightStore(location)
        var dump = try store.digest()
        func rows(_ sql: String) throws -> [String] {
            try store.connection.execute(sql).map { $0.map { $0.string ?? "NULL" }.joined(separator: "|") }
        }
        dump["ingest_sources"] = try rows("SELECT source, fingerprint, size, offset_bytes, lines, complete FROM ingest_sources ORDER BY source")
        dump["ingest_state"] = try rows("SELECT name, value FROM ingest_state WHERE name <> 'derived_commits' ORDER BY name")
        dump["source_names"] = try rows("SELECT source FROM source_names ORDER BY source")
        dump["apps_numbering"] = try rows("SELECT COUNT(*), COUNT(DISTINCT seq), MIN(seq), MAX(seq) FROM apps")
        return dump
    }

    /// Compares two dumps table by table, reporting the first differing row of each table (dumps are long).
    static func expectEqual(_ got: [String: [String]], _ expected: [String: [String]], _ label: String) {
        #expect(got.keys.sorted() == expected.keys.sorted(), "\(label): tables differ")
        for table in expected.keys.sorted() {
            let left = got[table] ?? [], right = expected[table] ?? []
            guard left != right else { continue }
            let first = (0..<min(left.count, right.count)).first { left[$0] != right[$0] } ?? min(left.count, right.count)
            let got = first < left.count ? left[first] : "(none)", wanted = first < right.count ? right[first] : "(none)"
            Issue.record("\(label): \(table) differs: \(left.count) rows against \(right.count); first difference at row \(first): \(got) against \(wanted)")
        }
    }

    @Test(.requires(.postgres), .timeLimit(.minutes(3)), arguments: cases)
    func concurrentIngestsOnPostgresEqualOne(_ testCase: Case) throws {
        let single = try Backend.postgres.freshLocation(in: FileManager.default.temporaryDirectory)
        let alone = try ingestTogether([Self.everything], store: "\(single)", staggerMillis: 0)
        #expect(alone[0].status == 0, "\(alone[0].stderr)")
        let expected = try Self.dump(single)
        #expect((expected["apps"] ?? []).count > 4_000, "the sample should give thousands of applications")
        #expect(expected["ingest_state"]?.contains("derived_through_seq|\((expected["apps"] ?? []).count)") == true)

        do {
            for stagger in Self.staggers {
                let label = "\(testCase.name), \(stagger) ms apart"
                let location = try Backend.postgres.freshLocation(in: FileManager.default.temporaryDirectory)
                let finished = try ingestTogether(testCase.processes, store: "\(location)", staggerMillis: stagger)
                for (index, run) in finished.enumerated() {
                    #expect(run.status == 0, "\(label): process \(index) exited \(run.status): \(run.stderr)")
                }
                // Each application is new to exactly one process: no process counted one another stored.
                #expect(finished.map(\.newApps).reduce(0, +) == alone[0].newApps, "\(label): new_apps \(finished.map(\.newApps))")
                Self.expectEqual(try Self.dump(location), expected, label)
            }
        }
    }

    /// SQLite has one writer: a second ingest started beside the first waits for each batch's lock (or, after a
    /// minute, fails naming the file). Either way the file stays whole, and a later run ends at one clean run's tables.
    @Test(.timeLimit(.minutes(3)))
    func concurrentIngestsOnSQLiteWaitOrFailNamingTheFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-cingest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let clean = folder.appendingPathComponent("clean.sqlite").path
        #expect(try ingestTogether([Self.everything], store: "sqlite:" + clean, staggerMillis: 0)[0].status == 0)
        let expected = try Self.dump(.sqlite(path: clean))

        for stagger in [0, 20] {
            let shared = folder.appendingPathComponent("shared-\(stagger).sqlite").path
            let finished = try ingestTogether([Self.everything, Self.everything], store: "sqlite:" + shared, staggerMillis: stagger)
            for (index, run) in finished.enumerated() where run.status != 0 {
                #expect(run.stderr.contains(shared), "process \(index) failed without naming the file: \(run.stderr)")
            }
            #expect(try SQLiteConnection(path: shared).execute("PRAGMA integrity_check").first?.first?.string == "ok")
            let after = try cli.run(["ingest"] + Self.everything + ["--mappings", Self.path("mappings"), "--store", "sqlite:" + shared])
            #expect(after.status == 0, "\(after.stderr)")
            Self.expectEqual(try Self.dump(.sqlite(path: shared)), expected, "SQLite, \(stagger) ms apart")
        }
    }
}
