import Clusters
import Foundation
import InsightStore
import Testing
import TestSupport

/// Issue #13: every answered submission recorded exactly once, through retries, crashes and timeouts.
@Suite("Router crash safety", .serialized)
struct CrashSafetyTests {
    /// Waits (up to 10 s) for `condition`.
    static func eventually(_ condition: () throws -> Bool) async throws -> Bool {
        for _ in 0..<1000 {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try condition()
    }

    @Test(arguments: Backend.available)
    func aRetryWithTheSameKeyGetsTheFirstAnswerAndCreatesNothing(_ backend: Backend) async throws {
        try await withRouter(backend) { router in
            let first = try await router.call(.post, "/v1/submissions", body: Manifests.crdJSON(), headers: ["Idempotency-Key: run-42"])
            #expect(first.status == 201, "\(first.text)")
            let appID = try #require(first.json["app_id"] as? String)
            let retry = try await router.call(.post, "/v1/submissions", body: Manifests.crdJSON(), headers: ["Idempotency-Key: run-42"])
            #expect(retry.status == 201, "\(retry.text)")
            #expect(retry.json["app_id"] as? String == appID)
            #expect(retry.json["state"] as? String == "submitted")
            #expect(NSDictionary(dictionary: retry.json["decision"] as? [String: Any] ?? [:])
                == NSDictionary(dictionary: first.json["decision"] as? [String: Any] ?? [:]))
            #expect(router.targets["moka-a"]!.requests.count == 1)
            #expect(try router.store().submissionCount() == 1)

            // The key is the caller's: another caller's equal key is another submission, never the first answer.
            let other = try await router.call(.post, "/v1/submissions", token: TestRouter.root, body: Manifests.crdJSON(),
                                              headers: ["Idempotency-Key: run-42"])
            #expect(other.status == 201, "\(other.text)")
            #expect(other.json["app_id"] as? String != appID)
            #expect(try router.store().submissionCount() == 2)

            // A client-chosen app id is the key; another caller cannot take it or read its answer.
            let chosen = Manifests.crdJSON().replacingOccurrences(of: "\"labels\":{", with: "\"labels\":{\"bursar.dev/app-id\":\"ledger-run-7\",")
            let mine = try await router.call(.post, "/v1/submissions", body: chosen)
            #expect(mine.status == 201, "\(mine.text)")
            #expect(mine.json["app_id"] as? String == "ledger-run-7")
            #expect(try await router.call(.post, "/v1/submissions", body: chosen).json["app_id"] as? String == "ledger-run-7")
            let taken = try await router.call(.post, "/v1/submissions", token: TestRouter.root, body: chosen)
            #expect(taken.status == 409, "\(taken.text)")
            #expect(!taken.text.contains("\"decision\""))
            #expect(router.targets["moka-a"]!.requests.count == 3)
            #expect(try router.store().submissionCount() == 3)
        }
    }

