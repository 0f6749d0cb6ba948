/// Why an SLO report could not be set up. `description` is safe to show to users and says what to do.
public struct SLOReportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong; tests compare kinds, not wording.
    public enum Kind: Sendable, Equatable {
        /// `--days` below 1.
        case invalidDays
        /// A date that is not a real `YYYY-MM-DD` calendar date.
        case invalidDate
        /// A window reaching outside the years 0001–9999.
        case dateOutOfRange
        /// A threshold or share outside 0…1.
        case invalidThreshold
        /// A tier outside 1…3.
        case invalidTier
        /// A negative number of worst offenders.
        case invalidLimit
    }

    public let kind: Kind
    public let description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

extension SLOReport {
    /// The whole UTC days a report covers: `days` days ending with, and including, the UTC day of `until`.
    ///
    /// A run belongs to the UTC day of its `scheduledAt`, so the window holds exactly the runs with
    /// `startMillis <= scheduledAt < endMillis`: the first day's midnight is inside, the midnight after the
    /// last day is not. Callers pass the end as an instant: midnight of the `--until` date, or, without
    /// one, the newest run's `scheduledAt` (see `newestScheduledAt(in:)`), so the window ends at the newest
    /// data. The clock stays at the edge.
    public struct Window: Sendable, Equatable {
        /// Milliseconds in a UTC day (no leap seconds, as in Unix time).
        public static let millisPerDay: Int64 = 86_400_000
        /// The window length when `--days` is not given.
        public static let defaultDays = 30
        /// The first and last days that can be named as `YYYY-MM-DD`: 0001-01-01 and 9999-12-31.
        static let dayRange: ClosedRange<Int64> = dayNumber(year: 1, month: 1, day: 1)...dayNumber(year: 9999, month: 12, day: 31)

        /// The first day covered, in days since 1970-01-01.
        public let firstDay: Int64
        /// The last day covered (inclusive), in days since 1970-01-01.
        public let lastDay: Int64

        /// The window of `days` whole UTC days whose last day is the UTC day containing `instant`
        /// (milliseconds since the Unix epoch).
        public init(endingOnDayOf instant: Int64, days: Int = defaultDays) throws(SLOReportError) {
            guard days >= 1 else {
                throw SLOReportError(.invalidDays, "--days must be at least 1 (got \(days))")
            }
            let last = Self.day(containing: instant)
            guard Self.dayRange.contains(last), Int64(days) <= last - Self.dayRange.lowerBound + 1 else {
                throw SLOReportError(.dateOutOfRange,
                                     "the report window must lie within the years 0001–9999; use a smaller --days or another --until")
            }
            lastDay = last
            firstDay = last - Int64(days) + 1
        }

        /// How many days the window covers.
        public var days: Int { Int(lastDay - firstDay + 1) }
        /// The first instant inside the window: midnight UTC starting the first day.
        public var startMillis: Int64 { firstDay * Self.millisPerDay }
        /// The first instant after the window: midnight UTC ending the last day (exclusive).
        public var endMillis: Int64 { (lastDay + 1) * Self.millisPerDay }
        /// The first day as `YYYY-MM-DD`.
        public var from: String { Self.date(ofDay: firstDay) }
        /// The last day (inclusive) as `YYYY-MM-DD`.
        public var until: String { Self.date(ofDay: lastDay) }

        /// Whether an instant (a run's `scheduledAt`) falls inside the window.
        public func contains(_ instant: Int64) -> Bool {
            instant >= startMillis && instant < endMillis
        }

        /// The UTC day containing an instant, in days since 1970-01-01 (rounding down before 1970).
        public static func day(containing instant: Int64) -> Int64 {
            let quotient = instant / millisPerDay
            return instant % millisPerDay < 0 ? quotient - 1 : quotient
        }

        /// A day (days since 1970-01-01) as `YYYY-MM-DD`.
        public static func date(ofDay day: Int64) -> String {
            let (year, month, dayOfMonth) = civilDate(ofDay: day)
            return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(dayOfMonth, 2)
        }

