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

    /// Classifies a line longer than `limit` bytes (the reader may have cut it to `limit + 1`) without
    /// parsing it: rejected when it carries a summary marker, else skipped like other log output.
    public static func oversized(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int) -> LineOutcome {
        let line = Bytes(bytes)
        guard line.find(ykMarker) != nil || line.find(yarnLogger) != nil
            || (line.find(yarnAppID) != nil && line.find(Array("memorySeconds=".utf8)) != nil) else { return .skipped }
        return .rejected("line longer than \(limit) bytes: not read as a summary (a summary is a few hundred bytes)")
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
        guard let line = base.baseAddress else { return true }  // an empty buffer and an empty needle
        return needle.withUnsafeBufferPointer { needle in
            guard let text = needle.baseAddress else { return true }
            // Keys and separators are 5 to 25 bytes: a word at a time, then the tail.
            var offset = 0
            while offset + 8 <= needle.count {
                if UnsafeRawPointer(line + index + offset).loadUnaligned(as: UInt64.self)
                    != UnsafeRawPointer(text + offset).loadUnaligned(as: UInt64.self) { return false }
                offset += 8
            }
            while offset < needle.count {
                if line[index + offset] != text[offset] { return false }
                offset += 1
            }
            return true
        }
    }

    func find(_ needle: [UInt8], from start: Int = 0, to end: Int? = nil) -> Int? {
        let limit = min(end ?? base.count, base.count) - needle.count
        guard let head = needle.first, start <= limit else { return nil }
        var index = max(start, 0)
        while let candidate = firstIndex(of: head, from: index, through: limit) {
            if hasPrefix(needle, at: candidate) { return candidate }
            index = candidate + 1
        }
        return nil
    }

    /// The first index in `start...last` (within the buffer) holding `a`, `b` or `c` (repeat one to look
    /// for fewer). Lines are hundreds of bytes and the bytes looked for are rare, so it tests eight at a
    /// time with the zero-byte trick on a word.
    @inline(__always)
    func firstIndex(of a: UInt8, _ b: UInt8, _ c: UInt8, from start: Int, through last: Int) -> Int? {
        guard let pointer = base.baseAddress, start >= 0, start <= last, last < base.count else { return nil }
        let patternA = UInt64(a) &* Self.ones, patternB = UInt64(b) &* Self.ones, patternC = UInt64(c) &* Self.ones
        var index = start
        while index + 8 <= last + 1 {
            let word = UInt64(littleEndian: UnsafeRawPointer(pointer + index).loadUnaligned(as: UInt64.self))
            let found = Self.zeroBytes(word ^ patternA) | Self.zeroBytes(word ^ patternB) | Self.zeroBytes(word ^ patternC)
            if found != 0 { return index + (found.trailingZeroBitCount >> 3) }
            index += 8
        }
        while index <= last {
            let byte = pointer[index]
            if byte == a || byte == b || byte == c { return index }
            index += 1
        }
        return nil
    }

    @inline(__always)
    func firstIndex(of byte: UInt8, from start: Int, through last: Int) -> Int? {
        firstIndex(of: byte, byte, byte, from: start, through: last)
    }

    /// The high bit of every zero byte of `word`. A byte above a zero one can be flagged falsely (the
    /// borrow), never one below, so the lowest flag is exact.
    @inline(__always)
    private static func zeroBytes(_ word: UInt64) -> UInt64 { (word &- ones) & ~word & highBits }

    var isASCII: Bool {
        guard let pointer = base.baseAddress else { return true }
        var index = 0
        var bits: UInt64 = 0
        while index + 8 <= base.count {
            bits |= UnsafeRawPointer(pointer + index).loadUnaligned(as: UInt64.self)
            index += 8
        }
        while index < base.count {
            bits |= UInt64(pointer[index])
            index += 1
        }
        return bits & Self.highBits == 0
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: base[range]), as: UTF8.self)
    }

    /// A resource name; the usual ones come from literals, which skips decoding and validating them.
    func resourceName(_ range: Range<Int>) -> String {
        switch range.count {
        case 4 where hasPrefix(Self.pods, at: range.lowerBound): return "pods"
        case 5 where hasPrefix(Self.vcore, at: range.lowerBound): return "vcore"
        case 6 where hasPrefix(Self.memory, at: range.lowerBound): return "memory"
        default: return string(range)
        }
    }

    private static let pods = Array("pods".utf8), vcore = Array("vcore".utf8), memory = Array("memory".utf8)

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

    /// Sizes a still empty table once for the entries a line holds, instead of regrowing (and
    /// rehashing) per resource. Nothing is allocated for none, as most preempted and placeholder totals
    /// are empty, and a hostile line of thousands of entries does not get thousands of slots up front.
    mutating func reserve(_ count: Int) {
        guard count > 0, amounts.isEmpty else { return }
        amounts = Dictionary(minimumCapacity: min(count, 16))
    }

    mutating func add(_ resource: String, _ value: Int64) -> String? {
        guard value >= 0 else { return "negative usage \(resource)=\(value)" }
        guard resource.utf8.count <= SummaryLimits.resourceNameBytes else {
            return "resource name of \(resource.utf8.count) bytes is longer than \(SummaryLimits.resourceNameBytes)"
        }
        guard amounts.count < SummaryLimits.resourcesPerMap || amounts[resource] != nil else {
            return "more than \(SummaryLimits.resourcesPerMap) distinct resource names"
        }
        // Through the defaulting subscript's accessor: one hash per entry rather than a lookup and a store.
        return Self.accumulate(&amounts[resource, default: 0], value, resource)
    }

    private static func accumulate(_ total: inout Int64, _ value: Int64, _ resource: String) -> String? {
        let (sum, overflow) = total.addingReportingOverflow(value)
        guard !overflow else { return "usage of \(resource) overflows 64 bits" }
        total = sum
        return nil
    }
}

/// Checks that apply to every shape once the fields are read.
func finished(_ summary: consuming AppSummary) -> LineOutcome {
    if summary.applicationID.isEmpty { return .rejected("empty application id") }
    if summary.finishTime < summary.startTime {
        return .rejected("finish time \(summary.finishTime) is before start time \(summary.startTime)")
    }
    if summary.startTime < 0 || summary.submissionTime < 0 { return .rejected("negative timestamp") }
    if let problem = SummaryLimits.problem(with: summary) { return .rejected(problem) }
    return .summary(summary)
}
