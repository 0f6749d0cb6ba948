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

    /// The project's org from projects.csv and owners.csv, the only org routing trusts; nil when unknown.
    public func org(of project: String) -> String? {
        guard let org = projects[project]?.org, !org.isEmpty else { return nil }
        return org
    }
}

/// The decision-time indexes, built once per snapshot. Clusters are referred to by position so a decision
/// does no name lookups for health. Each rule is filed under its most selective field (project, workflow,
/// user, a label, org, project prefix) so a decision tries only the rules that could match; project-prefix
/// and org rules are resolved per known project here, once, rather than per decision. Only rules with no
/// such field (tier-only, workflow prefix, match-all) are tried for every submission. Candidate lists are ascending rule positions in
/// one shared pool, so the first match found is the highest-priority one.
///
/// A decision only reads this, and reads it often: the hot arrays are plain `ContiguousArray`s of small
/// structs read through buffer pointers, which keeps a decision free of copies and reference counting.
final class Index: Sendable {
    struct Cluster: Sendable {
        var name: String
        var state: ClusterState
    }

    /// A run of the candidate pool.
    struct Candidates: Sendable {
        var start: Int32 = 0
        var count: Int32 = 0
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
        /// True when the rule matches on the workflow or on labels: fields the submitter writes.
        var steeredBySubmitter: Bool
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
        var org: String?
        /// Per tier, the run of `routes` for it (nil org first, then by org).
        var tier1 = Candidates(), tier2 = Candidates(), tier3 = Candidates()
        /// The rules naming this project exactly or by a prefix of its name.
        var rules = Candidates()
        /// The rules naming this project's org (and no more selective field).
        var orgRules = Candidates()

        func routes(tier: Int) -> Candidates {
            tier == 1 ? tier1 : (tier == 2 ? tier2 : tier3)
        }
    }

    let clusters: ContiguousArray<Cluster>
    let rules: ContiguousArray<Rule>
    let routes: ContiguousArray<Route>
    let projects: ContiguousArray<Project>
    let projectPosition: [String: Int32]
    /// Every candidate list, back to back.
    let pool: ContiguousArray<Int32>
    let byWorkflow: [String: Candidates]
    let byUser: [String: Candidates]
    let byOrg: [String: Candidates]
    /// Every project-prefix rule, for projects the snapshot does not know.
    let prefixRules: Candidates
    /// Rules filed under a label: per label name, by value.
    let byLabel: [(key: String, values: [String: Candidates])]
    let general: Candidates
    /// The healthy cluster with the most onboarding headroom (ties by name), if any.
    let onboardingCluster: Int?

