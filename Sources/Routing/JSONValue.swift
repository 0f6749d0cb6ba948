import JSONText
/// A JSON-like value tree whose objects keep their keys in the order they were written, so a mutated
/// manifest reads like the one the user sent. It is the manifest, and the before/after of an audit event.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([Member])

    /// One key of an object, in its place.
    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSONValue
        /// A member `key: value`.
        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// An object from ordered pairs (later duplicates replace earlier ones, keeping the first place).
    public static func object(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
        var value = JSONValue.object([])
        for (key, member) in pairs { value[key] = member }
        return value
    }

    /// The value of `key` when this is an object that has it. Setting on an object replaces the value in
    /// its place or appends the key; setting on anything else turns it into an object first, so the
    /// mutation can always put its fields where they belong.
    public subscript(key: String) -> JSONValue? {
        get {
            guard case .object(let members) = self else { return nil }
            return members.first(where: { $0.key == key })?.value
        }
        set {
            var members: [Member]
            if case .object(let existing) = self { members = existing } else { members = [] }
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append(Member(key, newValue))
            }
            self = .object(members)
        }
    }

    /// The value at a path of object keys, if every step exists.
    public subscript(path path: [String]) -> JSONValue? {
        var current: JSONValue? = self
        for key in path { current = current?[key] }
        return current
    }

    /// The text when this is a string.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The members when this is an object.
    public var members: [Member]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The keys of an object in their order (empty for anything else).
    public var keys: [String] { members?.map(\.key) ?? [] }

    /// What kind of value this is, as a user would say it in an error message.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .double: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }
}

// MARK: - JSON

extension JSONValue {
    /// The value as JSON text in UTF-8: compact by default, or indented by two spaces with one member per
    /// line (what golden files and humans read).
    public func jsonBytes(pretty: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        writeJSON(into: &out, pretty: pretty, depth: 0)
        if pretty { out.append(0x0A) }
        return out
    }

    /// The value as JSON text.
    public func jsonText(pretty: Bool = false) -> String {
        String(decoding: jsonBytes(pretty: pretty), as: UTF8.self)
    }

    private func writeJSON(into out: inout [UInt8], pretty: Bool, depth: Int) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let number): out.append(contentsOf: String(number).utf8)
        case .double(let number): out.append(contentsOf: JSONValue.jsonNumber(number).utf8)
        case .string(let text): JSON.quote(text, into: &out)
        case .array(let elements):
            guard !elements.isEmpty else { out.append(contentsOf: "[]".utf8); return }
            out.append(0x5B)
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(0x2C) }
                if pretty { JSONValue.newline(into: &out, depth: depth + 1) }
                element.writeJSON(into: &out, pretty: pretty, depth: depth + 1)
            }
            if pretty { JSONValue.newline(into: &out, depth: depth) }
            out.append(0x5D)
        case .object(let members):
            guard !members.isEmpty else { out.append(contentsOf: "{}".utf8); return }
            out.append(0x7B)
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(0x2C) }
                if pretty { JSONValue.newline(into: &out, depth: depth + 1) }
                JSON.quote(member.key, into: &out)
                out.append(0x3A)
                if pretty { out.append(0x20) }
                member.value.writeJSON(into: &out, pretty: pretty, depth: depth + 1)
            }
            if pretty { JSONValue.newline(into: &out, depth: depth) }
            out.append(0x7D)
        }
    }

    private static func newline(into out: inout [UInt8], depth: Int) {
        out.append(0x0A)
        out.append(contentsOf: repeatElement(0x20, count: depth * 2))
    }

    /// JSON has no NaN or infinity (only YAML input can produce them): they are written as strings
    /// rather than as invalid JSON.
    static func jsonNumber(_ number: Double) -> String {
        guard number.isFinite else { return "\"\(number)\"" }
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) + ".0" }
        return "\(number)"
    }

}

// MARK: - YAML

extension JSONValue {
    /// The value as block-style YAML (the style `kubectl get -o yaml` writes), keys in order. Strings that
    /// YAML would read as something else (`"1"`, `"yes"`, `"null"`, `"2024-05-01"`) or that hold special
    /// characters are double-quoted, so reading the text back gives this value again.
    public func yamlText() -> String {
        var out = ""
        switch self {
        case .object(let members) where !members.isEmpty:
            JSONValue.writeYAMLMembers(members, into: &out, indent: 0)
        case .array(let elements) where !elements.isEmpty:
            JSONValue.writeYAMLElements(elements, into: &out, indent: 0)
        default:
            out = yamlScalar() + "\n"
        }
        return out
    }

    private var isYAMLBlock: Bool {
        switch self {
        case .object(let members): return !members.isEmpty
        case .array(let elements): return !elements.isEmpty
        default: return false
        }
    }

    private func yamlScalar() -> String {
        switch self {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .integer(let number): return String(number)
        case .double(let number):
            if number.isNaN { return ".nan" }
            if number.isInfinite { return number < 0 ? "-.inf" : ".inf" }
            return JSONValue.jsonNumber(number)
        case .string(let text): return JSONValue.yamlString(text)
        case .array: return "[]"
        case .object: return "{}"
        }
    }

