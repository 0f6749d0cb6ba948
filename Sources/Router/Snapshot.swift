/// A routing table key: a project's tier, in an org when known.
public struct RouteKey: Sendable, Hashable, Codable {
    public var org: String?
    public var project: String
    public var tier: Int

    /// A key.
    public init(org: String? = nil, project: String, tier: Int) {
        self.org = org
        self.project = project
        self.tier = tier
    }
}

/// Where the routing table sends a (project, tier).
public struct RouteTarget: Sendable, Equatable, Codable {
    public var cluster: String
    /// The leaf queue, `root.<org>.<project>.tier<N>`.
    public var queue: String

    /// A target.
    public init(cluster: String, queue: String) {
        self.cluster = cluster
        self.queue = queue
    }
}

/// What the router knows of a cluster when it decides.
public struct ClusterState: Sendable, Equatable, Codable {
    /// False when the cluster should receive no new work (its API or scheduler is down, or it is drained).
    public var healthy: Bool
    /// The namespace SparkApplications are created in on this cluster.
    public var sparkNamespace: String
    /// Free capacity under `root.onboarding` (e.g. vcores); the largest wins new projects.
    public var onboardingHeadroom: Double

    /// A cluster's state.
    public init(healthy: Bool, sparkNamespace: String, onboardingHeadroom: Double = 0) {
        self.healthy = healthy
        self.sparkNamespace = sparkNamespace
        self.onboardingHeadroom = onboardingHeadroom
    }
}

/// Who owns a project (projects.csv) and the owner's org (owners.csv).
public struct ProjectOwnership: Sendable, Equatable, Codable {
    /// The owner team.
    public var owner: String
    public var org: String

    /// An ownership.
    public init(owner: String, org: String) {
        self.owner = owner
        self.org = org
    }
}

/// Everything one routing decision reads, fixed at one moment: the rules, the nightly routing table, the
/// clusters' health and the project owners. The server builds a new snapshot when any of them changes;
/// `init` builds the indexes once so that each decision is a few lookups.
public struct RoutingSnapshot: Sendable {
    /// The rules, sorted by priority (highest first), then id.
    public let rules: [RoutingRule]
    public let routes: [RouteKey: RouteTarget]
    public let clusters: [String: ClusterState]
    public let projects: [String: ProjectOwnership]
    /// Which snapshot this is (e.g. a counter the server bumps), echoed in logs.
    public let version: Int64
    /// When it was built, in milliseconds since the epoch (given by the caller: the core reads no clock).
    public let builtAt: Int64

    let index: Index

    /// A snapshot; rules may come in any order.
    public init(rules: [RoutingRule], routes: [RouteKey: RouteTarget], clusters: [String: ClusterState],
                projects: [String: ProjectOwnership], version: Int64 = 0, builtAt: Int64 = 0) {
        self.rules = rules.sorted { $0.precedes($1) }
        self.routes = routes
        self.clusters = clusters
        self.projects = projects
        self.version = version
        self.builtAt = builtAt
        self.index = Index(rules: self.rules, routes: routes, clusters: clusters, projects: projects)
    }

    /// The owner and org of a project, if projects.csv and owners.csv know it.
    public func ownership(of project: String) -> ProjectOwnership? { projects[project] }
}

/// The decision-time indexes. Clusters are referred to by position so a decision does no name lookups
/// for health; rules are bucketed by exact project and exact workflow so a decision tries only the rules
/// that could match, in priority order.
struct Index: Sendable {
    struct Cluster: Sendable {
        var name: String
        var state: ClusterState
    }

    struct Share: Sendable {
        /// Position in `clusters`, or -1 for a cluster the snapshot does not know (treated as unhealthy).
        var cluster: Int
        var name: String
        /// The cumulative percent bound: hash buckets below it (and at or above the previous bound) go here.
        var upper: Int
        var percent: Int
    }

    struct Rule: Sendable {
        var id: String
        var priority: Int
        var org: String?
        var projectExact: String?
        var projectPrefix: [UInt8]?
        var tier: Int?
        var workflowExact: String?
        var workflowPrefix: [UInt8]?
        var user: String?
        var labels: [(key: String, value: String)]
        var shares: [Share]
        /// -1 when the rule has none, -2 when it names an unknown cluster.
        var fallback: Int
        var fallbackName: String?
        var queue: String?
        /// FNV-1a state after the rule id: the split hash continues from here with the workflow.
        var seed: UInt64
    }

    struct Route: Sendable {
        var org: String?
        var cluster: Int
        var clusterName: String
        var queue: String
    }

    struct Project: Sendable {
        var ownership: ProjectOwnership?
        /// Per tier (index tier-1), the routes by org, nil org first then by org.
        var routes: [[Route]] = [[], [], []]
        /// Positions in `rules` of the rules naming this project exactly, ascending.
        var rules: [Int32] = []
    }

