import Platform
import Parallel
import Allocation
import ArgumentParser
import Foundation
import InsightStore
import NightlyPlan
import QueueConfig

/// `bursar allocate`: the insight tables → queue plan, configurations, routing table and report.
struct AllocateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allocate",
        abstract: "Size every root.<org>.<project>.tier<N> queue and place each (project, tier) on one cluster.",
        discussion: """
        Demand is the tier's percentile (policy.yaml) of each queue's hourly usage over window_days, times \
        headroom. A placement MIP puts each (project, tier) on one cluster (labels, GPU capacity, pins, a \
        penalty for moving); per cluster and resource, small LPs give tier 1 its demand, tier 3 its floor, \
        then tier 2 and tier 3 shares in proportion to demand, within max_change_fraction of the previous \
        plan. GLPK solves every model; see Solver/README.md.

        A run plans for a night (--night, a UTC date; default the date of the newest usage hour in the store): \
        usage is read from the window_days before the end of that day, and the previous plan is the one \
        archived in the store for the newest earlier night. Before the archive has one, it is the baseline \
        DIR/<cluster>/queues.yaml, archived with the night so a rerun uses it again; a rerun of a night \
        with the same data writes the same files.

        Writes, only when everything succeeded and every configuration passed the validator, all or nothing \
        (a journal in DIR; an interrupted run is finished or undone by the next one): DIR/<cluster>/queues.yaml \
        and configmap.yaml, the report (report.txt, report.md, report.json) in --report-dir, and in the store \
        the routing table and the night's archived plan. --dry-run writes nothing.

        Exit codes: 0 ok, 1 usage or no placement found in time though one may exist, 2 an input file or the previous plan is unreadable or invalid, or the plan \
        could not be written (nothing changed), 5 the model is infeasible (the conflicting constraints are \
        named; nothing is written).
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, markdown, json
    }

    @OptionGroup var files: AllocationFiles

    @Option(name: .customLong("export-lp"), help: "Write every model GLPK solves (CPLEX LP; the placement also as MPS), models.json and allocation.dat into this folder.")
    var exportLP: String?

    @Option(help: "Report format on standard output.")
    var format: Format = .text

    @OptionGroup var store: StoreOption

    func run() throws {
        let insights = try store.open()
        let lock = try AllocationJob.lockAndRecover(out: files.out, store: insights, dryRun: files.dryRun)
        defer { withExtendedLifetime(lock) {} }
        let outcome = try AllocationJob(files: files, exportDirectory: exportLP).run(store: insights)
        switch format {
        case .text: print(outcome.reports.text, terminator: "")
        case .markdown: print(outcome.reports.markdown, terminator: "")
        case .json: print(outcome.reports.json, terminator: "")
        }
        if files.dryRun { printError("bursar: dry run: nothing written") }
    }
}

/// The file options `allocate` and `nightly` share.
struct AllocationFiles: ParsableArguments {
    @Option(help: "The cluster registry.")
    var clusters = "Queues/clusters.yaml"

    @Option(help: "The allocation policy.")
    var policy = "Queues/policy.yaml"

    @Option(help: "Folder of the per-cluster queue configurations: tonight's are written to it (and, before the store's archive has an earlier night, the previous plan is read from it).")
    var out = "Queues"

    @Option(help: "Folder for report.txt, report.md and report.json.")
    var reportDir = ".bursar/allocation"

    @Option(help: "The night to plan for, a UTC date YYYY-MM-DD (default: the date of the newest usage hour in the store).")
    var night: String?

    @Flag(help: "Plan as if there were no previous plan (no change limit, no moves, every queue new); the report says so.")
    var ignorePrevious = false

    @Flag(help: "Plan and report, but write nothing (no files, no routing table, no archive).")
    var dryRun = false

    func validate() throws {
        if let night, PlanNight(night) == nil {
            throw ValidationError("--night \(night): expected a date YYYY-MM-DD (UTC), e.g. 2025-11-20")
        }
    }
}

/// The allocation run shared by `allocate` and `nightly`: read inputs, plan, validate, write all or nothing.
struct AllocationJob {
    var files: AllocationFiles
    var exportDirectory: String?

    struct Reports {
        var text: String
        var markdown: String
        var json: String
    }

    struct Outcome {
        var plan: AllocationPlan
        var context: PlanContext
        var reports: Reports
        /// The files written (empty on a dry run).
        var written: [String]
        /// Files whose content changed from what was there.
        var changed: [String]
    }

    /// Locks `out` for the rest of the run (released when the value is dropped or the process ends) and
    /// finishes or undoes a plan an earlier run left half-written there. A dry run locks and recovers only when
    /// `out` exists, and creates nothing.
    static func lockAndRecover(out: String, store: InsightStore, dryRun: Bool) throws -> PlanLock? {
        do {
            let lock = try PlanLock.acquire(out, create: !dryRun) {
                printError("bursar: waiting for another bursar run writing \(out) to finish")
            }
            if lock != nil, let outcome = try PlanRecovery.recover(in: out, isCommitted: store.isPlanCommitted) {
                printError("bursar: \(outcome.description)")
            }
            return lock
        } catch {
            printError("bursar: \(error)")
            throw ExitCode(2)
        }
    }

    func run(store: InsightStore) throws -> Outcome {
        var clock = PhaseClock()
        defer { clock.lap("rest") }
        let clusters: [Cluster]
        let policy: AllocationPolicy
        do {
            clusters = try ClusterRegistry.parse(try Self.read(files.clusters), file: files.clusters)
            policy = try AllocationPolicy.parse(try Self.read(files.policy), file: files.policy)
        } catch {
            printError("bursar: \(error)")
            throw ExitCode(2)
        }

        // The night: asked for, else the day of the newest usage hour (the day being ingested), else today.
        let night = try files.night.flatMap(PlanNight.init)
            ?? PlanNight(containing: try store.newestQueueHour() ?? Int64(Date().timeIntervalSince1970 * 1000))
        let choice: PreviousPlanChoice
        do {
            choice = try PreviousPlanSource.resolve(night: night, clusters: clusters.map(\.name), out: files.out,
                                                    store: store, ignore: files.ignorePrevious)
        } catch let error as PreviousPlanError {
            for problem in error.problems { printError("bursar: \(problem)") }
            printError("bursar: nothing was written")
            throw ExitCode(2)
        }
        for note in choice.notes { printError("bursar: \(note)") }
        let previous = choice.plan
        clock.lap("inputs and previous plan")
        var context = PlanContext(night: night, previous: choice.previous)

        let (windowStart, windowEnd) = night.window(days: policy.windowDays)
        printError("bursar: planning \(context.line(windowStart: windowStart, windowEnd: windowEnd))")
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
                printError("bursar: allocation is infeasible; nothing was written:")
                for line in lines { printError("  \(line)") }
                throw ExitCode(5)
            case let .input(lines):
                for line in lines { printError("bursar: \(line)") }
                throw ExitCode(2)
            case let .invalidConfig(lines):
                for line in lines { printError("bursar: \(line)") }
                printError("bursar: nothing was written (a generated configuration failed validation: please report this)")
                throw ExitCode(3)
            }
        } catch let error as PlacementNotFound {
            printError("bursar: \(error); nothing was written")
            throw ExitCode(1)
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
                                    baseline: choice.baseline)
        do {
            let warnings = try PlanWriter.write(contents, journalDirectory: files.out, planID: archived.planID, night: archived.night,
                                                commit: {
                                                    try store.commitPlan(archived, routing: routing) {
                                                        Failpoint.reach("allocate-before-commit")
                                                    }
                                                },
                                                isCommitted: store.isPlanCommitted)
            for warning in warnings { printError("bursar: warning: \(warning)") }
            clock.lap("written and committed")
        } catch {
            printError("bursar: cannot write the plan for night \(night): \(error)")
            if !PlanRecovery.hasJournal(in: files.out) {
                printError("bursar: nothing was changed (files, routing table and archive are as before)")
            }
            throw ExitCode(2)
        }
        return Outcome(plan: plan, context: context, reports: reports, written: contents.map(\.path), changed: changed)
    }

    /// The three renderings, in parallel (the JSON one alone is about 0.15 s at 6,000 queues).
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

    static func read(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw InputError(problems: [InputProblem(file: path, line: 0, column: 0, field: "",
                                                     message: "cannot be read (\((error as NSError).localizedDescription)); check the path")])
        }
    }
}

/// Wall-clock phase timings of a run on standard error when BURSAR_TRACE is set.
struct PhaseClock {
    private let enabled = ProcessInfo.processInfo.environment["BURSAR_TRACE"] != nil
    private var last = ContinuousClock.now

    mutating func lap(_ phase: String) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let (seconds, attoseconds) = (now - last).components
        printError(String(format: "trace: %@: %.3f s", phase, Double(seconds) + Double(attoseconds) / 1e18))
        last = now
    }
}
