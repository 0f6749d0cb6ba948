import Synth
import Routing

/// Times `SubmissionRouter.decide` on a realistic snapshot: a routing table of `projects` × 3 tiers over 10
/// clusters (one unhealthy), `rules` rules of mixed shapes (exact project redirects and splits, prefix
/// matches, workflow, org, user and label rules, some splits onto the unhealthy cluster with and without
/// a fallback), and a pool of pre-generated submissions of which about 2% are for projects with no route.
/// The caller passes a monotonic nanosecond clock: the core reads none.
enum RouterBenchmark {
    /// What was measured, on which inputs.
    struct Report: Sendable, CustomStringConvertible {
        var rules: Int
        var projects: Int
        var routes: Int
        var clusters: Int
        var distinctSubmissions: Int
        var decisions: Int
        var elapsedNanoseconds: UInt64
        /// Decisions per second, reasons not rendered (the server renders one per response).
        var decisionsPerSecond: Double
        /// Decisions per second with each reason sentence rendered too, over a tenth of the decisions.
        var decisionsWithReasonPerSecond: Double
        var bySource: [String: Int]
        var fallbacks: Int
        var noHealthyCluster: Int

        /// One paragraph: the rate and the inputs it was measured on.
        var description: String {
            let sources = bySource.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return """
            route decisions: \(format(decisionsPerSecond))/s (\(format(decisionsWithReasonPerSecond))/s with the reason rendered), \
            \(decisions) decisions in \(Double(elapsedNanoseconds) / 1e6) ms on one thread
            inputs: \(rules) rules, \(projects) projects, \(routes) routes, \(clusters) clusters (1 unhealthy), \
            \(distinctSubmissions) distinct submissions; outcomes: \(sources), fallbacks \(fallbacks), no healthy cluster \(noHealthyCluster)
            """
        }

        private func format(_ rate: Double) -> String {
            rate >= 1e6 ? "\((rate / 1e4).rounded() / 100)M" : "\(Int(rate))"
        }
    }

    /// Builds the inputs, runs `decisions` decisions and reports the rate.
    static func run(rules: Int = 200, projects: Int = 10_000, decisions: Int = 1_000_000,
                           clock: () -> UInt64) -> Report {
        let world = World(rules: rules, projects: projects)
        let snapshot = world.snapshot
        let pool = world.submissions
        var bySource: [RoutingDecision.Source: Int] = [:]
        var fallbacks = 0
        var failures = 0
        var checksum = 0

        // One untimed pass warms caches and counts outcomes.
        for item in pool {
            do {
                let decision = try SubmissionRouter.decide(item.facts, user: item.user, in: snapshot)
                bySource[decision.source, default: 0] += 1
                if decision.fallbackUsed { fallbacks += 1 }
            } catch {
                failures += 1
            }
        }

        let start = clock()
        var position = 0
        for _ in 0..<decisions {
            let item = pool[position]
            position += 1
            if position == pool.count { position = 0 }
            do {
                let decision = try SubmissionRouter.decide(item.facts, user: item.user, in: snapshot)
                checksum &+= decision.queue.utf8.count &+ (decision.fallbackUsed ? 1 : 0)
            } catch {
                checksum &+= 7
            }
        }
        let elapsed = max(clock() &- start, 1)

        let withReason = max(decisions / 10, 1)
        let reasonStart = clock()
        position = 0
        for _ in 0..<withReason {
            let item = pool[position]
            position += 1
            if position == pool.count { position = 0 }
            do {
                let decision = try SubmissionRouter.decide(item.facts, user: item.user, in: snapshot)
                checksum &+= decision.reason.utf8.count
            } catch {
                checksum &+= error.description.utf8.count
            }
        }
        let reasonElapsed = max(clock() &- reasonStart, 1)
        // The checksum keeps the optimiser from dropping the loops; it is never zero for these inputs.
        precondition(checksum != 0)

        return Report(rules: snapshot.rules.count, projects: projects, routes: snapshot.routes.count,
                      clusters: snapshot.clusters.count, distinctSubmissions: pool.count, decisions: decisions,
                      elapsedNanoseconds: elapsed, decisionsPerSecond: Double(decisions) / (Double(elapsed) / 1e9),
                      decisionsWithReasonPerSecond: Double(withReason) / (Double(reasonElapsed) / 1e9),
                      bySource: Dictionary(uniqueKeysWithValues: bySource.map { ($0.key.rawValue, $0.value) }),
                      fallbacks: fallbacks, noHealthyCluster: failures)
    }

    /// The synthetic inputs, reproducible from a fixed seed.
    struct World {
        struct Item {
            var facts: SubmissionFacts
            var user: String
        }

