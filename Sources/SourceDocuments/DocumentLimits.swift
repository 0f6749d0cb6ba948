internal import CYaml

/// Bounds on a YAML or JSON document that comes from outside: its size, how deep it nests, how many
/// alias references it makes and how much those aliases expand to. Every reader of outside YAML checks
/// a document with `DocumentLimits.check` before it composes it, so a small document cannot become a
/// large tree (the "billion laughs": nine lines of anchors and aliases expand to 10⁸ scalars).
///
/// Aliases are accepted, as Kubernetes and YuniKorn accept them, but counted before anything is
/// expanded: the check walks libyaml's events and remembers, for each anchor, how many nodes and bytes
/// it stands for, so an alias costs its expansion without being expanded. yaml.v2/v3 (under
/// sigs.k8s.io/yaml and yunikorn-core) bound the same thing by the ratio of alias decodes to all
/// decodes ("document contains excessive aliasing"); a count known before decoding is simpler to state.
public struct DocumentLimits: Sendable, Equatable {
    /// The largest document, in bytes.
    public var maxBytes: Int
    /// The deepest nesting of mappings and sequences (the root collection is level 1).
    public var maxDepth: Int
    /// The most alias references (`*name`) in one document.
    public var maxAliases: Int
    /// The most nodes that alias references may add in all (each alias adds the nodes of its anchor).
    public var maxAliasNodes: Int
    /// The expanded document (every alias written out) may be at most this many times the size of the
    /// text, counting a scalar's bytes plus one byte a node.
    public var maxExpansionRatio: Int

    /// Limits with the given bounds.
    public init(maxBytes: Int, maxDepth: Int, maxAliases: Int, maxAliasNodes: Int, maxExpansionRatio: Int) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxAliases = maxAliases
        self.maxAliasNodes = maxAliasNodes
        self.maxExpansionRatio = maxExpansionRatio
    }

    /// YuniKorn queue configurations (`bursar validate`, `POST /ws/v1/validate-conf`, ConfigMaps).
    /// 32 MiB is 32 times what a ConfigMap can hold and several times the largest generated
    /// configuration the benchmarks use (100 000 queues); nesting 100 allows about 48 levels of
    /// queues (each level is a mapping in a sequence). yaml.v3 itself allows 10 000 levels and more
    /// aliasing: past these bounds Bursar refuses configurations YuniKorn would read.
    public static let queueConfig = DocumentLimits(maxBytes: 32 << 20, maxDepth: 100, maxAliases: 10_000,
                                                   maxAliasNodes: 1_000_000, maxExpansionRatio: 10)

    /// Submissions to the router (SparkApplications, YAML or JSON). Their size is bounded by the
    /// router's `--max-body` (413) before they are read; this is the bound behind it. A manifest has no
    /// reason for more than a few aliases; 10 000 added nodes is far beyond any real one.
    public static let submission = DocumentLimits(maxBytes: 16 << 20, maxDepth: 100, maxAliases: 1_000,
                                                  maxAliasNodes: 10_000, maxExpansionRatio: 10)

    /// Small configuration files read at start-up: the tokens file, `policy.yaml`, `clusters.yaml`.
    public static let configFile = DocumentLimits(maxBytes: 4 << 20, maxDepth: 100, maxAliases: 1_000,
                                                  maxAliasNodes: 100_000, maxExpansionRatio: 10)

    /// The largest expanded size allowed for a text of `bytes` bytes. Small documents get 64 KiB
    /// of room, so an anchor reused a few times in a short file is never refused.
    public func maxExpandedSize(forBytes bytes: Int) -> Int {
        let base = max(bytes, 64 << 10)
        let (product, overflow) = base.multipliedReportingOverflow(by: maxExpansionRatio)
        return overflow ? .max : product
    }

    /// Checks the first document of `text` against these limits without building it. Syntax errors
    /// are not reported here (the reader that composes the text words them); only limits are.
    public func check(_ text: String) throws(DocumentLimitError) {
        var copy = text
        let result: DocumentLimitError? = copy.withUTF8 { bytes in check(bytes) }
        if let result { throw result }
    }

    /// Checks a document given as bytes (UTF-8 YAML, or JSON, which is YAML).
    public func check(bytes: [UInt8]) throws(DocumentLimitError) {
        let result: DocumentLimitError? = bytes.withUnsafeBufferPointer { check($0) }
        if let result { throw result }
    }

    private func check(_ bytes: UnsafeBufferPointer<UInt8>) -> DocumentLimitError? {
        if bytes.count > maxBytes {
            return DocumentLimitError(
                limit: .size, line: nil, column: nil,
                message: "the document is \(bytes.count) bytes, over the limit of \(maxBytes) bytes; split it or send a smaller one")
        }
        var walker = EventWalker(limits: self, maxExpandedSize: maxExpandedSize(forBytes: bytes.count))
        return walker.walk(bytes)
    }

    /// Checks nesting depth on its own, for readers that build trees themselves (the fast block reader).
    func depthError(_ depth: Int, line: Int, column: Int) -> DocumentLimitError? {
        guard depth > maxDepth else { return nil }
        return DocumentLimitError.tooDeep(maxDepth, line: line, column: column)
    }
}

