public import QueueConfig

/// Generates large, realistic, valid queue configurations in Bursar's org-based scheme
/// (`root.<org>.<project>.tier<N>`) for benchmarks and tests.
public enum SyntheticQueues {
    /// A configuration with about `queueCount` queues below root in three levels (org, project,
    /// tier), so four levels counting root. Leaves get guaranteed and max, parents the sums,
    /// and some projects get user limits and ACLs, as real platforms do.
    public static func orgTree(queueCount: Int, orgs: Int = 25) -> SchedulerConfig {
        let orgCount = max(1, min(orgs, queueCount / 4))
        let projects = max(1, (queueCount - orgCount + 3) / 4)
        var orgQueues: [QueueConfig] = []
        for org in 0..<orgCount {
            let mine = projects / orgCount + (org < projects % orgCount ? 1 : 0)
            var projectQueues: [QueueConfig] = []
            var orgVcore = 0, orgMemory = 0
            for project in 0..<mine {
                var tiers: [QueueConfig] = []
                var projectVcore = 0, projectMemory = 0
                for tier in 1...3 {
                    let vcore = 4 * (4 - tier) + (project % 7)
                    let memory = vcore * 4
                    projectVcore += vcore
                    projectMemory += memory
                    tiers.append(QueueConfig(
                        name: "tier\(tier)",
                        resources: QueueResources(guaranteed: [("vcore", "\(vcore)"), ("memory", "\(memory)Gi")],
                                                  max: [("vcore", "\(vcore * 3)"), ("memory", "\(memory * 3)Gi")]),
                        maxApplications: UInt64(50 * (4 - tier)),
                        properties: [("application.sort.policy", tier == 1 ? "fifo" : "fair")]))
                }
                orgVcore += projectVcore
                orgMemory += projectMemory
                let limits = project % 10 == 0
                    ? [Limit(limit: "per-user", users: ["svc-\(org)-\(project)", "*"],
                             maxResources: [("vcore", "\(projectVcore)")], maxApplications: 100)]
                    : []
                projectQueues.append(QueueConfig(
                    name: "project-\(org)-\(project)", parent: true,
                    resources: QueueResources(guaranteed: [("vcore", "\(projectVcore)"), ("memory", "\(projectMemory)Gi")],
                                              max: [("vcore", "\(projectVcore * 3)"), ("memory", "\(projectMemory * 3)Gi")]),
                    maxApplications: 300,
                    submitACL: "svc-\(org)-\(project) team-\(org)",
                    queues: tiers, limits: limits))
            }
            orgQueues.append(QueueConfig(
                name: "org\(org)", parent: true,
                resources: QueueResources(guaranteed: [("vcore", "\(orgVcore)"), ("memory", "\(orgMemory)Gi")]),
                adminACL: " admins-\(org)", queues: projectQueues))
        }
        let root = QueueConfig(name: "root", parent: true, submitACL: "*", queues: orgQueues)
        return SchedulerConfig(partitions: [PartitionConfig(
            name: "default", queues: [root],
            placementRules: [PlacementRule(name: "provided", create: false)],
            nodeSortPolicy: NodeSortPolicy(type: "fair"))])
    }

    /// How many queues a configuration holds, root included.
    public static func count(_ config: SchedulerConfig) -> Int {
        func count(_ queue: QueueConfig) -> Int { 1 + queue.queues.reduce(0) { $0 + count($1) } }
        return config.partitions.reduce(0) { $0 + ($1.queues ?? []).reduce(0) { $0 + count($1) } }
    }
}
