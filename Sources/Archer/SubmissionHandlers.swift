import Foundation
import Hummingbird
import HTTPTypes
import InsightStore
import Routing
import Clusters

extension Archer {
    /// `POST /v1/submissions`: parse, authorise, decide, record (write-ahead), submit, record the outcome.
    /// Nothing is sent to a cluster unless the submission was recorded first: a store outage answers 503 and
    /// the caller retries; it never leaves a job running that the ingester cannot attribute.
    ///
    /// With an idempotency key (the `Idempotency-Key` header, or the app id the client chose in the label
    /// `bursar.dev/app-id`) a retry finds the first attempt's row, by principal and key, and is answered from
    /// it (same app id, same decision, its state now) with nothing created; this holds when the first answer
    /// was lost in a crash too, since the row was written before anything was sent. A timeout or a reset
    /// connection while creating leaves the outcome `unknown` (answered 202): the reconciler and
    /// `GET /v1/submissions/{app_id}` settle it from what the cluster has.
    func submit(_ request: Request, _ context: ArcherContext) async throws -> Response {
        let started = ContinuousClock.now
        let principal = try context.caller()
        let prepared: PreparedSubmission
        do {
            prepared = try prepare(try await readBody(request), contentType: request.headers[.contentType], principal: principal,
                                   idempotencyKey: request.headers[Self.idempotencyKeyField])
        } catch {
            metrics.submissionRefused()
            throw error
        }
        let record = prepared.record(principal: principal.name, at: now())
        let written: Bool
        do {
            written = try await storeThread.record(record)
        } catch {
            metrics.submissionUnavailable()
            logger.error("submission not recorded; refused with 503", metadata: ["error": .string("\(error)")])
            throw APIError.unavailable("the submission could not be recorded (the store is unavailable), so it was not sent to any cluster; retry shortly")
        }
        guard written else { return try await replay(prepared, principal: principal.name) }
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
                                                detail: "uid \(created.uid)", at: now())
            } catch let error as ClusterError where error.outcomeUnknown {
                // The API server may have created it: neither `failed` (the client would submit again and run it
                // twice) nor `submitted`. The reconciler asks the cluster and settles it.
                metrics.submissionOutcomeUnknown()
                status = .accepted
                outcome = SubmissionStateChange(
                    appID: prepared.appID, state: "unknown",
                    detail: "\(error); the cluster may have created it: GET /v1/submissions/\(prepared.appID) tells once the router has asked it",
                    at: now())
            } catch {
                metrics.clusterFailed()
                status = .badGateway
                outcome = SubmissionStateChange(appID: prepared.appID, state: "failed", detail: "\(error)", at: now())
            }
        } else {
            status = .badGateway
            outcome = SubmissionStateChange(appID: prepared.appID, state: "failed",
                                            detail: "cluster \(decision.cluster) (from \(decision.source.rawValue)) is not in clusters.yaml; add it there and restart the router, or fix the rule / re-run bursar allocate", at: now())
        }
        // The outcome is recorded with the next group commit, without holding the answer for it: the submission
        // itself is already durable. Should that write fail (or the router die first), the record stays
        // `recorded`, and the reconciler settles it from the cluster's truth.
        let storeThread = self.storeThread, logger = self.logger
        Task {
            do {
                try await storeThread.record(outcome)
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

    /// How long after its row was written a submission may still be being created by the request that wrote
    /// it (the create's 30 s timeout, and a margin for the outcome's group commit).
    static let inFlightCreateMillis: Int64 = 35_000
    /// The longest a replayed submission waits for that outcome.
    static let replayWaitMillis: Int64 = 10_000

    static let idempotencyKeyField = HTTPField.Name("Idempotency-Key")!
    static let replayedField = HTTPField.Name("Idempotent-Replayed")!

    /// The answer to a submission whose app id or idempotency key was already recorded: the first attempt's
    /// answer, from its row, when the row is this caller's under this key; otherwise the app id is someone
    /// else's, and nothing about that submission is told.
    private func replay(_ prepared: PreparedSubmission, principal: String) async throws -> Response {
        let key = prepared.idempotencyKey
        let found: SubmissionRecord?
        do {
            found = try await storeThread.run { store -> SubmissionRecord? in
                guard let key else { return nil }
                return try store.submission(principal: principal, idempotencyKey: key)
            }
        } catch {
            metrics.submissionUnavailable()
            throw APIError.unavailable("the submission was recorded before, but its record cannot be read now (the store is unavailable); retry shortly with the same key")
        }
        guard var first = found else {
            metrics.submissionRefused()
            throw APIError(.conflict, "app_id_taken",
                           "app id \(prepared.appID) belongs to another submission; choose another bursar.dev/app-id (or leave it out)",
                           field: "metadata.labels[\"\(PreparedSubmission.appIDLabel)\"]")
        }
        // The same submission sent to two routers at once (or retried at once): the other request recorded it and
        // is creating it on the cluster now. Its answer is what this caller must get too, so wait for that
        // outcome, as long as the create may take, rather than answer `recorded` while it is in flight. A row left
        // `recorded` longer than that (its router died) is answered as it is; the reconciler settles it.
        // Waited on the monotonic clock: the injected one (tests) need not move.
        let inFlightFor = max(0, min(Self.replayWaitMillis, first.updatedAt + Self.inFlightCreateMillis - now()))
        let waitUntil = ContinuousClock.now + .milliseconds(inFlightFor)
        while first.state == "recorded" && ContinuousClock.now < waitUntil {
            try await Task.sleep(for: .milliseconds(25))
            let appID = first.appID
            guard let again = try? await storeThread.run({ try $0.submission(appID: appID) }) else { break }
            first = again
        }
        let status: HTTPResponse.Status = switch first.state {
        case "submitted": .created
        case "failed": .badGateway
        default: .accepted
        }
        var response = JSONBody.response(PreparedSubmission.answer(first), status: status)
        response.headers[Self.replayedField] = "true"
        metrics.submissionReplayed()
        return response
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
        guard var record = try await storeThread.run({ try $0.submission(appID: appID) }) else {
            throw APIError.notFound("no submission with app id \(appID)")
        }
        if !principal.isAdmin && record.principal != principal.name {
            let allowed = Authorization.maySubmit(principal, project: record.project, in: state.snapshot)
            guard allowed.allowed else {
                throw APIError.forbidden("\(principal.name) may not read submissions of project \(record.project): \(allowed.reason)")
            }
        }
        var live: [String: Any] = [:]
        if ["submitted", "recorded", "unknown"].contains(record.state), let target = options.targets[record.cluster] {
            do {
                let namespace = record.namespace
                let status = try await onCluster {
                    try target.sparkApplicationStatus(namespace: namespace, name: appID)
                }
                live["state"] = status.state
                if let message = status.errorMessage { live["message"] = message }
                if record.state != "submitted" {
                    // The cluster has it: that settles a `recorded` or `unknown` row here and now.
                    let change = SubmissionStateChange(appID: record.appID, state: "submitted",
                                                       detail: "uid \(status.uid) (found on the cluster)", at: now())
                    try? await storeThread.record(change)
                    (record.state, record.stateDetail, record.updatedAt) = (change.state, change.detail, change.at)
                }
            } catch let error as ClusterError where error.isNotFound && record.state != "submitted" {
                live["error"] = "not on the cluster (yet): the router sends it again or marks it failed when it reconciles"
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

    /// Parse, authorise, decide and mutate: everything before the store. The app id is the client's
    /// (`bursar.dev/app-id`), one derived from the caller and its idempotency key (so every retry names the
    /// same SparkApplication), or a random one.
    func prepare(_ body: [UInt8], contentType: String?, principal: Principal, idempotencyKey header: String? = nil)
        throws -> PreparedSubmission {
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
        let chosen = submission.facts.labels[PreparedSubmission.appIDLabel]
        if let chosen, !PreparedSubmission.isAppID(chosen) {
            throw APIError.badRequest("invalid_submission",
                                      "\"\(chosen)\" is not an app id: use lower-case letters, digits and '-', at most \(AppID.maximumLength), starting and ending with a letter or digit",
                                      field: "metadata.labels[\"\(PreparedSubmission.appIDLabel)\"]")
        }
        if let header, header.isEmpty || header.utf8.count > 255 || !header.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 }) {
            throw APIError.badRequest("invalid_idempotency_key", "the Idempotency-Key header must be 1 to 255 visible ASCII characters",
                                      field: "Idempotency-Key")
        }
        let key = header ?? chosen
        let nonce = key.map { PreparedSubmission.nonce(principal: principal.name, key: $0) } ?? UInt64.random(in: 0...UInt64.max)
        let appID = chosen ?? AppID.make(name: submission.facts.name, workflow: submission.facts.workflow, nonce: nonce)
        let manifest = ManifestMutation.apply(decision, appID: appID, to: submission)
        return PreparedSubmission(appID: appID, facts: facts, decision: decision, manifestJSON: manifest.jsonBytes(),
                                  idempotencyKey: key)
    }
}

/// A submission ready to record and send.
struct PreparedSubmission: Sendable {
    var appID: String
    var facts: SubmissionFacts
    var decision: RoutingDecision
    var manifestJSON: [UInt8]
    /// The client's idempotency key, if it gave one.
    var idempotencyKey: String?

    /// The label a client sets to choose its app id (which is then its idempotency key too).
    static let appIDLabel = "bursar.dev/app-id"

    func record(principal: String, at time: Int64) -> SubmissionRecord {
        SubmissionRecord(
            appID: appID, submittedAt: time, principal: principal, org: facts.org, project: facts.project,
            tier: facts.tier, workflow: facts.workflow, job: facts.job, runID: facts.runID, scheduledAt: facts.scheduledAt,
            cluster: decision.cluster, queue: decision.queue, namespace: decision.namespace,
            source: decision.source.rawValue, ruleID: decision.ruleID, reason: decision.reason, state: "recorded",
            updatedAt: time, manifest: String(decoding: manifestJSON, as: UTF8.self), idempotencyKey: idempotencyKey,
            fallbackUsed: decision.fallbackUsed)
    }

    /// Whether `text` may be an app id: a Kubernetes name and a YuniKorn label value.
    static func isAppID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        func alphanumeric(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }
        guard let first = bytes.first, let last = bytes.last, bytes.count <= AppID.maximumLength,
              alphanumeric(first), alphanumeric(last) else { return false }
        return bytes.allSatisfy { alphanumeric($0) || $0 == 45 }
    }

    /// The app id's nonce for a keyed submission: FNV-1a of principal and key, so a retry gets the same id
    /// and two callers' equal keys get different ones.
    static func nonce(principal: String, key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in principal.utf8 + [0] + key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return hash
    }

    /// `{"app_id":…,"decision":{…},"detail":…,"state":…,"manifest":{…}}`, written directly (this is every
    /// submission's answer; the manifest is spliced in as the JSON it already is).
    func answer(state: String, detail: String?) -> [UInt8] {
        Self.answer(appID: appID, cluster: decision.cluster, fallbackUsed: decision.fallbackUsed, namespace: decision.namespace,
                    queue: decision.queue, reason: decision.reason, ruleID: decision.ruleID, source: decision.source.rawValue,
                    detail: detail, state: state, manifest: manifestJSON)
    }

    /// The answer a recorded submission was given (its state now), for a retry.
    static func answer(_ record: SubmissionRecord) -> [UInt8] {
        answer(appID: record.appID, cluster: record.cluster, fallbackUsed: record.fallbackUsed, namespace: record.namespace,
               queue: record.queue, reason: record.reason, ruleID: record.ruleID, source: record.source,
               detail: record.stateDetail, state: record.state, manifest: Array(record.manifest.utf8))
    }

    private static func answer(appID: String, cluster: String, fallbackUsed: Bool, namespace: String, queue: String,
                               reason: String, ruleID: String?, source: String, detail: String?, state: String,
                               manifest: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(manifest.count + 512)
        out += Array("{\"app_id\":".utf8) + GoJSON.string(appID)
        out += Array(",\"decision\":{\"cluster\":".utf8) + GoJSON.string(cluster)
        out += Array(",\"fallback_used\":".utf8) + Array((fallbackUsed ? "true" : "false").utf8)
        out += Array(",\"namespace\":".utf8) + GoJSON.string(namespace)
        out += Array(",\"queue\":".utf8) + GoJSON.string(queue)
        out += Array(",\"reason\":".utf8) + GoJSON.string(reason)
        if let ruleID { out += Array(",\"rule_id\":".utf8) + GoJSON.string(ruleID) }
        out += Array(",\"source\":".utf8) + GoJSON.string(source) + [0x7D]
        if let detail { out += Array(",\"detail\":".utf8) + GoJSON.string(detail) }
        out += Array(",\"state\":".utf8) + GoJSON.string(state)
        out += Array(",\"manifest\":".utf8) + manifest + Array("}\n".utf8)
        return out
    }
}
