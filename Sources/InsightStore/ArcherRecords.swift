import Foundation
import Store

/// One submission as the router recorded it: who sent it, what it was, where it was routed and why, and
/// what became of it at the cluster.
public struct SubmissionRecord: Sendable, Equatable {
    public var appID: String
    public var submittedAt: Int64
    public var principal: String
    public var org: String?
    public var project: String
    public var tier: Int
    public var workflow: String?
    public var job: String?
    public var runID: String?
    /// When the workflow run was scheduled (ms); with workflow and run id it makes the `job_apps` row.
    public var scheduledAt: Int64?
    public var cluster: String
    public var queue: String
    public var namespace: String
    /// `rule`, `routing-table` or `onboarding`.
    public var source: String
    public var ruleID: String?
    public var reason: String
    /// `recorded` (decided, not yet answered by the cluster), `submitted`, `unknown` (sent, no answer: a
    /// timeout or a reset connection), `failed`. `recorded` and `unknown` are settled by the reconciler.
    public var state: String
    public var stateDetail: String?
    public var updatedAt: Int64
    /// The mutated manifest as sent, JSON.
    public var manifest: String
    /// The client's idempotency key (unique per principal), if it gave one.
    public var idempotencyKey: String?
    /// Whether the decision fell back from a cordoned or unhealthy target.
    public var fallbackUsed: Bool
    /// How many times the reconciler tried to settle it.
    public var attempts: Int

    public init(appID: String, submittedAt: Int64, principal: String, org: String?, project: String, tier: Int,
                workflow: String?, job: String?, runID: String?, scheduledAt: Int64?, cluster: String, queue: String,
                namespace: String, source: String, ruleID: String?, reason: String, state: String,
                stateDetail: String? = nil, updatedAt: Int64, manifest: String, idempotencyKey: String? = nil,
                fallbackUsed: Bool = false, attempts: Int = 0) {
        self.appID = appID
        self.submittedAt = submittedAt
        self.principal = principal
        self.org = org
        self.project = project
        self.tier = tier
        self.workflow = workflow
        self.job = job
        self.runID = runID
        self.scheduledAt = scheduledAt
        self.cluster = cluster
        self.queue = queue
        self.namespace = namespace
        self.source = source
        self.ruleID = ruleID
        self.reason = reason
        self.state = state
        self.stateDetail = stateDetail
        self.updatedAt = updatedAt
        self.manifest = manifest
        self.idempotencyKey = idempotencyKey
        self.fallbackUsed = fallbackUsed
        self.attempts = attempts
    }

    /// The `job_apps` row this submission implies, when it names its workflow run.
    var jobApp: (workflow: String, job: String, runID: String, scheduledAt: Int64)? {
        guard let workflow, let runID, let scheduledAt else { return nil }
        return (workflow, job ?? "", runID, scheduledAt)
    }
}

/// A change of a submission's state after the cluster answered.
public struct SubmissionStateChange: Sendable, Equatable {
    public var appID: String
    public var state: String
    public var detail: String?
    public var at: Int64
    /// Whether this change is one of the reconciler's tries (counted in `attempts`).
    public var countsAttempt: Bool

    public init(appID: String, state: String, detail: String?, at: Int64, countsAttempt: Bool = false) {
        self.appID = appID
        self.state = state
        self.detail = detail
        self.at = at
        self.countsAttempt = countsAttempt
    }
}

/// A routing rule as stored: its JSON body (the router's `RoutingRule`), priority and revision.
public struct StoredRule: Sendable, Equatable {
    public var id: String
    public var priority: Int
    public var body: String
    public var revision: Int64
    public var updatedAt: Int64
    public var updatedBy: String

    public init(id: String, priority: Int, body: String, revision: Int64, updatedAt: Int64, updatedBy: String) {
        self.id = id
        self.priority = priority
        self.body = body
        self.revision = revision
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }
}

/// One audit entry: who did what to what, when, with the state before and after (JSON).
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64?
    public var at: Int64
    public var principal: String
    public var action: String
    public var target: String
    public var before: String?
    public var after: String?
    public var detail: String?

    public init(id: Int64? = nil, at: Int64, principal: String, action: String, target: String, before: String?,
                after: String?, detail: String?) {
        self.id = id
        self.at = at
        self.principal = principal
        self.action = action
        self.target = target
        self.before = before
        self.after = after
        self.detail = detail
    }
}

