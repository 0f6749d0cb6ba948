import ArgumentParser
import Foundation
import InsightStore
import Scheduling
import Synth
import Timestamps
import Workflows

/// `bursar bench scheduler-setup`: the scheduler benchmark's input, Spinner's stress shape due at one minute.
struct BenchSchedulerSetup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler-setup",
        abstract: "Write --workflows definitions of --jobs jobs (chains and fan-outs up to 10 wide), all due at --at, and their mappings."
    )

    @Option(help: "How many workflows.") var workflows = 3_000
    @Option(help: "Jobs per workflow.") var jobs = 200
    @Option(help: "The tick every workflow is due at: a UTC time YYYY-MM-DDTHH:MM (its hour and minute are the schedule).") var at: String
    @Option(help: "Folder to write Pipelines/ and mappings/ into.") var out: String

    func run() throws {
        guard let tick = Timestamp.parse(at + ":00Z", allowingDate: false) else { throw ValidationError("--at is YYYY-MM-DDTHH:MM (UTC)") }
        let minuteOfDay = Int((tick / 60_000) % 1440)
        let files = SyntheticPipelines.files(workflows: workflows, jobs: jobs, minute: minuteOfDay % 60, hour: minuteOfDay / 60,
                                             catchupDays: 0, startDate: Timestamp.formatDate(tick))
        let bytes = try SyntheticPipelines.write(files, to: out)
        print("input: \(files.count) workflows × \(jobs) jobs = \(files.count * jobs) jobs, \(bytes) bytes of YAML, all due at \(Timestamp.format(tick))")
    }
}

/// `bursar bench scheduler-figures`: the scheduler's figures, read back from the times its store holds.
struct BenchSchedulerFigures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler-figures",
        abstract: "Print TSD1, TSD2 and dispatch delay percentiles and the dispatch rate of runs scheduled since --since."
    )

    @Option(help: "Runs scheduled at or after this UTC time, YYYY-MM-DDTHH:MM.") var since: String
    @Option(help: "When the scheduler was restarted (epoch ms): print the time from it to the first dispatch after it.") var restartAt: Int64?
    @OptionGroup var storeOption: StoreOption

    func run() throws {
        guard let start = Timestamp.parse(since + ":00Z", allowingDate: false) else { throw ValidationError("--since is YYYY-MM-DDTHH:MM (UTC)") }
        let store = try storeOption.open()
        let figures = try store.schedulerFigures(since: start, asOf: Int64(Date().timeIntervalSince1970 * 1000))
        // Each version's tier, from the definition the store keeps.
        var tiers: [String: Int] = [:]
        var workflows: [String: Workflow] = [:]
        for digest in Set(figures.scheduleDelays.map(\.digest)) {
            guard let stored = try store.workflowDefinition(digest: digest),
                  let workflow = WorkflowReader.read(stored.definition, file: stored.file).workflow else { continue }
            tiers[digest] = workflow.tier
            workflows[digest] = workflow
        }
        func line(_ name: String, _ samples: [SchedulerFigures.Sample]) {
            print(DelayPercentiles(samples).line(name))
            for tier in Set(tiers.values).sorted() where tiers.count > 1 {
                print("  " + DelayPercentiles(samples.filter { tiers[$0.digest] == tier }).line("tier \(tier)"))
            }
        }
        print("runs: \(figures.runs); jobs by state: " + figures.jobStates.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        line("TSD1 (tick → run created)", figures.scheduleDelays)
        line("TSD2 (tick → the run's first job running on the cluster)", figures.firstJobDelays)
        print(Self.startBound(runs: figures.scheduleDelays.compactMap { workflows[$0.digest] }))
        line("job dispatch delay (dispatchable → accepted by the router)", figures.dispatchDelays)
        let submissions = figures.submissions.sorted()
        if let restartAt {
            if let first = submissions.first(where: { $0 >= restartAt }) {
                print(String(format: "restart → first dispatch: %.3f s (%d dispatches since the restart)", Double(first - restartAt) / 1000,
                             submissions.filter { $0 >= restartAt }.count))
            } else {
                print("restart → first dispatch: none yet")
            }
        }
        if let first = submissions.first, let last = submissions.last, last > first {
            // Sustained rate: over each full 10-second window between the first and the last submission.
            var buckets: [Int64: Int] = [:]
            for time in submissions { buckets[(time - first) / 10_000, default: 0] += 1 }
            let full = buckets.filter { $0.key < (last - first) / 10_000 }.values.map { Double($0) / 10 }.sorted()
            print(String(format: "dispatches: %d over %.1f s = %.0f/s on average", submissions.count, Double(last - first) / 1000,
                         Double(submissions.count) / (Double(last - first) / 1000))
                  + (full.isEmpty ? "" : String(format: "; per 10 s window: median %.0f/s, min %.0f/s, max %.0f/s", full[full.count / 2], full.first!, full.last!)))
        }
    }
}

