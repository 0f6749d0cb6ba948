/// YuniKorn ≥ 1.5 (`application_summary.go`): `YK_APP_SUMMARY: {ApplicationID: …, SubmissionTime: <ms>,
/// StartTime: <ms>, FinishTime: <ms>, User: …, Queue: …, State: …, RmID: …, ResourceUsage:
/// TrackedResource{<inst>:<res>=<n>,…}, PreemptedResource: …, PlaceholderResource: …}`.
/// Nothing is quoted, so fields are found by the fixed key order, as the format string fixes it.
enum YuniKornSummary {
    static let keys = ["ApplicationID", "SubmissionTime", "StartTime", "FinishTime", "User", "Queue", "State", "RmID",
                       "ResourceUsage", "PreemptedResource", "PlaceholderResource"]
    /// ", Key: " for every key after the first.
    static let separators: [[UInt8]] = keys.dropFirst().map { Array(", \($0): ".utf8) }
    static let trackedPrefix = Array("TrackedResource{".utf8)

    static func parse(_ line: Bytes, bodyStart: Int) -> LineOutcome {
        withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: keys.count) { values in
            parse(line, bodyStart: bodyStart, values: values)
        }
    }

    /// `values` is scratch room for the eleven value ranges, so a line allocates only what it returns.
    private static func parse(_ line: Bytes, bodyStart: Int, values: UnsafeMutableBufferPointer<Range<Int>>) -> LineOutcome {
        var valueStart = bodyStart + keys[0].utf8.count + 2
        for index in 0..<separators.count {
            let separator = separators[index]
            guard let next = line.find(separator, from: valueStart) else {
                return .rejected("truncated summary: no \(keys[index + 1]) field")
            }
            values[index] = valueStart..<next
            valueStart = next + separator.count
        }
        // The last value is a TrackedResource{…}; the summary's own brace follows it.
        guard line.hasPrefix(trackedPrefix, at: valueStart),
              let close = line.firstIndex(of: 125, from: valueStart, through: line.count - 1), line.byte(close + 1) == 125 else {
            return .rejected("truncated summary: PlaceholderResource is not closed")
        }
        values[10] = valueStart..<(close + 1)

        func notANumber(_ index: Int) -> LineOutcome {
            .rejected("\(keys[index]) is not a number: \"\(line.string(values[index]))\"")
        }
        guard let submissionTime = line.integer(values[1]) else { return notANumber(1) }
        guard let startTime = line.integer(values[2]) else { return notANumber(2) }
        guard let finishTime = line.integer(values[3]) else { return notANumber(3) }
        var usage = UsageTotals(), preempted = UsageTotals(), placeholder = UsageTotals()
        if let problem = tracked(line, values[8], into: &usage) { return .rejected("\(keys[8]): \(problem)") }
        if let problem = tracked(line, values[9], into: &preempted) { return .rejected("\(keys[9]): \(problem)") }
        if let problem = tracked(line, values[10], into: &placeholder) { return .rejected("\(keys[10]): \(problem)") }
        return finished(AppSummary(
            format: .yunikorn, applicationID: line.string(values[0]), rmID: line.string(values[7]),
            submissionTime: submissionTime, startTime: startTime, finishTime: finishTime,
            user: line.string(values[4]), queue: line.string(values[5]), state: line.string(values[6]),
            usage: usage.amounts, preempted: preempted.amounts, placeholder: placeholder.amounts))
    }

    /// `TrackedResource{inst:res=n,…}`, entries in any order; instance types are summed away.
    static func tracked(_ line: Bytes, _ range: Range<Int>, into totals: inout UsageTotals) -> String? {
        guard line.hasPrefix(trackedPrefix, at: range.lowerBound), range.count > trackedPrefix.count,
              line.byte(range.upperBound - 1) == 125 else {
            return "not a TrackedResource{…}: \"\(line.string(range))\""
        }
        var entryStart = range.lowerBound + trackedPrefix.count
        let end = range.upperBound - 1
        var entries = entryStart < end ? 1 : 0
        for index in entryStart..<max(entryStart, end) where line.base[index] == 44 { entries += 1 }
        totals.reserve(entries)
        while entryStart < end {
            var entryEnd = entryStart
            while entryEnd < end && line.base[entryEnd] != 44 { entryEnd += 1 }
            // inst:res=n — the value after the last '=', the resource after the last ':' before it.
            var equals = entryEnd - 1
            while equals > entryStart && line.base[equals] != 61 { equals -= 1 }
            guard equals > entryStart, line.base[equals] == 61 else {
                return "entry without a value: \"\(line.string(entryStart..<entryEnd))\""
            }
            guard let value = line.integer((equals + 1)..<entryEnd) else {
                return "not a number in \"\(line.string(entryStart..<entryEnd))\""
            }
            var colon = equals - 1
            while colon >= entryStart && line.base[colon] != 58 { colon -= 1 }
            let resource = line.resourceName((colon + 1)..<equals)
            guard !resource.isEmpty else { return "entry without a resource name: \"\(line.string(entryStart..<entryEnd))\"" }
            if let problem = totals.add(resource, value) { return problem }
            entryStart = entryEnd + 1
        }
        return nil
    }
}
