import Store
public import Ingest
public import Insights

extension InsightStore {
    // MARK: Mappings

    /// Replaces the stored workflows, projects and owners in `tables` with those of `mappings`.
    func replaceMappingTables(_ mappings: Mappings, tables: Set<MappingFile>) throws {
        if tables.contains(.workflows) {
            try connection.execute("DELETE FROM map_workflows")
            let statement = try prepared("INSERT INTO map_workflows (workflow, project, tier, slo_minutes) VALUES (?, ?, ?, ?)")
            for (name, workflow) in mappings.workflows.sorted(by: { $0.key < $1.key }) {
                try statement.run([.text(name), .text(workflow.project), .integer(Int64(workflow.tier)),
                                   .integer(Int64(workflow.sloMinutes))])
            }
        }
        if tables.contains(.projects) {
            try connection.execute("DELETE FROM map_projects")
            let statement = try prepared("INSERT INTO map_projects (project, owner) VALUES (?, ?)")
            for (project, owner) in mappings.projectOwners.sorted(by: { $0.key < $1.key }) {
                try statement.run([.text(project), .text(owner)])
            }
        }
        if tables.contains(.owners) {
            try connection.execute("DELETE FROM map_owners")
            let statement = try prepared("INSERT INTO map_owners (owner, org) VALUES (?, ?)")
            for (owner, org) in mappings.ownerOrgs.sorted(by: { $0.key < $1.key }) {
                try statement.run([.text(owner), .text(org)])
            }
        }
    }

    /// Adds job_apps rows (an application already mapped keeps its row).
    func addJobApps(_ rows: [(appID: String, run: Mappings.JobApp)]) throws {
        try bulkInsert(.jobApps, rows) { binder, row in
            try binder.text(row.appID)
            try binder.text(row.run.workflow)
            try binder.text(row.run.job)
            try binder.text(row.run.runID)
            try binder.integer(row.run.scheduledAt)
        }
    }

    /// The stored mappings, for attribution.
    public func mappings() throws -> Mappings {
        var mappings = Mappings()
        for row in try connection.execute("SELECT workflow, project, tier, slo_minutes FROM map_workflows") {
            mappings.workflows[row[0].string ?? ""] = Mappings.Workflow(
                project: row[1].string ?? "", tier: Int(row[2].int64 ?? 0), sloMinutes: Int(row[3].int64 ?? 0))
        }
        for row in try connection.execute("SELECT project, owner FROM map_projects") {
            mappings.projectOwners[row[0].string ?? ""] = row[1].string ?? ""
        }
        for row in try connection.execute("SELECT owner, org FROM map_owners") {
            mappings.ownerOrgs[row[0].string ?? ""] = row[1].string ?? ""
        }
        for row in try connection.execute("SELECT app_id, workflow, job, run_id, scheduled_at FROM job_apps") {
            mappings.jobApps[row[0].string ?? ""] = Mappings.JobApp(
                workflow: row[1].string ?? "", job: row[2].string ?? "", runID: row[3].string ?? "",
                scheduledAt: row[4].int64 ?? 0)
        }
        return mappings
    }

    // MARK: Workflow runs

    /// Workflow runs scheduled in `[from, to)` (milliseconds), oldest first. A run whose applications all
    /// finished in time but one of whose jobs failed for good (its latest application ended Failed, FAILED or
    /// KILLED) did not meet its SLO: it delivered nothing, as the scheduler records it.
    public func workflowRuns(from: Int64, to: Int64) throws -> [WorkflowRun] {
        var runs = try timedWorkflowRuns(from: from, to: to)
        // Only a run with a failed application can have failed: those are found in one read of the failed
        // applications submitted since the window began (a run's applications come after its tick), so the
        // report does not look up every application of every run.
        var withFailures = Set<String>()
        let runOfApp = try prepared("SELECT workflow, run_id FROM job_apps WHERE app_id = ?")
        for row in try prepared("""
            SELECT app_id FROM apps WHERE state IN ('Failed', 'FAILED', 'KILLED', 'failed', 'killed') AND submitted_at >= ?
            """).query([.integer(from)]) {
            if let run = try runOfApp.query([.text(row[0].string ?? "")]).first {
                withFailures.insert("\(run[0].string ?? "")\u{0}\(run[1].string ?? "")")
            }
        }
        let jobApps = try prepared("SELECT app_id, job FROM job_apps WHERE workflow = ? AND run_id = ?")
        let app = try prepared("""
            SELECT a.state, a.submitted_at FROM app_keys k JOIN apps a ON a.seq = k.seq WHERE k.app_hash = ? AND a.app_id = ?
            """)
        for index in runs.indices where runs[index].outcome == .met
            && withFailures.contains("\(runs[index].workflow)\u{0}\(runs[index].runID)") {
            var latest: [String: (submitted: Int64, failed: Bool)] = [:]
            for row in try jobApps.query([.text(runs[index].workflow), .text(runs[index].runID)]) {
                let appID = row[0].string ?? "", job = row[1].string ?? ""
                guard let found = try app.query([.integer(AppKey.hash(appID)), .text(appID)]).first else { continue }
                let submitted = found[1].int64 ?? 0
                let failed = ["failed", "killed"].contains((found[0].string ?? "").lowercased())
                if submitted >= latest[job]?.submitted ?? .min { latest[job] = (submitted, failed) }
            }
            if latest.values.contains(where: \.failed) { runs[index].outcome = .missed }
        }
        return runs
    }

