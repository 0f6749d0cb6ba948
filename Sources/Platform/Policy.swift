internal import SourceDocuments

/// A placement fixed by people: a project (one tier, or all of them) always runs on one cluster.
public struct Pin: Sendable, Equatable {
    public var project: String
    /// nil: every tier of the project.
    public var tier: Int?
    public var cluster: String
    /// Where it was written, for messages.
    public var line: Int

    public init(project: String, tier: Int? = nil, cluster: String, line: Int = 0) {
        self.project = project
        self.tier = tier
        self.cluster = cluster
        self.line = line
    }
}

/// `Queues/policy.yaml`: how demand is estimated and how capacity is shared.
public struct AllocationPolicy: Sendable, Equatable {
    /// Days of hourly history demand is computed from.
    public var windowDays = 14
    /// Per tier (1...3), the percentile of hourly usage taken as demand.
    public var percentile: [Int: Double] = [1: 95, 2: 90, 3: 75]
    /// Demand multiplier.
    public var headroom = 1.1
    /// Share of every cluster's capacity kept free for `root.onboarding`.
    public var reserveFraction = 0.05
    /// Demand of a queue with too little history and no allocation last night (model units).
    public var onboardingDefault: [String: Double] = ["vcore": 4, "memory": 16]
    /// maxapplications of such a queue.
    public var onboardingMaxApplications = 10
    /// A queue needs this much history (days since its first hour in the window) for its own percentile.
    public var minHistoryDays = 3.0
    /// max = min(capacity, maxBurst × guaranteed).
    public var maxBurst = 3.0
    /// Nightly change of a queue's guaranteed, as a fraction of last night's (hysteresis).
    public var maxChangeFraction = 0.3
    /// Coverage tier 3 always gets, even while tiers 1 and 2 are short.
    public var tier3Floor = 0.1
    /// Placement: the cost of moving a queue off last night's cluster, relative to the cost of the same
    /// amount of demand not fitting (1).
    public var movePenalty = 0.5
    /// Placement: utilisation above which a cluster counts as crowded (steers new queues elsewhere).
    public var targetUtilization = 0.85
    /// Pinned placements.
    public var pins: [Pin] = []
    /// `deploy.max_tier1_shrink_fraction`: how far one deploy may cut a tier-1 queue's guaranteed vcore or
    /// memory without an admin forcing it; nil means `maxChangeFraction`.
    public var maxTier1ShrinkFraction: Double?

    public init() {}

    /// The largest cut of a tier-1 queue's guaranteed resources a deploy makes without being forced: the
    /// `deploy` setting, else the nightly hysteresis (a plan the allocator made never cuts more than that).
    public var tier1ShrinkAllowance: Double { maxTier1ShrinkFraction ?? maxChangeFraction }

    /// The keys policy.yaml may hold.
    static let keys = ["window_days", "percentile", "headroom", "onboarding", "max_burst", "max_change_fraction",
                       "tier3_floor", "placement", "pins", "deploy"]

