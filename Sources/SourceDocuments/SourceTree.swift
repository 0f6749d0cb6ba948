internal import Yams
public import Diagnostics

/// A parsed document that still knows where each value was written, so an error about a value can name
/// its line and column. Parsing builds this; the manifest drops the positions.
public struct SourceNode: Sendable {
    public enum Value: Sendable {
        case null, bool(Bool), integer(Int64), double(Double), string(String)
        case array([SourceNode])
        case object([(key: String, node: SourceNode)])
    }

    public var value: Value
    // Positions as 32-bit numbers with 0 for "not known": a submission's tree is built for every request, so each
    // node stays small.
    private var place: (line: Int32, column: Int32, keyLine: Int32, keyColumn: Int32) = (0, 0, 0, 0)
    /// A YAML scalar's text as written, kept only where resolution gave it another type than text (`yes`, `0x10`).
    private var written: String?

    /// 1-based line and column where the value starts; nil when not known.
    public var line: Int? {
        get { place.line > 0 ? Int(place.line) : nil }
        set { place.line = Self.stored(newValue) }
    }
    public var column: Int? {
        get { place.column > 0 ? Int(place.column) : nil }
        set { place.column = Self.stored(newValue) }
    }
    /// For a mapping's value: where its key is written (unknown or misplaced keys are reported there).
    public var keyLine: Int? {
        get { place.keyLine > 0 ? Int(place.keyLine) : nil }
        set { place.keyLine = Self.stored(newValue) }
    }
    public var keyColumn: Int? {
        get { place.keyColumn > 0 ? Int(place.keyColumn) : nil }
        set { place.keyColumn = Self.stored(newValue) }
    }

    /// A node; `text` is a YAML scalar as written, before resolution typed it.
    public init(value: Value, line: Int?, column: Int?, text: String? = nil) {
        self.value = value
        if case .string = value {} else { written = text }
        self.line = line
        self.column = column
    }

    private static func stored(_ number: Int?) -> Int32 {
        guard let number, number > 0 else { return 0 }
        return Int32(clamping: number)
    }

    public subscript(key: String) -> SourceNode? {
        guard case .object(let members) = value else { return nil }
        return members.first(where: { $0.key == key })?.node
    }

    public var string: String? {
        if case .string(let text) = value { return text }
        return nil
    }

    /// A scalar as written: the YAML text before resolution gave it a type (so `name: yes` reads as
    /// "yes"), a JSON string's value, or a JSON number or boolean as text; nil for collections and null.
    public var scalarText: String? {
        if let written { return written }
        switch value {
        case .string(let string): return string
        case .integer(let number): return String(number)
        case .double(let number): return String(number)
        case .bool(let flag): return flag ? "true" : "false"
        case .null, .array, .object: return nil
        }
    }

    /// A mapping's entries in file order; nil when this is not a mapping.
    public var members: [(key: String, node: SourceNode)]? {
        if case .object(let members) = value { return members }
        return nil
    }

    /// A sequence's elements; nil when this is not a sequence.
    public var elements: [SourceNode]? {
        if case .array(let elements) = value { return elements }
        return nil
    }

    public var isObject: Bool {
        if case .object = value { return true }
        return false
    }

    /// What kind of value this is, as messages name it: "an object", "a list", "a string", …
    public var kindName: String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .double: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }
}

/// A syntax problem found while reading the body.
public struct SyntaxError: Error, Sendable {
    public var message: String
    public var line: Int?
    public var column: Int?
    public var field: String = ""

    public init(message: String, line: Int? = nil, column: Int? = nil, field: String = "") {
        self.message = message
        self.line = line
        self.column = column
        self.field = field
    }

    /// The problem said the way every Bursar command says one, for a document read from `file`.
    public func problem(file: String) -> SourceProblem {
        SourceProblem(file: file, line: line, column: column, field: field, message: message)
    }
}

// MARK: - YAML

