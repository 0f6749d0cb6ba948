import QueueConfig
/// An explicit routing rule: it overrides the nightly routing table for the submissions it matches,
/// sending them to one cluster or splitting them between clusters by percentage.
public struct RoutingRule: Sendable, Equatable, Codable {
    /// A slug: lower-case letters, digits and '-'.
    public var id: String
    /// Higher wins; equal priorities are ordered by id.
    public var priority: Int
    /// The largest priority (either sign) a rule may have: room for any ordering people write.
    public static let priorityLimit: Int64 = 1_000_000_000
    public var match: RuleMatch
    /// Where matching submissions go; one share of 100% is a plain redirect.
    public var split: [ClusterShare]
    /// The cluster used when the chosen one is unhealthy.
    public var fallback: String?
    /// A queue path that replaces the routing table's queue (e.g. `root.onboarding.fraud`).
    public var queue: String?
    /// Why the rule exists, for the people who read the audit trail.
    public var note: String?

    /// A rule from its parts.
    public init(id: String, priority: Int, match: RuleMatch = RuleMatch(), split: [ClusterShare], fallback: String? = nil,
                queue: String? = nil, note: String? = nil) {
        self.id = id
        self.priority = priority
        self.match = match
        self.split = split
        self.fallback = fallback
        self.queue = queue
        self.note = note
    }

    /// Whether `self` is tried before `other`: priority descending, then id ascending.
    public func precedes(_ other: RoutingRule) -> Bool {
        priority != other.priority ? priority > other.priority : id < other.id
    }

    /// The rule as a JSON value (for the before/after of an audit event).
    public var jsonValue: JSONValue {
        var members: [JSONValue.Member] = [.init("id", .string(id)), .init("priority", .integer(Int64(priority))),
                                           .init("match", match.jsonValue),
                                           .init("split", .array(split.map { .object([.init("cluster", .string($0.cluster)), .init("percent", .integer(Int64($0.percent)))]) }))]
        if let fallback { members.append(.init("fallback", .string(fallback))) }
        if let queue { members.append(.init("queue", .string(queue))) }
        if let note { members.append(.init("note", .string(note))) }
        return .object(members)
    }
}

/// What a rule matches: every given field must equal the submission's (nil matches anything). `project`
/// and `workflow` may end in `*` to match a prefix; every label given must be present with that value.
public struct RuleMatch: Sendable, Equatable, Codable {
    public var org: String?
    public var project: String?
    public var tier: Int?
    public var workflow: String?
    /// The submitting principal's name.
    public var user: String?
    public var labels: [String: String]

    /// A match; no arguments matches every submission.
    public init(org: String? = nil, project: String? = nil, tier: Int? = nil, workflow: String? = nil, user: String? = nil,
                labels: [String: String] = [:]) {
        self.org = org
        self.project = project
        self.tier = tier
        self.workflow = workflow
        self.user = user
        self.labels = labels
    }

    enum CodingKeys: String, CodingKey { case org, project, tier, workflow, user, labels }

    /// Decodes a match; `labels` may be left out.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        org = try container.decodeIfPresent(String.self, forKey: .org)
        project = try container.decodeIfPresent(String.self, forKey: .project)
        tier = try container.decodeIfPresent(Int.self, forKey: .tier)
        workflow = try container.decodeIfPresent(String.self, forKey: .workflow)
        user = try container.decodeIfPresent(String.self, forKey: .user)
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
    }

    var jsonValue: JSONValue {
        var members: [JSONValue.Member] = []
        if let org { members.append(.init("org", .string(org))) }
        if let project { members.append(.init("project", .string(project))) }
        if let tier { members.append(.init("tier", .integer(Int64(tier)))) }
        if let workflow { members.append(.init("workflow", .string(workflow))) }
        if let user { members.append(.init("user", .string(user))) }
        if !labels.isEmpty {
            members.append(.init("labels", .object(labels.sorted { $0.key < $1.key }.map { .init($0.key, .string($0.value)) })))
        }
        return .object(members)
    }
}

/// One cluster's share of a rule's traffic.
public struct ClusterShare: Sendable, Equatable, Codable {
    public var cluster: String
    /// 0…100; a rule's percents sum to 100.
    public var percent: Int

    /// A share.
    public init(cluster: String, percent: Int) {
        self.cluster = cluster
        self.percent = percent
    }
}