    /// Reads policy.yaml; every problem is reported with file, line, field and what to write instead.
    public static func parse(_ text: String, file: String) throws(InputError) -> AllocationPolicy {
        var yaml = StrictYAML(file: file)
        var policy = AllocationPolicy()
        guard let root = yaml.compose(text) else { throw InputError(problems: yaml.problems) }
        for (key, node) in yaml.mapping(root, "", allowed: keys) {
            switch key {
            case "window_days":
                if let v = yaml.integer(node, key, in: 1...366, hint: "give whole days between 1 and 366, e.g. 14") {
                    policy.windowDays = v
                }
            case "percentile":
                var seen: Set<Int> = []
                for (tierKey, value) in yaml.mapping(node, key, allowed: ["tier1", "tier2", "tier3"]) {
                    let tier = Int(tierKey.dropFirst(4))!
                    if let p = yaml.number(value, "\(key).\(tierKey)", in: 1...100, hint: "a percentile between 1 and 100, e.g. 95") {
                        policy.percentile[tier] = p
                        seen.insert(tier)
                    }
                }
                if node.isObject, seen.count < 3 {
                    let missing = [1, 2, 3].filter { !seen.contains($0) }.map { "tier\($0)" }
                    yaml.fail(node, key, "missing \(missing.joined(separator: ", ")); give all three tiers")
                }
            case "headroom":
                if let v = yaml.number(node, key, in: 1...10, hint: "a multiplier of at least 1, e.g. 1.1") { policy.headroom = v }
            case "onboarding":
                for (sub, value) in yaml.mapping(node, key, allowed: ["reserve_fraction", "default", "default_max_applications", "min_history_days"]) {
                    let path = "\(key).\(sub)"
                    switch sub {
                    case "reserve_fraction":
                        if let v = yaml.number(value, path, in: 0...0.9, hint: "a fraction of capacity such as 0.05") { policy.reserveFraction = v }
                    case "default":
                        let resources = yaml.resources(value, path)
                        if !resources.isEmpty { policy.onboardingDefault = resources }
                    case "default_max_applications":
                        if let v = yaml.integer(value, path, in: 1...100_000, hint: "a positive whole number, e.g. 10") { policy.onboardingMaxApplications = v }
                    default:
                        if let v = yaml.number(value, path, in: 0...366, hint: "days, e.g. 3") { policy.minHistoryDays = v }
                    }
                }
            case "max_burst":
                if let v = yaml.number(node, key, in: 1...100, hint: "a multiplier of at least 1, e.g. 3.0") { policy.maxBurst = v }
            case "max_change_fraction":
                if let v = yaml.number(node, key, in: 0...10, hint: "a fraction of last night's guaranteed, e.g. 0.3") { policy.maxChangeFraction = v }
            case "tier3_floor":
                if let v = yaml.number(node, key, in: 0...1, hint: "a coverage between 0 and 1, e.g. 0.1") { policy.tier3Floor = v }
            case "placement":
                for (sub, value) in yaml.mapping(node, key, allowed: ["move_penalty", "target_utilization"]) {
                    let path = "\(key).\(sub)"
                    if sub == "move_penalty" {
                        if let v = yaml.number(value, path, in: 0...1000, hint: "a non-negative weight, e.g. 0.5") { policy.movePenalty = v }
                    } else if let v = yaml.number(value, path, in: 0.01...1, hint: "a fraction such as 0.85") {
                        policy.targetUtilization = v
                    }
                }
            case "deploy":
                for (sub, value) in yaml.mapping(node, key, allowed: ["max_tier1_shrink_fraction"]) {
                    if let v = yaml.number(value, "\(key).\(sub)", in: 0...1,
                                           hint: "a fraction of the running guaranteed between 0 and 1, e.g. 0.3") {
                        policy.maxTier1ShrinkFraction = v
                    }
                }
            default:  // pins
                for (index, item) in yaml.sequence(node, key).enumerated() {
                    let path = "\(key)[\(index)]"
                    var project: String?, cluster: String?, tier: Int?
                    for (field, value) in yaml.mapping(item, path, allowed: ["project", "tier", "cluster"]) {
                        switch field {
                        case "project": project = yaml.string(value, "\(path).project")
                        case "cluster": cluster = yaml.string(value, "\(path).cluster")
                        default: tier = yaml.integer(value, "\(path).tier", in: 1...3, hint: "1, 2 or 3 (leave it out to pin every tier)")
                        }
                    }
                    if item.isObject {
                        if project == nil, !yaml.problems.contains(where: { $0.field == "\(path).project" }) {
                            yaml.fail(item, path, "a pin needs project: and cluster:")
                        } else if cluster == nil, !yaml.problems.contains(where: { $0.field == "\(path).cluster" }) {
                            yaml.fail(item, path, "a pin needs project: and cluster:")
                        }
                    }
                    if let project, let cluster {
                        policy.pins.append(Pin(project: project, tier: tier, cluster: cluster, line: item.line ?? 0))
                    }
                }
            }
        }
        guard yaml.problems.isEmpty else { throw InputError(problems: yaml.problems) }
        return policy
    }

    /// The pin that applies to a queue, if any (a tier-specific pin wins over a whole-project one).
    public func pin(for queue: LeafQueue) -> Pin? {
        pins.first { $0.project == queue.project && $0.tier == queue.tier }
            ?? pins.first { $0.project == queue.project && $0.tier == nil }
    }
}

