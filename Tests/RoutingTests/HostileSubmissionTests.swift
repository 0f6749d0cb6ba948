import Foundation
import Testing
@testable import Routing

/// Issue #13: a job runs only in a queue its team owns. Submissions that try to pick another team's queue,
/// cluster, scheduler, app id or priority, and what the router makes of them.
struct HostileSubmissionTests {
    // MARK: Routing on facts the submitter writes

    struct Route: Sendable, CustomTestStringConvertible {
        let label: String
        let rules: [RoutingRule]
        var facts: SubmissionFacts = Fixtures.facts()
        let cluster: String
        let queue: String
        let source: RoutingDecision.Source
        var ruleID: String? = nil
        /// A rule the reason must say did not apply.
        var passedOver: String? = nil
        var testDescription: String { label }
    }

    /// fraud (org risk) is on moka-a (tiers 1 and 2); fraud-features (risk) on moka-b; ads (growth) on moka-c.
    static let routes: [Route] = [
        Route(label: "a claimed org does not reach that org's rule and queue",
              rules: [Fixtures.rule("growth-ads", match: RuleMatch(org: "growth"), to: "moka-c", queue: "root.growth.ads.tier1")],
              facts: Fixtures.facts(org: "growth"),
              cluster: "moka-a", queue: "root.risk.fraud.tier1", source: .routingTable),
        Route(label: "a claimed org does not move a job from its tier queue into onboarding", rules: [],
              facts: Fixtures.facts(org: "growth"),
              cluster: "moka-a", queue: "root.risk.fraud.tier1", source: .routingTable),
        Route(label: "an org rule whose queue is another project's in the same org does not apply",
              rules: [Fixtures.rule("risk-features", match: RuleMatch(org: "risk"), to: "moka-b", queue: "root.risk.fraud-features.tier1")],
              cluster: "moka-a", queue: "root.risk.fraud.tier1", source: .routingTable, passedOver: "risk-features"),
        Route(label: "a label rule into another team's queue does not apply",
              rules: [Fixtures.rule("gpu-training", match: RuleMatch(labels: ["accelerator": "gpu"]), to: "moka-c",
                                    queue: "root.growth.ads.tier1")],
              facts: Fixtures.facts(labels: ["accelerator": "gpu"]),
              cluster: "moka-a", queue: "root.risk.fraud.tier1", source: .routingTable, passedOver: "gpu-training"),
        Route(label: "a label rule onto a cluster the project is not on does not apply",
              rules: [Fixtures.rule("gpu-c", match: RuleMatch(labels: ["accelerator": "gpu"]), to: "moka-c")],
              facts: Fixtures.facts(labels: ["accelerator": "gpu"]),
              cluster: "moka-a", queue: "root.risk.fraud.tier1", source: .routingTable, passedOver: "gpu-c"),
        Route(label: "a workflow rule onto a cluster the project is not on does not apply",
              rules: [Fixtures.rule("etl-b", match: RuleMatch(workflow: "etl-*"), to: "moka-b")],
              cluster: "moka-a", queue: "root.risk.fraud.tier1", source: .routingTable, passedOver: "etl-b"),
        Route(label: "a label rule onto an unhealthy cluster with a fallback the project is not on does not apply",
              rules: [Fixtures.rule("gpu-d", match: RuleMatch(labels: ["accelerator": "gpu"]), to: "moka-d", fallback: "moka-c")],
              facts: Fixtures.facts(labels: ["accelerator": "gpu"]),
              cluster: "moka-a", queue: "root.risk.fraud.tier1", source: .routingTable, passedOver: "gpu-d"),
        Route(label: "a label rule into the onboarding queue of a project with routes does not apply",
              rules: [Fixtures.rule("gpu-onboard", match: RuleMatch(labels: ["accelerator": "gpu"]), to: "moka-a",
                                    queue: "root.onboarding.fraud")],
              facts: Fixtures.facts(labels: ["accelerator": "gpu"]),
              cluster: "moka-a", queue: "root.risk.fraud.tier1", source: .routingTable, passedOver: "gpu-onboard"),
        Route(label: "the next rule decides after one is passed over",
              rules: [Fixtures.rule("gpu-training", priority: 90, match: RuleMatch(labels: ["accelerator": "gpu"]), to: "moka-c",
                                    queue: "root.growth.ads.tier1"),
                      Fixtures.rule("fraud-to-b", priority: 10, match: RuleMatch(project: "fraud"), to: "moka-b")],
              facts: Fixtures.facts(labels: ["accelerator": "gpu"]),
              cluster: "moka-b", queue: "root.risk.fraud.tier1", source: .rule, ruleID: "fraud-to-b", passedOver: "gpu-training"),
        // What still works.
        Route(label: "a label rule within the project's own cluster and queues applies",
              rules: [Fixtures.rule("gpu-a", match: RuleMatch(labels: ["accelerator": "gpu"]), to: "moka-a", queue: "root.risk.fraud.gpu")],
              facts: Fixtures.facts(labels: ["accelerator": "gpu"]),
              cluster: "moka-a", queue: "root.risk.fraud.gpu", source: .rule, ruleID: "gpu-a"),
        Route(label: "a label rule for a project with no route may pick any cluster (it onboards there)",
              rules: [Fixtures.rule("gpu-c", match: RuleMatch(labels: ["accelerator": "gpu"]), to: "moka-c")],
              facts: Fixtures.facts(project: "newproj", labels: ["accelerator": "gpu"]),
              cluster: "moka-c", queue: "root.onboarding.newproj", source: .rule, ruleID: "gpu-c"),
        Route(label: "a rule naming the project exactly is the admin's word and applies as written",
              rules: [Fixtures.rule("fraud-gpu", match: RuleMatch(project: "fraud", labels: ["accelerator": "gpu"]), to: "moka-c",
                                    queue: "root.gpu.fraud")],
              facts: Fixtures.facts(labels: ["accelerator": "gpu"]),
              cluster: "moka-c", queue: "root.gpu.fraud", source: .rule, ruleID: "fraud-gpu"),
        Route(label: "an org or tier rule may still move a project to another cluster, in its own queue",
              rules: [Fixtures.rule("risk-to-c", match: RuleMatch(org: "risk", tier: 1), to: "moka-c")],
              cluster: "moka-c", queue: "root.risk.fraud.tier1", source: .rule, ruleID: "risk-to-c"),
    ]

