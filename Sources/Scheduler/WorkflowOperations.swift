import Synchronization
import Timestamps
public import InsightStore
public import Workflows
import Scheduling

/// Why an operation on a workflow or a run was not done: what kind of problem, the sentence to show, and the
/// request field it is about (`from`, `limit`…) when there is one. The CLI shows the message; the HTTP API maps
/// the kind to a status (404, 400, 409).
public struct WorkflowOperationError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case unknownWorkflow, unknownRun, unknownJob
        /// A field of the request is not valid (`field` names it).
        case invalidInput
        /// A backfill over more days than allowed without force.
        case rangeTooLong
        /// The stored text of the version in force no longer reads as a workflow.
        case unreadableVersion
        /// A manual run for this very instant exists already.
        case runExists
        /// Only a failed run can be cleared.
        case runNotFailed
    }

    public var kind: Kind
    public var message: String
    public var field: String?

    public init(_ kind: Kind, _ message: String, field: String? = nil) {
        self.kind = kind
        self.message = message
        self.field = field
    }

    public var description: String { message }
}

/// A workflow as the scheduler runs it now: the stored record (digest in force, paused, latest run) and the
/// definition stored under that digest, read again.
public struct WorkflowInForce: Sendable {
    public var stored: StoredWorkflow
    public var workflow: Workflow

    public var name: String { stored.workflow }
}

/// One line of the workflow listing: the stored record and, when its version in force reads, its project and
/// tier (else the problem, so one bad version does not hide the others).
public struct WorkflowSummary: Sendable {
    public var stored: StoredWorkflow
    public var project: String?
    public var tier: Int?
    public var problem: String?
}

/// A run with its jobs in their workflow's order and its events in order.
public struct RunDetail: Sendable {
    public var run: RunRecord
    public var jobs: [JobRecord]
    public var events: [SchedulerEvent]
}

/// The days of a backfill: whole UTC days, both ends included.
public struct BackfillRange: Sendable, Equatable {
    /// As written, `YYYY-MM-DD`.
    public var from: String
    public var to: String
    /// Midnight UTC of the first day, and of the day after the last, in epoch milliseconds.
    public var start: Int64
    public var end: Int64
    public var days: Int
}

/// What a backfill did.
public struct BackfillOutcome: Sendable, Equatable {
    /// The schedule's ticks in the range.
    public var ticks: Int
    /// The runs created (ticks that had a backfill run already are skipped).
    public var created: [String]
}

/// Definitions read back from the store by digest. A digest names one text, so each is read (and parsed) once,
/// however often listings and operations ask for it.
public final class StoredDefinitions: Sendable {
    private let read = Mutex<[String: Result<Workflow, WorkflowOperationError>]>([:])
    private let capacity: Int

    /// - Parameter capacity: how many versions are kept; past it the cache starts again (versions are few).
    public init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// The workflow stored under `digest`; throws `unreadableVersion` when there is no such text or it no longer
    /// reads (store errors are thrown as they are).
    public func workflow(digest: String, store: InsightStore) throws -> Workflow {
        if let known = read.withLock({ $0[digest] }) { return try known.get() }
        let result: Result<Workflow, WorkflowOperationError>
        if let stored = try store.workflowDefinition(digest: digest) {
            let parsed = WorkflowReader.read(stored.definition, file: stored.file)
            if let workflow = parsed.workflow {
                result = .success(workflow)
            } else {
                let first = parsed.findings.first { $0.severity == .error }.map { ": \($0.description)" } ?? ""
                result = .failure(WorkflowOperationError(
                    .unreadableVersion,
                    "the stored version \(digest.prefix(12)) of \(stored.workflow) (\(stored.file)) no longer reads as a workflow\(first); fix the definition so the scheduler records a new version"))
            }
        } else {
            result = .failure(WorkflowOperationError(.unreadableVersion, "no stored definition has digest \(digest.prefix(12))"))
        }
        read.withLock {
            if $0.count >= capacity { $0.removeAll() }
            $0[digest] = result
        }
        return try result.get()
    }
}

