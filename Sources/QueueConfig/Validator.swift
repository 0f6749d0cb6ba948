import Foundation

/// The verdict on one queue configuration and every problem found in it.
public struct ValidationResult: Sendable {
    /// The configuration as read (nil when the text is not YAML).
    public var config: SchedulerConfig?
    /// Every problem, errors and warnings, sorted by position in the file.
    public var problems: [Problem]
    /// The error text yunikorn-core itself returns for this configuration (its first error), or
    /// nil when yunikorn-core accepts it.
    public var yunikornError: String?
    /// YuniKorn's checksum of the text (upper-case hex SHA-256), for valid configurations.
    public var checksum: String?

    /// YuniKorn's verdict: true when its validator accepts the configuration.
    public var isValid: Bool { yunikornError == nil }
    /// The problems of the given severity.
    public func problems(_ severity: Severity) -> [Problem] { problems.filter { $0.severity == severity } }
}

/// YuniKorn's queue-configuration validator, rule for rule (`pkg/common/configs/configvalidator.go`),
/// except that it gathers every problem instead of stopping at the first. The first error it
/// records is, by construction, the one yunikorn-core returns: the checks run in its order and
/// walk the tree in its order. Warnings flag what the validator accepts but the scheduler refuses.
public enum Validator {
    /// Reads and validates a `queues.yaml` text.
    public static func validate(text: String, for version: YuniKornVersion = .latest) -> ValidationResult {
        // The checksum needs only the bytes: hash them on the other core while this one parses.
        let checksum = ChecksumTask(text)
        let decoded = StrictDecoder.decode(text, for: version)
        guard let config = decoded.config, decoded.problems.isEmpty else {
            var problems = decoded.problems
            if !problems.isEmpty {
                problems[0].isYuniKornFirstError = true
                problems[0].yunikornMessage = decoded.yunikornError
            }
            return ValidationResult(config: decoded.config, problems: problems,
                                    yunikornError: decoded.yunikornError ?? decoded.problems.first?.message)
        }
        var result = validate(config, sourceMap: decoded.sourceMap)
        if config.partitions.isEmpty {
            result.problems.append(Problem(
                severity: .warning, kind: .emptyDocument, path: .root, location: nil,
                message: text.utf8.isEmpty
                    ? "the file is empty: YuniKorn then loads its default configuration (one partition, tag rule on namespace)"
                    : "no partitions are defined: sent to a running scheduler this removes every partition; add partitions or send an empty file for the defaults",
                yunikornMessage: nil))
        }
        result.checksum = checksum.value
        if !result.isValid { result.checksum = nil }
        return result
    }

    /// Validates a configuration already in memory (for example one the allocator built).
    public static func validate(_ config: SchedulerConfig, sourceMap: SourceMap = SourceMap()) -> ValidationResult {
        var run = ValidationRun(sourceMap: sourceMap)
        run.check(config)
        let sorted = run.problems.enumerated().sorted { a, b in
            let la = a.element.location.map { ($0.line, $0.column) } ?? (Int.max, 0)
            let lb = b.element.location.map { ($0.line, $0.column) } ?? (Int.max, 0)
            return la != lb ? la < lb : a.offset < b.offset
        }.map(\.element)
        return ValidationResult(config: config, problems: sorted, yunikornError: run.firstError)
    }
}

/// YuniKorn's checksum computed on another thread; `value` waits for it.
final class ChecksumTask: @unchecked Sendable {
    private var result = ""
    private let done = DispatchSemaphore(value: 0)

    init(_ text: String) {
        // Small files are hashed inline: a thread hop costs more than the hash.
        if text.utf8.count < 1 << 16 {
            result = Checksum.yunikorn(of: text)
            done.signal()
            return
        }
        DispatchQueue.global(qos: .userInitiated).async {
            self.result = Checksum.yunikorn(of: text)
            self.done.signal()
        }
    }

    var value: String {
        done.wait()
        done.signal()
        return result
    }
}

/// A queue as the validator sees it after YuniKorn's structural rewrites (root insertion,
/// partition limits copied to root). Paths and names for messages are worked out only when a
/// problem is reported, so a clean 10,000-queue file costs no string building.
final class QueueNode {
    let config: QueueConfig
    unowned let parent: QueueNode?
    /// Position in the parent's `queues` list as written.
    let index: Int
    /// The path of a root (an inserted root takes its partition's path).
    private let rootPath: FieldPath?
    var parentFlag: Bool
    var limits: [Limit]
    var limitsPathOverride: FieldPath?
    var children: [QueueNode] = []

    init(config: QueueConfig, parent: QueueNode?, index: Int, rootPath: FieldPath?) {
        self.config = config
        self.parent = parent
        self.index = index
        self.rootPath = rootPath
        self.parentFlag = config.parent
        self.limits = config.limits
    }

    var name: String { config.name }

    /// Where the queue is in the file.
    var path: FieldPath {
        if let rootPath { return rootPath }
        return parent!.path.key("queues").index(index)
    }

    /// Where its limits are (the partition's, when they were copied to root).
    var limitsPath: FieldPath { limitsPathOverride ?? path.key("limits") }

