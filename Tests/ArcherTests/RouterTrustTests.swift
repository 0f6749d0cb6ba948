import Foundation
import HTTPFetch
import InsightStore
import Testing
import TestSupport

/// Issue #13 end to end: a job runs only in a queue its team owns. alice is in payments-core (ledger, org
/// payments, routed to moka-a); ranking belongs to search-relevance (org search).
@Suite("Router trust", .serialized)
struct RouterTrustTests {
    static func ledger(extraLabels: String = "", driver: String = "", executor: String = "", spec: String = "",
                       annotations: String = "") -> String {
        """
        {"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"SparkApplication",
         "metadata":{"name":"ledger-nightly","labels":{"bursar.dev/workflow":"ledger-nightly","bursar.dev/project":"ledger",
           "bursar.dev/tier":"1"\(extraLabels)}\(annotations)},
         "spec":{"type":"Scala","mode":"cluster","image":"spark:3.5.3","mainApplicationFile":"local:///opt/jobs/ledger.jar",
           "sparkVersion":"3.5.3"\(spec),"driver":{"cores":1,"memory":"2g"\(driver)},"executor":{"instances":2,"cores":2,"memory":"4g"\(executor)}}}
        """
    }

    static func sentBodies(_ router: TestRouter) -> [String] {
        router.targets.keys.sorted().flatMap { router.targets[$0]!.requests.map(\.body) }
    }

    @Test(arguments: Backend.available)
    func aClaimedOrgDoesNotReachAnotherTeamsQueue(_ backend: Backend) async throws {
        try await withRouter(backend) { router in
            // Without a rule, a wrong org used to move ledger out of its tier queue into onboarding.
            let wrongOrg = try await router.call(.post, "/v1/submissions", body: Self.ledger(extraLabels: ",\"bursar.dev/org\":\"search\""))
            #expect(wrongOrg.status == 400, "\(wrongOrg.text)")
            let error = try #require(wrongOrg.json["error"] as? [String: Any], "\(wrongOrg.text)")
            #expect(error["field"] as? String == "metadata.labels[\"bursar.dev/org\"]")
            #expect((error["message"] as? String)?.contains("payments") == true, "\(wrongOrg.text)")

            // An org rule for search, with search's tier-1 queue.
            let rule = """
                {"id":"search-tier1","priority":100,"match":{"org":"search","tier":1},"split":[{"cluster":"moka-b","percent":100}],
                 "queue":"root.search.ranking.tier1"}
                """
            #expect(try await router.call(.put, "/v1/rules/search-tier1", token: TestRouter.root, body: rule).status == 201)
            let claimed = try await router.call(.post, "/v1/submissions", body: Self.ledger(extraLabels: ",\"bursar.dev/org\":\"search\""))
            #expect(claimed.status == 400, "\(claimed.text)")
            #expect(Self.sentBodies(router).isEmpty)
            #expect(try router.store().submissionCount() == 0)

            // The right org, or none, routes as the table says.
            for labels in [",\"bursar.dev/org\":\"payments\"", ""] {
                let honest = try await router.call(.post, "/v1/submissions", body: Self.ledger(extraLabels: labels))
                #expect(honest.status == 201, "\(honest.text)")
                let decision = try #require(honest.json["decision"] as? [String: Any])
                #expect(decision["queue"] as? String == "root.payments.ledger.tier1")
                #expect(decision["cluster"] as? String == "moka-a")
            }
            #expect(router.targets["moka-b"]!.requests.isEmpty)
            #expect(!Self.sentBodies(router).contains { $0.contains("root.search.") })
        }
    }

