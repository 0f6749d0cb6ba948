import Foundation
import InsightStore
import Testing

/// `bursar allocate` over nights, as a process: a rerun of a night writes the same files byte for byte, the next
/// night is measured against the archived one, a `kill -9` between the renames and the commit is undone by the
/// next run, and an unreadable previous plan stops the run. Serialized: each test waits on processes, and two at
/// once would hold both threads of a 2-core machine's cooperative pool, on which the router tests' in-process
/// routers answer.
@Suite(.serialized) struct AllocateNightsTests {
    let cli = ValidateCommandTests()
    let allocate = AllocateCommandTests()

    /// Runs bursar with extra environment variables; also says whether it died of a signal.
    func run(_ arguments: [String], environment: [String: String]) throws -> (run: ValidateCommandTests.Run, signal: Int32?) {
        let process = Process()
        process.executableURL = ValidateCommandTests.binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let run = ValidateCommandTests.Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                                           stderr: String(decoding: stderr, as: UTF8.self))
        return (run, process.terminationReason == .uncaughtSignal ? process.terminationStatus : nil)
    }

    /// Every file under the folders (hidden ones too), by path, with its bytes.
    func snapshot(_ folders: [String]) -> [String: Data] {
        var files: [String: Data] = [:]
        for folder in folders {
            guard let names = FileManager.default.enumerator(atPath: folder) else { continue }
            for case let name as String in names {
                var isFolder: ObjCBool = false
                let path = "\(folder)/\(name)"
                if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue {
                    files[path] = FileManager.default.contents(atPath: path)
                }
            }
        }
        return files
    }

    func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// The plan in a JSON report: queues and clusters (not the solve times, the plan id or when it was planned).
    func planPart(_ report: [String: Any]) -> String {
        let part: [String: Any] = ["queues": report["queues"] ?? [], "clusters": report["clusters"] ?? [],
                                   "night": report["night"] ?? "", "previous_plan": report["previous_plan"] ?? [:],
                                   "window": report["window"] ?? [:]]
        let data = (try? JSONSerialization.data(withJSONObject: part, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    func vcore(_ queue: [String: Any], _ key: String) -> Double? {
        ((queue["resources"] as? [String: Any])?["vcore"] as? [String: Any])?[key] as? Double
    }

    /// (i) With a hand-written baseline far from tonight's demand, the change limit binds; running the same
    /// night again must not move the plan a second step (it did when the limit was applied against the last
    /// run): the files are byte for byte the same. The next night is measured against the first night's plan.
    @Test func rerunOfANightWritesTheSameFiles() throws {
        let setup = try allocate.setUp()
        // The baseline: a plan made with twice the headroom, from another store, of which moka-a's file is kept.
        let baselineStore = "sqlite:" + setup.path("baseline.sqlite")
        #expect(try cli.run(["ingest", setup.folder.appendingPathComponent("moka-a").path, "--store", baselineStore]).status == 0)
        try AllocateCommandTests.policy.replacingOccurrences(of: "headroom: 1.1", with: "headroom: 2.2")
            .write(toFile: setup.path("wide.yaml"), atomically: true, encoding: .utf8)
        let made = try cli.run(["allocate", "--clusters", setup.path("clusters.yaml"), "--policy", setup.path("wide.yaml"),
                                "--out", setup.path("baseline"), "--report-dir", setup.path("baseline-reports"), "--store", baselineStore])
        #expect(made.status == 0, "\(made.stderr)")
        try FileManager.default.createDirectory(atPath: "\(setup.out)/moka-a", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: setup.path("baseline/moka-a/queues.yaml"), toPath: "\(setup.out)/moka-a/queues.yaml")

        let first = try cli.run(setup.arguments() + ["--format", "json"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("\(setup.out)/moka-b/queues.yaml does not exist: moka-b has no previous plan (a new cluster)"))
        #expect(first.stderr.contains("previous plan: baseline files (moka-a)"))
        let firstReport = json(first.stdout)
        #expect(firstReport["night"] as? String == "2025-11-20")
        let queues = firstReport["queues"] as? [[String: Any]] ?? []
        let limited = queues.filter { (($0["resources"] as? [String: Any])?.values.contains { ($0 as? [String: Any])?["binding"] as? String == "change limit (shrink)" }) ?? false }
        #expect(!limited.isEmpty, "the baseline should hold some queues up through the change limit")
        let firstFiles = snapshot([setup.out])

        let second = try cli.run(setup.arguments() + ["--format", "json"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("the baseline archived with night 2025-11-20 by its first run"))
        #expect(snapshot([setup.out]) == firstFiles)
        let samePlan = planPart(json(second.stdout)) == planPart(firstReport)
        #expect(samePlan, "the report's plan (queues, clusters, night, previous plan, window) differs between the two runs")
        #expect(json(second.stdout)["plan_id"] as? String != firstReport["plan_id"] as? String)
        // The report in --report-dir is tonight's too.
        let stored = json(String(decoding: FileManager.default.contents(atPath: "\(setup.reports)/report.json") ?? Data(), as: UTF8.self))
        #expect(stored["plan_id"] as? String == json(second.stdout)["plan_id"] as? String)

        // The next night: previous = the first night's plan; each queue that stayed starts from its guarantee.
        let next = try cli.run(setup.arguments() + ["--format", "json", "--night", "2025-11-21"])
        #expect(next.status == 0, "\(next.stderr)")
        let nextReport = json(next.stdout)
        #expect((nextReport["previous_plan"] as? [String: Any])?["night"] as? String == "2025-11-20")
        var compared = 0
        for queue in nextReport["queues"] as? [[String: Any]] ?? [] where queue["moved"] as? Bool == false {
            guard let before = queues.first(where: { $0["queue"] as? String == queue["queue"] as? String }),
                  let previous = vcore(queue, "previous"), let guaranteed = vcore(before, "guaranteed") else { continue }
            // queues.yaml holds millicores: the archived plan is the first night's, rounded down to one.
            #expect(previous <= guaranteed + 1e-9 && previous > guaranteed - 0.0011, "\(queue["queue"] ?? "")")
            compared += 1
        }
        #expect(compared == queues.count)
        #expect(snapshot([setup.out]) != firstFiles)
        let store = try InsightStore(try StoreLocation.parse(setup.store))
        #expect(try store.archivedNights() == ["2025-11-20", "2025-11-21"])
        // Each queue's binding constraints are archived with the night, as the report gave them.
        let archived = try #require(try store.archivedPlan(night: "2025-11-21"))
        var lines = Set<String>()
        for (cluster, text) in archived.bindings {
            for line in text.split(separator: "\n") { lines.insert("\(cluster)\t\(line)") }
        }
        var reported = Set<String>()
        for queue in nextReport["queues"] as? [[String: Any]] ?? [] {
            for (resource, figures) in queue["resources"] as? [String: Any] ?? [:] {
                reported.insert("\(queue["cluster"] as? String ?? "")\t\(queue["queue"] as? String ?? "")\t\(resource)\t\((figures as? [String: Any])?["binding"] as? String ?? "")")
            }
        }
        #expect(!reported.isEmpty && lines == reported)
    }

    /// A `kill -9` of `bursar dashboards export` while it renders, or between setting the earlier export aside
    /// and putting the new one in its place: the reader keeps the earlier export whole (or, killed mid-swap,
    /// gets it back from the next run), and the next run leaves no staging or set-aside folder behind.
    @Test(arguments: ["export-mid-render", "export-mid-swap"])
    func killedExportLeavesTheLastWholeOne(_ failpoint: String) throws {
        let setup = try allocate.setUp()
        #expect(try cli.run(setup.arguments()).status == 0)
        let out = setup.path("dashboards")
        let first = try cli.run(["dashboards", "export", out, "--store", setup.store])
        #expect(first.status == 0, "\(first.stderr)")
        let whole = snapshot([out])
        #expect(whole.keys.contains("\(out)/index.html"))

        let killed = try run(["dashboards", "export", out, "--store", setup.store], environment: ["BURSAR_FAILPOINT": failpoint])
        #expect(killed.signal == SIGKILL, "\(killed.run.stderr)")
        let parent = (out as NSString).deletingLastPathComponent
        let left = { try FileManager.default.contentsOfDirectory(atPath: parent).filter { $0.hasPrefix(".dashboards.") } }
        if failpoint == "export-mid-render" {
            #expect(snapshot([out]) == whole, "the earlier export is untouched")
            #expect(try left().contains { $0.hasPrefix(".dashboards.partial-") })
        } else {
            #expect(!FileManager.default.fileExists(atPath: out))
            #expect(try left().contains { $0.hasPrefix(".dashboards.old-") })
        }

        let again = try cli.run(["dashboards", "export", out, "--store", setup.store])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(Set(snapshot([out]).keys) == Set(whole.keys))
        #expect(try left().isEmpty, "nothing of the killed export is left")
    }

    /// (iii) A `kill -9` after the new files were renamed into place (or inside the store transaction): the next
    /// run restores the previous files byte for byte (a dry run or a deploy here, so the restore is seen alone),
    /// leaves the routing table as it was, and a normal run then plans the night as if nothing had happened.
    @Test(arguments: ["allocate-after-renames", "allocate-before-commit"])
    func killedRunIsUndoneByTheNext(_ failpoint: String) throws {
        let setup = try allocate.setUp()
        let first = try cli.run(setup.arguments())
        #expect(first.status == 0, "\(first.stderr)")
        let store = try InsightStore(try StoreLocation.parse(setup.store))
        let routing = try store.routing()
        let before = snapshot([setup.out, setup.reports])

        // The change limit keeps moving the plan on the next night, so its files differ from the first night's.
        let killed = try run(setup.arguments() + ["--night", "2025-11-22"], environment: ["BURSAR_FAILPOINT": failpoint])
        #expect(killed.signal == SIGKILL, "\(killed.run.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(setup.out)/.bursar-plan-journal"))
        let killedFiles = snapshot([setup.out]).filter { !($0.key as NSString).lastPathComponent.hasPrefix(".") }
        #expect(killedFiles != before.filter { $0.key.hasPrefix(setup.out) }, "the new files should be in place when it died")
        #expect(try store.routing() == routing)
        #expect(try store.archivedNights() == ["2025-11-20"])

        // The next run to read the folder undoes it: a dry run of allocate, or a deploy (which then sends the
        // restored file).
        let recovered = failpoint == "allocate-after-renames"
            ? try cli.run(setup.arguments() + ["--night", "2025-11-22", "--dry-run"])
            : try cli.run(["deploy", "moka-a", "--queues", setup.out, "--clusters", setup.path("clusters.yaml"),
                           "--policy", setup.path("policy.yaml"), "--dry-run", "--dry-run-dir", setup.path("dry-run"),
                           "--store", setup.store])
        #expect(recovered.status == 0, "\(recovered.stderr)")
        #expect(recovered.stderr.contains("for night 2025-11-22: it never reached the store, so the previous files were restored"))
        #expect(snapshot([setup.out, setup.reports]) == before)
        #expect(try store.routing() == routing)

        let again = try cli.run(setup.arguments() + ["--night", "2025-11-22", "--format", "json"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!again.stderr.contains("recovered"))
        #expect(snapshot([setup.out]) == killedFiles)
        #expect((json(again.stdout)["previous_plan"] as? [String: Any])?["night"] as? String == "2025-11-20")
        #expect(try store.archivedNights() == ["2025-11-20", "2025-11-22"])
        #expect(try store.routing().count == routing.count)
    }

    /// (iv) A baseline queues.yaml that exists but cannot be read stops the run with exit 2, naming the file and
    /// what to do; nothing is written. `--ignore-previous` plans without it.
    @Test func unreadableBaselineExitsTwo() throws {
        let setup = try allocate.setUp()
        let file = "\(setup.out)/moka-a/queues.yaml"
        try FileManager.default.createDirectory(atPath: file, withIntermediateDirectories: true)
        let folder = try cli.run(setup.arguments())
        #expect(folder.status == 2)
        #expect(folder.stderr.contains("bursar: \(file): is a folder, not a file; fix it, remove it (moka-a is then planned as a new cluster), or pass --ignore-previous"), "\(folder.stderr)")

        try FileManager.default.removeItem(atPath: file)
        try Data([0x70, 0x61, 0x72, 0xFF, 0xFE, 0x3A, 0x0A]).write(to: URL(fileURLWithPath: file))
        let garbage = try cli.run(setup.arguments())
        #expect(garbage.status == 2)
        #expect(garbage.stderr.contains("bursar: \(file): is not UTF-8 text; fix it"), "\(garbage.stderr)")
        #expect(garbage.stderr.contains("nothing was written"))
        #expect(!FileManager.default.fileExists(atPath: "\(setup.out)/moka-b"))
        #expect(!FileManager.default.fileExists(atPath: setup.reports))
        let store = try InsightStore(try StoreLocation.parse(setup.store))
        #expect(try store.routing().isEmpty)
        #expect(try store.archivedNights().isEmpty)

        let ignoring = try cli.run(setup.arguments() + ["--ignore-previous", "--format", "json"])
        #expect(ignoring.status == 0, "\(ignoring.stderr)")
        #expect(ignoring.stderr.contains("previous plan: none (--ignore-previous)"))
        #expect((json(ignoring.stdout)["previous_plan"] as? [String: Any])?["source"] as? String == "ignored")
        #expect(try String(contentsOfFile: file, encoding: .utf8).hasPrefix("partitions:"))
        #expect(try !store.routing().isEmpty)
    }

    @Test func badNightIsAUsageError() throws {
        let result = try cli.run(["allocate", "--night", "2025-02-30"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("--night 2025-02-30: expected a date YYYY-MM-DD"))
    }
}
