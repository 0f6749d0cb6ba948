public import SourceDocuments
internal import Yams

/// The result of reading a `queues.yaml` text the way yunikorn-core's strict YAML decoder does.
public struct DecodedConfig: Sendable {
    /// The configuration, or `nil` when the text is not YAML at all.
    public var config: SchedulerConfig?
    /// Where every key and value was in the text.
    public var sourceMap: SourceMap
    /// Syntax, unknown-key and type problems, in the order yaml.v3 meets them.
    public var problems: [Problem]
    /// yaml.v3's own error text for these problems (`yaml: unmarshal errors:\n  line …`), if any.
    public var yunikornError: String?
}

/// Reads queue configurations strictly: unknown or mis-cased keys are errors, scalars are typed
/// by yaml.v3's rules (YAML 1.2 resolution, plus YAML 1.1 `yes`/`no`/`on`/`off` for booleans),
/// and only the first YAML document counts, as in `configs.ParseAndValidateConfig`.
public enum StrictDecoder {
    /// Decodes `text`; never throws: every problem is reported in the result.
    /// `limits` bound the document before it is read (see `DocumentLimits`); a document over them is one
    /// `document-limit` problem.
    public static func decode(_ text: String, for version: YuniKornVersion = .latest,
                              limits: DocumentLimits = .queueConfig) -> DecodedConfig {
        let tree: YAMLTree
        if text.utf8.count > limits.maxBytes {
            do { try limits.check(text) } catch { return limitExceeded(error) }
        }
        // The fast reader has no aliases and gives up past the depth limit, so a document it reads is
        // within every limit; anything else is checked before libyaml composes (and expands) it.
        if let fast = BlockYAMLReader.read(text, maxDepth: limits.maxDepth) {
            tree = fast
        } else {
            do {
                try limits.check(text)
            } catch {
                return limitExceeded(error)
            }
            do {
                tree = try YAMLTree.libyaml(text)
            } catch let error as YamlError {
                let problem = syntaxProblem(error, text: text)
                return DecodedConfig(config: nil, sourceMap: SourceMap(), problems: [problem.problem],
                                     yunikornError: problem.yunikorn)
            } catch {
                let problem = Problem(severity: .error, kind: .yamlSyntax, path: .root, location: nil,
                                      message: "the file could not be read as YAML: \(error)", yunikornMessage: nil)
                return DecodedConfig(config: nil, sourceMap: SourceMap(), problems: [problem], yunikornError: nil)
            }
        }
        let sourceMap = SourceMap(tree: tree)
        guard tree.root >= 0 else {
            // An empty document is a valid configuration with no partitions.
            return DecodedConfig(config: SchedulerConfig(), sourceMap: sourceMap, problems: [], yunikornError: nil)
        }
        var decoder = NodeDecoder(tree: tree, version: version)
        let config = decoder.schedulerConfig(tree.root)
        let yunikorn = decoder.typeErrors.isEmpty ? nil
            : "yaml: unmarshal errors:\n  " + decoder.typeErrors.joined(separator: "\n  ")
        return DecodedConfig(config: config, sourceMap: sourceMap, problems: decoder.problems, yunikornError: yunikorn)
    }

    /// The one problem of a document over a limit; YuniKorn's reason carries Bursar's message.
    static func limitExceeded(_ error: DocumentLimitError) -> DecodedConfig {
        let location = error.line.map { SourceLocation(line: $0, column: error.column ?? 1) }
        let problem = Problem(severity: .error, kind: .documentLimit, path: .root, location: location,
                              message: error.message, yunikornMessage: nil)
        let reason = "yaml: " + (error.line.map { "line \($0): " } ?? "") + error.message
        return DecodedConfig(config: nil, sourceMap: SourceMap(), problems: [problem], yunikornError: reason)
    }

