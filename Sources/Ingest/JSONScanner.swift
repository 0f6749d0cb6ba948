/// A small JSON reader over bytes, for the two JSON shapes in logs (zap's fields of YuniKorn 1.3/1.4
/// and Fluent Bit records). It reads one value and reports where it ended; strings are unescaped.
enum JSONValue: Equatable {
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case null
    case object([(String, JSONValue)])
    case array([JSONValue])

    static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)): return a == b
        case let (.integer(a), .integer(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case (.null, .null): return true
        case let (.object(a), .object(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.array(a), .array(b)): return a == b
        default: return false
        }
    }

    subscript(key: String) -> JSONValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first(where: { $0.0 == key })?.1
    }
}

struct JSONScanner {
    struct Failure: Error {
        var reason: String
    }

    let bytes: Bytes
    var position: Int

    init(_ bytes: Bytes, at position: Int) {
        self.bytes = bytes
        self.position = position
    }

    mutating func skipSpace() {
        while true {
            let c = bytes.byte(position)
            guard c == 32 || c == 9 || c == 10 || c == 13 else { return }
            position += 1
        }
    }

    mutating func value(depth: Int = 0) throws -> JSONValue {
        guard depth < 32 else { throw Failure(reason: "JSON nested too deeply") }
        skipSpace()
        guard position < bytes.count else { throw Failure(reason: "JSON ends early") }
        switch bytes.byte(position) {
        case 123: return try object(depth: depth)
        case 91:
            position += 1
            var items: [JSONValue] = []
            skipSpace()
            if bytes.byte(position) == 93 { position += 1; return .array(items) }
            while true {
                items.append(try value(depth: depth + 1))
                skipSpace()
                let c = bytes.byte(position)
                position += 1
                if c == 93 { return .array(items) }
                guard c == 44 else { throw Failure(reason: "expected , or ] in a JSON list") }
            }
        case 34: return .string(try string())
        case 116: return try literal(Self.trueWord, .bool(true))
        case 102: return try literal(Self.falseWord, .bool(false))
        case 110: return try literal(Self.nullWord, .null)
        default: return try number()
        }
    }

    /// Moves past one value, accepting exactly what `value(depth:)` accepts, without building it.
    mutating func skipValue(depth: Int) -> Bool {
        guard depth < 32 else { return false }
        skipSpace()
        guard position < bytes.count else { return false }
        switch bytes.base[position] {
        case 123:
            position += 1
            skipSpace()
            if bytes.byte(position) == 125 { position += 1; return true }
            while true {
                skipSpace()
                guard bytes.byte(position) == 34, case .ok = skipString() else { return false }
                skipSpace()
                guard bytes.byte(position) == 58 else { return false }
                position += 1
                guard skipValue(depth: depth + 1) else { return false }
                guard skipSeparator(closing: 125) else { return false }
                if bytes.byte(position - 1) == 125 { return true }
            }
        case 91:
            position += 1
            skipSpace()
            if bytes.byte(position) == 93 { position += 1; return true }
            while true {
                guard skipValue(depth: depth + 1), skipSeparator(closing: 93) else { return false }
                if bytes.byte(position - 1) == 93 { return true }
            }
        case 34:
            if case .ok = skipString() { return true }
            return false
        case 116: return skipLiteral(Self.trueWord)
        case 102: return skipLiteral(Self.falseWord)
        case 110: return skipLiteral(Self.nullWord)
        default:
            let token = numberToken()
            return !token.isEmpty && (bytes.integer(token) != nil || Double(bytes.string(token)) != nil)
        }
    }

    /// Moves past the `,` or the closing bracket after a member; false for anything else.
    mutating func skipSeparator(closing: UInt8) -> Bool {
        skipSpace()
        let c = bytes.byte(position)
        position += 1
        return c == closing || c == 44
    }

    /// Where a Fluent Bit record's first top-level `log` member is.
    enum LogMember {
        case absent
        case string(Range<Int>, escaped: Bool)
        case other
    }

