import Foundation

/// YuniKorn's name patterns (`configvalidator.go`, `security/acl.go`), matched by hand: they are
/// ASCII character classes, and a hand-written check is both exact and fast on large configs.
enum Names {
    private static func isLetter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    /// `^[_a-zA-Z][a-zA-Z0-9:#/_.@-]*[$]?$`
    static func isUser(_ name: String) -> Bool {
        matches(name, first: { isLetter($0) || $0 == 95 }, rest: { isLetter($0) || isDigit($0) || ":#/_.@-".utf8.contains($0) },
                optionalDollar: true)
    }

    /// `^[_a-zA-Z][a-zA-Z0-9:_.-]*$`
    static func isGroup(_ name: String) -> Bool {
        matches(name, first: { isLetter($0) || $0 == 95 }, rest: { isLetter($0) || isDigit($0) || ":_.-".utf8.contains($0) },
                optionalDollar: false)
    }

    /// The scheduler's ACL user pattern `^[_a-zA-Z][a-zA-Z0-9_.@-]*[$]?$`.
    static func isACLUser(_ name: String) -> Bool {
        matches(name, first: { isLetter($0) || $0 == 95 }, rest: { isLetter($0) || isDigit($0) || "_.@-".utf8.contains($0) },
                optionalDollar: true)
    }

    /// The scheduler's ACL group pattern `^[_a-zA-Z][a-zA-Z0-9_-]*$`.
    static func isACLGroup(_ name: String) -> Bool {
        matches(name, first: { isLetter($0) || $0 == 95 }, rest: { isLetter($0) || isDigit($0) || "_-".utf8.contains($0) },
                optionalDollar: false)
    }

    /// True for the common, unremarkable ACL: `users groups` with one space, every name valid for
    /// the scheduler (or `*`). Anything else takes the full check.
    static func isPlainACL(_ acl: String) -> Bool {
        var spaces = 0
        for c in acl.utf8 {
            if c == 32 { spaces += 1 } else if c < 33 || c >= 0x80 { return false }
        }
        guard spaces <= 1, acl.utf8.first != 32, acl.utf8.last != 32 else { return false }
        let parts = acl.split(separator: " ")
        for user in parts[0].split(separator: ",") where user != "*" && !isACLUser(String(user)) { return false }
        if parts.count > 1 {
            for group in parts[1].split(separator: ",") where group != "*" && !isACLGroup(String(group)) { return false }
        }
        return true
    }

    /// `^[_a-zA-Z][a-zA-Z0-9_]*$`
    static func isRuleName(_ name: String) -> Bool {
        matches(name, first: { isLetter($0) || $0 == 95 }, rest: { isLetter($0) || isDigit($0) || $0 == 95 },
                optionalDollar: false)
    }

    private static func matches(_ name: String, first: (UInt8) -> Bool, rest: (UInt8) -> Bool,
                                optionalDollar: Bool) -> Bool {
        var bytes = Array(name.utf8)
        // Go's `$` also matches before a final newline? No: without (?m) it matches only at the end.
        if optionalDollar, bytes.count > 1, bytes.last == 36 { bytes.removeLast() }
        guard let head = bytes.first, first(head) else { return false }
        return bytes.dropFirst().allSatisfy(rest)
    }

    /// `[\^$*+?()\[{}|]`: what makes a single filter entry a regular expression rather than a name.
    static func hasRegexpSpecial(_ text: String) -> Bool {
        text.utf8.contains { "^$*+?()[{}|".utf8.contains($0) }
    }

