import Timestamps
/// The night a plan is for: a UTC calendar date. Its usage window ends when the night's day ends (the next
/// day, 00:00 UTC) and starts `window_days` before that.
public struct PlanNight: Sendable, Hashable, Comparable, CustomStringConvertible {
    static let dayMillis: Int64 = 86_400_000

    /// Days since 1970-01-01 (UTC).
    public let day: Int64

    public init(day: Int64) { self.day = day }

    /// The night whose UTC day holds the instant `millis` (milliseconds since the epoch).
    public init(containing millis: Int64) {
        day = Timestamp.floorDiv(millis, Self.dayMillis)
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
              year >= 1970, (1...12).contains(month), date >= 1, date <= Timestamp.daysIn(month, year) else { return nil }
        day = Int64(Timestamp.daysFromCivil(year, month, date))
    }

    /// Start of the night's UTC day, milliseconds since the epoch.
    public var start: Int64 { day * Self.dayMillis }
    /// End of the night's UTC day (exclusive): the end of its usage window.
    public var end: Int64 { start + Self.dayMillis }

    /// The usage window of `days` days ending with this night's day: `[end − days, end)`.
    public func window(days: Int) -> (start: Int64, end: Int64) { (end - Int64(days) * Self.dayMillis, end) }

    /// `YYYY-MM-DD`.
    public var description: String { Timestamp.formatDate(start) }

    public static func < (a: PlanNight, b: PlanNight) -> Bool { a.day < b.day }

    /// `YYYY-MM-DD HH:MM` (UTC) of an instant, for messages.
    public static func timestamp(_ millis: Int64) -> String {
        let night = PlanNight(containing: millis)
        let minutes = (millis - night.start) / 60_000
        let hh = minutes / 60, mm = minutes % 60
        return "\(night) \(hh < 10 ? "0" : "")\(hh):\(mm < 10 ? "0" : "")\(mm)"
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