    @Test("routing uses only facts the router trusts", arguments: routes)
    func routing(_ route: Route) throws {
        let decision = try SubmissionRouter.decide(route.facts, user: "alice", in: Fixtures.snapshot(route.rules))
        #expect(decision.cluster == route.cluster)
        #expect(decision.queue == route.queue)
        #expect(decision.source == route.source)
        #expect(decision.ruleID == route.ruleID)
        if let passedOver = route.passedOver {
            #expect(decision.reason.contains("rule \(passedOver) "), "\(decision.reason)")
            #expect(decision.reason.contains("does not apply"), "\(decision.reason)")
        } else {
            #expect(!decision.reason.contains("does not apply"), "\(decision.reason)")
        }
    }

    // MARK: Scheduling fields the router does not set

    /// Values no manifest sent on may hold (the router's own queue and app id are different).
    static let hostileValues = ["root.search.ranking.tier1", "stolen-app", "hostile-scheduler", "system-cluster-critical",
                                "system-node-critical", "mallory"]

    struct Field: Sendable, CustomTestStringConvertible {
        let label: String
        let body: String
        /// The field path of the refusal, or nil when the field is removed and the submission goes on.
        var refused: String? = nil
        var testDescription: String { label }
    }

    static func crd(metadata: String = "", spec: String = "", driver: String = "", executor: String = "") -> String {
        """
        {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
         "metadata": {"name": "etl-daily-load",
           "labels": {"bursar.dev/workflow": "etl-daily", "bursar.dev/project": "fraud", "bursar.dev/tier": "1"}\(metadata)},
         "spec": {"type": "Scala", "image": "spark:3.5.1", "mainApplicationFile": "local:///opt/etl.jar", "sparkVersion": "3.5.1"\(spec),
           "driver": {"cores": 1, "memory": "2g"\(driver)},
           "executor": {"instances": 2, "cores": 1, "memory": "2g"\(executor)}}}
        """
    }

    static func conf(_ key: String, _ value: String) -> String {
        crd(spec: ", \"sparkConf\": {\"spark.sql.shuffle.partitions\": \"400\", \"\(key)\": \"\(value)\"}")
    }