    var clusters: [Cluster]
    var clusterPosition: [String: Int]
    var rules: [Rule]
    var projects: [String: Project]
    /// Rules naming a workflow exactly but no exact project, by workflow.
    var workflowRules: [String: [Int32]]
    /// Rules naming neither an exact project nor an exact workflow: tried for every submission.
    var generalRules: [Int32]
    /// The healthy cluster with the most onboarding headroom (ties by name), if any.
    var onboardingCluster: Int?

    init(rules sortedRules: [RoutingRule], routes: [RouteKey: RouteTarget], clusters: [String: ClusterState],
         projects: [String: ProjectOwnership]) {
        self.clusters = clusters.keys.sorted().map { Cluster(name: $0, state: clusters[$0]!) }
        var positions: [String: Int] = [:]
        for (position, cluster) in self.clusters.enumerated() { positions[cluster.name] = position }
        clusterPosition = positions

        var byProject: [String: Project] = [:]
        for (project, ownership) in projects { byProject[project, default: Project()].ownership = ownership }
        for (key, target) in routes where (1...3).contains(key.tier) {
            byProject[key.project, default: Project()].routes[key.tier - 1].append(
                Route(org: key.org, cluster: positions[target.cluster] ?? -1, clusterName: target.cluster, queue: target.queue))
        }
        for name in byProject.keys {
            for tier in 0..<3 {
                byProject[name]!.routes[tier].sort { ($0.org ?? "") < ($1.org ?? "") }
            }
        }

        var compiled: [Rule] = []
        var workflowRules: [String: [Int32]] = [:]
        var general: [Int32] = []
        for (position, rule) in sortedRules.enumerated() {
            let match = rule.match
            func split(_ pattern: String?) -> (exact: String?, prefix: [UInt8]?) {
                guard let pattern else { return (nil, nil) }
                if pattern.hasSuffix("*") { return (nil, Array(pattern.utf8.dropLast())) }
                return (pattern, nil)
            }
            let project = split(match.project)
            let workflow = split(match.workflow)
            var upper = 0
            let shares = rule.split.map { share -> Share in
                upper += max(0, share.percent)
                return Share(cluster: positions[share.cluster] ?? -1, name: share.cluster, upper: upper, percent: share.percent)
            }
            var fallback = -1
            if let name = rule.fallback { fallback = positions[name] ?? -2 }
            compiled.append(Rule(id: rule.id, priority: rule.priority, org: match.org, projectExact: project.exact,
                                 projectPrefix: project.prefix, tier: match.tier, workflowExact: workflow.exact,
                                 workflowPrefix: workflow.prefix, user: match.user,
                                 labels: match.labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                                 shares: shares, fallback: fallback, fallbackName: rule.fallback, queue: rule.queue,
                                 seed: StableHash.seed(rule.id)))
            if let exact = project.exact {
                byProject[exact, default: Project()].rules.append(Int32(position))
            } else if let exact = workflow.exact {
                workflowRules[exact, default: []].append(Int32(position))
            } else {
                general.append(Int32(position))
            }
        }
        self.rules = compiled
        self.projects = byProject
        self.workflowRules = workflowRules
        self.generalRules = general

        let healthy = self.clusters.indices.filter { self.clusters[$0].state.healthy }
        onboardingCluster = healthy.min { a, b in
            let left = self.clusters[a], right = self.clusters[b]
            if left.state.onboardingHeadroom != right.state.onboardingHeadroom {
                return left.state.onboardingHeadroom > right.state.onboardingHeadroom
            }
            return left.name < right.name
        }
    }

    @inline(__always) func isHealthy(_ cluster: Int) -> Bool {
        cluster >= 0 && clusters[cluster].state.healthy
    }
}

/// The split hash: FNV-1a 64 over the rule id, a separator and the workflow, finished with MurmurHash3's
/// fmix64 so that names differing only in their last characters still spread over all 100 buckets. It is
/// fixed forever: changing it would move every split workflow at once.
enum StableHash {
    static let offset: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    static func seed(_ ruleID: String) -> UInt64 {
        var hash = offset
        for byte in ruleID.utf8 { hash = (hash ^ UInt64(byte)) &* prime }
        return (hash ^ 0xFF) &* prime
    }

    @inline(__always) static func add(_ text: String, to hash: inout UInt64) {
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* prime }
    }

    @inline(__always) static func add(byte: UInt8, to hash: inout UInt64) {
        hash = (hash ^ UInt64(byte)) &* prime
    }

    @inline(__always) static func finish(_ hash: UInt64) -> UInt64 {
        var h = hash
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h = h &* 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }
}
