/// YARN ResourceManager `ApplicationSummary` (`RMAppManager.ApplicationSummary`): comma-separated
/// `key=value` pairs with `\` escaping `,`, `=` and `\`. Memory is in MB·s and vcores in vcore·s;
/// they are converted to YuniKorn's byte·s and millicore·s.
enum YARNSummary {
    /// The keys a summary keeps; a line has two dozen, and only these are ever decoded.
    enum Field: Int, CaseIterable {
        case appId, user, queue, state, submitTime, startTime, finishTime, memorySeconds, vcoreSeconds,
             preemptedMemorySeconds, preemptedVcoreSeconds, resourceSeconds

        static let texts = ["appId", "user", "queue", "state", "submitTime", "startTime", "finishTime", "memorySeconds",
                            "vcoreSeconds", "preemptedMemorySeconds", "preemptedVcoreSeconds", "resourceSeconds"]
        static let names: [[UInt8]] = texts.map { Array($0.utf8) }
        var name: String { Self.texts[rawValue] }

        /// The field a key names; length and first letter pick the one candidate to compare.
        static func named(_ key: UnsafeBufferPointer<UInt8>) -> Field? {
            let candidate: Field
            switch (key.count, key.first ?? 0) {
            case (4, 117): candidate = .user
            case (5, 97): candidate = .appId
            case (5, 113): candidate = .queue
            case (5, 115): candidate = .state
            case (9, 115): candidate = .startTime
            case (10, 115): candidate = .submitTime
            case (10, 102): candidate = .finishTime
            case (12, 118): candidate = .vcoreSeconds
            case (13, 109): candidate = .memorySeconds
            case (15, 114): candidate = .resourceSeconds
            case (21, 112): candidate = .preemptedVcoreSeconds
            case (22, 112): candidate = .preemptedMemorySeconds
            default: return nil
            }
            return Bytes(key).hasPrefix(names[candidate.rawValue], at: 0) ? candidate : nil
        }
    }

    /// Where a kept field's raw value is; it is unescaped only if it had a `\`.
    struct Slot {
        var value: Range<Int>
        var escaped: Bool
        var present: Bool

        static let absent = Slot(value: 0..<0, escaped: false, present: false)
    }

    static func parse(_ line: Bytes, start: Int) -> LineOutcome {
        withUnsafeTemporaryAllocation(of: Slot.self, capacity: Field.allCases.count) { slots in
            slots.initialize(repeating: .absent)
            scan(line, from: start, into: slots)
            return summary(Fields(line: line, slots: slots))
        }
    }

    /// Splits `key=value,…` as the escaping rules say (a `\` takes the next byte literally, `\n` is a
    /// newline, a `\` ending the line is itself) and records the kept keys; a later duplicate wins.
    static func scan(_ line: Bytes, from start: Int, into slots: UnsafeMutableBufferPointer<Slot>) {
        let count = line.count
        var pairStart = start, equals = -1
        var keyEscaped = false, valueEscaped = false
        var index = start
        func record(_ end: Int) {
            let keyEnd = equals >= 0 ? equals : end
            guard keyEnd > pairStart else { return }
            let field: Field?
            if keyEscaped {
                field = unescaped(line, pairStart..<keyEnd) { Field.named($0) }
            } else {
                field = Field.named(UnsafeBufferPointer(rebasing: line.base[pairStart..<keyEnd]))
            }
            guard let field else { return }
            slots[field.rawValue] = Slot(value: equals >= 0 ? (equals + 1)..<end : end..<end, escaped: valueEscaped,
                                         present: true)
        }
        // Only `\`, `,` and the first `=` of a pair matter; values are skipped a word at a time.
        while let next = equals < 0 ? line.firstIndex(of: 92, 44, 61, from: index, through: count - 1)
                                    : line.firstIndex(of: 92, 44, 44, from: index, through: count - 1) {
            index = next + 1
            switch line.base[next] {
            case 92:
                guard index < count else { break }
                if equals < 0 { keyEscaped = true } else { valueEscaped = true }
                index += 1
            case 44:
                record(next)
                pairStart = index
                equals = -1
                keyEscaped = false
                valueEscaped = false
            default:
                equals = next
            }
        }
        record(count)
    }