    static func compact(conf key: String, _ value: String) -> String {
        """
        {"kind": "SparkJob", "workflow": "etl-daily", "project": "fraud", "tier": 1, "name": "etl-daily-load", "image": "spark:3.5.1",
         "main": "local:///opt/etl.jar", "driver": {"cores": 1, "memory": "2g"}, "executor": {"instances": 2, "cores": 1, "memory": "2g"},
         "conf": {"spark.sql.shuffle.partitions": 400, "\(key)": "\(value)"}}
        """
    }

    static let fields: [Field] = [
        Field(label: "application label yunikorn.apache.org/queue",
              body: crd().replacingOccurrences(of: "\"bursar.dev/tier\": \"1\"}",
                                               with: "\"bursar.dev/tier\": \"1\", \"yunikorn.apache.org/queue\": \"root.search.ranking.tier1\"}")),
        Field(label: "application legacy label queue",
              body: crd().replacingOccurrences(of: "\"bursar.dev/tier\": \"1\"}", with: "\"bursar.dev/tier\": \"1\", \"queue\": \"root.search.ranking.tier1\"}")),
        Field(label: "application label yunikorn.apache.org/app-id",
              body: crd().replacingOccurrences(of: "\"bursar.dev/tier\": \"1\"}", with: "\"bursar.dev/tier\": \"1\", \"yunikorn.apache.org/app-id\": \"stolen-app\"}")),
        Field(label: "application annotations yunikorn.apache.org/queue and app-id",
              body: crd(metadata: ", \"annotations\": {\"yunikorn.apache.org/queue\": \"root.search.ranking.tier1\", \"yunikorn.apache.org/app-id\": \"stolen-app\"}")),
        Field(label: "driver legacy label queue and applicationId",
              body: crd(driver: ", \"labels\": {\"queue\": \"root.search.ranking.tier1\", \"applicationId\": \"stolen-app\"}")),
        Field(label: "driver annotation yunikorn.apache.org/queue",
              body: crd(driver: ", \"annotations\": {\"yunikorn.apache.org/queue\": \"root.search.ranking.tier1\"}")),
        Field(label: "executor annotation yunikorn.apache.org/app-id and user.info",
              body: crd(executor: ", \"annotations\": {\"yunikorn.apache.org/app-id\": \"stolen-app\", \"yunikorn.apache.org/user.info\": \"{\\\"user\\\":\\\"mallory\\\"}\"}")),
        Field(label: "sparkConf spark.kubernetes.driver.label.queue", body: conf("spark.kubernetes.driver.label.queue", "root.search.ranking.tier1")),
        Field(label: "sparkConf spark.kubernetes.executor.label.queue", body: conf("spark.kubernetes.executor.label.queue", "root.search.ranking.tier1")),
        Field(label: "sparkConf executor annotation yunikorn queue",
              body: conf("spark.kubernetes.executor.annotation.yunikorn.apache.org/queue", "root.search.ranking.tier1")),
        Field(label: "sparkConf driver annotation yunikorn app-id",
              body: conf("spark.kubernetes.driver.annotation.yunikorn.apache.org/app-id", "stolen-app")),
        Field(label: "sparkConf driver label yunikorn app-id", body: conf("spark.kubernetes.driver.label.yunikorn.apache.org/app-id", "stolen-app")),
        Field(label: "sparkConf spark.kubernetes.scheduler.name", body: conf("spark.kubernetes.scheduler.name", "hostile-scheduler")),
        Field(label: "sparkConf spark.kubernetes.executor.scheduler.name", body: conf("spark.kubernetes.executor.scheduler.name", "hostile-scheduler")),
        Field(label: "driver and executor schedulerName",
              body: crd(driver: ", \"schedulerName\": \"hostile-scheduler\"", executor: ", \"schedulerName\": \"hostile-scheduler\"")),
        Field(label: "executor pod template schedulerName and queue label",
              body: crd(executor: ", \"template\": {\"metadata\": {\"labels\": {\"yunikorn.apache.org/queue\": \"root.search.ranking.tier1\"}}, \"spec\": {\"schedulerName\": \"hostile-scheduler\"}}")),
        Field(label: "compact conf spark.kubernetes.driver.label.queue",
              body: compact(conf: "spark.kubernetes.driver.label.queue", "root.search.ranking.tier1")),
        Field(label: "driver priorityClassName system-cluster-critical",
              body: crd(driver: ", \"priorityClassName\": \"system-cluster-critical\""), refused: "spec.driver.priorityClassName"),
        Field(label: "executor priorityClassName system-node-critical",
              body: crd(executor: ", \"priorityClassName\": \"system-node-critical\""), refused: "spec.executor.priorityClassName"),
        Field(label: "batchSchedulerOptions priorityClassName",
              body: crd(spec: ", \"batchSchedulerOptions\": {\"priorityClassName\": \"system-cluster-critical\"}"),
              refused: "spec.batchSchedulerOptions.priorityClassName"),
        Field(label: "driver pod template priorityClassName",
              body: crd(driver: ", \"template\": {\"spec\": {\"priorityClassName\": \"system-cluster-critical\"}}"),
              refused: "spec.driver.template.spec.priorityClassName"),
        Field(label: "sparkConf pod template file",
              body: conf("spark.kubernetes.driver.podTemplateFile", "/tmp/hostile-scheduler.yaml"),
              refused: "spec.sparkConf[\"spark.kubernetes.driver.podTemplateFile\"]"),
        Field(label: "compact conf pod template file",
              body: compact(conf: "spark.kubernetes.executor.podTemplateFile", "/tmp/hostile-scheduler.yaml"),
              refused: "conf[\"spark.kubernetes.executor.podTemplateFile\"]"),
    ]

