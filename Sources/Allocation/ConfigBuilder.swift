import Parallel
public import Platform
public import QueueConfig
import Foundation

/// Tonight's plan for one cluster as YuniKorn's queue configuration: `root.<org>.<project>.tier<N>` leaves with
/// guaranteed, max and maxapplications; parents carrying the sums of their children; `root.onboarding`
/// holding the reserve.
public enum ConfigBuilder {
    /// The configuration for one cluster. Amounts are rounded down to a millicore / a MiB / a unit on the
    /// leaves, and parents sum the rounded leaves, so YuniKorn's parent ≥ Σ children checks hold exactly.
    public static func config(for plan: ClusterPlan, resources: [String]) -> SchedulerConfig {
        let capacity = Dictionary(uniqueKeysWithValues: resources.map {
            ($0, ResourceUnits.internalAmount(plan.cluster.capacity[$0] ?? 0, resource: $0))
        })
        struct Sized {
            var config: QueueConfig
            var guaranteed: [String: Int64]
            var max: [String: Int64]
            var apps: UInt64
        }
        func map(_ amounts: [String: Int64], keepZero: Bool) -> QuantityMap {
            resources.compactMap { name in
                guard (capacity[name] ?? 0) > 0, let amount = amounts[name], amount > 0 || keepZero else { return nil }
                return (name, ResourceUnits.quantityText(amount, resource: name))
            }
        }
        func parent(_ name: String, _ children: [Sized]) -> Sized {
            var guaranteed: [String: Int64] = [:], maximum: [String: Int64] = [:]
            var apps: UInt64 = 0
            for child in children {
                for (k, v) in child.guaranteed { guaranteed[k, default: 0] += v }
                for (k, v) in child.max { maximum[k, default: 0] += v }
                apps += child.apps
            }
            for (k, v) in maximum { maximum[k] = min(v, capacity[k] ?? v) }
            let config = QueueConfig(name: name, parent: true,
                                     resources: QueueResources(guaranteed: map(guaranteed, keepZero: false), max: map(maximum, keepZero: true)),
                                     maxApplications: apps, queues: children.map(\.config))
            return Sized(config: config, guaranteed: guaranteed, max: maximum, apps: apps)
        }

        var byOrg: [String: [String: [QueuePlan]]] = [:]
        for queue in plan.queues { byOrg[queue.queue.org, default: [:]][queue.queue.project, default: []].append(queue) }
        var orgs: [QueueConfig] = []
        for org in byOrg.keys.sorted() {
            var projects: [Sized] = []
            for project in byOrg[org]!.keys.sorted() {
                let leaves = byOrg[org]![project]!.sorted { $0.queue.tier < $1.queue.tier }.map { leaf -> Sized in
                    var guaranteed: [String: Int64] = [:], maximum: [String: Int64] = [:]
                    for resource in resources {
                        guard let allocation = leaf.resources[resource] else { continue }
                        guaranteed[resource] = ResourceUnits.internalAmount(allocation.guaranteed, resource: resource)
                        maximum[resource] = max(guaranteed[resource]!, ResourceUnits.internalAmount(allocation.max, resource: resource))
                    }
                    let apps = UInt64(max(1, leaf.maxApplications))
                    let config = QueueConfig(name: "tier\(leaf.queue.tier)",
                                             resources: QueueResources(guaranteed: map(guaranteed, keepZero: false), max: map(maximum, keepZero: true)),
                                             maxApplications: apps)
                    return Sized(config: config, guaranteed: guaranteed, max: maximum, apps: apps)
                }
                projects.append(parent(project, leaves))
            }
            orgs.append(parent(org, projects).config)
        }
        let reserve = Dictionary(uniqueKeysWithValues: resources.map { ($0, ResourceUnits.internalAmount(plan.reserve[$0] ?? 0, resource: $0)) })
        let onboarding = QueueConfig(name: "onboarding", parent: true,
                                     resources: QueueResources(guaranteed: map(reserve, keepZero: false), max: map(reserve, keepZero: true)))
        let root = QueueConfig(name: "root", submitACL: "*", queues: orgs + [onboarding])
        // The router stamps the queue on every job (`provided`). New projects are sent to
        // root.onboarding.<project>, which no plan lists yet: without `create` YuniKorn would reject those
        // applications, so the rule may create the leaf under the configured onboarding parent.
        return SchedulerConfig(partitions: [PartitionConfig(name: "default", queues: [root],
                                                            placementRules: [PlacementRule(name: "provided", create: true)],
                                                            nodeSortPolicy: NodeSortPolicy(type: "fair"))])
    }
}

/// The files tonight's plan produces for one cluster.
public struct ClusterOutput: Sendable, Equatable {
    public var cluster: String
    /// `Queues/<cluster>/queues.yaml`, in the emitter's canonical form.
    public var queuesYAML: String
    /// `Queues/<cluster>/configmap.yaml`: the same as the `yunikorn-configs` ConfigMap.
    public var configMapYAML: String
}

extension ConfigBuilder {
    /// Every cluster's files, each checked by our validator as YuniKorn will read it (the emitted text read
    /// back, which is also every check on the model); an invalid configuration is an error, never a file.
    public static func outputs(for plan: AllocationPlan) throws -> [ClusterOutput] {
        // Clusters are independent: built, emitted and validated in parallel, collected in order.
        let results = Concurrent.map(plan.clusters) { cluster -> Result<(ClusterOutput, [String]), any Error> in
            Result {
                let config = config(for: cluster, resources: plan.resources)
                let text = Emitter.yaml(config)
                var problems: [String] = []
                let result = Validator.validate(text: text)
                if !result.isValid {
                    problems.append("\(cluster.cluster.name): generated queues.yaml is invalid: "
                        + result.problems(.error).map(\.message).joined(separator: "; "))
                }
                return (ClusterOutput(cluster: cluster.cluster.name, queuesYAML: text,
                                      configMapYAML: try ConfigMap.yaml(queuesYAML: text)), problems)
            }
        }
        var outputs: [ClusterOutput] = []
        var problems: [String] = []
        for result in results {
            let (output, found) = try result.get()
            outputs.append(output)
            problems += found
        }
        guard problems.isEmpty else { throw PlanError.invalidConfig(problems) }
        return outputs
    }
}