        var snapshot: RoutingSnapshot
        var submissions: [Item]

        init(rules ruleCount: Int, projects projectCount: Int, submissions submissionCount: Int = 100_000) {
            var random = SplitMix64(seed: 0x5EED_0005)
            let clusterNames = (0..<10).map { "cluster-\(Character(Unicode.Scalar(UInt8(0x61 + $0))))" }
            let unhealthy = clusterNames[3]
            var clusters: [String: ClusterState] = [:]
            for (position, name) in clusterNames.enumerated() {
                clusters[name] = ClusterState(healthy: name != unhealthy, sparkNamespace: "spark-jobs",
                                              onboardingHeadroom: Double(50 + position * 7 % 30))
            }
            let healthy = clusterNames.filter { $0 != unhealthy }
            let orgs = (0..<20).map { "org\($0)" }
            let projectNames = (0..<projectCount).map { "proj-" + String(100_000 + $0).dropFirst() }
            var projects: [String: ProjectOwnership] = [:]
            var routes: [RouteKey: RouteTarget] = [:]
            for (position, project) in projectNames.enumerated() {
                let org = orgs[position % orgs.count]
                projects[project] = ProjectOwnership(owner: "team-\(position % 500)", org: org)
                // 2% of projects are new: known owners, no route yet.
                guard position % 50 != 49 else { continue }
                for tier in 1...3 {
                    let cluster = healthy[Int(random.next() % UInt64(healthy.count))]
                    routes[RouteKey(org: org, project: project, tier: tier)] =
                        RouteTarget(cluster: cluster, queue: "root.\(org).\(project).tier\(tier)")
                }
            }

            func pickProject() -> String { projectNames[Int(random.next() % UInt64(projectNames.count))] }
            func pickCluster() -> String { clusterNames[Int(random.next() % UInt64(clusterNames.count))] }
            var rules: [RoutingRule] = []
            for position in 0..<ruleCount {
                let id = "rule-\(position)"
                let priority = Int(random.next() % 200)
                let shape = position % 20
                var rule = RoutingRule(id: id, priority: priority, split: [ClusterShare(cluster: healthy[position % healthy.count], percent: 100)])
                switch shape {
                case 0...9:     // exact project, sometimes one tier
                    rule.match = RuleMatch(project: pickProject(), tier: shape % 2 == 0 ? Int(random.next() % 3) + 1 : nil)
                case 10...12:   // migrations: splits, some onto the unhealthy cluster
                    let first = shape == 10 ? unhealthy : pickCluster()
                    var second = healthy[Int(random.next() % UInt64(healthy.count))]
                    if second == first { second = healthy[(healthy.firstIndex(of: second)! + 1) % healthy.count] }
                    let percent = 10 + Int(random.next() % 80)
                    rule.match = RuleMatch(project: pickProject())
                    rule.split = [ClusterShare(cluster: first, percent: percent), ClusterShare(cluster: second, percent: 100 - percent)]
                    if position % 3 != 0 { rule.fallback = healthy.first { $0 != first && $0 != second } }
                case 13, 14:    // prefix matches over a hundred projects
                    rule.match = RuleMatch(project: String(pickProject().prefix(8)) + "*", tier: Int(random.next() % 3) + 1)
                case 15, 16:    // one workflow
                    rule.match = RuleMatch(workflow: "wf-\(pickProject())-\(random.next() % 4)")
                case 17:        // an org's tier
                    rule.match = RuleMatch(org: orgs[Int(random.next() % UInt64(orgs.count))], tier: 3)
                    rule.queue = "root.batch.overflow"
                case 18:        // a label
                    rule.match = RuleMatch(labels: ["lane": "gpu-\(random.next() % 8)"])
                default:        // a user
                    rule.match = RuleMatch(user: "user-\(random.next() % 200)")
                }
                rules.append(rule)
            }
            snapshot = RoutingSnapshot(rules: rules, routes: routes, clusters: clusters, projects: projects, version: 1, builtAt: 0)

            var items: [Item] = []
            items.reserveCapacity(submissionCount)
            for _ in 0..<submissionCount {
                let project = pickProject()
                let tier = Int(random.next() % 3) + 1
                let workflow = "wf-\(project)-\(random.next() % 4)"
                var labels = [IdentityLabel.workflow: workflow, IdentityLabel.project: project, IdentityLabel.tier: String(tier)]
                if random.next() % 10 == 0 { labels["lane"] = "gpu-\(random.next() % 8)" }
                let facts = SubmissionFacts(project: project, tier: tier, workflow: workflow, job: "load", name: workflow + "-load",
                                            labels: labels)
                items.append(Item(facts: facts, user: "user-\(random.next() % 1000)"))
            }
            submissions = items
        }
    }
}
