import Timestamps

/// Calendar arithmetic in the Int64 seconds and days the cron search works in, on Timestamps' civil-date
/// functions (the one home of proleptic Gregorian dates), for local wall-clock times written as seconds since
/// the epoch "as if the zone were UTC".
enum CivilCalendar {
    static let secondsPerDay: Int64 = 86_400

    /// Days since 1970-01-01 of `year`-`month`-`day`.
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        Int64(Timestamp.daysFromCivil(Int(year), Int(month), Int(day)))
    }

    /// The year, month (1-12) and day (1-31) of a day counted from 1970-01-01.
    static func date(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let (year, month, day) = Timestamp.civilFromDays(days)
        return (Int64(year), Int64(month), Int64(day))
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        Int64(Timestamp.daysIn(Int(month), Int(year)))
    }

    /// 0 for Sunday through 6 for Saturday (1970-01-01 was a Thursday).
    static func weekday(days: Int64) -> Int64 {
        floorMod(days + 4, 7)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { Timestamp.floorDiv(a, b) }

    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
        a - floorDiv(a, b) * b
    }
}

/// Bit sets of small numbers (minutes 0-59, hours, days 1-31, months 1-12, weekdays 0-6) in one `UInt64`.
enum Bits {
    /// The members of `set` that are `value` or above.
    static func atOrAbove(_ set: UInt64, _ value: Int64) -> UInt64 {
        if value <= 0 { return set }
        if value >= 64 { return 0 }
        return set & (UInt64.max << UInt64(value))
    }

    /// The members of `set` that are `value` or below.
    static func atOrBelow(_ set: UInt64, _ value: Int64) -> UInt64 {
        if value < 0 { return 0 }
        if value >= 63 { return set }
        return set & ((UInt64(1) << UInt64(value + 1)) &- 1)
    }

    static func lowest(_ set: UInt64) -> Int64 { Int64(set.trailingZeroBitCount) }
    static func highest(_ set: UInt64) -> Int64 { Int64(63 - set.leadingZeroBitCount) }
    static func contains(_ set: UInt64, _ value: Int64) -> Bool { value >= 0 && value < 64 && set & (1 << UInt64(value)) != 0 }
}
