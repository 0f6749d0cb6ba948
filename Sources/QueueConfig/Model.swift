/// The typed model of YuniKorn's `queues.yaml` (`pkg/common/configs/config.go`).
///
/// Values are kept as the user wrote them (quantities stay strings such as `16Gi`) so that
/// messages can quote the user's own text and `parse(emit(x)) == x` holds. Optional fields
/// distinguish "absent" from "empty", because YuniKorn does (`guaranteed: {}` on root is an error,
/// `resources: {}` is not).
public struct SchedulerConfig: Equatable, Sendable {
    /// The partitions in file order.
    public var partitions: [PartitionConfig]
    /// The `checksum` key; YuniKorn accepts and ignores it during validation.
    public var checksum: String?

    /// A configuration with the given partitions.
    public init(partitions: [PartitionConfig] = [], checksum: String? = nil) {
        self.partitions = partitions
        self.checksum = checksum
    }
}

/// One partition (`partitions[]`).
public struct PartitionConfig: Equatable, Sendable {
    public var name: String
    /// `nil` when the key is absent or null: YuniKorn then fails with `queue config is not set`.
    public var queues: [QueueConfig]?
    public var placementRules: [PlacementRule]
    public var limits: [Limit]
    public var preemption: PartitionPreemption
    public var nodeSortPolicy: NodeSortPolicy
    public var userGroupResolver: UserGroupResolver

    /// A partition; only the name and queues are usually needed.
    public init(name: String, queues: [QueueConfig]?, placementRules: [PlacementRule] = [],
                limits: [Limit] = [], preemption: PartitionPreemption = .init(),
                nodeSortPolicy: NodeSortPolicy = .init(), userGroupResolver: UserGroupResolver = .init()) {
        self.name = name
        self.queues = queues
        self.placementRules = placementRules
        self.limits = limits
        self.preemption = preemption
        self.nodeSortPolicy = nodeSortPolicy
        self.userGroupResolver = userGroupResolver
    }
}

/// `partitions[].preemption`; `nil` means the key is absent (enabled defaults to true).
public struct PartitionPreemption: Equatable, Sendable {
    public var enabled: Bool?
    /// Since YuniKorn 1.8.0; older releases refuse the key.
    public var quotaPreemptionEnabled: Bool?
    public init(enabled: Bool? = nil, quotaPreemptionEnabled: Bool? = nil) {
        self.enabled = enabled
        self.quotaPreemptionEnabled = quotaPreemptionEnabled
    }
}

/// `partitions[].nodesortpolicy`.
public struct NodeSortPolicy: Equatable, Sendable {
    /// `""` (fair), `fair` or `binpacking`.
    public var type: String
    /// Weights by resource name, in file order.
    public var resourceWeights: [(name: String, weight: Double)]
    public init(type: String = "", resourceWeights: [(name: String, weight: Double)] = []) {
        self.type = type
        self.resourceWeights = resourceWeights
    }
    public static func == (lhs: NodeSortPolicy, rhs: NodeSortPolicy) -> Bool {
        lhs.type == rhs.type && lhs.resourceWeights.count == rhs.resourceWeights.count
            && zip(lhs.resourceWeights, rhs.resourceWeights).allSatisfy {
                $0.name == $1.name && ($0.weight == $1.weight || ($0.weight.isNaN && $1.weight.isNaN))
            }
    }
}

/// `partitions[].usergroupresolver` (YuniKorn 1.8.0+).
public struct UserGroupResolver: Equatable, Sendable {
    public var type: String
    public init(type: String = "") { self.type = type }
}

/// A resource map (`guaranteed`, `max`, `maxresources`) as written: names to quantity text, in
/// file order. `nil` entries are not allowed: YAML null reads as `""`, which YuniKorn rejects.
public typealias QuantityMap = [(name: String, quantity: String)]

/// `resources` of a queue or child template.
public struct QueueResources: Equatable, Sendable {
    public var guaranteed: QuantityMap?
    public var max: QuantityMap?
    public init(guaranteed: QuantityMap? = nil, max: QuantityMap? = nil) {
        self.guaranteed = guaranteed
        self.max = max
    }
    public static func == (lhs: QueueResources, rhs: QueueResources) -> Bool {
        sameMap(lhs.guaranteed, rhs.guaranteed) && sameMap(lhs.max, rhs.max)
    }
    /// True when neither map is present.
    public var isEmpty: Bool { guaranteed == nil && max == nil }
}

func sameMap(_ lhs: QuantityMap?, _ rhs: QuantityMap?) -> Bool {
    switch (lhs, rhs) {
    case (nil, nil): return true
    case let (l?, r?): return l.count == r.count && zip(l, r).allSatisfy { $0 == $1 }
    default: return false
    }
}

/// A queue (`queues[]`), recursive.
public struct QueueConfig: Equatable, Sendable {
    public var name: String
    /// The `parent:` flag as written. YuniKorn's placement check reads only this flag.
    public var parent: Bool
    public var resources: QueueResources
    /// 0 means unlimited.
    public var maxApplications: UInt64
    /// Free-form properties in file order.
    public var properties: [(key: String, value: String)]
    public var adminACL: String
    public var submitACL: String
    public var childTemplate: ChildTemplate
    public var queues: [QueueConfig]
    public var limits: [Limit]

