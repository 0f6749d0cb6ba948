import Foundation
import Hummingbird
import HTTPTypes
import InsightStore
import Routing
import Scheduler

/// A run as `/v1/workflows` and `/v1/runs` show it (times in epoch milliseconds).
struct RunView: Encodable, Sendable {
    var runId: String
    var workflow: String
    /// scheduled, manual or backfill.
    var kind: String
    var scheduledAt: Int64
    var deadline: Int64
    /// The content digest of the version the run uses.
    var digest: String
    var state: String
    var missed: Bool
    var createdAt: Int64
    var startedAt: Int64?
    var endedAt: Int64?

    init(_ run: RunRecord) {
        runId = run.runID
        workflow = run.workflow
        kind = run.kind
        scheduledAt = run.scheduledAt
        deadline = run.deadline
        digest = run.digest
        state = run.state
        missed = run.missed
        createdAt = run.createdAt
        startedAt = run.startedAt
        endedAt = run.endedAt
    }
}

/// A job of a run as `GET /v1/runs/{run_id}` shows it; times not reached yet are left out.
struct JobView: Encodable, Sendable {
    var job: String
    var position: Int
    var state: String
    var attempt: Int
    var appId: String?
    var cluster: String?
    var namespace: String?
    var reason: String?
    var notBefore: Int64?
    var readyAt: Int64?
    var submittedAt: Int64?
    var startedAt: Int64?
    var endedAt: Int64?

    init(_ job: JobRecord) {
        func time(_ value: Int64) -> Int64? { value == 0 ? nil : value }
        self.job = job.job
        position = job.position
        state = job.state
        attempt = job.attempt
        appId = job.appID
        cluster = job.cluster
        namespace = job.namespace
        reason = job.reason
        notBefore = time(job.notBefore)
        readyAt = time(job.readyAt)
        submittedAt = time(job.submittedAt)
        startedAt = time(job.startedAt)
        endedAt = time(job.endedAt)
    }
}

/// An event of a run's history.
struct EventView: Encodable, Sendable {
    var at: Int64
    var job: String?
    var kind: String
    var detail: String?
}

/// A workflow as `/v1/workflows` shows it: the version in force, whether it is paused, its latest run, and in
/// `GET /v1/workflows/{name}` its recent runs.
struct WorkflowView: Encodable, Sendable {
    var name: String
    var project: String?
    var tier: Int?
    var digest: String
    var versionRecordedAt: Int64
    var paused: Bool
    var latestRun: RunView?
    /// Why project and tier are missing: the stored version no longer reads.
    var problem: String?
    var runs: [RunView]?

    init(_ summary: WorkflowSummary, runs: [RunRecord]? = nil) {
        name = summary.stored.workflow
        project = summary.project
        tier = summary.tier
        digest = summary.stored.digest
        versionRecordedAt = summary.stored.updatedAt
        paused = summary.stored.paused
        latestRun = summary.stored.latestRun.map(RunView.init)
        problem = summary.problem
        self.runs = runs?.map(RunView.init)
    }
}

/// What a change did, for its audit entry: the state before and after (JSON) and the outcome (`done`, `unchanged`).
struct AuditedChange: Sendable {
    var before: String?
    var after: String?
    var outcome: String
}

/// Who asks for a change, to what, when.
struct OperationRequest: Sendable {
    var principal: Principal
    /// `workflow.pause`, `workflow.unpause`, `workflow.trigger`, `workflow.backfill`, `run.clear`, `run.mark_succeeded`.
    var action: String
    /// `workflow/<name>`, `run/<id>`, `run/<id>/job/<job>`.
    var target: String
    var at: Int64

    /// The audit entry; `detail` always holds `{"outcome": …}`, with the reason of a refusal.
    func entry(outcome: String, before: String? = nil, after: String? = nil, reason: String? = nil) -> AuditEntry {
        var detail: [String: Any] = ["outcome": outcome]
        if let reason { detail["reason"] = reason }
        return AuditEntry(at: at, principal: principal.name, action: action, target: target, before: before, after: after,
                          detail: jsonText(detail))
    }
}

