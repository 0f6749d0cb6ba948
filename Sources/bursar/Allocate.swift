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

    @OptionGroup var options: AllocationOptions
    var files: AllocationFiles { options.files }

    @Option(name: .customLong("export-lp"), help: "Write every model GLPK solves (CPLEX LP; the placement also as MPS), models.json and allocation.dat into this folder.")
    var exportLP: String?

    @Option(help: "Report format on standard output.")
    var format: Format = .text

    @OptionGroup var store: StoreOption

    func run() throws {
        let insights = try store.open()
        let lock = try exitOnFailure { try AllocationJob.lockAndRecover(out: files.out, store: insights, dryRun: files.dryRun, log: printError) }
        defer { withExtendedLifetime(lock) {} }
        let outcome = try exitOnFailure { try AllocationJob(files: files, exportDirectory: exportLP, log: printError).run(store: insights) }
        switch format {
        case .text: print(outcome.reports.text, terminator: "")
        case .markdown: print(outcome.reports.markdown, terminator: "")
        case .json: print(outcome.reports.json, terminator: "")
        }
        if files.dryRun { printError("bursar: dry run: nothing written") }
    }
}

/// The file options `allocate` and `nightly` share.
struct AllocationOptions: ParsableArguments {
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

    var files: AllocationFiles {
        AllocationFiles(clusters: clusters, policy: policy, out: out, reportDir: reportDir, night: night,
                        ignorePrevious: ignorePrevious, dryRun: dryRun)
    }

    func validate() throws {
        if let night, PlanNight(night) == nil {
            throw ValidationError("--night \(night): expected a date YYYY-MM-DD (UTC), e.g. 2025-11-20")
        }
    }
}


/// Runs an allocation step, turning its failure (already logged) into the process's exit code.
func exitOnFailure<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let failure as AllocationRunFailure {
        throw ExitCode(failure.exitCode)
    }
}
