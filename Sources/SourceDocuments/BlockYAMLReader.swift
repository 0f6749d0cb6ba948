/// A fast reader for the block-style YAML that people and generators write for YuniKorn: block
/// mappings and sequences, single-line plain and quoted scalars, single-line flow collections,
/// comments. It builds the same `YAMLTree` as libyaml would. Anything outside that subset, and
/// anything malformed, makes it give up (`nil`), and the caller falls back to libyaml, which then
/// also produces the exact error. A differential test holds the two readers to the same trees.
public struct BlockYAMLReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var pos = 0
    private var line = 1
    private var lineStart = 0
    private var tree: YAMLTree
    /// Open collections, and the most allowed: deeper documents are left to the general reader, whose
    /// limit check words the error (and recursion here stays shallow on hostile input).
    private var depth = 0
    private let maxDepth: Int

    private struct GiveUp: Error {}

    /// Reads the first document of `text`; nil when the text needs the general reader (including
    /// when it nests deeper than `maxDepth`).
    public static func read(_ text: String, maxDepth: Int = DocumentLimits.queueConfig.maxDepth) -> YAMLTree? {
        var copy = text
        return copy.withUTF8 { buffer in
            var reader = BlockYAMLReader(bytes: buffer, maxDepth: maxDepth)
            return try? reader.document()
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        // About one node per 16 bytes in typical queue files and one per 8 in workflow definitions (short job
        // entries): room for the denser, so a definition's tree is not copied as it grows.
        tree = YAMLTree(capacity: bytes.count / 8)
    }

    // MARK: Lines

    private var atEnd: Bool { pos >= bytes.count }
    private func byte(_ offset: Int) -> UInt8 { offset < bytes.count ? bytes[offset] : 0 }

    /// Moves to the next line holding content (skipping blank and comment lines); returns its
    /// indentation, or nil at the end of the document.
    private mutating func nextContentLine() throws -> Int? {
        if atEnd { return nil }
        // Already on a content line (a callee stopped there): report it again.
        if pos != lineStart { return pos - lineStart }
        while !atEnd {
            var scan = lineStart
            while scan < bytes.count && bytes[scan] == 32 { scan += 1 }
            let c = byte(scan)
            if scan >= bytes.count { pos = scan; return nil }
            if c == 9 || c == 13 { throw GiveUp() }
            if c == 10 || c == 35 {  // blank or comment line
                try skipToNextLine(from: scan)
                continue
            }
            let indent = scan - lineStart
            if indent == 0 && (isMarker(at: scan, 45) || isMarker(at: scan, 46)) { return nil }  // --- or ...
            if indent == 0 && c == 37 { throw GiveUp() }  // %directive
            pos = scan
            return indent
        }
        return nil
    }

    private func isMarker(at offset: Int, _ c: UInt8) -> Bool {
        byte(offset) == c && byte(offset + 1) == c && byte(offset + 2) == c
            && (offset + 3 >= bytes.count || byte(offset + 3) == 10 || byte(offset + 3) == 32)
    }

    private mutating func skipToNextLine(from offset: Int) throws {
        var scan = offset
        while scan < bytes.count && bytes[scan] != 10 {
            if bytes[scan] == 9 || bytes[scan] == 13 { throw GiveUp() }
            scan += 1
        }
        pos = min(scan + 1, bytes.count)
        lineStart = pos
        line += 1
    }

    /// After a value: only spaces and an optional comment may remain on the line.
    private mutating func finishLine() throws {
        while pos < bytes.count && bytes[pos] == 32 { pos += 1 }
        if atEnd { lineStart = pos; return }
        let c = bytes[pos]
        if c == 35 && (pos == 0 || bytes[pos - 1] == 32) { try skipToNextLine(from: pos); return }
        guard c == 10 else { throw GiveUp() }
        try skipToNextLine(from: pos)
    }

    private func column(of offset: Int) -> Int {
        var count = 1
        var scan = lineStart
        while scan < offset {
            if bytes[scan] & 0xC0 != 0x80 { count += 1 }
            scan += 1
        }
        return count
    }

    // MARK: Document and block collections

    private mutating func document() throws -> YAMLTree {
        // A leading `---` line is allowed; a byte-order mark is left to libyaml.
        if byte(0) == 0xEF { throw GiveUp() }
        var sawStart = false
        var indent: Int
        while true {
            if let found = try nextContentLine() {
                indent = found
                break
            }
            // `---` followed by no content is an empty-scalar document: rare, left to libyaml.
            if sawStart { throw GiveUp() }
            if atEnd { return tree }
            // At a document marker: the first `---` opens the document; a second one ends an
            // empty document (handled above); `...` before any content is left to libyaml.
            guard isMarker(at: pos, 45), !sawStart else { throw GiveUp() }
            sawStart = true
            pos += 3
            try finishLine()
        }
        try blockNode(indent: indent, parent: -1)
        // Nothing but comments, blank lines or a document marker may follow.
        if try nextContentLine() != nil { throw GiveUp() }
        return tree
    }

    /// A block node starting at `pos` on a fresh line with indentation `indent`.
    private mutating func blockNode(indent: Int, parent: Int32) throws {
        if isSequenceEntry(at: pos) {
            try blockSequence(indent: indent, parent: parent, indentless: false)
        } else if let _ = try keyEnd(at: pos) {
            try blockMapping(indent: indent, parent: parent)
        } else {
            try inlineValue(parent: parent, blockIndent: indent)
            try expectNoDeeperLine(than: indent - 1)
        }
    }

    private func isSequenceEntry(at offset: Int) -> Bool {
        byte(offset) == 45 && (offset + 1 >= bytes.count || byte(offset + 1) == 32 || byte(offset + 1) == 10)
    }

    private mutating func blockSequence(indent: Int, parent: Int32, indentless: Bool) throws {
        try enter()
        defer { depth -= 1 }
        let sequence = tree.add(.sequence, style: .block, line: line, column: column(of: pos), parent: parent)
        while true {
            // pos is at "-" of an entry on a line with indentation `indent`.
            pos += 1
            while pos < bytes.count && bytes[pos] == 32 { pos += 1 }
            let c = byte(pos)
            if atEnd || c == 10 || (c == 35 && bytes[pos - 1] == 32) {
                if c == 35 || c == 10 { try skipToNextLine(from: pos) } else { lineStart = pos }
                if let next = try nextContentLine(), next > indent {
                    try blockNode(indent: next, parent: sequence)
                } else {
                    throw GiveUp()  // an empty entry: rare, left to libyaml
                }
            } else if isSequenceEntry(at: pos) {
                throw GiveUp()  // "- - x": nested sequence on one line
            } else if let _ = try keyEnd(at: pos) {
                try blockMapping(indent: pos - lineStart, parent: sequence)
            } else {
                try inlineValue(parent: sequence, blockIndent: indent + 1)
                try expectNoDeeperLine(than: indent)
            }
            guard let next = try nextContentLine() else { return }
            if next < indent { return }
            if next > indent { throw GiveUp() }
            if !isSequenceEntry(at: pos) {
                if indentless { return }
                throw GiveUp()
            }
        }
    }

    private mutating func blockMapping(indent: Int, parent: Int32) throws {
        try enter()
        defer { depth -= 1 }
        let mapping = tree.add(.mapping, style: .block, line: line, column: column(of: pos), parent: parent)
        while true {
            // pos is at a key on a line whose key column is `indent`.
            guard let colon = try keyEnd(at: pos) else { throw GiveUp() }
            let key = try scalarKey(upTo: colon, parent: mapping)
            if isRepeatedKey(key, in: mapping) { throw GiveUp() }  // duplicate: libyaml words the error
            pos = colon + 1
            let colonLine = line, colonColumn = column(of: pos)
            while pos < bytes.count && bytes[pos] == 32 { pos += 1 }
            let c = byte(pos)
            if atEnd || c == 10 || (c == 35 && bytes[pos - 1] == 32) {
                if !atEnd { try skipToNextLine(from: pos) } else { lineStart = pos }
                let next = try nextContentLine()
                if let next, next > indent {
                    try blockNode(indent: next, parent: mapping)
                } else if let next, next == indent, isSequenceEntry(at: pos) {
                    try blockSequence(indent: indent, parent: mapping, indentless: true)
                } else {
                    _ = tree.add(.scalar, style: .plain, line: colonLine, column: colonColumn, parent: mapping)
                }
            } else {
                try inlineValue(parent: mapping, blockIndent: indent + 1)
                try expectNoDeeperLine(than: indent)
            }
            guard let next = try nextContentLine() else { return }
            if next < indent { return }
            if next > indent { throw GiveUp() }
            if isSequenceEntry(at: pos) { throw GiveUp() }  // "- " beside keys: an error, worded by libyaml
        }
    }

    /// After a single-line value the next content line must not be indented deeper (that would
    /// continue a multi-line scalar, which is left to libyaml).
    private mutating func expectNoDeeperLine(than indent: Int) throws {
        let save = (pos, line, lineStart)
        if let next = try nextContentLine(), next > indent { throw GiveUp() }
        (pos, line, lineStart) = save
    }

    /// Where the `:` of a block key on this line is, if the line starts with a key.
    private func keyEnd(at start: Int) throws -> Int? {
        var scan = start
        let first = byte(scan)
        if first == 39 || first == 34 {
            // Quoted key: find the closing quote, then expect ':'.
            scan += 1
            while scan < bytes.count && bytes[scan] != 10 {
                if bytes[scan] == first {
                    if first == 39 && byte(scan + 1) == 39 { scan += 2; continue }
                    if first == 34 && bytes[scan - 1] == 92 && !(scan >= 2 && bytes[scan - 2] == 92) { scan += 1; continue }
                    break
                }
                scan += 1
            }
            guard byte(scan) == first else { return nil }
            scan += 1
            while byte(scan) == 32 { scan += 1 }
            return byte(scan) == 58 && isBlankOrEnd(scan + 1) ? scan : nil
        }
        if isIndicator(first) { return nil }
        // An empty key (a line starting with ": ") is left to libyaml.
        if first == 58 && isBlankOrEnd(scan + 1) { throw GiveUp() }
        while scan < bytes.count {
            let c = bytes[scan]
            if c == 10 { return nil }
            if c == 9 || c == 13 { throw GiveUp() }
            if c == 58 && isBlankOrEnd(scan + 1) { return scan }
            if c == 35 && scan > start && bytes[scan - 1] == 32 { return nil }
            scan += 1
        }
        return nil
    }

    private func isBlankOrEnd(_ offset: Int) -> Bool {
        offset >= bytes.count || bytes[offset] == 32 || bytes[offset] == 10
    }

    /// Characters that cannot start a plain scalar here, or start constructs left to libyaml.
    private func isIndicator(_ c: UInt8) -> Bool {
        switch c {
        case 45:  // "-" starts a plain scalar unless a blank follows (checked by the callers)
            return false
        case 63, 58:  // "?" and ":" at the start of a scalar: libyaml's rules differ by context
            return true
        case 44, 91, 93, 123, 125, 35, 38, 42, 33, 124, 62, 39, 34, 37, 64, 96: return true
        default: return c < 32
        }
    }

    private mutating func scalarKey(upTo colon: Int, parent: Int32) throws -> String {
        let first = byte(pos)
        if first == 39 || first == 34 {
            let (value, end) = try quoted(at: pos)
            _ = tree.add(.scalar, style: first == 39 ? .singleQuoted : .doubleQuoted, line: line,
                         column: column(of: pos), value: value, parent: parent)
            var scan = end
            while byte(scan) == 32 { scan += 1 }
            guard scan == colon else { throw GiveUp() }
            return value
        }
        if (first == 45 || first == 63) && isBlankOrEnd(pos + 1) { throw GiveUp() }
        var end = colon
        while end > pos && bytes[end - 1] == 32 { end -= 1 }
        let value = String(decoding: UnsafeBufferPointer(rebasing: bytes[pos..<end]), as: UTF8.self)
        _ = tree.add(.scalar, style: .plain, line: line, column: column(of: pos), value: value, parent: parent)
        return value
    }

    /// Whether `key`, the key just added to `mapping`, is one of its earlier keys (read from the tree, which
    /// costs no list of keys per mapping).
    private func isRepeatedKey(_ key: String, in mapping: Int32) -> Bool {
        let added = Int32(tree.count - 1)
        var child = tree.firstChild(mapping)
        while child >= 0 && child != added {
            if tree.value(child) == key { return true }
            let value = tree.nextSibling(child)
            guard value >= 0 else { break }
            child = tree.nextSibling(value)
        }
        return false
    }

    private mutating func enter() throws {
        depth += 1
        if depth > maxDepth { throw GiveUp() }
    }

    // MARK: Inline values

    /// A value on the rest of the current line: plain, quoted or a flow collection.
    private mutating func inlineValue(parent: Int32, blockIndent: Int) throws {
        let c = byte(pos)
        switch c {
        case 39, 34:
            let (value, end) = try quoted(at: pos)
            _ = tree.add(.scalar, style: c == 39 ? .singleQuoted : .doubleQuoted, line: line, column: column(of: pos),
                         value: value, parent: parent)
            pos = end
            try finishLine()
        case 91, 123:
            try flowCollection(parent: parent)
            try finishLine()
        default:
            if isIndicator(c) { throw GiveUp() }
            if (c == 45 || c == 63 || c == 58) && isBlankOrEnd(pos + 1) { throw GiveUp() }
            let start = pos
            var end = pos
            while pos < bytes.count {
                let b = bytes[pos]
                if b == 10 { break }
                if b == 35 && bytes[pos - 1] == 32 { break }
                if b == 58 && isBlankOrEnd(pos + 1) { throw GiveUp() }  // "a: b: c" is an error
                if b == 9 || b == 13 { throw GiveUp() }
                pos += 1
                if b != 32 { end = pos }
            }
            let value = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            _ = tree.add(.scalar, style: .plain, line: line, column: column(of: start), value: value, parent: parent)
            try finishLine()
        }
    }

    /// A quoted scalar on one line; returns its value and the offset after the closing quote.
    private func quoted(at start: Int) throws -> (String, Int) {
        let quote = bytes[start]
        // Most quoted scalars hold no escape: their text is the bytes between the quotes.
        var plain = start + 1
        while plain < bytes.count {
            let c = bytes[plain]
            if c == quote {
                if quote == 39 && byte(plain + 1) == 39 { break }
                return (String(decoding: UnsafeBufferPointer(rebasing: bytes[(start + 1)..<plain]), as: UTF8.self), plain + 1)
            }
            if c == 10 || c == 13 || c == 9 || (quote == 34 && c == 92) { break }
            plain += 1
        }
        var scan = start + 1
        var out: [UInt8] = []
        while true {
            guard scan < bytes.count else { throw GiveUp() }
            let c = bytes[scan]
            if c == 10 || c == 13 || c == 9 { throw GiveUp() }  // multi-line or tab: libyaml folds
            if quote == 39 {
                if c == 39 {
                    if byte(scan + 1) == 39 { out.append(39); scan += 2; continue }
                    return (String(decoding: out, as: UTF8.self), scan + 1)
                }
                out.append(c)
                scan += 1
            } else {
                if c == 34 { return (String(decoding: out, as: UTF8.self), scan + 1) }
                if c == 92 {
                    let e = byte(scan + 1)
                    switch e {
                    case 34: out.append(34)
                    case 92: out.append(92)
                    case 47: out.append(47)
                    case 110: out.append(10)
                    case 116: out.append(9)
                    case 114: out.append(13)
                    case 48: out.append(0)
                    case 32: out.append(32)
                    default: throw GiveUp()  // \x, \u and friends: left to libyaml
                    }
                    scan += 2
                    continue
                }
                out.append(c)
                scan += 1
            }
        }
    }

    /// `[a, b]` or `{k: v}` on one line, possibly nested.
    private mutating func flowCollection(parent: Int32) throws {
        try enter()
        defer { depth -= 1 }
        let open = bytes[pos]
        let isMapping = open == 123
        let node = tree.add(isMapping ? .mapping : .sequence, style: .flow, line: line, column: column(of: pos), parent: parent)
        let close: UInt8 = isMapping ? 125 : 93
        pos += 1
        while true {
            skipFlowSpaces()
            if byte(pos) == close { pos += 1; return }
            if isMapping {
                let key = try flowScalar(parent: node, isKey: true)
                if isRepeatedKey(key, in: node) { throw GiveUp() }
                skipFlowSpaces()
                guard byte(pos) == 58 else { throw GiveUp() }
                pos += 1
                skipFlowSpaces()
                if byte(pos) == 44 || byte(pos) == close {
                    // libyaml places an empty flow value at the token that follows it.
                    _ = tree.add(.scalar, style: .plain, line: line, column: column(of: pos), parent: node)
                } else {
                    try flowItem(parent: node)
                }
            } else {
                try flowItem(parent: node)
            }
            skipFlowSpaces()
            let c = byte(pos)
            if c == 44 { pos += 1; continue }
            if c == close { pos += 1; return }
            throw GiveUp()
        }
    }

    private mutating func skipFlowSpaces() {
        while pos < bytes.count && bytes[pos] == 32 { pos += 1 }
    }

    private mutating func flowItem(parent: Int32) throws {
        let c = byte(pos)
        if c == 91 || c == 123 { try flowCollection(parent: parent); return }
        _ = try flowScalar(parent: parent, isKey: false)
        skipFlowSpaces()
        if byte(pos) == 58 { throw GiveUp() }  // "[a: b]" single-pair mappings: left to libyaml
    }

    private mutating func flowScalar(parent: Int32, isKey: Bool) throws -> String {
        let c = byte(pos)
        if c == 39 || c == 34 {
            let (value, end) = try quoted(at: pos)
            _ = tree.add(.scalar, style: c == 39 ? .singleQuoted : .doubleQuoted, line: line, column: column(of: pos),
                         value: value, parent: parent)
            pos = end
            return value
        }
        if isIndicator(c) || c == 10 || c == 0 { throw GiveUp() }
        if (c == 45 || c == 63 || c == 58) && isBlankOrEnd(pos + 1) { throw GiveUp() }
        let start = pos
        var end = pos
        while pos < bytes.count {
            let b = bytes[pos]
            if b == 44 || b == 93 || b == 125 || b == 91 || b == 123 { break }
            if b == 58 {
                if isBlankOrEnd(pos + 1) && isKey { break }
                throw GiveUp()  // ':' inside a flow scalar: libyaml's rules are subtle
            }
            if b == 10 || b == 35 || b == 9 || b == 13 { throw GiveUp() }
            pos += 1
            if b != 32 { end = pos }
        }
        let value = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        _ = tree.add(.scalar, style: .plain, line: line, column: column(of: start), value: value, parent: parent)
        return value
    }
}