/// A cluster an admin took out of routing.
public struct ClusterCordon: Sendable, Equatable {
    public var cluster: String
    public var reason: String
    public var by: String
    public var at: Int64

    public init(cluster: String, reason: String, by: String, at: Int64) {
        self.cluster = cluster
        self.reason = reason
        self.by = by
        self.at = at
    }
}

/// A rule write that lost a race: someone changed the rule since the revision the caller read.
public struct RuleRevisionConflict: Error, Sendable, Equatable, CustomStringConvertible {
    public var id: String
    public var expected: Int64
    public var current: Int64?

    public init(id: String, expected: Int64, current: Int64?) {
        self.id = id
        self.expected = expected
        self.current = current
    }

    public var description: String {
        if let current {
            return "rule \(id) is at revision \(current), not \(expected): read it again and reapply your change"
        }
        return "rule \(id) does not exist (expected revision \(expected)); create it without a revision"
    }
}

extension InsightStore {
    // MARK: Submissions

    /// Records accepted submissions and their `job_apps` rows in one transaction: all of them or none (a
    /// duplicate app id or idempotency key refuses the batch).
    public func recordSubmissions(_ records: [SubmissionRecord]) throws {
        let inserted = try recordSubmissionsOnce(records, refusingDuplicates: true)
        precondition(inserted.allSatisfy { $0 })
    }

    /// Records the submissions that are new, in one transaction, and says which were: false for one whose app
    /// id, or principal and idempotency key, is already recorded (a retry; that row is left as it is). A
    /// duplicate never fails the others written with it.
    public func recordSubmissionsOnce(_ records: [SubmissionRecord]) throws -> [Bool] {
        try recordSubmissionsOnce(records, refusingDuplicates: false)
    }

    private func recordSubmissionsOnce(_ records: [SubmissionRecord], refusingDuplicates: Bool) throws -> [Bool] {
        guard !records.isEmpty else { return [] }
        // Written in app id order: two routers on one PostgreSQL group-committing the same submissions (a client
        // sending each to both) then take their unique-index locks in one order. In arrival order one router
        // could hold app A waiting for B while the other held B waiting for A, and PostgreSQL would end one
        // transaction as a deadlock (40P01), failing every submission of its group with 503.
        let order = records.indices.sorted { records[$0].appID < records[$1].appID }
        let written = try retryingConflicts {
            try connection.transaction { try insertSubmissions(order.map { records[$0] }, refusingDuplicates: refusingDuplicates) }
        }
        var inserted = Array(repeating: false, count: records.count)
        for (position, index) in order.enumerated() { inserted[index] = written[position] }
        return inserted
    }

