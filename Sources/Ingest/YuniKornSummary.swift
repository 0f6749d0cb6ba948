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
        var values: [Range<Int>] = []
        values.reserveCapacity(keys.count)
        var valueStart = bodyStart + keys[0].utf8.count + 2
        for (index, separator) in separators.enumerated() {
            guard let next = line.find(separator, from: valueStart) else {
                return .rejected("truncated summary: no \(keys[index + 1]) field")
            }
            values.append(valueStart..<next)
            valueStart = next + separator.count
        }
        // The last value is a TrackedResource{…}; the summary's own brace follows it.
        guard line.hasPrefix(trackedPrefix, at: valueStart),
              let close = line.find([125], from: valueStart), line.byte(close + 1) == 125 else {
            return .rejected("truncated summary: PlaceholderResource is not closed")
        }
        values.append(valueStart..<(close + 1))

        var times: [Int64] = []
        for index in 1...3 {
            guard let value = line.integer(values[index]) else {
                return .rejected("\(keys[index]) is not a number: \"\(line.string(values[index]))\"")
            }
            times.append(value)
        }
        var usage = UsageTotals(), preempted = UsageTotals(), placeholder = UsageTotals()
        for (index, target) in [(8, 0), (9, 1), (10, 2)] {
            var totals = UsageTotals()
            if let problem = tracked(line, values[index], into: &totals) { return .rejected("\(keys[index]): \(problem)") }
            switch target {
            case 0: usage = totals
            case 1: preempted = totals
            default: placeholder = totals
            }
        }
        return finished(AppSummary(
            format: .yunikorn, applicationID: line.string(values[0]), rmID: line.string(values[7]),
            submissionTime: times[0], startTime: times[1], finishTime: times[2],
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
            let resource = line.string((colon + 1)..<equals)
            guard !resource.isEmpty else { return "entry without a resource name: \"\(line.string(entryStart..<entryEnd))\"" }
            if let problem = totals.add(resource, value) { return problem }
            entryStart = entryEnd + 1
        }
        return nil
    }
}
