import Testing
@testable import Routing

/// Routing decisions over a small snapshot: rules, the routing table, onboarding, health.
struct DecisionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let rules: [RoutingRule]
        var facts: SubmissionFacts = Fixtures.facts()
        var user: String = "alice"
        let cluster: String
        let queue: String
        let source: RoutingDecision.Source
        var ruleID: String? = nil
        var fallbackUsed = false
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "routing table when no rule matches", rules: [],
             cluster: "moka-a", queue: "root.risk.fraud.tier1", source: .routingTable),
        Case(label: "routing table per tier", rules: [], facts: Fixtures.facts(tier: 2),
             cluster: "moka-a", queue: "root.risk.fraud.tier2", source: .routingTable),
        Case(label: "a rule beats the routing table, keeping the table's queue",
             rules: [Fixtures.rule("fraud-to-b", match: RuleMatch(project: "fraud"), to: "moka-b")],
             cluster: "moka-b", queue: "root.risk.fraud.tier1", source: .rule, ruleID: "fraud-to-b"),
        Case(label: "higher priority wins",
             rules: [Fixtures.rule("low", priority: 5, match: RuleMatch(project: "fraud"), to: "moka-b"),
                     Fixtures.rule("high", priority: 50, match: RuleMatch(project: "fraud"), to: "moka-c")],
             cluster: "moka-c", queue: "root.risk.fraud.tier1", source: .rule, ruleID: "high"),
        Case(label: "equal priority: lower id wins",
             rules: [Fixtures.rule("b-rule", match: RuleMatch(project: "fraud"), to: "moka-b"),
                     Fixtures.rule("a-rule", match: RuleMatch(user: "alice"), to: "moka-c")],
             cluster: "moka-c", queue: "root.risk.fraud.tier1", source: .rule, ruleID: "a-rule"),
        Case(label: "a general rule of higher priority beats a project rule",
             rules: [Fixtures.rule("project", priority: 5, match: RuleMatch(project: "fraud"), to: "moka-b"),
                     Fixtures.rule("tier-1-all", priority: 9, match: RuleMatch(tier: 1), to: "moka-c")],
             cluster: "moka-c", queue: "root.risk.fraud.tier1", source: .rule, ruleID: "tier-1-all"),
        Case(label: "tier mismatch skips the rule",
             rules: [Fixtures.rule("t2", match: RuleMatch(project: "fraud", tier: 2), to: "moka-b")],
             cluster: "moka-a", queue: "root.risk.fraud.tier1", source: .routingTable),
        Case(label: "org from projects.csv matches",
             rules: [Fixtures.rule("risk-org", match: RuleMatch(org: "risk"), to: "moka-c")],
             cluster: "moka-c", queue: "root.risk.fraud.tier1", source: .rule, ruleID: "risk-org"),
        Case(label: "another org does not match",
             rules: [Fixtures.rule("growth-org", match: RuleMatch(org: "growth"), to: "moka-c")],
             cluster: "moka-a", queue: "root.risk.fraud.tier1", source: .routingTable),
        Case(label: "user matches",
             rules: [Fixtures.rule("alice", match: RuleMatch(user: "alice"), to: "moka-b")],
             cluster: "moka-b", queue: "root.risk.fraud.tier1", source: .rule, ruleID: "alice"),
        Case(label: "another user does not match",
             rules: [Fixtures.rule("bob", match: RuleMatch(user: "bob"), to: "moka-b")],
             cluster: "moka-a", queue: "root.risk.fraud.tier1", source: .routingTable),
        Case(label: "all labels must match",
             rules: [Fixtures.rule("gpu", match: RuleMatch(labels: ["lane": "gpu", "size": "xl"]), to: "moka-b")],
             facts: Fixtures.facts(project: "fraud-features", labels: ["lane": "gpu"]),
             cluster: "moka-b", queue: "root.risk.fraud-features.tier1", source: .routingTable),
        Case(label: "labels match (on a cluster the routing table places the project on)",
             rules: [Fixtures.rule("gpu", match: RuleMatch(labels: ["lane": "gpu", "size": "xl"]), to: "moka-b")],
             facts: Fixtures.facts(project: "fraud-features", labels: ["lane": "gpu", "size": "xl", "other": "x"]),
             cluster: "moka-b", queue: "root.risk.fraud-features.tier1", source: .rule, ruleID: "gpu"),
        Case(label: "project prefix",
             rules: [Fixtures.rule("fraud-star", match: RuleMatch(project: "fraud-*"), to: "moka-c")],
             facts: Fixtures.facts(project: "fraud-features"),
             cluster: "moka-c", queue: "root.risk.fraud-features.tier1", source: .rule, ruleID: "fraud-star"),
        Case(label: "project prefix does not match a shorter name",
             rules: [Fixtures.rule("fraud-star", match: RuleMatch(project: "fraud-*"), to: "moka-c")],
             cluster: "moka-a", queue: "root.risk.fraud.tier1", source: .routingTable),
        Case(label: "workflow prefix",
             rules: [Fixtures.rule("etl-star", match: RuleMatch(workflow: "etl-*"), to: "moka-a")],
             cluster: "moka-a", queue: "root.risk.fraud.tier1", source: .rule, ruleID: "etl-star"),
        Case(label: "a workflow rule does not match a submission without a workflow",
             rules: [Fixtures.rule("etl-star", match: RuleMatch(workflow: "etl-*"), to: "moka-b")],
             facts: Fixtures.facts(workflow: nil),
             cluster: "moka-a", queue: "root.risk.fraud.tier1", source: .routingTable),
        Case(label: "queue override",
             rules: [Fixtures.rule("sandbox", match: RuleMatch(project: "fraud"), to: "moka-b", queue: "root.sandbox.fraud")],
             cluster: "moka-b", queue: "root.sandbox.fraud", source: .rule, ruleID: "sandbox"),
        Case(label: "unhealthy target: the fallback is used",
             rules: [Fixtures.rule("to-d", match: RuleMatch(project: "fraud"), to: "moka-d", fallback: "moka-b")],
             cluster: "moka-b", queue: "root.risk.fraud.tier1", source: .rule, ruleID: "to-d", fallbackUsed: true),
        Case(label: "a rule for a project with no route gets the onboarding queue on its cluster",
             rules: [Fixtures.rule("newproj", match: RuleMatch(project: "newproj"), to: "moka-a")],
             facts: Fixtures.facts(project: "newproj"),
             cluster: "moka-a", queue: "root.onboarding.newproj", source: .rule, ruleID: "newproj"),
        Case(label: "onboarding: the healthy cluster with the most headroom, ties by name (moka-d is unhealthy)", rules: [],
             facts: Fixtures.facts(project: "newproj"),
             cluster: "moka-b", queue: "root.onboarding.newproj", source: .onboarding),
        Case(label: "onboarding queue names are made valid", rules: [],
             facts: Fixtures.facts(project: "new.proj x"),
             cluster: "moka-b", queue: "root.onboarding.new_proj_x", source: .onboarding),
        Case(label: "a prefix rule matches a project the snapshot does not know",
             rules: [Fixtures.rule("fraud-star", match: RuleMatch(project: "fraud-*"), to: "moka-c")],
             facts: Fixtures.facts(project: "fraud-unknown"),
             cluster: "moka-c", queue: "root.onboarding.fraud-unknown", source: .rule, ruleID: "fraud-star"),
        Case(label: "a higher-priority prefix rule beats an exact project rule",
             rules: [Fixtures.rule("exact", priority: 5, match: RuleMatch(project: "fraud-features"), to: "moka-a"),
                     Fixtures.rule("prefix", priority: 6, match: RuleMatch(project: "fraud*"), to: "moka-c")],
             facts: Fixtures.facts(project: "fraud-features"),
             cluster: "moka-c", queue: "root.risk.fraud-features.tier1", source: .rule, ruleID: "prefix"),
        Case(label: "an org given on the submission is not read: the project's org decides",
             rules: [Fixtures.rule("growth-org", match: RuleMatch(org: "growth"), to: "moka-c"),
                     Fixtures.rule("risk-org", match: RuleMatch(org: "risk"), to: "moka-b")],
             facts: Fixtures.facts(org: "growth"),
             cluster: "moka-b", queue: "root.risk.fraud.tier1", source: .rule, ruleID: "risk-org"),
        Case(label: "a project the snapshot does not know has no org, whatever it claims",
             rules: [Fixtures.rule("growth-org", match: RuleMatch(org: "growth"), to: "moka-c")],
             facts: Fixtures.facts(project: "brand-new", org: "growth"),
             cluster: "moka-b", queue: "root.onboarding.brand-new", source: .onboarding),
        Case(label: "a claimed org does not move a job off its route", rules: [],
             facts: Fixtures.facts(org: "growth"),
             cluster: "moka-a", queue: "root.risk.fraud.tier1", source: .routingTable),
    ]

    @Test("decisions", arguments: cases)
    func decides(_ testCase: Case) throws {
        let snapshot = Fixtures.snapshot(testCase.rules)
        let decision = try SubmissionRouter.decide(testCase.facts, user: testCase.user, in: snapshot)
        #expect(decision.cluster == testCase.cluster)
        #expect(decision.queue == testCase.queue)
        #expect(decision.source == testCase.source)
        #expect(decision.ruleID == testCase.ruleID)
        #expect(decision.fallbackUsed == testCase.fallbackUsed)
        #expect(decision.namespace == Fixtures.clusters[testCase.cluster]?.sparkNamespace)
        #expect(!decision.reason.isEmpty)
    }

    @Test("reasons are one sentence naming the rule, its share and the workflow")
    func reasons() throws {
        let split = RoutingRule(id: "ccr-moka-b", priority: 100, match: RuleMatch(project: "fraud"),
                                split: [ClusterShare(cluster: "moka-b", percent: 100)])
        var decision = try SubmissionRouter.decide(Fixtures.facts(), user: "alice", in: Fixtures.snapshot([split]))
        #expect(decision.reason == "rule ccr-moka-b (priority 100) sends etl-daily to moka-b; the queue comes from the routing table")

        // Find which cluster etl-daily lands on with a 30/70 split, and check the sentence names that slice.
        let thirty = RoutingRule(id: "ccr-moka-b", priority: 100, match: RuleMatch(project: "fraud"),
                                 split: [ClusterShare(cluster: "moka-b", percent: 30), ClusterShare(cluster: "moka-a", percent: 70)])
        decision = try SubmissionRouter.decide(Fixtures.facts(), user: "alice", in: Fixtures.snapshot([thirty]))
        let percent = decision.cluster == "moka-b" ? 30 : 70
        #expect(decision.reason.hasPrefix("rule ccr-moka-b (priority 100) sends \(percent)% of workflows to \(decision.cluster); etl-daily hashes into that slice"))

        decision = try SubmissionRouter.decide(Fixtures.facts(), user: "alice", in: Fixtures.snapshot([]))
        #expect(decision.reason == "no rule matches; the nightly routing table places fraud tier 1 on moka-a in root.risk.fraud.tier1")
        decision = try SubmissionRouter.decide(Fixtures.facts(project: "newproj"), user: "alice", in: Fixtures.snapshot([]))
        #expect(decision.reason.contains("moka-b, the healthy cluster with the most onboarding headroom (120 free)"))
        let fallback = Fixtures.rule("to-d", match: RuleMatch(project: "fraud"), to: "moka-d", fallback: "moka-b")
        decision = try SubmissionRouter.decide(Fixtures.facts(), user: "alice", in: Fixtures.snapshot([fallback]))
        #expect(decision.reason.contains("chose moka-d, which is unhealthy, so its fallback moka-b is used"))
    }

    struct Failure: Sendable, CustomTestStringConvertible {
        let label: String
        let rules: [RoutingRule]
        var facts: SubmissionFacts = Fixtures.facts()
        var clusters: [String: ClusterState] = Fixtures.clusters
        let names: [String]
        var testDescription: String { label }
    }

    static var allDown: [String: ClusterState] {
        Fixtures.clusters.mapValues { ClusterState(healthy: false, sparkNamespace: $0.sparkNamespace, onboardingHeadroom: $0.onboardingHeadroom) }
    }

    static let failures: [Failure] = [
        Failure(label: "unhealthy target, no fallback",
                rules: [Fixtures.rule("to-d", match: RuleMatch(project: "fraud"), to: "moka-d")], names: ["moka-d"]),
        Failure(label: "unhealthy target and unhealthy fallback",
                rules: [Fixtures.rule("to-d", match: RuleMatch(project: "fraud"), to: "moka-d", fallback: "moka-a")],
                clusters: Fixtures.clusters.merging(["moka-a": ClusterState(healthy: false, sparkNamespace: "spark-a")]) { $1 },
                names: ["moka-d", "moka-a"]),
        Failure(label: "a rule naming a cluster the snapshot lacks",
                rules: [Fixtures.rule("to-z", match: RuleMatch(project: "fraud"), to: "moka-z", fallback: "moka-y")],
                names: ["moka-z", "moka-y"]),
        Failure(label: "the routing table's cluster is unhealthy", rules: [], facts: Fixtures.facts(project: "stranded"), names: ["moka-d"]),
        Failure(label: "onboarding with every cluster down", rules: [], facts: Fixtures.facts(project: "newproj"), clusters: allDown,
                names: ["moka-a", "moka-b", "moka-c", "moka-d"]),
    ]

    @Test("no healthy cluster: the error names the clusters", arguments: failures)
    func noHealthyCluster(_ failure: Failure) {
        let snapshot = Fixtures.snapshot(failure.rules, clusters: failure.clusters)
        do {
            let decision = try SubmissionRouter.decide(failure.facts, user: "alice", in: snapshot)
            Issue.record("decided \(decision.cluster)")
        } catch {
            guard case let .noHealthyCluster(clusters, detail) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(clusters == failure.names)
            #expect(!detail.isEmpty)
            for name in failure.names { #expect(error.description.contains(name)) }
        }
    }

    @Test("a tier outside 1…3 in hand-built facts is refused")
    func invalidTier() {
        #expect(throws: RoutingError.invalidTier(4)) {
            try SubmissionRouter.decide(Fixtures.facts(tier: 4), user: "alice", in: Fixtures.snapshot([]))
        }
    }

    @Test("a decision encodes and decodes with its reason")
    func codable() throws {
        let decision = try SubmissionRouter.decide(Fixtures.facts(), user: "alice", in: Fixtures.snapshot([]))
        let json = try JSONRoundTrip.encode(decision)
        #expect(json.contains("\"source\":\"routing-table\""))
        #expect(json.contains("\"reason\":\"no rule matches"))
        #expect(try JSONRoundTrip.decode(RoutingDecision.self, json) == decision)
    }

    @Test("rules are sorted by priority then id in the snapshot")
    func sorted() {
        let snapshot = Fixtures.snapshot([
            Fixtures.rule("b", priority: 1, match: RuleMatch(), to: "moka-a"),
            Fixtures.rule("c", priority: 9, match: RuleMatch(), to: "moka-a"),
            Fixtures.rule("a", priority: 1, match: RuleMatch(), to: "moka-a"),
        ])
        #expect(snapshot.rules.map(\.id) == ["c", "a", "b"])
    }
}
