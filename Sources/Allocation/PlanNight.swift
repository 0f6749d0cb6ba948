/// The night a plan is for: a UTC calendar date. Its usage window ends when the night's day ends (the next
/// day, 00:00 UTC) and starts `window_days` before that.
public struct PlanNight: Sendable, Hashable, Comparable, CustomStringConvertible {
    static let dayMillis: Int64 = 86_400_000

    /// Days since 1970-01-01 (UTC).
    public let day: Int64

    public init(day: Int64) { self.day = day }

    /// The night whose UTC day holds the instant `millis` (milliseconds since the epoch).
    public init(containing millis: Int64) {
        day = millis >= 0 ? millis / Self.dayMillis : (millis - Self.dayMillis + 1) / Self.dayMillis
    }

    /// Reads `YYYY-MM-DD` (a real calendar date, years 1970–9999); nil for anything else.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let date = number(8..<10),
              year >= 1970, (1...12).contains(month), date >= 1, date <= Self.daysIn(month: month, year: year) else { return nil }
        day = Self.daysFromCivil(year: year, month: month, day: date)
    }

    /// Start of the night's UTC day, milliseconds since the epoch.
    public var start: Int64 { day * Self.dayMillis }
    /// End of the night's UTC day (exclusive): the end of its usage window.
    public var end: Int64 { start + Self.dayMillis }

    /// The usage window of `days` days ending with this night's day: `[end − days, end)`.
    public func window(days: Int) -> (start: Int64, end: Int64) { (end - Int64(days) * Self.dayMillis, end) }

    /// `YYYY-MM-DD`.
    public var description: String {
        let (year, month, date) = Self.civil(fromDays: day)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(date, 2))"
    }

    public static func < (a: PlanNight, b: PlanNight) -> Bool { a.day < b.day }

    /// `YYYY-MM-DD HH:MM` (UTC) of an instant, for messages.
    public static func timestamp(_ millis: Int64) -> String {
        let night = PlanNight(containing: millis)
        let minutes = (millis - night.start) / 60_000
        let hh = minutes / 60, mm = minutes % 60
        return "\(night) \(hh < 10 ? "0" : "")\(hh):\(mm < 10 ? "0" : "")\(mm)"
    }

    static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian calendar).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return Int64(era * 146_097 + doe - 719_468)
    }

    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = Int(days) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// Which night a plan is for and which plan it was measured against (the `max_change_fraction` limit, the
/// moves and the "last night" demand fallback all refer to it), for the report.
public struct PlanContext: Sendable, Equatable {
    /// What the run treated as the previous plan.
    public enum Previous: Sendable, Equatable, CustomStringConvertible {
        /// The plan archived for that night (the newest archived night before this one).
        case night(PlanNight)
        /// The queue configurations found under `--out` before the archive had an earlier night (hand-written,
        /// or from before the archive), archived with this night so a rerun uses them again. `clusters` had one.
        case baseline(clusters: [String])
        /// No previous plan: every queue is new.
        case none
        /// `--ignore-previous`: planned as if there were no previous plan.
        case ignored

        /// `night`, `baseline`, `none` or `ignored`.
        public var kind: String {
            switch self {
            case .night: "night"
            case .baseline: "baseline"
            case .none: "none"
            case .ignored: "ignored"
            }
        }

        public var description: String {
            switch self {
            case let .night(night): "night \(night)"
            case let .baseline(clusters):
                "baseline files" + (clusters.isEmpty ? " (none existed)" : " (\(clusters.joined(separator: ", ")))")
            case .none: "none"
            case .ignored: "none (--ignore-previous)"
            }
        }
    }

    public var night: PlanNight
    public var previous: Previous
    /// The plan's id and when it was planned (ms); set when the plan is written, nil on a dry run.
    public var planID: String?
    public var plannedAt: Int64?

    public init(night: PlanNight, previous: Previous, planID: String? = nil, plannedAt: Int64? = nil) {
        self.night = night
        self.previous = previous
        self.planID = planID
        self.plannedAt = plannedAt
    }

    /// One line for people: `night 2025-11-20 (usage 2025-11-07 00:00 – 2025-11-21 00:00 UTC); previous plan: night 2025-11-19`.
    public func line(windowStart: Int64, windowEnd: Int64) -> String {
        "night \(night) (usage \(PlanNight.timestamp(windowStart)) – \(PlanNight.timestamp(windowEnd)) UTC); previous plan: \(previous.description)"
    }
}
