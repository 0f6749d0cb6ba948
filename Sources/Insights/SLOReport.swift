/// SLO attainment over a window of whole UTC days, computed from workflow runs (`bursar slo report`).
///
/// How runs are judged:
/// - A run counts when its `scheduledAt` falls inside the window; it belongs to that UTC day.
/// - `pending` runs are left out of every rate, day and verdict, and counted separately. `runs` always
///   means decided runs (met + missed). A run missed because its deadline passed with applications still
///   unfinished is a missed run like any other.
/// - A workflow-day is *decided* when the workflow has at least one decided run that day, and *met* when
///   every decided run of that day met its SLO: one late run out of two makes a missed day.
/// - A workflow *attains* when met days / decided days ≥ `Options.dayAttainmentThreshold` (0.9). Its
///   on-time rate is met runs / decided runs. A workflow whose runs in the window are all pending is listed,
///   with no rate and no verdict, and is not counted among any tier's workflows.
/// - A tier's share is attaining workflows / workflows with a decided run; the tier meets the goal when
///   that share ≥ `Options.goalShare` (0.9). The platform goal is stated for tier 1; every tier is reported.
/// - A workflow's name identifies it; its project, org, tier and SLO are those of its newest run in the
///   window, so a workflow re-mapped mid-window is reported once, under its current mapping.
///
/// Verdicts compare exact fractions; the renderers round figures for display only.
public struct SLOReport: Sendable, Equatable {
    /// Figures over every run in the window.
    public struct Totals: Sendable, Equatable {
        /// Decided runs (met + missed).
        public let runs: Int
        /// Decided runs that met their SLO.
        public let runsMet: Int
        /// Runs not decided yet, left out of every rate.
        public let pending: Int
        /// Workflows with at least one decided run.
        public let workflows: Int

        /// Met runs / decided runs; nil without decided runs.
        public var onTimeRate: Double? { SLOReport.fraction(runsMet, of: runs) }
    }

    /// One tier's attainment.
    public struct Tier: Sendable, Equatable {
        /// 1 (most critical) to 3.
        public let tier: Int
        /// Workflows of the tier with at least one decided run.
        public let workflows: Int
        /// Those of them that attain their SLO on enough of their days.
        public let workflowsAttaining: Int
        /// Decided runs of the tier's workflows.
        public let runs: Int
        /// Decided runs that met their SLO.
        public let runsMet: Int
        /// Runs not decided yet.
        public let pending: Int
        /// Whether `shareAttaining` reaches the goal share; nil when the tier has no decided workflow.
        public let goalMet: Bool?

        /// Attaining workflows / workflows; nil when the tier has no decided workflow.
        public var shareAttaining: Double? { SLOReport.fraction(workflowsAttaining, of: workflows) }
        /// Met runs / decided runs; nil without decided runs.
        public var onTimeRate: Double? { SLOReport.fraction(runsMet, of: runs) }
    }

    /// One workflow's attainment.
    public struct Workflow: Sendable, Equatable {
        /// The workflow's name, which identifies it.
        public let workflow: String
        /// Project, org, tier and SLO of the workflow's newest run in the window.
        public let project: String
        public let org: String
        public let tier: Int
        public let sloMinutes: Int
        /// Decided runs (met + missed).
        public let runs: Int
        /// Decided runs that met their SLO.
        public let runsMet: Int
        /// Runs not decided yet.
        public let pending: Int
        /// Missed runs whose applications had not all finished (the deadline passed while they ran); their
        /// lateness is not known yet, so they do not enter `worstLatenessMinutes`.
        public let missedUnfinished: Int
        /// Days with at least one decided run.
        public let days: Int
        /// Days on which every decided run met its SLO.
        public let daysMet: Int
        /// Whether `daysMet / days` reaches the threshold; nil when the workflow has no decided run.
        public let attains: Bool?
        /// The most minutes by which a finished, missed run overshot its deadline; nil when no missed run
        /// has finished.
        public let worstLatenessMinutes: Double?
        /// The median of `runtimeMinutes` (scheduled time to last finish) over the runs whose applications
        /// have all finished; nil when none has.
        public let medianRuntimeMinutes: Double?

        /// Decided runs that missed their SLO.
        public var runsMissed: Int { runs - runsMet }
        /// Met runs / decided runs; nil without decided runs.
        public var onTimeRate: Double? { SLOReport.fraction(runsMet, of: runs) }
        /// Met days / decided days; nil without decided days.
        public var dayAttainment: Double? { SLOReport.fraction(daysMet, of: days) }
    }

    /// The days covered.
    public let window: Window
    /// The thresholds judged by.
    public let options: Options
    /// Figures over every run in the window.
    public let totals: Totals
    /// Tiers 1, 2 and 3 always (zeros when empty), then any other tier the runs carry, ascending.
    public let tiers: [Tier]
    /// Every workflow with a run in the window, by tier, then name.
    public let workflows: [Workflow]
    /// At most `options.worstOffenderLimit` workflows with at least one missed run, lowest on-time rate first;
    /// ties go to the more critical tier, then to more missed runs, then by name.
    public let worstOffenders: [Workflow]

