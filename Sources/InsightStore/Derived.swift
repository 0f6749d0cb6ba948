import Store
public import Ingest
public import Insights

/// How far the derived tables (`queue_hours`, `queue_hours_other`, `workflow_runs`) have taken in the
/// applications: every app numbered up to `throughSeq`, whose newest finish is `newestFinish`.
public struct DerivedState: Sendable, Equatable {
    public var throughSeq: Int64
    public var newestFinish: Int64

    public init(throughSeq: Int64, newestFinish: Int64) {
        self.throughSeq = throughSeq
        self.newestFinish = newestFinish
    }
}

/// A stored application as the derived tables need it.
public struct StoredApp: Sendable, Equatable {
    public var cluster: String
    public var appID: String
    public var demandQueue: String
    public var startedAt: Int64
    public var finishedAt: Int64
    public var usage: [String: Int64]
}

/// Everything an ingest run writes at its end, in one transaction: the mapping tables it changed, new
/// job_apps rows, the hourly usage of the applications it added, the workflow runs they (or the new
/// mappings) changed, and the new `DerivedState`.
///
/// The queue hours and the runs are asked for only when the transaction gets to them, so a caller can
/// still be computing them on other threads while the job_apps rows are written.
public struct DerivedUpdate: Sendable {
    public var mappings: Mappings
    public var replacedTables: Set<MappingFile>
    public var newJobApps: [(appID: String, run: Mappings.JobApp)]
    /// Hourly usage per queue, in key order.
    public var queueHours: @Sendable () -> [HourlyUsage.QueueHourAmounts]
    /// The runs to store, in key order.
    public var runs: @Sendable () -> [StoredRun]
    public var state: DerivedState

    public init(mappings: Mappings, replacedTables: Set<MappingFile>, newJobApps: [(appID: String, run: Mappings.JobApp)],
                queueHours: @escaping @Sendable () -> [HourlyUsage.QueueHourAmounts],
                runs: @escaping @Sendable () -> [StoredRun], state: DerivedState) {
        self.mappings = mappings
        self.replacedTables = replacedTables
        self.newJobApps = newJobApps
        self.queueHours = queueHours
        self.runs = runs
        self.state = state
    }

    /// An update with its hourly usage and runs already worked out.
    public init(mappings: Mappings, replacedTables: Set<MappingFile>, newJobApps: [(appID: String, run: Mappings.JobApp)],
                hourly: HourlyUsage, runs: [StoredRun], state: DerivedState) {
        self.init(mappings: mappings, replacedTables: replacedTables, newJobApps: newJobApps,
                  queueHours: { hourly.queueHours }, runs: { runs }, state: state)
    }
}

extension InsightStore {
    public func derivedState() throws -> DerivedState {
        var state = DerivedState(throughSeq: 0, newestFinish: 0)
        for row in try connection.execute("SELECT name, value FROM ingest_state") {
            switch row[0].string {
            case "derived_through_seq": state.throughSeq = row[1].int64 ?? 0
            case "newest_finish": state.newestFinish = row[1].int64 ?? 0
            default: break
            }
        }
        return state
    }

    /// How many ingest runs have written the derived tables (`commit`) so far. A run that finds it unchanged at
    /// its end knows no other run wrote them meanwhile, so what it worked out from its start still holds.
    public func derivedCommits() throws -> Int64 {
        try prepared("SELECT value FROM ingest_state WHERE name = ?").query([.text("derived_commits")]).first?.first?.int64 ?? 0
    }

    /// Applications numbered after `seq` (and up to `through`, when given): those a run stopped before its end
    /// stored without updating the derived tables, or those another ingest running beside stored.
    public func apps(after seq: Int64, through: Int64 = .max) throws -> [StoredApp] {
        try prepared("""
            SELECT cluster, app_id, queue, org, project, tier, started_at, finished_at, vcore_seconds, memory_seconds,
                   other_usage
            FROM apps WHERE seq > ? AND seq <= ? ORDER BY seq
            """).query([.integer(seq), .integer(through)]).map { row in
            let queue = row[2].string ?? ""
            let attribution = Attribution(basis: .queue, org: row[3].string, project: row[4].string,
                                          tier: row[5].int64.map { Int($0) })
            // Rows from before version 6 list vcore and memory in other_usage too; the columns win.
            var usage = Self.decode(row[10].string ?? "")
            usage["vcore"] = row[8].int64 ?? 0
            usage["memory"] = row[9].int64 ?? 0
            return StoredApp(cluster: row[0].string ?? "", appID: row[1].string ?? "",
                             demandQueue: attribution.demandQueue(ranIn: queue),
                             startedAt: row[6].int64 ?? 0, finishedAt: row[7].int64 ?? 0, usage: usage)
        }
    }