    @Test(arguments: Backend.available)
    func aLabelRuleDoesNotReachAnotherTeamsQueue(_ backend: Backend) async throws {
        try await withRouter(backend) { router in
            let rule = """
                {"id":"gpu-training","priority":100,"match":{"labels":{"accelerator":"gpu"}},"split":[{"cluster":"moka-b","percent":100}],
                 "queue":"root.ml-platform.training.tier1"}
                """
            #expect(try await router.call(.put, "/v1/rules/gpu-training", token: TestRouter.root, body: rule).status == 201)
            let answer = try await router.call(.post, "/v1/submissions", body: Self.ledger(extraLabels: ",\"accelerator\":\"gpu\""))
            #expect(answer.status == 201, "\(answer.text)")
            let decision = try #require(answer.json["decision"] as? [String: Any])
            #expect(decision["queue"] as? String == "root.payments.ledger.tier1")
            #expect(decision["cluster"] as? String == "moka-a")
            #expect(decision["source"] as? String == "routing-table")
            let reason = decision["reason"] as? String ?? ""
            #expect(reason.contains("gpu-training") && reason.contains("does not apply"), "\(reason)")

            // What reached the cluster, and what the store recorded, is ledger's own queue.
            #expect(router.targets["moka-b"]!.requests.isEmpty)
            let sent = try #require(router.targets["moka-a"]!.requests.first)
            #expect(!sent.body.contains("ml-platform"))
            #expect(sent.body.contains("root.payments.ledger.tier1"))
            let appID = try #require(answer.json["app_id"] as? String)
            let record = try #require(try router.store().submission(appID: appID))
            #expect(record.queue == "root.payments.ledger.tier1")
            #expect(!record.manifest.contains("ml-platform"))
        }
    }

    @Test(arguments: Backend.available)
    func hostileSchedulingFieldsDoNotReachTheCluster(_ backend: Backend) async throws {
        try await withRouter(backend) { router in
            let hostile = Self.ledger(
                extraLabels: ",\"queue\":\"root.search.ranking.tier1\",\"yunikorn.apache.org/queue\":\"root.search.ranking.tier1\"",
                driver: ",\"schedulerName\":\"hostile-scheduler\",\"labels\":{\"queue\":\"root.search.ranking.tier1\"},"
                    + "\"annotations\":{\"yunikorn.apache.org/queue\":\"root.search.ranking.tier1\",\"yunikorn.apache.org/app-id\":\"stolen-app\"}",
                executor: ",\"annotations\":{\"yunikorn.apache.org/queue\":\"root.search.ranking.tier1\"}",
                spec: ",\"sparkConf\":{\"spark.sql.shuffle.partitions\":\"400\","
                    + "\"spark.kubernetes.driver.label.queue\":\"root.search.ranking.tier1\","
                    + "\"spark.kubernetes.executor.annotation.yunikorn.apache.org/queue\":\"root.search.ranking.tier1\","
                    + "\"spark.kubernetes.driver.annotation.yunikorn.apache.org/app-id\":\"stolen-app\","
                    + "\"spark.kubernetes.scheduler.name\":\"hostile-scheduler\"}",
                annotations: ",\"annotations\":{\"yunikorn.apache.org/app-id\":\"stolen-app\"}")
            let answer = try await router.call(.post, "/v1/submissions", body: hostile)
            #expect(answer.status == 201, "\(answer.text)")
            let reason = (answer.json["decision"] as? [String: Any])?["reason"] as? String ?? ""
            #expect(reason.contains("spec.sparkConf[\"spark.kubernetes.scheduler.name\"]"), "\(reason)")
            let sent = try #require(router.targets["moka-a"]!.requests.first)
            for value in ["root.search.ranking.tier1", "stolen-app", "hostile-scheduler"] {
                #expect(!sent.body.contains(value), "\(value) reached the cluster: \(sent.body)")
            }
            #expect(sent.body.contains("spark.sql.shuffle.partitions"))
            let appID = try #require(answer.json["app_id"] as? String)
            let record = try #require(try router.store().submission(appID: appID))
            #expect(!record.manifest.contains("root.search.ranking.tier1"))

            // A privileged priority class is refused, naming the field; nothing is recorded or sent for it.
            let before = try router.store().submissionCount()
            for (driver, spec, field) in [(",\"priorityClassName\":\"system-cluster-critical\"", "", "spec.driver.priorityClassName"),
                                          ("", ",\"batchSchedulerOptions\":{\"priorityClassName\":\"system-node-critical\"}",
                                           "spec.batchSchedulerOptions.priorityClassName")] {
                let refused = try await router.call(.post, "/v1/submissions", body: Self.ledger(driver: driver, spec: spec))
                #expect(refused.status == 400, "\(refused.text)")
                #expect((refused.json["error"] as? [String: Any])?["field"] as? String == field, "\(refused.text)")
            }
            #expect(try router.store().submissionCount() == before)
            #expect(router.targets["moka-a"]!.requests.count == 1)
            #expect(!Self.sentBodies(router).contains { $0.contains("priorityClassName") })
        }
    }
}
