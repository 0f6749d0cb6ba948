import Store

/// Submissions the router recorded in one hour, by cluster, decision source and state.
public struct SubmissionHour: Sendable, Equatable {
    /// Start of the hour, milliseconds since the epoch (UTC).
    public var hour: Int64
    public var cluster: String
    /// `rule`, `routing-table` or `onboarding`.
    public var source: String
    /// `recorded`, `submitted`, `unknown` or `failed`.
    public var state: String
    public var count: Int

    public init(hour: Int64, cluster: String, source: String, state: String, count: Int) {
        self.hour = hour
        self.cluster = cluster
        self.source = source
        self.state = state
        self.count = count
    }
}

/// One attempt of one job of a workflow run: an application the run is known to have (`job_apps`, with the
/// application's state when it was ingested), or the scheduler's record of a job with no application yet.
public struct JobAttempt: Sendable, Equatable {
    public var runID: String
    public var scheduledAt: Int64
    public var job: String
    /// The application, when the attempt has one.
    public var appID: String?
    /// `Completed`, `Failed`… as ingested; the scheduler's job state (`ready`, `submitted`, `running`…) when
    /// no summary has come in; `unknown` when neither knows.
    public var state: String
    public var submittedAt: Int64?
    public var finishedAt: Int64?
    public var cluster: String?
    public var queue: String?

    public init(runID: String, scheduledAt: Int64, job: String, appID: String?, state: String, submittedAt: Int64?,
                finishedAt: Int64?, cluster: String?, queue: String?) {
        self.runID = runID
        self.scheduledAt = scheduledAt
        self.job = job
        self.appID = appID
        self.state = state
        self.submittedAt = submittedAt
        self.finishedAt = finishedAt
        self.cluster = cluster
        self.queue = queue
    }
}

extension InsightStore {
    /// Submissions per hour with `from <= submitted_at < to`, by cluster, source and state.
    public func submissionHours(from: Int64, to: Int64) throws -> [SubmissionHour] {
        try prepared("""
            SELECT (submitted_at / 3600000) * 3600000 AS hour, cluster, source, state, COUNT(*)
            FROM submissions WHERE submitted_at >= ? AND submitted_at < ?
            GROUP BY (submitted_at / 3600000) * 3600000, cluster, source, state
            ORDER BY 1, 2, 3, 4
            """).query([.integer(from), .integer(to)]).map { row in
            SubmissionHour(hour: row[0].int64 ?? 0, cluster: row[1].string ?? "", source: row[2].string ?? "",
                           state: row[3].string ?? "", count: Int(row[4].int64 ?? 0))
        }
    }

    /// When the store last took in data: the newest application finish ingested and the newest time a source
    /// was read (milliseconds); nil when nothing was.
    public func lastIngest() throws -> (newestFinish: Int64?, lastRead: Int64?) {
        let finish = try prepared("SELECT value FROM ingest_state WHERE name = 'newest_finish'").query([]).first?.first?.int64
        let read = try prepared("SELECT MAX(updated_at) FROM ingest_sources").query([]).first?.first?.int64
        return (finish.flatMap { $0 > 0 ? $0 : nil }, read)
    }

    /// The newest archived plan: its night and when it was planned.
    public func lastPlanned() throws -> (night: String, plannedAt: Int64)? {
        try prepared("SELECT night, planned_at FROM plan_nights ORDER BY night DESC LIMIT 1").query([]).first.map {
            ($0[0].string ?? "", $0[1].int64 ?? 0)
        }
    }

    /// Every attempt of every job of `workflow`'s runs scheduled in `[from, to)`: the applications `job_apps`
    /// names (with what was ingested of them), then the scheduler's jobs that have no application among them.
    /// Ordered by run time, then job, then submission.
    public func jobAttempts(workflow: String, from: Int64, to: Int64) throws -> [JobAttempt] {
        var attempts: [JobAttempt] = []
        var seen = Set<String>()
        let app = try prepared("""
            SELECT a.state, a.submitted_at, a.finished_at, a.cluster, a.queue FROM app_keys k JOIN apps a ON a.seq = k.seq
            WHERE k.app_hash = ? AND a.app_id = ? ORDER BY a.seq DESC LIMIT 1
            """)
        for row in try prepared("""
            SELECT run_id, scheduled_at, job, app_id FROM job_apps WHERE workflow = ? AND scheduled_at >= ? AND scheduled_at < ?
            """).query([.text(workflow), .integer(from), .integer(to)]) {
            let appID = row[3].string ?? ""
            seen.insert("\(row[0].string ?? "")\u{0}\(row[2].string ?? "")")
            let found = try app.query([.integer(AppKey.hash(appID)), .text(appID)]).first
            attempts.append(JobAttempt(runID: row[0].string ?? "", scheduledAt: row[1].int64 ?? 0, job: row[2].string ?? "",
                                       appID: appID, state: found?[0].string ?? "submitted",
                                       submittedAt: found?[1].int64, finishedAt: found.flatMap { $0[2].int64 },
                                       cluster: found?[3].string, queue: found?[4].string))
        }
        for row in try prepared("""
            SELECT r.run_id, r.scheduled_at, j.job, j.state, j.submitted_at, j.ended_at, j.cluster
            FROM wf_runs r JOIN wf_jobs j ON j.run_id = r.run_id
            WHERE r.workflow = ? AND r.scheduled_at >= ? AND r.scheduled_at < ?
            """).query([.text(workflow), .integer(from), .integer(to)])
            where !seen.contains("\(row[0].string ?? "")\u{0}\(row[2].string ?? "")") {
            let submitted = row[4].int64 ?? 0, ended = row[5].int64 ?? 0
            attempts.append(JobAttempt(runID: row[0].string ?? "", scheduledAt: row[1].int64 ?? 0, job: row[2].string ?? "",
                                       appID: nil, state: row[3].string ?? "unknown", submittedAt: submitted > 0 ? submitted : nil,
                                       finishedAt: ended > 0 ? ended : nil, cluster: row[6].string, queue: nil))
        }
        attempts.sort { ($0.scheduledAt, $0.runID, $0.job, $0.submittedAt ?? .max) < ($1.scheduledAt, $1.runID, $1.job, $1.submittedAt ?? .max) }
        return attempts
    }
}