    /// The dotted queue path, e.g. `root.org.project`.
    var queuePath: String {
        guard let parent else { return name }
        return parent.queuePath + "." + name
    }
}

/// One effective max amount and the queue that set it.
struct Bound {
    var value: Int64
    unowned var owner: QueueNode
    func text(_ resource: String) -> String {
        owner.config.resources.max?.first(where: { $0.name == resource })?.quantity ?? Quantity.describe(value, resource: resource)
    }
}

struct ValidationRun {
    let sourceMap: SourceMap
    var problems: [Problem] = []
    var firstError: String?
    /// Quantity paths already reported, so a value checked by two rules is reported once.
    var reportedQuantities = Set<FieldPath>()

    init(sourceMap: SourceMap) { self.sourceMap = sourceMap }

    // MARK: Reporting

    mutating func error(_ kind: ProblemKind, at path: FieldPath, _ message: String, yunikorn: String) {
        var problem = Problem(severity: .error, kind: kind, path: path, location: sourceMap.location(of: path),
                              message: message, yunikornMessage: yunikorn)
        if firstError == nil {
            firstError = yunikorn
            problem.isYuniKornFirstError = true
        }
        problems.append(problem)
    }

    mutating func warning(_ kind: ProblemKind, at path: FieldPath, _ message: String) {
        problems.append(Problem(severity: .warning, kind: kind, path: path, location: sourceMap.location(of: path),
                                message: message, yunikornMessage: nil))
    }

    // MARK: Top level

    mutating func check(_ config: SchedulerConfig) {
        var seenPartitions = Set<String>()
        for (index, partition) in config.partitions.enumerated() {
            let path = FieldPath.root.key("partitions").index(index)
            var name = partition.name
            if name.isEmpty || name.lowercased() == "default" { name = "default" }
            if !seenPartitions.insert(name.lowercased()).inserted {
                error(.duplicatePartition, at: path.key("name"),
                      "partition name \"\(partition.name)\" is used twice (names compare case-insensitively and an empty name means \"default\"); rename one",
                      yunikorn: "duplicate partition name found with name \(name)")
            }
            check(partition, named: name, at: path)
        }
    }

    mutating func check(_ partition: PartitionConfig, named name: String, at path: FieldPath) {
        // 2. checkQueuesStructure
        guard let topQueues = partition.queues else {
            error(.queuesNotSet, at: path, "partition \"\(name)\" has no queues: add a `queues:` list with a root queue",
                  yunikorn: "queue config is not set")
            return
        }
        let root: QueueNode
        if topQueues.count == 1, topQueues[0].name.lowercased() == "root" {
            root = buildTree(topQueues[0], parent: nil, index: 0, rootPath: path.key("queues").index(0))
            root.parentFlag = true
            if topQueues[0].name != "root" {
                warning(.rootNameCase, at: path.key("queues").index(0).key("name"),
                        "the root queue is spelled \"\(topQueues[0].name)\": the validator accepts it but the scheduler fails with \"partition cannot be created without root queue\"; write \"root\"")
            }
        } else {
            root = QueueNode(config: QueueConfig(name: "root", parent: true), parent: nil, index: 0, rootPath: path)
            root.children = topQueues.enumerated().map { offset, queue in
                buildTree(queue, parent: root, index: offset, rootPath: nil)
            }
        }
        if root.config.resources.guaranteed != nil || root.config.resources.max != nil {
            error(.rootResources, at: root.path.key("resources"),
                  "the root queue must not set guaranteed or max resources (its size is the cluster's); move them to child queues",
                  yunikorn: "root queue must not have resource limits set")
        }
        // 3. checkLimitsStructure
        if !partition.limits.isEmpty {
            if !root.limits.isEmpty {
                if partition.limits != root.limits {
                    error(.limitsNotEquivalent, at: path.key("limits"),
                          "partition limits and root queue limits are both set and differ; keep only one of them",
                          yunikorn: "partition limits and root queue limits are not equivalent")
                }
            } else {
                root.limits = partition.limits
                root.limitsPathOverride = path.key("limits")
            }
        }
        // 4. checkQueues
        checkQueues(root, level: 1)
        // 5. checkQueueResource
        _ = checkQueueResource(root, parentMax: [:])
        // 6. checkPlacementRules
        checkPlacementRules(partition.placementRules, root: root, at: path.key("placementrules"))
        // 7. checkNodeSortingPolicy
        checkNodeSortPolicy(partition.nodeSortPolicy, at: path.key("nodesortpolicy"))
        // 8. checkQueueMaxApplications
        checkQueueMaxApplications(root)
        // 9, 10. hierarchical user/group limits
        checkLimitResource(root, users: [:], groups: [:])
        checkLimitMaxApplications(root, users: [:], groups: [:])
        // Beyond the validator: what the scheduler refuses when it builds the partition.
        checkChildTemplates(root)
        checkProperties(root)
    }

