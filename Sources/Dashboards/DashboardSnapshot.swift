public import Insights
public import InsightStore
import Diagnostics
import Timestamps
import Workflows

/// A run the scheduler has not ended, with how far it got and whether its deadline is in danger.
public struct ActiveRun: Sendable, Equatable {
    public var runID: String
    public var workflow: String
    public var tier: Int
    public var scheduledAt: Int64
    public var deadline: Int64
    public var state: String
    public var jobsDone: Int
    public var jobs: Int
    /// Seconds the unfinished jobs still need along the longest chain, by their last known runtimes (nil when
    /// the definition could not be read).
    public var remainingSeconds: Double?

    public init(runID: String, workflow: String, tier: Int, scheduledAt: Int64, deadline: Int64, state: String,
                jobsDone: Int, jobs: Int, remainingSeconds: Double?) {
        self.runID = runID
        self.workflow = workflow
        self.tier = tier
        self.scheduledAt = scheduledAt
        self.deadline = deadline
        self.state = state
        self.jobsDone = jobsDone
        self.jobs = jobs
        self.remainingSeconds = remainingSeconds
    }

    /// At risk at `now`: its deadline passed or is within a fifth of its SLO (at least 10 minutes), or the
    /// critical path it has left ends after the deadline.
    public func atRisk(now: Int64) -> Bool {
        let slo = max(0, deadline - scheduledAt)
        let margin = max(600_000, slo / 5)
        if now >= deadline - margin { return true }
        if let remainingSeconds, now + Int64(remainingSeconds * 1000) > deadline { return true }
        return false
    }
}

/// What the dashboards show, read from the store at one moment: the pages are pure functions of it, so a page
/// renders in milliseconds and the export reads the store once.
public struct DashboardSnapshot: Sendable {
    /// When it was read (milliseconds since the epoch).
    public var asOf: Int64
    /// The end of the newest day shown (exclusive, UTC midnight): the day of the newest data, so a history
    /// that stopped a while ago is shown as it was, with its date.
    public var windowEnd: Int64
    /// Days read (the longest window a page shows).
    public var days: Int
    /// Workflow runs scheduled in the window.
    public var runs: [WorkflowRun] {
        didSet { index = RunIndex(runs: runs, windowEnd: windowEnd) }
    }
    /// What every page reads of the runs, computed once per snapshot: runs by workflow, each workflow's outcome
    /// per day, the SLO reports of the usual windows.
    public private(set) var index: RunIndex
    /// The runs by workflow (a workflow page reads its own in a dictionary lookup, not a scan of all).
    public var runsByWorkflow: [String: [WorkflowRun]] { index.runsByWorkflow }
    /// Runs the scheduler has not ended.
    public var activeRuns: [ActiveRun]
    /// The newest application finish ingested and the newest source read.
    public var newestFinish: Int64?
    public var lastRead: Int64?
    /// The newest plan archived.
    public var lastPlan: (night: String, plannedAt: Int64)?
    /// Submissions per hour in the window.
    public var submissions: [SubmissionHour]
    /// Queues: hourly usage with each night's guaranteed and max.
    public var fleet: FleetHistory

    public init(asOf: Int64, windowEnd: Int64, days: Int, runs: [WorkflowRun], activeRuns: [ActiveRun], newestFinish: Int64?,
                lastRead: Int64?, lastPlan: (night: String, plannedAt: Int64)?, submissions: [SubmissionHour], fleet: FleetHistory) {
        self.asOf = asOf
        self.windowEnd = windowEnd
        self.days = days
        self.runs = runs
        index = RunIndex(runs: runs, windowEnd: windowEnd)
        self.activeRuns = activeRuns
        self.newestFinish = newestFinish
        self.lastRead = lastRead
        self.lastPlan = lastPlan
        self.submissions = submissions
        self.fleet = fleet
    }

    /// The start of the window of the last `days` days (UTC midnight).
    public func windowStart(days: Int) -> Int64 { windowEnd - Int64(days) * 86_400_000 }

    /// The UTC days of the last `days` days, oldest first, as `YYYY-MM-DD` with their start.
    public func dayList(days: Int) -> [(day: String, start: Int64)] {
        (0..<days).map { index in
            let start = windowStart(days: days) + Int64(index) * 86_400_000
            return (Timestamp.formatDate(start), start)
        }
    }

    /// The longest window a page may ask for.
    public static let maxDays = 31
}

/// The runs as the pages read them, computed once per snapshot.
public struct RunIndex: Sendable {
    public let runsByWorkflow: [String: [WorkflowRun]]
    /// Per workflow, the day's outcome by UTC day number (days since 1970): missed when a decided run missed,
    /// met when every decided run met, pending when only pending runs.
    let outcomeByDay: [String: [Int64: RunOutcome]]
    /// Per workflow, its org, tier and project (from its newest run).
    let facts: [String: (org: String, tier: Int, project: String)]
    /// The SLO reports of the last 7, 14 and 30 days.
    let reports: [Int: SLOReport]
    /// Each window's outcomes, worked out by the first page that reads them.
    let dayOutcomes = Memo<[Int64], DayOutcomes>()
    /// The SLO matrix's workflows in order, by days, tier and org filter.
    let matrixRows = Memo<[String], [String]>()

