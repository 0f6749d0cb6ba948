/// Whether a workflow run met its SLO: its last application finished by `scheduledAt + sloMinutes`.
public enum RunOutcome: String, Sendable, Equatable, Codable {
    /// Every application of the run finished, the last one by the deadline.
    case met
    /// The last application finished after the deadline, or the deadline passed (by the newest data)
    /// with applications still unfinished.
    case missed
    /// Not decided yet: applications are still running and the deadline has not passed.
    case pending
}

/// One scheduled run of a workflow, as the insight tables hold it (`workflow_runs`).
/// Times are milliseconds since the Unix epoch, UTC.
public struct WorkflowRun: Sendable, Equatable {
    public var workflow: String
    public var runID: String
    public var project: String
    public var org: String
    /// 1 (most critical) to 3.
    public var tier: Int
    public var scheduledAt: Int64
    public var sloMinutes: Int
    /// The earliest start among the run's applications seen so far; nil before any finished.
    public var startedAt: Int64?
    /// The latest finish among the run's applications seen so far; nil before any finished.
    public var finishedAt: Int64?
    /// Applications the run is known to have (from `job_apps`) and how many of them have finished.
    public var appsExpected: Int
    public var appsFinished: Int
    public var outcome: RunOutcome

    public init(workflow: String, runID: String, project: String, org: String, tier: Int, scheduledAt: Int64,
                sloMinutes: Int, startedAt: Int64?, finishedAt: Int64?, appsExpected: Int, appsFinished: Int,
                outcome: RunOutcome) {
        self.workflow = workflow
        self.runID = runID
        self.project = project
        self.org = org
        self.tier = tier
        self.scheduledAt = scheduledAt
        self.sloMinutes = sloMinutes
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.appsExpected = appsExpected
        self.appsFinished = appsFinished
        self.outcome = outcome
    }

    /// The time by which the run's last application must finish.
    public var deadline: Int64 { scheduledAt + Int64(sloMinutes) * 60_000 }

    /// Minutes from the scheduled time to the last finish, when the run has finished.
    public var runtimeMinutes: Double? {
        finishedAt.map { Double($0 - scheduledAt) / 60_000 }
    }

    /// Decides a run's outcome from what is known at `newestData` (the newest finish time ingested):
    /// a finished run is judged by its last finish; an unfinished one is missed once its deadline has
    /// passed, pending before.
    public static func outcome(deadline: Int64, finishedAt: Int64?, appsExpected: Int, appsFinished: Int,
                               newestData: Int64) -> RunOutcome {
        if appsFinished >= appsExpected, let finishedAt {
            return finishedAt <= deadline ? .met : .missed
        }
        return newestData > deadline ? .missed : .pending
    }
}