    func buildTree(_ queue: QueueConfig, parent: QueueNode?, index: Int, rootPath: FieldPath?) -> QueueNode {
        let node = QueueNode(config: queue, parent: parent, index: index, rootPath: rootPath)
        node.children = queue.queues.enumerated().map { offset, child in
            buildTree(child, parent: node, index: offset, rootPath: nil)
        }
        return node
    }

    // MARK: 4. ACLs, limits, names

    mutating func checkQueues(_ queue: QueueNode, level: Int) {
        checkACL(queue.config.adminACL, at: queue.path.key("adminacl"), queue: queue)
        checkACL(queue.config.submitACL, at: queue.path.key("submitacl"), queue: queue)
        checkLimits(queue)
        var seen = Set<String>()
        for child in queue.children {
            if !QueueName.isValid(child.name) {
                let reason = child.name.isEmpty ? "is empty"
                    : child.name.utf8.count > 64 ? "is \(child.name.utf8.count) characters long (at most 64)"
                    : child.name.contains(".") ? "contains a dot (dots separate queue levels)"
                    : "contains characters other than letters, digits and - _ # @ / :"
                error(.invalidQueueName, at: child.path.key("name"),
                      "queue name \"\(child.name)\" \(reason); use 1–64 letters, digits or - _ # @ / :",
                      yunikorn: "invalid queue name, max 64 characters consisting of alphanumeric characters and '-', '_', '#', '@', '/', ':' allowed")
            }
            if !seen.insert(child.name.lowercased()).inserted {
                error(.duplicateQueueName, at: child.path.key("name"),
                      "queue \"\(child.name)\" appears twice under \(queue.queuePath) (names compare case-insensitively); rename or merge one",
                      yunikorn: "duplicate child name found with name '\(child.name)', level \(level)")
            }
        }
        for child in queue.children { checkQueues(child, level: level + 1) }
    }

    mutating func checkACL(_ acl: String, at lazyPath: @autoclosure () -> FieldPath, queue: QueueNode) {
        guard !acl.isEmpty, acl != "*" else { return }
        if Names.isPlainACL(acl) { return }
        let path = lazyPath()
        let trimmed = String(Quantity.trimmedGoSpace(acl))
        guard !trimmed.isEmpty, trimmed != "*" else { return }
        let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
        if fields.count > 2 {
            error(.aclSyntax, at: path,
                  "ACL \"\(acl)\" has \(fields.count) space-separated parts; the form is \"user1,user2 group1,group2\" (one space between users and groups)",
                  yunikorn: "multiple spaces found in ACL: '\(trimmed)'")
            return
        }
        // The scheduler's NewACL splits on single spaces before trimming.
        if acl.split(separator: " ", omittingEmptySubsequences: false).count > 2 {
            warning(.aclSpacing, at: path,
                    "ACL \"\(acl)\" has extra spaces: the validator accepts it but the scheduler fails to create queue \(queue.queuePath) (\"multiple spaces found in ACL\"); use exactly one space between users and groups")
            return
        }
        let parts = acl.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        let users = parts.first.map { $0.split(separator: ",").map(String.init) } ?? []
        let groups = parts.count > 1 ? parts[1].split(separator: ",").map(String.init) : []
        for user in users where user != "*" && !Names.isACLUser(user) {
            warning(.aclName, at: path, "user \(user.debugDescription) in ACL \(acl.debugDescription) is not a valid user name; YuniKorn silently ignores it")
        }
        for group in groups where group != "*" && !Names.isACLGroup(group) {
            warning(.aclName, at: path, "group \(group.debugDescription) in ACL \(acl.debugDescription) is not a valid group name; YuniKorn silently ignores it")
        }
    }

    mutating func checkLimits(_ queue: QueueNode) {
        var users = Set<String>()
        var groups = Set<String>()
        guard !queue.limits.isEmpty else { return }
        let limitsPath = queue.limitsPath
        for (index, limit) in queue.limits.enumerated() {
            checkLimit(limit, at: limitsPath.index(index), users: &users, groups: &groups, queue: queue)
        }
    }