/// How to reach a cluster's Kubernetes API: the `kubernetes:` section of a `Queues/clusters.yaml` entry.
///
/// File paths are absolute: relative ones in the file are resolved against the folder holding clusters.yaml,
/// so the registry means the same thing from any working directory. The files are read when used (tokens
/// rotate), not when the registry is parsed.
public struct KubernetesEndpoint: Sendable, Equatable {
    /// The API server's base URL, `https://host:port` (a path prefix, as some proxies need, is kept).
    public var server: String
    /// YuniKorn's own namespace, where the `yunikorn-configs` ConfigMap lives.
    public var namespace: String
    /// The namespace SparkApplications are created in.
    public var sparkNamespace: String
    /// A file holding the bearer token (a service-account token is re-read on every request, as it rotates).
    public var tokenFile: String?
    /// The CA bundle the API server's certificate must chain to; nil: the system store.
    public var caFile: String?
    /// The client certificate, for clusters that authenticate by certificate.
    public var clientCertFile: String?
    /// The client certificate's key.
    public var clientKeyFile: String?
    /// Where the section was written (`Queues/clusters.yaml:7`), so errors about the files can point at it.
    public var origin: String

    /// The namespace used when `namespace:` is not given.
    public static let defaultNamespace = "yunikorn"
    /// The namespace used when `spark_namespace:` is not given.
    public static let defaultSparkNamespace = "spark"

    /// An endpoint; paths should already be absolute.
    public init(server: String, namespace: String = defaultNamespace, sparkNamespace: String = defaultSparkNamespace,
                tokenFile: String? = nil, caFile: String? = nil, clientCertFile: String? = nil,
                clientKeyFile: String? = nil, origin: String = "") {
        self.server = server
        self.namespace = namespace
        self.sparkNamespace = sparkNamespace
        self.tokenFile = tokenFile
        self.caFile = caFile
        self.clientCertFile = clientCertFile
        self.clientKeyFile = clientKeyFile
        self.origin = origin
    }
}

/// One cluster of `Queues/clusters.yaml`.
public struct Cluster: Sendable, Equatable {
    public var name: String
    /// Capacity per resource in model units (vcore cores, memory GiB, others their unit).
    public var capacity: [String: Double]
    public var labels: [String]
    /// How to reach its Kubernetes API; nil when the registry gives none (deploys then go to a dry-run target).
    public var kubernetes: KubernetesEndpoint?

    public init(name: String, capacity: [String: Double], labels: [String], kubernetes: KubernetesEndpoint? = nil) {
        self.name = name
        self.capacity = capacity
        self.labels = labels
        self.kubernetes = kubernetes
    }

    /// Whether the cluster can run GPU work: the `gpu` label and some `nvidia.com/gpu` capacity.
    public var takesGPUWork: Bool {
        labels.contains(ResourceUnits.gpuLabel) && (capacity[ResourceUnits.gpu] ?? 0) > 0
    }
}