    /// Reads the object at `position` as `value()` would (so the same records count as malformed),
    /// but decodes nothing: only the `log` string is worth decoding, and the caller does that.
    mutating func recordLogMember() -> LogMember? {
        guard bytes.byte(position) == 123 else { return nil }
        position += 1
        var log = LogMember.absent
        skipSpace()
        if bytes.byte(position) == 125 { position += 1; return log }
        while true {
            skipSpace()
            guard bytes.byte(position) == 34 else { return nil }
            let keyStart = position + 1
            guard case .ok(let keyEscaped) = skipString() else { return nil }
            var isLog = false
            // `record["log"]` meant the first such member; later ones are only checked.
            if case .absent = log { isLog = Self.isLogKey(bytes, keyStart..<(position - 1), escaped: keyEscaped) }
            skipSpace()
            guard bytes.byte(position) == 58 else { return nil }
            position += 1
            if isLog {
                skipSpace()
                if bytes.byte(position) == 34 {
                    let start = position + 1
                    guard case .ok(let escaped) = skipString() else { return nil }
                    log = .string(start..<(position - 1), escaped: escaped)
                } else {
                    guard skipValue(depth: 1) else { return nil }
                    log = .other
                }
            } else {
                guard skipValue(depth: 1) else { return nil }
            }
            guard skipSeparator(closing: 125) else { return nil }
            if bytes.byte(position - 1) == 125 { return log }
        }
    }

    static let logName = Array("log".utf8)

    static func isLogKey(_ bytes: Bytes, _ raw: Range<Int>, escaped: Bool) -> Bool {
        guard escaped else { return bytes.hasPrefix(logName, at: raw.lowerBound) && raw.count == logName.count }
        return withUnescaped(bytes, raw) { $0.elementsEqual(logName) }
    }

    mutating func object(depth: Int) throws -> JSONValue {
        position += 1
        var pairs: [(String, JSONValue)] = []
        skipSpace()
        if bytes.byte(position) == 125 { position += 1; return .object(pairs) }
        while true {
            skipSpace()
            guard bytes.byte(position) == 34 else { throw Failure(reason: "expected a quoted key in a JSON object") }
            let key = try string()
            skipSpace()
            guard bytes.byte(position) == 58 else { throw Failure(reason: "expected : after JSON key \"\(key)\"") }
            position += 1
            pairs.append((key, try value(depth: depth + 1)))
            skipSpace()
            let c = bytes.byte(position)
            position += 1
            if c == 125 { return .object(pairs) }
            guard c == 44 else { throw Failure(reason: "expected , or } in a JSON object") }
        }
    }

    mutating func literal(_ word: [UInt8], _ result: JSONValue) throws -> JSONValue {
        guard skipLiteral(word) else { throw Failure(reason: "bad JSON literal") }
        return result
    }

    mutating func skipLiteral(_ word: [UInt8]) -> Bool {
        guard bytes.hasPrefix(word, at: position) else { return false }
        position += word.count
        return true
    }

    static let trueWord = Array("true".utf8), falseWord = Array("false".utf8), nullWord = Array("null".utf8)

    /// The characters a number may hold, consumed; what they mean is for the caller to judge.
    mutating func numberToken() -> Range<Int> {
        let start = position
        while true {
            let c = bytes.byte(position)
            guard (c >= 48 && c <= 57) || c == 45 || c == 43 || c == 46 || c == 101 || c == 69 else { break }
            position += 1
        }
        return start..<position
    }

    mutating func number() throws -> JSONValue {
        let token = numberToken()
        guard !token.isEmpty else { throw Failure(reason: "unexpected character in JSON") }
        if let integer = bytes.integer(token) { return .integer(integer) }
        guard let double = Double(bytes.string(token)) else { throw Failure(reason: "bad JSON number") }
        return .number(double)
    }

