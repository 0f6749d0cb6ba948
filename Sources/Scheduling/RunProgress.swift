public import Workflows

/// Where one job of one run stands.
public enum JobState: String, Sendable, Codable, CaseIterable {
    /// Its dependencies are not all done.
    case waiting
    /// Its dependencies succeeded; it waits for a dispatch slot (or its retry delay to pass).
    case ready
    /// The router accepted it; the cluster has not reported it running yet.
    case submitted
    case running
    case succeeded
    /// Failed with no attempts left (or timed out on its last one).
    case failed
    /// A dependency failed for good, so it will not run.
    case upstreamFailed = "upstream_failed"

    /// Whether the job will not change state again by itself.
    public var isFinal: Bool { self == .succeeded || self == .failed || self == .upstreamFailed }
    /// Whether it holds a dispatch slot.
    public var isInFlight: Bool { self == .submitted || self == .running }
}

/// Where a run stands.
public enum RunState: String, Sendable, Codable, CaseIterable {
    /// Created, waiting for the workflow's `max_active_runs`.
    case queued
    case running
    case succeeded
    case failed

    public var isFinal: Bool { self == .succeeded || self == .failed }
}

/// One job instance of a run, as the scheduler keeps it.
public struct JobInstance: Sendable, Equatable {
    public var state: JobState
    /// 1 for the first attempt.
    public var attempt: Int
    /// When the current attempt may be dispatched (a retry's delay), epoch ms.
    public var notBefore: Int64
    /// When the current attempt was submitted, and started running on the cluster (epoch ms; 0: not yet).
    public var submittedAt: Int64
    public var startedAt: Int64

    public init(state: JobState = .waiting, attempt: Int = 1, notBefore: Int64 = 0, submittedAt: Int64 = 0, startedAt: Int64 = 0) {
        self.state = state
        self.attempt = attempt
        self.notBefore = notBefore
        self.submittedAt = submittedAt
        self.startedAt = startedAt
    }
}

/// How a run moves on: pure functions from a run's jobs and the time to their next states.
public enum RunProgress {
    /// What happened to one job.
    public enum Change: Sendable, Equatable {
        /// Its dependencies are met (or its retry delay passed): it may be dispatched.
        case becameReady(job: Int)
        /// A dependency failed for good.
        case upstreamFailed(job: Int)
        /// Its attempt ran past the job's timeout: the app must be deleted on the cluster; `retry` says whether
        /// another attempt follows (after `notBefore`).
        case timedOut(job: Int, retry: Bool, notBefore: Int64)
    }

    /// The changes due at `now` for a run of `workflow` whose jobs stand as `jobs` (indexed as `workflow.jobs`).
    /// Applying them and calling again reaches a fixed point (every change moves a job forward).
    public static func changes(_ workflow: Workflow, jobs: [JobInstance], now: Int64) -> [Change] {
        var changes: [Change] = []
        for index in workflow.graph.order {
            let instance = jobs[index]
            switch instance.state {
            case .waiting:
                let upstream = workflow.graph.upstream[index].map { jobs[$0].state }
                if upstream.contains(where: { $0 == .failed || $0 == .upstreamFailed }) {
                    changes.append(.upstreamFailed(job: index))
                } else if upstream.allSatisfy({ $0 == .succeeded }) {
                    changes.append(.becameReady(job: index))
                }
            case .submitted, .running:
                let since = instance.startedAt > 0 ? instance.startedAt : instance.submittedAt
                let timeout = Int64(workflow.jobs[index].timeoutSeconds) * 1000
                if since > 0, now - since > timeout {
                    let job = workflow.jobs[index]
                    let retry = instance.attempt <= job.retry.retries
                    changes.append(.timedOut(job: index, retry: retry,
                                             notBefore: now + Int64(job.retry.delay(beforeAttempt: instance.attempt + 1)) * 1000))
                }
            case .ready, .succeeded, .failed, .upstreamFailed:
                continue
            }
        }
        return changes
    }

    /// A job's attempt ended on the cluster: its next state (a retry goes back to ready after its delay).
    public static func ended(_ job: Job, instance: JobInstance, succeeded: Bool, at time: Int64) -> JobInstance {
        var next = instance
        if succeeded {
            next.state = .succeeded
        } else if instance.attempt <= job.retry.retries {
            next.state = .ready
            next.attempt += 1
            next.notBefore = time + Int64(job.retry.delay(beforeAttempt: next.attempt)) * 1000
            next.submittedAt = 0
            next.startedAt = 0
        } else {
            next.state = .failed
        }
        return next
    }

    /// The run's state from its jobs: final when every job is; failed when any failed.
    public static func state(of jobs: [JobInstance]) -> RunState {
        guard jobs.allSatisfy({ $0.state.isFinal }) else { return .running }
        return jobs.allSatisfy { $0.state == .succeeded } ? .succeeded : .failed
    }
}

/// What a cluster reported about one application the scheduler started: where it stands and since when.
public struct AppReport: Sendable, Equatable {
    /// Where an application stands, as the scheduler needs it.
    public enum Phase: String, Sendable, Equatable {
        /// Accepted, not running yet (waiting for its queue, or being submitted).
        case pending
        case running
        case succeeded
        case failed
        /// Gone from the cluster while the scheduler still waited on it (deleted by hand, or lost).
        case deleted
    }

    public var appID: String
    public var phase: Phase
    /// When that phase was reached on the cluster (the end's time for an end), epoch ms.
    public var at: Int64
    /// The cluster's reason for a failure.
    public var reason: String?

    public init(appID: String, phase: Phase, at: Int64, reason: String? = nil) {
        self.appID = appID
        self.phase = phase
        self.at = at
        self.reason = reason
    }
}

extension RunProgress {
    /// What a cluster's report does to the job attempt it is about.
    public enum Observed: Sendable, Equatable {
        /// The attempt is running on the cluster since `at`.
        case started(at: Int64)
        /// The attempt ended: the job's next state (a retry goes back to ready after its delay).
        case ended(JobInstance, succeeded: Bool)
    }

    /// The effect of `report` on `instance`, an attempt of `job` that is in flight; nil when the report changes
    /// nothing (it repeats what is known, or the attempt is no longer in flight: a report about an earlier
    /// attempt, or a replay after a restart, must not move the job).
    public static func observe(_ report: AppReport, job: Job, instance: JobInstance) -> Observed? {
        guard instance.state.isInFlight else { return nil }
        switch report.phase {
        case .pending:
            return nil
        case .running:
            return instance.state == .submitted ? .started(at: report.at) : nil
        case .succeeded:
            return .ended(ended(job, instance: instance, succeeded: true, at: report.at), succeeded: true)
        case .failed, .deleted:
            return .ended(ended(job, instance: instance, succeeded: false, at: report.at), succeeded: false)
        }
    }
}
