import Store

/// One night's plan as the archive holds it: what was written for each cluster, and what it was measured
/// against. Nights are UTC dates, `YYYY-MM-DD`.
public struct ArchivedPlan: Sendable, Equatable {
    public var night: String
    /// The id the run gave the plan; its output journal names it too (see `isPlanCommitted`).
    public var planID: String
    /// When it was planned, milliseconds since the epoch.
    public var plannedAt: Int64
    /// The usage window it was sized from, `[windowStart, windowEnd)` in milliseconds.
    public var windowStart: Int64
    public var windowEnd: Int64
    /// What the run treated as the previous plan: `night` (then `previousNight`), `baseline`, `none` or `ignored`.
    public var previousSource: String
    public var previousNight: String?
    /// Per cluster, the `queues.yaml` text written.
    public var configs: [String: String]
    /// The baseline kept with the night: per cluster the `queues.yaml` found before the archive had an earlier
    /// night (an empty map: no file existed). Nil: none was read for this night; committing a plan with nil
    /// keeps the baseline the night already had.
    public var baseline: [String: String]?
    /// Per cluster, what bound each queue's guaranteed: a line per queue and resource,
    /// `queue<TAB>resource<TAB>binding` (the allocation report's binding constraint). Empty for nights archived
    /// before it was kept.
    public var bindings: [String: String]

    public init(night: String, planID: String, plannedAt: Int64, windowStart: Int64, windowEnd: Int64,
                previousSource: String, previousNight: String? = nil, configs: [String: String],
                baseline: [String: String]? = nil, bindings: [String: String] = [:]) {
        self.bindings = bindings
        self.night = night
        self.planID = planID
        self.plannedAt = plannedAt
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.previousSource = previousSource
        self.previousNight = previousNight
        self.configs = configs
        self.baseline = baseline
    }
}

extension InsightStore {
    /// Writes tonight's plan in one transaction: the routing table replaced whole, the night's plan archived
    /// (replacing what an earlier run archived for the same night, but keeping the night's baseline unless
    /// `plan` brings one) and its id recorded as committed. `beforeCommit` runs inside the transaction, after
    /// every write and before COMMIT: a throw rolls all of it back. On SQLite the commit is synced to disk
    /// (`synchronous = FULL` for this transaction; the store's default, NORMAL, may lose the last commits on a
    /// power cut), because the files written beside it are kept or restored by whether it is there.
    public func commitPlan(_ plan: ArchivedPlan, routing: [RoutingEntry], beforeCommit: () throws -> Void = {}) throws {
        let sqlite = connection.dialect == .sqlite
        if sqlite { try connection.executeScript("PRAGMA synchronous = FULL") }
        defer { if sqlite { try? connection.executeScript("PRAGMA synchronous = NORMAL") } }
        try connection.transaction {
            try writeRouting(routing, plannedAt: plan.plannedAt)
            try prepared("""
                INSERT INTO plan_nights (night, plan_id, planned_at, window_start, window_end, previous_source,
                                         previous_night, baseline_kept)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (night) DO UPDATE SET plan_id = excluded.plan_id, planned_at = excluded.planned_at,
                    window_start = excluded.window_start, window_end = excluded.window_end,
                    previous_source = excluded.previous_source, previous_night = excluded.previous_night,
                    baseline_kept = CASE WHEN excluded.baseline_kept = 1 THEN 1 ELSE plan_nights.baseline_kept END
                """).run([.text(plan.night), .text(plan.planID), .integer(plan.plannedAt), .integer(plan.windowStart),
                          .integer(plan.windowEnd), .text(plan.previousSource), .text(plan.previousNight),
                          .integer(plan.baseline == nil ? 0 : 1)])
            try replaceFiles(night: plan.night, kind: "plan", plan.configs)
            try replaceFiles(night: plan.night, kind: "binding", plan.bindings)
            if let baseline = plan.baseline { try replaceFiles(night: plan.night, kind: "baseline", baseline) }
            try prepared("INSERT INTO plan_commits (plan_id, night, committed_at) VALUES (?, ?, ?)")
                .run([.text(plan.planID), .text(plan.night), .integer(Self.now())])
            try beforeCommit()
        }
    }

    private func replaceFiles(night: String, kind: String, _ files: [String: String]) throws {
        try prepared("DELETE FROM plan_night_files WHERE night = ? AND kind = ?").run([.text(night), .text(kind)])
        let insert = try prepared("INSERT INTO plan_night_files (night, kind, cluster, queues_yaml) VALUES (?, ?, ?, ?)")
        for cluster in files.keys.sorted() {
            try insert.run([.text(night), .text(kind), .text(cluster), .text(files[cluster]!)])
        }
    }

    /// Whether a plan with this id was ever committed (a later plan for the same night does not undo that).
    public func isPlanCommitted(_ planID: String) throws -> Bool {
        !(try prepared("SELECT 1 FROM plan_commits WHERE plan_id = ?").query([.text(planID)]).isEmpty)
    }

    /// The plan archived for `night`, if any.
    public func archivedPlan(night: String) throws -> ArchivedPlan? {
        try archivedPlans(where: "night = ?", [.text(night)])
    }

    /// The newest archived night strictly before `night`: its previous plan.
    public func newestArchivedPlan(before night: String) throws -> ArchivedPlan? {
        try archivedPlans(where: "night = (SELECT MAX(night) FROM plan_nights WHERE night < ?)", [.text(night)])
    }

    /// The earliest archived night that kept a baseline: the files as they were before the archive began.
    public func earliestArchivedBaseline() throws -> ArchivedPlan? {
        try archivedPlans(where: "night = (SELECT MIN(night) FROM plan_nights WHERE baseline_kept = 1)", [])
    }

    /// Every archived night, oldest first.
    public func archivedNights() throws -> [String] {
        try prepared("SELECT night FROM plan_nights ORDER BY night").query([]).compactMap { $0[0].string }
    }

    private func archivedPlans(where condition: String, _ parameters: [SQLValue]) throws -> ArchivedPlan? {
        guard let row = try prepared("""
            SELECT night, plan_id, planned_at, window_start, window_end, previous_source, previous_night, baseline_kept
            FROM plan_nights WHERE \(condition)
            """).query(parameters).first, let night = row[0].string else { return nil }
        var plan = ArchivedPlan(night: night, planID: row[1].string ?? "", plannedAt: row[2].int64 ?? 0,
                                windowStart: row[3].int64 ?? 0, windowEnd: row[4].int64 ?? 0,
                                previousSource: row[5].string ?? "", previousNight: row[6].string, configs: [:],
                                baseline: (row[7].int64 ?? 0) == 1 ? [:] : nil)
        for file in try prepared("SELECT kind, cluster, queues_yaml FROM plan_night_files WHERE night = ? ORDER BY kind, cluster")
            .query([.text(night)]) {
            guard let kind = file[0].string, let cluster = file[1].string, let text = file[2].string else { continue }
            if kind == "plan" { plan.configs[cluster] = text }
            else if kind == "baseline", plan.baseline != nil { plan.baseline![cluster] = text }
            else if kind == "binding" { plan.bindings[cluster] = text }
        }
        return plan
    }
}
