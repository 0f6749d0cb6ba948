import Timestamps
import Ingest

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
        static let dayRange: ClosedRange<Int64> =
            Int64(Timestamp.daysFromCivil(1, 1, 1))...Int64(Timestamp.daysFromCivil(9999, 12, 31))

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
            Timestamp.formatDate(day * millisPerDay)
        }

        /// Midnight UTC starting the day a `YYYY-MM-DD` date names, in milliseconds since the Unix epoch:
        /// what `--until DATE` passes to `init(endingOnDayOf:days:)`.
        public static func startOfDay(parsing date: String) throws(SLOReportError) -> Int64 {
            // Exactly a date (Timestamp also reads times), within the years a report can name.
            guard date.utf8.count == 10, let millis = Timestamp.parse(date),
                  dayRange.contains(day(containing: millis)) else {
                throw SLOReportError(.invalidDate, "invalid date \"\(date)\" (use YYYY-MM-DD, e.g. 2024-03-31)")
            }
            return millis
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
