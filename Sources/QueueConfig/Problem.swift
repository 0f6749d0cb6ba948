import SourceDocuments
/// Where a value sits in the configuration, e.g. `partitions[0].queues[1].resources.max.memory`.
public struct FieldPath: Hashable, Sendable, CustomStringConvertible {
    /// One step of a path.
    public enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }
    /// The steps from the document root.
    public private(set) var components: [Component]

    /// The document root.
    public static let root = FieldPath(components: [])

    /// A path with the given steps.
    public init(components: [Component]) { self.components = components }

    /// This path extended by a mapping key.
    public func key(_ name: String) -> FieldPath {
        var copy = self
        copy.components.append(.key(name))
        return copy
    }

    /// This path extended by a sequence index.
    public func index(_ position: Int) -> FieldPath {
        var copy = self
        copy.components.append(.index(position))
        return copy
    }

    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case .key(let name):
                if !text.isEmpty { text += "." }
                text += name
            case .index(let position):
                text += "[\(position)]"
            }
        }
        return text
    }

}

/// A line and column in the source text, both counted from 1.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "\(line):\(column)" }
}

/// Where each field of a configuration was in its file. Locations are looked up only when a
/// problem is reported, by walking the parsed tree along the field path, so reading a large file
/// costs nothing extra.
public struct SourceMap: Sendable {
    let tree: YAMLTree?

    /// A map with no file behind it (for configurations built in memory).
    public init() { tree = nil }

    init(tree: YAMLTree) { self.tree = tree }

    /// The location of a value, or of its nearest ancestor that was in the file.
    public func location(of path: FieldPath) -> SourceLocation? {
        guard let tree else { return nil }
        var probe = path
        while true {
            if let node = tree.node(at: probe) { return tree.location(node) }
            guard !probe.components.isEmpty else { return nil }
            probe = FieldPath(components: Array(probe.components.dropLast()))
        }
    }
}

/// How bad a problem is.
public enum Severity: String, Sendable, Codable {
    /// YuniKorn's validator rejects the configuration.
    case error
    /// YuniKorn's validator accepts it, but the scheduler then fails to load it or silently
    /// does something other than what it says.
    case warning
}

/// What kind of problem; stable identifiers for scripts and tests (wording may change, kinds do not).
public enum ProblemKind: String, Sendable, Codable, CaseIterable {
    case yamlSyntax = "yaml-syntax"
    /// Over one of Bursar's document limits (size, nesting, aliases): refused before it is read.
    case documentLimit = "document-limit"
    case unknownField = "unknown-field"
    case wrongType = "wrong-type"
    case duplicateKey = "duplicate-key"
    case duplicatePartition = "duplicate-partition"
    case queuesNotSet = "queues-not-set"
    case rootResources = "root-resources"
    case invalidQueueName = "invalid-queue-name"
    case duplicateQueueName = "duplicate-queue-name"
    case aclSyntax = "acl-syntax"
    case limitsNotEquivalent = "limits-not-equivalent"
    case limitEmpty = "limit-empty"
    case limitUserName = "limit-user-name"
    case limitGroupName = "limit-group-name"
    case limitDuplicateUser = "limit-duplicate-user"
    case limitDuplicateGroup = "limit-duplicate-group"
    case limitWildcardOrder = "limit-wildcard-order"
    case limitOnlyWildcardGroup = "limit-only-wildcard-group"
    case invalidQuantity = "invalid-quantity"
    case limitZeroResources = "limit-zero-resources"
    case limitNoLimits = "limit-no-limits"
    case limitExceedsQueue = "limit-exceeds-queue"
    case guaranteedOverMax = "guaranteed-over-max"
    case maxOverParentMax = "max-over-parent-max"
    case childrenGuaranteedOverGuaranteed = "children-guaranteed-over-guaranteed"
    case childrenGuaranteedOverMax = "children-guaranteed-over-max"
    case ruleName = "rule-name"
    case ruleFilter = "rule-filter"
    case rulePath = "rule-path"
    case nodeSortPolicy = "node-sort-policy"
    case maxApplications = "max-applications"
    case limitHierarchy = "limit-hierarchy"
    // Warnings: accepted by the validator, refused or changed by the scheduler.
    case rootNameCase = "root-name-case"
    case aclSpacing = "acl-spacing"
    case aclName = "acl-name"
    case unknownRule = "unknown-rule"
    case ruleValue = "rule-value"
    case filterType = "filter-type"
    case filterListEntry = "filter-list-entry"
    case childTemplateQuantity = "child-template-quantity"
    case propertyValue = "property-value"
    case emptyDocument = "empty-document"
}

/// One problem found in a configuration: what, where, and what to do.
public struct Problem: Sendable, Equatable {
    public var severity: Severity
    public var kind: ProblemKind
    /// The field at fault.
    public var path: FieldPath
    /// Where in the file, when known.
    public var location: SourceLocation?
    /// A message for a person: the user's own spelling of values, and what to do.
    public var message: String
    /// For errors: the exact text yunikorn-core would return had this been its first error.
    public var yunikornMessage: String?
    /// True on the one problem yunikorn-core itself would report (its first error).
    public var isYuniKornFirstError = false

    public init(severity: Severity, kind: ProblemKind, path: FieldPath, location: SourceLocation?,
                message: String, yunikornMessage: String?) {
        self.severity = severity
        self.kind = kind
        self.path = path
        self.location = location
        self.message = message
        self.yunikornMessage = yunikornMessage
    }
}
