import QueueConfig

/// Where a submission goes and why.
public struct RoutingDecision: Sendable, Equatable, Codable {
    /// What decided.
    public enum Source: String, Sendable, Codable {
        case rule
        case routingTable = "routing-table"
        case onboarding
    }

    public var cluster: String
    public var queue: String
    /// The cluster's Spark namespace.
    public var namespace: String
    public var source: Source
    public var ruleID: String?
    /// True when the rule's chosen cluster was unhealthy and its fallback was used.
    public var fallbackUsed: Bool
    /// Scheduling fields the router took out of the submission (field paths), named at the end of the reason.
    public var removedFields: [String] = []
    let explanation: Explanation
    /// The highest-priority rule that matched but would have placed the job outside its project's queues or
    /// clusters, and so did not apply.
    var passedOver: PassedOver?

    /// A decision; `reason` is the sentence to show.
    public init(cluster: String, queue: String, namespace: String, source: Source, ruleID: String? = nil,
                fallbackUsed: Bool = false, reason: String) {
        self.init(cluster: cluster, queue: queue, namespace: namespace, source: source, ruleID: ruleID,
                  fallbackUsed: fallbackUsed, explanation: .text(reason))
    }

    init(cluster: String, queue: String, namespace: String, source: Source, ruleID: String?, fallbackUsed: Bool,
         explanation: Explanation, passedOver: PassedOver? = nil) {
        self.cluster = cluster
        self.queue = queue
        self.namespace = namespace
        self.source = source
        self.ruleID = ruleID
        self.fallbackUsed = fallbackUsed
        self.explanation = explanation
        self.passedOver = passedOver
    }

    /// One sentence saying why, e.g. "rule ccr-moka-b (priority 100) sends 30% of workflows to moka-b;
    /// etl-daily hashes into that slice". The parts are kept and the sentence written when it is read:
    /// a decision is made far more often than its reason is shown in full.
    public var reason: String {
        var text = explanation.sentence(for: self)
        if let passedOver {
            if text.hasPrefix("no rule matches") { text = "no other rule applies" + text.dropFirst("no rule matches".count) }
            text = passedOver.sentence + text
        }
        if !removedFields.isEmpty {
            text += "; the router removed scheduling fields it owns: " + removedFields.joined(separator: ", ")
        }
        return text
    }

    enum CodingKeys: String, CodingKey { case cluster, queue, namespace, source, ruleID, fallbackUsed, reason }

    /// Decodes a decision written by `encode(to:)`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(cluster: try container.decode(String.self, forKey: .cluster),
                  queue: try container.decode(String.self, forKey: .queue),
                  namespace: try container.decode(String.self, forKey: .namespace),
                  source: try container.decode(Source.self, forKey: .source),
                  ruleID: try container.decodeIfPresent(String.self, forKey: .ruleID),
                  fallbackUsed: try container.decode(Bool.self, forKey: .fallbackUsed),
                  reason: try container.decode(String.self, forKey: .reason))
    }

    /// Encodes every field, the reason as its sentence.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cluster, forKey: .cluster)
        try container.encode(queue, forKey: .queue)
        try container.encode(namespace, forKey: .namespace)
        try container.encode(source, forKey: .source)
        try container.encodeIfPresent(ruleID, forKey: .ruleID)
        try container.encode(fallbackUsed, forKey: .fallbackUsed)
        try container.encode(reason, forKey: .reason)
    }

    /// Equal when every field and the reason sentence are equal.
    public static func == (lhs: RoutingDecision, rhs: RoutingDecision) -> Bool {
        lhs.cluster == rhs.cluster && lhs.queue == rhs.queue && lhs.namespace == rhs.namespace && lhs.source == rhs.source
            && lhs.ruleID == rhs.ruleID && lhs.fallbackUsed == rhs.fallbackUsed && lhs.reason == rhs.reason
    }
}

/// The parts of a decision's reason that the decision does not already hold.
enum Explanation: Sendable {
    enum QueueOrigin: Sendable { case override, routingTable, onboarding }

    case rule(priority: Int, percent: Int, splitKey: String, isSplit: Bool, unhealthy: String?, queueOrigin: QueueOrigin)
    case routingTable(project: String, tier: Int)
    case onboarding(project: String, headroom: Double)
    case text(String)

