import Foundation
import Synchronization
import Testing
import TestSupport
import InsightStore
import Workflows
import Scheduling
@testable import Scheduler

/// A dispatcher that accepts everything and remembers what it was given, in order.
final class RecordingDispatcher: JobDispatcher {
    private let attempts = Mutex<[DispatchAttempt]>([])
    var dispatched: [DispatchAttempt] { attempts.withLock { $0 } }
    func dispatch(_ attempt: DispatchAttempt) throws -> DispatchReceipt {
        attempts.withLock { $0.append(attempt) }
        return DispatchReceipt(appID: "app-" + attempt.idempotencyKey.replacingOccurrences(of: "/", with: "-"), cluster: "sim-a")
    }
}

/// Epoch ms of a UTC `YYYY-MM-DDTHH:MM`.
func utc(_ text: String) -> Int64 {
    let formatter = ISO8601DateFormatter()
    return Int64(formatter.date(from: text + ":00Z")!.timeIntervalSince1970 * 1000)
}

func definition(_ name: String, tier: Int = 1, slo: Int = 60, maxActive: Int = 1, catchup: Int = 2, jobs: String? = nil) -> String {
    """
    workflow: \(name)
    project: p\(tier)
    tier: \(tier)
    schedule: "0 2 * * *"
    slo_minutes: \(slo)
    start_date: 2026-11-01
    catchup: {max_days: \(catchup)}
    max_active_runs: \(maxActive)
    defaults: {retries: 1, retry_delay: 1m, timeout: 30m, spark: {image: "spark:3.5.3", driver: {cores: 1, memory: 1g}, executor: {instances: 1, cores: 1, memory: 1g}}}
    jobs:

    """ + (jobs ?? "  - {name: extract, spark: {main: local:///ingest.py}}\n  - {name: load, depends_on: [extract], spark: {main: local:///allocate.py}}\n")
}

/// A canceller that remembers what it was asked to stop.
final class RecordingCanceller: AppCanceller {
    private let apps = Mutex<[String]>([])
    var cancelled: [String] { apps.withLock { $0 } }
    func cancel(cluster: String, namespace: String?, appID: String) throws {
        apps.withLock { $0.append("\(cluster)/\(namespace ?? "-")/\(appID)") }
    }
}

struct Harness {
    let store: InsightStore
    let dispatcher = RecordingDispatcher()
    let canceller = RecordingCanceller()
    var sources: [PipelineSource]
    /// Kept across passes when set, as the daemon keeps it.
    var memory: RunMemory? = nil

    func pass(at now: Int64, limits: DispatchOrder.Limits = .init(global: 100, perQueue: 100, backfill: 10),
              reports: ClusterReports = ClusterReports()) throws -> PassReport {
        let catalog = PipelineCheck.check(sources, context: PipelineContext(), readFile: { _, path in
            .failure(.init(file: path, line: 0, message: "no spark files here"))
        })
        #expect(catalog.errors == 0, "\(catalog.findings)")
        var pass = SchedulerPass(store: store, dispatcher: dispatcher, limits: limits, canceller: canceller)
        pass.memory = memory
        return try pass.run(PipelineSnapshot(catalog: catalog, sources: sources), now: now, reports: reports)
    }

    /// Marks a dispatched job's attempt ended, as the cluster watch will.
    func end(_ runID: String, _ job: String, succeeded: Bool, at time: Int64) throws {
        var record = try #require(try store.jobs(ofRun: runID).first { $0.job == job })
        record.state = succeeded ? JobState.succeeded.rawValue : JobState.failed.rawValue
        record.endedAt = time
        try store.applySchedulerChanges(runs: [], jobs: [record], events: [])
    }
}

@Suite("A scheduler pass over the store")
struct SchedulerPassTests {
    @Test(arguments: Backend.available)
    func ticksBecomeRunsOnceAndJobsGoOutInOrder(backend: Backend) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-sched-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let harness = Harness(store: try backend.freshStore(in: folder), sources: [PipelineSource(file: "w.yaml", text: definition("w"))])
        #expect(try harness.store.lastJobRuntimes().isEmpty, "no applications yet (and the query runs on this backend)")