    private static func syntaxProblem(_ error: YamlError, text: String) -> (problem: Problem, yunikorn: String) {
        switch error {
        case let .duplicatedKeysInMapping(duplicates, context):
            // yaml.v3 names the later key's line and the earlier one's.
            let key = duplicates.first ?? ""
            let first = context.mark
            let second = laterKeyLine(key, after: first, in: text) ?? first.line
            let location = SourceLocation(line: second, column: first.column)
            return (Problem(severity: .error, kind: .duplicateKey, path: .root, location: location,
                            message: "key \"\(key)\" is given twice in one mapping (first at line \(first.line)); keep one",
                            yunikornMessage: nil),
                    "yaml: unmarshal errors:\n  line \(second): mapping key \"\(key)\" already defined at line \(first.line)")
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _):
            var isScanner = false
            if case .scanner = error { isScanner = true }
            // yaml.v3 reports the context line when it has one, else the problem line
            // (both 0-based in libyaml, plus one for scanner errors).
            var goLine = 0
            if let context, context.mark.line - 1 != 0 {
                goLine = context.mark.line - 1 + (isScanner ? 1 : 0)
            } else if mark.line - 1 != 0 {
                goLine = mark.line - 1 + (isScanner ? 1 : 0)
            }
            let where_ = goLine != 0 ? "line \(goLine): " : ""
            let hint = context.map { " (\($0.text))" } ?? ""
            return (Problem(severity: .error, kind: .yamlSyntax, path: .root,
                            location: SourceLocation(line: mark.line, column: mark.column),
                            message: "YAML syntax: \(problem)\(hint); check quoting and indentation (a bare * must be quoted: '*')",
                            yunikornMessage: nil),
                    "yaml: \(where_)\(problem)")
        case let .composer(_, problem, mark, _):
            return (Problem(severity: .error, kind: .yamlSyntax, path: .root,
                            location: SourceLocation(line: mark.line, column: mark.column),
                            message: "YAML: \(problem)", yunikornMessage: nil),
                    "yaml: line \(mark.line): \(problem)")
        default:
            return (Problem(severity: .error, kind: .yamlSyntax, path: .root, location: nil,
                            message: "YAML: \(error)", yunikornMessage: nil), "yaml: \(error)")
        }
    }

    private static func laterKeyLine(_ key: String, after mark: Mark, in text: String) -> Int? {
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            guard lineNumber > mark.line else { continue }
            let body = line.drop(while: { $0 == " " || $0 == "-" })
            let indent = line.count - body.count
            if indent == mark.column - 1,
               body.hasPrefix(key), body.dropFirst(key.count).drop(while: { $0 == " " }).hasPrefix(":") {
                return lineNumber
            }
        }
        return nil
    }
}

/// A scalar's type as yaml.v3 resolves it.
enum ResolvedScalar {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case float(Double)
    case string(String)
    case other

    var shortTag: String {
        switch self {
        case .null: return "!!null"
        case .bool: return "!!bool"
        case .int, .uint: return "!!int"
        case .float: return "!!float"
        case .string: return "!!str"
        case .other: return "!!timestamp"
        }
    }
}

private struct NodeDecoder {
    typealias Node = Int32
    let tree: YAMLTree
    var problems: [Problem] = []
    var typeErrors: [String] = []

    let version: YuniKornVersion

    init(tree: YAMLTree, version: YuniKornVersion) {
        self.tree = tree
        self.version = version
    }

    // MARK: Structure

    mutating func schedulerConfig(_ node: Node) -> SchedulerConfig {
        var config = SchedulerConfig()
        fields(node, type: "configs.SchedulerConfig") { decoder, key, value in
            switch key {
            case "partitions":
                config.partitions = decoder.list(value, type: "[]configs.PartitionConfig") {
                    $0.partition($1)
                } ?? []
            case "checksum": config.checksum = decoder.string(value)
            default: return false
            }
            return true
        }
        return config
    }

    mutating func partition(_ node: Node) -> PartitionConfig? {
        var partition = PartitionConfig(name: "", queues: nil)
        let ok = fields(node, type: "configs.PartitionConfig") { decoder, key, value in
            switch key {
            case "name": partition.name = decoder.string(value) ?? partition.name
            case "queues":
                partition.queues = decoder.list(value, type: "[]configs.QueueConfig") { $0.queue($1) }
            case "placementrules":
                partition.placementRules = decoder.list(value, type: "[]configs.PlacementRule") {
                    $0.rule($1)
                } ?? []
            case "limits":
                partition.limits = decoder.list(value, type: "[]configs.Limit") { $0.limit($1) } ?? []
            case "preemption":
                decoder.fields(value, type: "configs.PartitionPreemptionConfig") { decoder, key, value in
                    switch key {
                    case "enabled": partition.preemption.enabled = decoder.bool(value)
                    case "quotapreemptionenabled" where decoder.version.knowsUserGroupResolverAndQuotaPreemption:
                        partition.preemption.quotaPreemptionEnabled = decoder.bool(value)
                    default: return false
                    }
                    return true
                }
            case "nodesortpolicy":
                decoder.fields(value, type: "configs.NodeSortingPolicy") { decoder, key, value in
                    switch key {
                    case "type": partition.nodeSortPolicy.type = decoder.string(value) ?? ""
                    case "resourceweights":
                        partition.nodeSortPolicy.resourceWeights = decoder.map(value, type: "map[string]float64") {
                            $0.float($1)
                        }?.map { (name: $0.key, weight: $0.value) } ?? []
                    default: return false
                    }
                    return true
                }
            case "usergroupresolver" where decoder.version.knowsUserGroupResolverAndQuotaPreemption:
                decoder.fields(value, type: "configs.UserGroupResolver") { decoder, key, value in
                    guard key == "type" else { return false }
                    partition.userGroupResolver.type = decoder.string(value) ?? ""
                    return true
                }
            default: return false
            }
            return true
        }
        return ok ? partition : nil
    }

