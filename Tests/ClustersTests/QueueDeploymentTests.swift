import Platform
import Allocation
@testable import Clusters
import Foundation
import QueueConfig
import Testing

/// Queue configurations built from (org, project, tier, guaranteed vcore, guaranteed memory) rows, as the
/// allocator writes them: parents carry the sums of their children.
enum Configs {
    struct Leaf {
        var org: String
        var project: String
        var tier: Int
        var vcore: String
        var memory: String
    }

    static func text(_ leaves: [Leaf]) -> String {
        var out = "partitions:\n  - name: default\n    placementrules:\n      - name: provided\n    queues:\n      - name: root\n        submitacl: '*'\n        queues:\n"
        let orgs = leaves.map(\.org).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for org in orgs {
            out += "          - name: \(org)\n            parent: true\n            queues:\n"
            let projects = leaves.filter { $0.org == org }.map(\.project).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            for project in projects {
                out += "              - name: \(project)\n                parent: true\n                queues:\n"
                for leaf in leaves where leaf.org == org && leaf.project == project {
                    out += "                  - name: tier\(leaf.tier)\n                    resources:\n"
                        + "                      guaranteed:\n                        vcore: \(leaf.vcore)\n"
                        + "                        memory: \(leaf.memory)\n"
                }
            }
        }
        return out
    }

    static let base = [
        Leaf(org: "data-eng", project: "compaction", tier: 1, vcore: "10", memory: "100Gi"),
        Leaf(org: "data-eng", project: "compaction", tier: 2, vcore: "10", memory: "100Gi"),
        Leaf(org: "search", project: "ranking", tier: 1, vcore: "4000m", memory: "16Gi"),
    ]

    static func replacing(_ project: String, tier: Int = 1, vcore: String? = nil, memory: String? = nil) -> [Leaf] {
        base.map { leaf in
            guard leaf.project == project, leaf.tier == tier else { return leaf }
            var changed = leaf
            if let vcore { changed.vcore = vcore }
            if let memory { changed.memory = memory }
            return changed
        }
    }

    static func live(_ text: String, version: String = "7") -> LiveQueueConfig {
        LiveQueueConfig(queuesYAML: text, resourceVersion: version, object: [])
    }
}

@Suite("Queue deployment")
struct QueueDeploymentTests {
    struct ShrinkCase: Sendable, CustomTestStringConvertible {
        var name: String
        var proposed: [Configs.Leaf]
        var allowance: Double
        /// "queue resource running->proposed" for every expected shrink.
        var expected: [String]
        var testDescription: String { name }
    }

    @Test(arguments: [
        ShrinkCase(name: "no change", proposed: Configs.base, allowance: 0.3, expected: []),
        ShrinkCase(name: "exactly the allowance passes", proposed: Configs.replacing("compaction", vcore: "7"),
                   allowance: 0.3, expected: []),
        ShrinkCase(name: "just past the allowance", proposed: Configs.replacing("compaction", vcore: "6999m"),
                   allowance: 0.3, expected: ["root.data-eng.compaction.tier1 vcore 10->6999m"]),
        ShrinkCase(name: "memory halves", proposed: Configs.replacing("ranking", memory: "8Gi"), allowance: 0.3,
                   expected: ["root.search.ranking.tier1 memory 16Gi->8Gi"]),
        ShrinkCase(name: "a stricter policy", proposed: Configs.replacing("ranking", vcore: "3500m"), allowance: 0.1,
                   expected: ["root.search.ranking.tier1 vcore 4000m->3500m"]),
        ShrinkCase(name: "growth is never refused", proposed: Configs.replacing("ranking", vcore: "40", memory: "1Ti"),
                   allowance: 0, expected: []),
        ShrinkCase(name: "tier 2 cuts are not guarded", proposed: Configs.replacing("compaction", tier: 2, vcore: "1"),
                   allowance: 0.3, expected: []),
        ShrinkCase(name: "a removed tier-1 queue", proposed: Array(Configs.base.prefix(2)), allowance: 0.3,
                   expected: ["root.search.ranking.tier1 vcore 4000m->removed",
                              "root.search.ranking.tier1 memory 16Gi->removed"]),
    ])
    func findsTier1CutsPastTheAllowance(_ c: ShrinkCase) throws {
        var policy = AllocationPolicy()
        policy.maxTier1ShrinkFraction = c.allowance
        let plan = QueueDeployment.plan(cluster: "moka-a", file: "Queues/moka-a/queues.yaml",
                                        newText: Configs.text(c.proposed), live: Configs.live(Configs.text(Configs.base)),
                                        policy: policy)
        #expect(plan.validation.isValid)
        let found = plan.shrinks.map { "\($0.queue) \($0.resource) \($0.running)->\($0.proposed ?? "removed")" }
        #expect(found == c.expected)
        #expect(plan.needsForce == !c.expected.isEmpty)
        #expect(plan.shrinks.allSatisfy { $0.cut > c.allowance })
    }

