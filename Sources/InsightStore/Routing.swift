import Store

/// Where a (project, tier) runs: the routing table's row.
public struct RoutingEntry: Sendable, Equatable {
    public var project: String
    public var tier: Int
    public var org: String
    public var cluster: String
    /// The leaf queue, `root.<org>.<project>.tier<N>`.
    public var queue: String

    public init(project: String, tier: Int, org: String, cluster: String, queue: String) {
        self.project = project
        self.tier = tier
        self.org = org
        self.cluster = cluster
        self.queue = queue
    }
}

extension InsightStore {
    /// Replaces the whole routing table with tonight's plan, in one transaction: readers see last night's
    /// table or tonight's, never a mix.
    public func replaceRouting(_ entries: [RoutingEntry], plannedAt: Int64) throws {
        try connection.transaction { try writeRouting(entries, plannedAt: plannedAt) }
    }

    /// Replaces the routing table inside the caller's transaction.
    func writeRouting(_ entries: [RoutingEntry], plannedAt: Int64) throws {
        _ = try prepared("DELETE FROM routing").run([])
        let insert = try prepared("INSERT INTO routing (project, tier, org, cluster, queue, planned_at) VALUES (?, ?, ?, ?, ?, ?)")
        for entry in entries {
            _ = try insert.run([.text(entry.project), .integer(Int64(entry.tier)), .text(entry.org), .text(entry.cluster),
                                .text(entry.queue), .integer(plannedAt)])
        }
    }

    /// The routing table, ordered by project and tier.
    public func routing() throws -> [RoutingEntry] {
        try prepared("SELECT project, tier, org, cluster, queue FROM routing ORDER BY project, tier, org").query([]).map { row in
            RoutingEntry(project: row[0].string ?? "", tier: Int(row[1].int64 ?? 0), org: row[2].string ?? "",
                         cluster: row[3].string ?? "", queue: row[4].string ?? "")
        }
    }

    /// The route of one (project, tier), if planned (the first org's, should two orgs use the name).
    public func route(project: String, tier: Int) throws -> RoutingEntry? {
        try prepared("SELECT project, tier, org, cluster, queue FROM routing WHERE project = ? AND tier = ? ORDER BY org")
            .query([.text(project), .integer(Int64(tier))]).first.map { row in
                RoutingEntry(project: row[0].string ?? "", tier: Int(row[1].int64 ?? 0), org: row[2].string ?? "",
                             cluster: row[3].string ?? "", queue: row[4].string ?? "")
            }
    }
}
