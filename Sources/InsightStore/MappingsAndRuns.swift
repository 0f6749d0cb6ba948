import Store
public import Ingest
public import Insights

extension InsightStore {
    // MARK: Mappings

    /// Stores mappings in one transaction. Workflows, projects and owners in `files` replace what was
    /// stored (each file is the whole truth); job_apps rows are added or updated (in production the
    /// router appends to them).
    public func store(_ mappings: Mappings, files: Set<MappingFile>) throws {
        try connection.transaction {
            if files.contains(.workflows) {
                try connection.execute("DELETE FROM map_workflows")
                let statement = try prepared("INSERT INTO map_workflows (workflow, project, tier, slo_minutes) VALUES (?, ?, ?, ?)")
                for (name, workflow) in mappings.workflows.sorted(by: { $0.key < $1.key }) {
                    try statement.run([.text(name), .text(workflow.project), .integer(Int64(workflow.tier)),
                                       .integer(Int64(workflow.sloMinutes))])
                }
            }
            if files.contains(.projects) {
                try connection.execute("DELETE FROM map_projects")
                let statement = try prepared("INSERT INTO map_projects (project, owner) VALUES (?, ?)")
                for (project, owner) in mappings.projectOwners.sorted(by: { $0.key < $1.key }) {
                    try statement.run([.text(project), .text(owner)])
                }
            }
            if files.contains(.owners) {
                try connection.execute("DELETE FROM map_owners")
                let statement = try prepared("INSERT INTO map_owners (owner, org) VALUES (?, ?)")
                for (owner, org) in mappings.ownerOrgs.sorted(by: { $0.key < $1.key }) {
                    try statement.run([.text(owner), .text(org)])
                }
            }
            if files.contains(.jobApps) {
                let rows = mappings.jobApps.sorted(by: { $0.key < $1.key }).map { app, run in
                    [SQLValue.text(app), .text(run.workflow), .text(run.job), .text(run.runID), .integer(run.scheduledAt)]
                }
                try insert(.jobApps, rows)
            }
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

    /// Recomputes `workflow_runs` from job_apps, the workflow mappings and the stored applications, in one
    /// transaction. Runs of workflows missing from workflows.csv cannot be judged and are left out.
    /// Returns the number of runs stored.
    @discardableResult
    public func refreshWorkflowRuns() throws -> Int {
        try connection.transaction {
            let newest = try connection.execute("SELECT MAX(finished_at) FROM apps").first?.first?.int64 ?? 0
            let rows = try connection.execute("""
                SELECT j.workflow, j.run_id, MIN(j.scheduled_at), COUNT(*), COUNT(a.app_id), MIN(a.started_at),
                       MAX(a.finished_at), w.project, w.tier, w.slo_minutes, o.org
                FROM job_apps j
                JOIN map_workflows w ON w.workflow = j.workflow
                LEFT JOIN map_projects p ON p.project = w.project
                LEFT JOIN map_owners o ON o.owner = p.owner
                LEFT JOIN apps a ON a.app_id = j.app_id
                GROUP BY j.workflow, j.run_id, w.project, w.tier, w.slo_minutes, o.org
                """)
            try connection.execute("DELETE FROM workflow_runs")
            var runs: [[SQLValue]] = []
            runs.reserveCapacity(rows.count)
            for row in rows {
                let scheduled = row[2].int64 ?? 0
                let expected = row[3].int64 ?? 0
                let finishedCount = row[4].int64 ?? 0
                let finishedAt = row[6].int64
                let slo = row[9].int64 ?? 0
                let outcome = WorkflowRun.outcome(deadline: scheduled + slo * 60_000, finishedAt: finishedAt,
                                                  appsExpected: Int(expected), appsFinished: Int(finishedCount),
                                                  newestData: newest)
                runs.append([row[0], row[1], row[7], .text(row[10].string ?? ""), .integer(row[8].int64 ?? 0),
                             .integer(scheduled), .integer(slo), .integer(row[5].int64), .integer(finishedAt),
                             .integer(expected), .integer(finishedCount), .text(outcome.rawValue)])
            }
            try insert(.workflowRuns, runs)
            return runs.count
        }
    }

    /// Workflow runs scheduled in `[from, to)` (milliseconds), oldest first.
    public func workflowRuns(from: Int64, to: Int64) throws -> [WorkflowRun] {
        try prepared("""
            SELECT workflow, run_id, project, org, tier, scheduled_at, slo_minutes, started_at, finished_at,
                   apps_expected, apps_finished, outcome
            FROM workflow_runs WHERE scheduled_at >= ? AND scheduled_at < ? ORDER BY scheduled_at, workflow, run_id
            """).query([.integer(from), .integer(to)]).map { row in
            WorkflowRun(workflow: row[0].string ?? "", runID: row[1].string ?? "", project: row[2].string ?? "",
                        org: row[3].string ?? "", tier: Int(row[4].int64 ?? 0), scheduledAt: row[5].int64 ?? 0,
                        sloMinutes: Int(row[6].int64 ?? 0), startedAt: row[7].int64, finishedAt: row[8].int64,
                        appsExpected: Int(row[9].int64 ?? 0), appsFinished: Int(row[10].int64 ?? 0),
                        outcome: RunOutcome(rawValue: row[11].string ?? "") ?? .pending)
        }
    }

    /// The scheduled time of the newest workflow run, if any.
    public func newestRunScheduledAt() throws -> Int64? {
        try connection.execute("SELECT MAX(scheduled_at) FROM workflow_runs").first?.first?.int64
    }

    // MARK: Reading back

    /// Every row of every insight table rendered as text in key order: equal digests mean equal tables
    /// (used to prove that a resumed ingest equals a clean one, and that both backends agree).
    public func digest() throws -> [String: [String]] {
        var digest: [String: [String]] = [:]
        for table in Schema.tables {
            let rows = try connection.execute("SELECT * FROM \(table.name) ORDER BY \(table.key)")
            digest[table.name] = rows.map { row in
                row.map { $0.string ?? "NULL" }.joined(separator: "|")
            }
        }
        return digest
    }
}