    @Test func showsAUnifiedDiffAgainstWhatTheClusterRuns() {
        let new = Configs.text(Configs.replacing("ranking", vcore: "5"))
        let plan = QueueDeployment.plan(cluster: "moka-a", file: "Queues/moka-a/queues.yaml", newText: new,
                                        live: Configs.live(Configs.text(Configs.base), version: "42"),
                                        policy: AllocationPolicy())
        // Lines 31-35 of the configuration are ranking's tier-1 queue; its vcore is line 34.
        func indent(_ n: Int) -> String { String(repeating: " ", count: n) }
        #expect(plan.diff == "--- moka-a yunikorn-configs (resourceVersion 42)\n+++ Queues/moka-a/queues.yaml\n"
            + "@@ -31,5 +31,5 @@\n"
            + " \(indent(18))- name: tier1\n \(indent(20))resources:\n \(indent(22))guaranteed:\n"
            + "-\(indent(24))vcore: 4000m\n+\(indent(24))vcore: 5\n \(indent(24))memory: 16Gi\n")
        #expect(!plan.isUnchanged)
        let same = QueueDeployment.plan(cluster: "moka-a", file: "f", newText: new, live: Configs.live(new),
                                        policy: AllocationPolicy())
        #expect(same.diff.isEmpty)
        #expect(same.isUnchanged)
    }

    @Test func deploysThroughATargetRefusingCutsUnlessForced() throws {
        let target = try DryRunTarget(cluster: "moka-a")
        let policy = AllocationPolicy()
        let file = "Queues/moka-a/queues.yaml"
        let base = Configs.text(Configs.base)

        let first = try QueueDeployment.deploy(cluster: "moka-a", file: file, newText: base, to: target, policy: policy, force: false)
        #expect(first.outcome == .applied)
        #expect(first.diff.hasPrefix("--- moka-a (no yunikorn-configs)\n+++ \(file)\n@@ -0,0 +1,"))
        #expect(first.exitCode == 0)
        #expect(target.requests.map(\.method) == ["POST"])

        let again = try QueueDeployment.deploy(cluster: "moka-a", file: file, newText: base, to: target, policy: policy, force: false)
        #expect(again.outcome == .unchanged)
        #expect(again.diff.isEmpty)
        #expect(target.requests.count == 1)

        let cut = Configs.text(Configs.replacing("compaction", vcore: "2"))
        let refused = try QueueDeployment.deploy(cluster: "moka-a", file: file, newText: cut, to: target, policy: policy, force: false)
        #expect(refused.outcome == .refused)
        #expect(refused.exitCode == 6)
        #expect(!refused.applied)
        #expect(refused.shrinks.map(\.queue) == ["root.data-eng.compaction.tier1"])
        #expect(refused.text.contains("root.data-eng.compaction.tier1 vcore: 10 -> 2 (-80%)"))
        #expect(refused.text.contains("--force"))
        #expect(try target.queueConfig()?.queuesYAML == base)

        let forced = try QueueDeployment.deploy(cluster: "moka-a", file: file, newText: cut, to: target, policy: policy, force: true)
        #expect(forced.outcome == .applied)
        #expect(forced.forced)
        #expect(try target.queueConfig()?.queuesYAML == cut)
        #expect(target.requests.map(\.method) == ["POST", "PUT"])

        // A growth needs no force, and is not reported as forced when force is given anyway.
        let grown = try QueueDeployment.deploy(cluster: "moka-a", file: file, newText: base, to: target, policy: policy, force: true)
        #expect(grown.outcome == .applied)
        #expect(!grown.forced)
    }

    @Test func refusesAnInvalidConfigurationWithTheValidatorsMessageWithoutContactingTheCluster() throws {
        let target = try DryRunTarget(cluster: "moka-a")
        let invalid = "partitions:\n  - name: default\n    queues:\n      - name: root\n        queues:\n          - name: a\n            resources: {max: {memory: 10GB}}\n"
        let report = try QueueDeployment.deploy(cluster: "moka-a", file: "q.yaml", newText: invalid, to: target,
                                                policy: AllocationPolicy(), force: true)
        #expect(report.outcome == .invalid)
        #expect(report.exitCode == 3)
        #expect(!report.valid)
        #expect(report.problems.contains {
            $0.hasPrefix("q.yaml:7:") && $0.contains("resources.max.memory") && $0.contains("10GB")
        })
        #expect(report.yunikornError?.contains("invalid quantity") == true)
        #expect(target.requests.isEmpty)
    }

    @Test func anUnreadableRunningConfigurationNeedsForce() {
        let plan = QueueDeployment.plan(cluster: "moka-a", file: "f", newText: Configs.text(Configs.base),
                                        live: Configs.live("partitions: [\n"), policy: AllocationPolicy())
        #expect(plan.liveUnreadable != nil)
        #expect(plan.needsForce)
    }

    @Test func theReportRendersAsSnakeCaseJSON() throws {
        let target = try DryRunTarget(cluster: "moka-a")
        let report = try QueueDeployment.deploy(cluster: "moka-a", file: "f", newText: Configs.text(Configs.base),
                                                to: target, policy: AllocationPolicy(), force: false)
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        #expect(object?["outcome"] as? String == "applied")
        #expect(object?["resource_version"] as? String == report.resourceVersion)
        #expect(object?["target"] as? String == "dry-run")
        #expect(Set(object.map { Array($0.keys) } ?? []).isSuperset(of: ["cluster", "valid", "problems", "diff", "shrinks", "applied", "forced"]))
        #expect(try JSONDecoder().decode(DeployReport.self, from: JSONEncoder().encode(report)) == report)
    }
}