    mutating func checkLimit(_ limit: Limit, at path: FieldPath, users: inout Set<String>, groups: inout Set<String>,
                             queue: QueueNode) {
        let described = limit.limit.isEmpty ? "limit #\(path.lastIndex + 1) of \(queue.queuePath)" : "limit \"\(limit.limit)\""
        if limit.users.isEmpty && limit.groups.isEmpty {
            error(.limitEmpty, at: path, "\(described) names no users and no groups; add `users:` or `groups:`",
                  yunikorn: "empty user and group lists defined in limit '\(limit.goDescription)'")
        }
        checkLimitNames(limit.users, isUser: true, at: path.key("users"), seen: &users, queue: queue)
        checkLimitNames(limit.groups, isUser: false, at: path.key("groups"), seen: &groups, queue: queue)
        if groups == ["*"] {
            error(.limitOnlyWildcardGroup, at: path.key("groups"),
                  "the only group limit on queue \(queue.queuePath) is the wildcard \"*\", which would equal the queue's own limit; add a limit for a named group",
                  yunikorn: "should not specify only one group limit that is using the wildcard. There must be at least one limit with a group name defined ")
        }
        var limitResources = ResourceVector()
        if !limit.maxResources.isEmpty {
            let parsed = parseMap(limit.maxResources, at: path.key("maxresources"), yunikornPrefix: "")
            limitResources = parsed.vector
            if parsed.complete {
                if !parsed.vector.isStrictlyPositive {
                    error(.limitZeroResources, at: path.key("maxresources"),
                          "\(described): every maxresources value is 0; set at least one above 0 or remove maxresources",
                          yunikorn: "MaxResources should be greater than zero in '\(limit.limit)' limit")
                }
            }
        }
        if limit.maxApplications == 0 && limit.maxResources.isEmpty {
            error(.limitNoLimits, at: path,
                  "\(described) sets neither maxresources nor maxapplications; set at least one",
                  yunikorn: "invalid resource combination for limit \(limit.limit) all resource limits are null")
        }
        let queueMaxApps = queue.config.maxApplications
        if queueMaxApps != 0 && queueMaxApps < limit.maxApplications {
            error(.limitExceedsQueue, at: path.key("maxapplications"),
                  "\(described) allows \(limit.maxApplications) applications, more than the queue's maxapplications \(queueMaxApps)",
                  yunikorn: "invalid MaxApplications settings for limit \(limit.limit) exceed current the queue MaxApplications")
        }
        if queue.name != "root" {
            do {
                let queueMax = parseMap(queue.config.resources.max ?? [], at: queue.path.key("resources").key("max"),
                                        yunikornPrefix: "parse queue \(queue.name) max resource failed: ").vector
                let over = queueMax.exceeded(by: limitResources)
                if !over.isEmpty {
                    let detail = over.map { name in
                        "\(name) \(text(limit.maxResources, name)) > \(text(queue.config.resources.max ?? [], name))"
                    }.joined(separator: ", ")
                    error(.limitExceedsQueue, at: path.key("maxresources"),
                          "\(described) allows more than the queue's own max (\(detail)); lower the limit or raise the queue's max",
                          yunikorn: "invalid MaxResources settings for limit \(limit.limit) exeecd current the queue MaxResources")
                }
            }
        }
    }

    /// The user or group names of one limit: valid, not repeated on the queue, wildcard last.
    mutating func checkLimitNames(_ names: [String], isUser: Bool, at listPath: FieldPath, seen: inout Set<String>,
                                  queue: QueueNode) {
        let word = isUser ? "user" : "group"
        for (index, name) in names.enumerated() {
            let namePath = listPath.index(index)
            if name != "*" && !(isUser ? Names.isUser(name) : Names.isGroup(name)) {
                let rule = isUser ? "letters, digits or : # / _ . @ - (a trailing $ is allowed)" : "letters, digits or : _ . -"
                error(isUser ? .limitUserName : .limitGroupName, at: namePath,
                      "\(word) name \"\(name)\" is not valid: start with a letter or _, then \(rule)",
                      yunikorn: "invalid limit \(word) name '\(name)' in limit definition")
            }
            if seen.contains(name) {
                error(isUser ? .limitDuplicateUser : .limitDuplicateGroup, at: namePath,
                      "\(word) \"\(name)\" already has a limit on queue \(queue.queuePath); list each \(word) once",
                      yunikorn: isUser ? "duplicated user name '\(name)', already exists" : "duplicated group name '\(name)'")
            }
            seen.insert(name)
            if seen.contains("*") && name != "*" {
                error(.limitWildcardOrder, at: namePath,
                      "\(word) \"\(name)\" comes after the wildcard \(word) \"*\" on queue \(queue.queuePath); the wildcard limit must come last",
                      yunikorn: "should not set no wildcard \(word) \(name) after wildcard \(word) limit")
            }
        }
    }

    // MARK: 5. Guaranteed and max