    init(rules sortedRules: [RoutingRule], routes routeTable: [RouteKey: RouteTarget], clusters clusterStates: [String: ClusterState],
         projects ownership: [String: ProjectOwnership]) {
        let clusters = ContiguousArray(clusterStates.keys.sorted().map { Cluster(name: $0, state: clusterStates[$0]!) })
        var positions: [String: Int] = [:]
        for (position, cluster) in clusters.enumerated() { positions[cluster.name] = position }
        self.clusters = clusters

        // Projects: every project that has an owner, a route or a rule of its own.
        var projectNames = Set(ownership.keys)
        for key in routeTable.keys { projectNames.insert(key.project) }
        for rule in sortedRules {
            if let project = rule.match.project, !project.hasSuffix("*") { projectNames.insert(project) }
        }
        let orderedProjects = projectNames.sorted()
        var projectPosition: [String: Int32] = [:]
        projectPosition.reserveCapacity(orderedProjects.count)
        for (position, name) in orderedProjects.enumerated() { projectPosition[name] = Int32(position) }
        // An owner owners.csv does not place in an org has the org "": no org, not an org named "".
        var projects = ContiguousArray(orderedProjects.map { name in
            Project(org: ownership[name].flatMap { $0.org.isEmpty ? nil : $0.org })
        })

        var routeLists: [[[Route]]] = Array(repeating: [[], [], []], count: orderedProjects.count)
        for (key, target) in routeTable where (1...3).contains(key.tier) {
            let position = Int(projectPosition[key.project]!)
            routeLists[position][key.tier - 1].append(
                Route(org: key.org, cluster: positions[target.cluster] ?? -1, clusterName: target.cluster, queue: target.queue))
        }
        var routes = ContiguousArray<Route>()
        routes.reserveCapacity(routeTable.count)
        for position in projects.indices {
            for tier in 0..<3 {
                let list = routeLists[position][tier].sorted { ($0.org ?? "") < ($1.org ?? "") }
                let run = Candidates(start: Int32(routes.count), count: Int32(list.count))
                routes.append(contentsOf: list)
                switch tier {
                case 0: projects[position].tier1 = run
                case 1: projects[position].tier2 = run
                default: projects[position].tier3 = run
                }
            }
        }
        self.routes = routes

        var compiled = ContiguousArray<Rule>()
        var projectRules: [Int: [Int32]] = [:]
        var workflowRules: [String: [Int32]] = [:]
        var userRules: [String: [Int32]] = [:]
        var orgRules: [String: [Int32]] = [:]
        var labelRules: [String: [String: [Int32]]] = [:]
        var prefixRules: [Int32] = []
        var generalRules: [Int32] = []
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
            let labels = match.labels.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
            compiled.append(Rule(id: rule.id, priority: rule.priority, org: match.org, projectExact: project.exact,
                                 projectPrefix: project.prefix, tier: match.tier, workflowExact: workflow.exact,
                                 workflowPrefix: workflow.prefix, user: match.user, labels: labels,
                                 shares: shares, fallback: fallback, fallbackName: rule.fallback, queue: rule.queue,
                                 steeredBySubmitter: match.workflow != nil || !match.labels.isEmpty,
                                 seed: StableHash.seed(rule.id)))
            let at = Int32(position)
            if let exact = project.exact {
                projectRules[Int(projectPosition[exact]!), default: []].append(at)
            } else if let exact = workflow.exact {
                workflowRules[exact, default: []].append(at)
            } else if let user = match.user {
                userRules[user, default: []].append(at)
            } else if let label = labels.first {
                labelRules[label.key, default: [:]][label.value, default: []].append(at)
            } else if let org = match.org {
                orgRules[org, default: []].append(at)
            } else if let prefix = project.prefix {
                prefixRules.append(at)
                for (name, position) in projectPosition where name.utf8.starts(with: prefix) {
                    projectRules[Int(position), default: []].append(at)
                }
            } else {
                generalRules.append(at)
            }
        }
        self.rules = compiled

        var pool = ContiguousArray<Int32>()
        func run(_ list: [Int32]) -> Candidates {
            let candidates = Candidates(start: Int32(pool.count), count: Int32(list.count))
            pool.append(contentsOf: list)
            return candidates
        }
        // Rules were appended in priority order except where prefix rules joined a project's exact ones.
        for (position, list) in projectRules { projects[position].rules = run(list.sorted()) }
        byWorkflow = workflowRules.mapValues(run)
        byUser = userRules.mapValues(run)
        let byOrg = orgRules.mapValues(run)
        self.byOrg = byOrg
        for position in projects.indices {
            if let org = projects[position].org, let candidates = byOrg[org] { projects[position].orgRules = candidates }
        }
        self.prefixRules = run(prefixRules)
        byLabel = labelRules.keys.sorted().map { key in (key, labelRules[key]!.mapValues(run)) }
        general = run(generalRules)
        self.pool = pool
        self.projects = projects
        self.projectPosition = projectPosition

        let healthy = clusters.indices.filter { clusters[$0].state.healthy }
        onboardingCluster = healthy.min { a, b in
            let left = clusters[a], right = clusters[b]
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