    /// Calls `body` with the text `raw` stands for. An escape ends inside the range unless a lone `\`
    /// ends the line, which stays as it is.
    static func unescaped<Result>(_ line: Bytes, _ raw: Range<Int>,
                                  _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(raw.count, 1)) { buffer in
            var count = 0
            var index = raw.lowerBound
            while index < raw.upperBound {
                var c = line.base[index]
                if c == 92 && index + 1 < raw.upperBound {
                    index += 1
                    c = line.base[index] == 110 ? 10 : line.base[index]
                }
                buffer[count] = c
                count += 1
                index += 1
            }
            return body(UnsafeBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// The kept fields of one line, decoded on demand.
    struct Fields {
        let line: Bytes
        let slots: UnsafeMutableBufferPointer<Slot>

        func present(_ field: Field) -> Bool { slots[field.rawValue].present }

        func withValue<Result>(_ field: Field, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
            let slot = slots[field.rawValue]
            guard slot.escaped else { return body(UnsafeBufferPointer(rebasing: line.base[slot.value])) }
            return unescaped(line, slot.value, body)
        }

        /// The value as text, nil when the key is absent.
        func text(_ field: Field) -> String? {
            guard present(field) else { return nil }
            return withValue(field) { String(decoding: $0, as: UTF8.self) }
        }

        /// The value as `Int64(String)` reads it; nil when it does not.
        func integer(_ field: Field) -> Int64? { withValue(field, YARNSummary.integer) }
    }

    /// `Int64(String)`'s reading: plain digits are summed here, anything else (a sign, too many
    /// digits, other text) is left to the standard library, which then decides.
    static func integer(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        if text.count > 0 && text.count <= 18 {
            var value: Int64 = 0
            for c in text {
                guard c >= 48 && c <= 57 else { return Int64(String(decoding: text, as: UTF8.self)) }
                value = value &* 10 &+ Int64(c &- 48)
            }
            return value
        }
        return Int64(String(decoding: text, as: UTF8.self))
    }

    struct Rejection: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    static func summary(_ fields: Fields) -> LineOutcome {
        do throws(Rejection) {
            return finished(try read(fields))
        } catch {
            return .rejected(error.reason)
        }
    }

    /// The checks run in the order the fields were always checked in, so a line with several faults
    /// keeps its reason.
    static func read(_ fields: Fields) throws(Rejection) -> AppSummary {
        guard let appID = fields.text(.appId), !appID.isEmpty else { throw Rejection("YARN summary without appId") }
        func number(_ field: Field) throws(Rejection) -> Int64? {
            guard fields.present(field) else { return nil }
            guard let number = fields.integer(field) else {
                throw Rejection("\(field.name) is not a number: \"\(fields.text(field) ?? "")\"")
            }
            return number
        }
        func missing(_ field: Field) -> Rejection { Rejection("YARN summary \(appID) has no \(field.name) (truncated?)") }
        guard let submitTime = try number(.submitTime) else { throw missing(.submitTime) }
        guard let startTime = try number(.startTime) else { throw missing(.startTime) }
        guard let finishTime = try number(.finishTime) else { throw missing(.finishTime) }

        var usage = UsageTotals(), preempted = UsageTotals()
        usage.reserve(2)
        if fields.present(.preemptedMemorySeconds) || fields.present(.preemptedVcoreSeconds) { preempted.reserve(2) }
        /// Adds one `…Seconds` field, converted to YuniKorn units.
        func add(_ field: Field, _ resource: String, scale: Int64, to totals: inout UsageTotals) throws(Rejection) {
            guard let amount = try number(field) else { return }
            let (scaled, overflow) = amount.multipliedReportingOverflow(by: scale)
            guard !overflow else { throw Rejection("\(field.name) overflows when converted to YuniKorn units") }
            if let problem = totals.add(resource, scaled) { throw Rejection(problem) }
        }
        guard fields.present(.memorySeconds) else { throw missing(.memorySeconds) }
        try add(.memorySeconds, "memory", scale: 1 << 20, to: &usage)
        guard fields.present(.vcoreSeconds) else { throw missing(.vcoreSeconds) }
        try add(.vcoreSeconds, "vcore", scale: 1000, to: &usage)
        try add(.preemptedMemorySeconds, "memory", scale: 1 << 20, to: &preempted)
        try add(.preemptedVcoreSeconds, "vcore", scale: 1000, to: &preempted)
        if fields.present(.resourceSeconds),
           let problem = fields.withValue(.resourceSeconds, { otherResources($0, into: &usage) }) {
            throw Rejection(problem)
        }
        return AppSummary(
            format: .yarn, applicationID: appID, rmID: "", submissionTime: submitTime, startTime: startTime,
            finishTime: finishTime, user: fields.text(.user) ?? "", queue: fields.text(.queue) ?? "",
            state: fields.text(.state) ?? "", usage: usage.amounts, preempted: preempted.amounts)
    }

    /// Other resources only appear inside resourceSeconds: "<n> MB-seconds, <n> vcore-seconds, <n> <name>-seconds".
    /// Parts and words are split as `split(separator:)` splits Characters (empty ones dropped); for ASCII
    /// that is byte by byte, and other text takes the String route so graphemes decide as before.
    static func otherResources(_ text: UnsafeBufferPointer<UInt8>, into usage: inout UsageTotals) -> String? {
        guard Bytes(text).isASCII else { return otherResources(String(decoding: text, as: UTF8.self), into: &usage) }
        var index = 0
        var part = 0
        while index < text.count {
            if text[index] == 44 {
                index += 1
                continue
            }
            let partStart = index
            while index < text.count && text[index] != 44 { index += 1 }
            part += 1
            guard part > 2 else { continue }
            // Exactly two words: an amount and "<name>-seconds".
            var first = 0..<0, second = 0..<0
            var words = 0
            var cursor = partStart
            while cursor < index && words < 3 {
                if text[cursor] == 32 {
                    cursor += 1
                    continue
                }
                let wordStart = cursor
                while cursor < index && text[cursor] != 32 { cursor += 1 }
                words += 1
                if words == 1 { first = wordStart..<cursor } else { second = wordStart..<cursor }
            }
            guard words == 2, let amount = integer(UnsafeBufferPointer(rebasing: text[first])),
                  let dash = text[second].lastIndex(of: 45) else { continue }
            let name = String(decoding: UnsafeBufferPointer(rebasing: text[second.lowerBound..<dash]), as: UTF8.self)
            if !name.isEmpty, let problem = usage.add(name, amount) { return problem }
        }
        return nil
    }

    static func otherResources(_ text: String, into usage: inout UsageTotals) -> String? {
        for part in text.split(separator: ",").dropFirst(2) {
            let words = part.split(separator: " ")
            guard words.count == 2, let amount = Int64(words[0]), let dash = words[1].lastIndex(of: "-") else { continue }
            let name = String(words[1][..<dash])
            if !name.isEmpty, let problem = usage.add(name, amount) { return problem }
        }
        return nil
    }
}
