/// One of the five fields of a cron expression, with the values and names it accepts.
enum CronField: CaseIterable {
    case minute, hour, dayOfMonth, month, dayOfWeek

    /// The name used in errors.
    var name: String {
        switch self {
        case .minute: return "minute"
        case .hour: return "hour"
        case .dayOfMonth: return "day of month"
        case .month: return "month"
        case .dayOfWeek: return "day of week"
        }
    }

    /// The numbers that may be written; day of week allows 7 as a second Sunday.
    var bounds: ClosedRange<Int64> {
        switch self {
        case .minute: return 0...59
        case .hour: return 0...23
        case .dayOfMonth: return 1...31
        case .month: return 1...12
        case .dayOfWeek: return 0...7
        }
    }

    /// What `*` and the open end of `n/m` stand for: the week is 0-6, 7 being only another name for Sunday.
    var span: ClosedRange<Int64> {
        self == .dayOfWeek ? 0...6 : bounds
    }

    /// The names this field accepts, the first standing for `nameBase`.
    var names: [String] {
        switch self {
        case .month: return ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        case .dayOfWeek: return ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
        default: return []
        }
    }

    var nameBase: Int64 { self == .month ? 1 : 0 }

    /// The values this field takes, said in an error.
    var accepted: String {
        switch self {
        case .minute: return "a number 0-59"
        case .hour: return "a number 0-23"
        case .dayOfMonth: return "a number 1-31"
        case .month: return "a number 1-12 or a name JAN-DEC"
        case .dayOfWeek: return "a number 0-7 (0 and 7 are Sunday) or a name SUN-SAT"
        }
    }

    /// The set of values `text` selects, and whether it selects every value the way `*` does (which matters for
    /// the day-of-month / day-of-week rule). Day of week 7 is folded into 0.
    func parse(_ text: Substring) throws(CronError) -> (values: UInt64, everyValue: Bool) {
        var values: UInt64 = 0
        var everyValue = false
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else {
                throw error("\(text) has an empty item; separate values with single commas, e.g. 1,15")
            }
            try refuseUnsupported(item)
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2 else {
                throw error("\(item) has more than one /; write one step, e.g. */15 or 0-30/5")
            }
            var step: Int64 = 1
            if parts.count == 2 {
                guard let written = Self.number(parts[1]) else {
                    throw error("the step in \(item) is not a number; write a step such as */15 or 0-30/5")
                }
                guard written >= 1 else {
                    throw error("\(item) has a step of 0; a step must be at least 1, e.g. */15")
                }
                step = written
            }
            let low: Int64, high: Int64
            if parts[0] == "*" {
                (low, high) = (span.lowerBound, span.upperBound)
                if step == 1 { everyValue = true }
            } else {
                let ends = parts[0].split(separator: "-", omittingEmptySubsequences: false)
                switch ends.count {
                case 1:
                    low = try value(ends[0], in: item)
                    // `n/m` is `n-max/m`.
                    high = parts.count == 2 ? max(low, span.upperBound) : low
                case 2:
                    low = try value(ends[0], in: item)
                    var end = try value(ends[1], in: item)
                    // FRI-SUN reads as Friday to Sunday: SUN closing a range is 7.
                    if self == .dayOfWeek, end == 0, low > 0, ends[1].uppercased() == "SUN" { end = 7 }
                    guard low <= end else { throw reversed(item, ends[0], ends[1]) }
                    high = end
                default:
                    throw malformed(item)
                }
            }
            var v = low
            while v <= high {
                values |= 1 << UInt64(v)
                v += step
            }
        }
        if self == .dayOfWeek, values & (1 << 7) != 0 {
            values = (values & ~(1 << 7)) | 1
        }
        return (values, everyValue)
    }

    /// One number or name of this field.
    private func value(_ token: Substring, in item: Substring) throws(CronError) -> Int64 {
        if let number = Self.number(token) {
            guard bounds.contains(number) else {
                throw error("\(token) is out of range \(bounds.lowerBound)-\(bounds.upperBound)")
            }
            return number
        }
        if !token.isEmpty, token.utf8.allSatisfy({ Self.isLetter($0) }) {
            if let index = names.firstIndex(of: token.uppercased()) {
                return nameBase + Int64(index)
            }
            switch self {
            case .month: throw error("\(token) is not a month; write \(accepted)")
            case .dayOfWeek: throw error("\(token) is not a day of the week; write \(accepted)")
            default: throw error("\(token) is not a number; write \(accepted)")
            }
        }
        throw malformed(item)
    }

    /// The extensions of Quartz and other crons (`?`, `L`, `W`, `#`), refused with what to do instead.
    private func refuseUnsupported(_ item: Substring) throws(CronError) {
        let upper = item.uppercased()
        if upper == "?" {
            throw error("? is not supported; write * for any value")
        }
        if upper.contains("#") {
            throw error("\(item) (the nth weekday of the month) is not supported; run on that weekday and check the date in the workflow")
        }
        if self == .dayOfMonth, upper == "L" || upper.hasPrefix("L-") || upper == "LW" {
            throw error("\(item) (the last day of the month) is not supported; run on day 1 of the next month, or on 28-31 and check the date in the workflow")
        }
        if self == .dayOfMonth, upper.count > 1, upper.hasSuffix("W") {
            throw error("\(item) (the nearest weekday) is not supported; name the day of the month, or run on weekdays and check the date in the workflow")
        }
        if self == .dayOfWeek, upper.count > 1, upper.hasSuffix("L") {
            throw error("\(item) (the last such weekday of the month) is not supported; run on that weekday and check the date in the workflow")
        }
    }

    private func reversed(_ item: Substring, _ low: Substring, _ high: Substring) -> CronError {
        if self == .dayOfWeek, low == "7" {
            return error("\(item) is a reversed range; 7 is Sunday, which also starts the week as 0: write 0-\(high)")
        }
        let byName = low.utf8.first.map { Self.isLetter($0) } ?? false
        let first = byName ? names[Int(span.lowerBound - nameBase)] : "\(span.lowerBound)"
        let last = byName ? names[Int(span.upperBound - nameBase)] : "\(span.upperBound)"
        return error("\(item) is a reversed range; write \(high)-\(low), or \(low)-\(last),\(first)-\(high) to wrap around")
    }

    private func malformed(_ item: Substring) -> CronError {
        error("\(item) is not a value, range or step; write \(accepted), * for every value, a range such as 1-5, a step such as */15, or a list such as 1,15")
    }

    private func error(_ message: String) -> CronError {
        CronError(field: name, message: message)
    }

    /// A decimal number of ASCII digits (leading zeros allowed); long ones saturate so that they are out of range.
    static func number(_ token: Substring) -> Int64? {
        guard !token.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in token.utf8 {
            guard byte >= 48, byte <= 57 else { return nil }
            value = min(value * 10 + Int64(byte - 48), 1_000_000)
        }
        return value
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
    }
}
