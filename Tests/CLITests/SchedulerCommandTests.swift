import Foundation
import Testing
import TestSupport
import InsightStore

/// `bursar pipelines validate` and `bursar scheduler run --once` as processes, against a real router on
/// loopback: due ticks become runs, the first job of the first run goes through the router with the workflow,
/// job and run labels (so the router records it attributable), a `kill -9` between the router's answer and the
/// scheduler's record loses nothing and submits nothing twice, and a later pass dispatches nothing again.
@Suite("pipelines and the scheduler", .serialized)
struct SchedulerCommandTests {
    let cli = ValidateCommandTests()

    @Test func validateNamesEveryProblemAndExits3() throws {
        let file = try cli.temporaryFile("broken.yaml", """
            workflow: w
            project: ledger
            tier: 4
            schedule: "61 * * * *"
            slo_minutes: 30
            start_date: 2026-11-01
            jobs:
              - {name: a, depends_on: [b], bursar: ingest}
              - {name: b, depends_on: [a], bursar: allocate}

            """)
        let result = try cli.run(["pipelines", "validate", file, "--format", "json"])
        #expect(result.status == 3, "\(result.stderr)")
        for expected in ["\"field\" : \"tier\"", "\"field\" : \"schedule\"", "a cycle: a → b → a", "\"valid\" : false"] {
            #expect(result.stdout.contains(expected), "\(expected) in \(result.stdout)")
        }
        let missing = try cli.run(["pipelines", "validate", "/nonexistent/Pipelines"])
        #expect(missing.status == 2)
    }

