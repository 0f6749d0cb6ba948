/// A JSON document built in memory, written with sorted keys: the reports' one JSON writer.
///
/// Typed cases (not `Any`) so that writing a report of thousands of queues is a walk over enums into a
/// byte buffer, with no dynamic casts.
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    /// A double: whole values below 1e15 are written as integers, non-finite ones as `null`.
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    public static func int(_ value: Int) -> JSON { .int(Int64(value)) }
    /// `null` for nil.
    public static func string(_ value: String?) -> JSON { value.map { .string($0) } ?? .null }
    /// `null` for nil.
    public static func int(_ value: Int64?) -> JSON { value.map { .int($0) } ?? .null }
    /// An array of strings.
    public static func strings(_ values: [String]) -> JSON { .array(values.map { .string($0) }) }
    /// An object of strings.
    public static func strings(_ values: [String: String]) -> JSON { .object(values.mapValues { .string($0) }) }

    /// Pretty text: two-space indentation, `"key" : value`, keys sorted by their UTF-8 bytes.
    public func pretty() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(1 << 16)
        write(indent: 0, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Compact text: no whitespace, keys sorted by their UTF-8 bytes (for documents read by programs, such
    /// as a dashboard's data, where the indentation would be most of the bytes).
    public func compact() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(1 << 16)
        writeCompact(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private func writeCompact(into out: inout [UInt8]) {
        switch self {
        case .null, .bool, .int, .number, .string: write(indent: 0, into: &out)
        case let .array(elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.writeCompact(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            out.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.quote(key, into: &out)
                out.append(UInt8(ascii: ":"))
                members[key]!.writeCompact(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private func write(indent: Int, into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case let .bool(flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case let .int(value): out.append(contentsOf: String(value).utf8)
        case let .number(value): out.append(contentsOf: Self.format(value).utf8)
        case let .string(text): Self.quote(text, into: &out)
        case let .array(elements):
            guard !elements.isEmpty else { out.append(contentsOf: "[]".utf8); return }
            out.append(contentsOf: "[\n".utf8)
            for (index, element) in elements.enumerated() {
                Self.spaces(indent + 2, into: &out)
                element.write(indent: indent + 2, into: &out)
                out.append(contentsOf: (index == elements.count - 1 ? "\n" : ",\n").utf8)
            }
            Self.spaces(indent, into: &out)
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            guard !members.isEmpty else { out.append(contentsOf: "{}".utf8); return }
            out.append(contentsOf: "{\n".utf8)
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                Self.spaces(indent + 2, into: &out)
                Self.quote(key, into: &out)
                out.append(contentsOf: " : ".utf8)
                members[key]!.write(indent: indent + 2, into: &out)
                out.append(contentsOf: (index == keys.count - 1 ? "\n" : ",\n").utf8)
            }
            Self.spaces(indent, into: &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func spaces(_ count: Int, into out: inout [UInt8]) {
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: count))
    }

    /// Appends `number` as `.number(number)` writes it.
    public static func appendNumber(_ number: Double, into out: inout [UInt8]) {
        if number == number.rounded(), abs(number) < 1e15 {
            appendInteger(Int64(number), into: &out)
        } else {
            out += format(number).utf8
        }
    }

    /// Appends `value`'s decimal digits (as `String(value)` writes them), without making a string.
    public static func appendInteger(_ value: Int64, into out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            let end = writeDigits(value.magnitude, into: buffer, at: 0)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<end]))
        }
    }

    /// Writes `magnitude`'s decimal digits into `buffer` from `start`, zero-padded on the left to `minimumWidth`;
    /// returns where they end. `buffer` needs room for them (20 bytes, or the width).
    public static func writeDigits(_ magnitude: UInt64, minimumWidth: Int = 1, into buffer: UnsafeMutableBufferPointer<UInt8>,
                                   at start: Int) -> Int {
        var count = 1, rest = magnitude
        while rest >= 10 {
            rest /= 10
            count += 1
        }
        let end = start + max(count, minimumWidth)
        var value = magnitude
        for index in stride(from: end - 1, through: start, by: -1) {
            buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
        }
        return end
    }

    /// Appends `value`'s compact text (as `compact()` writes it).
    public func appendCompact(into out: inout [UInt8]) { writeCompact(into: &out) }

    /// A double as the reports write it.
    private static func format(_ number: Double) -> String {
        guard number.isFinite else { return "null" }
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return "\(number)"
    }

    /// `text` as a JSON string literal, quotes included.
    public static func quoted(_ text: String) -> String {
        var out: [UInt8] = []
        quote(text, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `text` as a JSON string literal: `"` and `\` escaped, control characters (and DEL) as `\n`,
    /// `\r`, `\t` or `\u00XX`; everything else as its UTF-8 bytes.
    public static func quote(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        escape(text, into: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// Appends the inside of `text`'s JSON string literal (no quotes).
    public static func escape(_ text: String, into out: inout [UInt8]) {
        var text = text
        text.withUTF8 { escape($0, into: &out) }
    }

    /// Appends the inside of a JSON string literal for UTF-8 `bytes` (no quotes), copying runs that need no
    /// escape whole.
    public static func escape(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var runStart = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            if index > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
            runStart = index + 1
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): out.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): out.append(contentsOf: #"\t"#.utf8)
            default:
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            }
        }
        if bytes.count > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