/// What a change is about (a workflow's version in force, a run), with the workflow and the project it belongs
/// to, read from the store: the project decides who may change it.
struct Subject<Value: Sendable>: Sendable {
    var value: Value
    var workflow: String
    var project: String
}

/// Sorted-keys JSON text of a small object, for audit entries.
func jsonText(_ object: [String: Any]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
}

extension Archer {
    // MARK: Reads (any authenticated caller)

    /// `GET /v1/workflows`: every workflow the scheduler has recorded.
    func listWorkflows(_ context: ArcherContext) async throws -> Response {
        _ = try context.caller()
        let definitions = self.definitions
        let summaries = try await operate { try WorkflowOperations.list(store: $0, definitions: definitions) }
        return try JSONBody.response(encoding: ["workflows": summaries.map { WorkflowView($0) }])
    }

    /// `GET /v1/workflows/{name}?limit=N`: one workflow and its newest runs (20 unless `limit`, at most 1000).
    func showWorkflow(_ request: Request, _ context: ArcherContext) async throws -> Response {
        _ = try context.caller()
        let name = try context.parameters.require("name")
        let limit = try Self.limit(request, default: 20)
        let definitions = self.definitions
        let view = try await operate { store in
            let summary = try WorkflowOperations.summary(name, store: store, definitions: definitions)
            return WorkflowView(summary, runs: try WorkflowOperations.runs(store: store, workflow: name, state: nil, limit: limit))
        }
        return try JSONBody.response(encoding: view)
    }

    /// `GET /v1/runs?workflow=W&state=S&limit=N`: runs, newest tick first (50 unless `limit`, at most 1000).
    func listRuns(_ request: Request, _ context: ArcherContext) async throws -> Response {
        _ = try context.caller()
        let query = request.uri.queryParameters
        let workflow = query.get("workflow"), state = query.get("state")
        let limit = try Self.limit(request, default: 50)
        do {
            try WorkflowOperations.checkListing(workflow: workflow, state: state, limit: limit)
        } catch {
            throw APIError.badRequest("invalid_query", error.message, field: error.field)
        }
        let runs = try await operate { try WorkflowOperations.runs(store: $0, workflow: workflow, state: state, limit: limit) }
        return try JSONBody.response(encoding: ["runs": runs.map(RunView.init)])
    }

    /// `GET /v1/runs/{run_id}`: the run, its jobs and its events.
    func showRun(_ context: ArcherContext) async throws -> Response {
        _ = try context.caller()
        let runID = try context.parameters.require("run_id")
        let detail = try await operate { try WorkflowOperations.detail(runID, store: $0) }
        return try JSONBody.response(encoding: RunDetailView(
            run: RunView(detail.run), jobs: detail.jobs.map(JobView.init),
            events: detail.events.map { EventView(at: $0.at, job: $0.job, kind: $0.kind, detail: $0.detail) }))
    }

    // MARK: Changes (the owner team of the workflow's project, or an admin; audited)

    /// `POST /v1/workflows/{name}/pause` and `…/unpause`: no new runs are created or started while paused
    /// (jobs already running finish).
    func setPaused(_ paused: Bool, _ context: ArcherContext) async throws -> Response {
        let name = try context.parameters.require("name")
        let operation = OperationRequest(principal: try context.caller(), action: paused ? "workflow.pause" : "workflow.unpause",
                                         target: "workflow/\(name)", at: now())
        let changed = try await change(operation, subject: inForce(name)) { store, _ in
            // Read again inside the change's transaction: the CLI may have paused it since.
            guard let before = try store.storedWorkflow(name) else { throw WorkflowOperationError(.unknownWorkflow, "no workflow \(name)") }
            _ = try store.setPaused(name, paused)
            return (before.paused != paused, AuditedChange(before: jsonText(["paused": before.paused]), after: jsonText(["paused": paused]),
                                                           outcome: before.paused != paused ? "done" : "unchanged"))
        }
        logger.notice("workflow \(paused ? "paused" : "unpaused")", metadata: ["workflow": .string(name), "changed": .stringConvertible(changed)])
        return try JSONBody.response(encoding: PauseAnswer(workflow: name, paused: paused, changed: changed))
    }