    mutating func queue(_ node: Node) -> QueueConfig? {
        var queue = QueueConfig(name: "")
        let ok = fields(node, type: "configs.QueueConfig") { decoder, key, value in
            switch key {
            case "name": queue.name = decoder.string(value) ?? queue.name
            case "parent": queue.parent = decoder.bool(value) ?? queue.parent
            case "resources": queue.resources = decoder.resources(value)
            case "maxapplications": queue.maxApplications = decoder.uint(value) ?? queue.maxApplications
            case "properties": queue.properties = decoder.stringMap(value) ?? []
            case "adminacl": queue.adminACL = decoder.string(value) ?? queue.adminACL
            case "submitacl": queue.submitACL = decoder.string(value) ?? queue.submitACL
            case "childtemplate":
                decoder.fields(value, type: "configs.ChildTemplate") { decoder, key, value in
                    switch key {
                    case "maxapplications":
                        queue.childTemplate.maxApplications = decoder.uint(value) ?? 0
                    case "properties": queue.childTemplate.properties = decoder.stringMap(value) ?? []
                    case "resources": queue.childTemplate.resources = decoder.resources(value)
                    default: return false
                    }
                    return true
                }
            case "queues":
                queue.queues = decoder.list(value, type: "[]configs.QueueConfig") { $0.queue($1) } ?? []
            case "limits":
                queue.limits = decoder.list(value, type: "[]configs.Limit") { $0.limit($1) } ?? []
            default: return false
            }
            return true
        }
        return ok ? queue : nil
    }

    mutating func resources(_ node: Node) -> QueueResources {
        var resources = QueueResources()
        fields(node, type: "configs.Resources") { decoder, key, value in
            switch key {
            case "guaranteed": resources.guaranteed = decoder.quantityMap(value)
            case "max": resources.max = decoder.quantityMap(value)
            default: return false
            }
            return true
        }
        return resources
    }

    mutating func rule(_ node: Node) -> PlacementRule? {
        var rule = PlacementRule(name: "")
        let ok = fields(node, type: "configs.PlacementRule") { decoder, key, value in
            switch key {
            case "name": rule.name = decoder.string(value) ?? rule.name
            case "create": rule.create = decoder.bool(value) ?? rule.create
            case "value": rule.value = decoder.string(value) ?? rule.value
            case "parent":
                if decoder.tree.isNull(value) { return true }
                rule.parent = decoder.rule(value)
            case "filter":
                decoder.fields(value, type: "configs.Filter") { decoder, key, value in
                    switch key {
                    case "type": rule.filter.type = decoder.string(value) ?? ""
                    case "users": rule.filter.users = decoder.stringList(value) ?? []
                    case "groups": rule.filter.groups = decoder.stringList(value) ?? []
                    default: return false
                    }
                    return true
                }
            default: return false
            }
            return true
        }
        return ok ? rule : nil
    }

    mutating func limit(_ node: Node) -> Limit? {
        var limit = Limit()
        let ok = fields(node, type: "configs.Limit") { decoder, key, value in
            switch key {
            case "limit": limit.limit = decoder.string(value) ?? limit.limit
            case "users": limit.users = decoder.stringList(value) ?? []
            case "groups": limit.groups = decoder.stringList(value) ?? []
            case "maxresources": limit.maxResources = decoder.quantityMap(value) ?? []
            case "maxapplications": limit.maxApplications = decoder.uint(value) ?? limit.maxApplications
            default: return false
            }
            return true
        }
        return ok ? limit : nil
    }