    @Test func anSLOShorterThanTheCriticalPathsLastRuntimesIsAWarning() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-slo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = "sqlite:\(folder.path)/store.sqlite"
        let nightly = try cli.run(["nightly", "--store", store, "--out", folder.appendingPathComponent("Queues").path,
                                   "--report-dir", folder.appendingPathComponent("report").path])
        #expect(nightly.status == 0, "\(nightly.stderr)")
        // The sample's settlements-daily-close runs ingest, enrich, features and export for minutes each.
        func definition(slo: Int) throws -> String {
            try cli.temporaryFile("sdc-\(slo).yaml", """
                workflow: settlements-daily-close
                project: settlements
                tier: 3
                schedule: "@daily"
                slo_minutes: \(slo)
                start_date: 2026-11-01
                jobs:
                  - {name: ingest, bursar: ingest}
                  - {name: enrich, depends_on: [ingest], bursar: allocate}
                  - {name: features, depends_on: [enrich], bursar: allocate}
                  - {name: export, depends_on: [features], bursar: slo-report}

                """)
        }
        let tight = try cli.run(["pipelines", "validate", try definition(slo: 10), "--store", store])
        #expect(tight.status == 0, "a warning does not fail validation: \(tight.stdout)")
        #expect(tight.stdout.contains("warning: slo_minutes: 10 minutes is shorter than the critical path's last known runtime"), "\(tight.stdout)")
        #expect(tight.stdout.contains("ingest → enrich → features → export"), "\(tight.stdout)")
        let strict = try cli.run(["pipelines", "validate", try definition(slo: 10), "--store", store, "--strict"])
        #expect(strict.status == 3)
        let roomy = try cli.run(["pipelines", "validate", try definition(slo: 600), "--store", store])
        #expect(!roomy.stdout.contains("critical path"), "\(roomy.stdout)")
    }

    @Test func runOnceDispatchesThroughTheRouterAndNothingTwice() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-scheduler-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = "sqlite:\(folder.path)/store.sqlite"
        let queues = folder.appendingPathComponent("Queues").path
        let nightly = try cli.run(["nightly", "--store", store, "--out", queues, "--report-dir", folder.appendingPathComponent("report").path])
        #expect(nightly.status == 0, "\(nightly.stderr)")
        let made = try cli.run(["token", "new", "--principal", "scheduler", "--team", "payments-core"])
        let token = made.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        let tokens = folder.appendingPathComponent("tokens.yaml")
        try ("principals:\n" + made.stdout).write(to: tokens, atomically: true, encoding: .utf8)

        let pipelines = folder.appendingPathComponent("Pipelines/payments-core")
        try FileManager.default.createDirectory(at: pipelines, withIntermediateDirectories: true)
        try """
            workflow: ledger-features
            project: ledger
            tier: 1
            schedule: "@hourly"
            slo_minutes: 30
            start_date: 2026-11-01
            catchup: {max_days: 0}
            defaults: {spark: {image: "spark:3.5.3", driver: {cores: 1, memory: 2g}, executor: {instances: 2, cores: 1, memory: 2g}}}
            jobs:
              - name: extract
                spark: {main: "local:///opt/extract.py"}
              - name: features
                depends_on: [extract]
                spark_file: features.yaml

            """.write(to: pipelines.appendingPathComponent("ledger-features.yaml"), atomically: true, encoding: .utf8)
        try """
            apiVersion: sparkoperator.k8s.io/v1beta2
            kind: SparkApplication
            metadata: {name: features}
            spec: {type: Python, mode: cluster, image: "spark:3.5.3", mainApplicationFile: "local:///opt/features.py",
                   sparkVersion: 3.5.3, driver: {cores: 1, memory: 2g}, executor: {instances: 2, cores: 1, memory: 2g}}

            """.write(to: pipelines.appendingPathComponent("features.yaml"), atomically: true, encoding: .utf8)
        let checked = try cli.run(["pipelines", "validate", folder.appendingPathComponent("Pipelines").path, "--store", store])
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        #expect(checked.stdout.contains("1 file, 1 workflow valid, 2 jobs: 0 errors, 0 warnings"), "\(checked.stdout)")

        let (server, port) = try ServeSubmitCommandTests.startRouter(store: store, tokens: tokens.path, queues: queues,
                                                                     dryRun: folder.appendingPathComponent("dry-run").path)
        defer { if server.isRunning { server.terminate() } }

        let arguments = ["scheduler", "run", "--once", "--pipelines", folder.appendingPathComponent("Pipelines").path,
                         "--server", "http://127.0.0.1:\(port)", "--token", token, "--store", store]
        // kill -9 right after the router accepted the first job, before the scheduler recorded it.
        let killed = try AllocateNightsTests().run(arguments, environment: ["BURSAR_FAILPOINT": "scheduler-after-dispatch"])
        #expect(killed.signal == SIGKILL, "\(killed.run.stdout)\(killed.run.stderr)")
        // The restart finds the run (created and started before the crash) and sends the job again with the same
        // idempotency key: the router answers with the first submission instead of making a second one.
        let restarted = try cli.run(arguments)
        #expect(restarted.status == 0, "\(restarted.stderr)")
        #expect(restarted.stdout.contains("runs 0 created, 0 started"), "\(restarted.stdout)")
        #expect(restarted.stdout.contains("1 dispatched"), "\(restarted.stdout)")
        let again = try cli.run(arguments)
        #expect(again.stdout.contains("runs 0 created") && again.stdout.contains("0 dispatched"), "\(again.stdout)")

        server.terminate()
        server.waitUntilExit()
        let journal = ["moka-a", "moka-b"].compactMap {
            try? String(contentsOf: folder.appendingPathComponent("dry-run/\($0).jsonl"), encoding: .utf8)
        }.joined()
        #expect(journal.components(separatedBy: "\"bursar.dev/job\":\"extract\"").count == 2, "\(journal)")
        #expect(journal.contains("\"bursar.dev/workflow\":\"ledger-features\""))
        #expect(journal.contains("\"bursar.dev/run-id\":\"r"))
        #expect(journal.contains("root.payments.ledger.tier1"))
    }

    /// `bursar trigger`, `backfill` and `runs list` as processes: a workflow the scheduler has not recorded is read
    /// from --pipelines and recorded; once recorded, the version in force is run whatever the files say; a backfill
    /// over 31 days needs --force; the listing filters and checks its options.
    @Test func triggerBackfillAndRunsListUseTheVersionInForce() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-runs-\(UUID().uuidString)")
        let pipelines = folder.appendingPathComponent("Pipelines")
        try FileManager.default.createDirectory(at: pipelines, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = ["--store", "sqlite:\(folder.path)/store.sqlite"]
        func write(slo: Int) throws {
            try """
                workflow: nightly-close
                project: settlements
                tier: 2
                schedule: "@daily"
                slo_minutes: \(slo)
                start_date: 2026-11-01
                jobs:
                  - {name: ingest, bursar: ingest}

                """.write(to: pipelines.appendingPathComponent("nightly-close.yaml"), atomically: true, encoding: .utf8)
        }
        try write(slo: 30)
        let first = try cli.run(["trigger", "nightly-close", "--pipelines", pipelines.path] + store)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("triggered nightly-close: run r"), "\(first.stdout)")
        // The file changes, but no scheduler pass has recorded it: a trigger still runs the version in force.
        try write(slo: 90)
        let second = try cli.run(["trigger", "nightly-close", "--pipelines", pipelines.path] + store)
        #expect(second.status == 0, "\(second.stderr)")
        let version = first.stdout.components(separatedBy: "(version ").last?.prefix(12)
        #expect(version != nil && second.stdout.contains("(version \(version!)"), "\(first.stdout) \(second.stdout)")

        let long = try cli.run(["backfill", "nightly-close", "--from", "2026-11-01", "--to", "2026-12-02"] + store)
        #expect(long.status == 1 && long.stderr.contains("32 days, more than 31"), "\(long.stderr)")
        let forced = try cli.run(["backfill", "nightly-close", "--from", "2026-11-01", "--to", "2026-12-02", "--force"] + store)
        #expect(forced.status == 0 && forced.stdout.contains("32 ticks, 32 runs created"), "\(forced.stdout)\(forced.stderr)")

        let listed = try cli.run(["runs", "list", "--workflow", "nightly-close", "--limit", "3"] + store)
        #expect(listed.status == 0, "\(listed.stderr)")
        let lines = listed.stdout.split(separator: "\n")
        #expect(lines.count == 3 && lines.allSatisfy { $0.contains("nightly-close") && $0.contains("queued") }, "\(listed.stdout)")
        #expect(lines.first?.contains("manual") == true, "newest tick first: \(listed.stdout)")
        let failed = try cli.run(["runs", "list", "--state", "failed"] + store)
        #expect(failed.status == 0 && failed.stdout == "no runs\n", "\(failed.stdout)")
        let bad = try cli.run(["runs", "list", "--state", "exploded"] + store)
        #expect(bad.status == 1 && bad.stderr.contains("state must be one of queued, running, succeeded, failed"), "\(bad.stderr)")
        let unknown = try cli.run(["trigger", "nope", "--pipelines", pipelines.path] + store)
        #expect(unknown.status == 1 && unknown.stderr.contains("no valid workflow nope"), "\(unknown.stderr)")
    }
}