extension InsightStore {
    /// Every workflow's job attempts in `[from, to)`, by workflow (as `jobAttempts(workflow:from:to:)` gives
    /// each): one pass over the window's `job_apps`, one over the applications submitted since `from` (a run's
    /// applications come after its tick), and one over the scheduler's jobs, joined in memory, for an export
    /// of every workflow page.
    public func jobAttemptsByWorkflow(from: Int64, to: Int64) throws -> [String: [JobAttempt]] {
        struct Named { var workflow: String; var runID: String; var scheduledAt: Int64; var job: String }
        var named: [String: Named] = [:]
        try prepared("SELECT app_id, workflow, run_id, scheduled_at, job FROM job_apps WHERE scheduled_at >= ? AND scheduled_at < ?")
            .forEachRow([.integer(from), .integer(to)]) { row in
                named[row.string(0) ?? ""] = Named(workflow: row.string(1) ?? "", runID: row.string(2) ?? "",
                                                   scheduledAt: row.int64(3) ?? 0, job: row.string(4) ?? "")
            }
        var result: [String: [JobAttempt]] = [:]
        // The newest record of each application wins (apps are read in seq order).
        var latest: [String: JobAttempt] = [:]
        try prepared("SELECT app_id, state, submitted_at, finished_at, cluster, queue FROM apps WHERE submitted_at >= ? ORDER BY seq")
            .forEachRow([.integer(from)]) { row in
                guard let appID = row.string(0), let name = named[appID] else { return }
                latest[appID] = JobAttempt(runID: name.runID, scheduledAt: name.scheduledAt, job: name.job, appID: appID,
                                           state: row.string(1) ?? "submitted", submittedAt: row.int64(2), finishedAt: row.int64(3),
                                           cluster: row.string(4), queue: row.string(5))
            }
        var seenJobs = Set<String>()
        for (appID, name) in named {
            let attempt = latest[appID] ?? JobAttempt(runID: name.runID, scheduledAt: name.scheduledAt, job: name.job, appID: appID,
                                                      state: "submitted", submittedAt: nil, finishedAt: nil, cluster: nil, queue: nil)
            result[name.workflow, default: []].append(attempt)
            seenJobs.insert("\(name.runID)\u{0}\(name.job)")
        }
        try prepared("""
            SELECT r.workflow, r.run_id, r.scheduled_at, j.job, j.state, j.submitted_at, j.ended_at, j.cluster
            FROM wf_runs r JOIN wf_jobs j ON j.run_id = r.run_id WHERE r.scheduled_at >= ? AND r.scheduled_at < ?
            """).forEachRow([.integer(from), .integer(to)]) { row in
                let runID = row.string(1) ?? "", job = row.string(3) ?? ""
                guard !seenJobs.contains("\(runID)\u{0}\(job)") else { return }
                let submitted = row.int64(5) ?? 0, ended = row.int64(6) ?? 0
                result[row.string(0) ?? "", default: []].append(JobAttempt(
                    runID: runID, scheduledAt: row.int64(2) ?? 0, job: job, appID: nil, state: row.string(4) ?? "unknown",
                    submittedAt: submitted > 0 ? submitted : nil, finishedAt: ended > 0 ? ended : nil, cluster: row.string(7), queue: nil))
            }
        for key in result.keys {
            result[key]!.sort { ($0.scheduledAt, $0.runID, $0.job, $0.submittedAt ?? .max) < ($1.scheduledAt, $1.runID, $1.job, $1.submittedAt ?? .max) }
        }
        return result
    }
}
