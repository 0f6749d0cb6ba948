import JSONText
extension SLOReport {
    /// The output formats of `bursar slo report --format`.
    public enum Format: String, Sendable, CaseIterable {
        /// `text()`: a summary for people.
        case text
        /// `json()`: one object for scripts and dashboards.
        case json
        /// `csv()`: one row per workflow.
        case csv
    }

    /// The report in one of its formats.
    public func rendered(as format: Format) -> String {
        switch format {
        case .text: text()
        case .json: json()
        case .csv: csv()
        }
    }

    // MARK: JSON

    /// One JSON object with a stable key order, ending in a newline: `window`, `goal`, `totals`, `tiers`,
    /// `workflows`, `worst_offenders`. Keys are snake_case; counts are integers; rates are fractions rounded
    /// to 4 decimals, minutes to 1 decimal; a figure with nothing to compute it from is `null`.
    public func json() -> String {
        let document: SLOJSONValue = .object([
            ("window", .object([("from", .string(window.from)), ("until", .string(window.until)),
                                ("days", .int(window.days))])),
            ("goal", .object([("tier", .int(options.goalTier)),
                              ("day_attainment", .number(options.dayAttainmentThreshold, decimals: 4)),
                              ("workflow_share", .number(options.goalShare, decimals: 4)),
                              ("met", .bool(goalTier?.goalMet))])),
            ("totals", .object([("runs", .int(totals.runs)), ("runs_met", .int(totals.runsMet)),
                                ("pending", .int(totals.pending)), ("workflows", .int(totals.workflows)),
                                ("on_time_rate", .rate(totals.onTimeRate))])),
            ("tiers", .array(tiers.map { tier in
                .object([("tier", .int(tier.tier)), ("workflows", .int(tier.workflows)),
                         ("workflows_attaining", .int(tier.workflowsAttaining)),
                         ("share_attaining", .rate(tier.shareAttaining)), ("goal_met", .bool(tier.goalMet)),
                         ("runs", .int(tier.runs)), ("runs_met", .int(tier.runsMet)), ("pending", .int(tier.pending)),
                         ("on_time_rate", .rate(tier.onTimeRate))])
            })),
            ("workflows", .array(workflows.map { workflow in
                .object(Self.csvColumns.map { column in (column.name, column.value(workflow)) })
            })),
            ("worst_offenders", .array(worstOffenders.map { workflow in
                .object([("workflow", .string(workflow.workflow)), ("tier", .int(workflow.tier)),
                         ("on_time_rate", .rate(workflow.onTimeRate)), ("runs", .int(workflow.runs)),
                         ("runs_missed", .int(workflow.runsMissed)),
                         ("worst_lateness_minutes", .minutes(workflow.worstLatenessMinutes))])
            })),
        ])
        return document.rendered() + "\n"
    }

    // MARK: CSV

    /// One row per workflow (the order of `workflows`) under a header row, RFC 4180: CRLF line ends,
    /// fields holding a comma, quote or line break are quoted, quotes doubled. Missing figures are empty.
    public func csv() -> String {
        var lines = [Self.csvColumns.map(\.name).joined(separator: ",")]
        for workflow in workflows {
            lines.append(Self.csvColumns.map { Self.csvField($0.value(workflow).csvText) }.joined(separator: ","))
        }
        return lines.map { $0 + "\r\n" }.joined()
    }