    /// A queue; everything but the name is optional.
    public init(name: String, parent: Bool = false, resources: QueueResources = .init(),
                maxApplications: UInt64 = 0, properties: [(key: String, value: String)] = [],
                adminACL: String = "", submitACL: String = "", childTemplate: ChildTemplate = .init(),
                queues: [QueueConfig] = [], limits: [Limit] = []) {
        self.name = name
        self.parent = parent
        self.resources = resources
        self.maxApplications = maxApplications
        self.properties = properties
        self.adminACL = adminACL
        self.submitACL = submitACL
        self.childTemplate = childTemplate
        self.queues = queues
        self.limits = limits
    }

    public static func == (lhs: QueueConfig, rhs: QueueConfig) -> Bool {
        lhs.name == rhs.name && lhs.parent == rhs.parent && lhs.resources == rhs.resources
            && lhs.maxApplications == rhs.maxApplications
            && lhs.properties.count == rhs.properties.count
            && zip(lhs.properties, rhs.properties).allSatisfy { $0 == $1 }
            && lhs.adminACL == rhs.adminACL && lhs.submitACL == rhs.submitACL
            && lhs.childTemplate == rhs.childTemplate && lhs.queues == rhs.queues && lhs.limits == rhs.limits
    }
}

/// `childtemplate` of a parent queue: applied to dynamically created children.
public struct ChildTemplate: Equatable, Sendable {
    public var maxApplications: UInt64
    public var properties: [(key: String, value: String)]
    public var resources: QueueResources
    public init(maxApplications: UInt64 = 0, properties: [(key: String, value: String)] = [],
                resources: QueueResources = .init()) {
        self.maxApplications = maxApplications
        self.properties = properties
        self.resources = resources
    }
    public static func == (lhs: ChildTemplate, rhs: ChildTemplate) -> Bool {
        lhs.maxApplications == rhs.maxApplications && lhs.resources == rhs.resources
            && lhs.properties.count == rhs.properties.count
            && zip(lhs.properties, rhs.properties).allSatisfy { $0 == $1 }
    }
    /// True when nothing is set.
    public var isEmpty: Bool { maxApplications == 0 && properties.isEmpty && resources.isEmpty }
}

/// A placement rule (`placementrules[]`), with an optional parent rule.
public struct PlacementRule: Equatable, Sendable {
    public var name: String
    public var create: Bool
    public var filter: PlacementFilter
    /// Boxed because rules nest through `parent`.
    public var parent: PlacementRule? {
        get { parentBox?.rule }
        set { parentBox = newValue.map(RuleBox.init) }
    }
    public var value: String
    private var parentBox: RuleBox?

    public init(name: String, create: Bool = false, filter: PlacementFilter = .init(),
                parent: PlacementRule? = nil, value: String = "") {
        self.name = name
        self.create = create
        self.filter = filter
        self.value = value
        self.parentBox = parent.map(RuleBox.init)
    }
    public static func == (lhs: PlacementRule, rhs: PlacementRule) -> Bool {
        lhs.name == rhs.name && lhs.create == rhs.create && lhs.filter == rhs.filter
            && lhs.value == rhs.value && lhs.parent == rhs.parent
    }

    /// The rules from the outermost parent down to this one (YuniKorn's `getRuleChain`).
    public var chain: [PlacementRule] {
        var rules: [PlacementRule] = [self]
        var current = parent
        while let rule = current {
            rules.insert(rule, at: 0)
            current = rule.parent
        }
        return rules
    }
}

private final class RuleBox: Sendable {
    let rule: PlacementRule
    init(_ rule: PlacementRule) { self.rule = rule }
}

/// `filter` of a placement rule.
public struct PlacementFilter: Equatable, Sendable {
    /// `""`, `allow` or `deny`.
    public var type: String
    public var users: [String]
    public var groups: [String]
    public init(type: String = "", users: [String] = [], groups: [String] = []) {
        self.type = type
        self.users = users
        self.groups = groups
    }
    /// True when nothing is set.
    public var isEmpty: Bool { type.isEmpty && users.isEmpty && groups.isEmpty }
}

/// A user/group limit (`limits[]`) of a partition or queue.
public struct Limit: Equatable, Sendable {
    /// Free description; YuniKorn quotes it in messages.
    public var limit: String
    public var users: [String]
    public var groups: [String]
    public var maxResources: QuantityMap
    public var maxApplications: UInt64
    public init(limit: String = "", users: [String] = [], groups: [String] = [],
                maxResources: QuantityMap = [], maxApplications: UInt64 = 0) {
        self.limit = limit
        self.users = users
        self.groups = groups
        self.maxResources = maxResources
        self.maxApplications = maxApplications
    }
    public static func == (lhs: Limit, rhs: Limit) -> Bool {
        lhs.limit == rhs.limit && lhs.users == rhs.users && lhs.groups == rhs.groups
            && sameMap(lhs.maxResources, rhs.maxResources) && lhs.maxApplications == rhs.maxApplications
    }

    /// Go's `%v` of the Limit struct, as YuniKorn prints it: `{desc [u1] [g1] map[memory:1] 5}`.
    var goDescription: String {
        let resources = maxResources.isEmpty ? "map[]" :
            "map[" + maxResources.sorted { goLess($0.name, $1.name) }
                .map { "\($0.name):\($0.quantity)" }.joined(separator: " ") + "]"
        return "{\(limit) [\(users.joined(separator: " "))] [\(groups.joined(separator: " "))] \(resources) \(maxApplications)}"
    }
}
