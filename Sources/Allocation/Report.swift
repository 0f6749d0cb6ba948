import Foundation

/// The allocation report: per queue demand, guaranteed, max, coverage, change since last night and the
/// binding constraint; per cluster the headroom; the models solved. Text for terminals, Markdown for
/// reviews, JSON for scripts.
public enum AllocationReport {
    /// The lowest-coverage resource of a queue, the one its text line is about.
    static func worst(_ queue: QueuePlan, _ resources: [String]) -> String? {
        resources.filter { (queue.resources[$0]?.demand ?? 0) > 0 }
            .min { (queue.resources[$0]!.coverage, $0) < (queue.resources[$1]!.coverage, $1) }
    }

    static func change(_ queue: QueuePlan, _ resource: String) -> String {
        guard let now = queue.resources[resource]?.guaranteed else { return "" }
        if queue.previousCluster == nil { return "new" }
        if queue.moved { return "moved from \(queue.previousCluster!)" }
        let before = queue.previousGuaranteed[resource] ?? 0
        let delta = now - before
        let percent = before > 0 ? String(format: " (%+.0f%%)", delta / before * 100) : ""
        return (delta >= 0 ? "+" : "") + ResourceUnits.describe(delta, resource: resource) + percent
    }

    static func percent(_ value: Double) -> String { String(format: "%.0f%%", value * 100) }

    /// A few lines for people: what moved, where the pressure is.
    public static func summary(_ plan: AllocationPlan) -> String {
        var lines: [String] = []
        let queues = plan.queues
        let moved = queues.filter(\.moved)
        let new = queues.filter { $0.previousCluster == nil }
        lines.append("planned \(queues.count) queues on \(plan.clusters.count) clusters: \(new.count) new, \(moved.count) moved, placement within \(String(format: "%.3f%%", plan.placement.gap * 100)) of optimal")
        for queue in moved.prefix(5) { lines.append("  moved \(queue.queue.path): \(queue.previousCluster!) → \(queue.cluster)") }
        if moved.count > 5 { lines.append("  … and \(moved.count - 5) more moves") }
        for cluster in plan.clusters {
            let parts = plan.resources.compactMap { resource -> String? in
                guard let block = cluster.blocks[resource], block.usable > 0 else { return nil }
                let used = block.usable - block.headroom
                return "\(resource) \(percent(used / block.usable))"
            }
            var pressure = ""
            for resource in plan.resources {
                guard let block = cluster.blocks[resource] else { continue }
                if (block.level[2] ?? 1) < 1 - 1e-9 { pressure += "; tier 2 short on \(resource) (\(percent(block.level[2]!)) covered)" }
                else if (block.level[3] ?? 1) < 1 - 1e-9 { pressure += "; tier 3 at \(percent(block.level[3]!)) of demand on \(resource)" }
            }
            lines.append("  \(cluster.cluster.name): \(cluster.queues.count) queues, usable capacity allocated: \(parts.joined(separator: ", "))\(pressure)")
        }
        for relaxation in plan.relaxations { lines.append("  relaxed: \(relaxation)") }
        let limited = queues.filter { q in q.resources.values.contains { $0.binding == .changeLimitGrowth } }
        if !limited.isEmpty { lines.append("  \(limited.count) queue(s) grow less than their demand tonight (change limit)") }
        return lines.joined(separator: "\n")
    }

    /// The full text report; `context` (which night, which previous plan) heads it when given.
    public static func text(_ plan: AllocationPlan, context: PlanContext? = nil) -> String {
        var out = context.map { contextLines($0, plan).joined(separator: "\n") + "\n" } ?? ""
        out += summary(plan) + "\n\nqueues (the lowest-coverage resource of each):\n"
        for queue in plan.queues {
            guard let resource = worst(queue, plan.resources) ?? plan.resources.first,
                  let allocation = queue.resources[resource] else { continue }
            out += "  \(queue.queue.path) on \(queue.cluster): \(resource) demand \(ResourceUnits.describe(allocation.demand, resource: resource)), "
                + "guaranteed \(ResourceUnits.describe(allocation.guaranteed, resource: resource)), max \(ResourceUnits.describe(allocation.max, resource: resource)), "
                + "coverage \(percent(allocation.coverage)), \(change(queue, resource)), \(allocation.binding.rawValue)"
                + (queue.demand.source == .history ? "" : " [demand: \(queue.demand.source.rawValue)]") + "\n"
        }
        out += "\nclusters (headroom = usable capacity not guaranteed to any queue):\n"
        for cluster in plan.clusters {
            for resource in plan.resources {
                guard let block = cluster.blocks[resource], block.capacity > 0 else { continue }
                out += "  \(cluster.cluster.name) \(resource): capacity \(ResourceUnits.describe(block.capacity, resource: resource)), "
                    + "onboarding reserve \(ResourceUnits.describe(block.capacity - block.usable, resource: resource)), "
                    + "headroom \(ResourceUnits.describe(block.headroom, resource: resource))\n"
            }
        }
        out += "\nmodels: \(plan.models.count) solved by GLPK; placement \(String(format: "%.3f", plan.placementSeconds)) s "
            + "(\(plan.placement.rounds) pricing rounds, \(plan.placement.columns) of \(plan.placement.fullColumns) columns, "
            + "objective \(String(format: "%.6g", plan.placement.objective)), bound \(String(format: "%.6g", plan.placement.lowerBound))), "
            + "allocation \(String(format: "%.3f", plan.allocationSeconds)) s\n"
        if !plan.ignoredQueues.isEmpty {
            out += "not sized (not root.<org>.<project>.tier<N>): \(plan.ignoredQueues.joined(separator: ", "))\n"
        }
        return out
    }