    private static func writeYAMLMembers(_ members: [Member], into out: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        for member in members {
            out += pad + yamlString(member.key) + ":"
            switch member.value {
            case .object(let children) where !children.isEmpty:
                out += "\n"
                writeYAMLMembers(children, into: &out, indent: indent + 2)
            case .array(let elements) where !elements.isEmpty:
                // kubectl's layout: a list under a key starts at the key's own indentation.
                out += "\n"
                writeYAMLElements(elements, into: &out, indent: indent)
            default:
                out += " " + member.value.yamlScalar() + "\n"
            }
        }
    }

    private static func writeYAMLElements(_ elements: [JSONValue], into out: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        for element in elements {
            switch element {
            case .object(let members) where !members.isEmpty:
                // The first member shares the dash's line; the rest line up under it.
                var first = ""
                writeYAMLMembers([members[0]], into: &first, indent: indent + 2)
                out += pad + "- " + first.dropFirst(indent + 2)
                writeYAMLMembers(Array(members.dropFirst()), into: &out, indent: indent + 2)
            case .array(let inner) where !inner.isEmpty:
                out += pad + "-\n"
                writeYAMLElements(inner, into: &out, indent: indent + 2)
            default:
                out += pad + "- " + element.yamlScalar() + "\n"
            }
        }
    }

    /// A string as a YAML scalar: plain when that is unambiguous, else double-quoted (whose escapes are a
    /// superset of JSON's, so the JSON writer's escaping serves).
    static func yamlString(_ text: String) -> String {
        if isPlainSafe(text) { return text }
        var bytes: [UInt8] = []
        JSON.quote(text, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isPlainSafe(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, let last = bytes.last else { return false }
        func isWordByte(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
        }
        // Start with a letter, digit, `_` or `/`; end with anything but a space or a colon.
        guard isWordByte(first) || first == 0x2F, last != 0x20, last != 0x3A else { return false }
        var previous: UInt8 = 0
        for c in bytes {
            switch c {
            case _ where isWordByte(c): break
            case 0x2E, 0x2F, 0x2D, 0x40, 0x2B, 0x3D, 0x2C, 0x28, 0x29, 0x24, 0x5E, 0x7E: break  // . / - @ + = , ( ) $ ^ ~
            case 0x3A: break        // `:` is fine unless followed by a space, checked below
            case 0x20: if previous == 0x3A { return false }
            case 0x23: if previous == 0x20 { return false }   // ` #` starts a comment
            default: return false
            }
            if c == 0x20 && previous == 0x20 { return false }
            previous = c
        }
        return !readsAsNonString(text)
    }

    /// True when a plain scalar with this text would be read as a boolean, null, number or timestamp
    /// (YAML 1.1 as Kubernetes reads it, plus YAML 1.2): such strings must be quoted.
    private static func readsAsNonString(_ text: String) -> Bool {
        switch text.lowercased() {
        case "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", ".inf", "-.inf", "+.inf", ".nan": return true
        default: break
        }
        let bytes = Array(text.utf8)
        guard let first = bytes.first else { return true }
        let startsNumeric = (first >= 0x30 && first <= 0x39) || first == 0x2B || first == 0x2D || first == 0x2E
        guard startsNumeric else { return false }
        let cleaned = text.replacingOccurrences(of: "_", with: "")
        if Double(cleaned) != nil { return true }
        // 0x…, 0o…, 0b… integers and sexagesimal (1:20) and dates (2024-05-01…) all start numerically and
        // hold only digits and a few punctuation marks; quoting every such string is the safe choice.
        return bytes.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ":-+._xobXOBTtZz".utf8.contains($0) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) || $0 == 0x20 }
    }
}

extension String {
    fileprivate func replacingOccurrences(of needle: String, with replacement: String) -> String {
        guard !needle.isEmpty else { return self }
        return split(separator: Character(needle), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

// MARK: - Codable

extension JSONValue: Codable {
    /// Decodes any JSON value. Object keys come in the decoder's order, which Foundation's JSONDecoder does
    /// not promise to be the text's; use `SubmissionParser` where key order matters.
    public init(from decoder: any Decoder) throws {
        if let container = try? decoder.container(keyedBy: AnyKey.self) {
            var members: [Member] = []
            for key in container.allKeys {
                members.append(Member(key.stringValue, try container.decode(JSONValue.self, forKey: key)))
            }
            self = .object(members)
            return
        }
        if var container = try? decoder.unkeyedContainer() {
            var elements: [JSONValue] = []
            while !container.isAtEnd { elements.append(try container.decode(JSONValue.self)) }
            self = .array(elements)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
        else if let number = try? container.decode(Int64.self) { self = .integer(number) }
        else if let number = try? container.decode(Double.self) { self = .double(number) }
        else { self = .string(try container.decode(String.self)) }
    }

    /// Encodes as the plain JSON value (objects in member order for encoders that keep it).
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .object(let members):
            var container = encoder.container(keyedBy: AnyKey.self)
            for member in members { try container.encode(member.value, forKey: AnyKey(member.key)) }
        case .array(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements { try container.encode(element) }
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let flag):
            var container = encoder.singleValueContainer()
            try container.encode(flag)
        case .integer(let number):
            var container = encoder.singleValueContainer()
            try container.encode(number)
        case .double(let number):
            var container = encoder.singleValueContainer()
            try container.encode(number)
        case .string(let text):
            var container = encoder.singleValueContainer()
            try container.encode(text)
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }
}

/// The manifest a submission carries: a SparkApplication as an ordered JSON value tree.
public typealias Manifest = JSONValue