/// A document over one of its `DocumentLimits`: which limit, where, and what to do.
public struct DocumentLimitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which limit was passed (stable names for scripts and tests; the wording may change).
    public enum Limit: String, Sendable, Codable {
        case size = "document-size"
        case depth = "nesting-depth"
        case aliases = "alias-count"
        case expansion = "alias-expansion"
    }

    public var limit: Limit
    /// 1-based line and column of the node where the limit was passed; nil for the size.
    public var line: Int?
    public var column: Int?
    /// What is wrong and what to do, without the position.
    public var message: String

    /// An error at a place.
    public init(limit: Limit, line: Int?, column: Int?, message: String) {
        self.limit = limit
        self.line = line
        self.column = column
        self.message = message
    }

    static func tooDeep(_ maximum: Int, line: Int, column: Int) -> DocumentLimitError {
        DocumentLimitError(limit: .depth, line: line, column: column,
                           message: "nesting is deeper than the limit of \(maximum) levels; flatten the document")
    }

    /// `12:5: message`, or the message alone when there is no position.
    public var description: String { description(file: nil) }

    /// `file:12:5: message` (the file left out when nil).
    public func description(file: String?) -> String {
        var place: [String] = []
        if let file { place.append(file) }
        if let line {
            place.append(String(line))
            if let column { place.append(String(column)) }
        }
        return place.isEmpty ? message : place.joined(separator: ":") + ": " + message
    }
}

/// Walks libyaml's events for the first document, keeping the depth, the alias count, and for each
/// anchor the nodes and bytes it expands to; stops at the first limit passed.
private struct EventWalker {
    let limits: DocumentLimits
    let maxExpandedSize: Int

    private struct Cost {
        var nodes: Int
        var size: Int
    }

    /// Open collections: the anchor each was given and what it holds so far.
    private var frames: [(anchor: String?, cost: Cost)] = []
    private var anchors: [String: Cost] = [:]
    private var aliases = 0
    private var aliasNodes = 0
    private var expandedSize = 0

    init(limits: DocumentLimits, maxExpandedSize: Int) {
        self.limits = limits
        self.maxExpandedSize = maxExpandedSize
    }

    mutating func walk(_ bytes: UnsafeBufferPointer<UInt8>) -> DocumentLimitError? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        // libyaml reads from the pointer without copying; an empty document passes every limit.
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        yaml_parser_set_input_string(&parser, base, bytes.count)
        var event = yaml_event_t()
        while true {
            // A syntax error is the composing reader's to word; it is not a limit.
            guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
            defer { yaml_event_delete(&event) }
            let line = Int(event.start_mark.line) + 1, column = Int(event.start_mark.column) + 1
            switch event.type {
            case YAML_SCALAR_EVENT:
                let cost = Cost(nodes: 1, size: Int(event.data.scalar.length) + 1)
                if let error = add(cost, line: line, column: column) { return error }
                if let anchor = Self.text(event.data.scalar.anchor) { anchors[anchor] = cost }
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                let anchor = Self.text(event.type == YAML_SEQUENCE_START_EVENT
                                       ? event.data.sequence_start.anchor : event.data.mapping_start.anchor)
                if frames.count + 1 > limits.maxDepth {
                    return DocumentLimitError.tooDeep(limits.maxDepth, line: line, column: column)
                }
                // The collection counts into its parent when it ends, with everything it holds.
                if let error = add(Cost(nodes: 1, size: 1), line: line, column: column, intoParent: false) { return error }
                frames.append((anchor, Cost(nodes: 1, size: 1)))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = frames.popLast() else { return nil }
                if let anchor = frame.anchor { anchors[anchor] = frame.cost }
                if !frames.isEmpty {
                    frames[frames.count - 1].cost.nodes += frame.cost.nodes
                    frames[frames.count - 1].cost.size += frame.cost.size
                }
            case YAML_ALIAS_EVENT:
                aliases += 1
                if aliases > limits.maxAliases {
                    return DocumentLimitError(
                        limit: .aliases, line: line, column: column,
                        message: "alias references: more than the limit of \(limits.maxAliases) (*name) in one document; write the values out instead of aliasing them")
                }
                // An undefined alias is a syntax error the composer words; count it as one node.
                let cost = Self.text(event.data.alias.anchor).flatMap { anchors[$0] } ?? Cost(nodes: 1, size: 1)
                aliasNodes += cost.nodes
                if aliasNodes > limits.maxAliasNodes {
                    return DocumentLimitError(
                        limit: .expansion, line: line, column: column,
                        message: "alias expansion: the aliases up to here stand for \(aliasNodes) nodes, over the limit of \(limits.maxAliasNodes); write the values out or alias less")
                }
                if let error = add(cost, line: line, column: column) { return error }
            case YAML_DOCUMENT_END_EVENT, YAML_STREAM_END_EVENT:
                // Only the first document is read by any caller.
                return nil
            default:
                continue
            }
        }
    }

    /// Counts a node (or an alias's expansion) into the open collection and the document's size.
    private mutating func add(_ cost: Cost, line: Int, column: Int, intoParent: Bool = true) -> DocumentLimitError? {
        if intoParent && !frames.isEmpty {
            frames[frames.count - 1].cost.nodes += cost.nodes
            frames[frames.count - 1].cost.size += cost.size
        }
        expandedSize += cost.size
        guard expandedSize > maxExpandedSize else { return nil }
        return DocumentLimitError(
            limit: .expansion, line: line, column: column,
            message: "alias expansion: the document expands past the limit of \(maxExpandedSize) bytes (\(limits.maxExpansionRatio) times its size, a small document counted as 64 KiB); write the values out or alias less")
    }

    private static func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }
}
