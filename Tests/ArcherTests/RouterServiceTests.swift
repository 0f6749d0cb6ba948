@testable import Archer
import Foundation
import HTTPFetch
import InsightStore
import Testing
import TestSupport

/// The router end to end over real HTTP on loopback, on both store backends.
@Suite("Router service", .serialized)
struct RouterServiceTests {
    @Test(arguments: Backend.available)
    func submissionIsRoutedRecordedAndSent(_ backend: Backend) async throws {
        try await withRouter(backend) { router in
            let answer = try await router.call(.post, "/v1/submissions", body: Manifests.crdJSON())
            #expect(answer.status == 201, "\(answer.text)")
            let appID = try #require(answer.json["app_id"] as? String)
            let decision = try #require(answer.json["decision"] as? [String: Any])
            #expect(decision["cluster"] as? String == "moka-a")
            #expect(decision["queue"] as? String == "root.payments.ledger.tier1")
            #expect(decision["source"] as? String == "routing-table")
            #expect(answer.json["state"] as? String == "submitted")

            // The manifest that went to the cluster carries YuniKorn's queue and app id.
            let sent = router.targets["moka-a"]!.requests
            #expect(sent.count == 1)
            #expect(router.targets["moka-b"]!.requests.isEmpty)
            let manifest = try #require(try JSONSerialization.jsonObject(with: Data(sent[0].body.utf8)) as? [String: Any])
            let spec = try #require(manifest["spec"] as? [String: Any])
            #expect(spec["batchScheduler"] as? String == "yunikorn")
            #expect((spec["batchSchedulerOptions"] as? [String: Any])?["queue"] as? String == "root.payments.ledger.tier1")
            for role in ["driver", "executor"] {
                let pod = try #require(spec[role] as? [String: Any])
                let labels = try #require(pod["labels"] as? [String: String])
                #expect(labels["yunikorn.apache.org/queue"] == "root.payments.ledger.tier1")
                #expect(labels["yunikorn.apache.org/app-id"] == appID)
                #expect(pod["schedulerName"] as? String == "yunikorn")
            }

            // Recorded, with the job_apps row the ingester reads.
            let store = try router.store()
            var record = try #require(try store.submission(appID: appID))
            #expect(record.principal == "alice")
            // The cluster's answer is recorded with the next group commit, after the response.
            for _ in 0..<500 where record.state == "recorded" {
                try await Task.sleep(for: .milliseconds(10))
                record = try #require(try store.submission(appID: appID))
            }
            #expect(record.state == "submitted")
            #expect(record.stateDetail?.hasPrefix("uid ") == true)
            #expect(record.manifest.contains("\"yunikorn.apache.org/app-id\":\"\(appID)\""))
            #expect(record.cluster == "moka-a")
            let jobApp = try #require(try store.mappings().jobApps[appID])
            #expect(jobApp.workflow == "ledger-features")
            #expect(jobApp.runID == "ledger-features-20261122T0245")

            // The record can be read back, with the cluster's view.
            let read = try await router.call(.get, "/v1/submissions/\(appID)")
            #expect(read.status == 200)
            #expect(read.json["state"] as? String == "submitted")
            #expect(read.json["cluster_status"] != nil)
            // bob is not in ledger's owner team.
            #expect(try await router.call(.get, "/v1/submissions/\(appID)", token: TestRouter.bob).status == 403)

            // YAML works too, and bob may submit to his own project.
            let yaml = try await router.call(.post, "/v1/submissions", token: TestRouter.bob, body: Manifests.crdYAML, contentType: "application/yaml")
            #expect(yaml.status == 201, "\(yaml.text)")
            #expect((yaml.json["decision"] as? [String: Any])?["cluster"] as? String == "moka-b")
            #expect(try store.submissionCount() == 2)
        }
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        var name: String
        var token: String?
        var body: String
        var contentType = "application/json"
        var status: Int
        var code: String
        var mentions: String
        var testDescription: String { name }
    }