    func sentence(for decision: RoutingDecision) -> String {
        let cluster = decision.cluster
        switch self {
        case let .rule(priority, percent, splitKey, isSplit, unhealthy, queueOrigin):
            let id = decision.ruleID ?? "?"
            var text = "rule \(id) (priority \(priority)) "
            if isSplit {
                text += "sends \(percent)% of workflows to \(cluster); \(splitKey) hashes into that slice"
            } else {
                text += "sends \(splitKey) to \(cluster)"
            }
            if let unhealthy {
                text = "rule \(id) (priority \(priority)) chose \(unhealthy), which is unhealthy, so its fallback \(cluster) is used"
            }
            switch queueOrigin {
            case .override: text += "; the rule sets the queue"
            case .routingTable: text += "; the queue comes from the routing table"
            case .onboarding: text += "; the project has no route yet, so it runs in its onboarding queue"
            }
            return text
        case let .routingTable(project, tier):
            return "no rule matches; the nightly routing table places \(project) tier \(tier) on \(cluster) in \(decision.queue)"
        case let .onboarding(project, headroom):
            let free = headroom == headroom.rounded() ? String(Int64(headroom)) : String(headroom)
            return "project \(project) has no route yet; it onboards on \(cluster), the healthy cluster with the most onboarding headroom (\(free) free)"
        case .text(let text):
            return text
        }
    }
}

/// A rule that matched a submission but did not apply to it: what it matched on is not enough to place a
/// job outside its own project's queues (see `SubmissionRouter.decide`).
struct PassedOver: Sendable {
    enum Why: Sendable {
        /// The rule's queue is not one of the project's.
        case queue
        /// The rule matches on the workflow or labels (which the submitter writes) and chose a cluster the
        /// routing table does not place the project on.
        case cluster
    }

    var ruleID: String
    var priority: Int
    var project: String
    /// The queue or cluster the rule would have used.
    var place: String
    var why: Why

    var sentence: String {
        switch why {
        case .queue:
            return "rule \(ruleID) (priority \(priority)) matches but would put \(project) in \(place), which is not one of its queues, so it does not apply; "
        case .cluster:
            return "rule \(ruleID) (priority \(priority)) matches on the workflow or labels the submitter writes but would send \(project) to \(place), where the routing table does not place it, so it does not apply; "
        }
    }
}

/// Why no decision could be made.
public enum RoutingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Every cluster the submission could go to is unhealthy (or unknown); `clusters` names them.
    case noHealthyCluster(clusters: [String], detail: String)
    /// The facts carry a tier outside 1…3 (the parser never produces one).
    case invalidTier(Int)

    /// The message to show.
    public var description: String {
        switch self {
        case let .noHealthyCluster(clusters, detail):
            return "no healthy cluster for this submission (\(clusters.joined(separator: ", "))): \(detail)"
        case let .invalidTier(tier):
            return "\(tier) is not a tier; use 1, 2 or 3"
        }
    }
}