    /// Whether Go's RE2 `regexp.Compile` accepts the pattern. ICU accepts a superset of RE2, so
    /// the constructs RE2 refuses (look-around, back-references, possessive and atomic groups)
    /// are refused first.
    static func isGoRegexp(_ pattern: String) -> Bool {
        let refusedByRE2 = ["(?=", "(?!", "(?<=", "(?<!", "(?>", "*+", "++", "?+", "}+"]
        if refusedByRE2.contains(where: { pattern.contains($0) }) { return false }
        if pattern.range(of: #"\\[1-9]"#, options: .regularExpression) != nil { return false }
        return (try? NSRegularExpression(pattern: pattern)) != nil
    }
}

/// Advice on fixing a quantity YuniKorn refuses.
enum QuantityAdvice {
    static func hint(_ text: String, resource: String) -> String {
        let trimmed = String(Quantity.trimmedGoSpace(text))
        if trimmed.isEmpty { return "give a number such as 4 or 16Gi" }
        if trimmed.hasPrefix("-") { return "quantities cannot be negative" }
        if trimmed.hasPrefix("+") { return "drop the + sign" }
        let digits = trimmed.prefix(while: { $0.isASCII && $0.isNumber })
        let suffix = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        if digits.isEmpty { return "a quantity is digits with an optional suffix such as k, M, G, Ki, Mi, Gi" }
        if suffix.hasPrefix(".") || suffix.hasPrefix("e") || suffix.hasPrefix("E") && suffix.count > 2 {
            return resource == Quantity.vcore ? "whole numbers only: write millicores, e.g. 1500m"
                : "whole numbers only: use a smaller unit, e.g. 1536Mi instead of 1.5Gi"
        }
        if suffix.hasSuffix("B") || suffix.hasSuffix("b") {
            let unit = suffix.dropLast().replacingOccurrences(of: "i", with: "")
            return "drop the B: write \(digits)\(unit.uppercased() == "K" ? "k" : unit.uppercased()) or \(digits)\(unit.uppercased())i"
        }
        if suffix == "m" { return "the m (milli) suffix is only allowed on vcore" }
        if suffix == "K" { return "kilo is a lower-case k (or Ki for 1024)" }
        if suffix.count == 2, suffix.hasSuffix("i") { return "binary suffixes are Ki, Mi, Gi, Ti, Pi, Ei" }
        if digits.count >= 19 { return "the value overflows a 64-bit integer" }
        return "use digits with one of the suffixes k M G T P E Ki Mi Gi Ti Pi Ei" + (resource == Quantity.vcore ? " or m" : "")
    }
}

/// The queue properties the scheduler reads, and whether a value is one it accepts
/// (`objects/queue.go`); a bad value is ignored at DEBUG level and the default kept.
enum Properties {
    static func problem(key: String, value: String) -> String? {
        switch key {
        case "application.sort.policy":
            return ["fifo", "fair", "stateaware"].contains(value.lowercased()) ? nil : "\"\(value)\" is not fifo or fair"
        case "application.sort.priority":
            return ["enabled", "disabled"].contains(value.lowercased()) ? nil : "\"\(value)\" is not enabled or disabled"
        case "priority.policy":
            return ["default", "fence"].contains(value.lowercased()) ? nil : "\"\(value)\" is not default or fence"
        case "priority.offset":
            return Int32(value) != nil ? nil : "\"\(value)\" is not a 32-bit integer"
        case "preemption.policy":
            return ["default", "fence", "disabled"].contains(value.lowercased()) ? nil : "\"\(value)\" is not default, fence or disabled"
        case "preemption.delay", "quota.preemption.delay", "application.unschedasks.backoff.delay":
            return GoDuration.seconds(value).map { $0 > 0 ? nil : "\"\(value)\" must be above 0" } ?? "\"\(value)\" is not a duration such as 30s or 5m"
        case "application.unschedasks.backoff":
            return UInt64(value) != nil ? nil : "\"\(value)\" is not a whole number"
        default:
            return nil
        }
    }
}

/// Go's `time.ParseDuration` (e.g. `1h30m`, `500ms`), in seconds.
enum GoDuration {
    static func seconds(_ text: String) -> Double? {
        var rest = Substring(text)
        var sign = 1.0
        if rest.hasPrefix("-") || rest.hasPrefix("+") {
            sign = rest.hasPrefix("-") ? -1 : 1
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("μs", 1e-6), ("ms", 1e-3),
                                         ("s", 1), ("m", 60), ("h", 3600)]
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix(while: { $0.isASCII && ($0.isNumber || $0 == ".") })
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) && !(($0.0 == "m") && rest.hasPrefix("ms")) }) else {
                return nil
            }
            total += value * unit.1
            rest = rest.dropFirst(unit.0.count)
        }
        return sign * total
    }
}

/// YuniKorn's queue-name rule (`configs.QueueNameRegExp`, `^[a-zA-Z0-9_:#/@-]{1,64}$`): the one copy the
/// validator, the allocator and the router share.
public enum QueueName {
    /// Whether `name` is one valid level of a queue path.
    public static func isValid<S: StringProtocol>(_ name: S) -> Bool {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= 64 else { return false }
        return bytes.allSatisfy(isValidByte)
    }

    /// Whether a byte may appear in a queue name.
    @inline(__always) public static func isValidByte(_ c: UInt8) -> Bool {
        switch c {
        case 48...57, 65...90, 97...122, 95, 58, 35, 47, 64, 45: true
        default: false
        }
    }

    /// `text` made into a valid queue name: each byte outside the rule becomes `_`, and it is cut to 64
    /// (an empty text becomes `_`).
    public static func sanitized(_ text: String) -> String {
        var bytes = text.utf8.map { isValidByte($0) ? $0 : 0x5F }
        if bytes.isEmpty { bytes = [0x5F] }
        return String(decoding: bytes.prefix(64), as: UTF8.self)
    }
}
