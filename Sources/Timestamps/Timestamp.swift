/// ISO 8601 / RFC 3339 timestamps as milliseconds since the Unix epoch, without Foundation's date
/// formatters (which are slow and locale-sensitive).
public enum Timestamp {
    /// Parses an ISO 8601 / RFC 3339 date-time with a zone, in the extended form (`2026-11-20T02:00:00Z`,
    /// `2026-11-20T02:00:00.250+01:00`, `2026-11-20 02:00:00Z`) or the basic one (`20261120T020000Z`); the
    /// separator may be `T`, `t` or a space, the fraction `.` or `,` (digits past milliseconds ignored), the
    /// zone `Z`, `±HH`, `±HHMM` or `±HH:MM`. A bare date `2026-11-20` is midnight UTC when `allowingDate`.
    /// A time without a zone is refused: guessing one would shift SLOs, and a scheduler and the router may
    /// sit in different zones.
    public static func parse(_ text: String, allowingDate: Bool = true) -> Int64? {
        let b = Array(text.utf8)
        var i = 0
        func number(_ count: Int) -> Int? {
            guard i + count <= b.count else { return nil }
            var value = 0
            for c in b[i..<(i + count)] {
                guard c >= 48 && c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            i += count
            return value
        }
        func skip(_ c: UInt8, required: Bool) -> Bool {
            if i < b.count, b[i] == c { i += 1; return true }
            return !required
        }
        let extended = b.count > 4 && b[4] == 45
        guard let year = number(4), skip(45, required: extended), let month = number(2), skip(45, required: extended),
              let day = number(2), (1...12).contains(month), day >= 1, day <= daysIn(month, year) else { return nil }
        let date = Int64(daysFromCivil(year, month, day)) * 86_400_000
        if i == b.count { return allowingDate && extended ? date : nil }
        guard b[i] == 84 || b[i] == 116 || b[i] == 32 else { return nil }
        i += 1
        guard let hour = number(2), skip(58, required: extended), let minute = number(2), skip(58, required: extended),
              let second = number(2), hour < 24, minute < 60, second < 61 else { return nil }
        var millis = 0
        if i < b.count, b[i] == 46 || b[i] == 44 {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 3 { millis = millis * 10 + Int(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in min(digits, 3)..<3 { millis *= 10 }
        }
        var offset = 0
        guard i < b.count else { return nil }
        if b[i] == 90 || b[i] == 122 {
            i += 1
        } else if b[i] == 43 || b[i] == 45 {
            let sign = b[i] == 45 ? -1 : 1
            i += 1
            guard let offsetHours = number(2) else { return nil }
            var offsetMinutes = 0
            if i < b.count {
                _ = skip(58, required: false)
                guard let minutes = number(2) else { return nil }
                offsetMinutes = minutes
            }
            offset = sign * (offsetHours * 60 + offsetMinutes) * 60_000
        } else {
            return nil
        }
        guard i == b.count else { return nil }
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
        guard (0...9999).contains(y) else { return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))" }
        // Written into the string's own storage: dashboards and reports write one for every hour they show.
        return String(unsafeUninitializedCapacity: 10) { text in
            let zero = UInt8(ascii: "0"), dash = UInt8(ascii: "-")
            text[0] = zero + UInt8(y / 1000)
            text[1] = zero + UInt8(y / 100 % 10)
            text[2] = zero + UInt8(y / 10 % 10)
            text[3] = zero + UInt8(y % 10)
            text[4] = dash
            text[5] = zero + UInt8(m / 10)
            text[6] = zero + UInt8(m % 10)
            text[7] = dash
            text[8] = zero + UInt8(d / 10)
            text[9] = zero + UInt8(d % 10)
            return 10
        }
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

    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

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
