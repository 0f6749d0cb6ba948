internal import Yams

/// A YAML document as a flat node array with positions: what QueueConfig's strict decoder and `YAMLSource` walk.
/// It is built either by
/// `BlockYAMLReader` (fast, for the block-style YAML people and generators write) or, for
/// anything else, from libyaml's composition through Yams; both give the same tree.
public struct YAMLTree: Sendable {
    public enum Kind: UInt8, Sendable { case scalar, mapping, sequence }
    public enum Style: UInt8, Sendable { case plain, singleQuoted, doubleQuoted, literal, folded, flow, block }

    public struct Node {
        public var kind: Kind
        public var style: Style
        public var line: Int32
        public var column: Int32
        public var parent: Int32 = -1
        public var firstChild: Int32 = -1
        public var nextSibling: Int32 = -1
        public var childCount: Int32 = 0
        /// Scalar text (empty for collections).
        public var value: String
        /// An explicit tag (`!!str`, `!custom`), rare; nil when implicit.
        public var tag: String?
    }

    // Struct of arrays: the decoder reads one field at a time, and this keeps those reads free
    // of copies and reference counting.
    private(set) var kinds: [Kind] = []
    private(set) var styles: [Style] = []
    private(set) var lines: [Int32] = []
    private(set) var columns: [Int32] = []
    private(set) var parents: [Int32] = []
    private(set) var firstChildren: [Int32] = []
    private(set) var nextSiblings: [Int32] = []
    private(set) var childCounts: [Int32] = []
    private(set) var values: [String] = []
    /// Explicit tags are rare: kept aside rather than as one optional per node.
    private(set) var explicitTags: [Int32: String] = [:]
    /// The last child of each collection, for appending while building.
    private var lastChild: [Int32] = []
    public internal(set) var root: Int32 = -1

    init(capacity: Int = 0) {
        reserve(capacity)
    }

    private mutating func reserve(_ capacity: Int) {
        guard capacity > 0 else { return }
        kinds.reserveCapacity(capacity); styles.reserveCapacity(capacity); lines.reserveCapacity(capacity)
        columns.reserveCapacity(capacity); parents.reserveCapacity(capacity); firstChildren.reserveCapacity(capacity)
        nextSiblings.reserveCapacity(capacity); childCounts.reserveCapacity(capacity); values.reserveCapacity(capacity)
        lastChild.reserveCapacity(capacity)
    }

    public var count: Int { kinds.count }

    mutating func add(_ kind: Kind, style: Style, line: Int, column: Int, value: String = "", tag: String? = nil,
             parent: Int32) -> Int32 {
        let index = Int32(kinds.count)
        kinds.append(kind); styles.append(style); lines.append(Int32(line)); columns.append(Int32(column))
        parents.append(parent); firstChildren.append(-1); nextSiblings.append(-1); childCounts.append(0)
        values.append(value)
        lastChild.append(-1)
        if let tag { explicitTags[index] = tag }
        if parent >= 0 {
            let p = Int(parent)
            if lastChild[p] >= 0 { nextSiblings[Int(lastChild[p])] = index } else { firstChildren[p] = index }
            lastChild[p] = index
            childCounts[p] += 1
        } else {
            root = index
        }
        return index
    }

    @inline(__always) public func kind(_ i: Int32) -> Kind { kinds[Int(i)] }
    @inline(__always) public func style(_ i: Int32) -> Style { styles[Int(i)] }
    @inline(__always) public func value(_ i: Int32) -> String { values[Int(i)] }
    @inline(__always) public func tag(_ i: Int32) -> String? { explicitTags.isEmpty ? nil : explicitTags[i] }

    @inline(__always) public func firstChild(_ i: Int32) -> Int32 { firstChildren[Int(i)] }
    @inline(__always) public func nextSibling(_ i: Int32) -> Int32 { nextSiblings[Int(i)] }
    @inline(__always) public func childCount(_ i: Int32) -> Int32 { childCounts[Int(i)] }
    @inline(__always) public func line(_ i: Int32) -> Int32 { lines[Int(i)] }
    @inline(__always) public func column(_ i: Int32) -> Int32 { columns[Int(i)] }
    @inline(__always) public func parent(_ i: Int32) -> Int32 { parents[Int(i)] }