    mutating func string() throws -> String {
        let start = position + 1
        let escaped: Bool
        switch skipString() {
        case .ok(let hadEscape): escaped = hadEscape
        case .failed(let reason): throw Failure(reason: reason)
        }
        let raw = start..<(position - 1)
        guard escaped else { return bytes.string(raw) }
        return Self.withUnescaped(bytes, raw) { String(decoding: $0, as: UTF8.self) }
    }

    enum StringScan {
        case ok(hadEscape: Bool)
        case failed(String)
    }

    /// Moves past the string at `position` (its opening quote), checking its escapes without decoding
    /// them, so records can be validated and only the fields that matter decoded.
    mutating func skipString() -> StringScan {
        position += 1
        var hadEscape = false
        while let next = bytes.firstIndex(of: 34, 92, 92, from: position, through: bytes.count - 1) {
            position = next + 1
            if bytes.base[next] == 34 { return .ok(hadEscape: hadEscape) }
            hadEscape = true
            let e = bytes.byte(position)
            position += 1
            switch e {
            case 34, 92, 47, 98, 102, 110, 114, 116: break
            case 117:
                // A surrogate pair is two escapes, each checked on its own: validity is the same either way.
                guard hex4(position) != nil else { return .failed("bad \\u escape in a JSON string") }
                position += 4
            default: return .failed("bad escape in a JSON string")
            }
        }
        return .failed("JSON string not closed (truncated line?)")
    }