    /// The start and finish of stored applications numbered up to `seq` with one of `appIDs` (on any
    /// cluster).
    public func appTimes(_ appIDs: [String], through seq: Int64) throws -> [(appID: String, start: Int64, finish: Int64)] {
        let statement = try prepared("""
            SELECT a.started_at, a.finished_at FROM app_keys k JOIN apps a ON a.seq = k.seq
            WHERE k.app_hash = ? AND a.app_id = ? AND k.seq <= ?
            """)
        var times: [(appID: String, start: Int64, finish: Int64)] = []
        for app in appIDs {
            for row in try statement.query([.integer(AppKey.hash(app)), .text(app), .integer(seq)]) {
                times.append((app, row[0].int64 ?? 0, row[1].int64 ?? 0))
            }
        }
        return times
    }

    /// Whether any workflow run is stored.
    public func hasWorkflowRuns() throws -> Bool {
        !(try connection.execute("SELECT 1 FROM workflow_runs LIMIT 1").isEmpty)
    }

    /// The stored progress of the given runs (runs not stored are left out).
    public func runProgress(_ keys: some Sequence<RunKey>) throws -> [RunKey: RunProgress] {
        let statement = try prepared(
            "SELECT apps_finished, started_at, finished_at FROM workflow_runs WHERE workflow = ? AND run_id = ?")
        var progress: [RunKey: RunProgress] = [:]
        for key in keys {
            if let row = try statement.query([.text(key.workflow), .text(key.runID)]).first {
                progress[key] = Self.progress(row, from: 0)
            }
        }
        return progress
    }

    /// The stored progress of every run.
    public func allRunProgress() throws -> [RunKey: RunProgress] {
        Self.keyedProgress(try connection.execute("SELECT workflow, run_id, apps_finished, started_at, finished_at FROM workflow_runs"))
    }

    /// The stored progress of the runs still pending that were scheduled from `scheduledFrom` on.
    public func pendingRunProgress(scheduledFrom: Int64) throws -> [RunKey: RunProgress] {
        Self.keyedProgress(try prepared("""
            SELECT workflow, run_id, apps_finished, started_at, finished_at FROM workflow_runs
            WHERE scheduled_at >= ? AND outcome = ?
            """).query([.integer(scheduledFrom), .text(RunOutcome.pending.rawValue)]))
    }

    private static func keyedProgress(_ rows: [[SQLValue]]) -> [RunKey: RunProgress] {
        var progress: [RunKey: RunProgress] = [:]
        progress.reserveCapacity(rows.count)
        for row in rows {
            progress[RunKey(workflow: row[0].string ?? "", runID: row[1].string ?? "")] = Self.progress(row, from: 2)
        }
        return progress
    }

    private static func progress(_ row: [SQLValue], from index: Int) -> RunProgress {
        RunProgress(appsFinished: Int(row[index].int64 ?? 0), startedAt: row[index + 1].int64, finishedAt: row[index + 2].int64)
    }

    /// Writes an ingest run's derived tables and mappings in one transaction (or in the caller's
    /// `ingestTransaction`, which a run with other ingests beside it needs: see `Ingester`).
    public func commit(_ update: DerivedUpdate, trace: ((String) -> Void)? = nil) throws {
        var lapStart = ContinuousClock.now
        func lap(_ what: String) {
            trace?("final transaction: \(what) in \(ContinuousClock.now - lapStart)")
            lapStart = ContinuousClock.now
        }
        try transaction {
            try replaceMappingTables(update.mappings, tables: update.replacedTables)
            lap("mapping tables")
            try addJobApps(update.newJobApps)
            lap("job_apps")
            // The keys first: they are ready, while the queue hours and runs may still be being worked out.
            try keyApps(after: try derivedState().throughSeq, through: update.state.throughSeq)
            lap("app keys")
            try addQueueHours(update.queueHours())
            lap("queue hours")
            try bulkInsert(.workflowRuns, update.runs()) { binder, run in
                try binder.text(run.key.workflow)
                try binder.text(run.key.runID)
                try binder.text(run.project)
                try binder.text(run.org)
                try binder.integer(run.tier.map(Int64.init))
                try binder.integer(run.scheduledAt)
                try binder.integer(run.sloMinutes.map(Int64.init))
                try binder.integer(run.progress.startedAt)
                try binder.integer(run.progress.finishedAt)
                try binder.integer(Int64(run.appsExpected))
                try binder.integer(Int64(run.progress.appsFinished))
                try binder.text(run.outcome)
            }
            lap("workflow runs")
            let statement = try prepared("""
                INSERT INTO ingest_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value
                """)
            try statement.run([.text("derived_through_seq"), .integer(update.state.throughSeq)])
            try statement.run([.text("newest_finish"), .integer(update.state.newestFinish)])
            try prepared("""
                INSERT INTO ingest_state (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = ingest_state.value + 1
                """).run([.text("derived_commits")])
        }
        lap("commit")
    }
}
