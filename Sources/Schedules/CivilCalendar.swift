/// Proleptic Gregorian dates as days since 1970-01-01 (Howard Hinnant's algorithms), for local wall-clock
/// times written as seconds since the epoch "as if the zone were UTC".
enum CivilCalendar {
    static let secondsPerDay: Int64 = 86_400

    /// Days since 1970-01-01 of `year`-`month`-`day`.
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The year, month (1-12) and day (1-31) of a day counted from 1970-01-01.
    static func date(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func isLeap(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// 0 for Sunday through 6 for Saturday (1970-01-01 was a Thursday).
    static func weekday(days: Int64) -> Int64 {
        floorMod(days + 4, 7)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

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
