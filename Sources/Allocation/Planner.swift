public import Platform
import Foundation
import QueueConfig

/// One leaf queue in tonight's plan.
public struct QueuePlan: Sendable {
    public var queue: LeafQueue
    public var cluster: String
    /// Last night's cluster (nil: a new queue).
    public var previousCluster: String?
    public var demand: QueueDemand
    /// Per resource the cluster has.
    public var resources: [String: ResourceAllocation]
    /// Last night's guaranteed per resource on its cluster (empty for a new queue).
    public var previousGuaranteed: [String: Double]

    public var maxApplications: Int { demand.maxApplications }
    public var moved: Bool { previousCluster != nil && previousCluster != cluster }
}

/// One cluster in tonight's plan.
public struct ClusterPlan: Sendable {
    public var cluster: Cluster
    /// Kept free for `root.onboarding`, per resource.
    public var reserve: [String: Double]
    /// Per resource the cluster has.
    public var blocks: [String: BlockResult]
    /// Its leaf queues, sorted.
    public var queues: [QueuePlan]
}

/// Everything the nightly allocation decided, before anything is written.
public struct AllocationPlan: Sendable {
    public var policy: AllocationPolicy
    public var resources: [String]
    public var clusters: [ClusterPlan]
    public var placement: PlacementResult
    /// Blocks whose change limits were dropped, with why.
    public var relaxations: [String]
    /// Demand queues that are not `root.<org>.<project>.tier<N>` (not sized).
    public var ignoredQueues: [String]
    public var windowStart: Int64
    public var windowEnd: Int64
    public var placementSeconds: Double
    public var allocationSeconds: Double

    /// Every leaf queue, sorted by path.
    public var queues: [QueuePlan] { clusters.flatMap(\.queues).sorted { $0.queue < $1.queue } }
    /// Every model GLPK solved, in order.
    public var models: [SolvedModel] { placement.models + clusters.flatMap { c in c.blocks.values.sorted { $0.resource < $1.resource }.flatMap(\.models) } }
}

/// Why the allocation stopped: problems in the inputs, or a model with no solution.
public enum PlanError: Error, Sendable, CustomStringConvertible {
    /// Inputs contradict each other (a pin to an unknown cluster, ...).
    case input([String])
    /// No plan meets the hard constraints; each line names the conflicting constraints.
    case infeasible([String])
    /// A generated configuration failed our validator (a bug: nothing is written).
    case invalidConfig([String])

    public var description: String {
        switch self {
        case let .input(lines): lines.joined(separator: "\n")
        case let .invalidConfig(lines): lines.joined(separator: "\n")
        case let .infeasible(lines): "infeasible: " + lines.joined(separator: "\n")
        }
    }
}