    // MARK: Generic shapes

    /// Walks a mapping into a Go struct: each known key goes to `field`, which returns false for
    /// unknown keys. Returns false for null, which leaves the struct as it is (yaml.v3 does too).
    @discardableResult
    mutating func fields(_ node: Node, type: String, _ field: (inout NodeDecoder, String, Node) -> Bool) -> Bool {
        guard tree.kind(node) == .mapping else {
            if tree.isNull(node) { return false }
            typeError(node, into: type)
            return false
        }
        for (keyNode, value) in pairs(node) {
            guard tree.kind(keyNode) == .scalar, !tree.isNull(keyNode) else { continue }
            let key = tree.value(keyNode)
            if !field(&self, key, value) {
                unknownField(key, keyNode: keyNode, type: type)
            }
        }
        return true
    }

    /// The key/value pairs of a mapping with `<<` merge keys applied (own keys win), as yaml.v3 does.
    func pairs(_ mapping: Node) -> [(Node, Node)] {
        var own: [(Node, Node)] = []
        var merged: [(Node, Node)] = []
        var child = tree.firstChild(mapping)
        while child >= 0 {
            let value = tree.nextSibling(child)
            guard value >= 0 else { break }
            if tree.kind(child) == .scalar && tree.style(child) == .plain && tree.tag(child) == nil && tree.value(child) == "<<" {
                switch tree.kind(value) {
                case .mapping: merged += pairs(value)
                case .sequence:
                    for item in tree.children(value) where tree.kind(item) == .mapping { merged += pairs(item) }
                case .scalar: break
                }
            } else {
                own.append((child, value))
            }
            child = tree.nextSibling(value)
        }
        guard !merged.isEmpty else { return own }
        let ownKeys = Set(own.map { tree.value($0.0) })
        return own + merged.filter { !ownKeys.contains(tree.value($0.0)) }
    }

    mutating func list<T>(_ node: Node, type: String, _ element: (inout NodeDecoder, Node) -> T?) -> [T]? {
        switch tree.kind(node) {
        case .sequence:
            var result: [T] = []
            result.reserveCapacity(Int(tree.childCount(node)))
            var child = tree.firstChild(node)
            while child >= 0 {
                if let value = element(&self, child) { result.append(value) }
                child = tree.nextSibling(child)
            }
            return result
        case .scalar where tree.isNull(node):
            return nil
        default:
            typeError(node, into: type)
            return nil
        }
    }

    mutating func map<T>(_ node: Node, type: String, _ element: (inout NodeDecoder, Node) -> T?) -> [(key: String, value: T)]? {
        switch tree.kind(node) {
        case .mapping:
            var result: [(key: String, value: T)] = []
            for (keyNode, value) in pairs(node) {
                guard tree.kind(keyNode) == .scalar else {
                    typeError(keyNode, into: "string")
                    continue
                }
                let key = tree.isNull(keyNode) ? "" : tree.value(keyNode)
                if let decoded = element(&self, value) { result.append((key, decoded)) }
            }
            return result
        case .scalar where tree.isNull(node):
            return nil
        default:
            typeError(node, into: type)
            return nil
        }
    }

    mutating func stringMap(_ node: Node) -> [(key: String, value: String)]? {
        map(node, type: "map[string]string") { decoder, value in
            // A null value still creates the entry, as the empty string.
            if decoder.tree.isNull(value) { return "" }
            return decoder.string(value)
        }
    }

    mutating func quantityMap(_ node: Node) -> QuantityMap? {
        stringMap(node)?.map { (name: $0.key, quantity: $0.value) }
    }

    mutating func stringList(_ node: Node) -> [String]? {
        list(node, type: "[]string") { decoder, value in decoder.string(value) }
    }

    // MARK: Scalars

    mutating func string(_ node: Node) -> String? {
        guard tree.kind(node) == .scalar else {
            typeError(node, into: "string")
            return nil
        }
        if tree.isNull(node) { return nil }
        return tree.value(node)
    }

    mutating func bool(_ node: Node) -> Bool? {
        switch resolve(node) {
        case .null: return nil
        case .bool(let value): return value
        case .string(let text):
            switch text {
            case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON": return true
            case "n", "N", "no", "No", "NO", "off", "Off", "OFF": return false
            default: break
            }
        default: break
        }
        typeError(node, into: "bool")
        return nil
    }

