import Foundation
import Hummingbird
import InsightStore
import Router
import Clusters

extension Archer {
    /// `POST /v1/submissions`: parse, authorise, decide, record (write-ahead), submit, record the outcome.
    /// Nothing is sent to a cluster unless the submission was recorded first: a store outage answers 503 and
    /// the caller retries; it never leaves a job running that the ingester cannot attribute.
    func submit(_ request: Request, _ context: ArcherContext) async throws -> Response {
        let started = ContinuousClock.now
        let principal = try context.caller()
        let prepared: PreparedSubmission
        do {
            prepared = try prepare(try await readBody(request), contentType: request.headers[.contentType], principal: principal)
        } catch {
            metrics.submissionRefused()
            throw error
        }
        let record = prepared.record(principal: principal.name, at: Archer.now())
        do {
            try await lane.record(record)
        } catch {
            metrics.submissionUnavailable()
            logger.error("submission not recorded; refused with 503", metadata: ["error": .string("\(error)")])
            throw APIError.unavailable("the submission could not be recorded (the store is unavailable), so it was not sent to any cluster; retry shortly")
        }
        let decision = prepared.decision
        let outcome: SubmissionStateChange
        var status: HTTPResponse.Status = .created
        if let target = options.targets[decision.cluster] {
            let manifest = prepared.manifestJSON
            do {
                // A dry run answers from memory: no reason to hop to another thread for it.
                let created = target.waitsOnNetwork
                    ? try await onCluster { try target.createSparkApplication(namespace: decision.namespace, manifestJSON: manifest) }
                    : try target.createSparkApplication(namespace: decision.namespace, manifestJSON: manifest)
                outcome = SubmissionStateChange(appID: prepared.appID, state: "submitted",
                                                detail: "uid \(created.uid)", at: Archer.now())
            } catch {
                metrics.clusterFailed()
                status = .badGateway
                outcome = SubmissionStateChange(appID: prepared.appID, state: "failed", detail: "\(error)", at: Archer.now())
            }
        } else {
            status = .badGateway
            outcome = SubmissionStateChange(appID: prepared.appID, state: "failed",
                                            detail: "cluster \(decision.cluster) (from \(decision.source.rawValue)) is not in clusters.yaml; add it there and restart the router, or fix the rule / re-run bursar allocate", at: Archer.now())
        }
        // The outcome is recorded with the next group commit, without holding the answer for it: the submission
        // itself is already durable. Should that write fail, the record stays `recorded` (the cluster has the
        // truth: GET /v1/submissions/{app_id} asks it) and the failure is logged.
        let lane = self.lane, logger = self.logger
        Task {
            do {
                try await lane.record(outcome)
            } catch {
                logger.error("submission outcome not recorded", metadata: ["app_id": .string(outcome.appID), "error": .string("\(error)")])
            }
        }
        if status == .created { metrics.submissionAccepted(after: ContinuousClock.now - started) }
        logger.debug("submission", metadata: [
            "app_id": .string(prepared.appID), "cluster": .string(decision.cluster), "queue": .string(decision.queue),
            "source": .string(decision.source.rawValue), "state": .string(outcome.state),
        ])
        return JSONBody.response(prepared.answer(state: outcome.state, detail: outcome.detail), status: status)
    }

    /// `POST /v1/decisions`: the decision a submission would get, without recording or sending anything.
    func explain(_ request: Request, _ context: ArcherContext) async throws -> Response {
        let principal = try context.caller()
        let prepared = try prepare(try await readBody(request), contentType: request.headers[.contentType], principal: principal)
        return JSONBody.response(prepared.answer(state: "not-submitted", detail: nil), status: .ok)
    }

    /// `GET /v1/submissions/{app_id}`: the record, and the cluster's view of it when the cluster can be asked.
    func submission(_ context: ArcherContext) async throws -> Response {
        let principal = try context.caller()
        let appID = try context.parameters.require("app_id")
        guard let record = try await lane.run({ try $0.submission(appID: appID) }) else {
            throw APIError.notFound("no submission with app id \(appID)")
        }
        if !principal.isAdmin && record.principal != principal.name {
            let allowed = Authorization.maySubmit(principal, project: record.project, in: state.snapshot)
            guard allowed.allowed else {
                throw APIError.forbidden("\(principal.name) may not read submissions of project \(record.project): \(allowed.reason)")
            }
        }
        var live: [String: Any] = [:]
        if record.state == "submitted", let target = options.targets[record.cluster] {
            do {
                let status = try await onCluster {
                    try target.sparkApplicationStatus(namespace: record.namespace, name: record.appID)
                }
                live["state"] = status.state
                if let message = status.errorMessage { live["message"] = message }
            } catch {
                live["error"] = "\(error)"
            }
        }
        var body: [String: Any] = [
            "app_id": record.appID, "submitted_at": record.submittedAt, "principal": record.principal,
            "project": record.project, "tier": record.tier, "cluster": record.cluster, "queue": record.queue,
            "namespace": record.namespace, "source": record.source, "reason": record.reason, "state": record.state,
            "updated_at": record.updatedAt,
        ]
        for (key, value) in [("org", record.org), ("workflow", record.workflow), ("job", record.job),
                             ("run_id", record.runID), ("rule_id", record.ruleID), ("state_detail", record.stateDetail)] {
            if let value { body[key] = value }
        }
        if let scheduledAt = record.scheduledAt { body["scheduled_at"] = scheduledAt }
        if !live.isEmpty { body["cluster_status"] = live }
        return JSONBody.response(Array(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) + [0x0A])
    }

