import Schedules
import Testing

/// Instants written as ISO 8601 in the tests, so that each expected tick reads as the wall-clock time and offset
/// the tz rules give (`2026-03-08T03:00:00-07:00`), and failures print UTC.
enum Instant {
    /// `YYYY-MM-DDTHH:MM[:SS](Z|±HH:MM)` as epoch milliseconds; the tests write only valid ones.
    static func ms(_ text: String) -> Int64 {
        let b = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int64 {
            b[from..<(from + count)].reduce(0) { $0 * 10 + Int64($1 - 48) }
        }
        let (year, month, day) = (number(0, 4), number(5, 2), number(8, 2))
        let (hour, minute) = (number(11, 2), number(14, 2))
        var i = 16
        var second: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ":") {
            second = number(17, 2)
            i = 19
        }
        var offset: Int64 = 0
        if b[i] != UInt8(ascii: "Z") {
            let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
            offset = sign * (number(i + 1, 2) * 3600 + number(i + 4, 2) * 60)
        }
        let local = days(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        return (local - offset) * 1000
    }

    static func ms(_ texts: [String]) -> [Int64] { texts.map { ms($0) } }

    /// Epoch milliseconds as `2026-03-08T10:00:00Z`, for failure messages.
    static func utc(_ ms: Int64) -> String {
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rest = seconds - day * 86_400
        let (y, m, d) = date(day)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
    }

    static func utc(_ ms: [Int64]) -> [String] { ms.map { utc($0) } }

    /// Days since 1970-01-01 (proleptic Gregorian).
    static func days(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        return era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
    }

    static func date(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, doy - (153 * mp + 2) / 5 + 1)
    }
}

/// The schedule of a test's literal expression; a test's own typo fails the test rather than crashing it.
func cron(_ text: String) throws -> CronSchedule {
    try CronSchedule.parse(text)
}

/// A zone every test machine has.
func zone(_ identifier: String) throws -> ScheduleZone {
    try #require(ScheduleZone(identifier: identifier))
}
