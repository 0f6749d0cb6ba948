internal import Yams

/// The type YAML 1.1 resolution gives a plain scalar, exactly as Yams' `Resolver.default` decides it (its rules
/// in its order: bool, int, float, merge, null; timestamps and `=` read as text like any other string), without regular expressions: the fast path
/// reads thousands of scalars per definition. A differential test holds it to Yams on many texts.
enum PlainScalars {
    /// The types resolution gives, as a small enum: a `Tag.Name` is compared as text, once per scalar.
    enum ScalarType { case bool, int, float, merge, null, str }

    static func tag(_ text: String) -> Tag.Name {
        switch type(text) {
        case .bool: return .bool
        case .int: return .int
        case .float: return .float
        case .merge: return .merge
        case .null: return .null
        case .str: return .str
        }
    }

    static func type(_ text: String) -> ScalarType {
        var copy = text
        return copy.withUTF8 { type($0) }
    }

    static func tag(_ s: UnsafeBufferPointer<UInt8>) -> Tag.Name {
        tag(String(decoding: s, as: UTF8.self))
    }

    static func type(_ s: UnsafeBufferPointer<UInt8>) -> ScalarType {
        if isBool(s) { return .bool }
        if isInt(s) { return .int }
        if isFloat(s) { return .float }
        if s.count == 2 && s[0] == 0x3C && s[1] == 0x3C { return .merge }
        if isNull(s) { return .null }
        // Timestamps and `=` (Yams' last two rules) are read as text, as everything else is.
        return .str
    }

    private static let bools: Set<String> = ["yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
                                             "on", "On", "ON", "off", "Off", "OFF"]

    private static func isBool(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        guard (2...5).contains(s.count) else { return false }
        // Every spelling starts with one of these letters: most scalars are decided without hashing.
        switch s[0] {
        case 0x79, 0x59, 0x6E, 0x4E, 0x74, 0x54, 0x66, 0x46, 0x6F, 0x4F: break
        default: return false
        }
        return bools.contains(String(decoding: s, as: UTF8.self))
    }

    private static func isNull(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        switch s.count {
        case 0: return true
        case 1: return s[0] == 0x7E
        case 4:
            let text = String(decoding: s, as: UTF8.self)
            return text == "null" || text == "Null" || text == "NULL"
        default: return false
        }
    }

    @inline(__always) private static func digit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// Index after an optional sign.
    @inline(__always) private static func afterSign(_ s: UnsafeBufferPointer<UInt8>) -> Int {
        s.count > 0 && (s[0] == 0x2B || s[0] == 0x2D) ? 1 : 0
    }

    /// Whether s[from...] is one or more bytes all satisfying `allowed`.
    @inline(__always) private static func all(_ s: UnsafeBufferPointer<UInt8>, from: Int, _ allowed: (UInt8) -> Bool) -> Bool {
        guard from < s.count else { return false }
        for i in from..<s.count where !allowed(s[i]) { return false }
        return true
    }

    /// `(?::[0-5]?[0-9])+` from `i` to the end.
    private static func sexagesimalTail(_ s: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        var i = start, groups = 0
        while i < s.count {
            guard s[i] == 0x3A else { return false }
            i += 1
            guard i < s.count, digit(s[i]) else { return false }
            if i + 1 < s.count, digit(s[i + 1]) {
                guard s[i] <= 0x35 else { return false }
                i += 2
            } else {
                i += 1
            }
            groups += 1
        }
        return groups > 0
    }

    private static func isInt(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        let i = afterSign(s)
        guard i < s.count else { return false }
        // 0b[0-1_]+
        if s[i] == 0x30, i + 1 < s.count, s[i + 1] == 0x62 {
            return all(s, from: i + 2) { $0 == 0x30 || $0 == 0x31 || $0 == 0x5F }
        }
        // 0x[0-9a-fA-F_]+
        if s[i] == 0x30, i + 1 < s.count, s[i + 1] == 0x78 {
            return all(s, from: i + 2) { digit($0) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) || $0 == 0x5F }
        }
        // 0o?[0-7_]+
        if s[i] == 0x30, i + 1 < s.count {
            let start = s[i + 1] == 0x6F ? i + 2 : i + 1
            if all(s, from: start, { ($0 >= 0x30 && $0 <= 0x37) || $0 == 0x5F }) { return true }
        }
        // 0 | [1-9][0-9_]*
        if s[i] == 0x30 && i + 1 == s.count { return true }
        guard s[i] >= 0x31 && s[i] <= 0x39 else { return false }
        var j = i + 1
        while j < s.count, digit(s[j]) || s[j] == 0x5F { j += 1 }
        if j == s.count { return true }
        // [1-9][0-9_]*(?::[0-5]?[0-9])+
        return sexagesimalTail(s, from: j)
    }

    private static func isFloat(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        let i = afterSign(s)
        guard i < s.count else { return false }
        if s[i] == 0x2E {
            let rest = String(decoding: UnsafeBufferPointer(rebasing: s[(i + 1)...]), as: UTF8.self)
            if rest == "inf" || rest == "Inf" || rest == "INF" { return true }
            if i == 0 && (rest == "nan" || rest == "NaN" || rest == "NAN") { return true }
            // \.[0-9_]+(?:[eE][-+][0-9]+)?  (no sign allowed)
            guard i == 0 else { return false }
            var j = 1
            while j < s.count, digit(s[j]) || s[j] == 0x5F { j += 1 }
            guard j > 1 else { return false }
            if j == s.count { return true }
            guard s[j] == 0x65 || s[j] == 0x45, j + 1 < s.count, s[j + 1] == 0x2B || s[j + 1] == 0x2D else { return false }
            return all(s, from: j + 2, digit)
        }
        guard digit(s[i]) else { return false }
        var j = i + 1
        while j < s.count, digit(s[j]) || s[j] == 0x5F { j += 1 }
        // [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
        if j < s.count, s[j] == 0x3A {
            guard let dot = (j..<s.count).first(where: { s[$0] == 0x2E }) else { return false }
            guard sexagesimalTail(UnsafeBufferPointer(rebasing: s[..<dot]), from: j) else { return false }
            return (dot + 1..<s.count).allSatisfy { digit(s[$0]) || s[$0] == 0x5F }
        }
        // (?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
        if j < s.count, s[j] == 0x2E {
            j += 1
            while j < s.count, digit(s[j]) || s[j] == 0x5F { j += 1 }
        }
        if j == s.count { return true }
        guard s[j] == 0x65 || s[j] == 0x45 else { return false }
        j += 1
        if j < s.count, s[j] == 0x2B || s[j] == 0x2D { j += 1 }
        return all(s, from: j, digit)
    }
}