    /// The lines saying which night the plan is for, against which previous plan, and (once written) its id
    /// and time.
    static func contextLines(_ context: PlanContext, _ plan: AllocationPlan) -> [String] {
        var lines = [context.line(windowStart: plan.windowStart, windowEnd: plan.windowEnd)]
        if let id = context.planID, let at = context.plannedAt {
            lines.append("plan \(id), planned at \(PlanNight.timestamp(at)) UTC")
        }
        return lines
    }

    /// The report as Markdown tables, for a pull request or a wiki.
    public static func markdown(_ plan: AllocationPlan, context: PlanContext? = nil) -> String {
        var out = "# Queue allocation" + (context.map { " for night \($0.night)" } ?? "") + "\n\n"
        if let context { out += contextLines(context, plan).map { "- " + $0 + "\n" }.joined() }
        out += summary(plan).split(separator: "\n").map { "- " + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n") + "\n\n"
        out += "## Queues\n\n| queue | cluster | tier | resource | demand | guaranteed | max | coverage | change | binding |\n|---|---|---|---|---:|---:|---:|---:|---|---|\n"
        for queue in plan.queues {
            for resource in plan.resources {
                guard let a = queue.resources[resource], a.demand > 0 || a.guaranteed > 0 else { continue }
                out += "| `\(queue.queue.path)` | \(queue.cluster) | \(queue.queue.tier) | \(resource) | \(ResourceUnits.describe(a.demand, resource: resource)) | "
                    + "\(ResourceUnits.describe(a.guaranteed, resource: resource)) | \(ResourceUnits.describe(a.max, resource: resource)) | "
                    + "\(percent(a.coverage)) | \(change(queue, resource)) | \(a.binding.rawValue) |\n"
            }
        }
        out += "\n## Clusters\n\n| cluster | resource | capacity | onboarding reserve | guaranteed | headroom |\n|---|---|---:|---:|---:|---:|\n"
        for cluster in plan.clusters {
            for resource in plan.resources {
                guard let b = cluster.blocks[resource], b.capacity > 0 else { continue }
                out += "| \(cluster.cluster.name) | \(resource) | \(ResourceUnits.describe(b.capacity, resource: resource)) | "
                    + "\(ResourceUnits.describe(b.capacity - b.usable, resource: resource)) | \(ResourceUnits.describe(b.usable - b.headroom, resource: resource)) | "
                    + "\(ResourceUnits.describe(b.headroom, resource: resource)) |\n"
            }
        }
        if !plan.relaxations.isEmpty { out += "\n## Relaxations\n\n" + plan.relaxations.map { "- \($0)\n" }.joined() }
        return out
    }

    /// The JSON object (sorted keys when serialised): queues, clusters, models with objective and solve time.
    public static func jsonObject(_ plan: AllocationPlan, context: PlanContext? = nil) -> [String: Any] {
        func round(_ x: Double) -> Double { (x * 1e6).rounded() / 1e6 }
        let queues: [[String: Any]] = plan.queues.map { queue in
            var resources: [String: Any] = [:]
            for (name, a) in queue.resources {
                resources[name] = [
                    "demand": round(a.demand), "target": round(a.target), "guaranteed": round(a.guaranteed), "max": round(a.max),
                    "coverage": round(a.coverage), "binding": a.binding.rawValue,
                    "previous": queue.moved || queue.previousCluster == nil ? NSNull() : round(queue.previousGuaranteed[name] ?? 0) as Any,
                    "change": queue.moved || queue.previousCluster == nil ? NSNull() : round(a.guaranteed - (queue.previousGuaranteed[name] ?? 0)) as Any,
                ] as [String: Any]
            }
            return [
                "queue": queue.queue.path, "org": queue.queue.org, "project": queue.queue.project, "tier": queue.queue.tier,
                "cluster": queue.cluster, "previous_cluster": queue.previousCluster as Any? ?? NSNull(), "moved": queue.moved,
                "demand_source": queue.demand.source.rawValue, "history_hours": queue.demand.hours,
                "maxapplications": queue.maxApplications, "resources": resources, "units": Dictionary(uniqueKeysWithValues: plan.resources.map { ($0, ResourceUnits.unitName($0)) }),
            ]
        }
        let clusters: [[String: Any]] = plan.clusters.map { cluster in
            var resources: [String: Any] = [:]
            for (name, b) in cluster.blocks {
                resources[name] = ["capacity": round(b.capacity), "usable": round(b.usable), "reserve": round(b.capacity - b.usable),
                                   "guaranteed": round(b.usable - b.headroom), "headroom": round(b.headroom), "relaxed": b.relaxed,
                                   "tier_coverage": Dictionary(uniqueKeysWithValues: b.level.map { ("tier\($0.key)", round($0.value)) })] as [String: Any]
            }
            return ["cluster": cluster.cluster.name, "labels": cluster.cluster.labels, "queues": cluster.queues.count, "resources": resources]
        }
        let models: [[String: Any]] = plan.models.map { m in
            var entry: [String: Any] = ["name": m.name, "kind": m.kind, "rows": m.rows, "columns": m.columns,
                                        "objective": m.objective, "seconds": m.seconds]
            if let file = m.file { entry["file"] = file }
            return entry
        }
        var object: [String: Any] = [
            "window": ["start_ms": plan.windowStart, "end_ms": plan.windowEnd, "days": plan.policy.windowDays],
            "queues": queues, "clusters": clusters, "models": models, "relaxations": plan.relaxations,
            "ignored_queues": plan.ignoredQueues,
            "placement": ["objective": plan.placement.objective, "lower_bound": plan.placement.lowerBound, "gap": plan.placement.gap,
                          "rounds": plan.placement.rounds, "columns": plan.placement.columns, "full_columns": plan.placement.fullColumns,
                          "used_full_model": plan.placement.usedFullModel, "seconds": plan.placementSeconds,
                          "moved": plan.queues.filter(\.moved).count, "new": plan.queues.filter { $0.previousCluster == nil }.count] as [String: Any],
            "allocation_seconds": plan.allocationSeconds,
        ]
        if let context {
            object["night"] = context.night.description
            var previous: [String: Any] = ["source": context.previous.kind, "description": context.previous.description]
            switch context.previous {
            case let .night(night): previous["night"] = night.description
            case let .baseline(clusters): previous["clusters"] = clusters
            case .none, .ignored: break
            }
            object["previous_plan"] = previous
            object["plan_id"] = context.planID as Any? ?? NSNull()
            object["planned_at_ms"] = context.plannedAt as Any? ?? NSNull()
        }
        return object
    }

    /// The JSON text, keys sorted.
    public static func json(_ plan: AllocationPlan, context: PlanContext? = nil) -> String {
        JSONText.pretty(jsonObject(plan, context: context)) + "\n"
    }

    /// For `--export-lp`: each exported model with its objective, time and our column values, so another
    /// solver's answer can be compared (`Benchmarks/highs_check.py`).
    public static func modelsManifest(_ plan: AllocationPlan) -> String {
        let models: [[String: Any]] = plan.models.compactMap { m in
            guard let file = m.file else { return nil }
            return ["name": m.name, "kind": m.kind, "file": file, "objective": m.objective, "seconds": m.seconds,
                    "rows": m.rows, "columns": m.columns, "values": m.values]
        }
        let object: [String: Any] = ["models": models, "placement": ["objective": plan.placement.objective,
                                                                      "lower_bound": plan.placement.lowerBound,
                                                                      "seconds": plan.placementSeconds],
                                     "allocation_seconds": plan.allocationSeconds]
        return JSONText.pretty(object) + "\n"
    }
}

/// Pretty JSON with sorted keys for the report's plain values (strings, numbers, booleans, null, arrays,
/// dictionaries). Foundation's `JSONSerialization` with `.sortedKeys` compares keys through ICU and took
/// two seconds for a 6,000-queue report; this is linear apart from sorting each object's keys.
enum JSONText {
    static func pretty(_ value: Any) -> String {
        var out = ""
        out.reserveCapacity(1 << 20)
        write(value, indent: 0, into: &out)
        return out
    }

    private static func write(_ value: Any, indent: Int, into out: inout String) {
        switch value {
        case let string as String: quote(string, into: &out)
        case let flag as Bool: out += flag ? "true" : "false"
        case let number as Int: out += String(number)
        case let number as Int64: out += String(number)
        case let number as Double: out += format(number)
        case let dictionary as [String: Any]:
            if dictionary.isEmpty { out += "{}"; return }
            out += "{\n"
            let keys = dictionary.keys.sorted()
            for (index, key) in keys.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                quote(key, into: &out)
                out += " : "
                write(dictionary[key]!, indent: indent + 2, into: &out)
                out += index == keys.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        case let array as [Any]:
            if array.isEmpty { out += "[]"; return }
            out += "[\n"
            for (index, element) in array.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                write(element, indent: indent + 2, into: &out)
                out += index == array.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        default: out += "null"  // NSNull, nil

        }
    }

    private static func format(_ number: Double) -> String {
        guard number.isFinite else { return "null" }
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return "\(number)"
    }

    private static func quote(_ string: String, into out: inout String) {
        out += "\""
        if !string.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out += string
            out += "\""
            return
        }
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