    mutating func uint(_ node: Node) -> UInt64? {
        switch resolve(node) {
        case .null: return nil
        case .int(let value) where value >= 0: return UInt64(value)
        case .uint(let value): return value
        case .float(let value) where value >= 0 && value < 18_446_744_073_709_551_616.0:
            return UInt64(value)
        default:
            typeError(node, into: "uint64")
            return nil
        }
    }

    mutating func float(_ node: Node) -> Double? {
        switch resolve(node) {
        case .int(let value): return Double(value)
        case .uint(let value): return Double(value)
        case .float(let value): return value
        case .null: return 0
        default:
            typeError(node, into: "float64")
            return nil
        }
    }

    // MARK: Resolution and reporting

    func resolve(_ index: Node) -> ResolvedScalar {
        guard tree.kind(index) == .scalar else { return .other }
        if let tag = tree.tag(index) {
            if tag == "tag:yaml.org,2002:str" || tag == "!" || !tag.hasPrefix("tag:yaml.org,2002:") {
                return .string(tree.value(index))
            }
        }
        if tree.style(index) != .plain { return .string(tree.value(index)) }
        return Self.resolvePlain(tree.value(index))
    }

    /// yaml.v3's `resolve` for an untagged plain scalar.
    static func resolvePlain(_ text: String) -> ResolvedScalar {
        switch text {
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case "", "~", "null", "Null", "NULL": return .null
        case ".nan", ".NaN", ".NAN": return .float(.nan)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .float(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .float(-.infinity)
        default: break
        }
        guard let first = text.utf8.first else { return .null }
        let isDigit = first >= 48 && first <= 57
        if first == UInt8(ascii: ".") {
            if let value = Double(text), !text.contains("_") { return .float(value) }
            return .string(text)
        }
        guard isDigit || first == UInt8(ascii: "+") || first == UInt8(ascii: "-") else { return .string(text) }
        if looksLikeTimestamp(text) { return .other }
        let plain = text.utf8.contains(95) ? String(text.filter { $0 != "_" }) : text
        if let value = goParseInt(plain) { return .int(value) }
        if let value = goParseUInt(plain) { return .uint(value) }
        if isYAMLFloat(plain), let value = Double(plain) { return .float(value) }
        return .string(text)
    }

    static func looksLikeTimestamp(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 8, bytes[4] == UInt8(ascii: "-") else { return false }
        return bytes[0..<4].allSatisfy { $0 >= 48 && $0 <= 57 }
            && text.range(of: #"^\d{4}-\d{1,2}-\d{1,2}([Tt ]\d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$"#,
                          options: .regularExpression) != nil
    }

    /// Go's `strconv.ParseInt(s, 0, 64)`: sign, then `0x`/`0o`/`0b`/leading-0 octal or decimal.
    static func goParseInt(_ text: String) -> Int64? {
        var body = Substring(text)
        var negative = false
        if body.hasPrefix("+") || body.hasPrefix("-") {
            negative = body.hasPrefix("-")
            body = body.dropFirst()
        }
        guard let magnitude = goParseMagnitude(body) else { return nil }
        if negative {
            if magnitude == UInt64(Int64.max) + 1 { return Int64.min }
            return magnitude <= UInt64(Int64.max) ? -Int64(magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    static func goParseUInt(_ text: String) -> UInt64? {
        goParseMagnitude(Substring(text))
    }

    private static func goParseMagnitude(_ body: Substring) -> UInt64? {
        var digits = body
        var radix = 10
        let lower = body.lowercased()
        if lower.hasPrefix("0x") { radix = 16; digits = body.dropFirst(2) }
        else if lower.hasPrefix("0o") { radix = 8; digits = body.dropFirst(2) }
        else if lower.hasPrefix("0b") { radix = 2; digits = body.dropFirst(2) }
        else if body.count > 1 && body.hasPrefix("0") { radix = 8; digits = body.dropFirst(1) }
        guard !digits.isEmpty else { return nil }
        return UInt64(digits, radix: radix)
    }

    /// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, by hand.
    static func isYAMLFloat(_ text: String) -> Bool {
        let b = Array(text.utf8)
        var i = 0
        func digits() -> Int {
            let start = i
            while i < b.count && b[i] >= 48 && b[i] <= 57 { i += 1 }
            return i - start
        }
        if i < b.count && (b[i] == 43 || b[i] == 45) { i += 1 }
        if i < b.count && b[i] == 46 {
            i += 1
            guard digits() > 0 else { return false }
        } else {
            guard digits() > 0 else { return false }
            if i < b.count && b[i] == 46 { i += 1; _ = digits() }
        }
        if i < b.count && (b[i] == 101 || b[i] == 69) {
            i += 1
            if i < b.count && (b[i] == 43 || b[i] == 45) { i += 1 }
            guard digits() > 0 else { return false }
        }
        return i == b.count
    }

    mutating func typeError(_ node: Node, into type: String) {
        let item = tree[node]
        let tag: String
        var shown = ""
        switch tree.kind(node) {
        case .mapping: tag = "!!map"
        case .sequence: tag = "!!seq"
        case .scalar:
            tag = resolve(node).shortTag
            let value = item.value
            shown = value.utf8.count > 10 ? " `\(String(decoding: Array(value.utf8.prefix(7)), as: UTF8.self))...`" : " `\(value)`"
        }
        typeErrors.append("line \(item.line): cannot unmarshal \(tag)\(shown) into \(type)")
        let found = item.kind == .scalar ? "\"\(item.value)\"" : (item.kind == .mapping ? "a mapping" : "a list")
        problems.append(Problem(severity: .error, kind: .wrongType, path: tree.path(of: node), location: tree.location(node),
                                message: "expected \(Self.humanType(type)), found \(found)", yunikornMessage: nil))
    }

    mutating func unknownField(_ key: String, keyNode: Node, type: String) {
        typeErrors.append("line \(tree.line(keyNode)): field \(key) not found in type \(type)")
        let known = Self.knownKeys[type] ?? []
        var advice = "remove it"
        if (key == "usergroupresolver" || key == "quotapreemptionenabled") && !version.knowsUserGroupResolverAndQuotaPreemption {
            advice = "YuniKorn \(version) does not know this key (added in 1.8.0); remove it or target 1.8"
        } else if let match = known.first(where: { $0 == key.lowercased() }) {
            advice = "keys are lower case: write \"\(match)\""
        } else if let close = known.min(by: { editDistance($0, key) < editDistance($1, key) }),
                  editDistance(close, key) <= 2 {
            advice = "did you mean \"\(close)\"?"
        } else if !known.isEmpty {
            advice = "known keys here: \(known.joined(separator: ", "))"
        }
        problems.append(Problem(severity: .error, kind: .unknownField, path: tree.path(of: keyNode),
                                location: tree.location(keyNode), message: "unknown key \"\(key)\" (\(advice))",
                                yunikornMessage: nil))
    }

    static let knownKeys: [String: [String]] = [
        "configs.SchedulerConfig": ["partitions", "checksum"],
        "configs.PartitionConfig": ["name", "queues", "placementrules", "limits", "preemption", "nodesortpolicy",
                                    "usergroupresolver"],
        "configs.QueueConfig": ["name", "parent", "resources", "maxapplications", "properties", "adminacl",
                                "submitacl", "childtemplate", "queues", "limits"],
        "configs.Resources": ["guaranteed", "max"],
        "configs.ChildTemplate": ["maxapplications", "properties", "resources"],
        "configs.PlacementRule": ["name", "create", "filter", "parent", "value"],
        "configs.Filter": ["type", "users", "groups"],
        "configs.Limit": ["limit", "users", "groups", "maxresources", "maxapplications"],
        "configs.PartitionPreemptionConfig": ["enabled", "quotapreemptionenabled"],
        "configs.NodeSortingPolicy": ["type", "resourceweights"],
        "configs.UserGroupResolver": ["type"],
    ]

    static func humanType(_ goType: String) -> String {
        switch goType {
        case "bool": return "true or false"
        case "uint64": return "a whole number ≥ 0"
        case "float64": return "a number"
        case "string": return "a single value"
        case "map[string]string", "map[string]float64": return "a mapping of name: value"
        default:
            if goType.hasPrefix("[]") { return "a list" }
            return "a mapping (\(goType.replacingOccurrences(of: "configs.", with: "")))"
        }
    }
}

extension ResolvedScalar: Equatable {
    static func == (lhs: ResolvedScalar, rhs: ResolvedScalar) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null), (.other, .other): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.uint(a), .uint(b)): return a == b
        case let (.float(a), .float(b)): return a == b || (a.isNaN && b.isNaN)
        case let (.string(a), .string(b)): return a == b
        default: return false
        }
    }
}

/// Levenshtein distance, for "did you mean" hints on short keys.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased()), b = Array(b.lowercased())
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