/// `Queues/clusters.yaml`: the clusters Bursar plans queues for.
public enum ClusterRegistry {
    /// Reads the registry; names must be unique and usable as folder and YuniKorn names.
    public static func parse(_ text: String, file: String) throws(InputError) -> [Cluster] {
        var yaml = StrictYAML(file: file)
        guard let root = yaml.compose(text) else { throw InputError(problems: yaml.problems) }
        var clusters: [Cluster] = []
        var names: Set<String> = []
        let entries = yaml.mapping(root, "", allowed: ["clusters"])
        if root.isObject, !entries.contains(where: { $0.key == "clusters" }) {
            yaml.fail(root, "clusters", "missing; list the clusters under clusters:")
        }
        for (_, list) in entries {
            let items = yaml.sequence(list, "clusters")
            if list.elements != nil, items.isEmpty { yaml.fail(list, "clusters", "empty; list at least one cluster") }
            for (index, item) in items.enumerated() {
                let path = "clusters[\(index)]"
                var name: String?, capacity: [String: Double] = [:], labels: [String] = []
                var hasCapacity = false
                var kubernetes: KubernetesEndpoint?
                for (key, value) in yaml.mapping(item, path, allowed: ["name", "capacity", "labels", "kubernetes"]) {
                    switch key {
                    case "name":
                        guard let text = yaml.string(value, "\(path).name") else { continue }
                        guard text.utf8.count <= 63, text.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }),
                              text.first != "-", text.last != "-" else {
                            yaml.fail(value, "\(path).name", "\"\(text)\" is not a valid cluster name; use lower-case letters, digits and '-' (it names the Queues/<cluster> folder)")
                            continue
                        }
                        if !names.insert(text).inserted {
                            yaml.fail(value, "\(path).name", "cluster \"\(text)\" is listed twice; names must be unique")
                        }
                        name = text
                    case "capacity":
                        hasCapacity = true
                        capacity = yaml.resources(value, "\(path).capacity")
                        if value.isObject, capacity.isEmpty, !yaml.problems.contains(where: { $0.field.hasPrefix("\(path).capacity.") }) {
                            yaml.fail(value, "\(path).capacity", "empty; give at least vcore and memory")
                        }
                    case "labels":
                        for (i, label) in yaml.sequence(value, "\(path).labels").enumerated() {
                            if let text = yaml.string(label, "\(path).labels[\(i)]") { labels.append(text) }
                        }
                    default:
                        kubernetes = Self.kubernetes(value, "\(path).kubernetes", yaml: &yaml)
                    }
                }
                if item.isObject {
                    if name == nil && !yaml.problems.contains(where: { $0.field == "\(path).name" }) {
                        yaml.fail(item, path, "missing name:")
                    }
                    if !hasCapacity { yaml.fail(item, path, "missing capacity: {vcore: …, memory: …}") }
                }
                if let name {
                    clusters.append(Cluster(name: name, capacity: capacity, labels: labels, kubernetes: kubernetes))
                }
            }
        }
        guard yaml.problems.isEmpty else { throw InputError(problems: yaml.problems) }
        return clusters
    }

    /// The keys a `kubernetes:` section may hold.
    static let kubernetesKeys = ["server", "namespace", "spark_namespace", "token_file", "ca_file", "client_cert_file",
                                 "client_key_file"]

    /// Reads one `kubernetes:` section; nil (with problems recorded) when it is unusable.
    static func kubernetes(_ node: SourceNode, _ path: String, yaml: inout StrictYAML) -> KubernetesEndpoint? {
        let before = yaml.problems.count
        var values: [String: String] = [:]
        for (key, value) in yaml.mapping(node, path, allowed: kubernetesKeys) {
            guard let text = yaml.string(value, "\(path).\(key)") else { continue }
            switch key {
            case "server":
                let lower = text.lowercased()
                guard lower.hasPrefix("https://") || lower.hasPrefix("http://"), text.count > 8,
                      !text.contains("?"), !text.contains("#"), !text.contains(where: \.isWhitespace) else {
                    yaml.fail(value, "\(path).server",
                              "\"\(text)\" is not an API server URL; write https://host:port (as in a kubeconfig's server:)")
                    continue
                }
                values[key] = text.hasSuffix("/") ? String(text.dropLast()) : text
            case "namespace", "spark_namespace":
                guard Self.isDNSLabel(text) else {
                    yaml.fail(value, "\(path).\(key)",
                              "\"\(text)\" is not a Kubernetes namespace name; use lower-case letters, digits and '-', at most 63")
                    continue
                }
                values[key] = text
            default:  // files
                values[key] = Self.resolve(text, against: yaml.file)
            }
        }
        guard node.isObject else { return nil }
        if values["server"] == nil, !yaml.problems.dropFirst(before).contains(where: { $0.field == "\(path).server" }) {
            yaml.fail(node, path, "missing server: (the API server URL, e.g. https://10.0.0.1:6443)")
        }
        if (values["client_cert_file"] == nil) != (values["client_key_file"] == nil) {
            yaml.fail(node, path, "client_cert_file and client_key_file go together; give both or neither")
        }
        guard yaml.problems.count == before, let server = values["server"] else { return nil }
        return KubernetesEndpoint(
            server: server, namespace: values["namespace"] ?? KubernetesEndpoint.defaultNamespace,
            sparkNamespace: values["spark_namespace"] ?? KubernetesEndpoint.defaultSparkNamespace,
            tokenFile: values["token_file"], caFile: values["ca_file"], clientCertFile: values["client_cert_file"],
            clientKeyFile: values["client_key_file"], origin: "\(yaml.file):\(node.line ?? 0)")
    }

    /// A path from clusters.yaml, relative ones taken from the folder holding the file.
    static func resolve(_ path: String, against file: String) -> String {
        if path.hasPrefix("/") { return path }
        guard let slash = file.lastIndex(of: "/") else { return path }
        return file[...slash] + path
    }

    /// An RFC 1123 label, as Kubernetes requires of namespace names.
    static func isDNSLabel(_ text: String) -> Bool {
        text.utf8.count <= 63 && !text.isEmpty && text.first != "-" && text.last != "-"
            && text.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
    }
}