    /// Returns the effective guaranteed passed up to the parent.
    mutating func checkQueueResource(_ queue: QueueNode, parentMax: [String: Bound]) -> ResourceVector {
        var resourcesPath: FieldPath { queue.path.key("resources") }
        let guaranteedMap = queue.config.resources.guaranteed ?? []
        let maxMap = queue.config.resources.max ?? []
        let guaranteed = parseMap(guaranteedMap, at: resourcesPath.key("guaranteed"), yunikornPrefix: "").vector
        let max = parseMap(maxMap, at: resourcesPath.key("max"), yunikornPrefix: "").vector
        let overMax = max.exceeded(by: guaranteed)
        if !overMax.isEmpty {
            error(.guaranteedOverMax, at: resourcesPath.key("guaranteed"),
                  "queue \(queue.queuePath): guaranteed is larger than max (" + overMax.map {
                      "\($0) \(text(guaranteedMap, $0)) > \(text(maxMap, $0))"
                  }.joined(separator: ", ") + "); lower guaranteed or raise max",
                  yunikorn: "guaranteed resource \(guaranteed.goDescription) is larger than maximum resource \(max.goDescription) for queue \(queue.name)")
        }
        let parentVector = ResourceVector(parentMax.mapValues(\.value))
        let overParent = parentVector.exceeded(by: max)
        if !overParent.isEmpty {
            error(.maxOverParentMax, at: resourcesPath.key("max"),
                  "queue \(queue.queuePath): max is larger than an ancestor's max (" + overParent.map {
                      "\($0) \(text(maxMap, $0)) > \(parentMax[$0]!.text($0)) on \(parentMax[$0]!.owner.queuePath)"
                  }.joined(separator: ", ") + "); a child can never use more than its parent",
                  yunikorn: "max resource of parent \(parentVector.goDescription) is smaller than maximum resource \(max.goDescription) for queue \(queue.name)")
        }
        var effectiveMax = parentMax
        for (name, value) in max.amounts where effectiveMax[name].map({ value < $0.value }) ?? true {
            effectiveMax[name] = Bound(value: value, owner: queue)
        }
        var childrenSum = ResourceVector()
        for child in queue.children {
            childrenSum.add(checkQueueResource(child, parentMax: effectiveMax))
        }
        let overGuaranteed = guaranteed.exceeded(by: childrenSum)
        if !overGuaranteed.isEmpty {
            error(.childrenGuaranteedOverGuaranteed, at: resourcesPath.key("guaranteed"),
                  "queue \(queue.queuePath): its children's guaranteed add up to more than its own guaranteed (" + overGuaranteed.map {
                      "\($0) \(Quantity.describe(childrenSum.amounts[$0]!, resource: $0)) > \(text(guaranteedMap, $0))"
                  }.joined(separator: ", ") + "); raise this guaranteed or lower the children's",
                  yunikorn: "guaranteed resource of parent \(guaranteed.goDescription) is smaller than sum of guaranteed resources \(childrenSum.goDescription) of the children for queue \(queue.name)")
        }
        let effectiveVector = ResourceVector(effectiveMax.mapValues(\.value))
        let overEffective = effectiveVector.exceeded(by: childrenSum)
        if !overEffective.isEmpty {
            error(.childrenGuaranteedOverMax, at: resourcesPath.key("max"),
                  "queue \(queue.queuePath): its children's guaranteed add up to more than the max it may use (" + overEffective.map {
                      "\($0) \(Quantity.describe(childrenSum.amounts[$0]!, resource: $0)) > \(effectiveMax[$0]!.text($0)) on \(effectiveMax[$0]!.owner.queuePath)"
                  }.joined(separator: ", ") + "); raise that max or lower the children's guaranteed",
                  yunikorn: "max resource \(effectiveVector.goDescription) is smaller than sum of guaranteed resources \(childrenSum.goDescription) of the children for queue \(queue.name)")
        }
        return guaranteed.isZero ? childrenSum : guaranteed
    }

    // MARK: 6. Placement rules

    mutating func checkPlacementRules(_ rules: [PlacementRule], root: QueueNode, at path: FieldPath) {
        guard !rules.isEmpty else { return }
        for (index, rule) in rules.enumerated() {
            checkPlacementRule(rule, at: path.index(index))
        }
        var qualifiedFailures = Set<Int>()
        for (index, rule) in rules.enumerated() {
            var staticPath = ""
            var dynamic = false
            for (depth, element) in rule.chain.enumerated() {
                if dynamic { break }
                guard element.name == "fixed" else {
                    dynamic = true
                    break
                }
                if element.value.hasPrefix("root") {
                    if !staticPath.isEmpty {
                        let chainDepth = rule.chain.count - 1 - depth
                        var valuePath = path.index(index)
                        for _ in 0..<chainDepth { valuePath = valuePath.key("parent") }
                        error(.rulePath, at: valuePath.key("value"),
                              "placement rule #\(index): the fixed value \"\(element.value)\" is fully qualified but follows another fixed rule in the chain; only the first fixed rule may start with root",
                              yunikorn: "illegal fully qualified 'fixed' rule with value \(element.value)")
                        qualifiedFailures.insert(index)
                        break
                    }
                    staticPath = element.value
                } else {
                    staticPath = (staticPath.isEmpty ? "root" : staticPath) + "." + element.value
                }
            }
        }
        for (index, rule) in rules.enumerated() where !qualifiedFailures.contains(index) {
            let chain = rule.chain
            let chainText = chain.map(\.name).joined(separator: "->")
            var staticPath = ""
            var dynamic = false
            for element in chain {
                if element.name != "fixed" {
                    if staticPath.isEmpty { staticPath = "<dynamic>" }
                    dynamic = true
                    break
                }
                if element.value.hasPrefix("root") { staticPath = element.value }
                else { staticPath = (staticPath.isEmpty ? "root" : staticPath) + "." + element.value }
            }
            guard staticPath.hasPrefix("root") else { continue }
            let parts = staticPath.lowercased().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            let outcome = placementOutcome(parts[...], create: rule.create, dynamic: dynamic, level: [root], parent: nil)
            let rulePath = path.index(index)
            switch outcome {
            case .ok:
                // The validator reads only the `parent:` flag; a queue with children is a parent
                // at runtime all the same, and applications cannot be placed in it.
                if !dynamic, let target = queue(at: parts, under: root), !target.children.isEmpty {
                    warning(.rulePath, at: rulePath,
                            "placement rule #\(index) (\(chainText)) places applications in \(staticPath), which has child queues: YuniKorn treats it as a parent queue and cannot place applications there; point the rule at a leaf")
                }
            case .notLeaf:
                let message = dynamic
                    ? "placement rule #\(index) (\(chainText)) places applications below \(staticPath), which is not marked `parent: true`; mark it as a parent"
                    : "placement rule #\(index) (\(chainText)) places applications in \(staticPath), which is a parent queue; applications run only in leaf queues"
                error(.rulePath, at: rulePath, message,
                      yunikorn: "placement rule no. #\(index) (\(chainText)) references a queue (\(staticPath)) which is not a leaf")
            case .missing:
                error(.rulePath, at: rulePath,
                      "placement rule #\(index) (\(chainText)) places applications in \(staticPath), which does not exist, and create is false; add the queue or set `create: true`",
                      yunikorn: "placement rule no. #\(index) (\(chainText)) references non-existing queues (\(staticPath)) and create is 'false'")
            case .belowLeaf(let last):
                error(.rulePath, at: rulePath,
                      "placement rule #\(index) (\(chainText)) places applications in \(staticPath), below queue \"\(last)\", which is a leaf; mark \"\(last)\" `parent: true` or change the rule",
                      yunikorn: "placement rule no. #\(index) (\(chainText)) references non-existing queues (\(staticPath)) which cannot be created because the last queue (\(last)) in the hierarchy is a leaf")
            }
        }
    }

