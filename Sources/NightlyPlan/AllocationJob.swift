public import SafeFiles
public import Allocation
public import InsightStore
import Foundation
import Diagnostics
import Parallel
import Platform
import QueueConfig

/// What an allocation run reads and writes (the options of `bursar allocate` and `bursar nightly`).
public struct AllocationFiles: Sendable {
    /// The cluster registry.
    public var clusters: String
    /// The allocation policy.
    public var policy: String
    /// Folder of the per-cluster queue configurations.
    public var out: String
    /// Folder for report.txt, report.md and report.json.
    public var reportDir: String
    /// The night to plan for, a UTC date YYYY-MM-DD (nil: the date of the newest usage hour in the store).
    public var night: String?
    /// Plan as if there were no previous plan.
    public var ignorePrevious: Bool
    /// Plan and report, but write nothing.
    public var dryRun: Bool

    public init(clusters: String, policy: String, out: String, reportDir: String, night: String?, ignorePrevious: Bool, dryRun: Bool) {
        self.clusters = clusters
        self.policy = policy
        self.out = out
        self.reportDir = reportDir
        self.night = night
        self.ignorePrevious = ignorePrevious
        self.dryRun = dryRun
    }
}

/// A run that stopped: what went wrong was already given to the run's log, line by line; the exit code
/// says what kind of failure it was (2 an input, the previous plan or the writing; 3 an invalid generated
/// configuration; 5 infeasible; 1 no placement found in time).
public struct AllocationRunFailure: Error, Sendable {
    public var exitCode: Int32
}

/// The nightly allocation, shared by `bursar allocate`, `bursar nightly` and (later) the scheduler's built-in
/// step: read the inputs and last night's plan, plan, validate, write all or nothing. Lines for people go to
/// `log` (standard error in the CLI).
public struct AllocationJob: Sendable {
    public var files: AllocationFiles
    public var exportDirectory: String?
    public var log: @Sendable (String) -> Void

    public init(files: AllocationFiles, exportDirectory: String?, log: @escaping @Sendable (String) -> Void) {
        self.files = files
        self.exportDirectory = exportDirectory
        self.log = log
    }

    public struct Reports: Sendable {
        public var text: String
        public var markdown: String
        public var json: String
    }

    public struct Outcome: Sendable {
        public var plan: AllocationPlan
        public var context: PlanContext
        public var reports: Reports
        /// The files written (empty on a dry run).
        public var written: [String]
        /// Files whose content changed from what was there.
        public var changed: [String]
    }

    /// Locks `out` for the rest of the run (released when the value is dropped or the process ends) and
    /// finishes or undoes a plan an earlier run left half-written there. A dry run locks and recovers only when
    /// `out` exists, and creates nothing.
    public static func lockAndRecover(out: String, store: InsightStore, dryRun: Bool,
                                      log: @escaping @Sendable (String) -> Void) throws(AllocationRunFailure) -> FolderLock? {
        do {
            let lock = try FolderLock.acquire(out, create: !dryRun) {
                log("bursar: waiting for another bursar run writing \(out) to finish")
            }
            if lock != nil, let outcome = try PlanRecovery.recover(in: out, isCommitted: store.isPlanCommitted) {
                log("bursar: \(outcome.description)")
            }
            return lock
        } catch {
            log("bursar: \(error)")
            throw AllocationRunFailure(exitCode: 2)
        }
    }

