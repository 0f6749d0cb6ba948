import Foundation
import Diagnostics
import Parallel
import Timestamps
internal import Crypto
public import InsightStore
public import Workflows
public import Scheduling

/// Sends one job attempt on its way: a Spark job through the router, or a built-in step.
public protocol JobDispatcher: Sendable {
    /// Submits the attempt; the same `idempotencyKey` is used again for the same attempt after a crash, so
    /// the router answers the second time with the first time's record and nothing runs twice.
    func dispatch(_ attempt: DispatchAttempt) throws -> DispatchReceipt
}

/// One attempt of one job, as the dispatcher receives it.
public struct DispatchAttempt: Sendable {
    public var identity: SparkSpec.Identity
    public var action: Job.Action
    /// The definition's file (spark files are read beside it).
    public var definitionFile: String
    public var attempt: Int
    /// `<run-id>/<job>/<attempt>`.
    public var idempotencyKey: String
}

/// Why an attempt did not go out. `retryable`: trying again later may work (the router is down, a 5xx), so the
/// job stays ready for the next pass; otherwise (the router refused the spec, its file is unreadable) sending it
/// again cannot help, and the attempt ends failed with this reason, its retries following the job's policy.
public struct DispatchRefusal: Error, CustomStringConvertible {
    public var description: String
    public var retryable: Bool

    public init(description: String, retryable: Bool) {
        self.description = description
        self.retryable = retryable
    }
}

/// What the dispatcher learned: the application id and where it went.
public struct DispatchReceipt: Sendable, Equatable {
    public var appID: String
    public var cluster: String
    public var namespace: String?
    public init(appID: String, cluster: String, namespace: String? = nil) {
        self.appID = appID
        self.cluster = cluster
        self.namespace = namespace
    }
}

/// Stops a job attempt's application on its cluster (a timed-out attempt is deleted there, so it neither
/// runs on nor holds its queue's resources).
public protocol AppCanceller: Sendable {
    /// Deletes the application; succeeds when it is already gone.
    func cancel(cluster: String, namespace: String?, appID: String) throws
}

/// A canceller for a scheduler with no cluster access (a timed-out attempt is then only marked).
public struct NoCanceller: AppCanceller {
    public init() {}
    public func cancel(cluster: String, namespace: String?, appID: String) throws {}
}

/// What one pass did, for the log and the metrics.
public struct PassReport: Sendable, Equatable {
    public var runsCreated = 0
    public var runsStarted = 0
    public var runsEnded = 0
    public var jobsReady = 0
    public var jobsDispatched = 0
    public var jobsHeld = 0
    public var deadlinesMissed = 0
    /// Cluster reports that moved a job (started, ended).
    public var reportsApplied = 0
    /// Jobs that ended in this pass, succeeded and failed (retries included).
    public var jobsSucceeded = 0
    public var jobsFailed = 0
    /// Timed-out applications that could not be deleted on their cluster.
    public var cancelFailures: [String] = []
    /// Queue time on the cluster of each job that started running (submitted → running, ms).
    public var queueTimes: [Int64] = []
    /// Runs not ended after the pass, by state (queued, running).
    public var runsActive: [String: Int] = [:]
    /// Runs that ended in the pass, by state.
    public var runsEndedByState: [String: Int] = [:]
    /// Deadlines missed in the pass, by tier.
    public var missesByTier: [Int: Int] = [:]
    /// Ready built-in steps (ingest, allocate…), which this scheduler does not run yet.
    public var builtinWaiting = 0
    public var dispatchFailures: [String] = []
    /// Schedule delay of each run created (tick → created, ms).
    public var scheduleDelays: [Int64] = []
    /// Dispatch delay of each job dispatched (ready → accepted, ms).
    public var dispatchDelays: [Int64] = []
    /// Workflow leases held after the pass's claim, acquired by it, and taken over from a dead replica by it.
    public var leasesHeld = 0
    public var leasesAcquired = 0
    public var takeovers = 0
    /// Attempts in flight of just-acquired runs looked up on the clusters.
    public var reportsLookedUp = 0
}