    init(runs: [WorkflowRun], windowEnd: Int64) {
        runsByWorkflow = Dictionary(grouping: runs, by: \.workflow)
        var outcomes: [String: [Int64: RunOutcome]] = [:]
        var facts: [String: (org: String, tier: Int, project: String)] = [:]
        for run in runs {
            let day = SLOReport.Window.day(containing: run.scheduledAt)
            facts[run.workflow] = (run.org, run.tier, run.project)
            let next: RunOutcome
            switch (outcomes[run.workflow]?[day], run.outcome) {
            case (.missed, _), (_, .missed): next = .missed
            case (.met, _), (_, .met): next = .met
            default: next = .pending
            }
            outcomes[run.workflow, default: [:]][day] = next
        }
        outcomeByDay = outcomes
        self.facts = facts
        var reports: [Int: SLOReport] = [:]
        for days in [7, 14, 30] {
            // A window ending on a real day cannot fail.
            let window = try! SLOReport.Window(endingOnDayOf: windowEnd - 1, days: days)
            reports[days] = SLOReport(runs: runs, window: window)
        }
        self.reports = reports
    }
}

extension DashboardSnapshot {
    /// The days a snapshot of the last `days` days (at most `maxDays`) read now would cover: up to the end of the
    /// newest day with data (today when there is none), as epoch ms.
    public static func window(of store: InsightStore, days: Int, now: Int64) throws -> (start: Int64, end: Int64) {
        try window(of: store, days: min(max(1, days), maxDays), now: now, newestFinish: try store.lastIngest().newestFinish)
    }

    private static func window(of store: InsightStore, days: Int, now: Int64, newestFinish: Int64?) throws -> (start: Int64, end: Int64) {
        let newest = [try store.newestRunScheduledAt(), try store.newestQueueHour(), newestFinish].compactMap { $0 }.max() ?? now
        let end = (min(newest, now) / 86_400_000 + 1) * 86_400_000
        return (end - Int64(days) * 86_400_000, end)
    }

    /// Reads the snapshot of the last `days` days (at most `maxDays`) from the store, as of `now`.
    public static func load(from store: InsightStore, days: Int = 30, now: Int64) throws -> DashboardSnapshot {
        let days = min(max(1, days), maxDays)
        let ingest = try store.lastIngest()
        let (windowStart, windowEnd) = try window(of: store, days: days, now: now, newestFinish: ingest.newestFinish)
        var laps = Trace.Laps()
        let runs = try store.workflowRuns(from: windowStart, to: windowEnd)
        laps.lap("snapshot: \(runs.count) runs")
        let active = try activeRuns(store, runs: runs)
        let lastPlan = try store.lastPlanned()
        let submissions = try store.submissionHours(from: windowStart, to: windowEnd)
        laps.lap("snapshot: active runs, submissions")
        let fleet = try FleetHistory.load(from: store, from: windowStart, to: windowEnd)
        laps.lap("snapshot: fleet history")
        let snapshot = DashboardSnapshot(
            asOf: now, windowEnd: windowEnd, days: days, runs: runs, activeRuns: active,
            newestFinish: ingest.newestFinish, lastRead: ingest.lastRead, lastPlan: lastPlan,
            submissions: submissions, fleet: fleet)
        laps.lap("snapshot: run index")
        return snapshot
    }

    /// The scheduler's unended runs, with the critical path their unfinished jobs have left.
    static func activeRuns(_ store: InsightStore, runs: [WorkflowRun]) throws -> [ActiveRun] {
        let active = try store.activeRuns()
        guard !active.isEmpty else { return [] }
        let jobs = try store.jobsOfActiveRuns()
        let runtimes = try store.lastJobRuntimes()
        var tiers: [String: Int] = [:]
        for run in runs { tiers[run.workflow] = run.tier }
        var definitions: [String: Workflow?] = [:]
        return try active.map { run in
            if definitions[run.digest] == nil {
                definitions[run.digest] = try store.workflowDefinition(digest: run.digest).flatMap {
                    WorkflowReader.read($0.definition, file: $0.file).workflow
                }
            }
            let definition = definitions[run.digest] ?? nil
            let ofRun = jobs[run.runID] ?? []
            let done = Set(ofRun.filter { $0.state == "succeeded" }.map(\.job))
            var remaining: Double?
            if let definition {
                let known = runtimes[run.workflow] ?? [:]
                remaining = definition.graph.criticalPath(seconds: definition.jobs.map { done.contains($0.name) ? 0 : known[$0.name] ?? 0 }).seconds
            }
            return ActiveRun(runID: run.runID, workflow: run.workflow, tier: definition?.tier ?? tiers[run.workflow] ?? 0,
                             scheduledAt: run.scheduledAt, deadline: run.deadline, state: run.state, jobsDone: done.count,
                             jobs: max(ofRun.count, definition?.jobs.count ?? 0), remainingSeconds: remaining)
        }
    }
}