    /// The per-workflow columns, shared by the CSV rows and the JSON `workflows` objects.
    fileprivate static let csvColumns: [(name: String, value: @Sendable (Workflow) -> SLOJSONValue)] = [
        ("workflow", { .string($0.workflow) }),
        ("project", { .string($0.project) }),
        ("org", { .string($0.org) }),
        ("tier", { .int($0.tier) }),
        ("slo_minutes", { .int($0.sloMinutes) }),
        ("runs", { .int($0.runs) }),
        ("runs_met", { .int($0.runsMet) }),
        ("runs_missed", { .int($0.runsMissed) }),
        ("pending", { .int($0.pending) }),
        ("on_time_rate", { .rate($0.onTimeRate) }),
        ("days", { .int($0.days) }),
        ("days_met", { .int($0.daysMet) }),
        ("day_attainment", { .rate($0.dayAttainment) }),
        ("attains", { .bool($0.attains) }),
        ("worst_lateness_minutes", { .minutes($0.worstLatenessMinutes) }),
        ("missed_unfinished", { .int($0.missedUnfinished) }),
        ("median_runtime_minutes", { .minutes($0.medianRuntimeMinutes) }),
    ]

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else {
            return text
        }
        return "\"" + text.replacingAll("\"", with: "\"\"") + "\""
    }

    // MARK: Text

    /// A short summary for people: the window and totals, a per-tier table with the goal verdict, the
    /// platform goal's verdict in words, then the worst offenders with on-time rate and worst lateness.
    public func text() -> String {
        var out = "SLO attainment, \(window.from) to \(window.until) (\(window.days) UTC day\(window.days == 1 ? "" : "s"))\n"
        guard totals.runs > 0 else {
            out += totals.pending > 0
                ? "No decided runs in the window; \(totals.pending) pending.\n"
                : "No runs in the window.\n"
            return out
        }
        out += "Runs: \(totals.runs) decided, \(totals.runsMet) met (\(Self.percent(totals.onTimeRate)) on time)"
        out += ", \(totals.pending) pending; \(totals.workflows) workflow\(totals.workflows == 1 ? "" : "s").\n\n"

        let threshold = Self.thresholdPercent(options.dayAttainmentThreshold)
        let share = Self.thresholdPercent(options.goalShare)
        let goalHeader = "Goal (\(share))"
        var table = [["Tier", "Workflows", "Attaining", "Share", goalHeader, "Runs", "On time"]]
        for tier in tiers {
            let verdict = tier.goalMet.map { $0 ? "met" : "not met" } ?? "-"
            table.append([String(tier.tier), String(tier.workflows), String(tier.workflowsAttaining),
                          Self.percent(tier.shareAttaining), verdict, String(tier.runs), Self.percent(tier.onTimeRate)])
        }
        out += Self.table(table, rightAligned: [false, true, true, true, false, true, true])

        let name = "tier-\(options.goalTier)"
        out += "\n"
        if let goal = goalTier, let met = goal.goalMet {
            out += "Tier-\(options.goalTier) goal \(met ? "met" : "not met"): \(met ? "" : "only ")"
            out += "\(goal.workflowsAttaining) of \(goal.workflows) \(name) workflows (\(Self.percent(goal.shareAttaining))) "
            out += "met their SLO on at least \(threshold) of their days; the goal is \(share).\n"
        } else {
            out += "Tier-\(options.goalTier) goal not assessed: no \(name) workflow "
            out += "has a decided run in the window.\n"
        }

        out += "\n"
        if worstOffenders.isEmpty {
            out += "Worst offenders: none; every decided run met its SLO.\n"
        } else {
            out += "Worst offenders (lowest on-time rate first):\n"
            var rows = [["Workflow", "Tier", "On time", "Missed", "Worst lateness"]]
            for workflow in worstOffenders {
                let lateness = workflow.worstLatenessMinutes.map { Self.decimal($0, decimals: 1) + " min" }
                    ?? "unfinished"
                rows.append([workflow.workflow, String(workflow.tier), Self.percent(workflow.onTimeRate),
                             "\(workflow.runsMissed) of \(workflow.runs)", lateness])
            }
            out += Self.table(rows, rightAligned: [false, true, true, true, true], indent: "  ")
        }
        return out
    }

    private static func table(_ rows: [[String]], rightAligned: [Bool], indent: String = "") -> String {
        var widths = [Int](repeating: 0, count: rightAligned.count)
        for row in rows {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        return rows.map { row in
            let cells = row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned[column] ? padding + cell : cell + padding
            }
            var line = indent + cells.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line + "\n"
        }.joined()
    }

    /// A threshold as people write it: 90%, 92.5%.
    private static func thresholdPercent(_ fraction: Double) -> String {
        decimal(fraction * 100, decimals: 2, trimZeros: true) + "%"
    }

    static func percent(_ fraction: Double?, decimals: Int = 1) -> String {
        fraction.map { decimal($0 * 100, decimals: decimals) + "%" } ?? "-"
    }

    /// Fixed-point decimal text without Foundation: rounded half away from zero, deterministic everywhere.
    static func decimal(_ value: Double, decimals: Int, trimZeros: Bool = false) -> String {
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (value * Double(scale)).rounded()
        guard scaled.isFinite, abs(scaled) < 9e15 else { return String(value) }
        let units = Int64(scaled)
        let sign = units < 0 ? "-" : ""
        let magnitude = units.magnitude
        var text = sign + String(magnitude / UInt64(scale))
        guard decimals > 0 else { return text }
        var fraction = String(magnitude % UInt64(scale))
        fraction = String(repeating: "0", count: decimals - fraction.count) + fraction
        if trimZeros {
            while fraction.last == "0" { fraction.removeLast() }
        }
        if !fraction.isEmpty { text += "." + fraction }
        return text
    }
}