/// Archer's routing decision: pure, over one snapshot.
public enum SubmissionRouter {
    /// Decides where a submission goes: the first matching rule by priority (splits hashed per workflow,
    /// falling back when the chosen cluster is unhealthy), else the routing table, else the onboarding
    /// queue on the healthy cluster with the most onboarding headroom.
    ///
    /// Only facts the router can trust place a job outside what its project already has. The org is the
    /// project's, from projects.csv and owners.csv (`facts.org` is not read). A rule that names the project
    /// exactly is an admin's word about that project and applies as written. Any other rule (org, project
    /// prefix, tier, user, workflow, labels, match-all) covers many projects, so it applies only when it
    /// keeps the job in its own project: its queue, when it sets one, must be the project's (a routing-table
    /// queue of it, under `root.<org>.<project>.`, or its onboarding queue when it has no route); and when it
    /// matches on the workflow or labels, which the submitter writes, the cluster must be one the routing
    /// table places the project on (any, for a project with no route). A rule that fails this is passed
    /// over (the next rule, then the table, decide) and the reason says so.
    public static func decide(_ facts: SubmissionFacts, user: String, in snapshot: RoutingSnapshot) throws(RoutingError) -> RoutingDecision {
        guard facts.tier >= 1 && facts.tier <= 3 else { throw .invalidTier(facts.tier) }
        let index = snapshot.index
        let projectPosition = index.projectPosition[facts.project].map(Int.init) ?? -1
        let org = projectPosition >= 0 ? index.projects[projectPosition].org : nil

        var after: Int32 = -1
        var passedOver: PassedOver?
        while true {
            let matched = index.rules.withUnsafeBufferPointer { rules in
                index.pool.withUnsafeBufferPointer { pool in
                    firstMatch(facts, org: org, user: user, project: projectPosition, after: after, index: index, rules: rules, pool: pool)
                }
            }
            guard matched >= 0 else { break }
            let outcome = try index.rules.withUnsafeBufferPointer { rules throws(RoutingError) in
                try ruleDecision(rules.baseAddress! + matched, facts: facts, org: org, project: projectPosition, index: index)
            }
            switch outcome {
            case .decided(var decision):
                decision.passedOver = passedOver
                return decision
            case .passedOver(let skipped):
                if passedOver == nil { passedOver = skipped }
                after = Int32(matched)
            }
        }
        if let routePosition = tableRoute(index, project: projectPosition, tier: facts.tier, org: org) {
            let route = index.routes[routePosition]
            guard index.isHealthy(route.cluster) else {
                let state = route.cluster < 0 ? "is not a cluster the router knows" : "is unhealthy"
                throw .noHealthyCluster(clusters: [route.clusterName],
                                        detail: "the routing table places \(facts.project) tier \(facts.tier) on \(route.clusterName), which \(state); add a rule with a fallback to move it")
            }
            let cluster = index.clusters[route.cluster]
            return RoutingDecision(cluster: cluster.name, queue: route.queue, namespace: cluster.state.sparkNamespace,
                                   source: .routingTable, ruleID: nil, fallbackUsed: false,
                                   explanation: .routingTable(project: facts.project, tier: facts.tier), passedOver: passedOver)
        }
        guard let position = index.onboardingCluster else {
            throw .noHealthyCluster(clusters: index.clusters.map(\.name),
                                    detail: "project \(facts.project) has no route and every cluster is unhealthy")
        }
        let cluster = index.clusters[position]
        return RoutingDecision(cluster: cluster.name, queue: onboardingQueue(facts.project), namespace: cluster.state.sparkNamespace,
                               source: .onboarding, ruleID: nil, fallbackUsed: false,
                               explanation: .onboarding(project: facts.project, headroom: cluster.state.onboardingHeadroom),
                               passedOver: passedOver)
    }

    /// `root.onboarding.<project>`, the project made a valid queue name.
    public static func onboardingQueue(_ project: String) -> String {
        "root.onboarding." + QueueName.sanitized(project)
    }

    /// The position of the highest-priority matching rule after position `after`, or -1. Each candidate
    /// list is ascending, so within a list the first match is its best, and a list is abandoned once past
    /// the best so far.
    private static func firstMatch(_ facts: SubmissionFacts, org: String?, user: String, project: Int, after: Int32, index: Index,
                                   rules: UnsafeBufferPointer<Index.Rule>, pool: UnsafeBufferPointer<Int32>) -> Int {
        var best = Int32.max
        @inline(__always) func scan(_ candidates: Index.Candidates) {
            var i = Int(candidates.start)
            let end = i + Int(candidates.count)
            while i < end {
                let position = pool[i]
                if position >= best { return }
                if position <= after {
                    i += 1
                    continue
                }
                if matches(rules.baseAddress! + Int(position), facts, org: org, user: user) {
                    best = position
                    return
                }
                i += 1
            }
        }
        if project >= 0 { scan(index.projects[project].rules) } else { scan(index.prefixRules) }
        if !index.byWorkflow.isEmpty, let workflow = facts.workflow, let candidates = index.byWorkflow[workflow] { scan(candidates) }
        if !index.byUser.isEmpty, let candidates = index.byUser[user] { scan(candidates) }
        for label in index.byLabel {
            if let value = facts.labels[label.key], let candidates = label.values[value] { scan(candidates) }
        }
        if !index.byOrg.isEmpty, let org {
            // The project's own org was resolved when the index was built; another org needs a lookup.
            if project >= 0, index.projects[project].org == org {
                scan(index.projects[project].orgRules)
            } else if let candidates = index.byOrg[org] {
                scan(candidates)
            }
        }
        scan(index.general)
        return best == Int32.max ? -1 : Int(best)
    }