    /// The runs as the derived table holds them, judged by their applications' finish times only.
    private func timedWorkflowRuns(from: Int64, to: Int64) throws -> [WorkflowRun] {
        try prepared("""
            SELECT workflow, run_id, project, org, tier, scheduled_at, slo_minutes, started_at, finished_at,
                   apps_expected, apps_finished, outcome
            FROM workflow_runs WHERE scheduled_at >= ? AND scheduled_at < ? AND outcome <> ?
            ORDER BY scheduled_at, workflow, run_id
            """).query([.integer(from), .integer(to), .text(StoredRun.unmapped)]).map { row in
            WorkflowRun(workflow: row[0].string ?? "", runID: row[1].string ?? "", project: row[2].string ?? "",
                        org: row[3].string ?? "", tier: Int(row[4].int64 ?? 0), scheduledAt: row[5].int64 ?? 0,
                        sloMinutes: Int(row[6].int64 ?? 0), startedAt: row[7].int64, finishedAt: row[8].int64,
                        appsExpected: Int(row[9].int64 ?? 0), appsFinished: Int(row[10].int64 ?? 0),
                        outcome: RunOutcome(rawValue: row[11].string ?? "") ?? .pending)
        }
    }

    /// The scheduled time of the newest workflow run, if any.
    public func newestRunScheduledAt() throws -> Int64? {
        try prepared("SELECT MAX(scheduled_at) FROM workflow_runs WHERE outcome <> ?")
            .query([.text(StoredRun.unmapped)]).first?.first?.int64
    }

    // MARK: Reading back

    /// Every row of every insight table rendered as text in key order: equal digests mean equal tables
    /// (used to prove that a resumed ingest equals a clean one, and that both backends agree). Bookkeeping
    /// is left out: the apps' sequence numbers (PostgreSQL may skip numbers where SQLite does not) and
    /// `ingest_state`.
    public func digest() throws -> [String: [String]] {
        var digest: [String: [String]] = [:]
        for table in Schema.tables {
            let rows = try connection.execute("SELECT \(table.columns) FROM \(table.from) ORDER BY \(table.key)")
            digest[table.name] = rows.map { row in
                row.map { $0.string ?? "NULL" }.joined(separator: "|")
            }
        }
        return digest
    }
}

extension InsightStore {
    /// The last known runtime (seconds, start to finish) of each job, by workflow: the latest finished
    /// application attributed to that workflow and job. For the SLO-against-critical-path check.
    public func lastJobRuntimes() throws -> [String: [String: Double]] {
        var result: [String: [String: Double]] = [:]
        for row in try prepared("""
            SELECT d.workflow, d.job, MAX(d.finished_at - d.started_at)
            FROM app_details d
            JOIN (SELECT workflow, job, MAX(finished_at) AS last FROM app_details
                  WHERE workflow IS NOT NULL AND job IS NOT NULL AND started_at > 0 AND finished_at >= started_at
                  GROUP BY workflow, job) m
              ON m.workflow = d.workflow AND m.job = d.job AND m.last = d.finished_at
            WHERE d.started_at > 0
            GROUP BY d.workflow, d.job
            """).query([]) {
            guard let workflow = row[0].string, let job = row[1].string, let millis = row[2].int64 else { continue }
            result[workflow, default: [:]][job] = Double(millis) / 1000
        }
        return result
    }
}