    /// Runs `body` (one whole transaction) again when PostgreSQL rolled it back as a deadlock or serialization
    /// failure, up to 5 times in all; other errors, and the last one, are thrown.
    func retryingConflicts<T>(_ body: () throws -> T) throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try body()
            } catch let error as PostgresError where attempt < 5 && ["40001", "40P01"].contains(error.sqlState ?? "") {
                Thread.sleep(forTimeInterval: 0.005 * Double(attempt))
            }
        }
    }

    private func insertSubmissions(_ records: [SubmissionRecord], refusingDuplicates: Bool) throws -> [Bool] {
        do {
            let insert = try prepared("""
                INSERT INTO submissions (app_id, submitted_at, principal, org, project, tier, workflow, job, run_id,
                    scheduled_at, cluster, queue, namespace, source, rule_id, reason, state, state_detail, updated_at,
                    idempotency_key, fallback_used, attempts)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """ + (refusingDuplicates ? "" : " ON CONFLICT DO NOTHING"))
            let manifest = try prepared("INSERT INTO submission_manifests (app_id, manifest) VALUES (?, ?)")
            // A job_apps row already there (the same app id from a mappings file) is the ingester's truth.
            let jobApp = try prepared("""
                INSERT INTO job_apps (app_id, workflow, job, run_id, scheduled_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (app_id) DO NOTHING
                """)
            var inserted: [Bool] = []
            inserted.reserveCapacity(records.count)
            for record in records {
                let rows = try insert.run([
                    .text(record.appID), .integer(record.submittedAt), .text(record.principal), .text(record.org),
                    .text(record.project), .integer(Int64(record.tier)), .text(record.workflow), .text(record.job),
                    .text(record.runID), .integer(record.scheduledAt), .text(record.cluster), .text(record.queue),
                    .text(record.namespace), .text(record.source), .text(record.ruleID), .text(record.reason),
                    .text(record.state), .text(record.stateDetail), .integer(record.updatedAt),
                    .text(record.idempotencyKey), .integer(record.fallbackUsed ? 1 : 0), .integer(Int64(record.attempts)),
                ])
                inserted.append(rows > 0)
                guard rows > 0 else { continue }
                try manifest.run([.text(record.appID), .text(record.manifest)])
                if let row = record.jobApp {
                    try jobApp.run([.text(record.appID), .text(row.workflow), .text(row.job), .text(row.runID),
                                    .integer(row.scheduledAt)])
                }
            }
            return inserted
        }
    }

    /// Applies state changes (the cluster's answers) in one transaction. Only an unsettled row (`recorded`,
    /// `unknown`) changes: `submitted` and `failed` are final, so a late or repeated answer (the request's own
    /// and the reconciler's, racing) never undoes a settled one.
    public func updateSubmissionStates(_ changes: [SubmissionStateChange]) throws {
        guard !changes.isEmpty else { return }
        // In app id order, for the same reason as `recordSubmissionsOnce`: routers updating the same rows.
        let changes = changes.sorted { $0.appID < $1.appID }
        try retryingConflicts { try connection.transaction {
            let update = try prepared("""
                UPDATE submissions SET state = ?, state_detail = ?, updated_at = ?, attempts = attempts + ?
                WHERE app_id = ? AND state IN ('recorded', 'unknown')
                """)
            for change in changes {
                try update.run([.text(change.state), .text(change.detail), .integer(change.at),
                                .integer(change.countsAttempt ? 1 : 0), .text(change.appID)])
            }
        } }
    }

    private static let submissionColumns = """
        SELECT s.app_id, s.submitted_at, s.principal, s.org, s.project, s.tier, s.workflow, s.job, s.run_id,
            s.scheduled_at, s.cluster, s.queue, s.namespace, s.source, s.rule_id, s.reason, s.state, s.state_detail,
            s.updated_at, m.manifest, s.idempotency_key, s.fallback_used, s.attempts
        FROM submissions s LEFT JOIN submission_manifests m ON m.app_id = s.app_id
        """

    private static func submissionRecord(_ row: [SQLValue]) -> SubmissionRecord {
        SubmissionRecord(
            appID: row[0].string ?? "", submittedAt: row[1].int64 ?? 0, principal: row[2].string ?? "",
            org: row[3].string, project: row[4].string ?? "", tier: Int(row[5].int64 ?? 0), workflow: row[6].string,
            job: row[7].string, runID: row[8].string, scheduledAt: row[9].int64, cluster: row[10].string ?? "",
            queue: row[11].string ?? "", namespace: row[12].string ?? "", source: row[13].string ?? "",
            ruleID: row[14].string, reason: row[15].string ?? "", state: row[16].string ?? "",
            stateDetail: row[17].string, updatedAt: row[18].int64 ?? 0, manifest: row[19].string ?? "",
            idempotencyKey: row[20].string, fallbackUsed: (row[21].int64 ?? 0) != 0, attempts: Int(row[22].int64 ?? 0))
    }

    /// One recorded submission.
    public func submission(appID: String) throws -> SubmissionRecord? {
        try prepared(Self.submissionColumns + " WHERE s.app_id = ?").query([.text(appID)]).first.map(Self.submissionRecord)
    }

    /// The submission `principal` recorded under idempotency key `key`: only that caller's.
    public func submission(principal: String, idempotencyKey key: String) throws -> SubmissionRecord? {
        try prepared(Self.submissionColumns + " WHERE s.principal = ? AND s.idempotency_key = ?")
            .query([.text(principal), .text(key)]).first.map(Self.submissionRecord)
    }

    /// Submissions still `recorded` or `unknown` whose last change is at or before `updatedBefore`, oldest
    /// first, at most `limit`: what the reconciler settles.
    public func unsettledSubmissions(updatedBefore: Int64, limit: Int) throws -> [SubmissionRecord] {
        try prepared(Self.submissionColumns + """
             WHERE s.state IN ('recorded', 'unknown') AND s.updated_at <= ? ORDER BY s.updated_at, s.app_id LIMIT ?
            """).query([.integer(updatedBefore), .integer(Int64(limit))]).map(Self.submissionRecord)
    }

    /// How many submissions are recorded.
    public func submissionCount() throws -> Int {
        Int(try prepared("SELECT COUNT(*) FROM submissions").query([]).first?.first?.int64 ?? 0)
    }

    // MARK: Rules

    /// Every routing rule, by id.
    public func routingRules() throws -> [StoredRule] {
        try prepared("SELECT id, priority, body, revision, updated_at, updated_by FROM routing_rules ORDER BY id")
            .query([]).map(Self.storedRule)
    }

    /// Creates or replaces a rule and audits the change, in one transaction. With `expectedRevision` the write
    /// only happens if the stored rule is still at that revision (optimistic concurrency).
    ///
    /// Several routers share the store, so the rule read first may change before the write: the write is
    /// conditional on what was read (an insert that does nothing when another created the rule meanwhile, an
    /// update only of the revision read), and when it does not apply the change is judged again on the rule
    /// as it now is. Before, two routers changing one rule at once both wrote the same next revision and
    /// audited it twice, each with the same `before` (a lost update the audit log hid), and two creating one
    /// both audited a `rule.create`.
    @discardableResult
    public func putRule(id: String, priority: Int, body: String, by principal: String, at time: Int64,
                        expectedRevision: Int64? = nil) throws -> (before: StoredRule?, after: StoredRule) {
        for _ in 0..<Self.ruleWriteAttempts {
            let written = try transaction { () throws -> (before: StoredRule?, after: StoredRule)? in
                let before = try rule(id: id)
                if let expectedRevision, before?.revision != expectedRevision {
                    throw RuleRevisionConflict(id: id, expected: expectedRevision, current: before?.revision)
                }
                let after = StoredRule(id: id, priority: priority, body: body, revision: (before?.revision ?? 0) + 1,
                                       updatedAt: time, updatedBy: principal)
                let changed: Int
                if let before {
                    changed = try prepared("""
                        UPDATE routing_rules SET priority = ?, body = ?, revision = ?, updated_at = ?, updated_by = ?
                        WHERE id = ? AND revision = ?
                        """).run([.integer(Int64(priority)), .text(body), .integer(after.revision), .integer(time),
                                  .text(principal), .text(id), .integer(before.revision)])
                } else {
                    changed = try prepared("""
                        INSERT INTO routing_rules (id, priority, body, revision, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (id) DO NOTHING
                        """).run([.text(id), .integer(Int64(priority)), .text(body), .integer(after.revision), .integer(time),
                                  .text(principal)])
                }
                guard changed > 0 else { return nil }
                try insertAudit(AuditEntry(at: time, principal: principal, action: before == nil ? "rule.create" : "rule.update",
                                           target: "rule/\(id)", before: before?.body, after: body, detail: "revision \(after.revision)"))
                return (before, after)
            }
            if let written { return written }
        }
        throw StoreError("rule \(id) kept changing under this write (\(Self.ruleWriteAttempts) attempts); retry")
    }

    /// Deletes a rule and audits it; nil when there was no such rule (nothing is audited then). Conditional on
    /// the revision read, like `putRule`: of two routers deleting one rule, one deletes and audits it.
    @discardableResult
    public func deleteRule(id: String, by principal: String, at time: Int64, expectedRevision: Int64? = nil) throws -> StoredRule? {
        for _ in 0..<Self.ruleWriteAttempts {
            let outcome = try transaction { () throws -> StoredRule?? in
                guard let before = try rule(id: id) else { return .some(nil) }
                if let expectedRevision, before.revision != expectedRevision {
                    throw RuleRevisionConflict(id: id, expected: expectedRevision, current: before.revision)
                }
                let deleted = try prepared("DELETE FROM routing_rules WHERE id = ? AND revision = ?")
                    .run([.text(id), .integer(before.revision)])
                guard deleted > 0 else { return nil }
                try insertAudit(AuditEntry(at: time, principal: principal, action: "rule.delete", target: "rule/\(id)",
                                           before: before.body, after: nil, detail: "was revision \(before.revision)"))
                return .some(before)
            }
            if let outcome { return outcome }
        }
        throw StoreError("rule \(id) kept changing under this delete (\(Self.ruleWriteAttempts) attempts); retry")
    }

    /// How many times a rule write is judged again when another router changed the rule between its read and
    /// its write.
    static let ruleWriteAttempts = 20

    private func rule(id: String) throws -> StoredRule? {
        try prepared("SELECT id, priority, body, revision, updated_at, updated_by FROM routing_rules WHERE id = ?")
            .query([.text(id)]).first.map(Self.storedRule)
    }

    private static func storedRule(_ row: [SQLValue]) -> StoredRule {
        StoredRule(id: row[0].string ?? "", priority: Int(row[1].int64 ?? 0), body: row[2].string ?? "",
                   revision: row[3].int64 ?? 0, updatedAt: row[4].int64 ?? 0, updatedBy: row[5].string ?? "")
    }

    // MARK: Audit

    /// Appends audit entries in one transaction.
    public func appendAudit(_ entries: [AuditEntry]) throws {
        guard !entries.isEmpty else { return }
        try transaction {
            for entry in entries { try insertAudit(entry) }
        }
    }

    func insertAudit(_ entry: AuditEntry) throws {
        try prepared("""
            INSERT INTO audit_log (at, principal, action, target, before_json, after_json, detail) VALUES (?, ?, ?, ?, ?, ?, ?)
            """).run([.integer(entry.at), .text(entry.principal), .text(entry.action), .text(entry.target),
                      .text(entry.before), .text(entry.after), .text(entry.detail)])
    }

    /// The newest audit entries first, at most `limit`, optionally only those with an id below `before`.
    public func audit(limit: Int, before: Int64? = nil) throws -> [AuditEntry] {
        try prepared("""
            SELECT id, at, principal, action, target, before_json, after_json, detail FROM audit_log
            WHERE id < ? ORDER BY id DESC LIMIT ?
            """).query([.integer(before ?? Int64.max), .integer(Int64(limit))]).map { row in
            AuditEntry(id: row[0].int64, at: row[1].int64 ?? 0, principal: row[2].string ?? "", action: row[3].string ?? "",
                       target: row[4].string ?? "", before: row[5].string, after: row[6].string, detail: row[7].string)
        }
    }

    // MARK: Cordons

    /// Takes a cluster out of routing (or updates why), audited.
    public func cordon(_ cordon: ClusterCordon) throws {
        try connection.transaction {
            try prepared("""
                INSERT INTO cluster_cordons (cluster, reason, cordoned_by, cordoned_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (cluster) DO UPDATE SET reason = excluded.reason, cordoned_by = excluded.cordoned_by,
                    cordoned_at = excluded.cordoned_at
                """).run([.text(cordon.cluster), .text(cordon.reason), .text(cordon.by), .integer(cordon.at)])
            try insertAudit(AuditEntry(at: cordon.at, principal: cordon.by, action: "cluster.cordon",
                                       target: "cluster/\(cordon.cluster)", before: nil, after: nil, detail: cordon.reason))
        }
    }

    /// Puts a cluster back into routing, audited; false when it was not cordoned.
    @discardableResult
    public func uncordon(cluster: String, by principal: String, at time: Int64) throws -> Bool {
        try connection.transaction {
            let removed = try prepared("DELETE FROM cluster_cordons WHERE cluster = ?").run([.text(cluster)])
            guard removed > 0 else { return false }
            try insertAudit(AuditEntry(at: time, principal: principal, action: "cluster.uncordon",
                                       target: "cluster/\(cluster)", before: nil, after: nil, detail: nil))
            return true
        }
    }

    /// The cordoned clusters.
    public func cordons() throws -> [ClusterCordon] {
        try prepared("SELECT cluster, reason, cordoned_by, cordoned_at FROM cluster_cordons ORDER BY cluster").query([]).map { row in
            ClusterCordon(cluster: row[0].string ?? "", reason: row[1].string ?? "", by: row[2].string ?? "",
                          at: row[3].int64 ?? 0)
        }
    }
}

/// A project's owner team and that team's org, from projects.csv and owners.csv.
public struct ProjectOwner: Sendable, Equatable {
    public var project: String
    public var owner: String
    public var org: String?

    public init(project: String, owner: String, org: String?) {
        self.project = project
        self.owner = owner
        self.org = org
    }
}

extension InsightStore {
    /// Every project with its owner team and org: what the router authorises submissions against.
    public func projectOwners() throws -> [ProjectOwner] {
        try prepared("""
            SELECT p.project, p.owner, o.org FROM map_projects p LEFT JOIN map_owners o ON o.owner = p.owner ORDER BY p.project
            """).query([]).map { row in
            ProjectOwner(project: row[0].string ?? "", owner: row[1].string ?? "", org: row[2].string)
        }
    }
}