extension BenchSchedulerFigures {
    /// What TSD2 asks of the dispatch rate in this shape, whatever the scheduler does: every run's root jobs are
    /// ready at the tick, and in dispatch order (tier 1 first, then the nearest deadline, runs with one deadline
    /// taking turns) the run at the 95th percentile starts only after this many dispatches.
    static func startBound(runs: [Workflow]) -> String {
        var ready: [DispatchOrder.Candidate] = []
        var byTier: [Int: Int] = [:]
        for (index, workflow) in runs.enumerated() {
            for job in workflow.jobs where job.dependsOn.isEmpty {
                ready.append(.init(runID: "\(index)", job: job.name, tier: workflow.tier, isBackfill: false,
                                   deadline: Int64(workflow.sloMinutes) * 60_000, scheduledAt: 0, position: job.position, queue: ""))
                byTier[workflow.tier, default: 0] += 1
            }
        }
        let ranks = DispatchOrder.firstJobRanks(ready)
        guard !ranks.isEmpty else { return "ready at the tick: none" }
        let p95 = ranks[DelayPercentiles.nearestRank(0.95, of: ranks.count)]
        return "ready at the tick: \(ready.count) jobs (" + byTier.sorted { $0.key < $1.key }.map { "tier \($0.key): \($0.value)" }.joined(separator: ", ")
            + "); in dispatch order the 95th-percentile run's first job is dispatch \(p95), so TSD2 p95 < 2 s needs the router and the cluster to take at least \(p95 / 2) dispatches/s from the tick on"
    }
}

/// Percentiles of delays some of which are still running (censored: their wait so far). A censored sample's true
/// value is at least its wait so far, so each percentile computed with those waits is a lower bound; it is exact
/// when no censored sample sorts at or before it, and printed as "≥" otherwise.
struct DelayPercentiles {
    let sorted: [SchedulerFigures.Sample]

    init(_ samples: [SchedulerFigures.Sample]) {
        sorted = samples.sorted { ($0.millis, $0.censored ? 1 : 0) < ($1.millis, $1.censored ? 1 : 0) }
    }

    /// The q-quantile (nearest rank) in seconds, and whether it is only a lower bound.
    func at(_ q: Double) -> (seconds: Double, lowerBound: Bool) {
        let rank = Self.nearestRank(q, of: sorted.count)
        return (Double(sorted[rank].millis) / 1000, sorted[...rank].contains { $0.censored })
    }

    /// The index of the q-quantile among `count` sorted values (nearest rank).
    static func nearestRank(_ q: Double, of count: Int) -> Int {
        min(count - 1, max(0, Int((Double(count) * q).rounded(.up)) - 1))
    }

    func line(_ name: String) -> String {
        guard !sorted.isEmpty else { return "\(name): none" }
        func text(_ q: Double) -> String {
            let value = at(q)
            return (value.lowerBound ? "≥ " : "") + String(format: "%.3f s", value.seconds)
        }
        let waiting = sorted.filter(\.censored).count
        return "\(name): p50 \(text(0.5)), p95 \(text(0.95)), p99 \(text(0.99)), max \(text(1)) (n = \(sorted.count)"
            + (waiting > 0 ? ", \(waiting) still waiting, counted at their wait so far)" : ")")
    }
}