    /// The bytes a string's contents (`raw`, between the quotes, already checked by `skipString`) stand for.
    /// Escapes only shrink text, so a buffer of `raw.count` bytes holds the result.
    static func withUnescaped<Result>(_ bytes: Bytes, _ raw: Range<Int>,
                                      _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(raw.count, 1)) { buffer in
            let count = unescape(bytes, raw, into: buffer)
            return try body(UnsafeBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// Writes the unescaped contents of `raw` into `out` (at least `raw.count` bytes) and returns the length.
    static func unescape(_ bytes: Bytes, _ raw: Range<Int>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var count = 0
        var index = raw.lowerBound
        @inline(__always) func put(_ byte: UInt8) {
            // Unreachable for text skipString accepted; it keeps an unchecked string from writing past the end.
            guard count < out.count else { return }
            out[count] = byte
            count += 1
        }
        while index < raw.upperBound {
            // Copy the run up to the next escape in one go.
            let escape = bytes.firstIndex(of: 92, from: index, through: raw.upperBound - 1) ?? raw.upperBound
            let run = min(escape - index, out.count - count)
            if run > 0, let source = bytes.base.baseAddress, let target = out.baseAddress {
                (target + count).update(from: source + index, count: run)
                count += run
            }
            guard escape < raw.upperBound else { break }
            index = escape
            let e = bytes.byte(index + 1)
            index += 2
            switch e {
            case 98: put(8)
            case 102: put(12)
            case 110: put(10)
            case 114: put(13)
            case 116: put(9)
            case 117:
                let unit = hex4(bytes, index) ?? 0xFFFD
                index += 4
                var scalarValue = UInt32(unit)
                if unit >= 0xD800 && unit < 0xDC00, bytes.byte(index) == 92, bytes.byte(index + 1) == 117,
                   let low = hex4(bytes, index + 2), low >= 0xDC00 && low < 0xE000 {
                    scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    index += 6
                }
                for byte in (Unicode.Scalar(scalarValue) ?? "\u{FFFD}").utf8 { put(byte) }
            default: put(e)  // \" \\ \/ stand for themselves
            }
        }
        return count
    }

    func hex4(_ at: Int) -> UInt16? { Self.hex4(bytes, at) }

    static func hex4(_ bytes: Bytes, _ at: Int) -> UInt16? {
        guard at >= 0, at + 4 <= bytes.count else { return nil }
        return UInt16(bytes.string(at..<(at + 4)), radix: 16)
    }
}

/// YuniKorn 1.3 / 1.4: `YK_APP_SUMMARY:` TAB `{"appID": …, "submissionTime": …, "resourceUsage": {inst: {res: n}}, …}`.
enum YuniKornJSONSummary {
    static func parse(_ line: Bytes, objectStart: Int) -> LineOutcome {
        var scanner = JSONScanner(line, at: objectStart)
        let object: JSONValue
        do { object = try scanner.value() } catch let failure as JSONScanner.Failure {
            return .rejected("summary JSON: \(failure.reason)")
        } catch { return .rejected("summary JSON: \(error)") }
        func text(_ key: String) -> String? { if case .string(let value)? = object[key] { return value } else { return nil } }
        /// A timestamp, or why there is none.
        func time(_ key: String) -> (Int64?, String) {
            switch object[key] {
            case .integer(let value)?: return (value, "")
            case nil: return (nil, "no \(key) field")
            case let other?: return (nil, "\(key) is not a whole number: \(other)")
            }
        }
        // The stale documentation example spells it appId; real zap output has appID.
        guard let appID = text("appID") ?? text("appId") else { return .rejected("no appID field") }
        var times: [Int64] = []
        for key in ["submissionTime", "startTime", "finishTime"] {
            let (value, reason) = time(key)
            guard let value else { return .rejected(reason) }
            times.append(value)
        }
        var maps: [[String: Int64]] = []
        for key in ["resourceUsage", "preemptedResource", "placeHolderResource"] {
            var totals = UsageTotals()
            switch object[key] {
            case nil, .null?: break
            case .object(let instances)?:
                for (_, resources) in instances {
                    guard case .object(let entries) = resources else { return .rejected("\(key) is not {instance: {resource: n}}") }
                    for (resource, amount) in entries {
                        guard case .integer(let value) = amount else { return .rejected("\(key).\(resource) is not a whole number") }
                        if let problem = totals.add(resource, value) { return .rejected("\(key): \(problem)") }
                    }
                }
            default: return .rejected("\(key) is not an object")
            }
            maps.append(totals.amounts)
        }
        return finished(AppSummary(
            format: .yunikornJSON, applicationID: appID, rmID: text("rmID") ?? "",
            submissionTime: times[0], startTime: times[1], finishTime: times[2],
            user: text("user") ?? "", queue: text("queue") ?? "", state: text("state") ?? "",
            usage: maps[0], preempted: maps[1], placeholder: maps[2]))
    }
}

/// Fluent Bit's JSON output: one record per line whose `log` field holds the original line.
enum FluentBitRecord {
    static func parse(_ line: Bytes, objectStart: Int) -> LineOutcome {
        var scanner = JSONScanner(line, at: objectStart)
        guard case .string(let raw, let escaped)? = scanner.recordLogMember() else {
            // A JSON line that is not a Fluent Bit record with a log field is simply not a summary.
            return line.find(SummaryLine.ykMarker) == nil ? .skipped : .rejected("truncated Fluent Bit record")
        }
        guard escaped else { return parseInner(UnsafeBufferPointer(rebasing: line.base[raw])) }
        return JSONScanner.withUnescaped(line, raw) { parseInner($0) }
    }

    /// The original line, with the newline the shipper kept removed.
    static func parseInner(_ text: UnsafeBufferPointer<UInt8>) -> LineOutcome {
        guard Bytes(text).isASCII else {
            // Non-ASCII text went through a String before (repairing invalid UTF-8, trimming by
            // Character); the rare such record keeps exactly that path.
            var inner = String(decoding: text, as: UTF8.self)
            while inner.last == "\n" || inner.last == "\r" { inner.removeLast() }
            return inner.withUTF8 { SummaryLine.parse(Bytes($0), unwrapped: true) }
        }
        // As Characters, "\r\n" is one and neither "\n" nor "\r", so a CR LF ending stays.
        var end = text.count
        while end > 0, text[end - 1] == 13 || (text[end - 1] == 10 && (end < 2 || text[end - 2] != 13)) { end -= 1 }
        return SummaryLine.parse(Bytes(UnsafeBufferPointer(rebasing: text[0..<end])), unwrapped: true)
    }
}