        /// Midnight UTC starting the day a `YYYY-MM-DD` date names, in milliseconds since the Unix epoch:
        /// what `--until DATE` passes to `init(endingOnDayOf:days:)`.
        public static func startOfDay(parsing date: String) throws(SLOReportError) -> Int64 {
            let invalid = SLOReportError(.invalidDate, "invalid date \"\(date)\" (use YYYY-MM-DD, e.g. 2024-03-31)")
            let bytes = Array(date.utf8)
            guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { throw invalid }
            func number(_ range: Range<Int>) -> Int64? {
                var value: Int64 = 0
                for byte in bytes[range] {
                    guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                    value = value * 10 + Int64(byte - UInt8(ascii: "0"))
                }
                return value
            }
            guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
                  year >= 1, (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month)
            else { throw invalid }
            return dayNumber(year: year, month: month, day: day) * millisPerDay
        }

        // Howard Hinnant's days_from_civil / civil_from_days: exact proleptic Gregorian arithmetic with no
        // calendar library, so the report stays pure and deterministic.
        static func dayNumber(year: Int64, month: Int64, day: Int64) -> Int64 {
            let y = month <= 2 ? year - 1 : year
            let era = (y >= 0 ? y : y - 399) / 400
            let yearOfEra = y - era * 400
            let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            return era * 146_097 + dayOfEra - 719_468
        }

        static func civilDate(ofDay day: Int64) -> (year: Int64, month: Int64, day: Int64) {
            let z = day + 719_468
            let era = (z >= 0 ? z : z - 146_096) / 146_097
            let dayOfEra = z - era * 146_097
            let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
            let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
            let mp = (5 * dayOfYear + 2) / 153
            let dayOfMonth = dayOfYear - (153 * mp + 2) / 5 + 1
            let month = mp < 10 ? mp + 3 : mp - 9
            return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, dayOfMonth)
        }

        static func daysInMonth(year: Int64, month: Int64) -> Int64 {
            switch month {
            case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
            case 4, 6, 9, 11: return 30
            default: return 31
            }
        }

        private static func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
    }

    /// The thresholds a report judges by and how many worst offenders it lists.
    public struct Options: Sendable, Equatable {
        /// The platform goal: at least 90% of tier-1 workflows meet their SLO on at least 90% of their days;
        /// ten worst offenders.
        public static let platformGoal = Options(uncheckedDayAttainment: 0.9, goalShare: 0.9, goalTier: 1,
                                                 worstOffenderLimit: 10)

        /// A workflow attains its SLO when met days / decided days is at least this (inclusive).
        public let dayAttainmentThreshold: Double
        /// A tier meets the goal when the share of its workflows that attain is at least this (inclusive).
        public let goalShare: Double
        /// The tier the platform goal is stated for; the text report gives its verdict in words. The share
        /// and verdict are computed for every tier.
        public let goalTier: Int
        /// How many worst offenders to list at most.
        public let worstOffenderLimit: Int

        /// Checked options: thresholds within 0…1, a tier within 1…3, a limit of at least 0.
        public init(dayAttainmentThreshold: Double = 0.9, goalShare: Double = 0.9, goalTier: Int = 1,
                    worstOffenderLimit: Int = 10) throws(SLOReportError) {
            for (name, value) in [("day attainment threshold", dayAttainmentThreshold), ("goal share", goalShare)]
            where !(value >= 0 && value <= 1) {
                throw SLOReportError(.invalidThreshold, "the \(name) must be a fraction within 0…1 (got \(value))")
            }
            guard (1...3).contains(goalTier) else {
                throw SLOReportError(.invalidTier, "the goal tier must be 1, 2 or 3 (got \(goalTier))")
            }
            guard worstOffenderLimit >= 0 else {
                throw SLOReportError(.invalidLimit, "the number of worst offenders cannot be negative (got \(worstOffenderLimit))")
            }
            self.init(uncheckedDayAttainment: dayAttainmentThreshold, goalShare: goalShare, goalTier: goalTier,
                      worstOffenderLimit: worstOffenderLimit)
        }

        private init(uncheckedDayAttainment: Double, goalShare: Double, goalTier: Int, worstOffenderLimit: Int) {
            self.dayAttainmentThreshold = uncheckedDayAttainment
            self.goalShare = goalShare
            self.goalTier = goalTier
            self.worstOffenderLimit = worstOffenderLimit
        }
    }
}