    @inline(__always)
    private static func matches(_ rule: UnsafePointer<Index.Rule>, _ facts: SubmissionFacts, org: String?, user: String) -> Bool {
        if let tier = rule.pointee.tier, tier != facts.tier { return false }
        if let exact = rule.pointee.projectExact, exact != facts.project { return false }
        if let prefix = rule.pointee.projectPrefix, !hasPrefix(facts.project, prefix) { return false }
        if let wanted = rule.pointee.org, wanted != org { return false }
        if rule.pointee.workflowExact != nil || rule.pointee.workflowPrefix != nil {
            guard let workflow = facts.workflow else { return false }
            if let exact = rule.pointee.workflowExact, exact != workflow { return false }
            if let prefix = rule.pointee.workflowPrefix, !hasPrefix(workflow, prefix) { return false }
        }
        if let wanted = rule.pointee.user, wanted != user { return false }
        for label in rule.pointee.labels where facts.labels[label.key] != label.value { return false }
        return true
    }

    /// Byte-wise prefix: names are ASCII, and this avoids String's Unicode-aware comparison.
    @inline(__always)
    private static func hasPrefix(_ text: String, _ prefix: [UInt8]) -> Bool {
        let utf8 = text.utf8
        guard utf8.count >= prefix.count else { return false }
        var i = utf8.startIndex
        for byte in prefix {
            if utf8[i] != byte { return false }
            i = utf8.index(after: i)
        }
        return true
    }

    /// The routing table row for the project's tier: the one for the submission's org, or any when the org
    /// is unknown (rows without an org serve every org).
    private static func tableRoute(_ index: Index, project: Int, tier: Int, org: String?) -> Int? {
        guard project >= 0 else { return nil }
        let run = index.projects[project].routes(tier: tier)
        guard run.count > 0 else { return nil }
        let start = Int(run.start)
        guard let org else { return start }
        for position in start..<(start + Int(run.count)) {
            let routeOrg = index.routes[position].org
            if routeOrg == nil || routeOrg == org { return position }
        }
        return nil
    }

    enum RuleOutcome {
        case decided(RoutingDecision)
        case passedOver(PassedOver)
    }

