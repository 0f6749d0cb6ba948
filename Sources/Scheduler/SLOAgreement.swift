public import InsightStore
public import Insights

/// The scheduler's verdict on each run it ended against the SLO report's, computed independently from the
/// clusters' application summaries: the closed loop's check that both tell the same story.
public struct SLOAgreement: Sendable, Equatable {
    /// One run compared.
    public struct Row: Sendable, Equatable {
        public var workflow: String
        public var runID: String
        /// The scheduler's record: "met" or "missed" (a run that failed, or ended after its deadline).
        public var scheduler: String
        /// The report's outcome: met, missed, pending, or "absent" when the report has no such run (its
        /// applications were not ingested, or the workflow is not in workflows.csv).
        public var report: String
        public var agrees: Bool { scheduler == report }
    }

    public var rows: [Row]
    public var disagreements: [Row] { rows.filter { !$0.agrees } }

    /// Compares each ended run with the report's run of the same workflow and run id.
    public static func compare(scheduler runs: [RunRecord], report: [WorkflowRun]) -> SLOAgreement {
        let reported = Dictionary(report.map { ("\($0.workflow)\u{0}\($0.runID)", $0.outcome.rawValue) }, uniquingKeysWith: { first, _ in first })
        return SLOAgreement(rows: runs.map { run in
            Row(workflow: run.workflow, runID: run.runID, scheduler: run.missed ? "missed" : "met",
                report: reported["\(run.workflow)\u{0}\(run.runID)"] ?? "absent")
        })
    }

    /// Reads both sides from the store.
    public static func check(_ store: InsightStore) throws -> SLOAgreement {
        let runs = try store.endedRuns()
        guard let first = runs.map(\.scheduledAt).min(), let last = runs.map(\.scheduledAt).max() else { return SLOAgreement(rows: []) }
        return compare(scheduler: runs, report: try store.workflowRuns(from: first, to: last + 1))
    }
}