    enum PlacementOutcome { case ok, notLeaf, missing, belowLeaf(String) }

    /// The configured queue a lower-cased path names, matching names as written (as YuniKorn does).
    func queue(at parts: [String], under root: QueueNode) -> QueueNode? {
        guard parts.first == root.name else { return nil }
        var current = root
        for part in parts.dropFirst() {
            guard let next = current.children.first(where: { $0.name == part }) else { return nil }
            current = next
        }
        return current
    }

    func placementOutcome(_ path: ArraySlice<String>, create: Bool, dynamic: Bool, level: [QueueNode],
                          parent: QueueNode?) -> PlacementOutcome {
        guard let name = path.first else { return .ok }
        if level.isEmpty {
            guard let parent else { return .ok }
            if !parent.parentFlag { return .belowLeaf(parent.name) }
            return create ? .ok : .missing
        }
        guard let queue = level.first(where: { $0.name == name }) else { return create ? .ok : .missing }
        if path.count == 1 {
            if dynamic { return queue.parentFlag ? .ok : .notLeaf }
            return queue.parentFlag ? .notLeaf : .ok
        }
        return placementOutcome(path.dropFirst(), create: create, dynamic: dynamic, level: queue.children, parent: queue)
    }

    mutating func checkPlacementRule(_ rule: PlacementRule, at path: FieldPath) {
        if !Names.isRuleName(rule.name) {
            error(.ruleName, at: path.key("name"),
                  "placement rule name \"\(rule.name)\" is not valid; the rules are provided, user, fixed and tag",
                  yunikorn: "invalid rule name \(rule.name), a name must be a valid identifier")
        } else {
            let lowered = rule.name.lowercased()
            if lowered == "recovery" {
                warning(.unknownRule, at: path.key("name"),
                        "the recovery rule is added by YuniKorn itself and refused in a configuration; remove it (on first load every application would be rejected)")
            } else if !["provided", "user", "fixed", "tag"].contains(lowered) {
                warning(.unknownRule, at: path.key("name"),
                        "placement rule \"\(rule.name)\" does not exist (use provided, user, fixed or tag): the validator accepts it, but the scheduler then has no rules and rejects every application")
            } else if lowered == "tag" && rule.value.isEmpty {
                warning(.ruleValue, at: path,
                        "a tag rule needs a value (the tag to read, e.g. namespace): the scheduler refuses this rule")
            } else if lowered == "fixed" && rule.value.isEmpty {
                warning(.ruleValue, at: path, "a fixed rule needs a value (the queue name): the scheduler refuses this rule")
            } else if lowered == "fixed" && rule.value.hasPrefix("root") && rule.parent != nil {
                warning(.ruleValue, at: path.key("value"),
                        "a fixed rule with a fully qualified queue (\(rule.value)) cannot have a parent rule: the scheduler refuses it")
            }
        }
        if let parent = rule.parent { checkPlacementRule(parent, at: path.key("parent")) }
        checkPlacementFilter(rule.filter, at: path.key("filter"))
    }