    static let badInputs: [BadInput] = [
        BadInput(name: "no token", token: nil, body: Manifests.crdJSON(), status: 401, code: "unauthenticated", mentions: "Authorization"),
        BadInput(name: "wrong token", token: "nope", body: Manifests.crdJSON(), status: 401, code: "unauthenticated", mentions: "not known"),
        BadInput(name: "project the caller does not own", token: TestRouter.bob, body: Manifests.crdJSON(), status: 403,
                 code: "forbidden", mentions: "ledger"),
        BadInput(name: "malformed JSON", token: TestRouter.alice, body: "{\"kind\": \"SparkApplication\",\n \"metadata\": {", status: 400,
                 code: "invalid_submission", mentions: ""),
        BadInput(name: "malformed YAML", token: TestRouter.alice, body: "kind: SparkApplication\nmetadata:\n  labels: [a, b\n",
                 contentType: "application/yaml", status: 400, code: "invalid_submission", mentions: ""),
        BadInput(name: "missing labels", token: TestRouter.alice,
                 body: "{\"apiVersion\":\"sparkoperator.k8s.io/v1beta2\",\"kind\":\"SparkApplication\",\"metadata\":{\"name\":\"x\"},\"spec\":{}}",
                 status: 400, code: "invalid_submission", mentions: "bursar.dev/project"),
        BadInput(name: "unknown tier", token: TestRouter.alice, body: Manifests.crdJSON(tier: "4"), status: 400,
                 code: "invalid_submission", mentions: "tier"),
        BadInput(name: "oversized body", token: TestRouter.alice,
                 body: Manifests.crdJSON().replacingOccurrences(of: "\"spec\":{", with: "\"spec\":{\"pad\":\"\(String(repeating: "x", count: 70_000))\","),
                 status: 413, code: "body_too_large", mentions: "--max-body"),
    ]

    @Test(arguments: badInputs)
    func badInputGetsA4xxThatSaysWhatIsWrong(_ input: BadInput) async throws {
        try await withRouter(.sqlite) { router in
            let answer = try await router.call(.post, "/v1/submissions", token: input.token, body: input.body, contentType: input.contentType)
            #expect(answer.status == input.status, "\(answer.text)")
            let error = try #require(answer.json["error"] as? [String: Any], "\(answer.text)")
            #expect(error["code"] as? String == input.code)
            let message = try #require(error["message"] as? String)
            #expect(!message.isEmpty)
            if !input.mentions.isEmpty {
                let field = error["field"] as? String
                #expect(message.contains(input.mentions) || field?.contains(input.mentions) == true, "\(message)")
            }
            // Nothing was recorded or sent.
            #expect(try router.store().submissionCount() == 0)
            #expect(router.targets.values.allSatisfy { $0.requests.isEmpty })
        }
    }

    @Test func malformedSyntaxNamesTheLine() async throws {
        try await withRouter(.sqlite) { router in
            let answer = try await router.call(.post, "/v1/submissions", body: "kind: SparkApplication\nmetadata:\n  labels: [a, b\n",
                                         contentType: "application/yaml")
            #expect(answer.status == 400)
            #expect((answer.json["error"] as? [String: Any])?["line"] as? Int != nil, "\(answer.text)")
        }
    }

    @Test(arguments: Backend.available)
    func timesComeFromTheInjectedClock(_ backend: Backend) async throws {
        let fixed: Int64 = 1_764_000_000_000
        try await withRouter(backend, now: { fixed }) { router in
            let submitted = try await router.call(.post, "/v1/submissions", body: Manifests.crdJSON())
            #expect(submitted.status == 201, "\(submitted.text)")
            let appID = try #require(submitted.json["app_id"] as? String)
            let record = try #require(try router.store().submission(appID: appID))
            #expect(record.submittedAt == fixed && record.updatedAt == fixed)

            let rule = #"{"id":"ccr-ledger","priority":100,"match":{"project":"ledger"},"split":[{"cluster":"moka-b","percent":100}]}"#
            #expect(try await router.call(.put, "/v1/rules/ccr-ledger", token: TestRouter.root, body: rule).status == 201)
            let rules = try #require(try await router.call(.get, "/v1/rules").json["rules"] as? [[String: Any]])
            #expect(rules.map { $0["updated_at"] as? Int } == [Int(fixed)])

            #expect(try await router.call(.post, "/v1/clusters/moka-b/cordon", token: TestRouter.root, body: "{\"reason\":\"upgrade\"}").status == 200)
            let audit = try await router.call(.get, "/v1/audit", token: TestRouter.root)
            let entries = try #require(audit.json["entries"] as? [[String: Any]], "\(audit.text)")
            #expect(entries.count >= 2 && entries.allSatisfy { $0["at"] as? Int == Int(fixed) }, "\(audit.text)")
        }
    }