public enum YAMLSource {
    /// Reads the first document through libyaml (via Yams), resolving scalars the way Kubernetes' YAML
    /// reader does (YAML 1.1 booleans included). Duplicate keys and merge keys are refused.
    /// The document is checked against `limits` first, before anything is composed, so aliases
    /// cannot expand a small body into a large manifest.
    public static func parse(_ text: String, limits: DocumentLimits = .submission) throws(SyntaxError) -> SourceNode? {
        // The block reader has no aliases and gives up past the depth limit, so a document it reads is within
        // every limit but size; anything else is checked before libyaml composes (and expands) it.
        if text.utf8.count <= limits.maxBytes, let tree = BlockYAMLReader.read(text, maxDepth: limits.maxDepth),
           let node = try convert(tree) {
            return node.root
        }
        return try parseWithLibyaml(text, limits: limits)
    }

    /// The general path: limits checked, then libyaml composes the document (also the reference in tests).
    static func parseWithLibyaml(_ text: String, limits: DocumentLimits) throws(SyntaxError) -> SourceNode? {
        do {
            try limits.check(text)
        } catch {
            throw SyntaxError(message: error.message, line: error.line, column: error.column)
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxError(error, text: text)
        } catch {
            throw SyntaxError(message: "the body could not be read as YAML (\(error))")
        }
        guard let root else { return nil }
        return try convert(root, path: "")
    }

    /// The block reader's tree as a `SourceNode` (`root` nil: an empty document); nil when it holds an explicit
    /// tag, which is left to the general path.
    private static func convert(_ tree: YAMLTree) throws(SyntaxError) -> (root: SourceNode?, Void)? {
        guard tree.root >= 0 else { return (nil, ()) }
        return try convert(tree, tree.root).map { ($0, ()) }
    }

    // Field paths are only for errors, which are rare: they are worked out from the tree when one is thrown
    // rather than built for every node.
    private static func convert(_ tree: YAMLTree, _ index: Int32) throws(SyntaxError) -> SourceNode? {
        guard tree.tag(index) == nil else { return nil }
        let line = Int(tree.line(index)), column = Int(tree.column(index))
        switch tree.kind(index) {
        case .scalar:
            let text = tree.value(index)
            let type: PlainScalars.ScalarType = tree.style(index) == .plain ? PlainScalars.type(text) : .str
            return SourceNode(value: scalarValue(text, type: type), line: line, column: column, text: text)
        case .sequence:
            var elements: [SourceNode] = []
            elements.reserveCapacity(Int(tree.childCount(index)))
            var child = tree.firstChild(index)
            while child >= 0 {
                guard let element = try convert(tree, child) else { return nil }
                elements.append(element)
                child = tree.nextSibling(child)
            }
            return SourceNode(value: .array(elements), line: line, column: column)
        case .mapping:
            var members: [(key: String, node: SourceNode)] = []
            members.reserveCapacity(Int(tree.childCount(index)) / 2)
            var earlier = EarlierKeys()
            var keyIndex = tree.firstChild(index)
            while keyIndex >= 0 {
                let valueIndex = tree.nextSibling(keyIndex)
                guard valueIndex >= 0, tree.kind(keyIndex) == .scalar, tree.tag(keyIndex) == nil else { return nil }
                let key = tree.value(keyIndex)
                let keyLine = Int(tree.line(keyIndex)), keyColumn = Int(tree.column(keyIndex))
                if key == "<<" && tree.style(keyIndex) == .plain {
                    throw SyntaxError(message: "YAML merge keys (<<) are not supported here; write the fields out",
                                      line: keyLine, column: keyColumn, field: SourcePath.child(path(tree, index), key))
                }
                if let firstLine = earlier.line(of: key, in: members) {
                    throw SyntaxError(message: "key \"\(key)\" is given twice (first at line \(firstLine)); keep one",
                                      line: keyLine, column: keyColumn, field: SourcePath.child(path(tree, index), key))
                }
                earlier.record(key, line: keyLine)
                guard var member = try convert(tree, valueIndex) else { return nil }
                member.keyLine = keyLine
                member.keyColumn = keyColumn
                members.append((key, member))
                keyIndex = tree.nextSibling(valueIndex)
            }
            return SourceNode(value: .object(members), line: line, column: column)
        }
    }

