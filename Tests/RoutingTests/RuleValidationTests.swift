import Testing
@testable import Routing

/// Rule validation reports every problem, each with its field.
struct RuleValidationTests {
    static let clusters: Set<String> = ["moka-a", "moka-b", "moka-c"]

    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let rule: RoutingRule
        /// The fields that must be reported, in order.
        let fields: [String]
        var testDescription: String { label }
    }

    static func rule(id: String = "ok-rule", match: RuleMatch = RuleMatch(project: "fraud"),
                     split: [(String, Int)] = [("moka-a", 100)], fallback: String? = nil, queue: String? = nil) -> RoutingRule {
        RoutingRule(id: id, priority: 10, match: match, split: split.map { ClusterShare(cluster: $0.0, percent: $0.1) },
                    fallback: fallback, queue: queue)
    }

    static let cases: [Case] = [
        Case(label: "a valid redirect", rule: rule(), fields: []),
        Case(label: "a valid split with fallback and queue",
             rule: rule(match: RuleMatch(project: "fraud-*", tier: 1, workflow: "etl-*", labels: ["lane": "gpu"]),
                        split: [("moka-a", 70), ("moka-b", 30)], fallback: "moka-c", queue: "root.risk.fraud.tier1"),
             fields: []),
        Case(label: "a match-all rule is allowed", rule: rule(match: RuleMatch()), fields: []),
        Case(label: "bad id", rule: rule(id: "Bad_ID"), fields: ["id"]),
        Case(label: "empty id", rule: rule(id: ""), fields: ["id"]),
        Case(label: "percents not summing to 100", rule: rule(split: [("moka-a", 70), ("moka-b", 20)]), fields: ["split"]),
        Case(label: "empty split", rule: rule(split: []), fields: ["split"]),
        Case(label: "every problem at once",
             rule: rule(id: "-x", match: RuleMatch(project: "fr*aud", tier: 4, workflow: "*"),
                        split: [("moka-z", 50), ("moka-a", 120), ("moka-a", -70)], fallback: "moka-y", queue: "fraud.tier1"),
             fields: ["id", "match.project", "match.workflow", "match.tier", "split[0].cluster", "split[1].percent",
                      "split[2].cluster", "split[2].percent", "fallback", "queue"]),
        Case(label: "fallback equal to the only cluster", rule: rule(fallback: "moka-a"), fields: ["fallback"]),
        Case(label: "queue with an invalid name", rule: rule(queue: "root.risk..tier1"), fields: ["queue"]),
        Case(label: "empty user and org", rule: rule(match: RuleMatch(org: "", user: "")), fields: ["match.org", "match.user"]),
    ]

    @Test("problems", arguments: cases)
    func problems(_ testCase: Case) {
        let problems = RuleValidation.problems(testCase.rule, clusters: Self.clusters)
        #expect(problems.map(\.field) == testCase.fields, "\(problems)")
        for problem in problems { #expect(!problem.message.isEmpty) }
    }

    @Test("messages say what to do")
    func messages() {
        let problems = RuleValidation.problems(Self.rule(split: [("moka-z", 100)]), clusters: Self.clusters)
        #expect(problems.map(\.description) == ["split[0].cluster: \"moka-z\" is not a known cluster; use one of moka-a, moka-b, moka-c"])
    }

    @Test("a rule decodes from JSON without labels and encodes back")
    func codable() throws {
        let json = #"{"id":"ccr-moka-b","priority":100,"match":{"project":"fraud","tier":1},"split":[{"cluster":"moka-b","percent":30},{"cluster":"moka-a","percent":70}],"fallback":"moka-a"}"#
        let rule = try JSONRoundTrip.decode(RoutingRule.self, json)
        #expect(rule.match == RuleMatch(project: "fraud", tier: 1))
        #expect(rule.split == [ClusterShare(cluster: "moka-b", percent: 30), ClusterShare(cluster: "moka-a", percent: 70)])
        #expect(try JSONRoundTrip.decode(RoutingRule.self, try JSONRoundTrip.encode(rule)) == rule)
        #expect(rule.jsonValue.jsonText() == #"{"id":"ccr-moka-b","priority":100,"match":{"project":"fraud","tier":1},"split":[{"cluster":"moka-b","percent":30},{"cluster":"moka-a","percent":70}],"fallback":"moka-a"}"#)
    }
}