    public func run(store: InsightStore) throws -> Outcome {
        var clock = Trace.Laps(sink: log)
        defer { clock.lap("rest") }
        let clusters: [Cluster]
        let policy: AllocationPolicy
        do {
            clusters = try ClusterRegistry.load(file: files.clusters)
            policy = try AllocationPolicy.load(file: files.policy)
        } catch {
            log("bursar: \(error)")
            throw AllocationRunFailure(exitCode: 2)
        }

        // The night: asked for, else the day of the newest usage hour (the day being ingested), else today.
        let night = try files.night.flatMap(PlanNight.init)
            ?? PlanNight(containing: try store.newestQueueHour() ?? Int64(Date().timeIntervalSince1970 * 1000))
        let choice: PreviousPlanChoice
        do {
            choice = try PreviousPlanSource.resolve(night: night, clusters: clusters.map(\.name), out: files.out,
                                                    store: store, ignore: files.ignorePrevious)
        } catch let error as PreviousPlanError {
            for problem in error.problems { log("bursar: \(problem)") }
            log("bursar: nothing was written")
            throw AllocationRunFailure(exitCode: 2)
        }
        for note in choice.notes { log("bursar: \(note)") }
        let previous = choice.plan
        clock.lap("inputs and previous plan")
        var context = PlanContext(night: night, previous: choice.previous)

        let (windowStart, windowEnd) = night.window(days: policy.windowDays)
        log("bursar: planning \(context.line(windowStart: windowStart, windowEnd: windowEnd))")
        let series = try store.queueHourSeries(from: windowStart, to: windowEnd).map {
            UsageSeries(cluster: $0.cluster, queue: $0.queue, hours: $0.hours, appMillis: $0.appMillis, usage: $0.usage)
        }
        clock.lap("queue hours read")
        let resources = ResourceUnits.sorted(clusters.flatMap(\.capacity.keys))
        let (demands, ignored) = DemandEstimator.estimate(series: series, windowEnd: windowEnd, policy: policy,
                                                          previous: previous, resources: resources)

        clock.lap("demand")
        if let exportDirectory {
            try FileManager.default.createDirectory(atPath: exportDirectory, withIntermediateDirectories: true)
        }
        let plan: AllocationPlan
        let outputs: [ClusterOutput]
        let reports: Reports
        do {
            plan = try Planner.plan(clusters: clusters, policy: policy, demands: demands, previous: previous,
                                    ignoredQueues: ignored, windowStart: windowStart, windowEnd: windowEnd,
                                    exportDirectory: exportDirectory)
            clock.lap("plan")
            if !files.dryRun {
                context.planID = UUID().uuidString.lowercased()
                context.plannedAt = Int64((Date().timeIntervalSince1970 * 1000).rounded())
            }
            // The configurations and the reports, side by side (each is parallel inside, unevenly).
            let planned = plan, reportContext = context
            let (built, rendered) = Concurrent.both({ Result { try ConfigBuilder.outputs(for: planned) } },
                                                    { Self.reports(planned, reportContext) })
            outputs = try built.get()
            reports = rendered
            clock.lap("configs emitted and validated, reports rendered")
        } catch let error as PlanError {
            switch error {
            case let .infeasible(lines):
                log("bursar: allocation is infeasible; nothing was written:")
                for line in lines { log("  \(line)") }
                throw AllocationRunFailure(exitCode: 5)
            case let .input(lines):
                for line in lines { log("bursar: \(line)") }
                throw AllocationRunFailure(exitCode: 2)
            case let .invalidConfig(lines):
                for line in lines { log("bursar: \(line)") }
                log("bursar: nothing was written (a generated configuration failed validation: please report this)")
                throw AllocationRunFailure(exitCode: 3)
            }
        } catch let error as PlacementNotFound {
            log("bursar: \(error); nothing was written")
            throw AllocationRunFailure(exitCode: 1)
        }
        if let exportDirectory {
            try AllocationReport.modelsManifest(plan).write(toFile: "\(exportDirectory)/models.json", atomically: true, encoding: .utf8)
            try AllocationCase(plan: plan).mathProgData().write(toFile: "\(exportDirectory)/allocation.dat", atomically: true, encoding: .utf8)
        }
        guard !files.dryRun, let planID = context.planID, let plannedAt = context.plannedAt else {
            return Outcome(plan: plan, context: context, reports: reports, written: [], changed: [])
        }

        var contents: [PlanOutputFile] = []
        for output in outputs {
            contents.append(PlanOutputFile(path: "\(files.out)/\(output.cluster)/queues.yaml", text: output.queuesYAML))
            contents.append(PlanOutputFile(path: "\(files.out)/\(output.cluster)/configmap.yaml", text: output.configMapYAML))
        }
        contents.append(PlanOutputFile(path: "\(files.reportDir)/report.txt", text: reports.text))
        contents.append(PlanOutputFile(path: "\(files.reportDir)/report.md", text: reports.markdown))
        contents.append(PlanOutputFile(path: "\(files.reportDir)/report.json", text: reports.json))
        let changed = contents.filter { (try? String(contentsOfFile: $0.path, encoding: .utf8)) != $0.text }.map(\.path)
        clock.lap("changed files compared")
        let routing = plan.queues.map {
            RoutingEntry(project: $0.queue.project, tier: $0.queue.tier, org: $0.queue.org, cluster: $0.cluster, queue: $0.queue.path)
        }
        let previousNight: String? = if case let .night(earlier) = choice.previous { earlier.description } else { nil }
        let archived = ArchivedPlan(night: night.description, planID: planID, plannedAt: plannedAt,
                                    windowStart: windowStart, windowEnd: windowEnd, previousSource: choice.previous.kind,
                                    previousNight: previousNight,
                                    configs: Dictionary(uniqueKeysWithValues: outputs.map { ($0.cluster, $0.queuesYAML) }),
                                    baseline: choice.baseline, bindings: Self.bindings(plan))
        do {
            let warnings = try PlanWriter.write(contents, journalDirectory: files.out, planID: archived.planID, night: archived.night,
                                                commit: {
                                                    try store.commitPlan(archived, routing: routing) {
                                                        Failpoint.reach("allocate-before-commit")
                                                    }
                                                },
                                                isCommitted: store.isPlanCommitted)
            for warning in warnings { log("bursar: warning: \(warning)") }
            clock.lap("written and committed")
        } catch {
            log("bursar: cannot write the plan for night \(night): \(error)")
            if !PlanRecovery.hasJournal(in: files.out) {
                log("bursar: nothing was changed (files, routing table and archive are as before)")
            }
            throw AllocationRunFailure(exitCode: 2)
        }
        return Outcome(plan: plan, context: context, reports: reports, written: contents.map(\.path), changed: changed)
    }

    /// The three renderings, in parallel (the JSON one alone is about 0.15 s at 6,000 queues).
    /// Per cluster, each queue's binding constraint per resource, as the archive keeps it: a line per queue and
    /// resource, `queue<TAB>resource<TAB>binding` (queue paths, resource names and bindings hold no tab or newline).
    static func bindings(_ plan: AllocationPlan) -> [String: String] {
        var byCluster: [String: String] = [:]
        for cluster in plan.clusters {
            var text = ""
            for queue in cluster.queues {
                for resource in queue.resources.keys.sorted() {
                    text += "\(queue.queue.path)\t\(resource)\t\(queue.resources[resource]!.binding.rawValue)\n"
                }
            }
            byCluster[cluster.cluster.name] = text
        }
        return byCluster
    }

    static func reports(_ plan: AllocationPlan, _ context: PlanContext) -> Reports {
        let texts = Concurrent.map([0, 1, 2]) { index in
            switch index {
            case 0: AllocationReport.text(plan, context: context)
            case 1: AllocationReport.markdown(plan, context: context)
            default: AllocationReport.json(plan, context: context)
            }
        }
        return Reports(text: texts[0], markdown: texts[1], json: texts[2])
    }
}

