import Timestamps
import JSONText
import Ingest

/// Appending text to a byte buffer without building intermediate Strings: a million summary lines
/// must come out in a few seconds, and per-line String interpolation would dominate that time.
extension Array where Element == UInt8 {
    @inline(__always) mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append(contentsOf: $0) }
    }

    @inline(__always) mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append(contentsOf: $0) }
    }

    /// A decimal integer.
    mutating func appendInt(_ value: Int64) {
        if value < 0 {
            append(45)
            // -Int64.min does not exist; the magnitude does.
            appendUnsigned(value.magnitude)
        } else {
            appendUnsigned(UInt64(value))
        }
    }

    @inline(__always) mutating func appendInt(_ value: Int) { appendInt(Int64(value)) }

    mutating func appendUnsigned(_ value: UInt64) {
        var digits = 1
        var power: UInt64 = 10
        while digits < 20 && value >= power {
            digits += 1
            power = power &* 10
        }
        appendFilling(digits) { out in
            var rest = value
            var index = digits - 1
            while rest >= 10 {
                out[index] = 48 + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
                index -= 1
            }
            out[index] = 48 + UInt8(truncatingIfNeeded: rest)
        }
    }

    /// Appends `count` bytes that `body` writes into scratch space on the stack: one bulk copy
    /// instead of a uniqueness and capacity check per byte.
    @inline(__always) mutating func appendFilling(_ count: Int, _ body: (UnsafeMutableBufferPointer<UInt8>) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { scratch in
            body(scratch)
            append(contentsOf: UnsafeBufferPointer(scratch))
        }
    }

    /// A non-negative integer left-padded with zeros to `width` digits.
    @inline(__always) mutating func appendPadded(_ value: Int, width: Int) {
        var limit = 1
        for _ in 0..<width { limit *= 10 }
        if value >= limit || value < 0 { appendInt(value); return }
        appendFilling(width) { out in
            var rest = value
            for index in stride(from: width - 1, through: 0, by: -1) {
                out[index] = 48 + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            }
        }
    }

    /// `YYYY<sep>MM<sep>DD`, or `YYYYMMDD` when the separator is nil.
    mutating func appendDate(epochDay: Int, separator: UInt8?) {
        let (year, month, day) = Timestamp.civilFromDays(Int64(epochDay))
        appendPadded(year, width: 4)
        if let separator { append(separator) }
        appendPadded(month, width: 2)
        if let separator { append(separator) }
        appendPadded(day, width: 2)
    }

    /// A timestamp laid out as `YYYY-MM-DD<t>HH:MM:SS<f>mmm` (+ `Z` when `zulu`), written in one go:
    /// every line starts with one, so it is worth not appending it piece by piece.
    @inline(__always) mutating func appendTimestamp(_ millis: Int64, dateTimeSeparator: UInt8, fractionSeparator: UInt8?,
                                                    zulu: Bool) {
        let day = Int(millis.floorDiv(86_400_000)), ofDay = Int(millis - Int64(day) * 86_400_000)
        let (year, month, dayOfMonth) = Timestamp.civilFromDays(Int64(day))
        guard (0...9999).contains(year) else {
            // Outside four-digit years the fixed layout does not apply; never reached by generated data.
            appendDate(epochDay: day, separator: 45)
            return
        }
        let length = 19 + (fractionSeparator == nil ? 0 : 4) + (zulu ? 1 : 0)
        appendFilling(length) { out in
            @inline(__always) func two(_ value: Int, _ at: Int) {
                out[at] = 48 + UInt8(truncatingIfNeeded: value / 10)
                out[at + 1] = 48 + UInt8(truncatingIfNeeded: value % 10)
            }
            two(year / 100, 0); two(year % 100, 2)
            out[4] = 45; two(month, 5); out[7] = 45; two(dayOfMonth, 8)
            out[10] = dateTimeSeparator
            two(ofDay / 3_600_000, 11); out[13] = 58
            two(ofDay / 60_000 % 60, 14); out[16] = 58
            two(ofDay / 1000 % 60, 17)
            var next = 19
            if let fractionSeparator {
                let millis = ofDay % 1000
                out[19] = fractionSeparator
                out[20] = 48 + UInt8(truncatingIfNeeded: millis / 100)
                two(millis % 100, 21)
                next = 23
            }
            if zulu { out[next] = 90 }
        }
    }

    /// zap's ISO8601TimeEncoder in UTC: `2026-11-20T02:13:45.123Z`.
    mutating func appendZapTime(_ millis: Int64) {
        appendTimestamp(millis, dateTimeSeparator: 84, fractionSeparator: 46, zulu: true)
    }

    /// log4j's default ISO8601 date format: `2026-11-20 02:13:45,123`.
    mutating func appendLog4jTime(_ millis: Int64) {
        appendTimestamp(millis, dateTimeSeparator: 32, fractionSeparator: 44, zulu: false)
    }

    /// ISO 8601 UTC to the second, as in `job_apps.csv`: `2026-11-20T02:00:00Z`.
    mutating func appendISOSeconds(_ millis: Int64) {
        appendTimestamp(millis, dateTimeSeparator: 84, fractionSeparator: nil, zulu: true)
    }

    /// Bytes as the inside of a JSON string: quote, backslash and control characters escaped.
    /// Runs of plain bytes are copied in one go (this wraps every Fluent Bit line).
    mutating func appendJSONEscaped(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { appendJSONEscaped($0) }
    }

    mutating func appendJSONEscaped(_ text: String) {
        var text = text
        text.withUTF8 { appendJSONEscaped($0) }
    }

    mutating func appendJSONEscaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        JSON.escape(bytes, into: &self)
    }

    /// YARN's `StringUtils.escapeString`: a backslash before `,`, `=` and `\`.
    mutating func appendYARNEscaped(_ text: String) {
        for c in text.utf8 {
            if c == 44 || c == 61 || c == 92 { append(92) }
            append(c)
        }
    }

    /// `n` random lower-case hex digits.
    mutating func appendHex(_ random: inout SynthRandom, count: Int) {
        appendFilling(count) { out in
            var word = random.next(), left = 16
            for index in 0..<count {
                if left == 0 { word = random.next(); left = 16 }
                out[index] = Self.hexDigit(word & 15)
                word >>= 4
                left -= 1
            }
        }
    }

    @inline(__always) static func hexDigit(_ nibble: UInt64) -> UInt8 {
        nibble < 10 ? 48 + UInt8(nibble) : 87 + UInt8(nibble)
    }

    /// A random RFC 4122 version-4 UUID, as Kubernetes and YuniKorn print them.
    mutating func appendUUID(_ random: inout SynthRandom) {
        appendHex(&random, count: 8); append(45)
        appendHex(&random, count: 4); append(45)
        append(52); appendHex(&random, count: 3); append(45)
        append(Self.hex[8 + random.int(0...3)]); appendHex(&random, count: 3); append(45)
        appendHex(&random, count: 12)
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)
}

extension Int64 {
    /// Division rounding toward minus infinity (times before 1970 stay well defined).
    @inline(__always) func floorDiv(_ divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}
