/// YARN ResourceManager `ApplicationSummary` (`RMAppManager.ApplicationSummary`): comma-separated
/// `key=value` pairs with `\` escaping `,`, `=` and `\`. Memory is in MB·s and vcores in vcore·s;
/// they are converted to YuniKorn's byte·s and millicore·s.
enum YARNSummary {
    static func parse(_ line: Bytes, start: Int) -> LineOutcome {
        var fields: [String: String] = [:]
        var key: [UInt8] = [], value: [UInt8] = []
        var inValue = false
        var index = start
        func flush() {
            if !key.isEmpty { fields[String(decoding: key, as: UTF8.self)] = String(decoding: value, as: UTF8.self) }
            key.removeAll(keepingCapacity: true)
            value.removeAll(keepingCapacity: true)
            inValue = false
        }
        while index < line.count {
            var c = line.base[index]
            if c == 92, index + 1 < line.count {
                index += 1
                c = line.base[index] == 110 ? 10 : line.base[index]
                if inValue { value.append(c) } else { key.append(c) }
            } else if c == 44 {
                flush()
            } else if c == 61 && !inValue {
                inValue = true
            } else if inValue {
                value.append(c)
            } else {
                key.append(c)
            }
            index += 1
        }
        flush()
        guard let appID = fields["appId"], !appID.isEmpty else { return .rejected("YARN summary without appId") }
        var times: [Int64] = []
        for name in ["submitTime", "startTime", "finishTime"] {
            guard let text = fields[name] else { return .rejected("YARN summary \(appID) has no \(name) (truncated?)") }
            guard let number = Int64(text) else { return .rejected("\(name) is not a number: \"\(text)\"") }
            times.append(number)
        }
        var usage = UsageTotals(), preempted = UsageTotals()
        for (field, resource, scale, target) in [("memorySeconds", "memory", Int64(1 << 20), 0),
                                                 ("vcoreSeconds", "vcore", Int64(1000), 0),
                                                 ("preemptedMemorySeconds", "memory", Int64(1 << 20), 1),
                                                 ("preemptedVcoreSeconds", "vcore", Int64(1000), 1)] {
            guard let text = fields[field] else {
                if target == 0 { return .rejected("YARN summary \(appID) has no \(field) (truncated?)") }
                continue
            }
            guard let amount = Int64(text) else { return .rejected("\(field) is not a number: \"\(text)\"") }
            let (scaled, overflow) = amount.multipliedReportingOverflow(by: scale)
            guard !overflow else { return .rejected("\(field) overflows when converted to YuniKorn units") }
            let problem = target == 0 ? usage.add(resource, scaled) : preempted.add(resource, scaled)
            if let problem { return .rejected(problem) }
        }
        // Other resources only appear inside resourceSeconds: "<n> MB-seconds, <n> vcore-seconds, <n> <name>-seconds".
        if let text = fields["resourceSeconds"] {
            for part in text.split(separator: ",").dropFirst(2) {
                let words = part.split(separator: " ")
                guard words.count == 2, let amount = Int64(words[0]), let dash = words[1].lastIndex(of: "-") else { continue }
                let name = String(words[1][..<dash])
                if !name.isEmpty, let problem = usage.add(name, amount) { return .rejected(problem) }
            }
        }
        return finished(AppSummary(
            format: .yarn, applicationID: appID, rmID: "", submissionTime: times[0], startTime: times[1],
            finishTime: times[2], user: fields["user"] ?? "", queue: fields["queue"] ?? "",
            state: fields["state"] ?? "", usage: usage.amounts, preempted: preempted.amounts))
    }
}
