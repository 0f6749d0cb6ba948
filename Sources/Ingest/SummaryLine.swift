/// Reads one log line that may hold an application summary, in any of the shapes platforms keep:
/// YuniKorn ≥ 1.5 Go-formatted summaries inside a zap console line, YuniKorn 1.3/1.4 JSON fields,
/// either wrapped in a Fluent Bit JSON record (`{"log": "…"}`), and YARN ResourceManager
/// `ApplicationSummary` lines. It works on raw bytes and allocates only for the fields it keeps,
/// because ingestion reads hundreds of thousands of these a day.
public enum SummaryLine {
    /// Classifies and parses one line (without its newline).
    public static func parse(_ line: String) -> LineOutcome {
        var line = line
        return line.withUTF8 { parse(Bytes($0)) }
    }

    /// Classifies and parses one line given as UTF-8 bytes (without its newline).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> LineOutcome {
        parse(Bytes(bytes))
    }

    static func parse(_ line: Bytes, unwrapped: Bool = false) -> LineOutcome {
        // A Fluent Bit record holds the original line JSON-escaped: unwrap it first.
        if !unwrapped, let first = line.firstNonBlank, line.byte(first) == 123, line.find(logKey) != nil {
            return FluentBitRecord.parse(line, objectStart: first)
        }
        if let marker = line.find(ykMarker) {
            let after = marker + ykMarker.count
            // ≥ 1.5: "YK_APP_SUMMARY: {ApplicationID: …}"; 1.3/1.4: "YK_APP_SUMMARY:" TAB "{…json…}".
            if line.byte(after) == 32 && line.byte(after + 1) == 123 && line.hasPrefix(applicationIDKey, at: after + 2) {
                return YuniKornSummary.parse(line, bodyStart: after + 2)
            }
            var start = after
            while line.byte(start) == 9 || line.byte(start) == 32 { start += 1 }
            if line.byte(start) == 123 { return YuniKornJSONSummary.parse(line, objectStart: start) }
            return .rejected("YK_APP_SUMMARY without a summary after it")
        }
        if let appID = line.find(yarnAppID), appID == line.firstNonBlank || line.find(yarnLogger) != nil {
            return YARNSummary.parse(line, start: appID)
        }
        return .skipped
    }

    static let ykMarker = Array("YK_APP_SUMMARY:".utf8)
    static let applicationIDKey = Array("ApplicationID: ".utf8)
    static let logKey = Array("\"log\"".utf8)
    static let yarnAppID = Array("appId=".utf8)
    static let yarnLogger = Array("ApplicationSummary".utf8)
}

/// A window on UTF-8 bytes with the few searches the parsers need.
struct Bytes {
    let base: UnsafeBufferPointer<UInt8>
    var count: Int { base.count }

    init(_ base: UnsafeBufferPointer<UInt8>) { self.base = base }

    @inline(__always) func byte(_ index: Int) -> UInt8 { index >= 0 && index < base.count ? base[index] : 0 }

    var firstNonBlank: Int? {
        var index = 0
        while index < base.count && (base[index] == 32 || base[index] == 9) { index += 1 }
        return index < base.count ? index : nil
    }

    func hasPrefix(_ needle: [UInt8], at index: Int) -> Bool {
        guard index >= 0, index + needle.count <= base.count else { return false }
        for offset in 0..<needle.count where base[index + offset] != needle[offset] { return false }
        return true
    }

    func find(_ needle: [UInt8], from start: Int = 0, to end: Int? = nil) -> Int? {
        let limit = (end ?? base.count) - needle.count
        guard let head = needle.first, start <= limit else { return nil }
        var index = max(start, 0)
        while index <= limit {
            if base[index] == head && hasPrefix(needle, at: index) { return index }
            index += 1
        }
        return nil
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: base[range]), as: UTF8.self)
    }

    /// A decimal integer filling the range exactly (an optional leading minus); nil otherwise.
    func integer(_ range: Range<Int>) -> Int64? {
        var index = range.lowerBound
        var negative = false
        if index < range.upperBound && base[index] == 45 {
            negative = true
            index += 1
        }
        guard index < range.upperBound else { return nil }
        var value: Int64 = 0
        while index < range.upperBound {
            let c = base[index]
            guard c >= 48 && c <= 57 else { return nil }
            let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
            let (added, o2) = shifted.addingReportingOverflow(Int64(c - 48))
            if o1 || o2 { return nil }
            value = added
            index += 1
        }
        return negative ? -value : value
    }
}

/// Resource·seconds summed per resource; refuses negative and overflowing amounts.
struct UsageTotals {
    var amounts: [String: Int64] = [:]

    mutating func add(_ resource: String, _ value: Int64) -> String? {
        guard value >= 0 else { return "negative usage \(resource)=\(value)" }
        let (sum, overflow) = (amounts[resource] ?? 0).addingReportingOverflow(value)
        guard !overflow else { return "usage of \(resource) overflows 64 bits" }
        amounts[resource] = sum
        return nil
    }
}

/// Checks that apply to every shape once the fields are read.
func finished(_ summary: AppSummary) -> LineOutcome {
    if summary.applicationID.isEmpty { return .rejected("empty application id") }
    if summary.finishTime < summary.startTime {
        return .rejected("finish time \(summary.finishTime) is before start time \(summary.startTime)")
    }
    if summary.startTime < 0 || summary.submissionTime < 0 { return .rejected("negative timestamp") }
    return .summary(summary)
}