    mutating func checkPlacementFilter(_ filter: PlacementFilter, at path: FieldPath) {
        let type = filter.type
        if !type.isEmpty && type.lowercased() != "allow" && type.lowercased() != "deny" {
            error(.ruleFilter, at: path.key("type"), "filter type \"\(type)\" must be allow or deny (or left out)",
                  yunikorn: "invalid rule filter type \(type), filter type  must be either '', allow or deny")
        } else if !type.isEmpty && type != "deny" && type.lowercased() == "deny" {
            warning(.filterType, at: path.key("type"),
                    "filter type \"\(type)\" is read by the scheduler as allow (only lower-case \"deny\" denies); write \"deny\"")
        }
        for (list, isUser) in [(filter.users, true), (filter.groups, false)] {
            let word = isUser ? "user" : "group"
            let listPath = path.key(isUser ? "users" : "groups")
            if list.count == 1 {
                let entry = list[0]
                let isName = isUser ? Names.isUser(entry) : Names.isGroup(entry)
                if !isName && !(Names.isGoRegexp(entry) && Names.hasRegexpSpecial(entry)) {
                    error(.ruleFilter, at: listPath.index(0),
                          "filter \(word) \"\(entry)\" is neither a valid \(word) name nor a regular expression (a regexp must compile and contain one of ^ $ * + ? ( ) [ { } |)",
                          yunikorn: "invalid rule filter \(word) list is not a proper list or regexp: [\(list.joined(separator: " "))]")
                }
            } else if list.count > 1 {
                for (index, entry) in list.enumerated() where !(isUser ? Names.isUser(entry) : Names.isGroup(entry)) {
                    warning(.filterListEntry, at: listPath.index(index),
                            "filter \(word) \"\(entry)\" is not a valid \(word) name; in a list of several the scheduler silently drops it")
                }
            }
        }
    }

    // MARK: 7. Node sort policy

    mutating func checkNodeSortPolicy(_ policy: NodeSortPolicy, at path: FieldPath) {
        if !["", "fair", "binpacking"].contains(policy.type) {
            error(.nodeSortPolicy, at: path.key("type"), "node sort policy \"\(policy.type)\" is unknown; use fair or binpacking (lower case)",
                  yunikorn: "undefined policy: \(policy.type)")
        }
        for (name, weight) in policy.resourceWeights where weight < 0 {
            error(.nodeSortPolicy, at: path.key("resourceweights").key(name),
                  "resource weight of \(name) is negative (\(weight)); weights must be 0 or more",
                  yunikorn: "negative resource weight for \(name) is not allowed")
        }
    }

    // MARK: 8. Queue maxapplications

    mutating func checkQueueMaxApplications(_ queue: QueueNode) {
        let limit = queue.config.maxApplications
        for child in queue.children {
            if limit != 0 && limit < child.config.maxApplications {
                error(.maxApplications, at: child.path.key("maxapplications"),
                      "queue \(child.queuePath) allows \(child.config.maxApplications) applications, more than its parent's maxapplications \(limit)",
                      yunikorn: "parent maxApplications must be larger than child maxApplications")
            }
            if limit != 0 && child.config.maxApplications == 0 {
                error(.maxApplications, at: child.path.key("name"),
                      "queue \(child.queuePath) sets no maxapplications, but its parent \(queue.queuePath) sets \(limit): then every child must set one (at most \(limit))",
                      yunikorn: "maxApplications is either undefined or zero, which is not allowed when parent queue's maxApplications is defined")
            }
            checkQueueMaxApplications(child)
        }
    }

    // MARK: 9, 10. User and group limits down the hierarchy

    struct InheritedResource {
        var vector: ResourceVector
        unowned var owner: QueueNode
        var setOn: String { owner.queuePath }
    }

    mutating func checkLimitResource(_ queue: QueueNode, users: [String: InheritedResource],
                                     groups: [String: InheritedResource]) {
        var currentUsers = users
        var currentGroups = groups
        for (index, limit) in queue.limits.enumerated() {
            var limitPath: FieldPath { queue.limitsPath.index(index) }
            let resources = parseMap(limit.maxResources, at: limitPath.key("maxresources"), yunikornPrefix: "").vector
            for (names, inherited, isUser) in [(limit.users, users, true), (limit.groups, groups, false)] {
                let word = isUser ? "user" : "group"
                for name in names {
                    var stored = InheritedResource(vector: resources, owner: queue)
                    if let existing = inherited[name] {
                        if !existing.vector.fits(resources) {
                            error(.limitHierarchy, at: limitPath.key("maxresources"),
                                  "\(word) \(name) may use \(describe(resources)) on \(queue.queuePath), more than the \(describe(existing.vector)) its limit on \(existing.setOn) allows; a limit below must not exceed the one above",
                                  yunikorn: "\(word) \(name) max resource \(resources.goDescription) of queue \(queue.name) is greater than immediate or ancestor parent maximum resource \(existing.vector.goDescription)")
                        }
                        stored.vector = resources.componentWiseMin(existing.vector)
                    } else if name != "*", let wildcard = inherited["*"] {
                        if !wildcard.vector.fits(resources) {
                            error(.limitHierarchy, at: limitPath.key("maxresources"),
                                  "\(word) \(name) may use \(describe(resources)) on \(queue.queuePath), more than the \(describe(wildcard.vector)) the wildcard \(word) limit on \(wildcard.setOn) allows",
                                  yunikorn: "\(word) \(name) max resource \(resources.goDescription) of queue \(queue.name) is greater than wildcard maximum resource \(wildcard.vector.goDescription) of immediate or ancestor parent queue")
                        }
                    }
                    if isUser { currentUsers[name] = stored } else { currentGroups[name] = stored }
                }
            }
        }
        for child in queue.children { checkLimitResource(child, users: currentUsers, groups: currentGroups) }
    }