/// Built-in steps run by `bursar scheduler run` as child processes of bursar itself: a step that exits 0
/// succeeds, one that exits non-zero fails its job (with the exit status and its output file named), the run
/// ends failed, and `--until-idle` returns once nothing is active.
@Suite("built-in steps")
struct BuiltinStepTests {
    let cli = ValidateCommandTests()

    @Test func stepsRunAsProcessesAndTheirExitDecidesTheJob() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-steps-\(UUID().uuidString)")
        let pipelines = folder.appendingPathComponent("Pipelines")
        try FileManager.default.createDirectory(at: pipelines, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = "sqlite:\(folder.path)/store.sqlite"
        try """
            workflow: steps
            project: ingestion
            tier: 1
            schedule: "@daily"
            slo_minutes: 60
            start_date: 2026-11-01
            catchup: {max_days: 0}
            defaults: {retries: 0, timeout: 10m}
            jobs:
              - {name: report, bursar: slo-report}
              - {name: plan, depends_on: [report], bursar: allocate}

            """.write(to: pipelines.appendingPathComponent("steps.yaml"), atomically: true, encoding: .utf8)
        let logs = folder.appendingPathComponent("step-logs").path
        // allocate is given arguments that fail (a night that is not a date): its job must fail.
        let result = try cli.run(["scheduler", "run", "--pipelines", pipelines.path, "--store", store, "--token", "unused",
                                  "--server", "http://127.0.0.1:9", "--clusters", folder.appendingPathComponent("none.yaml").path,
                                  "--interval", "0.2", "--until-idle", "--step-logs", logs, "--step", "allocate=allocate --night not-a-date"])
        #expect(result.status == 0, "\(result.stderr)")
        let shown = try cli.run(["workflows", "show", "steps", "--store", store])
        let runID = try #require(shown.stdout.split(separator: "\n").dropFirst().first?.split(separator: " ").first.map(String.init), "\(shown.stdout)")
        let run = try cli.run(["runs", "show", runID, "--store", store])
        #expect(run.stdout.contains("; failed"), "\(run.stdout)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let report = try #require(lines.first { $0.hasPrefix("  report ") })
        let plan = try #require(lines.first { $0.hasPrefix("  plan ") })
        #expect(report.contains("succeeded") && report.contains("step-\(runID)-report-1 bursar"), "\(report)")
        #expect(plan.contains("failed") && plan.contains("exit status"), "\(plan)")
        let planLog = try String(contentsOfFile: "\(logs)/step-\(runID)-plan-1.log", encoding: .utf8)
        #expect(planLog.contains("not-a-date"), "the step's own error is in its log: \(planLog)")
    }
}

