/// ISO 8601 / RFC 3339 timestamps as milliseconds since the Unix epoch, without Foundation's date
/// formatters (which are slow and locale-sensitive).
public enum Timestamp {
    /// Parses `2026-11-20T02:00:00Z`, `2026-11-20T02:00:00.250+01:00`, `2026-11-20 02:00:00Z` or a bare
    /// date `2026-11-20` (midnight UTC). A time without a zone is refused: guessing one would shift SLOs.
    public static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= b.count else { return nil }
            var value = 0
            for i in at..<(at + count) {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                value = value * 10 + Int(b[i] - 48)
            }
            return value
        }
        guard let year = digits(0, 4), b.count >= 10, b[4] == 45, let month = digits(5, 2), b[7] == 45,
              let day = digits(8, 2), (1...12).contains(month), day >= 1, day <= daysIn(month, year)
        else { return nil }
        let date = Int64(daysFromCivil(year, month, day)) * 86_400_000
        if b.count == 10 { return date }
        guard b.count >= 19, b[10] == 84 || b[10] == 116 || b[10] == 32, let hour = digits(11, 2), b[13] == 58,
              let minute = digits(14, 2), b[16] == 58, let second = digits(17, 2), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var millis = 0
        if index < b.count && (b[index] == 46 || b[index] == 44) {
            index += 1
            var scale = 100
            let first = index
            while index < b.count && b[index] >= 48 && b[index] <= 57 {
                millis += Int(b[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > first else { return nil }
        }
        var offset = 0
        guard index < b.count else { return nil }
        if b[index] == 90 || b[index] == 122 {
            index += 1
        } else if b[index] == 43 || b[index] == 45 {
            let sign = b[index] == 45 ? -1 : 1
            guard let oh = digits(index + 1, 2) else { return nil }
            var om = 0
            if index + 3 < b.count && b[index + 3] == 58, let m = digits(index + 4, 2) {
                om = m
                index += 6
            } else if let m = digits(index + 3, 2) {
                om = m
                index += 5
            } else {
                index += 3
            }
            offset = sign * (oh * 60 + om) * 60_000
        } else {
            return nil
        }
        guard index == b.count else { return nil }
        return date + Int64(((hour * 60 + minute) * 60 + second) * 1000 + millis - offset)
    }

    /// `2026-11-20T02:00:00Z` (or with milliseconds when they are not zero).
    public static func format(_ millis: Int64) -> String {
        let days = floorDiv(millis, 86_400_000)
        let rest = millis - days * 86_400_000
        let (y, m, d) = civilFromDays(days)
        let seconds = rest / 1000
        var text = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(Int(seconds / 3600), 2)):\(pad(Int(seconds / 60 % 60), 2)):\(pad(Int(seconds % 60), 2))"
        if rest % 1000 != 0 { text += "." + pad(Int(rest % 1000), 3) }
        return text + "Z"
    }

    /// `2026-11-20`: the UTC date of an instant.
    public static func formatDate(_ millis: Int64) -> String {
        let (y, m, d) = civilFromDays(floorDiv(millis, 86_400_000))
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian (year, month, day) of a day number (days since 1970-01-01).
    @inline(__always)
    public static func civilFromDays(_ days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = Int(days) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// Days in a month of the proleptic Gregorian calendar.
    public static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
