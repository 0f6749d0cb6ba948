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
        case 116: return try literal("true", .bool(true))
        case 102: return try literal("false", .bool(false))
        case 110: return try literal("null", .null)
        default: return try number()
        }
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

    mutating func literal(_ word: String, _ result: JSONValue) throws -> JSONValue {
        guard bytes.hasPrefix(Array(word.utf8), at: position) else { throw Failure(reason: "bad JSON literal") }
        position += word.utf8.count
        return result
    }

    mutating func number() throws -> JSONValue {
        let start = position
        while true {
            let c = bytes.byte(position)
            guard (c >= 48 && c <= 57) || c == 45 || c == 43 || c == 46 || c == 101 || c == 69 else { break }
            position += 1
        }
        guard position > start else { throw Failure(reason: "unexpected character in JSON") }
        if let integer = bytes.integer(start..<position) { return .integer(integer) }
        guard let double = Double(bytes.string(start..<position)) else { throw Failure(reason: "bad JSON number") }
        return .number(double)
    }

    mutating func string() throws -> String {
        position += 1
        let start = position
        // Fast path: no escapes.
        while position < bytes.count {
            let c = bytes.base[position]
            if c == 34 {
                defer { position += 1 }
                return bytes.string(start..<position)
            }
            if c == 92 { break }
            position += 1
        }
        var out = Array(bytes.base[start..<min(position, bytes.count)])
        while position < bytes.count {
            let c = bytes.base[position]
            if c == 34 {
                position += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c == 92 {
                let e = bytes.byte(position + 1)
                position += 2
                switch e {
                case 34: out.append(34)
                case 92: out.append(92)
                case 47: out.append(47)
                case 98: out.append(8)
                case 102: out.append(12)
                case 110: out.append(10)
                case 114: out.append(13)
                case 116: out.append(9)
                case 117:
                    guard let unit = hex4(position) else { throw Failure(reason: "bad \\u escape in a JSON string") }
                    position += 4
                    var scalarValue = UInt32(unit)
                    if unit >= 0xD800 && unit < 0xDC00, bytes.byte(position) == 92, bytes.byte(position + 1) == 117,
                       let low = hex4(position + 2), low >= 0xDC00 && low < 0xE000 {
                        scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                        position += 6
                    }
                    let scalar = Unicode.Scalar(scalarValue) ?? "\u{FFFD}"
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: throw Failure(reason: "bad escape in a JSON string")
                }
                continue
            }
            out.append(c)
            position += 1
        }
        throw Failure(reason: "JSON string not closed (truncated line?)")
    }

    func hex4(_ at: Int) -> UInt16? {
        guard at + 4 <= bytes.count else { return nil }
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
        guard let record = try? scanner.value(), case .string(var inner)? = record["log"] else {
            // A JSON line that is not a Fluent Bit record with a log field is simply not a summary.
            return line.find(SummaryLine.ykMarker) == nil ? .skipped : .rejected("truncated Fluent Bit record")
        }
        while inner.last == "\n" || inner.last == "\r" { inner.removeLast() }
        return inner.withUTF8 { SummaryLine.parse(Bytes($0), unwrapped: true) }
    }
}