    @Test(arguments: Backend.available)
    func rulesOverrideTheTableWithAnAuditTrail(_ backend: Backend) async throws {
        try await withRouter(backend) { router in
            let rule = """
                {"id":"ccr-ledger","priority":100,"match":{"project":"ledger","tier":1},"split":[{"cluster":"moka-b","percent":100}],
                 "fallback":"moka-a","note":"migrating ledger to moka-b"}
                """
            // Only admins change rules.
            #expect(try await router.call(.put, "/v1/rules/ccr-ledger", token: TestRouter.alice, body: rule).status == 403)
            let created = try await router.call(.put, "/v1/rules/ccr-ledger", token: TestRouter.root, body: rule)
            #expect(created.status == 201, "\(created.text)")
            #expect(created.json["revision"] as? Int == 1)

            let routed = try await router.call(.post, "/v1/submissions", body: Manifests.crdJSON())
            let decision = try #require(routed.json["decision"] as? [String: Any])
            #expect(decision["cluster"] as? String == "moka-b")
            #expect(decision["source"] as? String == "rule")
            #expect(decision["rule_id"] as? String == "ccr-ledger")

            // Cordoning the target sends the rule to its fallback.
            #expect(try await router.call(.post, "/v1/clusters/moka-b/cordon", token: TestRouter.root, body: "{\"reason\":\"upgrade\"}").status == 200)
            let fallback = try #require(try await router.call(.post, "/v1/submissions", body: Manifests.crdJSON()).json["decision"] as? [String: Any])
            #expect(fallback["cluster"] as? String == "moka-a")
            #expect(fallback["fallback_used"] as? Bool == true)
            let listing = try await router.call(.get, "/v1/clusters")
            let mokaB = (listing.json["clusters"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "moka-b" }
            #expect(mokaB?["healthy"] as? Bool == false)
            #expect((mokaB?["cordon"] as? String)?.hasPrefix("upgrade") == true, "\(listing.text)")
            #expect(try await router.call(.delete, "/v1/clusters/moka-b/cordon", token: TestRouter.root).status == 204)

            // A stale revision is refused; an invalid rule gets every problem.
            let stale = try await router.call(.put, "/v1/rules/ccr-ledger", token: TestRouter.root, body: rule, headers: ["If-Match: 7"])
            #expect(stale.status == 409, "\(stale.text)")
            let invalid = try await router.call(.put, "/v1/rules/bad", token: TestRouter.root,
                                          body: "{\"id\":\"bad\",\"priority\":1,\"match\":{},\"split\":[{\"cluster\":\"nowhere\",\"percent\":60}]}")
            #expect(invalid.status == 422, "\(invalid.text)")
            #expect(Self.message(invalid.json).contains("nowhere"))

            #expect(try await router.call(.delete, "/v1/rules/ccr-ledger", token: TestRouter.root).status == 204)
            let back = try #require(try await router.call(.post, "/v1/submissions", body: Manifests.crdJSON()).json["decision"] as? [String: Any])
            #expect(back["cluster"] as? String == "moka-a")
            #expect(back["source"] as? String == "routing-table")

            // Every change is in the audit log with who, what and before/after; only admins read it.
            #expect(try await router.call(.get, "/v1/audit", token: TestRouter.alice).status == 403)
            let audit = try await router.call(.get, "/v1/audit", token: TestRouter.root)
            let entries = try #require(audit.json["entries"] as? [[String: Any]])
            #expect(entries.map { $0["action"] as? String ?? "" } == ["rule.delete", "cluster.uncordon", "cluster.cordon", "rule.create"])
            #expect(entries.allSatisfy { $0["principal"] as? String == "root" })
            #expect(String(describing: entries[3]["after"] ?? "").contains("moka-b"))
            #expect(String(describing: entries[0]["before"] ?? "").contains("moka-b"))
        }
    }

    @Test func unknownProjectGoesToOnboardingWithTheMostHeadroom() async throws {
        let headroom = { (vcore: Int) in
            """
            partitions:
              - name: default
                placementrules:
                  - name: provided
                    create: true
                queues:
                  - name: root
                    submitacl: '*'
                    queues:
                      - name: onboarding
                        parent: true
                        resources:
                          guaranteed: {vcore: \(vcore), memory: 100Gi}
                          max: {vcore: \(vcore), memory: 100Gi}
            """
        }
        try await withRouter(.sqlite, queuesYAML: ["moka-a": headroom(10), "moka-b": headroom(50)]) { router in
            let answer = try await router.call(.post, "/v1/submissions", body: Manifests.crdJSON(project: "newproj", tier: "2", workflow: "new-flow"))
            #expect(answer.status == 201, "\(answer.text)")
            let decision = try #require(answer.json["decision"] as? [String: Any])
            #expect(decision["queue"] as? String == "root.onboarding.newproj")
            #expect(decision["cluster"] as? String == "moka-b")
            #expect(decision["source"] as? String == "onboarding")
        }
    }

    @Test(arguments: Backend.available)
    func aStoreOutageRefusesSubmissionsButRoutingGoesOn(_ backend: Backend) async throws {
        try await withRouter(backend) { router in
            // Break the table submissions are recorded in, from another connection.
            try router.store().connection.execute("DROP TABLE submissions")
            let refused = try await router.call(.post, "/v1/submissions", body: Manifests.crdJSON())
            #expect(refused.status == 503, "\(refused.text)")
            #expect((refused.json["error"] as? [String: Any])?["code"] as? String == "unavailable")
            // Nothing reached a cluster: no job runs that nobody recorded.
            #expect(router.targets.values.allSatisfy { $0.requests.isEmpty })
            // Decisions come from the snapshot in memory and still work.
            let explained = try await router.call(.post, "/v1/decisions", body: Manifests.crdJSON())
            #expect(explained.status == 200, "\(explained.text)")
            #expect((explained.json["decision"] as? [String: Any])?["cluster"] as? String == "moka-a")
        }
    }

    @Test func openEndpoints() async throws {
        try await withRouter(.sqlite) { router in
            let health = try await router.call(.get, "/healthz", token: nil)
            #expect(health.status == 200)
            #expect(health.json["status"] as? String == "ok")
            _ = try await router.call(.post, "/v1/submissions", body: Manifests.crdJSON())
            let metrics = try await router.call(.get, "/metrics", token: nil)
            #expect(metrics.status == 200)
            #expect(metrics.text.contains("bursar_submissions_total{result=\"accepted\"} 1"), "\(metrics.text)")
        }
    }

    /// Issue #17: every replica sharing the store shows itself, the router among them (its heartbeat at start),
    /// and a scheduler by the leases its claims recorded; one whose heartbeat is older than its lease is not alive.
    @Test(arguments: Backend.available)
    func replicasListTheRouterAndTheSchedulers(_ backend: Backend) async throws {
        let now = Archer.wallClock()
        let seed: (InsightStore) throws -> Void = { store in
            _ = try store.claimWorkflowLeases(ReplicaRecord(replica: "sched-1", role: "scheduler", host: "h1", pid: 7, startedAt: now, leaseMs: 60_000),
                                              newWorkflows: ["w1", "w2"], previously: [], now: now)
            try store.heartbeat(ReplicaRecord(replica: "sched-old", role: "scheduler", host: "h2", pid: 8, startedAt: now - 600_000,
                                              heartbeatAt: now - 300_000, leaseMs: 10_000))
        }
        try await withRouter(backend, seed: seed, configure: { $0.replica = "router-a" }) { router in
            #expect(try await router.call(.get, "/v1/replicas", token: nil).status == 401)
            let answer = try await router.call(.get, "/v1/replicas")
            #expect(answer.status == 200, "\(answer.text)")
            let replicas = try #require(answer.json["replicas"] as? [[String: Any]])
            let byName = Dictionary(uniqueKeysWithValues: replicas.map { ($0["replica"] as? String ?? "", $0) })
            #expect(byName["router-a"]?["role"] as? String == "router" && byName["router-a"]?["alive"] as? Bool == true, "\(replicas)")
            #expect(byName["sched-1"]?["leases_held"] as? Int == 2 && byName["sched-1"]?["alive"] as? Bool == true, "\(replicas)")
            #expect(byName["sched-old"]?["alive"] as? Bool == false, "\(replicas)")
            let health = try await router.call(.get, "/healthz", token: nil)
            #expect(health.json["replica"] as? String == "router-a")
        }
    }

    static func message(_ json: [String: Any]) -> String {
        (json["error"] as? [String: Any])?["message"] as? String ?? ""
    }
}