    /// `POST /v1/workflows/{name}/trigger`: a manual run now, of the version in force (201 with the run).
    func trigger(_ context: ArcherContext) async throws -> Response {
        let name = try context.parameters.require("name")
        let operation = OperationRequest(principal: try context.caller(), action: "workflow.trigger", target: "workflow/\(name)", at: now())
        let run = try await change(operation, subject: inForce(name)) { store, version in
            let run = try WorkflowOperations.trigger(version, store: store, now: operation.at)
            return (run, AuditedChange(after: jsonText(["run_id": run.runID, "digest": run.digest, "kind": run.kind,
                                                         "scheduled_at": run.scheduledAt, "paused": version.stored.paused]),
                                       outcome: "done"))
        }
        logger.notice("workflow triggered", metadata: ["workflow": .string(name), "run_id": .string(run.runID)])
        return try JSONBody.response(encoding: ["run": RunView(run)], status: .created)
    }

    /// `POST /v1/workflows/{name}/backfill`, body `{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD", "force": false}`:
    /// backfill runs of the version in force for every tick of those days (UTC, inclusive); more than 31 days
    /// only with force, which only an admin may give.
    func backfill(_ request: Request, _ context: ArcherContext) async throws -> Response {
        let name = try context.parameters.require("name")
        let principal = try context.caller()
        let (from, to, force) = try Self.backfillBody(try await readBody(request))
        let range: BackfillRange
        do {
            range = try WorkflowOperations.backfillRange(from: from, to: to, force: force)
        } catch {
            throw APIError.badRequest(error.kind == .rangeTooLong ? "backfill_too_long" : "invalid_backfill", error.message, field: error.field)
        }
        let operation = OperationRequest(principal: principal, action: "workflow.backfill", target: "workflow/\(name)", at: now())
        let outcome = try await change(operation, adminOnly: force ? "force a backfill (more than \(WorkflowOperations.maximumBackfillDays) days)" : nil,
                                       subject: inForce(name)) { store, version in
            let outcome = try WorkflowOperations.backfill(version, range, store: store, now: operation.at)
            return (outcome, AuditedChange(after: jsonText(["from": range.from, "to": range.to, "days": range.days, "force": force,
                                                             "digest": version.stored.digest, "ticks": outcome.ticks,
                                                             "created": outcome.created.count]),
                                           outcome: outcome.created.isEmpty ? "unchanged" : "done"))
        }
        logger.notice("workflow backfilled", metadata: [
            "workflow": .string(name), "from": .string(range.from), "to": .string(range.to), "created": .stringConvertible(outcome.created.count),
        ])
        return try JSONBody.response(
            encoding: BackfillAnswer(workflow: name, from: range.from, to: range.to, days: range.days, force: force, ticks: outcome.ticks,
                                     created: outcome.created.count, existing: outcome.ticks - outcome.created.count),
            status: outcome.created.isEmpty ? .ok : .created)
    }

    /// `POST /v1/runs/{run_id}/clear`: a failed run's failed jobs (and those skipped because of them) run again.
    func clearRun(_ context: ArcherContext) async throws -> Response {
        let runID = try context.parameters.require("run_id")
        let operation = OperationRequest(principal: try context.caller(), action: "run.clear", target: "run/\(runID)", at: now())
        let run = try await change(operation, subject: runOwner(runID)) { store, before in
            try WorkflowOperations.clear(runID, store: store, now: operation.at)
            let after = try Self.run(runID, store: store)
            return (after, AuditedChange(before: jsonText(["state": before.state]), after: jsonText(["state": after.state]), outcome: "done"))
        }
        logger.notice("run cleared", metadata: ["run_id": .string(runID)])
        return try JSONBody.response(encoding: ["run": RunView(run)])
    }

