public import Schedules
public import SourceDocuments

/// One workflow definition from `Pipelines/`: when it runs, how late it may finish, and its jobs as a DAG.
/// Built by `WorkflowReader` from one file; every field is checked, so a `Workflow` is always runnable.
public struct Workflow: Sendable {
    /// The workflow's name (`workflow:`), unique across `Pipelines/`; also the `bursar.dev/workflow` label.
    public var name: String
    public var project: String
    /// 1 (most critical) to 3.
    public var tier: Int
    public var schedule: CronSchedule
    public var zone: ScheduleZone
    /// The deadline is `scheduled_at + sloMinutes`.
    public var sloMinutes: Int
    /// The first tick considered: local midnight of `start_date` in the workflow's zone, epoch milliseconds.
    public var startsAt: Int64
    /// How many days of missed ticks a run catches up after downtime (0: none; at most 31).
    public var catchupDays: Int
    /// The most runs of this workflow active at once.
    public var maxActiveRuns: Int
    /// The jobs in file order; `graph` gives their order.
    public var jobs: [Job]
    /// The jobs' dependencies, checked to be a DAG.
    public var graph: JobGraph
    /// The file it was read from, and a content digest of the definition (spark files included), so each run
    /// can pin the version it started with.
    public var file: String

    /// The most days of catch-up any workflow may ask for, and the default.
    public static let maximumCatchupDays = 31
}

/// One job of a workflow.
public struct Job: Sendable {
    public var name: String
    /// Names of the jobs that must succeed first.
    public var dependsOn: [String]
    public var action: Action
    public var retry: RetryPolicy
    /// The job is stopped (and deleted on the cluster) after this many seconds.
    public var timeoutSeconds: Int
    /// Where the job is written (its `- name:` line), and its index in the file's `jobs:` list.
    public var line: Int
    public var position: Int

    /// What a job runs: a Spark job through the router, or one of Bursar's own steps. Never a shell command.
    public enum Action: Sendable {
        /// The router's compact `SparkJob` spec, as written (with the workflow's `defaults.spark` merged in).
        case spark(SourceNode)
        /// A SparkApplication file beside the definition; `path` as written, resolved against the definition's folder.
        case sparkFile(path: String)
        case bursar(BuiltinStep)
    }
}

/// Bursar's own steps a workflow may run, so the nightly allocation is itself a workflow.
public enum BuiltinStep: String, Sendable, CaseIterable {
    case ingest, allocate, nightly, deploy
    case sloReport = "slo-report"
}

/// How a failed attempt is retried: up to `retries` more attempts, the n-th after `delaySeconds × backoff^(n-1)`.
public struct RetryPolicy: Sendable, Equatable {
    public var retries: Int
    public var delaySeconds: Int
    public var backoff: Double

    public init(retries: Int, delaySeconds: Int, backoff: Double) {
        self.retries = retries
        self.delaySeconds = delaySeconds
        self.backoff = backoff
    }

    /// The wait before attempt `attempt` (2 is the first retry), capped at a day.
    public func delay(beforeAttempt attempt: Int) -> Int {
        guard attempt > 1 else { return 0 }
        var seconds = Double(delaySeconds)
        for _ in 2..<attempt { seconds *= backoff }
        return Int(min(seconds, 86_400))
    }
}