    /// True for a plain, untagged scalar YAML reads as null (`~`, `null`, empty…).
    @inline(__always) public func isNull(_ i: Int32) -> Bool {
        let index = Int(i)
        guard kinds[index] == .scalar, styles[index] == .plain else { return false }
        let text = values[index]
        if text.isEmpty { return tag(i) == nil }
        guard text.utf8.count <= 4, tag(i) == nil else { return false }
        return text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    /// One node as a value (for tests and descriptions; the decoder reads fields directly).
    public subscript(_ i: Int32) -> Node {
        let index = Int(i)
        return Node(kind: kinds[index], style: styles[index], line: lines[index], column: columns[index],
                    parent: parents[index], firstChild: firstChildren[index], nextSibling: nextSiblings[index],
                    childCount: childCounts[index], value: values[index], tag: tag(i))
    }

    /// The children of a node in order (for a mapping: key, value, key, value…).
    public func children(_ index: Int32) -> [Int32] {
        var result: [Int32] = []
        result.reserveCapacity(Int(childCount(index)))
        var child = firstChild(index)
        while child >= 0 {
            result.append(child)
            child = nextSibling(child)
        }
        return result
    }

    /// Builds the tree from Yams' composition (the general path, and the reference in tests).
    static func fromYams(_ root: Yams.Node?) -> YAMLTree {
        var tree = YAMLTree()
        if let root { tree.append(root, parent: -1) }
        return tree
    }

    private mutating func append(_ node: Yams.Node, parent: Int32, isKey: Bool = false) {
        let mark = (line: node.mark?.line ?? 0, column: node.mark?.column ?? 0)
        switch node {
        case .scalar(let scalar):
            let style: Style = switch scalar.style {
            case .singleQuoted: .singleQuoted
            case .doubleQuoted: .doubleQuoted
            case .literal: .literal
            case .folded: .folded
            default: .plain
            }
            // Yams resolves tags in place when it hashes nodes (its duplicate-key check), so a tag
            // on a key, or `str` on a quoted scalar, may be its own doing; keys and quoted scalars
            // are read as strings anyway.
            let tag = scalar.tag.description
            let implicitString = isKey || (tag == "tag:yaml.org,2002:str" && style != .plain)
            _ = add(.scalar, style: style, line: mark.line, column: mark.column, value: scalar.string,
                    tag: tag.isEmpty || implicitString ? nil : tag, parent: parent)
        case .mapping(let mapping):
            let index = add(.mapping, style: mapping.style == .flow ? .flow : .block, line: mark.line, column: mark.column,
                            tag: explicitTag(mapping.tag.description, "tag:yaml.org,2002:map"), parent: parent)
            for (key, value) in mapping {
                append(key, parent: index, isKey: true)
                append(value, parent: index)
            }
        case .sequence(let sequence):
            let index = add(.sequence, style: sequence.style == .flow ? .flow : .block, line: mark.line, column: mark.column,
                            tag: explicitTag(sequence.tag.description, "tag:yaml.org,2002:seq"), parent: parent)
            for item in sequence { append(item, parent: index) }
        case .alias(let alias):
            // Yams resolves aliases while composing; an unresolved one reads as an empty scalar.
            _ = add(.scalar, style: .plain, line: mark.line, column: mark.column, value: "", tag: nil, parent: parent)
            _ = alias
        }
    }

    private func explicitTag(_ tag: String, _ implicit: String) -> String? {
        tag.isEmpty || tag == "!" || tag == implicit ? nil : tag
    }
}

extension YAMLTree {
    /// Reads the first document with libyaml (through Yams); throws libyaml's error.
    public static func libyaml(_ text: String) throws -> YAMLTree {
        fromYams(try Parser(yaml: text).nextRoot())
    }

    /// A structural description for comparing trees in tests: kinds, styles, values, tags, positions.
    public func dump(_ index: Int32? = nil, depth: Int = 0) -> String {
        guard let index = index ?? (root >= 0 ? root : nil) else { return "<empty>\n" }
        let node = self[index]
        // Collection styles are left out: Yams reports them unreliably and nothing reads them.
        let style = node.kind == .scalar ? " \(node.style)" : ""
        var out = String(repeating: " ", count: depth) + "\(node.kind)\(style) \(node.line):\(node.column)"
        if node.kind == .scalar { out += " \(node.value.debugDescription)" }
        if let tag = node.tag { out += " tag=\(tag)" }
        out += "\n"
        for child in children(index) { out += dump(child, depth: depth + 1) }
        return out
    }
}