    /// The field path of the tree's node `index`: `spec.driver`, `jobs[3]`.
    private static func path(_ tree: YAMLTree, _ index: Int32) -> String {
        let parent = tree.parent(index)
        guard parent >= 0 else { return "" }
        var child = tree.firstChild(parent), position = 0, previous: Int32 = -1
        while child >= 0 && child != index {
            previous = child
            position += 1
            child = tree.nextSibling(child)
        }
        if tree.kind(parent) == .sequence { return "\(path(tree, parent))[\(position)]" }
        return SourcePath.child(path(tree, parent), previous >= 0 ? tree.value(previous) : "")
    }

    private static func convert(_ node: Node, path: String) throws(SyntaxError) -> SourceNode {
        let line = node.mark?.line
        let column = node.mark?.column
        switch node {
        case .scalar(let scalar):
            return SourceNode(value: scalarValue(scalar.string, tag: Resolver.default.resolveTag(of: node)), line: line, column: column,
                              text: scalar.string)
        case .sequence(let sequence):
            var elements: [SourceNode] = []
            elements.reserveCapacity(sequence.count)
            for (index, element) in sequence.enumerated() {
                elements.append(try convert(element, path: "\(path)[\(index)]"))
            }
            return SourceNode(value: .array(elements), line: line, column: column)
        case .mapping(let mapping):
            var members: [(key: String, node: SourceNode)] = []
            var earlier = EarlierKeys()
            for (keyNode, valueNode) in mapping {
                guard case .scalar(let keyScalar) = keyNode else {
                    var shape = "a list"
                    if case .mapping = keyNode { shape = "an object" }
                    throw SyntaxError(message: "a key is \(shape); keys must be plain text",
                                      line: keyNode.mark?.line, column: keyNode.mark?.column, field: path)
                }
                let key = keyScalar.string
                let childPath = SourcePath.child(path, key)
                if Resolver.default.resolveTag(of: keyNode) == .merge {
                    throw SyntaxError(message: "YAML merge keys (<<) are not supported here; write the fields out",
                                      line: keyNode.mark?.line, column: keyNode.mark?.column, field: childPath)
                }
                if let firstLine = earlier.line(of: key, in: members) {
                    throw SyntaxError(message: "key \"\(key)\" is given twice (first at line \(firstLine)); keep one",
                                      line: keyNode.mark?.line, column: keyNode.mark?.column, field: childPath)
                }
                earlier.record(key, line: keyNode.mark?.line ?? 0)
                var member = try convert(valueNode, path: childPath)
                member.keyLine = keyNode.mark?.line
                member.keyColumn = keyNode.mark?.column
                members.append((key, member))
            }
            return SourceNode(value: .object(members), line: line, column: column)
        case .alias:
            // Yams resolves aliases while composing; an unresolved one cannot reach here.
            throw SyntaxError(message: "unresolved YAML alias", line: line, column: column, field: path)
        }
    }

    /// Plain scalars take the type YAML resolution gives them; quoted ones stay strings (Yams tags them `str`).
    static func scalarValue(_ text: String, tag: Tag.Name) -> SourceNode.Value {
        let type: PlainScalars.ScalarType = switch tag {
        case .null: .null
        case .bool: .bool
        case .int: .int
        case .float: .float
        default: .str
        }
        return scalarValue(text, type: type)
    }

