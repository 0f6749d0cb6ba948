import Allocation
import ArgumentParser
import Foundation
import InsightStore
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
        then tier 2 and tier 3 shares in proportion to demand, within max_change_fraction of last night's \
        plan (read from --out). GLPK solves every model; see Solver/README.md.

        Writes, only when everything succeeded and every configuration passed the validator: \
        DIR/<cluster>/queues.yaml and configmap.yaml, the routing table in the store, and the report \
        (report.txt, report.md, report.json) in --report-dir. --dry-run writes nothing.

        Exit codes: 0 ok, 1 usage, 2 an input file is unreadable or invalid, 5 the model is infeasible \
        (the conflicting constraints are named; nothing is written).
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

    @Option(help: "Folder of the per-cluster queue configurations: last night's are read from it, tonight's written to it.")
    var out = "Queues"

    @Option(help: "Folder for report.txt, report.md and report.json.")
    var reportDir = ".bursar/allocation"

    @Flag(help: "Plan and report, but write nothing (no files, no routing table).")
    var dryRun = false
}

/// The allocation run shared by `allocate` and `nightly`: read inputs, plan, validate, write atomically.
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
        var reports: Reports
        /// The files written (empty on a dry run).
        var written: [String]
        /// Files whose content changed from what was there.
        var changed: [String]
    }

    func run(store: InsightStore) throws -> Outcome {
        let clusters: [Cluster]
        let policy: AllocationPolicy
        do {
            clusters = try ClusterRegistry.parse(try Self.read(files.clusters), file: files.clusters)
            policy = try AllocationPolicy.parse(try Self.read(files.policy), file: files.policy)
        } catch {
            printError("bursar: \(error)")
            throw ExitCode(2)
        }

        // Last night's plan: the configurations this job wrote (or people wrote) under --out.
        var previousConfigs: [(cluster: String, config: SchedulerConfig)] = []
        for cluster in clusters {
            let path = "\(files.out)/\(cluster.name)/queues.yaml"
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            if let config = StrictDecoder.decode(text).config { previousConfigs.append((cluster.name, config)) }
            else { printError("bursar: warning: \(path) cannot be read as a queue configuration; its queues count as new") }
        }
        let previous = PreviousPlan.from(configs: previousConfigs)

        let hourMillis: Int64 = 3_600_000
        let windowEnd = (try store.newestQueueHour()).map { $0 + hourMillis }
            ?? Int64(Date().timeIntervalSince1970 * 1000) / hourMillis * hourMillis
        let windowStart = windowEnd - Int64(policy.windowDays) * 24 * hourMillis
        let hours = try store.queueHours(from: windowStart, to: windowEnd).map {
            UsageHour(cluster: $0.cluster, queue: $0.queue, hour: $0.hour, usage: $0.usage, appMillis: $0.appMillis)
        }
        let resources = ResourceUnits.sorted(clusters.flatMap(\.capacity.keys))
        let (demands, ignored) = DemandEstimator.estimate(hours: hours, windowEnd: windowEnd, policy: policy,
                                                          previous: previous, resources: resources)

        if let exportDirectory {
            try FileManager.default.createDirectory(atPath: exportDirectory, withIntermediateDirectories: true)
        }
        let plan: AllocationPlan
        let outputs: [ClusterOutput]
        do {
            plan = try Planner.plan(clusters: clusters, policy: policy, demands: demands, previous: previous,
                                    ignoredQueues: ignored, windowStart: windowStart, windowEnd: windowEnd,
                                    exportDirectory: exportDirectory)
            outputs = try ConfigBuilder.outputs(for: plan)
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
        }
        let reports = Reports(text: AllocationReport.text(plan), markdown: AllocationReport.markdown(plan),
                              json: AllocationReport.json(plan))
        if let exportDirectory {
            try AllocationReport.modelsManifest(plan).write(toFile: "\(exportDirectory)/models.json", atomically: true, encoding: .utf8)
            try AllocationCase(plan: plan).mathProgData().write(toFile: "\(exportDirectory)/allocation.dat", atomically: true, encoding: .utf8)
        }
        guard !files.dryRun else { return Outcome(plan: plan, reports: reports, written: [], changed: []) }

        var contents: [(path: String, text: String)] = []
        for output in outputs {
            contents.append(("\(files.out)/\(output.cluster)/queues.yaml", output.queuesYAML))
            contents.append(("\(files.out)/\(output.cluster)/configmap.yaml", output.configMapYAML))
        }
        contents.append(("\(files.reportDir)/report.txt", reports.text))
        contents.append(("\(files.reportDir)/report.md", reports.markdown))
        contents.append(("\(files.reportDir)/report.json", reports.json))
        let changed = contents.filter { (try? String(contentsOfFile: $0.path, encoding: .utf8)) != $0.text }.map(\.path)
        let routing = plan.queues.map {
            RoutingEntry(project: $0.queue.project, tier: $0.queue.tier, org: $0.queue.org, cluster: $0.cluster, queue: $0.queue.path)
        }
        try AtomicFiles.write(contents) {
            try store.replaceRouting(routing, plannedAt: Int64(Date().timeIntervalSince1970 * 1000))
        }
        return Outcome(plan: plan, reports: reports, written: contents.map(\.path), changed: changed)
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

/// Writes a set of files all or nothing: every file goes to a temporary sibling first; only when all of them
/// (and `commit`, e.g. the store transaction) succeeded are they renamed over the originals.
enum AtomicFiles {
    static func write(_ files: [(path: String, text: String)], commit: () throws -> Void) throws {
        let manager = FileManager.default
        var temporaries: [(temporary: String, path: String)] = []
        func cleanUp() { for entry in temporaries { try? manager.removeItem(atPath: entry.temporary) } }
        do {
            for file in files {
                let directory = (file.path as NSString).deletingLastPathComponent
                if !directory.isEmpty { try manager.createDirectory(atPath: directory, withIntermediateDirectories: true) }
                let temporary = "\(directory.isEmpty ? "." : directory)/.\((file.path as NSString).lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp"
                try Data(file.text.utf8).write(to: URL(fileURLWithPath: temporary))
                temporaries.append((temporary, file.path))
            }
            try commit()
        } catch {
            cleanUp()
            throw error
        }
        // rename(2) replaces each file atomically; readers see the old or the new file, never half of one.
        for entry in temporaries where rename(entry.temporary, entry.path) != 0 {
            let reason = String(cString: strerror(errno))
            cleanUp()
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot rename \(entry.temporary) to \(entry.path): \(reason)"])
        }
    }
}
