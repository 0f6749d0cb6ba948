import Store

/// One hour of one demand queue on one cluster, as the allocator reads it: resource·seconds used in the
/// hour (YuniKorn units: `vcore` millicore·seconds, `memory` byte·seconds, others unit·seconds), the
/// application run time in the hour (`appMillis / 3,600,000` = mean applications running) and how many
/// applications started in it. Hours in which a queue ran nothing have no entry.
public struct QueueHour: Sendable, Equatable {
    public var cluster: String
    /// The demand queue (the attributed `root.<org>.<project>.tier<N>` leaf when there is one).
    public var queue: String
    /// Start of the hour, milliseconds since the epoch (UTC).
    public var hour: Int64
    public var usage: [String: Int64]
    public var appMillis: Int64
    public var appsStarted: Int64

    public init(cluster: String, queue: String, hour: Int64, usage: [String: Int64], appMillis: Int64, appsStarted: Int64) {
        self.cluster = cluster
        self.queue = queue
        self.hour = hour
        self.usage = usage
        self.appMillis = appMillis
        self.appsStarted = appsStarted
    }
}

/// The hours of one demand queue on one cluster in hour order, as columns aligned by index: how the
/// allocator reads a window of hundreds of thousands of queue hours without a value per cell.
public struct QueueHourSeries: Sendable, Equatable {
    public var cluster: String
    /// The demand queue (the attributed `root.<org>.<project>.tier<N>` leaf when there is one).
    public var queue: String
    /// Start of each hour, milliseconds since the epoch (UTC), ascending.
    public var hours: [Int64] = []
    public var appMillis: [Int64] = []
    public var appsStarted: [Int64] = []
    /// Per resource used in any of the hours, resource·seconds in each hour (0 where none).
    public var usage: [String: [Int64]] = [:]

    public init(cluster: String, queue: String) {
        self.cluster = cluster
        self.queue = queue
    }

    /// The series as one `QueueHour` per hour.
    public var queueHours: [QueueHour] {
        hours.indices.map { i in
            QueueHour(cluster: cluster, queue: queue, hour: hours[i], usage: usage.compactMapValues { $0[i] == 0 ? nil : $0[i] },
                      appMillis: appMillis[i], appsStarted: appsStarted[i])
        }
    }
}

extension InsightStore {
    /// Every queue hour with `from <= hour < to` (milliseconds), ordered by cluster, queue and hour.
    public func queueHours(from: Int64, to: Int64) throws -> [QueueHour] {
        try queueHourSeries(from: from, to: to).flatMap(\.queueHours)
    }

    /// Every queue hour with `from <= hour < to` (milliseconds), one series per cluster and queue, ordered by
    /// cluster and queue.
    public func queueHourSeries(from: Int64, to: Int64) throws -> [QueueHourSeries] {
        var series: [QueueHourSeries] = []
        var current = QueueHourSeries(cluster: "", queue: "")
        var started = false
        // The fixed columns, read into arrays as the rows arrive (the rows come grouped by cluster and queue,
        // so a key is a string only when it changes).
        var vcore: [Int64] = [], memory: [Int64] = [], pods: [Int64] = []
        func finish() {
            guard started else { return }
            for (name, column) in [("vcore", vcore), ("memory", memory), ("pods", pods)] where column.contains(where: { $0 != 0 }) {
                current.usage[name] = column
            }
            series.append(current)
        }
        try prepared("""
            SELECT cluster, queue, hour, app_ms, apps_started, vcore, memory, pods FROM queue_hours
            WHERE hour >= ? AND hour < ? ORDER BY cluster, queue, hour
            """).forEachRow([.integer(from), .integer(to)]) { row in
            if !started || !row.text(1, equals: current.queue) || !row.text(0, equals: current.cluster) {
                finish()
                started = true
                current = QueueHourSeries(cluster: row.string(0) ?? "", queue: row.string(1) ?? "")
                vcore = []
                memory = []
                pods = []
            }
            current.hours.append(row.int64(2) ?? 0)
            current.appMillis.append(row.int64(3) ?? 0)
            current.appsStarted.append(row.int64(4) ?? 0)
            vcore.append(row.int64(5) ?? 0)
            memory.append(row.int64(6) ?? 0)
            pods.append(row.int64(7) ?? 0)
        }
        finish()

        // Other resources (GPUs and the like), onto the hours they belong to.
        var seriesOfKey: [String: Int] = [:]
        try prepared("""
            SELECT cluster, queue, hour, resource, amount FROM queue_hours_other WHERE hour >= ? AND hour < ?
            """).forEachRow([.integer(from), .integer(to)]) { row in
            if seriesOfKey.isEmpty {
                for (k, one) in series.enumerated() { seriesOfKey["\(one.cluster)\u{0}\(one.queue)"] = k }
            }
            guard let k = seriesOfKey["\(row.string(0) ?? "")\u{0}\(row.string(1) ?? "")"] else { return }
            let hour = row.int64(2) ?? 0
            guard let i = Self.index(of: hour, in: series[k].hours) else { return }
            let resource = row.string(3) ?? ""
            if series[k].usage[resource] == nil {
                series[k].usage[resource] = [Int64](repeating: 0, count: series[k].hours.count)
            }
            series[k].usage[resource]![i] = row.int64(4) ?? 0
        }
        return series
    }

    /// Binary search in ascending hours.
    static func index(of hour: Int64, in hours: [Int64]) -> Int? {
        var low = 0, high = hours.count
        while low < high {
            let middle = (low + high) / 2
            if hours[middle] < hour { low = middle + 1 } else { high = middle }
        }
        return low < hours.count && hours[low] == hour ? low : nil
    }

    /// The start of the newest hour with any usage, if any.
    public func newestQueueHour() throws -> Int64? {
        try connection.execute("SELECT MAX(hour) FROM queue_hours").first?.first?.int64
    }
}