    /// `POST /v1/runs/{run_id}/jobs/{job}/mark-succeeded`: the job counts as succeeded (its dependents may run).
    func markSucceeded(_ context: ArcherContext) async throws -> Response {
        let runID = try context.parameters.require("run_id")
        let job = try context.parameters.require("job")
        let operation = OperationRequest(principal: try context.caller(), action: "run.mark_succeeded",
                                         target: "run/\(runID)/job/\(job)", at: now())
        let (run, record) = try await change(operation, subject: runOwner(runID, job: job)) { store, _ in
            let before = try store.jobs(ofRun: runID).first { $0.job == job }
            try WorkflowOperations.markSucceeded(runID, job: job, store: store, now: operation.at)
            let after = (try Self.run(runID, store: store), try store.jobs(ofRun: runID).first { $0.job == job })
            return (after, AuditedChange(before: before.map { jsonText(["state": $0.state, "attempt": $0.attempt]) },
                                         after: jsonText(["state": "succeeded"]),
                                         outcome: before?.state == "succeeded" ? "unchanged" : "done"))
        }
        logger.notice("job marked succeeded", metadata: ["run_id": .string(runID), "job": .string(job)])
        return try JSONBody.response(encoding: MarkedAnswer(run: RunView(run), job: record.map(JobView.init)))
    }

    // MARK: The pieces

    /// Finds a workflow's version in force, and the project it names, for `change`.
    private func inForce(_ name: String) -> @Sendable (InsightStore) throws -> Subject<WorkflowInForce> {
        let definitions = self.definitions
        return { store in
            let version = try WorkflowOperations.inForce(name, store: store, definitions: definitions)
            return Subject(value: version, workflow: name, project: version.workflow.project)
        }
    }

    /// Finds a run (and, when `job` is given, checks it has that job), and the project its own version names.
    private func runOwner(_ runID: String, job: String? = nil) -> @Sendable (InsightStore) throws -> Subject<RunRecord> {
        let definitions = self.definitions
        return { store in
            let run = try Self.run(runID, store: store)
            if let job, try !store.jobs(ofRun: runID).contains(where: { $0.job == job }) {
                throw WorkflowOperationError(.unknownJob, "run \(runID) has no job \(job)")
            }
            return Subject(value: run, workflow: run.workflow, project: try WorkflowOperations.project(of: run, store: store, definitions: definitions))
        }
    }

    /// A run by id; `unknownRun` (404) when there is none.
    private static func run(_ runID: String, store: InsightStore) throws -> RunRecord {
        guard let run = try store.run(runID) else { throw WorkflowOperationError(.unknownRun, "no run \(runID)") }
        return run
    }

    /// One change, in one store-thread call: `subject` finds what it concerns and the project that belongs to
    /// (404 when there is nothing), the caller is authorised for that project from the routing snapshot (owner
    /// team or admin; and the admin role for `adminOnly`), then `body` makes the change with the subject, and its
    /// audit entry is written in the same transaction. A refusal (403, or 409 from the run's state) is audited
    /// too; every outcome is counted in the metrics.
    func change<S: Sendable, T: Sendable>(_ operation: OperationRequest, adminOnly: String? = nil,
                                          subject: @escaping @Sendable (InsightStore) throws -> Subject<S>,
                                          _ body: @escaping @Sendable (InsightStore, S) throws -> (T, AuditedChange)) async throws -> T {
        let snapshot = state.snapshot
        let metrics = self.metrics
        do {
            let (result, outcome) = try await operate { store -> (T, String) in
                let found = try subject(store)
                let principal = operation.principal
                let decision = Authorization.mayOperate(principal, workflow: found.workflow, project: found.project, in: snapshot)
                var refusal = decision.allowed ? nil : decision.reason
                if refusal == nil, let adminOnly, !principal.isAdmin {
                    refusal = "\(principal.name) may not \(adminOnly): that needs the admin role (roles: [admin] in the tokens file)"
                }
                if let refusal {
                    try store.appendAudit([operation.entry(outcome: "forbidden", reason: refusal)])
                    throw APIError.forbidden(refusal)
                }
                do {
                    let (result, change) = try store.audited({ try body(store, found.value) }, entry: {
                        operation.entry(outcome: $0.1.outcome, before: $0.1.before, after: $0.1.after)
                    })
                    return (result, change.outcome)
                } catch let error as WorkflowOperationError where error.kind == .runNotFailed || error.kind == .runExists {
                    try store.appendAudit([operation.entry(outcome: "refused", reason: error.message)])
                    throw error
                }
            }
            metrics.workflowOperation(operation.action, outcome: outcome)
            return result
        } catch let error as APIError {
            if error.status == .forbidden { metrics.workflowOperation(operation.action, outcome: "forbidden") }
            if error.status == .conflict { metrics.workflowOperation(operation.action, outcome: "refused") }
            throw error
        }
    }