/// The few JSON shapes the report writes, rendered by hand so the key order and number text are fixed.
fileprivate indirect enum SLOJSONValue {
    case object([(String, SLOJSONValue)])
    case array([SLOJSONValue])
    case string(String)
    case int(Int)
    /// A fraction or other decimal, rounded to `decimals` with trailing zeros dropped.
    case number(Double, decimals: Int)
    case null
    case boolean(Bool)

    static func bool(_ value: Bool?) -> SLOJSONValue { value.map(SLOJSONValue.boolean) ?? .null }
    static func rate(_ value: Double?) -> SLOJSONValue { value.map { .number($0, decimals: 4) } ?? .null }
    static func minutes(_ value: Double?) -> SLOJSONValue { value.map { .number($0, decimals: 1) } ?? .null }

    /// The top-level object spreads its members over lines and each of its arrays puts one element per line;
    /// everything deeper stays on one line, so a golden diff shows one workflow per line.
    func rendered(depth: Int = 0) -> String {
        let indent = String(repeating: "  ", count: depth)
        switch self {
        case let .object(members) where depth == 0 && !members.isEmpty:
            let body = members.map { indent + "  " + JSON.quoted($0.0) + ": " + $0.1.rendered(depth: depth + 1) }
            return "{\n" + body.joined(separator: ",\n") + "\n" + indent + "}"
        case let .array(elements) where depth == 1 && !elements.isEmpty:
            let body = elements.map { indent + "  " + $0.rendered(depth: depth + 1) }
            return "[\n" + body.joined(separator: ",\n") + "\n" + indent + "]"
        case let .object(members):
            return "{" + members.map { JSON.quoted($0.0) + ": " + $0.1.rendered(depth: depth + 1) }
                .joined(separator: ", ") + "}"
        case let .array(elements):
            return "[" + elements.map { $0.rendered(depth: depth + 1) }.joined(separator: ", ") + "]"
        case let .string(text): return JSON.quoted(text)
        case let .int(value): return String(value)
        case let .number(value, decimals):
            return value.isFinite ? SLOReport.decimal(value, decimals: decimals, trimZeros: true) : "null"
        case .null: return "null"
        case let .boolean(value): return value ? "true" : "false"
        }
    }

    /// The text a CSV cell holds: the same figures as the JSON, strings unquoted, `null` as empty.
    var csvText: String {
        switch self {
        case let .string(text): text
        case .null: ""
        default: rendered(depth: 2)
        }
    }

}

private extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}
