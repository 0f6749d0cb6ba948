import Store

/// Every queue's hourly usage over a window as flat columns: one entry per (cluster, queue) that used anything,
/// and one row per hour with usage, the rows of entry `k` at `offsets[k]..<offsets[k + 1]`. The fleet dashboards
/// read a month of thousands of queues this way without an object, a dictionary or an array per queue hour.
public struct FleetUsageColumns: Sendable, Equatable {
    /// Per entry, its cluster and queue (grouped: every row of an entry is contiguous).
    public var clusters: [String] = []
    public var queues: [String] = []
    /// `queues.count + 1` bounds into the row columns.
    public var offsets: [Int] = [0]
    /// Per row, the start of the hour (milliseconds since the epoch, UTC), ascending within an entry.
    public var hours: [Int64] = []
    /// Per row, resource·seconds used in the hour: vcore in millicore·seconds, memory in byte·seconds, pods in
    /// pod·seconds.
    public var vcore: [Int64] = []
    public var memory: [Int64] = []
    public var pods: [Int64] = []

    public init() {}

    /// The rows of entry `k`.
    public func rows(_ k: Int) -> Range<Int> { offsets[k]..<offsets[k + 1] }
}

/// One archived night's plan for the dashboards: when it was planned, what it was measured against and, per
/// cluster, the `queues.yaml` written.
public struct ArchivedNightPlan: Sendable, Equatable {
    public var night: String
    public var plannedAt: Int64
    /// The night it was measured against, when that was an archived night (not a baseline or nothing).
    public var previousNight: String?
    public var configs: [String: String]
    /// Per cluster, each queue's binding constraint (`ArchivedPlan.bindings`); empty when none was kept.
    public var bindings: [String: String]

    public init(night: String, plannedAt: Int64, previousNight: String?, configs: [String: String], bindings: [String: String] = [:]) {
        self.bindings = bindings
        self.night = night
        self.plannedAt = plannedAt
        self.previousNight = previousNight
        self.configs = configs
    }
}

extension InsightStore {
    /// The vcore, memory and pods used by every queue in each hour of `[from, to)` (milliseconds), as columns
    /// grouped by cluster and queue. Hours in which a queue used nothing have no row.
    public func fleetUsage(from: Int64, to: Int64) throws -> FleetUsageColumns {
        var columns = FleetUsageColumns()
        var cluster = "", queue = ""
        var started = false
        try prepared("""
            SELECT cluster, queue, hour, vcore, memory, pods FROM queue_hours
            WHERE hour >= ? AND hour < ? ORDER BY cluster, queue, hour
            """).forEachRow([.integer(from), .integer(to)]) { row in
            // The rows come grouped, so a key becomes a string only when it changes.
            if !started || !row.text(1, equals: queue) || !row.text(0, equals: cluster) {
                if started { columns.offsets.append(columns.hours.count) }
                started = true
                cluster = row.string(0) ?? ""
                queue = row.string(1) ?? ""
                columns.clusters.append(cluster)
                columns.queues.append(queue)
            }
            columns.hours.append(row.int64(2) ?? 0)
            columns.vcore.append(row.int64(3) ?? 0)
            columns.memory.append(row.int64(4) ?? 0)
            columns.pods.append(row.int64(5) ?? 0)
        }
        if started { columns.offsets.append(columns.hours.count) }
        return columns
    }

    /// The archived plans in effect from the night `firstDay` (`YYYY-MM-DD`) on: the newest night before it (in
    /// effect when that day begins) and every night since, oldest first, with their files.
    public func plansInEffect(fromDay firstDay: String) throws -> [ArchivedNightPlan] {
        var plans: [ArchivedNightPlan] = []
        var index: [String: Int] = [:]
        for row in try prepared("""
            SELECT night, planned_at, previous_source, previous_night FROM plan_nights
            WHERE night >= COALESCE((SELECT MAX(night) FROM plan_nights WHERE night < ?), ?) ORDER BY night
            """).query([.text(firstDay), .text(firstDay)]) {
            guard let night = row[0].string else { continue }
            index[night] = plans.count
            plans.append(ArchivedNightPlan(night: night, plannedAt: row[1].int64 ?? 0,
                                           previousNight: row[2].string == "night" ? row[3].string : nil, configs: [:]))
        }
        guard !plans.isEmpty else { return [] }
        try prepared("""
            SELECT night, cluster, queues_yaml FROM plan_night_files
            WHERE kind = ? AND night >= COALESCE((SELECT MAX(night) FROM plan_nights WHERE night < ?), ?) ORDER BY night, cluster
            """).forEachRow([.text("plan"), .text(firstDay), .text(firstDay)]) { row in
                guard let night = row.string(0), let k = index[night], let cluster = row.string(1), let text = row.string(2) else { return }
                plans[k].configs[cluster] = text
            }
        try prepared("""
            SELECT night, cluster, queues_yaml FROM plan_night_files
            WHERE kind = ? AND night >= COALESCE((SELECT MAX(night) FROM plan_nights WHERE night < ?), ?) ORDER BY night, cluster
            """).forEachRow([.text("binding"), .text(firstDay), .text(firstDay)]) { row in
                guard let night = row.string(0), let k = index[night], let cluster = row.string(1), let text = row.string(2) else { return }
                plans[k].bindings[cluster] = text
            }
        return plans
    }
}
