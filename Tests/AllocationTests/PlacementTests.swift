@testable import Allocation
@testable import Platform
import LinearSolver
import QueueConfig
import Synth
import Testing

/// Builders for small plans.
enum Build {
    static func cluster(_ name: String, vcore: Double, memory: Double, gpu: Double = 0, labels: [String] = ["general"]) -> Cluster {
        var capacity = ["vcore": vcore, "memory": memory]
        if gpu > 0 { capacity[ResourceUnits.gpu] = gpu }
        return Cluster(name: name, capacity: capacity, labels: labels)
    }

    static func demand(_ path: String, vcore: Double, memory: Double, gpu: Double = 0) -> QueueDemand {
        var amount = ["vcore": vcore, "memory": memory]
        if gpu > 0 { amount[ResourceUnits.gpu] = gpu }
        return QueueDemand(queue: LeafQueue(path: path)!, amount: amount, maxApplications: 5, source: .history, hours: 336)
    }

    static func policy(reserve: Double = 0, pins: [Pin] = []) -> AllocationPolicy {
        var policy = AllocationPolicy()
        policy.reserveFraction = reserve
        policy.pins = pins
        return policy
    }

    static func previous(_ entries: [(String, String, Double)]) -> PreviousPlan {
        var plan = PreviousPlan()
        for (path, cluster, vcore) in entries {
            let queue = LeafQueue(path: path)!
            plan.cluster[queue] = cluster
            plan.guaranteed[queue] = ["vcore": vcore, "memory": vcore * 4]
        }
        return plan
    }
}

@Suite("Placement and plan")
struct PlacementTests {
    private func cluster(of path: String, in plan: AllocationPlan) -> String? {
        plan.queues.first { $0.queue.path == path }?.cluster
    }

    /// The only project that used GPUs must land on the cluster labelled gpu with GPU capacity, although
    /// the other cluster is far emptier.
    @Test func gpuWorkGoesToAGPUCluster() throws {
        let clusters = [Build.cluster("big", vcore: 10_000, memory: 40_000),
                        Build.cluster("small-gpu", vcore: 100, memory: 400, gpu: 8, labels: ["general", "gpu"])]
        let demands = [Build.demand("root.ml.train.tier2", vcore: 20, memory: 80, gpu: 2),
                       Build.demand("root.web.logs.tier3", vcore: 20, memory: 80)]
        let plan = try Planner.plan(clusters: clusters, policy: Build.policy(), demands: demands, previous: PreviousPlan())
        #expect(cluster(of: "root.ml.train.tier2", in: plan) == "small-gpu")
        let gpu = plan.queues.first { $0.queue.project == "train" }?.resources[ResourceUnits.gpu]
        #expect(gpu.map { abs($0.guaranteed - 2) < 1e-6 } == true)
    }