    private static func ruleDecision(_ rule: UnsafePointer<Index.Rule>, facts: SubmissionFacts, org: String?, project: Int,
                                     index: Index) throws(RoutingError) -> RuleOutcome {
        // A rule about many projects keeps the job in its own project's queues.
        let pinned = rule.pointee.projectExact != nil
        if !pinned, let queue = rule.pointee.queue, !projectMayUse(queue: queue, facts: facts, org: org, project: project, index: index) {
            return .passedOver(PassedOver(ruleID: rule.pointee.id, priority: rule.pointee.priority, project: facts.project,
                                          place: queue, why: .queue))
        }
        let steered = !pinned && rule.pointee.steeredBySubmitter
        var share = rule.pointee.shares.last ?? Index.Share(cluster: -1, name: "(none)", upper: 100, percent: 100)
        let isSplit = rule.pointee.shares.count > 1
        if isSplit {
            var hash = rule.pointee.seed
            if let workflow = facts.workflow {
                StableHash.add(workflow, to: &hash)
            } else {
                // No workflow: the project's tier stays put instead.
                StableHash.add(facts.project, to: &hash)
                StableHash.add(byte: 0x2F, to: &hash)
                StableHash.add(byte: UInt8(0x30 + facts.tier), to: &hash)
            }
            let bucket = Int(StableHash.finish(hash) % 100)
            for candidate in rule.pointee.shares where bucket < candidate.upper {
                share = candidate
                break
            }
        }
        var chosen = share.cluster
        if steered, !projectMayUse(cluster: chosen, org: org, project: project, index: index) {
            return .passedOver(PassedOver(ruleID: rule.pointee.id, priority: rule.pointee.priority, project: facts.project,
                                          place: share.name, why: .cluster))
        }
        var fallbackUsed = false
        var unhealthyName: String?
        if !index.isHealthy(chosen) {
            let chosenName = share.name
            guard rule.pointee.fallback >= 0, index.isHealthy(rule.pointee.fallback) else {
                var names = [chosenName]
                var detail = "rule \(rule.pointee.id) chose \(chosenName) (\(chosen >= 0 ? "unhealthy" : "unknown"))"
                if let fallbackName = rule.pointee.fallbackName {
                    names.append(fallbackName)
                    detail += " and its fallback \(fallbackName) is \(rule.pointee.fallback >= 0 ? "unhealthy" : "unknown")"
                } else {
                    detail += " and the rule has no fallback"
                }
                throw .noHealthyCluster(clusters: names, detail: detail + "; wait for the cluster or change the rule")
            }
            if steered, !projectMayUse(cluster: rule.pointee.fallback, org: org, project: project, index: index) {
                return .passedOver(PassedOver(ruleID: rule.pointee.id, priority: rule.pointee.priority, project: facts.project,
                                              place: rule.pointee.fallbackName ?? "?", why: .cluster))
            }
            unhealthyName = chosenName
            chosen = rule.pointee.fallback
            fallbackUsed = true
        }
        let cluster = index.clusters[chosen]
        let queue: String
        let origin: Explanation.QueueOrigin
        if let override = rule.pointee.queue {
            queue = override
            origin = .override
        } else if let route = tableRoute(index, project: project, tier: facts.tier, org: org) {
            queue = index.routes[route].queue
            origin = .routingTable
        } else {
            queue = onboardingQueue(facts.project)
            origin = .onboarding
        }
        let splitKey = facts.workflow ?? facts.project
        return .decided(RoutingDecision(cluster: cluster.name, queue: queue, namespace: cluster.state.sparkNamespace, source: .rule,
                                        ruleID: rule.pointee.id, fallbackUsed: fallbackUsed,
                                        explanation: .rule(priority: rule.pointee.priority, percent: share.percent, splitKey: splitKey,
                                                           isSplit: isSplit, unhealthy: unhealthyName, queueOrigin: origin)))
    }

    /// Whether a queue is the project's own: one of its routing-table queues (any tier, its org's rows),
    /// a queue under `root.<org>.<project>.`, or its onboarding queue when it has no route at all.
    private static func projectMayUse(queue: String, facts: SubmissionFacts, org: String?, project: Int, index: Index) -> Bool {
        guard project >= 0 else { return queue == onboardingQueue(facts.project) }
        let entry = index.projects[project]
        var hasRoute = false
        for tier in 1...3 {
            let run = entry.routes(tier: tier)
            let start = Int(run.start)
            for position in start..<(start + Int(run.count)) {
                let route = index.routes[position]
                guard route.org == nil || org == nil || route.org == org else { continue }
                hasRoute = true
                if route.queue == queue { return true }
            }
        }
        if let org, isUnder(queue, org: org, project: facts.project) { return true }
        return !hasRoute && queue == onboardingQueue(facts.project)
    }

    /// Whether `queue` starts with `root.<org>.<project>.` (byte-wise, without building the prefix).
    private static func isUnder(_ queue: String, org: String, project: String) -> Bool {
        var bytes = queue.utf8.makeIterator()
        func part(_ text: String) -> Bool {
            for byte in text.utf8 where bytes.next() != byte { return false }
            return bytes.next() == 0x2E
        }
        return part("root") && part(org) && part(project) && bytes.next() != nil
    }

    /// Whether the routing table places the project on a cluster (any tier); any cluster for a project with
    /// no route, which onboards wherever it is sent.
    private static func projectMayUse(cluster: Int, org: String?, project: Int, index: Index) -> Bool {
        guard project >= 0 else { return true }
        let entry = index.projects[project]
        var hasRoute = false
        for tier in 1...3 {
            let run = entry.routes(tier: tier)
            let start = Int(run.start)
            for position in start..<(start + Int(run.count)) {
                let route = index.routes[position]
                guard route.org == nil || org == nil || route.org == org else { continue }
                hasRoute = true
                if cluster >= 0 && route.cluster == cluster { return true }
            }
        }
        return !hasRoute
    }
}
