public import Ingest

/// A workflow run's identity. Its hash is worked out once, when the key is made: for parsed
/// applications that is on the parsing workers, so the ingest's single writer, which looks a run up for
/// every new application, does not hash the two strings again each time.
public struct RunKey: Hashable, Sendable, Comparable {
    public let workflow: String
    public let runID: String
    private let hash: Int

    public init(workflow: String, runID: String) {
        self.workflow = workflow
        self.runID = runID
        var hasher = Hasher()
        hasher.combine(workflow)
        hasher.combine(runID)
        hash = hasher.finalize()
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(hash)
    }

    public static func == (a: RunKey, b: RunKey) -> Bool {
        a.hash == b.hash && a.workflow == b.workflow && a.runID == b.runID
    }

    public static func < (a: RunKey, b: RunKey) -> Bool { (a.workflow, a.runID) < (b.workflow, b.runID) }
}

/// What a run's stored applications add up to: how many finished, the earliest start and the latest
/// finish. Merging is associative and commutative, so a run's progress can be kept incrementally (what
/// was stored, plus what one ingest adds) and comes out the same in any order or batching.
public struct RunProgress: Sendable, Equatable {
    public var appsFinished: Int
    public var startedAt: Int64?
    public var finishedAt: Int64?

    public init(appsFinished: Int = 0, startedAt: Int64? = nil, finishedAt: Int64? = nil) {
        self.appsFinished = appsFinished
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }

    /// One more finished application.
    public mutating func add(start: Int64, finish: Int64) {
        appsFinished += 1
        startedAt = min(startedAt ?? start, start)
        finishedAt = max(finishedAt ?? finish, finish)
    }

    public mutating func merge(_ other: RunProgress) {
        appsFinished += other.appsFinished
        if let start = other.startedAt { startedAt = min(startedAt ?? start, start) }
        if let finish = other.finishedAt { finishedAt = max(finishedAt ?? finish, finish) }
    }
}

/// One `workflow_runs` row as stored. Runs of workflows missing from workflows.csv are kept (their
/// progress must not be lost) with no project, tier or SLO and the outcome `unmapped`; reports leave
/// them out until the workflow is mapped.
public struct StoredRun: Sendable, Equatable {
    public static let unmapped = "unmapped"

    public var key: RunKey
    public var project: String?
    public var org: String?
    public var tier: Int?
    public var scheduledAt: Int64
    public var sloMinutes: Int?
    public var progress: RunProgress
    public var appsExpected: Int
    /// `met`, `missed`, `pending` (see `RunOutcome`) or `unmapped`.
    public var outcome: String

    public init(key: RunKey, project: String?, org: String?, tier: Int?, scheduledAt: Int64, sloMinutes: Int?,
                progress: RunProgress, appsExpected: Int, outcome: String) {
        self.key = key
        self.project = project
        self.org = org
        self.tier = tier
        self.scheduledAt = scheduledAt
        self.sloMinutes = sloMinutes
        self.progress = progress
        self.appsExpected = appsExpected
        self.outcome = outcome
    }
}

/// The runs job_apps defines: for each, its scheduled time (the earliest of its rows) and how many
/// applications it is expected to have, with the workflow mappings that judge it.
public struct RunBook: Sendable {
    public struct Schedule: Sendable, Equatable {
        public var scheduledAt: Int64
        public var appsExpected: Int
    }

    public private(set) var schedules: [RunKey: Schedule] = [:]
    public let mappings: Mappings

    public init(_ mappings: Mappings) {
        self.mappings = mappings
        schedules.reserveCapacity(mappings.jobApps.count / 2)
        for app in mappings.jobApps.values {
            let key = RunKey(workflow: app.workflow, runID: app.runID)
            if let known = schedules[key] {
                schedules[key] = Schedule(scheduledAt: min(known.scheduledAt, app.scheduledAt),
                                          appsExpected: known.appsExpected + 1)
            } else {
                schedules[key] = Schedule(scheduledAt: app.scheduledAt, appsExpected: 1)
            }
        }
    }

    /// The longest SLO of any mapped workflow, in milliseconds: a run scheduled earlier than the newest
    /// data minus this is decided for good unless new applications or job_apps rows arrive for it.
    public var longestSLOMillis: Int64 {
        Int64(mappings.workflows.values.map(\.sloMinutes).max() ?? 0) * 60_000
    }

    /// The run as it should be stored, given its applications' progress and the newest finish time
    /// ingested; nil for a key job_apps does not define.
    public func run(_ key: RunKey, progress: RunProgress, newestData: Int64) -> StoredRun? {
        guard let schedule = schedules[key] else { return nil }
        guard let workflow = mappings.workflows[key.workflow] else {
            return StoredRun(key: key, project: nil, org: nil, tier: nil, scheduledAt: schedule.scheduledAt,
                             sloMinutes: nil, progress: progress, appsExpected: schedule.appsExpected,
                             outcome: StoredRun.unmapped)
        }
        let org = mappings.projectOwners[workflow.project].flatMap { mappings.ownerOrgs[$0] } ?? ""
        let deadline = schedule.scheduledAt + Int64(workflow.sloMinutes) * 60_000
        let outcome = WorkflowRun.outcome(deadline: deadline, finishedAt: progress.finishedAt,
                                          appsExpected: schedule.appsExpected, appsFinished: progress.appsFinished,
                                          newestData: newestData)
        return StoredRun(key: key, project: workflow.project, org: org, tier: workflow.tier,
                         scheduledAt: schedule.scheduledAt, sloMinutes: workflow.sloMinutes, progress: progress,
                         appsExpected: schedule.appsExpected, outcome: outcome.rawValue)
    }
}