    /// A row a crashed router left (recorded, never answered, maybe sent): a retry with its key gets it, and
    /// the start-up reconciliation settles it and the others from what the cluster holds.
    @Test(arguments: Backend.available)
    func unsettledRowsAreReconciledAtStartAndRetriesFindThem(_ backend: Backend) async throws {
        let kube = try FakeKube()
        defer { kube.stop() }
        let target = try kube.target("moka-a")
        // Sent before the crash: the cluster has it, the store still says recorded.
        _ = try target.createSparkApplication(namespace: "spark", manifestJSON: Array(Self.manifest("sent-before-crash").utf8))
        func row(_ appID: String, state: String = "recorded", key: String? = nil, attempts: Int = 0) -> SubmissionRecord {
            SubmissionRecord(appID: appID, submittedAt: Self.now() - 60_000, principal: "alice", org: "payments", project: "ledger",
                             tier: 1, workflow: "ledger-features", job: "reconcile", runID: nil, scheduledAt: nil, cluster: "moka-a",
                             queue: "root.payments.ledger.tier1", namespace: "spark", source: "routing-table", ruleID: nil,
                             reason: "planned", state: state, updatedAt: Self.now() - 60_000, manifest: Self.manifest(appID),
                             idempotencyKey: key, attempts: attempts)
        }
        try await withRouter(backend, clusterTargets: ["moka-a": target], seed: { store in
            try store.recordSubmissions([
                row("sent-before-crash"), row("never-sent", key: "nightly-7"), row("timed-out", state: "unknown"),
                row("given-up", state: "unknown", attempts: 5),
            ])
        }) { router in
            let store = try router.store()
            #expect(try await Self.eventually { try store.submission(appID: "given-up")?.state == "failed" })
            for appID in ["sent-before-crash", "never-sent", "timed-out"] {
                #expect(try await Self.eventually { try store.submission(appID: appID)?.state == "submitted" }, "\(appID)")
            }
            #expect(try store.submission(appID: "sent-before-crash")?.stateDetail?.contains("found on the cluster") == true)
            #expect(try store.submission(appID: "never-sent")?.stateDetail?.contains("sent again") == true)
            #expect(try kube.sparkApplications() == ["sent-before-crash", "never-sent", "timed-out"])

            // The client whose answer was lost retries with its key: the same app id, nothing new.
            let retry = try await router.call(.post, "/v1/submissions", body: Manifests.crdJSON(), headers: ["Idempotency-Key: nightly-7"])
            #expect(retry.status == 201, "\(retry.text)")
            #expect(retry.json["app_id"] as? String == "never-sent")
            #expect(try kube.creates() == 3)
            #expect(try store.submissionCount() == 4)
            // What the reconciler did, and the replay, are counted.
            let metrics = try await router.call(.get, "/metrics", token: nil).text
            for line in ["bursar_submissions_reconciled_total{outcome=\"found\"} 1",
                         "bursar_submissions_reconciled_total{outcome=\"sent\"} 2",
                         "bursar_submissions_reconciled_total{outcome=\"failed\"} 1", "bursar_submissions_replayed_total 1"] {
                #expect(metrics.contains(line), "\(line)\n\(metrics)")
            }
        }
    }

    @Test(arguments: Backend.available)
    func aCreateTimeoutIsUnknownAndSettledFromTheCluster(_ backend: Backend) async throws {
        let kube = try FakeKube()
        defer { kube.stop() }
        try kube.hook("slow-creates", ["count": 1, "seconds": 3])
        try await withRouter(backend, clusterTargets: ["moka-a": try kube.target("moka-a", timeout: .seconds(1))]) { router in
            let answer = try await router.call(.post, "/v1/submissions", body: Manifests.crdJSON(), headers: ["Idempotency-Key: slow-1"])
            #expect(answer.status == 202, "\(answer.text)")
            #expect(answer.json["state"] as? String == "unknown")
            #expect(try await router.call(.get, "/metrics", token: nil).text.contains("bursar_submissions_total{result=\"unknown\"} 1"))
            let appID = try #require(answer.json["app_id"] as? String)
            let store = try router.store()
            #expect(try await Self.eventually { try store.submission(appID: appID)?.state == "unknown" })
            // The API server made it before the client gave up: the read asks the cluster and settles it.
            let read = try await router.call(.get, "/v1/submissions/\(appID)")
            #expect(read.status == 200, "\(read.text)")
            #expect(read.json["state"] as? String == "submitted")
            #expect(read.json["cluster_status"] != nil)
            #expect(try await Self.eventually { try store.submission(appID: appID)?.state == "submitted" })
            // A retry now is answered from the record, and nothing is created again.
            let retry = try await router.call(.post, "/v1/submissions", body: Manifests.crdJSON(), headers: ["Idempotency-Key: slow-1"])
            #expect(retry.json["app_id"] as? String == appID)
            #expect(retry.status == 201)
            #expect(try kube.creates() == 1)
        }
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static func manifest(_ name: String) -> String {
        """
        {"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"SparkApplication","metadata":{"name":"\(name)","namespace":"spark"},\
        "spec":{"type":"Scala","mode":"cluster","image":"spark:3.5.3","batchScheduler":"yunikorn"}}
        """
    }
}
