/// A resource quantity exactly as YuniKorn reads it from `queues.yaml`
/// (`pkg/common/resources/quantity.go`): digits, optional blanks, optional suffix.
///
/// `vcore` is counted in millicores (`10` is 10000, `500m` is 500); every other resource is
/// counted in its own unit and refuses the `m` suffix.
public enum Quantity {
    /// The name of the one resource YuniKorn parses in millicores.
    public static let vcore = "vcore"

    /// Why a quantity could not be read; `yunikornText` is the error YuniKorn itself returns.
    public enum ParseError: Error, Equatable, Sendable {
        case invalidQuantity
        case overflow
        case invalidSuffix

        /// The exact `err.Error()` text of yunikorn-core.
        public var yunikornText: String {
            switch self {
            case .invalidQuantity: return "invalid quantity"
            case .overflow: return "invalid quantity: overflow"
            case .invalidSuffix: return "invalid suffix"
            }
        }
    }

    /// Parses `text` as a quantity of `resource`, in YuniKorn's internal unit.
    public static func parse(_ text: String, resource: String) -> Result<Int64, ParseError> {
        parse(text, milli: resource == vcore)
    }

    /// Parses a quantity; `milli` selects the millicore reading YuniKorn uses for `vcore`.
    public static func parse(_ text: String, milli: Bool) -> Result<Int64, ParseError> {
        var text = text
        return text.withUTF8 { raw in
            // Go's TrimSpace; non-ASCII white space at either end is rare enough for the slow path.
            var start = 0, end = raw.count
            while start < end, isASCIISpace(raw[start]) { start += 1 }
            while end > start, isASCIISpace(raw[end - 1]) { end -= 1 }
            if start < end && (raw[start] >= 0x80 || raw[end - 1] >= 0x80) {
                let trimmed = Array(trimmedGoSpace(String(decoding: UnsafeBufferPointer(rebasing: raw[start..<end]), as: UTF8.self)).utf8)
                return trimmed.withUnsafeBufferPointer { parseTrimmed($0, 0, $0.count, milli: milli) }
            }
            return parseTrimmed(raw, start, end, milli: milli)
        }
    }

    private static func parseTrimmed(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, milli: Bool) -> Result<Int64, ParseError> {
        // Grammar: ^[0-9]+\s*([mkKMGTPE]i?)?$
        var index = start
        while index < end, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
        let digitsEnd = index
        guard digitsEnd > start else { return .failure(.invalidQuantity) }
        while index < end, isRegexpSpace(bytes[index]) { index += 1 }
        var suffix: (UInt8, Bool)? = nil
        if index < end {
            let letter = bytes[index]
            switch letter {
            case 109, 107, 75, 77, 71, 84, 80, 69: break  // m k K M G T P E
            default: return .failure(.invalidQuantity)
            }
            index += 1
            var binary = false
            if index < end, bytes[index] == 105 {
                binary = true
                index += 1
            }
            suffix = (letter, binary)
        }
        guard index == end else { return .failure(.invalidQuantity) }

        var number: Int64 = 0
        for position in start..<digitsEnd {
            let (shifted, overflowA) = number.multipliedReportingOverflow(by: 10)
            let (added, overflowB) = shifted.addingReportingOverflow(Int64(bytes[position] - 48))
            if overflowA || overflowB { return .failure(.overflow) }
            number = added
        }
        var scale: Int64 = 1
        if let (letter, binary) = suffix {
            switch (letter, binary) {
            case (109, false): guard milli else { return .failure(.invalidSuffix) }
            case (107, false): scale = 1_000
            case (77, false): scale = 1_000_000
            case (71, false): scale = 1_000_000_000
            case (84, false): scale = 1_000_000_000_000
            case (80, false): scale = 1_000_000_000_000_000
            case (69, false): scale = 1_000_000_000_000_000_000
            case (75, true): scale = 1 << 10
            case (77, true): scale = 1 << 20
            case (71, true): scale = 1 << 30
            case (84, true): scale = 1 << 40
            case (80, true): scale = 1 << 50
            case (69, true): scale = 1 << 60
            default: return .failure(.invalidSuffix)
            }
        }
        var (result, overflow) = number.multipliedReportingOverflow(by: scale)
        if overflow { return .failure(.overflow) }
        let isMilliSuffix = suffix.map { $0.0 == 109 && !$0.1 } ?? false
        if milli && !isMilliSuffix {
            (result, overflow) = result.multipliedReportingOverflow(by: 1000)
            if overflow { return .failure(.overflow) }
        }
        return .success(result)
    }

    private static func isASCIISpace(_ byte: UInt8) -> Bool {
        byte == 32 || (byte >= 9 && byte <= 13)
    }

    /// Go's regexp `\s`: tab, newline, form feed, carriage return, space (not vertical tab).
    private static func isRegexpSpace(_ byte: UInt8) -> Bool {
        byte == 9 || byte == 10 || byte == 12 || byte == 13 || byte == 32
    }

    /// Go's `strings.TrimSpace`: Unicode white space at both ends.
    static func trimmedGoSpace(_ text: String) -> Substring {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return Substring(scalars[first...last])
    }

    /// A human rendering of an internal amount: `vcore` in cores (or millicores), memory-like
    /// amounts with the largest exact binary suffix. Used only where the user wrote no text.
    public static func describe(_ value: Int64, resource: String) -> String {
        if resource == vcore {
            return value % 1000 == 0 ? String(value / 1000) : "\(value)m"
        }
        guard value != 0 else { return "0" }
        for (suffix, shift) in [("Ei", 60), ("Pi", 50), ("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)] {
            let unit = Int64(1) << shift
            if value % unit == 0 && value >= unit { return "\(value / unit)\(suffix)" }
        }
        return String(value)
    }
}
