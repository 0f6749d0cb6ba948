public import Platform
public import JSONText
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
    public static func jsonObject(_ plan: AllocationPlan, context: PlanContext? = nil) -> JSON {
        func round(_ x: Double) -> JSON { .number((x * 1e6).rounded() / 1e6) }
        let units = JSON.strings(Dictionary(uniqueKeysWithValues: plan.resources.map { ($0, ResourceUnits.unitName($0)) }))
        let queues: [JSON] = plan.queues.map { queue in
            var resources: [String: JSON] = [:]
            let fresh = queue.moved || queue.previousCluster == nil
            for (name, a) in queue.resources {
                resources[name] = .object([
                    "demand": round(a.demand), "target": round(a.target), "guaranteed": round(a.guaranteed), "max": round(a.max),
                    "coverage": round(a.coverage), "binding": .string(a.binding.rawValue),
                    "previous": fresh ? .null : round(queue.previousGuaranteed[name] ?? 0),
                    "change": fresh ? .null : round(a.guaranteed - (queue.previousGuaranteed[name] ?? 0)),
                ])
            }
            return .object([
                "queue": .string(queue.queue.path), "org": .string(queue.queue.org), "project": .string(queue.queue.project),
                "tier": .int(queue.queue.tier), "cluster": .string(queue.cluster), "previous_cluster": .string(queue.previousCluster),
                "moved": .bool(queue.moved), "demand_source": .string(queue.demand.source.rawValue),
                "history_hours": .int(queue.demand.hours), "maxapplications": .int(queue.maxApplications),
                "resources": .object(resources), "units": units,
            ])
        }
        let clusters: [JSON] = plan.clusters.map { cluster in
            var resources: [String: JSON] = [:]
            for (name, b) in cluster.blocks {
                resources[name] = .object([
                    "capacity": round(b.capacity), "usable": round(b.usable), "reserve": round(b.capacity - b.usable),
                    "guaranteed": round(b.usable - b.headroom), "headroom": round(b.headroom), "relaxed": .bool(b.relaxed),
                    "tier_coverage": .object(Dictionary(uniqueKeysWithValues: b.level.map { ("tier\($0.key)", round($0.value)) })),
                ])
            }
            return .object(["cluster": .string(cluster.cluster.name), "labels": .strings(cluster.cluster.labels),
                            "queues": .int(cluster.queues.count), "resources": .object(resources)])
        }
        let models: [JSON] = plan.models.map { m in
            var entry: [String: JSON] = ["name": .string(m.name), "kind": .string(m.kind), "rows": .int(m.rows), "columns": .int(m.columns),
                                         "objective": .number(m.objective), "seconds": .number(m.seconds)]
            if let file = m.file { entry["file"] = .string(file) }
            return .object(entry)
        }
        var object: [String: JSON] = [
            "window": .object(["start_ms": .int(plan.windowStart), "end_ms": .int(plan.windowEnd), "days": .int(plan.policy.windowDays)]),
            "queues": .array(queues), "clusters": .array(clusters), "models": .array(models), "relaxations": .strings(plan.relaxations),
            "ignored_queues": .strings(plan.ignoredQueues),
            "placement": .object([
                "objective": .number(plan.placement.objective), "lower_bound": .number(plan.placement.lowerBound),
                "gap": .number(plan.placement.gap), "rounds": .int(plan.placement.rounds), "columns": .int(plan.placement.columns),
                "full_columns": .int(plan.placement.fullColumns), "used_full_model": .bool(plan.placement.usedFullModel),
                "seconds": .number(plan.placementSeconds), "moved": .int(plan.queues.filter(\.moved).count),
                "new": .int(plan.queues.filter { $0.previousCluster == nil }.count),
            ]),
            "allocation_seconds": .number(plan.allocationSeconds),
        ]
        if let context {
            object["night"] = .string(context.night.description)
            var previous: [String: JSON] = ["source": .string(context.previous.kind), "description": .string(context.previous.description)]
            switch context.previous {
            case let .night(night): previous["night"] = .string(night.description)
            case let .baseline(clusters): previous["clusters"] = .strings(clusters)
            case .none, .ignored: break
            }
            object["previous_plan"] = .object(previous)
            object["plan_id"] = .string(context.planID)
            object["planned_at_ms"] = .int(context.plannedAt)
        }
        return .object(object)
    }

    /// The JSON text, keys sorted.
    public static func json(_ plan: AllocationPlan, context: PlanContext? = nil) -> String {
        jsonObject(plan, context: context).pretty() + "\n"
    }

    /// For `--export-lp`: each exported model with its objective, time and our column values, so another
    /// solver's answer can be compared (`Benchmarks/highs_check.py`).
    public static func modelsManifest(_ plan: AllocationPlan) -> String {
        let models: [JSON] = plan.models.compactMap { m -> JSON? in
            guard let file = m.file else { return nil }
            return .object(["name": .string(m.name), "kind": .string(m.kind), "file": .string(file), "objective": .number(m.objective),
                            "seconds": .number(m.seconds), "rows": .int(m.rows), "columns": .int(m.columns),
                            "values": .object(m.values.mapValues { .number($0) })])
        }
        let object: JSON = .object(["models": .array(models),
                                    "placement": .object(["objective": .number(plan.placement.objective),
                                                          "lower_bound": .number(plan.placement.lowerBound),
                                                          "seconds": .number(plan.placementSeconds)]),
                                    "allocation_seconds": .number(plan.allocationSeconds)])
        return object.pretty() + "\n"
    }
}