    mutating func checkLimitMaxApplications(_ queue: QueueNode, users: [String: (UInt64, QueueNode)],
                                            groups: [String: (UInt64, QueueNode)]) {
        var currentUsers = users
        var currentGroups = groups
        for (index, limit) in queue.limits.enumerated() {
            var limitPath: FieldPath { queue.limitsPath.index(index) }
            let apps = limit.maxApplications
            for (names, inherited, isUser) in [(limit.users, users, true), (limit.groups, groups, false)] {
                let word = isUser ? "user" : "group"
                for name in names {
                    if let (parentApps, setOn) = inherited[name] {
                        if parentApps != 0 && (parentApps < apps || apps == 0) {
                            error(.limitHierarchy, at: limitPath.key("maxapplications"),
                                  "\(word) \(name) may run \(apps == 0 ? "unlimited" : String(apps)) applications on \(queue.queuePath), more than the \(parentApps) its limit on \(setOn.queuePath) allows\(apps == 0 ? " (a limit without maxapplications counts as unlimited: set one)" : "")",
                                  yunikorn: "\(word) \(name) max applications \(apps) of queue \(queue.name) is greater than immediate or ancestor parent max applications \(parentApps)")
                        }
                    } else if name != "*", let (wildcardApps, setOn) = inherited["*"] {
                        if wildcardApps != 0 && (wildcardApps < apps || apps == 0) {
                            error(.limitHierarchy, at: limitPath.key("maxapplications"),
                                  "\(word) \(name) may run \(apps == 0 ? "unlimited" : String(apps)) applications on \(queue.queuePath), more than the \(wildcardApps) the wildcard \(word) limit on \(setOn.queuePath) allows",
                                  yunikorn: "\(word) \(name) max applications \(apps) of queue \(queue.name) is greater than wildcard max applications \(wildcardApps) of immediate or ancestor parent queue")
                        }
                    }
                    if isUser { currentUsers[name] = (apps, queue) } else { currentGroups[name] = (apps, queue) }
                }
            }
        }
        for child in queue.children { checkLimitMaxApplications(child, users: currentUsers, groups: currentGroups) }
    }

    // MARK: Beyond the validator

    mutating func checkChildTemplates(_ queue: QueueNode) {
        let template = queue.config.childTemplate
        var templatePath: FieldPath { queue.path.key("childtemplate").key("resources") }
        for (key, map) in [("guaranteed", template.resources.guaranteed), ("max", template.resources.max)] {
            for (name, quantity) in map ?? [] {
                if case .failure(let failure) = Quantity.parse(quantity, resource: name) {
                    warning(.childTemplateQuantity, at: templatePath.key(key).key(name),
                            "child template \(key) \(name): \(failure.yunikornText) \"\(quantity)\"; the validator does not check templates but the scheduler refuses the configuration (\(QuantityAdvice.hint(quantity, resource: name)))")
                }
            }
        }
        for child in queue.children { checkChildTemplates(child) }
    }

    mutating func checkProperties(_ queue: QueueNode) {
        for (key, value) in queue.config.properties {
            if let problem = Properties.problem(key: key, value: value) {
                warning(.propertyValue, at: queue.path.key("properties").key(key),
                        "property \(key): \(problem); YuniKorn ignores the value and keeps the default")
            }
        }
        for child in queue.children { checkProperties(child) }
    }

    // MARK: Quantities

    /// Parses a resource map and reports each bad quantity once. Returns the valid entries, so
    /// later rules can still compare what can be compared, and whether every entry parsed.
    mutating func parseMap(_ map: QuantityMap, at path: @autoclosure () -> FieldPath,
                           yunikornPrefix: @autoclosure () -> String) -> (vector: ResourceVector, complete: Bool) {
        var vector = ResourceVector()
        var failed = false
        for (name, quantity) in map {
            switch Quantity.parse(quantity, resource: name) {
            case .success(let value): vector.amounts[name] = value
            case .failure(let failure):
                failed = true
                let valuePath = path().key(name)
                guard reportedQuantities.insert(valuePath).inserted else { continue }
                error(.invalidQuantity, at: valuePath,
                      "\(name): \(failure.yunikornText) \"\(quantity)\" (\(QuantityAdvice.hint(quantity, resource: name)))",
                      yunikorn: yunikornPrefix() + failure.yunikornText)
            }
        }
        return (vector, !failed)
    }

    func text(_ map: QuantityMap, _ name: String) -> String {
        map.first(where: { $0.name == name })?.quantity ?? "?"
    }

    func describe(_ vector: ResourceVector) -> String {
        let parts = vector.amounts.keys.sorted().map { "\($0) \(Quantity.describe(vector.amounts[$0]!, resource: $0))" }
        return parts.isEmpty ? "nothing" : parts.joined(separator: ", ")
    }
}

extension FieldPath {
    /// The last sequence index in the path, or 0.
    var lastIndex: Int {
        for component in components.reversed() { if case .index(let value) = component { return value } }
        return 0
    }
}