        // First night on 2026-11-05 at 02:00:30: catch-up of 2 days gives the ticks of the 4th and the 5th; one
        // run active at a time (max_active_runs 1), the older first, and its deadline (the 4th, 03:00) has passed.
        let now = utc("2026-11-05T02:00") + 30_000
        let first = try harness.pass(at: now)
        #expect(first.runsCreated == 2)
        #expect(first.scheduleDelays.sorted() == [30_000, 86_430_000])
        #expect(first.runsStarted == 1)
        #expect(first.jobsDispatched == 1)
        let runs = try harness.store.activeRuns()
        #expect(runs.map(\.state) == ["running", "queued"])
        let started = runs[0]
        #expect(harness.dispatcher.dispatched.map(\.identity.job) == ["extract"])
        #expect(harness.dispatcher.dispatched[0].identity.runID == started.runID)
        #expect(harness.dispatcher.dispatched[0].idempotencyKey == "\(started.runID)/extract/1")

        // Again at once: no second run for a tick, nothing dispatched twice.
        let again = try harness.pass(at: now + 1_000)
        #expect(again.runsCreated == 0 && again.jobsDispatched == 0)
        #expect(try harness.store.activeRuns().count == 2)

        // extract ends: load becomes ready and goes out; then the run succeeds and the next one starts.
        try harness.end(started.runID, "extract", succeeded: true, at: now + 60_000)
        let next = try harness.pass(at: now + 61_000)
        #expect(next.jobsDispatched == 1)
        #expect(harness.dispatcher.dispatched.last?.identity.job == "load")
        try harness.end(started.runID, "load", succeeded: true, at: now + 120_000)
        let finish = try harness.pass(at: now + 121_000)
        #expect(finish.runsEnded == 1 && finish.runsStarted == 1)
        #expect(try harness.store.run(started.runID)?.state == "succeeded")
        let events = try harness.store.events(ofRun: started.runID).map { "\($0.kind)\($0.job.map { " " + $0 } ?? "")" }
        #expect(events == ["created", "started", "ready extract", "deadline_missed", "submitted extract", "ready load", "submitted load", "succeeded"])
        #expect(try harness.store.run(started.runID)?.missed == true)
        let second = try #require(try harness.store.activeRuns().first)
        #expect(second.state == "running" && !second.missed && second.scheduledAt == utc("2026-11-05T02:00"))
    }

    @Test(arguments: Backend.available)
    func eachRunKeepsTheVersionItStartedWith(backend: Backend) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-sched-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var harness = Harness(store: try backend.freshStore(in: folder), sources: [PipelineSource(file: "w.yaml", text: definition("w", catchup: 0))])
        _ = try harness.pass(at: utc("2026-11-05T02:00"))
        let old = try #require(try harness.store.activeRuns().first)
        // The file is edited: a third job. The running run keeps two jobs; the next night's run has three.
        harness.sources = [PipelineSource(file: "w.yaml", text: definition("w", catchup: 0, jobs:
            "  - {name: extract, spark: {main: local:///ingest.py}}\n  - {name: load, depends_on: [extract], spark: {main: local:///allocate.py}}\n  - {name: report, depends_on: [load], spark: {main: local:///slo-report.py}}\n"))]
        _ = try harness.pass(at: utc("2026-11-06T02:00"))
        let runs = try harness.store.runs(workflow: "w", limit: 10)
        #expect(runs.count == 2)
        #expect(runs[1].runID == old.runID && runs[1].digest == old.digest)
        #expect(runs[0].digest != old.digest)
        #expect(try harness.store.jobs(ofRun: old.runID).count == 2)
        #expect(try harness.store.jobs(ofRun: runs[0].runID).count == 3)
        #expect(try harness.store.workflowDefinition(digest: old.digest)?.definition.contains("report") == false)
    }

    @Test(arguments: Backend.available)
    func aReadyTier1JobGoesFirstAndAFailureIsRetriedAfterItsDelay(backend: Backend) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-sched-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sources = (0..<20).map { PipelineSource(file: "t3-\($0).yaml", text: definition("bulk-\($0)", tier: 3, catchup: 0)) }
            + [PipelineSource(file: "t1.yaml", text: definition("urgent", tier: 1, slo: 30, catchup: 0))]
        let harness = Harness(store: try backend.freshStore(in: folder), sources: sources)
        let now = utc("2026-11-05T02:00")
        // One slot: of 21 ready first jobs the tier-1 one goes.
        let report = try harness.pass(at: now, limits: .init(global: 1, perQueue: 10, backfill: 1))
        #expect(report.jobsDispatched == 1 && report.jobsHeld == 20)
        #expect(harness.dispatcher.dispatched.map(\.identity.workflow) == ["urgent"])
        let run = harness.dispatcher.dispatched[0].identity.runID
        // It fails: retried after retry_delay (1 minute), with the next attempt's key.
        var record = try #require(try harness.store.jobs(ofRun: run).first)
        let workflow = try #require(WorkflowReader.read(definition("urgent", tier: 1, slo: 30, catchup: 0), file: "t1.yaml").workflow)
        let next = RunProgress.ended(workflow.jobs[0], instance: JobInstance(state: .running, attempt: 1, submittedAt: now), succeeded: false, at: now + 5_000)
        record.state = next.state.rawValue
        record.attempt = next.attempt
        record.notBefore = next.notBefore
        try harness.store.applySchedulerChanges(runs: [], jobs: [record], events: [])
        #expect(try harness.pass(at: now + 6_000, limits: .init(global: 1, perQueue: 10, backfill: 1)).jobsDispatched == 1)
        #expect(harness.dispatcher.dispatched.last?.identity.workflow.hasPrefix("bulk-") == true)
        _ = try harness.pass(at: now + 65_000, limits: .init(global: 2, perQueue: 10, backfill: 1))
        #expect(harness.dispatcher.dispatched.last?.idempotencyKey == "\(run)/extract/2")
    }

    @Test(arguments: Backend.available)
    func aFailedRunIsClearedToRerunItsFailedJobsAndAJobCanBeMarkedSucceeded(backend: Backend) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-sched-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = definition("w", catchup: 0).replacingOccurrences(of: "retries: 1", with: "retries: 0")
        let harness = Harness(store: try backend.freshStore(in: folder), sources: [PipelineSource(file: "w.yaml", text: text)])
        let now = utc("2026-11-05T02:00")
        _ = try harness.pass(at: now)
        let run = try #require(harness.dispatcher.dispatched.first?.identity.runID)
        try harness.end(run, "extract", succeeded: false, at: now + 1_000)
        let failed = try harness.pass(at: now + 2_000)
        #expect(failed.runsEnded == 1)
        #expect(try harness.store.run(run)?.state == "failed")
        #expect(try harness.store.jobs(ofRun: run).map(\.state) == ["failed", "upstream_failed"])
        // Cleared: the failed job runs again as attempt 2, its dependent waits again.
        #expect(try harness.store.clearRun(run, at: now + 3_000))
        #expect(try !harness.store.clearRun(run, at: now + 3_000), "only a failed run is cleared")
        _ = try harness.pass(at: now + 4_000)
        #expect(harness.dispatcher.dispatched.last?.idempotencyKey == "\(run)/extract/2")
        // It fails again; marked succeeded by hand, its dependent goes out.
        try harness.end(run, "extract", succeeded: false, at: now + 5_000)
        _ = try harness.pass(at: now + 6_000)
        #expect(try harness.store.markJobSucceeded(run, job: "extract", at: now + 7_000))
        _ = try harness.pass(at: now + 8_000)
        #expect(harness.dispatcher.dispatched.last?.identity.job == "load")
        #expect(try harness.store.events(ofRun: run).map(\.kind).contains("marked_succeeded"))
    }

    /// The clusters' reports move jobs on (running, ended, retried), a replay changes nothing, the watch position is
    /// stored with the changes, and a timed-out attempt is deleted on its cluster.
    /// With and without the jobs kept in memory between passes (the daemon keeps them; the store must say the same).
    @Test(arguments: Backend.available, [false, true])
    func clusterReportsMoveJobsAndTimeoutsStopTheirApplications(backend: Backend, remembering: Bool) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-sched-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let harness = Harness(store: try backend.freshStore(in: folder), sources: [PipelineSource(file: "w.yaml", text: definition("w", catchup: 0))],
                              memory: remembering ? RunMemory() : nil)
        let now = utc("2026-11-05T02:00")
        _ = try harness.pass(at: now)
        let run = try #require(harness.dispatcher.dispatched.first?.identity.runID)
        let extract = "app-\(run)-extract-1"
        func reports(_ list: [AppReport], at version: String) -> ClusterReports {
            ClusterReports(reports: list, positions: ["sim-a": version])
        }

        let started = try harness.pass(at: now + 2_000, reports: reports([AppReport(appID: extract, phase: .running, at: now + 1_500)], at: "1005"))
        // Submitted at the pass's time plus the milliseconds the dispatch took; running 1.5 s after the pass.
        #expect(started.reportsApplied == 1 && started.queueTimes.count == 1 && (1_000...1_500).contains(started.queueTimes[0]))
        #expect(try harness.store.jobs(ofRun: run).map(\.state) == ["running", "waiting"])
        #expect(try harness.store.watchPositions() == ["sim-a": "1005"])
        // The same report again (a watch resumed from an older position) changes nothing.
        let replay = try harness.pass(at: now + 3_000, reports: reports([AppReport(appID: extract, phase: .running, at: now + 1_500)], at: "1005"))
        #expect(replay.reportsApplied == 0)

        // extract succeeds: load is ready and goes out in the same pass.
        let ended = try harness.pass(at: now + 60_000, reports: reports([AppReport(appID: extract, phase: .succeeded, at: now + 59_000)], at: "1010"))
        #expect(ended.jobsSucceeded == 1 && ended.jobsDispatched == 1)
        let jobs = try harness.store.jobs(ofRun: run)
        #expect(jobs[0].state == "succeeded" && jobs[0].endedAt == now + 59_000)
        #expect(jobs[1].state == "submitted" && jobs[1].appID == "app-\(run)-load-1")

        // load fails: retried after its delay as attempt 2; a late report about attempt 1 is ignored.
        let failed = try harness.pass(at: now + 70_000, reports: reports([AppReport(appID: "app-\(run)-load-1", phase: .failed, at: now + 69_000, reason: "driver OOMKilled")], at: "1020"))
        #expect(failed.jobsFailed == 1)
        let retrying = try #require(try harness.store.jobs(ofRun: run).last)
        #expect(retrying.state == "ready" && retrying.attempt == 2 && retrying.reason == "driver OOMKilled")
        _ = try harness.pass(at: now + 130_000)
        #expect(harness.dispatcher.dispatched.last?.idempotencyKey == "\(run)/load/2")
        let late = try harness.pass(at: now + 131_000, reports: reports([AppReport(appID: "app-\(run)-load-1", phase: .failed, at: now + 69_000)], at: "1021"))
        #expect(late.reportsApplied == 0)

        // Attempt 2 never reports: past the 30-minute timeout it fails (no attempts left) and is deleted on the cluster.
        let timedOut = try harness.pass(at: now + 130_000 + 31 * 60_000)
        #expect(timedOut.runsEnded == 1)
        #expect(harness.canceller.cancelled == ["sim-a/-/app-\(run)-load-2"])
        #expect(try harness.store.run(run)?.state == "failed")
        let kinds = try harness.store.events(ofRun: run).compactMap { $0.job == nil ? nil : "\($0.kind) \($0.job!)" }
        #expect(kinds == ["ready extract", "submitted extract", "running extract", "succeeded extract", "ready load", "submitted load",
                          "retrying load", "submitted load", "timed_out load", "upstream_failed report"].filter { !$0.hasSuffix("report") })

        // Changes made outside the passes are seen by the next one (a pass keeping jobs in memory reads again):
        // cleared, the failed job goes out as attempt 3; marked succeeded while in flight, the run succeeds.
        let later = now + 130_000 + 40 * 60_000
        #expect(try harness.store.clearRun(run, at: later))
        _ = try harness.pass(at: later + 1_000)
        #expect(harness.dispatcher.dispatched.last?.idempotencyKey == "\(run)/load/3")
        #expect(try harness.store.markJobSucceeded(run, job: "load", at: later + 2_000))
        _ = try harness.pass(at: later + 3_000)
        #expect(try harness.store.run(run)?.state == "succeeded")
    }

    @Test func readyBuiltInStepsWaitAndAreCounted() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-sched-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let harness = Harness(store: try Backend.sqlite.freshStore(in: folder), sources: [PipelineSource(file: "w.yaml", text:
            definition("w", catchup: 0, jobs: "  - {name: ingest, bursar: ingest}\n  - {name: plan, depends_on: [ingest], bursar: allocate}\n"))])
        let report = try harness.pass(at: utc("2026-11-05T02:00"))
        #expect(report.jobsReady == 1 && report.builtinWaiting == 1 && report.jobsDispatched == 0)
        #expect(harness.dispatcher.dispatched.isEmpty)
    }

    @Test func runIDsAndApplicationNamesAreStableLabelValues() {
        let id = SchedulerPass.runID(workflow: "w", kind: "scheduled", scheduledAt: 1)
        #expect(id == SchedulerPass.runID(workflow: "w", kind: "scheduled", scheduledAt: 1))
        #expect(id != SchedulerPass.runID(workflow: "w", kind: "backfill", scheduledAt: 1))
        #expect(id.count == 25 && WorkflowNames.isValid(id))
        let name = SchedulerPass.applicationName(run: id, job: String(repeating: "j", count: 63), attempt: 12)
        #expect(name.count <= 63 && WorkflowNames.isValid(name))
    }
}