    /// Parse, authorise, decide and mutate: everything before the store.
    func prepare(_ body: [UInt8], contentType: String?, principal: Principal) throws -> PreparedSubmission {
        let submission: Submission
        do {
            submission = try SubmissionParser.parse(body, contentType: contentType)
        } catch {
            throw APIError.badRequest("invalid_submission", error.message, field: error.field.isEmpty ? nil : error.field,
                                      line: error.line)
        }
        let snapshot = state.snapshot
        let authorization = Authorization.maySubmit(principal, project: submission.facts.project, in: snapshot)
        guard authorization.allowed else {
            throw APIError.forbidden(authorization.reason)
        }
        // The org is the project's (projects.csv/owners.csv), never the submission's.
        let facts: SubmissionFacts
        do {
            facts = try TrustedIdentity.facts(submission, in: snapshot)
        } catch {
            throw APIError.badRequest("invalid_submission", error.message, field: error.field, line: error.line)
        }
        var decision: RoutingDecision
        do {
            decision = try SubmissionRouter.decide(facts, user: principal.name, in: snapshot)
        } catch {
            if case .invalidTier = error { throw APIError.badRequest("invalid_submission", "\(error)", field: "tier") }
            throw APIError(.serviceUnavailable, "no_cluster", "\(error)")
        }
        decision.removedFields = submission.removedFields
        let appID = AppID.make(name: submission.facts.name, workflow: submission.facts.workflow,
                               nonce: UInt64.random(in: 0...UInt64.max))
        let manifest = ManifestMutation.apply(decision, appID: appID, to: submission)
        return PreparedSubmission(appID: appID, facts: facts, decision: decision, manifestJSON: manifest.jsonBytes())
    }
}

/// A submission ready to record and send.
struct PreparedSubmission: Sendable {
    var appID: String
    var facts: SubmissionFacts
    var decision: RoutingDecision
    var manifestJSON: [UInt8]

    func record(principal: String, at time: Int64) -> SubmissionRecord {
        SubmissionRecord(
            appID: appID, submittedAt: time, principal: principal, org: facts.org, project: facts.project,
            tier: facts.tier, workflow: facts.workflow, job: facts.job, runID: facts.runID, scheduledAt: facts.scheduledAt,
            cluster: decision.cluster, queue: decision.queue, namespace: decision.namespace,
            source: decision.source.rawValue, ruleID: decision.ruleID, reason: decision.reason, state: "recorded",
            updatedAt: time, manifest: String(decoding: manifestJSON, as: UTF8.self))
    }

    /// `{"app_id":…,"decision":{…},"detail":…,"state":…,"manifest":{…}}`, written directly (this is every
    /// submission's answer; the manifest is spliced in as the JSON it already is).
    func answer(state: String, detail: String?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(manifestJSON.count + 512)
        out += Array("{\"app_id\":".utf8) + GoJSON.string(appID)
        out += Array(",\"decision\":{\"cluster\":".utf8) + GoJSON.string(decision.cluster)
        out += Array(",\"fallback_used\":".utf8) + Array((decision.fallbackUsed ? "true" : "false").utf8)
        out += Array(",\"namespace\":".utf8) + GoJSON.string(decision.namespace)
        out += Array(",\"queue\":".utf8) + GoJSON.string(decision.queue)
        out += Array(",\"reason\":".utf8) + GoJSON.string(decision.reason)
        if let ruleID = decision.ruleID { out += Array(",\"rule_id\":".utf8) + GoJSON.string(ruleID) }
        out += Array(",\"source\":".utf8) + GoJSON.string(decision.source.rawValue) + [0x7D]
        if let detail { out += Array(",\"detail\":".utf8) + GoJSON.string(detail) }
        out += Array(",\"state\":".utf8) + GoJSON.string(state)
        out += Array(",\"manifest\":".utf8) + manifestJSON + Array("}\n".utf8)
        return out
    }
}