/// The definitions a scheduler runs, read and checked once per change of `Pipelines/` (not once per pass), with
/// each workflow's content digest.
public struct PipelineSnapshot: Sendable {
    public let catalog: PipelineCatalog
    /// Definition texts by file.
    public let texts: [String: String]
    /// Content digests by workflow name.
    public let digests: [String: String]

    public init(catalog: PipelineCatalog, sources: [PipelineSource]) {
        self.catalog = catalog
        let texts = Dictionary(sources.map { ($0.file, $0.text) }, uniquingKeysWith: { first, _ in first })
        self.texts = texts
        digests = Dictionary(catalog.workflows.map { ($0.name, SchedulerPass.digest(of: $0, text: texts[$0.file] ?? "")) },
                             uniquingKeysWith: { first, _ in first })
    }
}

/// One pass of the scheduler over the store at `now`: definitions recorded by version, due ticks turned into
/// runs (once each), queued runs started up to `max_active_runs`, jobs moved on (ready, upstream failed,
/// timed out), deadlines marked, and ready jobs dispatched in deadline-aware order within the limits.
/// Everything it decides is written before the next step reads it, so a crash between two steps loses nothing:
/// the next pass starts from what the store holds.
public struct SchedulerPass {
    public var store: InsightStore
    public let dispatcher: any JobDispatcher
    public var limits: DispatchOrder.Limits
    public let canceller: any AppCanceller
    /// How many dispatches are in progress at once (each waits on the router).
    public var dispatchWidth: Int
    /// The most attempts one pass dispatches, and how many go out between two writes.
    public var maxDispatchesPerPass = 2_000
    public var dispatchChunk = 256
    /// Whether ready built-in steps are dispatched (to a dispatcher that runs them); otherwise they wait, counted.
    public var runsBuiltinSteps = false
    /// The wall clock (epoch ms). An attempt's submission time is the pass's `now` plus the wall time from the
    /// pass's start to the router's acceptance, so the dispatch delay counts the time the pass and the dispatch
    /// took (decisions use `now`, which tests inject).
    public var clock: @Sendable () -> Int64 = { InsightStore.now() }

    public init(store: InsightStore, dispatcher: any JobDispatcher,
                limits: DispatchOrder.Limits = .init(global: 1_000, perQueue: 200, backfill: 50),
                canceller: any AppCanceller = NoCanceller(), dispatchWidth: Int = 8) {
        self.store = store
        self.dispatcher = dispatcher
        self.limits = limits
        self.canceller = canceller
        self.dispatchWidth = dispatchWidth
    }