/// The operators' operations on workflows and runs, shared by the CLI (`bursar trigger`, `backfill`, `runs list`…)
/// and the router's `/v1/workflows` and `/v1/runs`, so both do exactly the same. Each works on the store it is
/// given, on the caller's thread (the router's store thread), and reads definitions only from the store: what
/// runs is always the version in force, never a file the caller points at.
public enum WorkflowOperations {
    /// The most days a backfill covers unless forced.
    public static let maximumBackfillDays = 31
    /// The most runs one backfill creates, forced or not (a year of hourly ticks fits): they are written in one
    /// transaction, which should stay short.
    public static let maximumBackfillTicks = 10_000
    /// The most runs a listing returns.
    public static let maximumListing = 1_000

    /// A workflow the scheduler has recorded, with its version in force read from the store.
    public static func inForce(_ name: String, store: InsightStore, definitions: StoredDefinitions) throws -> WorkflowInForce {
        guard let stored = try store.storedWorkflow(name) else { throw unknownWorkflow(name) }
        return WorkflowInForce(stored: stored, workflow: try definitions.workflow(digest: stored.digest, store: store))
    }

    /// Every workflow the scheduler has recorded, by name, with project and tier from its version in force.
    public static func list(store: InsightStore, definitions: StoredDefinitions) throws -> [WorkflowSummary] {
        try store.storedWorkflows().map { try summarize($0, store: store, definitions: definitions) }
    }

    /// One workflow as `list` shows it.
    public static func summary(_ name: String, store: InsightStore, definitions: StoredDefinitions) throws -> WorkflowSummary {
        guard let stored = try store.storedWorkflow(name) else { throw unknownWorkflow(name) }
        return try summarize(stored, store: store, definitions: definitions)
    }

    private static func summarize(_ stored: StoredWorkflow, store: InsightStore, definitions: StoredDefinitions) throws -> WorkflowSummary {
        do {
            let workflow = try definitions.workflow(digest: stored.digest, store: store)
            return WorkflowSummary(stored: stored, project: workflow.project, tier: workflow.tier)
        } catch let problem as WorkflowOperationError {
            return WorkflowSummary(stored: stored, problem: problem.message)
        }
    }

    /// A manual run of the version in force for `now` (deadline `now` + its SLO), queued for the scheduler's next
    /// pass (which starts it unless the workflow is paused).
    public static func trigger(_ version: WorkflowInForce, store: InsightStore, now: Int64) throws -> RunRecord {
        let new = SchedulerPass.newRun(version.workflow, kind: "manual", scheduledAt: now, digest: version.stored.digest, now: now)
        guard try !store.createRuns([new], at: now).isEmpty else {
            throw WorkflowOperationError(.runExists, "a manual run of \(version.name) for \(Timestamp.format(now)) exists already (\(new.run.runID)); trigger again")
        }
        return new.run
    }

    /// The days `from` through `to` (`YYYY-MM-DD`, UTC, inclusive), at most `maximumBackfillDays` unless `force`.
    /// Every problem names its field: `from`, `to`.
    public static func backfillRange(from: String, to: String, force: Bool) throws(WorkflowOperationError) -> BackfillRange {
        func day(_ text: String, _ field: String) throws(WorkflowOperationError) -> Int64 {
            guard text.utf8.count == 10, let value = Timestamp.parse(text, allowingDate: true) else {
                throw WorkflowOperationError(.invalidInput, "\(field) must be a date, YYYY-MM-DD, not \"\(text)\"", field: field)
            }
            return value
        }
        let start = try day(from, "from"), last = try day(to, "to")
        guard last >= start else {
            throw WorkflowOperationError(.invalidInput, "to (\(to)) is before from (\(from))", field: "to")
        }
        let days = Int((last - start) / 86_400_000) + 1
        guard days <= maximumBackfillDays || force else {
            throw WorkflowOperationError(.rangeTooLong,
                                         "\(from)..\(to) is \(days) days, more than \(maximumBackfillDays); backfill in pieces, or force it if an admin decided so",
                                         field: "to")
        }
        return BackfillRange(from: from, to: to, start: start, end: last + 86_400_000, days: days)
    }

