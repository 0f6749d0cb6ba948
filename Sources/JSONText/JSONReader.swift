/// Reads JSON text in one pass, taking only the members a caller asks for and skipping the rest without building
/// them: for answers where a few fields matter among many (a watch event's status beside its whole spec).
///
/// Bounded: nesting deeper than `maxDepth` is an error, and every step moves forward, so a line of any shape is
/// read in time linear in its length. Strings are checked UTF-8 (bad sequences become U+FFFD, as `String` does),
/// and escapes, surrogate pairs included, are decoded.
public struct JSONReader {
    /// Why the text is not the JSON expected, and at which byte.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var offset: Int
        public var reason: String

        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// What the next value is.
    public enum Kind: Equatable {
        case object, array, string, number, bool, null
    }

    private let bytes: [UInt8]
    private var index: Int
    private let end: Int
    private let maxDepth: Int
    private var depth = 0

    public init<Bytes: Collection<UInt8>>(_ text: Bytes, maxDepth: Int = 64) {
        bytes = Array(text)
        index = 0
        end = bytes.count
        self.maxDepth = maxDepth
    }

    // MARK: Values

    /// The kind of the next value (after whitespace), without reading it.
    public mutating func peek() throws(Failure) -> Kind {
        skipWhitespace()
        guard index < end else { throw failure("the text ends where a value should start") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw failure("a value cannot start with \(Self.show(bytes[index]))")
        }
    }

    /// Reads an object, calling `member` with each key; `member` must read or skip the value.
    public mutating func object(_ member: (String, inout JSONReader) throws -> Void) throws {
        try open(UInt8(ascii: "{"), "an object")
        skipWhitespace()
        if index < end, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            guard index < end, bytes[index] == UInt8(ascii: "\"") else { throw failure("an object's key must be a string") }
            let key = try string()
            skipWhitespace()
            guard index < end, bytes[index] == UInt8(ascii: ":") else { throw failure("a key must be followed by ':'") }
            index += 1
            try member(key, &self)
            if try closes(UInt8(ascii: "}")) { return }
        }
    }

    /// Reads an array, calling `element` for each value; `element` must read or skip it.
    public mutating func array(_ element: (inout JSONReader) throws -> Void) throws {
        try open(UInt8(ascii: "["), "an array")
        skipWhitespace()
        if index < end, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return
        }
        while true {
            try element(&self)
            if try closes(UInt8(ascii: "]")) { return }
        }
    }

    /// Reads a string.
    public mutating func string() throws(Failure) -> String {
        skipWhitespace()
        guard index < end, bytes[index] == UInt8(ascii: "\"") else { throw failure("a string was expected") }
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: bytes[start..<index], as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw failure("a string holds the control character \(Self.show(byte))") }
            index += 1
        }
        var decoded = Array(bytes[start..<index])
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: decoded, as: UTF8.self)
            }
            guard byte >= 0x20 else { throw failure("a string holds the control character \(Self.show(byte))") }
            guard byte == UInt8(ascii: "\\") else {
                decoded.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < end else { break }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate must be followed by an escaped low one.
                    guard index + 1 < end, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw failure("a \\u escape holds an unpaired surrogate")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw failure("a \\u escape holds an unpaired surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw failure("a \\u escape holds an unpaired surrogate")
                }
                decoded.append(contentsOf: Array(String(Unicode.Scalar(scalar)!).utf8))
            default:
                throw failure("\\\(Self.show(escape)) is not a JSON escape")
            }
        }
        throw failure("a string is not closed")
    }

    /// Reads a string, or nil for `null` or a value of another kind (which is skipped).
    public mutating func optionalString() throws -> String? {
        if try peek() == .string { return try string() }
        try skip()
        return nil
    }

    /// Reads a whole number that fits 64 bits, or nil for `null` or a value of another kind (skipped), a
    /// fraction or an exponent included.
    public mutating func optionalInteger() throws -> Int64? {
        guard try peek() == .number else {
            try skip()
            return nil
        }
        let start = index
        try skipNumber()
        return Int64(String(decoding: bytes[start..<index], as: UTF8.self))
    }

    /// Reads a number's text as written (`-12.5e3`).
    public mutating func numberText() throws -> String {
        guard try peek() == .number else { throw failure("a number was expected") }
        let start = index
        try skipNumber()
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// Reads `true` or `false`.
    public mutating func bool() throws(Failure) -> Bool {
        guard try peek() == .bool else { throw failure("true or false was expected") }
        let isTrue = bytes[index] == UInt8(ascii: "t")
        try literal()
        return isTrue
    }

    /// Skips the next value, whatever it is, however deep (up to `maxDepth`).
    public mutating func skip() throws {
        switch try peek() {
        case .object: try object { _, reader in try reader.skip() }
        case .array: try array { reader in try reader.skip() }
        case .string: _ = try skipString()
        case .number: try skipNumber()
        case .bool, .null: try literal()
        }
    }

    /// Checks that nothing but whitespace follows.
    public mutating func finish() throws(Failure) {
        skipWhitespace()
        guard index == end else { throw failure("text follows the value") }
    }

    // MARK: Pieces

    private mutating func open(_ bracket: UInt8, _ what: String) throws(Failure) {
        skipWhitespace()
        guard index < end, bytes[index] == bracket else { throw failure("\(what) was expected") }
        guard depth < maxDepth else { throw failure("the JSON nests deeper than \(maxDepth) levels") }
        depth += 1
        index += 1
    }

    /// After a member or element: true at the closing bracket, false at a comma.
    private mutating func closes(_ bracket: UInt8) throws(Failure) -> Bool {
        skipWhitespace()
        guard index < end else { throw failure("the text ends inside \(bracket == UInt8(ascii: "}") ? "an object" : "an array")") }
        if bytes[index] == UInt8(ascii: ",") {
            index += 1
            return false
        }
        guard bytes[index] == bracket else { throw failure("',' or '\(Character(Unicode.Scalar(bracket)))' was expected") }
        index += 1
        depth -= 1
        return true
    }

    private mutating func skipString() throws(Failure) {
        index += 1
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return
            }
            guard byte >= 0x20 else { throw failure("a string holds the control character \(Self.show(byte))") }
            index += byte == UInt8(ascii: "\\") ? 2 : 1
        }
        throw failure("a string is not closed")
    }

    private mutating func skipNumber() throws(Failure) {
        func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        func digits() -> Int {
            let first = index
            while index < end, isDigit(bytes[index]) { index += 1 }
            return index - first
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        if index < end, bytes[index] == UInt8(ascii: "0") {
            index += 1
            guard index == end || !isDigit(bytes[index]) else { throw failure("a number has a leading zero") }
        } else {
            guard digits() > 0 else { throw failure("a number has no digits") }
        }
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw failure("a number's fraction has no digits") }
        }
        if index < end, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw failure("a number's exponent has no digits") }
        }
    }

    private mutating func literal() throws(Failure) {
        for word in ["true", "false", "null"] {
            let utf8 = Array(word.utf8)
            if index + utf8.count <= end, bytes[index..<(index + utf8.count)].elementsEqual(utf8) {
                index += utf8.count
                return
            }
        }
        throw failure("true, false or null was expected")
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= end else { throw failure("a \\u escape needs four hex digits") }
        var value: UInt32 = 0
        for byte in bytes[index..<(index + 4)] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("a \\u escape needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
        }
        index += 4
        return value
    }

    private mutating func skipWhitespace() {
        while index < end {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func failure(_ reason: String) -> Failure {
        Failure(offset: index, reason: reason)
    }

    private static func show(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x" + String(byte, radix: 16)
    }
}