/// One thing wrong with a rule: the field and what to do.
public struct RuleProblem: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The field path, e.g. `split[1].cluster`.
    public var field: String
    public var message: String

    /// A problem at a field.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// `split[1].cluster: "moka-z" is not a known cluster; use one of moka-a, moka-b`.
    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// Checks a rule before it is stored: every problem, not just the first.
public enum RuleValidation {
    /// The problems of `rule` given the clusters that exist; empty when the rule can be stored.
    public static func problems(_ rule: RoutingRule, clusters: Set<String>) -> [RuleProblem] {
        var problems: [RuleProblem] = []
        func add(_ field: String, _ message: String) { problems.append(RuleProblem(field: field, message: message)) }
        let known = clusters.sorted().joined(separator: ", ")

        if let problem = slugProblem(rule.id) { add("id", problem) }
        let match = rule.match
        for (field, value) in [("match.org", match.org), ("match.user", match.user)] {
            if let value, value.isEmpty { add(field, "is empty; leave it out to match any") }
        }
        for (field, value) in [("match.project", match.project), ("match.workflow", match.workflow)] {
            guard let value else { continue }
            if value.isEmpty || value == "*" {
                add(field, "\"\(value)\" matches everything; leave it out instead")
            } else if value.dropLast().contains("*") {
                add(field, "\"\(value)\" has '*' before the end; only a trailing '*' (a prefix match) is supported")
            }
        }
        if let tier = match.tier, !(1...3).contains(tier) { add("match.tier", "\(tier) is not a tier; use 1, 2 or 3") }
        for key in match.labels.keys.sorted() where key.isEmpty {
            add("match.labels", "has an empty label name")
        }

        if rule.split.isEmpty {
            add("split", "is empty; name at least one cluster with percent 100")
        } else {
            var seen: Set<String> = []
            var total = 0
            for (index, share) in rule.split.enumerated() {
                let field = "split[\(index)]"
                if !clusters.contains(share.cluster) {
                    add(field + ".cluster", "\"\(share.cluster)\" is not a known cluster; use one of \(known)")
                }
                if !seen.insert(share.cluster).inserted {
                    add(field + ".cluster", "\"\(share.cluster)\" appears twice; give each cluster one share")
                }
                if !(0...100).contains(share.percent) {
                    add(field + ".percent", "\(share.percent) is not a percentage; use 0 to 100")
                }
                total += share.percent
            }
            if total != 100 {
                add("split", "the percents sum to \(total); they must sum to 100")
            }
        }
        if let fallback = rule.fallback {
            if !clusters.contains(fallback) {
                add("fallback", "\"\(fallback)\" is not a known cluster; use one of \(known)")
            } else if rule.split.count == 1, rule.split[0].cluster == fallback {
                add("fallback", "\"\(fallback)\" is the rule's only cluster; a fallback must be another cluster")
            }
        }
        if let queue = rule.queue, let problem = QueuePath.problem(queue) { add("queue", problem) }
        if let note = rule.note, note.count > 1000 { add("note", "is \(note.count) characters long; keep it under 1000") }
        return problems
    }

    static func slugProblem(_ id: String) -> String? {
        guard !id.isEmpty else { return "is empty; use a slug such as ccr-moka-b" }
        guard id.utf8.count <= 63 else { return "is \(id.utf8.count) characters long; use at most 63" }
        func isAlnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) }
        guard id.utf8.allSatisfy({ isAlnum($0) || $0 == 0x2D }), let first = id.utf8.first, let last = id.utf8.last,
              isAlnum(first), isAlnum(last) else {
            return "\"\(id)\" is not a slug; use lower-case letters, digits and '-', starting and ending with a letter or digit"
        }
        return nil
    }
}

/// YuniKorn queue paths: `root` then dot-separated names of `[a-zA-Z0-9_:#/@-]`, at most 64 characters each
/// (yunikorn-core's `QueueNameRegExp`).
enum QueuePath {
    static func problem(_ path: String) -> String? {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.first == "root", parts.count >= 2 else {
            return "\"\(path)\" is not a queue path; write it from the root, e.g. root.onboarding.fraud"
        }
        for part in parts.dropFirst() where !QueueName.isValid(part) {
            return "\"\(path)\" has the invalid queue name \"\(part)\"; use 1 to 64 of letters, digits and _:#/@-"
        }
        return nil
    }
}