    static func scalarValue(_ text: String, type: PlainScalars.ScalarType) -> SourceNode.Value {
        switch type {
        case .null: return .null
        case .bool:
            switch text.lowercased() {
            case "true", "yes", "on", "y": return .bool(true)
            default: return .bool(false)
            }
        case .int:
            if let number = integer(text) { return .integer(number) }
            return .string(text)
        case .float:
            let cleaned = text.filter { $0 != "_" }
            switch cleaned.lowercased() {
            case ".inf", "+.inf": return .double(.infinity)
            case "-.inf": return .double(-.infinity)
            case ".nan": return .double(.nan)
            default: return Double(cleaned).map { .double($0) } ?? .string(text)
            }
        default:
            return .string(text)
        }
    }

    /// YAML integers: decimal, 0x hex, 0o or leading-zero octal, 0b binary, with `_` separators.
    static func integer(_ text: String) -> Int64? {
        var digits = Substring(text.filter { $0 != "_" })
        var negative = false
        if digits.first == "-" || digits.first == "+" {
            negative = digits.first == "-"
            digits = digits.dropFirst()
        }
        var radix = 10
        if digits.hasPrefix("0x") { radix = 16; digits = digits.dropFirst(2) }
        else if digits.hasPrefix("0o") { radix = 8; digits = digits.dropFirst(2) }
        else if digits.hasPrefix("0b") { radix = 2; digits = digits.dropFirst(2) }
        else if digits.count > 1, digits.hasPrefix("0") { radix = 8; digits = digits.dropFirst() }
        guard let magnitude = UInt64(digits, radix: radix) else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    private static func laterKeyLine(_ key: String, after mark: Mark, in text: String) -> Int? {
        var number = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            guard number > mark.line, line.count >= mark.column - 1 else { continue }
            let rest = line.dropFirst(mark.column - 1)
            let quoted = [key, "\"\(key)\"", "'\(key)'"]
            for form in quoted where rest.hasPrefix(form) && rest.dropFirst(form.count).drop(while: { $0 == " " }).hasPrefix(":") {
                return number
            }
        }
        return nil
    }

    private static func syntaxError(_ error: YamlError, text: String) -> SyntaxError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let hint = context.map { " \($0.text)" } ?? ""
            return SyntaxError(message: "YAML syntax error: \(problem)\(hint); check the indentation and quoting there",
                               line: mark.line, column: mark.column)
        case let .reader(problem, offset, _, _):
            return SyntaxError(message: "the body is not readable text: \(problem)\(offset.map { " at byte \($0)" } ?? ""); send UTF-8")
        case let .duplicatedKeysInMapping(duplicates, context):
            // Yams marks the first occurrence; the error belongs at the second, found at the same column.
            let key = duplicates.first ?? ""
            let second = laterKeyLine(key, after: context.mark, in: text)
            return SyntaxError(message: "key \"\(key)\" is given twice (first at line \(context.mark.line)); keep one",
                               line: second ?? context.mark.line, column: context.mark.column)
        default:
            return SyntaxError(message: "the body could not be read as YAML (\(error))")
        }
    }
}

// MARK: - JSON

/// A small strict JSON reader (RFC 8259) that keeps key order and positions. Foundation's reader keeps
/// neither, and a submission's errors should point at the line that is wrong.
public struct JSONSource {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0
    private var depth = 0

    /// Nesting deeper than this is refused rather than risking the stack on hostile input; the same
    /// bound as for YAML submissions.
    static let maximumDepth = DocumentLimits.submission.maxDepth

