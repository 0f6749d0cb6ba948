public import QueueConfig

/// The limits of one deployed queue that YuniKorn enforces at admission: `resources.max` and
/// `maxapplications` (0: unlimited).
public struct QueueLimit: Sendable, Equatable {
    /// `resources.max` in YuniKorn's units; a resource it does not name is unlimited.
    public var max: ResourceVector
    /// `maxapplications`; 0 is unlimited.
    public var maxApplications: UInt64
    /// Whether it is a parent (has children or says `parent: true`): applications go to leaves only.
    public var isParent: Bool
    /// The parent's `childtemplate`, applied to a leaf that placement creates below it.
    public var childTemplate: QueueLimit? {
        get { template.first }
        set { template = newValue.map { [$0] } ?? [] }
    }
    private var template: [QueueLimit] = []

    /// A limit.
    public init(max: ResourceVector = ResourceVector(), maxApplications: UInt64 = 0, isParent: Bool = false) {
        self.max = max
        self.maxApplications = maxApplications
        self.isParent = isParent
    }
}

/// The deployed configuration as the simulation enforces it: every queue of the `default` partition (else
/// the first) by full path, and whether placement may create a queue the config does not name.
///
/// Ignored, as this simulation does not model them: guaranteed resources, user and group `limits`, node
/// capacity (the cluster is as large as the queues allow), preemption and sort policies.
public struct QueueLimits: Sendable, Equatable {
    /// Limits by full queue path (`root.org.project.tier1`).
    public var queues: [String: QueueLimit]
    /// True when a placement rule has `create: true`, so an unknown leaf is created instead of refused.
    public var placementCreates: Bool

    /// Limits as given.
    public init(queues: [String: QueueLimit], placementCreates: Bool = false) {
        self.queues = queues
        self.placementCreates = placementCreates
    }

    /// The limits of a validated configuration.
    public init(_ config: SchedulerConfig) {
        queues = [:]
        let partition = config.partitions.first { $0.name == "default" } ?? config.partitions.first
        placementCreates = partition?.placementRules.contains { $0.chain.contains(where: \.create) } ?? false
        for queue in partition?.queues ?? [] { add(queue, prefix: "") }
    }

    private mutating func add(_ queue: QueueConfig, prefix: String) {
        let path = prefix.isEmpty ? queue.name : prefix + "." + queue.name
        var limit = QueueLimit(max: Self.vector(queue.resources.max), maxApplications: queue.maxApplications,
                               isParent: queue.parent || !queue.queues.isEmpty)
        if !queue.childTemplate.isEmpty {
            limit.childTemplate = QueueLimit(max: Self.vector(queue.childTemplate.resources.max),
                                             maxApplications: queue.childTemplate.maxApplications)
        }
        queues[path] = limit
        for child in queue.queues { add(child, prefix: path) }
    }

    /// A quantity map in internal units; the validator has already refused unreadable quantities.
    static func vector(_ map: QuantityMap?) -> ResourceVector {
        var amounts: [String: Int64] = [:]
        for (name, text) in map ?? [] {
            if case .success(let value) = Quantity.parse(text, resource: name) { amounts[name] = value }
        }
        return ResourceVector(amounts)
    }

    /// Where an application asking for `queue` lands, as YuniKorn's placement decides it with the queues it
    /// knows: the chain of limits from the leaf up to `root`, or the reason it is rejected.
    public func place(_ queue: String, applicationID: String) -> Result<[(path: String, limit: QueueLimit)], Rejection> {
        let parts = queue.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.first == "root", parts.count >= 2, !parts.contains(where: \.isEmpty) else {
            return .failure(Rejection(message: "application '\(applicationID)' rejected, queue '\(queue)' is not a full queue path "
                + "starting at root (set spec.batchSchedulerOptions.queue to e.g. root.org.project.tier1)"))
        }
        if let leaf = queues[queue] {
            if leaf.isParent {
                return .failure(Rejection(message: "application '\(applicationID)' rejected, queue '\(queue)' is a parent queue: "
                    + "applications can only be placed in leaf queues"))
            }
        } else if !placementCreates {
            return .failure(Rejection(message: "application '\(applicationID)' rejected, cannot create queue '\(queue)' "
                + "without placement rules (deploy a configuration that defines it)"))
        }
        var chain: [(path: String, limit: QueueLimit)] = []
        var path = queue
        var created: QueueLimit?
        while true {
            if let limit = queues[path] {
                chain.append((path, limit))
            } else if created == nil {
                // A leaf the placement rules create: its parent's child template, if the parent is defined.
                let parent = path.split(separator: ".").dropLast().joined(separator: ".")
                created = queues[parent]?.childTemplate ?? QueueLimit()
                chain.append((path, created!))
            }
            guard let dot = path.lastIndex(of: ".") else { break }
            path = String(path[..<dot])
        }
        return .success(chain)
    }

    /// Why YuniKorn refuses an application outright.
    public struct Rejection: Error, Sendable, Equatable {
        /// YuniKorn's reason, with what to do.
        public var message: String
    }
}