    /// Judges the runs that fall inside `window` (others are ignored, so callers may pass a superset).
    public init(runs: some Sequence<WorkflowRun>, window: Window, options: Options = .platformGoal) {
        var tally: [String: WorkflowTally] = [:]
        for run in runs where window.contains(run.scheduledAt) {
            tally[run.workflow, default: WorkflowTally(newest: run)].add(run)
        }
        let workflows = tally.values.map { $0.workflow(threshold: options.dayAttainmentThreshold) }
            .sorted { ($0.tier, $0.workflow) < ($1.tier, $1.workflow) }

        var tierNumbers = Set([1, 2, 3])
        for workflow in workflows { tierNumbers.insert(workflow.tier) }
        let tiers = tierNumbers.sorted().map { number -> Tier in
            let members = workflows.filter { $0.tier == number }
            let decided = members.filter { $0.runs > 0 }
            let attaining = decided.filter { $0.attains == true }.count
            return Tier(tier: number, workflows: decided.count, workflowsAttaining: attaining,
                        runs: members.reduce(0) { $0 + $1.runs }, runsMet: members.reduce(0) { $0 + $1.runsMet },
                        pending: members.reduce(0) { $0 + $1.pending },
                        goalMet: decided.isEmpty ? nil : Double(attaining) / Double(decided.count) >= options.goalShare)
        }

        let offenders = workflows.filter { $0.runsMissed > 0 }.sorted { a, b in
            // Exact comparison of met/runs (both runs > 0 here) so equal rates tie however they were reached.
            let left = a.runsMet * b.runs, right = b.runsMet * a.runs
            if left != right { return left < right }
            if a.tier != b.tier { return a.tier < b.tier }
            if a.runsMissed != b.runsMissed { return a.runsMissed > b.runsMissed }
            return a.workflow < b.workflow
        }

        self.window = window
        self.options = options
        self.workflows = workflows
        self.tiers = tiers
        self.worstOffenders = Array(offenders.prefix(options.worstOffenderLimit))
        self.totals = Totals(runs: workflows.reduce(0) { $0 + $1.runs },
                             runsMet: workflows.reduce(0) { $0 + $1.runsMet },
                             pending: workflows.reduce(0) { $0 + $1.pending },
                             workflows: workflows.filter { $0.runs > 0 }.count)
    }

    /// The tier the platform goal is stated for (`options.goalTier`).
    public var goalTier: Tier? { tiers.first { $0.tier == options.goalTier } }

    /// The newest `scheduledAt` among the runs: where the window ends when `--until` is not given.
    public static func newestScheduledAt(in runs: some Sequence<WorkflowRun>) -> Int64? {
        runs.lazy.map(\.scheduledAt).max()
    }

    static func fraction(_ part: Int, of whole: Int) -> Double? {
        whole > 0 ? Double(part) / Double(whole) : nil
    }
}

/// What one workflow's runs in the window add up to while they are read.
private struct WorkflowTally {
    /// The run whose mapping (project, org, tier, SLO) the workflow is reported under.
    var newest: WorkflowRun
    var runs = 0
    var runsMet = 0
    var pending = 0
    var missedUnfinished = 0
    var worstLatenessMillis: Int64?
    var runtimesMillis: [Int64] = []
    /// For each decided day: whether every decided run of the day met its SLO.
    var dayMet: [Int64: Bool] = [:]

    init(newest: WorkflowRun) { self.newest = newest }

    mutating func add(_ run: WorkflowRun) {
        if (run.scheduledAt, run.runID) > (newest.scheduledAt, newest.runID) { newest = run }
        let finished = run.finishedAt != nil && run.appsFinished >= run.appsExpected
        if finished, let finishedAt = run.finishedAt { runtimesMillis.append(finishedAt - run.scheduledAt) }
        let day = SLOReport.Window.day(containing: run.scheduledAt)
        switch run.outcome {
        case .pending:
            pending += 1
        case .met:
            runs += 1
            runsMet += 1
            dayMet[day] = dayMet[day] ?? true
        case .missed:
            runs += 1
            dayMet[day] = false
            if finished, let finishedAt = run.finishedAt {
                let late = max(0, finishedAt - run.deadline)
                worstLatenessMillis = max(worstLatenessMillis ?? late, late)
            } else {
                missedUnfinished += 1
            }
        }
    }

    func workflow(threshold: Double) -> SLOReport.Workflow {
        let days = dayMet.count
        let daysMet = dayMet.values.filter { $0 }.count
        let sorted = runtimesMillis.sorted()
        var median: Double?
        if !sorted.isEmpty {
            let middle = sorted.count / 2
            let millis = sorted.count % 2 == 1 ? Double(sorted[middle]) : (Double(sorted[middle - 1]) + Double(sorted[middle])) / 2
            median = millis / 60_000
        }
        return SLOReport.Workflow(
            workflow: newest.workflow, project: newest.project, org: newest.org, tier: newest.tier,
            sloMinutes: newest.sloMinutes, runs: runs, runsMet: runsMet, pending: pending,
            missedUnfinished: missedUnfinished, days: days, daysMet: daysMet,
            // Division then comparison: a correctly rounded quotient equals the threshold's literal exactly
            // when the true ratio does (27 of 30 days attains at 0.9).
            attains: days > 0 ? Double(daysMet) / Double(days) >= threshold : nil,
            worstLatenessMinutes: worstLatenessMillis.map { Double($0) / 60_000 },
            medianRuntimeMinutes: median)
    }
}