/// The closed loop of issue #16 on one machine, on both store backends: scheduler → router → simulated clusters
/// → summary logs → ingest → SLO report, by `scripts/demo.sh` (what `make demo` runs), which ends with
/// `bursar slo check-scheduler`: the report must agree with the scheduler on every run it ended, met and missed.
@Suite("the scheduler's closed loop", .serialized)
struct ClosedLoopTests {
    @Test(arguments: Backend.available)
    func theSLOReportAgreesWithTheSchedulerOnEveryRun(backend: Backend) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-loop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try storeArgument(backend, in: folder)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [root.appendingPathComponent("scripts/demo.sh").path]
        var environment = ProcessInfo.processInfo.environment
        environment["BURSAR_BIN"] = ValidateCommandTests.binary.path
        environment["DEMO"] = folder.appendingPathComponent("demo").path
        environment["STORE"] = store
        environment["RUNS"] = "3"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        // 3 manual runs of each of the 2 workflows, plus each workflow's latest scheduled tick. A tick's run misses
        // unless the test runs inside that tick's SLO window (ledger-features 02:45–03:15 America/Los_Angeles,
        // ranking-report 06:00–07:15 UTC); the two windows never overlap, so at least one tick's run misses.
        let verdict = try #require(text.split(separator: "\n").first { $0.hasPrefix("runs the scheduler ended:") }, "\(text)")
        let numbers = verdict.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        #expect(numbers.count == 4, "\(verdict)")
        guard numbers.count == 4 else { return }
        let (ended, met, missed, agreed) = (numbers[0], numbers[1], numbers[2], numbers[3])
        #expect(ended == 8 && agreed == ended, "\(verdict)")
        #expect(met > 0 && missed >= 1, "both verdicts occur: \(verdict)")
    }
}

/// One scheduler per SQLite store, one per replica name on PostgreSQL (issue #17): a second `bursar scheduler run`
/// on the same store (or under the same name) is refused with exit 2 while the first runs, and starts once it is gone.
@Suite("one scheduler per store", .serialized)
struct SchedulerClaimTests {
    let cli = ValidateCommandTests()

    @Test(arguments: Backend.available)
    func aSecondSchedulerOnTheSameStoreIsRefused(backend: Backend) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-claim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try storeArgument(backend, in: folder)
        let pipelines = folder.appendingPathComponent("Pipelines")
        try FileManager.default.createDirectory(at: pipelines, withIntermediateDirectories: true)
        let arguments = ["scheduler", "run", "--pipelines", pipelines.path, "--store", store, "--token", "unused",
                         "--server", "http://127.0.0.1:9", "--clusters", folder.appendingPathComponent("none.yaml").path]
        let first = Process()
        first.executableURL = ValidateCommandTests.binary
        first.arguments = arguments + ["--interval", "0.2"]
        let log = folder.appendingPathComponent("first.out")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        first.standardOutput = try FileHandle(forWritingTo: log)
        first.standardError = FileHandle.nullDevice
        try first.run()
        // SIGKILL: a process started from a test worker thread may inherit blocked signals (SIGTERM among them).
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        // Its first line comes after it claimed the store ("loaded 0 workflows …").
        var seen = ""
        let deadline = Date().addingTimeInterval(30)
        while !seen.contains("scheduler: loaded"), Date() < deadline, first.isRunning {
            Thread.sleep(forTimeInterval: 0.1)
            seen = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        }
        #expect(seen.contains("scheduler: loaded"), "\(seen)")

        let second = try cli.run(arguments + ["--once"])
        #expect(second.status == 2, "\(second.stdout) \(second.stderr)")
        switch backend {
        case .sqlite:
            #expect(second.stderr.contains("another bursar scheduler runs on"), "\(second.stderr)")
        case .postgres:
            // On PostgreSQL replicas share the store, each under its own name: the name is what is taken.
            #expect(second.stderr.contains("a bursar scheduler replica named scheduler already runs"), "\(second.stderr)")
            let other = try cli.run(arguments + ["--once", "--replica", "b"])
            #expect(other.status == 0, "a replica with another name starts: \(other.stderr)")
        }

        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let after = try cli.run(arguments + ["--once"])
        #expect(after.status == 0, "\(after.stderr)")
    }
}

/// A fresh store of `backend` as `--store` takes it.
func storeArgument(_ backend: Backend, in folder: URL) throws -> String {
    switch try backend.freshLocation(in: folder) {
    case .sqlite(let path): return "sqlite:" + path
    case .postgres(let url): return url
    }
}
