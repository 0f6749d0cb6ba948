/// Reads the `scheduled-at` forms a submission may use, without Foundation's calendar: epoch
/// milliseconds, or ISO 8601 date-times in the extended (`2024-05-01T02:00:00Z`, `+02:00` offsets,
/// fractions) or basic (`20240501T020000Z`) form. A time without a zone is refused: a scheduler
/// and the router may sit in different zones.
enum Timestamp {
    /// Epoch milliseconds, or nil when the text is neither form.
    static func milliseconds(_ text: String) -> Int64? {
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return Int64(text) }
        return iso8601(Array(text.utf8))
    }

    private static func iso8601(_ b: [UInt8]) -> Int64? {
        var i = 0
        func number(_ count: Int) -> Int? {
            guard i + count <= b.count else { return nil }
            var value = 0
            for c in b[i..<(i + count)] {
                guard c >= 0x30 && c <= 0x39 else { return nil }
                value = value * 10 + Int(c - 0x30)
            }
            i += count
            return value
        }
        func skip(_ c: UInt8, required: Bool) -> Bool {
            if i < b.count, b[i] == c { i += 1; return true }
            return !required
        }
        let extended = b.count > 4 && b[4] == 0x2D
        guard let year = number(4), skip(0x2D, required: extended), let month = number(2),
              skip(0x2D, required: extended), let day = number(2) else { return nil }
        guard i < b.count, b[i] == 0x54 || b[i] == 0x74 || b[i] == 0x20 else { return nil }
        i += 1
        guard let hour = number(2), skip(0x3A, required: extended), let minute = number(2),
              skip(0x3A, required: extended), let second = number(2) else { return nil }
        var millis = 0
        if i < b.count, b[i] == 0x2E || b[i] == 0x2C {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if digits < 3 { millis = millis * 10 + Int(b[i] - 0x30) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            if digits < 3 { for _ in digits..<3 { millis *= 10 } }
        }
        var offsetSeconds = 0
        guard i < b.count else { return nil }
        if b[i] == 0x5A || b[i] == 0x7A {
            i += 1
        } else if b[i] == 0x2B || b[i] == 0x2D {
            let sign = b[i] == 0x2D ? -1 : 1
            i += 1
            guard let offsetHour = number(2) else { return nil }
            _ = skip(0x3A, required: false)
            guard let offsetMinute = number(2) else { return nil }
            offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60)
        } else {
            return nil
        }
        guard i == b.count, (1...12).contains(month), (1...31).contains(day), day <= daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 61 else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        return seconds * 1000 + Int64(millis)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