/// Demand → placement → allocation, on values only.
public enum Planner {
    /// Plans every leaf queue on every cluster.
    ///
    /// - Parameter exportDirectory: when set, GLPK writes the models it solves there (CPLEX LP, and MPS
    ///   for the placement).
    public static func plan(clusters: [Cluster], policy: AllocationPolicy, demands: [QueueDemand], previous: PreviousPlan,
                            ignoredQueues: [String] = [], windowStart: Int64 = 0, windowEnd: Int64 = 0,
                            exportDirectory: String? = nil, gapTarget: Double = 0.005, fullModelFallback: Bool = true) throws -> AllocationPlan {
        let clusters = clusters.sorted { $0.name < $1.name }
        let resources = ResourceUnits.sorted(clusters.flatMap(\.capacity.keys))
        let clusterIndex = Dictionary(uniqueKeysWithValues: clusters.enumerated().map { ($1.name, $0) })
        var inputProblems: [String] = []
        for pin in policy.pins where clusterIndex[pin.cluster] == nil {
            inputProblems.append("policy.yaml:\(pin.line): pins: cluster \"\(pin.cluster)\" (for project \(pin.project)) is not in clusters.yaml; fix the name or add the cluster")
        }
        var skipped = ignoredQueues
        var sized: [QueueDemand] = []
        for demand in demands {
            if QueueName.isValid(demand.queue.org) && QueueName.isValid(demand.queue.project) {
                sized.append(demand)
            } else {
                skipped.append(demand.queue.path)
            }
        }
        guard inputProblems.isEmpty else { throw PlanError.input(inputProblems) }

        // Where each queue may run.
        var structural: [String] = []
        let items: [PlacementItem] = sized.map { demand in
            var allowed = clusters.indices.filter { c in
                let cluster = clusters[c]
                for resource in demand.usedResources where resources.contains(resource) {
                    if (cluster.capacity[resource] ?? 0) <= 0 { return false }
                }
                if demand.usedResources.contains(ResourceUnits.gpu) && !cluster.takesGPUWork { return false }
                return true
            }
            if let pin = policy.pin(for: demand.queue), let c = clusterIndex[pin.cluster] {
                if !allowed.contains(c) {
                    structural.append("\(demand.queue.path) is pinned to \(pin.cluster) (policy.yaml:\(pin.line)), which cannot run it: it used \(ResourceUnits.sorted(demand.usedResources).joined(separator: ", ")) and needs \(demand.usedResources.contains(ResourceUnits.gpu) ? "the gpu label and GPU capacity" : "capacity for each"); pin it elsewhere")
                }
                allowed = [c]
            }
            let previousIndex = previous.cluster[demand.queue].flatMap { clusterIndex[$0] }
            let amounts = resources.map { demand.amount[$0] ?? 0 }
            var stay: [Double]?
            if previousIndex != nil, let before = previous.guaranteed[demand.queue] {
                stay = zip(resources, amounts).map { resource, amount in
                    guard let g0 = before[resource], g0 > 0 else { return amount }
                    return Swift.min(Swift.max(amount, g0 * Swift.max(0, 1 - policy.maxChangeFraction)), g0 * (1 + policy.maxChangeFraction))
                }
            }
            return PlacementItem(queue: demand.queue, demand: amounts, allowed: allowed, previous: previousIndex, stay: stay)
        }
        guard structural.isEmpty else { throw PlanError.infeasible(structural) }

        let reserve = clusters.map { c in resources.map { (c.capacity[$0] ?? 0) * policy.reserveFraction } }
        let usable = clusters.enumerated().map { c, cluster in
            resources.enumerated().map { r, name in (cluster.capacity[name] ?? 0) - reserve[c][r] }
        }
        let problem = PlacementProblem(clusters: clusters.map(\.name), resources: resources, usable: usable, items: items,
                                       tier3Floor: policy.tier3Floor, movePenalty: policy.movePenalty,
                                       targetUtilization: policy.targetUtilization)
        let placementClock = ContinuousClock.now
        let placement: PlacementResult
        do {
            placement = try PlacementSolver.solve(problem, gapTarget: gapTarget, fullModelFallback: fullModelFallback,
                                                  exportDirectory: exportDirectory)
        } catch let error as PlacementInfeasible {
            throw PlanError.infeasible(error.reasons)
        }
        let placementSeconds = (ContinuousClock.now - placementClock).secondsValue

        let allocationClock = ContinuousClock.now
        var clusterPlans: [ClusterPlan] = []
        var relaxations: [String] = []
        var infeasible: [String] = []
        for (c, cluster) in clusters.enumerated() {
            let members = items.indices.filter { placement.assignment[$0] == c }.sorted { items[$0].queue < items[$1].queue }
            var blocks: [String: BlockResult] = [:]
            for (r, resource) in resources.enumerated() {
                let queues = members.map { i -> BlockQueue in
                    let queue = items[i].queue
                    let before = previous.cluster[queue] == cluster.name ? previous.guaranteed[queue]?[resource] : nil
                    return BlockQueue(tier: queue.tier, demand: items[i].demand[r], previous: before)
                }
                do {
                    let block = try AllocationSolver.solve(cluster: cluster.name, resource: resource, usable: usable[c][r],
                                                           capacity: cluster.capacity[resource] ?? 0, queues: queues,
                                                           policy: policy, exportDirectory: exportDirectory)
                    if block.relaxed {
                        relaxations.append("\(cluster.name) \(resource): the ±\(Int((policy.maxChangeFraction * 100).rounded()))% change limit would not leave room for tier-1 demand and the tier-3 floor; it was dropped for this cluster and resource tonight")
                    }
                    blocks[resource] = block
                } catch let error as AllocationInfeasible {
                    infeasible.append(error.description)
                }
            }
            var queuePlans: [QueuePlan] = []
            for (k, i) in members.enumerated() {
                let queue = items[i].queue
                var allocations: [String: ResourceAllocation] = [:]
                for resource in resources { if let block = blocks[resource] { allocations[resource] = block.queues[k] } }
                let demand = sized[i]
                queuePlans.append(QueuePlan(queue: queue, cluster: cluster.name, previousCluster: previous.cluster[queue],
                                            demand: demand, resources: allocations,
                                            previousGuaranteed: previous.guaranteed[queue] ?? [:]))
            }
            clusterPlans.append(ClusterPlan(cluster: cluster,
                                            reserve: Dictionary(uniqueKeysWithValues: resources.enumerated().map { ($1, reserve[c][$0]) }),
                                            blocks: blocks, queues: queuePlans))
        }
        guard infeasible.isEmpty else { throw PlanError.infeasible(infeasible) }
        return AllocationPlan(policy: policy, resources: resources, clusters: clusterPlans, placement: placement,
                              relaxations: relaxations, ignoredQueues: skipped.sorted(), windowStart: windowStart,
                              windowEnd: windowEnd, placementSeconds: placementSeconds,
                              allocationSeconds: (ContinuousClock.now - allocationClock).secondsValue)
    }
}