    /// The workflow's ticks in the range, from its schedule in its zone; more than `maximumBackfillTicks` is refused.
    public static func backfillTicks(_ workflow: Workflow, _ range: BackfillRange) throws(WorkflowOperationError) -> [Int64] {
        let ticks = workflow.schedule.ticks(after: range.start - 1, through: range.end - 1, in: workflow.zone,
                                            limit: maximumBackfillTicks + 1)
        guard ticks.count <= maximumBackfillTicks else {
            throw WorkflowOperationError(.rangeTooLong,
                                         "\(range.from)..\(range.to) holds more than \(maximumBackfillTicks) ticks of \(workflow.name)'s schedule (\(workflow.schedule.text)); backfill in pieces",
                                         field: "to")
        }
        return ticks
    }

    /// Backfill runs of the version in force for every tick in the range (ticks with a backfill run already are
    /// skipped); the scheduler dispatches them in its backfill pool.
    public static func backfill(_ version: WorkflowInForce, _ range: BackfillRange, store: InsightStore, now: Int64) throws -> BackfillOutcome {
        let ticks = try backfillTicks(version.workflow, range)
        let runs = ticks.map { SchedulerPass.newRun(version.workflow, kind: "backfill", scheduledAt: $0, digest: version.stored.digest, now: now) }
        return BackfillOutcome(ticks: ticks.count, created: try store.createRuns(runs, at: now))
    }

    /// Runs, newest tick first, of one workflow and/or in one state; `limit` from 1 to `maximumListing`. The
    /// filters are checked (fields `workflow`, `state`, `limit`) before the store is asked.
    public static func runs(store: InsightStore, workflow: String?, state: String?, limit: Int) throws -> [RunRecord] {
        try checkListing(workflow: workflow, state: state, limit: limit)
        return try store.runs(workflow: workflow, state: state, limit: limit)
    }

    /// Checks a listing's filters: a workflow name, a run state, a limit from 1 to `maximumListing`.
    public static func checkListing(workflow: String?, state: String?, limit: Int) throws(WorkflowOperationError) {
        if let workflow, !WorkflowNames.isValid(workflow) {
            throw WorkflowOperationError(.invalidInput, "workflow must be a workflow name (lower-case letters, digits and '-'), not \"\(workflow)\"",
                                         field: "workflow")
        }
        if let state, RunState(rawValue: state) == nil {
            throw WorkflowOperationError(.invalidInput,
                                         "state must be one of \(RunState.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(state)\"",
                                         field: "state")
        }
        guard (1...maximumListing).contains(limit) else {
            throw WorkflowOperationError(.invalidInput, "limit must be from 1 to \(maximumListing), not \(limit)", field: "limit")
        }
    }

    /// A run with its jobs and events.
    public static func detail(_ runID: String, store: InsightStore) throws -> RunDetail {
        guard let run = try store.run(runID) else { throw unknownRun(runID) }
        return RunDetail(run: run, jobs: try store.jobs(ofRun: runID), events: try store.events(ofRun: runID))
    }

    /// The project a run belongs to: the one its own version names.
    public static func project(of run: RunRecord, store: InsightStore, definitions: StoredDefinitions) throws -> String {
        try definitions.workflow(digest: run.digest, store: store).project
    }

    /// Clears a failed run (its failed jobs, and those skipped because of them, run again).
    public static func clear(_ runID: String, store: InsightStore, now: Int64) throws {
        guard try store.clearRun(runID, at: now) else {
            guard let run = try store.run(runID) else { throw unknownRun(runID) }
            throw WorkflowOperationError(.runNotFailed, "run \(runID) is \(run.state), not failed; only a failed run can be cleared")
        }
    }

    /// Marks a job of a run succeeded by hand (its dependents may then run).
    public static func markSucceeded(_ runID: String, job: String, store: InsightStore, now: Int64) throws {
        guard try store.markJobSucceeded(runID, job: job, at: now) else {
            guard try store.run(runID) != nil else { throw unknownRun(runID) }
            throw WorkflowOperationError(.unknownJob, "run \(runID) has no job \(job)")
        }
    }

    static func unknownWorkflow(_ name: String) -> WorkflowOperationError {
        WorkflowOperationError(.unknownWorkflow, "the scheduler has not recorded a workflow \(name) (it records each workflow on its first pass over Pipelines/)")
    }

    static func unknownRun(_ runID: String) -> WorkflowOperationError {
        WorkflowOperationError(.unknownRun, "no run \(runID)")
    }
}