    public static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> SourceNode {
        var reader = JSONSource(bytes: bytes)
        reader.skipWhitespace()
        let value = try reader.value(path: "")
        reader.skipWhitespace()
        if reader.index < bytes.count {
            throw reader.error("unexpected \(reader.describeCurrent()) after the JSON value; send exactly one object")
        }
        return value
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private var column: Int { index - lineStart + 1 }

    private func error(_ message: String, field: String = "") -> SyntaxError {
        SyntaxError(message: "JSON syntax error: " + message, line: line, column: column, field: field)
    }

    private func describeCurrent() -> String {
        guard index < bytes.count else { return "end of input" }
        let byte = bytes[index]
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16))"
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0D: index += 1
            case 0x0A:
                index += 1
                line += 1
                lineStart = index
            default: return
            }
        }
    }

    private mutating func value(path: String) throws(SyntaxError) -> SourceNode {
        do {
            return try valueAt(path: path)
        } catch {
            // Errors inside strings and numbers learn their field here.
            var located = error
            if located.field.isEmpty { located.field = path }
            throw located
        }
    }

    private mutating func valueAt(path: String) throws(SyntaxError) -> SourceNode {
        guard index < bytes.count else { throw error("the input ends where a value was expected") }
        let startLine = line, startColumn = column
        func node(_ value: SourceNode.Value) -> SourceNode { SourceNode(value: value, line: startLine, column: startColumn) }
        switch bytes[index] {
        case 0x7B: return node(try object(path: path))
        case 0x5B: return node(try array(path: path))
        case 0x22: return node(.string(try string()))
        case 0x74: try literal("true"); return node(.bool(true))
        case 0x66: try literal("false"); return node(.bool(false))
        case 0x6E: try literal("null"); return node(.null)
        case 0x2D, 0x30...0x39: return node(try number())
        default:
            throw error("unexpected \(describeCurrent()) where a value was expected (strings need double quotes)", field: path)
        }
    }

    private mutating func literal(_ word: String) throws(SyntaxError) {
        let expected = Array(word.utf8)
        guard index + expected.count <= bytes.count, Array(bytes[index..<(index + expected.count)]) == expected else {
            throw error("unexpected \(describeCurrent()); expected \(word) (strings need double quotes)")
        }
        index += expected.count
    }

    private mutating func object(path: String) throws(SyntaxError) -> SourceNode.Value {
        depth += 1
        guard depth <= JSONSource.maximumDepth else { throw SyntaxError(message: "nesting is deeper than the limit of \(JSONSource.maximumDepth) levels; flatten the document", line: line, column: column, field: path) }
        defer { depth -= 1 }
        index += 1
        var members: [(key: String, node: SourceNode)] = []
        var earlier = EarlierKeys()
        skipWhitespace()
        if index < bytes.count, bytes[index] == 0x7D { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == 0x22 else {
                throw error("expected a key in double quotes, found \(describeCurrent())", field: path)
            }
            let keyLine = line, keyColumn = column
            let key = try string()
            let childPath = SourcePath.child(path, key)
            if let first = earlier.line(of: key, in: members) {
                throw error("key \"\(key)\" is given twice (first at line \(first)); keep one", field: childPath)
            }
            earlier.record(key, line: keyLine)
            skipWhitespace()
            guard index < bytes.count, bytes[index] == 0x3A else {
                throw error("expected ':' after key \"\(key)\", found \(describeCurrent())", field: childPath)
            }
            index += 1
            skipWhitespace()
            var member = try value(path: childPath)
            member.keyLine = keyLine
            member.keyColumn = keyColumn
            members.append((key, member))
            skipWhitespace()
            guard index < bytes.count else { throw error("the input ends inside an object; a '}' is missing", field: path) }
            if bytes[index] == 0x2C { index += 1; continue }
            if bytes[index] == 0x7D { index += 1; return .object(members) }
            throw error("expected ',' or '}' after the value of \"\(key)\", found \(describeCurrent())", field: childPath)
        }
    }

    private mutating func array(path: String) throws(SyntaxError) -> SourceNode.Value {
        depth += 1
        guard depth <= JSONSource.maximumDepth else { throw SyntaxError(message: "nesting is deeper than the limit of \(JSONSource.maximumDepth) levels; flatten the document", line: line, column: column, field: path) }
        defer { depth -= 1 }
        index += 1
        var elements: [SourceNode] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == 0x5D { index += 1; return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try value(path: "\(path)[\(elements.count)]"))
            skipWhitespace()
            guard index < bytes.count else { throw error("the input ends inside a list; a ']' is missing", field: path) }
            if bytes[index] == 0x2C { index += 1; continue }
            if bytes[index] == 0x5D { index += 1; return .array(elements) }
            throw error("expected ',' or ']' in a list, found \(describeCurrent())", field: path)
        }
    }

    private mutating func string() throws(SyntaxError) -> String {
        index += 1
        var out: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case 0x22:
                index += 1
                guard let text = String(validating: out, as: UTF8.self) else { throw error("a string is not valid UTF-8") }
                return text
            case 0x5C:
                index += 1
                guard index < bytes.count else { break }
                let escape = bytes[index]
                index += 1
                switch escape {
                case 0x22, 0x5C, 0x2F: out.append(escape)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75:
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == 0x5C, bytes[index + 1] == 0x75 else {
                            throw error("a \\u escape holds half a surrogate pair")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("a \\u escape holds half a surrogate pair") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw error("a \\u escape is not a character") }
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    index -= 1
                    throw error("unknown escape \\\(Character(Unicode.Scalar(escape))) in a string")
                }
            case 0..<0x20:
                throw error(byte == 0x0A ? "a string runs past the end of the line; close it with '\"'"
                                         : "a control character inside a string; escape it")
            default:
                out.append(byte)
                index += 1
            }
        }
        throw error("the input ends inside a string; a closing '\"' is missing")
    }

    private mutating func hex4() throws(SyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count,
              let value = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16) else {
            throw error("a \\u escape needs four hex digits")
        }
        index += 4
        return value
    }

    private mutating func number() throws(SyntaxError) -> SourceNode.Value {
        let start = index
        var isInteger = true
        if bytes[index] == 0x2D { index += 1 }
        func digits() -> Int {
            let begin = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            return index - begin
        }
        let integerStart = index
        let integerDigits = digits()
        guard integerDigits > 0 else { throw error("a number needs digits after '-'") }
        if integerDigits > 1, bytes[integerStart] == 0x30 { throw error("numbers may not have leading zeros") }
        if index < bytes.count, bytes[index] == 0x2E {
            isInteger = false
            index += 1
            guard digits() > 0 else { throw error("a number needs digits after '.'") }
        }
        if index < bytes.count, bytes[index] == 0x65 || bytes[index] == 0x45 {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == 0x2B || bytes[index] == 0x2D { index += 1 }
            guard digits() > 0 else { throw error("a number needs digits in its exponent") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let number = Int64(text) { return .integer(number) }
        guard let number = Double(text) else { throw error("\(text) is not a number") }
        return .double(number)
    }
}

/// Field paths as users write them: `spec.driver.labels["yunikorn.apache.org/queue"]`.
public enum SourcePath {
    /// `parent.key`, or `parent["key"]` when the key holds characters a dotted path would misread.
    public static func child(_ parent: String, _ key: String) -> String {
        let plain = !key.isEmpty && key.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F || $0 == 0x2D }
        if plain { return parent.isEmpty ? key : parent + "." + key }
        return parent + "[\"" + key + "\"]"
    }
}

/// The keys a mapping has had so far, to refuse a repeated one: most mappings have a few keys, which a scan of
/// the members finds faster than hashing; past 16 a table takes over.
struct EarlierKeys {
    private var table: [String: Int]?

    /// The line of `key`'s earlier occurrence among `members`, or nil.
    mutating func line(of key: String, in members: [(key: String, node: SourceNode)]) -> Int? {
        if members.count < 16 {
            for member in members where member.key == key { return member.node.keyLine ?? 0 }
            return nil
        }
        if table == nil {
            table = Dictionary(members.map { ($0.key, $0.node.keyLine ?? 0) }, uniquingKeysWith: { first, _ in first })
        }
        return table?[key]
    }

    /// Notes a key added after the table took over.
    mutating func record(_ key: String, line: Int) {
        if table != nil, table?[key] == nil { table?[key] = line }
    }
}