    /// A definition's content digest: its text and the spark files it names, each with its path.
    public static func digest(_ source: PipelineSource, sparkFiles: [(path: String, text: String)]) -> String {
        var hash = SHA256()
        hash.update(data: Array(source.text.utf8))
        for file in sparkFiles.sorted(by: { $0.path < $1.path }) {
            hash.update(data: [0] + Array(file.path.utf8) + [0] + Array(file.text.utf8))
        }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The digest of a workflow read from `text`, with the spark files it names as they are now.
    public static func digest(of workflow: Workflow, text: String) -> String {
        var sparkFiles: [(path: String, text: String)] = []
        for job in workflow.jobs {
            if case .sparkFile(let path) = job.action, case .success(let read) = PipelineFiles.readSparkFile(definition: workflow.file, path: path) {
                sparkFiles.append((read.file, read.text))
            }
        }
        return digest(PipelineSource(file: workflow.file, text: text), sparkFiles: sparkFiles)
    }

    /// The run id of a tick: derived, so every pass and replica names a tick's run alike; a valid label value.
    public static func runID(workflow: String, kind: String, scheduledAt: Int64) -> String {
        let digest = SHA256.hash(data: Array("\(workflow)\u{0}\(kind)\u{0}\(scheduledAt)".utf8))
        return "r" + digest.prefix(12).map { String(format: "%02x", $0) }.joined()
    }

    /// The active runs' jobs kept between passes (the daemon's); nil reads every active run's jobs each pass.
    public var memory: RunMemory?

    /// The replica's workflow leases (the daemon's): each pass first claims its share, then creates runs, moves
    /// runs on and dispatches jobs only for the workflows it holds, writing under a fence on them. Nil: the
    /// pass works on every workflow (one scheduler, or a test).
    public var leases: ReplicaLeases?

    /// Where the applications of a just-acquired workflow's attempts in flight are looked up (the watches'
    /// latest word on each, or a fresh list): their changes may have gone by while another replica held them.
    public var appStatus: (any AppStatusSource)?

    /// One pass at `now`, applying first what the clusters reported since the last one. On an error the memory
    /// is dropped (the store is the truth; the next pass reads it again).
    public func run(_ definitions: PipelineSnapshot, now: Int64, reports clusterReports: ClusterReports = ClusterReports()) throws -> PassReport {
        do {
            return try pass(definitions, now: now, reports: clusterReports)
        } catch {
            memory?.reset()
            leases?.forget(lost: error is LeaseLost)
            throw error
        }
    }

    /// The active runs' jobs: from the memory, reading only runs it lacks, or all from the store.
    private func activeJobs(_ active: [RunRecord]) throws -> [String: [JobRecord]] {
        guard let memory else { return try store.jobsOfActiveRuns() }
        let mark = try store.operationsMark()
        if memory.mark != mark {
            memory.reset()
            memory.mark = mark
        }
        let ids = Set(active.map(\.runID))
        memory.records = memory.records.filter { ids.contains($0.key) }
        let missing = active.filter { memory.records[$0.runID] == nil }
        if missing.count > 64 {
            let all = try store.jobsOfActiveRuns()
            for run in missing { memory.records[run.runID] = all[run.runID] ?? [] }
        } else {
            for run in missing { memory.records[run.runID] = try store.jobs(ofRun: run.runID) }
        }
        return memory.records
    }

    private func pass(_ definitions: PipelineSnapshot, now: Int64, reports clusterReports: ClusterReports) throws -> PassReport {
        var report = PassReport()
        var laps = Trace.Laps()
        let passStarted = clock()
        let catalog = definitions.catalog
        let digests = definitions.digests
        let byName = Dictionary(catalog.workflows.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

        // 1. Versions.
        let known = try store.workflowVersions()
        for workflow in catalog.workflows {
            let text = definitions.texts[workflow.file] ?? ""
            let digest = digests[workflow.name] ?? ""
            if known[workflow.name]?.digest != digest {
                try store.recordWorkflowVersion(workflow: workflow.name, digest: digest, file: workflow.file, definition: text, at: now,
                                                jobs: workflow.jobs.map(\.name))
            }
        }
        let paused = Set(known.filter { $0.value.paused }.map(\.key))

        // Leases: this replica's share of the workflows; everything below touches only those.
        var claim: LeaseClaim?
        if let leases {
            claim = try leases.claim(store, workflows: catalog.workflows.map(\.name), now: now)
            report.leasesHeld = claim?.held.count ?? 0
            report.leasesAcquired = claim?.acquired.count ?? 0
            report.takeovers = claim?.takenOver.count ?? 0
        }
        let holds: (String) -> Bool = { workflow in claim.map { $0.held.contains(workflow) } ?? true }
        let fence: (Set<String>) -> LeaseFence? = { workflows in leases.map { LeaseFence(replica: $0.name, workflows: workflows) } }

        laps.lap("pass: versions")
        // 2. Due ticks become runs.
        let last = try store.lastScheduledTicks()
        var newRuns: [(run: RunRecord, jobs: [JobRecord])] = []
        for workflow in catalog.workflows where !paused.contains(workflow.name) && holds(workflow.name) {
            for tick in RunTicks.due(workflow, lastScheduled: last[workflow.name], now: now) {
                newRuns.append(Self.newRun(workflow, kind: "scheduled", scheduledAt: tick, digest: digests[workflow.name] ?? "", now: now))
            }
        }
        if !newRuns.isEmpty {
            let created = Set(try store.createRuns(newRuns, at: now))
            report.runsCreated = created.count
            report.scheduleDelays = newRuns.filter { created.contains($0.run.runID) }.map { now - $0.run.scheduledAt }
        }

        laps.lap("pass: runs created (\(report.runsCreated))")
        // 3. Runs move on; each run keeps the version it was created with.
        var pinned: [String: Workflow] = [:]
        func definition(of run: RunRecord) -> Workflow? {
            if let current = byName[run.workflow], digests[run.workflow] == run.digest { return current }
            if let cached = pinned[run.digest] { return cached }
            guard let stored = try? store.workflowDefinition(digest: run.digest),
                  let read = WorkflowReader.read(stored.definition, file: stored.file).workflow else { return nil }
            pinned[run.digest] = read
            return read
        }
        var runUpdates: [RunRecord] = []
        var jobUpdates: [JobRecord] = []
        var events: [SchedulerEvent] = []
        var candidates: [DispatchOrder.Candidate] = []
        var waitingJobs: [String: (workflow: Workflow, run: RunRecord, job: JobRecord)] = [:]
        var inFlight = DispatchOrder.InFlight()
        var reportsApplied = 0, succeededCount = 0, failedCount = 0
        var queueTimes: [Int64] = []
        let active = try store.activeRuns().filter { holds($0.workflow) }
        let acquired = Set(claim?.acquired ?? [])
        if !acquired.isEmpty {
            // Runs of a workflow held elsewhere until now are read afresh from the store.
            for run in active where acquired.contains(run.workflow) { memory?.records[run.runID] = nil }
        }
        var activeJobs = try activeJobs(active)
        laps.lap("pass: \(active.count) active runs and their jobs read")
        // Reports by app id, in the order they arrived; first, for the attempts in flight of runs just acquired,
        // the clusters' latest word on each (their changes went by while another replica held them).
        var reportsByApp: [String: [AppReport]] = [:]
        if !acquired.isEmpty, let appStatus {
            let inFlight = active.filter { acquired.contains($0.workflow) }.flatMap { activeJobs[$0.runID] ?? [] }.compactMap { record -> AppLocation? in
                guard record.state == JobState.submitted.rawValue || record.state == JobState.running.rawValue,
                      let appID = record.appID, let cluster = record.cluster else { return nil }
                return AppLocation(appID: appID, cluster: cluster)
            }
            if !inFlight.isEmpty {
                for report in appStatus.latest(inFlight) { reportsByApp[report.appID, default: []].append(report) }
                report.reportsLookedUp = inFlight.count
            }
        }
        for report in clusterReports.reports { reportsByApp[report.appID, default: []].append(report) }
        var cancellations: [(cluster: String, namespace: String?, appID: String, what: String)] = []
        var running = Dictionary(grouping: active.filter { $0.state == RunState.running.rawValue }, by: \.workflow).mapValues(\.count)
        var stateAfter: [String: String] = [:]
        for var run in active {
            stateAfter[run.runID] = run.state
            guard let workflow = definition(of: run) else { continue }
            if run.state == RunState.queued.rawValue {
                guard running[run.workflow, default: 0] < workflow.maxActiveRuns, !paused.contains(run.workflow) else { continue }
                running[run.workflow, default: 0] += 1
                run.state = RunState.running.rawValue
                stateAfter[run.runID] = run.state
                run.startedAt = now
                report.runsStarted += 1
                runUpdates.append(run)
                events.append(SchedulerEvent(at: now, runID: run.runID, kind: "started"))
            }
            var records = activeJobs.removeValue(forKey: run.runID) ?? []
            guard records.count == workflow.jobs.count else { continue }
            var instances = records.map { JobInstance(state: JobState(rawValue: $0.state) ?? .waiting, attempt: $0.attempt, notBefore: $0.notBefore,
                                                      submittedAt: $0.submittedAt, startedAt: $0.startedAt) }
            var changed = Set<Int>()
            // What the clusters said about this run's attempts in flight.
            if !reportsByApp.isEmpty {
                for index in records.indices where instances[index].state.isInFlight {
                    guard let appID = records[index].appID, let said = reportsByApp[appID] else { continue }
                    for report in said {
                        guard let effect = RunProgress.observe(report, job: workflow.jobs[index], instance: instances[index]) else { continue }
                        reportsApplied += 1
                        switch effect {
                        case .started(let at):
                            instances[index].state = .running
                            instances[index].startedAt = at
                            records[index].startedAt = at
                            queueTimes.append(max(0, at - records[index].submittedAt))
                            events.append(SchedulerEvent(at: now, runID: run.runID, job: records[index].job, kind: "running",
                                                         detail: "app \(appID) on \(records[index].cluster ?? "?")"))
                        case .ended(let next, let succeeded):
                            let retry = !succeeded && next.state == .ready
                            instances[index] = next
                            records[index].endedAt = next.state.isFinal ? report.at : 0
                            if !succeeded { records[index].reason = report.reason }
                            if retry { records[index].readyAt = next.notBefore }
                            if succeeded { succeededCount += 1 } else { failedCount += 1 }
                            events.append(SchedulerEvent(at: now, runID: run.runID, job: records[index].job,
                                                         kind: succeeded ? "succeeded" : (retry ? "retrying" : "failed"),
                                                         detail: "attempt \(records[index].attempt): app \(appID)"
                                                             + (succeeded ? "" : ": \(report.reason ?? "failed")")
                                                             + (retry ? "; attempt \(next.attempt) after \(Timestamp.format(next.notBefore))" : "")))
                        }
                        changed.insert(index)
                    }
                }
            }
            while true {
                let changes = RunProgress.changes(workflow, jobs: instances, now: now)
                if changes.isEmpty { break }
                for change in changes {
                    switch change {
                    case .becameReady(let job):
                        instances[job].state = .ready
                        records[job].readyAt = now
                        report.jobsReady += 1
                        changed.insert(job)
                        events.append(SchedulerEvent(at: now, runID: run.runID, job: records[job].job, kind: "ready"))
                    case .upstreamFailed(let job):
                        instances[job].state = .upstreamFailed
                        changed.insert(job)
                        events.append(SchedulerEvent(at: now, runID: run.runID, job: records[job].job, kind: "upstream_failed"))
                    case .timedOut(let job, let retry, let notBefore):
                        if let appID = records[job].appID, let cluster = records[job].cluster {
                            cancellations.append((cluster, records[job].namespace, appID, "\(run.runID)/\(records[job].job)"))
                        }
                        instances[job].state = retry ? .ready : .failed
                        if retry {
                            instances[job].attempt += 1
                            instances[job].notBefore = notBefore
                            records[job].readyAt = notBefore
                        }
                        records[job].reason = "timed out after \(workflow.jobs[job].timeoutSeconds) s"
                        changed.insert(job)
                        events.append(SchedulerEvent(at: now, runID: run.runID, job: records[job].job, kind: "timed_out",
                                                     detail: "app \(records[job].appID ?? "?") on \(records[job].cluster ?? "?"); \(retry ? "retrying" : "no attempts left")"))
                    }
                }
            }
            for job in changed {
                records[job].state = instances[job].state.rawValue
                records[job].attempt = instances[job].attempt
                records[job].notBefore = instances[job].notBefore
                if instances[job].state.isFinal, records[job].endedAt == 0 { records[job].endedAt = now }
                jobUpdates.append(records[job])
            }
            if !changed.isEmpty { memory?.records[run.runID] = records }
            if !run.missed, now > run.deadline, RunProgress.state(of: instances) != .succeeded {
                run.missed = true
                report.deadlinesMissed += 1
                report.missesByTier[workflow.tier, default: 0] += 1
                events.append(SchedulerEvent(at: now, runID: run.runID, kind: "deadline_missed", detail: "tier \(workflow.tier)"))
                runUpdates.append(run)
            }
            let state = RunProgress.state(of: instances)
            if state.isFinal {
                run.state = state.rawValue
                // The run's end is its last job's, as the cluster reported it (not when this pass noticed), and
                // it met its SLO only if it succeeded by the deadline: a run that failed for good delivered
                // nothing, so it missed (as the SLO report judges from the applications' summaries).
                let lastEnd = records.map(\.endedAt).max() ?? now
                run.endedAt = lastEnd > 0 ? lastEnd : now
                if !run.missed, state == .failed || run.endedAt! > run.deadline {
                    run.missed = true
                    report.deadlinesMissed += 1
                    report.missesByTier[workflow.tier, default: 0] += 1
                    events.append(SchedulerEvent(at: now, runID: run.runID, kind: "deadline_missed",
                                                 detail: "tier \(workflow.tier); " + (state == .failed ? "the run failed" : "ended \(Timestamp.format(run.endedAt!))")))
                }
                report.runsEnded += 1
                report.runsEndedByState[state.rawValue, default: 0] += 1
                stateAfter[run.runID] = state.rawValue
                running[run.workflow, default: 1] -= 1  // its slot is free for a queued run later in this pass
                runUpdates.append(run)
                events.append(SchedulerEvent(at: now, runID: run.runID, kind: state.rawValue))
                memory?.records[run.runID] = nil
                continue
            }
            let queue = "\(workflow.project).tier\(workflow.tier)"
            var runInFlight = 0
            let runCandidates = candidates.count
            for (index, instance) in instances.enumerated() {
                if instance.state.isInFlight {
                    runInFlight += 1
                    inFlight.total += 1
                    if run.kind == "backfill" { inFlight.backfill += 1 }
                    inFlight.byQueue[queue, default: 0] += 1
                } else if !runsBuiltinSteps, instance.state == .ready, case .bursar = workflow.jobs[index].action {
                    // A scheduler that does not run built-in steps (runsBuiltinSteps false) leaves them waiting, counted.
                    report.builtinWaiting += 1
                } else if instance.state == .ready, instance.notBefore <= now {
                    candidates.append(.init(runID: run.runID, job: records[index].job, tier: workflow.tier, isBackfill: run.kind == "backfill",
                                            deadline: run.deadline, scheduledAt: run.scheduledAt, position: index, queue: queue))
                    waitingJobs[run.runID + "/" + records[index].job] = (workflow, run, records[index])
                }
            }
            for candidate in runCandidates..<candidates.count { candidates[candidate].runInFlight = runInFlight }
        }
        laps.lap("pass: runs moved on")
        report.runsActive = ["queued": 0, "running": 0].merging(
            Dictionary(grouping: stateAfter.values.filter { $0 == "queued" || $0 == "running" }, by: { $0 }).mapValues(\.count)) { $1 }
        report.reportsApplied = reportsApplied
        report.jobsSucceeded = succeededCount
        report.jobsFailed = failedCount
        report.queueTimes = queueTimes
        // What the other replicas have in flight counts against the shared limits too.
        if let claim, claim.live > 1 {
            for other in try store.jobsInFlightOfOthers(replica: leases?.name ?? "") {
                guard let workflow = byName[other.workflow] else { continue }
                inFlight.total += other.count
                if other.kind == "backfill" { inFlight.backfill += other.count }
                inFlight.byQueue["\(workflow.project).tier\(workflow.tier)", default: 0] += other.count
            }
        }
        let workflowOfRun = Dictionary(active.map { ($0.runID, $0.workflow) }, uniquingKeysWith: { first, _ in first })
        // The watch positions go with the changes they caused: a crash before this line replays the reports.
        try store.applySchedulerChanges(runs: runUpdates, jobs: jobUpdates, events: events, watchPositions: clusterReports.positions, at: now,
                                        fence: fence(Set(runUpdates.map(\.workflow) + (jobUpdates.map(\.runID) + events.map(\.runID)).compactMap { workflowOfRun[$0] })))
        laps.lap("pass: \(runUpdates.count) runs, \(jobUpdates.count) jobs, \(events.count) events written")

        // Timed-out attempts are deleted on their clusters once their new state is stored (a crash before this
        // leaves them to run out; the store no longer waits on them either way).
        for cancel in cancellations {
            do { try canceller.cancel(cluster: cancel.cluster, namespace: cancel.namespace, appID: cancel.appID) } catch {
                report.cancelFailures.append("\(cancel.what): app \(cancel.appID) on \(cancel.cluster): \(error)")
            }
        }

        // 4. Dispatch: up to `dispatchWidth` attempts at once; those accepted are written together. A crash before
        // the write sends them again on restart with the same idempotency keys, and the router answers each with
        // its first record: nothing runs twice.
        let (selected, held) = DispatchOrder.select(candidates, limits: limits, inFlight: inFlight)
        // At most `maxDispatchesPerPass` go out in one pass (the rest next pass, first in the same order), so a
        // wave of ready jobs never keeps the clusters' reports waiting for long.
        let dispatch = selected.prefix(maxDispatchesPerPass)
        report.jobsHeld = held.count + (selected.count - dispatch.count)
        let attempts: [(record: JobRecord, attempt: DispatchAttempt, job: Job)] = dispatch.compactMap { candidate in
            guard let (workflow, run, record) = waitingJobs[candidate.runID + "/" + candidate.job] else { return nil }
            let job = workflow.jobs[record.position]
            let identity = SparkSpec.Identity(workflow: workflow.name, project: workflow.project, tier: workflow.tier, job: job.name,
                                              runID: run.runID, scheduledAt: run.scheduledAt, name: Self.applicationName(run: run.runID, job: job.name, attempt: record.attempt))
            return (record, DispatchAttempt(identity: identity, action: job.action, definitionFile: workflow.file, attempt: record.attempt,
                                            idempotencyKey: "\(run.runID)/\(job.name)/\(record.attempt)"), job)
        }
        let dispatcher = self.dispatcher, clock = self.clock
        // In chunks: each chunk's accepted attempts are written before the next chunk goes out.
        for chunkStart in stride(from: 0, to: attempts.count, by: dispatchChunk) {
            let chunk = Array(attempts[chunkStart..<min(attempts.count, chunkStart + dispatchChunk)])
            try dispatchAndRecord(chunk, dispatcher: dispatcher, clock: clock, now: now, passStarted: passStarted,
                                  fence: fence(Set(chunk.compactMap { workflowOfRun[$0.record.runID] })), report: &report)
        }
        laps.lap("pass: \(report.jobsDispatched) dispatched of \(attempts.count)")
        return report
    }

    /// Dispatches `attempts` up to `dispatchWidth` at once and writes the accepted ones together.
    private func dispatchAndRecord(_ attempts: [(record: JobRecord, attempt: DispatchAttempt, job: Job)], dispatcher: any JobDispatcher,
                                   clock: @escaping @Sendable () -> Int64, now: Int64, passStarted: Int64,
                                   fence: LeaseFence?, report: inout PassReport) throws {
        let outcomes = Concurrent.map(attempts.map(\.attempt), width: dispatchWidth) { attempt -> (Result<DispatchReceipt, DispatchRefusal>, Int64) in
            do {
                let receipt = try dispatcher.dispatch(attempt)
                return (.success(receipt), clock())
            } catch let refusal as DispatchRefusal {
                return (.failure(refusal), clock())
            } catch {
                return (.failure(DispatchRefusal(description: "\(error)", retryable: true)), clock())
            }
        }
        Failpoint.reach("scheduler-after-dispatch")
        var submitted: [JobRecord] = []
        var submittedEvents: [SchedulerEvent] = []
        for ((record, attempt, job), (outcome, acceptedAt)) in zip(attempts, outcomes) {
            switch outcome {
            case .success(let receipt):
                var updated = record
                updated.state = JobState.submitted.rawValue
                updated.submittedAt = now + max(0, acceptedAt - passStarted)
                updated.appID = receipt.appID
                updated.cluster = receipt.cluster
                updated.namespace = receipt.namespace
                submitted.append(updated)
                if let memory, memory.records[updated.runID]?.indices.contains(updated.position) == true {
                    memory.records[updated.runID]![updated.position] = updated
                }
                submittedEvents.append(SchedulerEvent(at: now, runID: record.runID, job: record.job, kind: "submitted",
                                                      detail: "attempt \(attempt.attempt): app \(receipt.appID) on \(receipt.cluster)"))
                report.dispatchDelays.append(updated.submittedAt - max(record.readyAt, record.notBefore))
            case .failure(let refusal):
                report.dispatchFailures.append("\(record.runID)/\(record.job): \(refusal.description)")
                guard !refusal.retryable else { continue }
                // Sent again it would be refused again: the attempt ends failed now, and the job's retries apply.
                let instance = JobInstance(state: .submitted, attempt: record.attempt, notBefore: record.notBefore)
                let next = RunProgress.ended(job, instance: instance, succeeded: false, at: now)
                var updated = record
                updated.state = next.state.rawValue
                updated.attempt = next.attempt
                updated.notBefore = next.notBefore
                updated.reason = "refused: " + refusal.description
                if next.state == .ready { updated.readyAt = next.notBefore } else { updated.endedAt = now }
                submitted.append(updated)
                if let memory, memory.records[updated.runID]?.indices.contains(updated.position) == true {
                    memory.records[updated.runID]![updated.position] = updated
                }
                report.jobsFailed += 1
                submittedEvents.append(SchedulerEvent(at: now, runID: record.runID, job: record.job,
                                                      kind: next.state == .ready ? "retrying" : "failed",
                                                      detail: "attempt \(attempt.attempt) refused: \(refusal.description)"))
            }
        }
        try store.applySchedulerChanges(runs: [], jobs: submitted, events: submittedEvents, fence: fence)
        appStatus?.replay(submitted.filter { $0.state == JobState.submitted.rawValue }.compactMap(\.appID))
        report.jobsDispatched += submitted.filter { $0.state == JobState.submitted.rawValue }.count
    }

    /// A new run of `workflow` for `scheduledAt` (queued, every job waiting), with the run id every replica
    /// derives alike. `kind` is scheduled, manual or backfill.
    public static func newRun(_ workflow: Workflow, kind: String, scheduledAt: Int64, digest: String, now: Int64) -> (run: RunRecord, jobs: [JobRecord]) {
        let id = runID(workflow: workflow.name, kind: kind, scheduledAt: scheduledAt)
        let run = RunRecord(runID: id, workflow: workflow.name, kind: kind, scheduledAt: scheduledAt,
                            deadline: scheduledAt + Int64(workflow.sloMinutes) * 60_000, digest: digest,
                            state: RunState.queued.rawValue, createdAt: now)
        return (run, workflow.jobs.enumerated().map {
            JobRecord(runID: id, job: $0.element.name, position: $0.offset, state: JobState.waiting.rawValue)
        })
    }

    /// The SparkApplication name of an attempt: short, unique per attempt, a DNS label.
    public static func applicationName(run: String, job: String, attempt: Int) -> String {
        let suffix = "-\(run.suffix(8))-\(attempt)"
        return String(job.prefix(63 - suffix.count)).trimmingCharacters(in: CharacterSet(charactersIn: "-")) + suffix
    }
}

/// The active runs' jobs as the last pass left them, kept by the daemon's pass so the next pass reads from the
/// store only the runs it has not seen (new, or cleared) and, when a change was made outside the passes (the
/// store's operations mark moved), everything again. One scheduler per store keeps one (issue #17 shares a store
/// between replicas under leases); a test's pass keeps none.
public final class RunMemory: @unchecked Sendable {
    // @unchecked: used by the one thread that runs the passes.
    var records: [String: [JobRecord]] = [:]
    var mark: Int64?

    public init() {}

    func reset() {
        records = [:]
        mark = nil
    }
}