    /// Runs `body` on the store thread. Its refusals (`WorkflowOperationError`, `APIError`) come back as answers
    /// without costing the store thread its connection; any other failure is the store's (503).
    func operate<T: Sendable>(_ body: @escaping @Sendable (InsightStore) throws -> T) async throws -> T {
        let result: Result<T, APIError> = try await storeCall { store in
            do {
                return .success(try body(store))
            } catch let error as APIError {
                return .failure(error)
            } catch let error as WorkflowOperationError {
                return .failure(Self.apiError(error))
            }
        }
        return try result.get()
    }

    /// The answer to a refused operation.
    static func apiError(_ error: WorkflowOperationError) -> APIError {
        switch error.kind {
        case .unknownWorkflow, .unknownRun, .unknownJob: APIError.notFound(error.message)
        case .invalidInput: APIError.badRequest("invalid_request", error.message, field: error.field)
        case .rangeTooLong: APIError.badRequest("backfill_too_long", error.message, field: error.field)
        case .unreadableVersion: APIError(.conflict, "version_unreadable", error.message)
        case .runExists: APIError(.conflict, "run_exists", error.message)
        case .runNotFailed: APIError(.conflict, "run_not_failed", error.message)
        }
    }

    /// The `limit` query parameter: a whole number (checked against its range by the listing).
    static func limit(_ request: Request, default value: Int) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return value }
        guard let limit = Int(text), (1...WorkflowOperations.maximumListing).contains(limit) else {
            throw APIError.badRequest("invalid_query", "limit must be a whole number from 1 to \(WorkflowOperations.maximumListing), not \"\(text)\"",
                                      field: "limit")
        }
        return limit
    }

    /// A backfill's body: a JSON object with `from` and `to` (strings) and optionally `force` (true or false);
    /// anything else is refused, naming the field.
    static func backfillBody(_ body: [UInt8]) throws -> (from: String, to: String, force: Bool) {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body)), case .object(let members) = value else {
            throw APIError.badRequest("invalid_backfill", "the body must be a JSON object such as {\"from\": \"2026-11-01\", \"to\": \"2026-11-07\"}")
        }
        if let unknown = members.first(where: { !["from", "to", "force"].contains($0.key) }) {
            throw APIError.badRequest("invalid_backfill", "unknown field \(unknown.key); the fields are from, to and force", field: unknown.key)
        }
        func day(_ key: String) throws -> String {
            guard let field = value[key] else {
                throw APIError.badRequest("invalid_backfill", "\(key) is missing; give the day as YYYY-MM-DD", field: key)
            }
            guard case .string(let text) = field else {
                throw APIError.badRequest("invalid_backfill", "\(key) must be a date string, YYYY-MM-DD, not \(field)", field: key)
            }
            return text
        }
        let from = try day("from"), to = try day("to")
        switch value["force"] {
        case nil: return (from, to, false)
        case .bool(let force)?: return (from, to, force)
        case let other?:
            throw APIError.badRequest("invalid_backfill", "force must be true or false, not \(other)", field: "force")
        }
    }
}

/// `GET /v1/runs/{run_id}`.
struct RunDetailView: Encodable, Sendable {
    var run: RunView
    var jobs: [JobView]
    var events: [EventView]
}

/// The answer to pause and unpause.
struct PauseAnswer: Encodable, Sendable {
    var workflow: String
    var paused: Bool
    /// False when it was already so.
    var changed: Bool
}

/// The answer to a backfill.
struct BackfillAnswer: Encodable, Sendable {
    var workflow: String
    var from: String
    var to: String
    var days: Int
    var force: Bool
    var ticks: Int
    var created: Int
    /// Ticks that had a backfill run already.
    var existing: Int
}

/// The answer to mark-succeeded.
struct MarkedAnswer: Encodable, Sendable {
    var run: RunView
    var job: JobView?
}
