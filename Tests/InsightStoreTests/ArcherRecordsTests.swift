import InsightStore
import Testing

/// The router's tables on both backends: submissions with their job_apps rows, rules with revisions and
/// audit, cordons.
@Suite("Router records")
struct ArcherRecordsTests {
    static func submission(_ appID: String, workflow: String? = "etl-daily", runID: String? = "2026-11-21") -> SubmissionRecord {
        SubmissionRecord(appID: appID, submittedAt: 1_000, principal: "alice", org: "payments", project: "ledger", tier: 1,
                         workflow: workflow, job: "load", runID: runID, scheduledAt: runID == nil ? nil : 900,
                         cluster: "moka-a", queue: "root.payments.ledger.tier1", namespace: "spark", source: "routing-table",
                         ruleID: nil, reason: "planned", state: "recorded", updatedAt: 1_000, manifest: "{\"kind\":\"SparkApplication\"}")
    }

    @Test(arguments: Backend.available)
    func submissionsAndJobApps(_ backend: Backend) throws {
        let store = try InsightStore(try backend.freshLocation())
        try store.recordSubmissions([Self.submission("a-1"), Self.submission("a-2", workflow: nil, runID: nil)])
        #expect(try store.submissionCount() == 2)
        #expect(try store.submission(appID: "a-1") == Self.submission("a-1"))
        // Only the submission that names its run makes a job_apps row, which the ingester reads.
        let jobApps = try store.mappings().jobApps
        #expect(jobApps.count == 1)
        #expect(jobApps["a-1"]?.workflow == "etl-daily")
        #expect(jobApps["a-1"]?.runID == "2026-11-21")
        #expect(jobApps["a-1"]?.scheduledAt == 900)

        try store.updateSubmissionStates([SubmissionStateChange(appID: "a-1", state: "submitted", detail: "uid 7", at: 2_000)])
        let updated = try #require(try store.submission(appID: "a-1"))
        #expect(updated.state == "submitted")
        #expect(updated.stateDetail == "uid 7")
        #expect(updated.updatedAt == 2_000)

        // A batch is all or nothing: a duplicate app id refuses the whole batch.
        #expect(throws: (any Error).self) {
            try store.recordSubmissions([Self.submission("a-3"), Self.submission("a-1")])
        }
        #expect(try store.submission(appID: "a-3") == nil)
        #expect(try store.submissionCount() == 2)
    }

    /// Idempotency keys are unique per principal; a duplicate is skipped without failing the rows written with
    /// it; settled states are final; the reconciler finds what is left unsettled.
    @Test(arguments: Backend.available)
    func keysDuplicatesAndUnsettledRows(_ backend: Backend) throws {
        let store = try InsightStore(try backend.freshLocation())
        func keyed(_ appID: String, _ principal: String, _ key: String?) -> SubmissionRecord {
            var record = Self.submission(appID, workflow: nil, runID: nil)
            record.principal = principal
            record.idempotencyKey = key
            return record
        }
        let written = try store.recordSubmissionsOnce([
            keyed("a-1", "alice", "k"), keyed("a-2", "bob", "k"), keyed("a-3", "alice", "k"), keyed("a-1", "carol", nil),
            keyed("a-4", "alice", nil), keyed("a-5", "alice", nil),
        ])
        #expect(written == [true, true, false, false, true, true])
        #expect(try store.submission(principal: "alice", idempotencyKey: "k")?.appID == "a-1")
        #expect(try store.submission(principal: "bob", idempotencyKey: "k")?.appID == "a-2")
        #expect(try store.submission(principal: "carol", idempotencyKey: "k") == nil)
        #expect(try store.submission(appID: "a-1")?.idempotencyKey == "k")

        try store.updateSubmissionStates([
            SubmissionStateChange(appID: "a-1", state: "submitted", detail: "uid 1", at: 2_000),
            SubmissionStateChange(appID: "a-2", state: "unknown", detail: "timeout", at: 2_000),
            SubmissionStateChange(appID: "a-4", state: "failed", detail: "refused", at: 2_000),
        ])
        // Final states stay; an unsettled one takes the change and counts the attempt.
        try store.updateSubmissionStates([
            SubmissionStateChange(appID: "a-1", state: "failed", detail: "late", at: 3_000),
            SubmissionStateChange(appID: "a-4", state: "submitted", detail: "late", at: 3_000),
            SubmissionStateChange(appID: "a-2", state: "unknown", detail: "again", at: 3_000, countsAttempt: true),
        ])
        #expect(try store.submission(appID: "a-1")?.state == "submitted")
        #expect(try store.submission(appID: "a-4")?.state == "failed")
        #expect(try store.submission(appID: "a-2")?.attempts == 1)
        #expect(try store.unsettledSubmissions(updatedBefore: 10_000, limit: 10).map(\.appID) == ["a-5", "a-2"])
        #expect(try store.unsettledSubmissions(updatedBefore: 2_500, limit: 10).map(\.appID) == ["a-5"])
    }

    @Test(arguments: Backend.available)
    func rulesRevisionsAndAudit(_ backend: Backend) throws {
        let store = try InsightStore(try backend.freshLocation())
        let created = try store.putRule(id: "ccr-b", priority: 100, body: "{\"v\":1}", by: "root", at: 10)
        #expect(created.before == nil)
        #expect(created.after.revision == 1)
        let updated = try store.putRule(id: "ccr-b", priority: 50, body: "{\"v\":2}", by: "ops", at: 20, expectedRevision: 1)
        #expect(updated.before?.body == "{\"v\":1}")
        #expect(updated.after.revision == 2)
        // A write based on a stale revision is refused and changes nothing.
        #expect(throws: RuleRevisionConflict(id: "ccr-b", expected: 1, current: 2)) {
            try store.putRule(id: "ccr-b", priority: 1, body: "{\"v\":3}", by: "late", at: 30, expectedRevision: 1)
        }
        #expect(try store.routingRules().map(\.body) == ["{\"v\":2}"])
        #expect(try store.deleteRule(id: "ccr-b", by: "ops", at: 40)?.revision == 2)
        #expect(try store.deleteRule(id: "ccr-b", by: "ops", at: 41) == nil)
        #expect(try store.routingRules().isEmpty)

        let audit = try store.audit(limit: 10)
        #expect(audit.map(\.action) == ["rule.delete", "rule.update", "rule.create"])
        #expect(audit.map(\.principal) == ["ops", "ops", "root"])
        #expect(audit[1].before == "{\"v\":1}" && audit[1].after == "{\"v\":2}")
        #expect(audit[0].after == nil)
        // Paging: entries older than the newest one.
        #expect(try store.audit(limit: 10, before: audit[0].id).map(\.action) == ["rule.update", "rule.create"])
    }

    @Test(arguments: Backend.available)
    func cordons(_ backend: Backend) throws {
        let store = try InsightStore(try backend.freshLocation())
        try store.cordon(ClusterCordon(cluster: "moka-b", reason: "node pool upgrade", by: "ops", at: 5))
        #expect(try store.cordons() == [ClusterCordon(cluster: "moka-b", reason: "node pool upgrade", by: "ops", at: 5)])
        #expect(try store.uncordon(cluster: "moka-b", by: "ops", at: 6))
        #expect(try !store.uncordon(cluster: "moka-b", by: "ops", at: 7))
        #expect(try store.cordons().isEmpty)
        #expect(try store.audit(limit: 5).map(\.action) == ["cluster.uncordon", "cluster.cordon"])
    }
}