    static let decision = RoutingDecision(cluster: "moka-a", queue: "root.risk.fraud.tier1", namespace: "spark-a", source: .routingTable,
                                          ruleID: nil, fallbackUsed: false, reason: "test")

    @Test("scheduling fields the router does not set are removed or refused", arguments: fields)
    func schedulingFields(_ field: Field) throws {
        let submission: Submission
        do {
            submission = try SubmissionParser.parse(Fixtures.bytes(field.body), contentType: "application/json")
        } catch {
            #expect(field.refused == error.field, "refused \(error.field): \(error.message)")
            #expect(error.line != nil)
            return
        }
        #expect(field.refused == nil, "accepted; expected a refusal at \(field.refused ?? "")")
        let manifest = ManifestMutation.apply(Self.decision, appID: "etl-daily-load-2s", to: submission)
        let text = manifest.jsonText(pretty: false)
        for value in Self.hostileValues { #expect(!text.contains(value), "\(value) reaches the cluster: \(text)") }
        // Nothing scheduling-related is left but what the router wrote.
        for path in [["metadata", "labels"], ["metadata", "annotations"], ["spec", "driver", "annotations"], ["spec", "executor", "annotations"]] {
            for key in manifest[path: path]?.keys ?? [] {
                #expect(!(key == "queue" || key == "applicationId" || key.hasPrefix("yunikorn.apache.org/")), "\(path) keeps \(key)")
            }
        }
        for role in ["driver", "executor"] {
            #expect(manifest[path: ["spec", role, "labels"]]?.keys.filter { $0 == "queue" || $0 == "applicationId" } == [])
            #expect(manifest[path: ["spec", role, "labels", "yunikorn.apache.org/queue"]] == .string("root.risk.fraud.tier1"))
            #expect(manifest[path: ["spec", role, "schedulerName"]] == .string("yunikorn"))
        }
        for key in manifest[path: ["spec", "sparkConf"]]?.keys ?? [] {
            #expect(!key.hasPrefix("spark.kubernetes."), "sparkConf keeps \(key)")
        }
        // Other Spark properties are kept.
        if manifest[path: ["spec", "sparkConf"]] != nil {
            #expect(manifest[path: ["spec", "sparkConf", "spark.sql.shuffle.partitions"]] != nil)
        }
    }

    @Test("gang-scheduling annotations and ordinary labels pass through")
    func keptFields() throws {
        let body = Self.crd(driver: ", \"annotations\": {\"yunikorn.apache.org/task-group-name\": \"driver\", \"team-lane\": \"gpu\"}",
                            executor: ", \"labels\": {\"version\": \"3.5.1\"}")
        let submission = try SubmissionParser.parse(Fixtures.bytes(body), contentType: nil)
        let manifest = ManifestMutation.apply(Self.decision, appID: "etl-daily-load-2s", to: submission)
        #expect(manifest[path: ["spec", "driver", "annotations"]]?.keys == ["yunikorn.apache.org/task-group-name", "team-lane"])
        #expect(manifest[path: ["spec", "executor", "labels", "version"]] == .string("3.5.1"))
    }
}
