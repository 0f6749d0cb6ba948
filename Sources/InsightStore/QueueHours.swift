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

extension InsightStore {
    /// Every queue hour with `from <= hour < to` (milliseconds), ordered by cluster, queue and hour.
    public func queueHours(from: Int64, to: Int64) throws -> [QueueHour] {
        var hours: [QueueHour] = []
        var index: [String: Int] = [:]
        let rows = try prepared("""
            SELECT cluster, queue, hour, app_ms, apps_started, vcore, memory, pods FROM queue_hours
            WHERE hour >= ? AND hour < ? ORDER BY cluster, queue, hour
            """).query([.integer(from), .integer(to)])
        hours.reserveCapacity(rows.count)
        for row in rows {
            var usage: [String: Int64] = [:]
            for (name, column) in [("vcore", 5), ("memory", 6), ("pods", 7)] {
                if let amount = row[column].int64, amount != 0 { usage[name] = amount }
            }
            hours.append(QueueHour(cluster: row[0].string ?? "", queue: row[1].string ?? "", hour: row[2].int64 ?? 0,
                                   usage: usage, appMillis: row[3].int64 ?? 0, appsStarted: row[4].int64 ?? 0))
        }
        let other = try prepared("""
            SELECT cluster, queue, hour, resource, amount FROM queue_hours_other WHERE hour >= ? AND hour < ?
            """).query([.integer(from), .integer(to)])
        if !other.isEmpty {
            for (position, hour) in hours.enumerated() { index["\(hour.cluster)\u{0}\(hour.queue)\u{0}\(hour.hour)"] = position }
            for row in other {
                let key = "\(row[0].string ?? "")\u{0}\(row[1].string ?? "")\u{0}\(row[2].int64 ?? 0)"
                guard let position = index[key] else { continue }
                hours[position].usage[row[3].string ?? ""] = row[4].int64 ?? 0
            }
        }
        return hours
    }

    /// The start of the newest hour with any usage, if any.
    public func newestQueueHour() throws -> Int64? {
        try connection.execute("SELECT MAX(hour) FROM queue_hours").first?.first?.int64
    }
}