@Suite("Definitions are read again only when a file changed")
struct PipelineFingerprintTests {
    @Test func theFingerprintChangesWithAFileAndOnlyThen() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-fp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("team"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("team/w.yaml")
        try definition("w").write(to: file, atomically: true, encoding: .utf8)
        let first = PipelineFiles.fingerprint(folder.path)
        #expect(first.count == 1)
        #expect(PipelineFiles.fingerprint(folder.path) == first)
        try (definition("w") + "# edited\n").write(to: file, atomically: true, encoding: .utf8)
        #expect(PipelineFiles.fingerprint(folder.path) != first)
        try definition("v").write(to: folder.appendingPathComponent("team/v.yaml"), atomically: true, encoding: .utf8)
        #expect(PipelineFiles.fingerprint(folder.path).count == 2)
    }
}

@Suite("The router's answer, read")
struct RouterAnswerTests {
    @Test func theEchoedManifestIsLeftUnparsed() throws {
        let body = Array(#"{"app_id":"a-1","decision":{"cluster":"moka-a","fallback_used":false,"namespace":"spark","queue":"root.p.q.tier1","reason":"say \",\"manifest\":\" here","source":"rule"},"state":"submitted","manifest":{"kind":"SparkApplication","metadata":{"name":"a-1"}}}"#.utf8) + [10]
        let head = RouterDispatcher.head(of: body)
        #expect(String(decoding: head, as: UTF8.self).hasSuffix(#""state":"submitted"}"#))
        let whole = Array(#"{"error":{"code":"forbidden","message":"no"}}"#.utf8)
        #expect(RouterDispatcher.head(of: whole) == whole)
    }
}

/// A dispatcher that refuses every attempt, as the router refuses a spec it cannot accept (or, `retryable`,
/// as an unreachable router fails).
final class RefusingDispatcher: JobDispatcher {
    let retryable: Bool
    private let count = Mutex(0)
    var attempts: Int { count.withLock { $0 } }
    init(retryable: Bool) { self.retryable = retryable }
    func dispatch(_ attempt: DispatchAttempt) throws -> DispatchReceipt {
        count.withLock { $0 += 1 }
        throw DispatchRefusal(description: "the router answered 400: spec.image is missing", retryable: retryable)
    }
}

@Suite("A refused dispatch")
struct RefusedDispatchTests {
    func pass(_ store: InsightStore, _ dispatcher: RefusingDispatcher, at now: Int64) throws -> PassReport {
        let sources = [PipelineSource(file: "w.yaml", text: definition("w", catchup: 0))]
        let catalog = PipelineCheck.check(sources, context: PipelineContext(), readFile: { _, path in
            .failure(.init(file: path, line: 0, message: "no spark files here"))
        })
        return try SchedulerPass(store: store, dispatcher: dispatcher).run(PipelineSnapshot(catalog: catalog, sources: sources), now: now)
    }

    /// Refused for good: the attempt ends failed at once, its one retry after retry_delay, then the run fails;
    /// it is not sent again every pass.
    @Test func aRefusalThatRetryingCannotFixEndsTheAttempt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-refused-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Backend.sqlite.freshStore(in: folder)
        let dispatcher = RefusingDispatcher(retryable: false)
        let now = utc("2026-11-05T02:00")
        _ = try pass(store, dispatcher, at: now)
        _ = try pass(store, dispatcher, at: now + 1_000)
        #expect(dispatcher.attempts == 1, "not sent again before the retry delay")
        let run = try #require(try store.activeRuns().first)
        let job = try #require(try store.jobs(ofRun: run.runID).first)
        #expect(job.state == "ready" && job.attempt == 2 && job.reason?.contains("spec.image is missing") == true)
        _ = try pass(store, dispatcher, at: now + 61_000)
        _ = try pass(store, dispatcher, at: now + 62_000)
        #expect(dispatcher.attempts == 2)
        #expect(try store.run(run.runID)?.state == "failed")
        #expect(try store.events(ofRun: run.runID).map(\.kind).contains("retrying"))
    }

    /// The router is down: the job stays ready and goes out again on the next pass.
    @Test func aRetryableRefusalIsSentAgainNextPass() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-refused-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Backend.sqlite.freshStore(in: folder)
        let dispatcher = RefusingDispatcher(retryable: true)
        let now = utc("2026-11-05T02:00")
        _ = try pass(store, dispatcher, at: now)
        _ = try pass(store, dispatcher, at: now + 1_000)
        #expect(dispatcher.attempts == 2)
        let run = try #require(try store.activeRuns().first)
        let job = try #require(try store.jobs(ofRun: run.runID).first)
        #expect(job.state == "ready" && job.attempt == 1)
    }
}