    /// A gpu label without GPU capacity is not enough, and no GPU cluster at all is an infeasible plan.
    @Test func gpuWorkWithoutAGPUClusterIsInfeasible() throws {
        let clusters = [Build.cluster("a", vcore: 1000, memory: 4000, labels: ["gpu"])]
        let demands = [Build.demand("root.ml.train.tier1", vcore: 10, memory: 40, gpu: 1)]
        #expect(throws: PlanError.self) {
            try Planner.plan(clusters: clusters, policy: Build.policy(), demands: demands, previous: PreviousPlan())
        }
    }

    /// A pin overrides last night's cluster and the emptier cluster: the project's every tier goes there.
    @Test func pinsAreRespected() throws {
        let clusters = [Build.cluster("a", vcore: 1000, memory: 4000), Build.cluster("b", vcore: 1000, memory: 4000)]
        let demands = [Build.demand("root.pay.ledger.tier1", vcore: 10, memory: 40),
                       Build.demand("root.pay.ledger.tier3", vcore: 10, memory: 40)]
        let previous = Build.previous([("root.pay.ledger.tier1", "a", 10), ("root.pay.ledger.tier3", "a", 10)])
        let plan = try Planner.plan(clusters: clusters, policy: Build.policy(pins: [Pin(project: "ledger", cluster: "b")]),
                                    demands: demands, previous: previous)
        #expect(cluster(of: "root.pay.ledger.tier1", in: plan) == "b")
        #expect(cluster(of: "root.pay.ledger.tier3", in: plan) == "b")
        #expect(plan.queues.allSatisfy { $0.moved })
    }

    /// A pin to a cluster clusters.yaml does not list is an input error naming the policy line.
    @Test func pinToUnknownClusterIsAnInputError() throws {
        let error = #expect(throws: PlanError.self) {
            try Planner.plan(clusters: [Build.cluster("a", vcore: 10, memory: 40)],
                             policy: Build.policy(pins: [Pin(project: "x", cluster: "nope", line: 12)]),
                             demands: [], previous: PreviousPlan())
        }
        #expect(error?.description.contains("policy.yaml:12") == true)
    }

    /// Without a reason to move, queues stay where they ran last night, even on the fuller cluster.
    @Test func queuesStayOnLastNightsClusterWhenTheyFit() throws {
        let clusters = [Build.cluster("a", vcore: 1000, memory: 4000), Build.cluster("b", vcore: 1000, memory: 4000)]
        let demands = (1...6).map { Build.demand("root.o.p\($0).tier2", vcore: 100, memory: 400) }
        let previous = Build.previous((1...6).map { ("root.o.p\($0).tier2", $0 <= 5 ? "a" : "b", 100) })
        let plan = try Planner.plan(clusters: clusters, policy: Build.policy(), demands: demands, previous: previous)
        #expect(plan.queues.filter(\.moved).isEmpty)
        #expect(plan.placement.gap <= 0.005)
    }

    /// Cluster a is asked for 1,300 vcore of 1,000: the hysteresis penalty loses to the overflow, so some work
    /// moves to b, and afterwards nothing is short.
    @Test func overloadMovesWorkAndHysteresisPenaltyKeepsTheRest() throws {
        let clusters = [Build.cluster("a", vcore: 1000, memory: 100_000), Build.cluster("b", vcore: 1000, memory: 100_000)]
        let demands = (1...13).map { Build.demand("root.o.p\($0).tier2", vcore: 100, memory: 10) }
        let previous = Build.previous((1...13).map { ("root.o.p\($0).tier2", "a", 100) })
        let plan = try Planner.plan(clusters: clusters, policy: Build.policy(), demands: demands, previous: previous)
        let moved = plan.queues.filter(\.moved).count
        #expect(moved >= 3)
        #expect(moved <= 5)  // a at ≤ 85% (target utilisation) needs at most 5 moves; more would only add move cost
        for queue in plan.queues { #expect(queue.resources["vcore"]!.coverage > 1 - 1e-6) }
    }

    /// The reserve is never handed out: 5% of 1,000 stays free although tier 3 asks for far more than the 50
    /// that tier 1 (900) leaves of the 950 usable.
    @Test func onboardingReserveIsKeptFree() throws {
        let clusters = [Build.cluster("a", vcore: 1000, memory: 4000)]
        let demands = [Build.demand("root.o.p.tier1", vcore: 900, memory: 100), Build.demand("root.o.q.tier3", vcore: 500, memory: 100)]
        let plan = try Planner.plan(clusters: clusters, policy: Build.policy(reserve: 0.05), demands: demands, previous: PreviousPlan())
        let total = plan.queues.reduce(0) { $0 + $1.resources["vcore"]!.guaranteed }
        #expect(abs(total - 950) < 1e-6)
        let config = ConfigBuilder.config(for: plan.clusters[0], resources: plan.resources)
        let onboarding = config.partitions[0].queues![0].queues.first { $0.name == "onboarding" }
        #expect(onboarding?.resources.guaranteed?.first { $0.name == "vcore" }?.quantity == "50")
    }

    /// Tier-1 demand that can only run on one cluster (pinned) and does not fit names the cluster, the
    /// resource and the excess.
    @Test func infeasiblePlacementNamesTheConflict() throws {
        let clusters = [Build.cluster("moka-a", vcore: 1000, memory: 100_000), Build.cluster("moka-b", vcore: 5000, memory: 100_000)]
        let demands = [Build.demand("root.o.p.tier1", vcore: 700, memory: 10), Build.demand("root.o.q.tier1", vcore: 640, memory: 10)]
        let policy = Build.policy(reserve: 0, pins: [Pin(project: "p", cluster: "moka-a"), Pin(project: "q", cluster: "moka-a")])
        let error = #expect(throws: PlanError.self) {
            try Planner.plan(clusters: clusters, policy: policy, demands: demands, previous: PreviousPlan())
        }
        guard case let .infeasible(lines)? = error else { Issue.record("expected infeasible, got \(String(describing: error))"); return }
        #expect(lines.contains { $0.hasPrefix("tier-1 demand on moka-a exceeds its capacity by 340 vcore") }, "\(lines)")
    }

    /// Column generation plus the restricted MIP against GLPK's branch and bound on the whole MIP: the
    /// objective must be within the 0.5% target of the true optimum, and the bound must be below it.
    @Test(arguments: 1...6) func restrictedMasterIsWithinTheGapOfTheFullMIP(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let clusterCount = 3
        let usable = (0..<clusterCount).map { _ in [800 + Double(random.next() % 600), 3000 + Double(random.next() % 3000)] }
        let items: [PlacementItem] = (0..<40).map { i in
            let v = 10 + Double(random.next() % 60)
            let previous = random.next() % 5 == 0 ? nil : Int(random.next() % UInt64(clusterCount))
            return PlacementItem(queue: LeafQueue(org: "o", project: "p\(i)", tier: 1 + i % 3),
                                 demand: [v, v * (2 + Double(random.next() % 4))], allowed: Array(0..<clusterCount), previous: previous)
        }
        // Everything starts crowded on cluster 0 half of the time.
        let problem = PlacementProblem(clusters: ["a", "b", "c"], resources: ["vcore", "memory"], usable: usable, items: items,
                                       tier3Floor: 0.1, movePenalty: 0.5, targetUtilization: 0.85)
        let result = try PlacementSolver.solve(problem)
        let meanUsable = [0, 1].map { r in usable.map { $0[r] }.reduce(0, +) / Double(clusterCount) }
        let costs = (0..<items.count).map { i in items[i].allowed.map { problem.cost(i, $0, meanUsable: meanUsable) } }
        let full = try MasterModel(problem: problem, costs: costs, columns: items.map { Array($0.allowed.indices) }, artificial: false)
        let optimum = try full.program.solveMIP(relativeGap: 0).objective
        #expect(result.lowerBound <= optimum + 1e-7)
        #expect(result.objective <= optimum * 1.005 + 1e-9, "ours \(result.objective) vs optimum \(optimum)")
        // Every item on an allowed cluster, once.
        #expect(result.assignment.count == items.count)
    }

    /// Whether an assignment keeps tier-1 demand and tier-3 floors within every cluster's usable capacity.
    private func meetsHardRows(_ problem: PlacementProblem, _ assignment: [Int]) -> Bool {
        var hard = problem.usable.map { $0.map { _ in 0.0 } }
        for (i, c) in assignment.enumerated() {
            for r in problem.resources.indices { hard[c][r] += problem.items[i].demand[r] * problem.hardShare(problem.items[i].queue.tier) }
        }
        return problem.clusters.indices.allSatisfy { c in problem.resources.indices.allSatisfy { hard[c][$0] <= problem.usable[c][$0] * (1 + 1e-9) + 1e-9 } }
    }

    /// Tier-1 queues of 8, 7, 6, 5 and 4 vcore on two clusters of 15: only {8, 7} + {6, 5, 4} fits. The
    /// greedy start (largest first, least loaded cluster) breaks a hard row; the solver must repair it.
    @Test func roundingThatBreaksAHardRowIsRepaired() throws {
        let sizes: [Double] = [8, 7, 6, 5, 4]
        let items = sizes.enumerated().map { i, v in
            PlacementItem(queue: LeafQueue(org: "o", project: "p\(i)", tier: 1), demand: [v], allowed: [0, 1], previous: nil)
        }
        let problem = PlacementProblem(clusters: ["a", "b"], resources: ["vcore"], usable: [[15], [15]], items: items,
                                       tier3Floor: 0.1, movePenalty: 0.5, targetUtilization: 0.85)
        let costs = items.map { _ in [0.0, 0.0] }
        let start = PlacementSolver.construct(problem, costs: costs)
        #expect(!meetsHardRows(problem, start), "the start \(start) already fits: the test no longer needs a repair")
        let result = try PlacementSolver.solve(problem)
        #expect(meetsHardRows(problem, result.assignment), "\(result.assignment)")
        #expect(result.gap <= 0.005)
    }

    /// A tight first night (tier-1 demand and tier-3 floors 90% of usable capacity, nothing placed before):
    /// every hard row met, within the 0.5% target of the LP bound.
    @Test func tightFirstNightIsPlacedWithinTheGap() throws {
        let platform = SyntheticPlatform(queues: 1_500, clusters: 5, seed: 7, firstNight: true, peaky: true, hardShare: 0.9)
        let plan = try Planner.plan(clusters: platform.clusters, policy: platform.policy, demands: platform.demands,
                                    previous: platform.previous, fullModelFallback: false)
        #expect(plan.placement.gap <= 0.005, "gap \(plan.placement.gap)")
        #expect(plan.placement.lowerBound <= plan.placement.objective)
        for cluster in plan.clusters {
            for resource in plan.resources {
                let hard = cluster.queues.reduce(0.0) { total, queue in
                    let share = queue.queue.tier == 1 ? 1 : queue.queue.tier == 3 ? platform.policy.tier3Floor : 0
                    return total + (queue.demand.amount[resource] ?? 0) * share
                }
                let usable = (cluster.cluster.capacity[resource] ?? 0) * (1 - platform.policy.reserveFraction)
                #expect(hard <= usable * (1 + 1e-9), "\(cluster.cluster.name) \(resource): \(hard) > \(usable)")
            }
        }
    }

    /// No cluster is short of vcore or memory on its own, but the queues need both on one cluster: the LP
    /// relaxation has no solution, so the placement is infeasible and the message names the binding resource.
    @Test func resourceMixThatNoClusterHasIsInfeasible() throws {
        let items = (0..<4).map { i in
            PlacementItem(queue: LeafQueue(org: "o", project: "p\(i)", tier: 1), demand: [60, 60], allowed: [0, 1], previous: nil)
        }
        // a: 200 vcore, 100 memory; b: 100 vcore, 200 memory. 240 of each is needed; 300 of each exists.
        let problem = PlacementProblem(clusters: ["a", "b"], resources: ["vcore", "memory"], usable: [[200, 100], [100, 200]],
                                       items: items, tier3Floor: 0.1, movePenalty: 0.5, targetUtilization: 0.85)
        let error = #expect(throws: PlacementInfeasible.self) { try PlacementSolver.solve(problem) }
        let reasons = error?.reasons ?? []
        #expect(reasons.contains { $0.contains("tier-1 demand and tier-3 floors need") && $0.contains("binding on") }, "\(reasons)")
    }
}
