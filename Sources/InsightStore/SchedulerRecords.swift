import Store

/// A workflow run as the store keeps it.
public struct RunRecord: Sendable, Equatable {
    public var runID: String
    public var workflow: String
    /// scheduled, manual or backfill.
    public var kind: String
    public var scheduledAt: Int64
    public var deadline: Int64
    /// The content digest of the definition version the run uses.
    public var digest: String
    public var state: String
    public var createdAt: Int64
    public var startedAt: Int64?
    public var endedAt: Int64?
    public var missed: Bool

    public init(runID: String, workflow: String, kind: String, scheduledAt: Int64, deadline: Int64, digest: String,
                state: String, createdAt: Int64, startedAt: Int64? = nil, endedAt: Int64? = nil, missed: Bool = false) {
        self.runID = runID
        self.workflow = workflow
        self.kind = kind
        self.scheduledAt = scheduledAt
        self.deadline = deadline
        self.digest = digest
        self.state = state
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.missed = missed
    }
}

/// A workflow as the scheduler recorded it: the version in force, whether it is paused, its latest run.
public struct StoredWorkflow: Sendable, Equatable {
    public var workflow: String
    /// The content digest of the version in force (its text is in `wf_versions`).
    public var digest: String
    public var paused: Bool
    /// When the version in force was first recorded.
    public var updatedAt: Int64
    /// The run with the newest tick, if any.
    public var latestRun: RunRecord?

    public init(workflow: String, digest: String, paused: Bool, updatedAt: Int64, latestRun: RunRecord?) {
        self.workflow = workflow
        self.digest = digest
        self.paused = paused
        self.updatedAt = updatedAt
        self.latestRun = latestRun
    }
}

/// One job of a run as the store keeps it (times in epoch ms, 0 for not yet).
public struct JobRecord: Sendable, Equatable {
    public var runID: String
    public var job: String
    public var position: Int
    public var state: String
    public var attempt: Int
    public var notBefore: Int64
    public var readyAt: Int64
    public var submittedAt: Int64
    public var startedAt: Int64
    public var endedAt: Int64
    public var appID: String?
    public var cluster: String?
    public var reason: String?
    /// The namespace of the current attempt's application.
    public var namespace: String?

    public init(runID: String, job: String, position: Int, state: String, attempt: Int = 1, notBefore: Int64 = 0, readyAt: Int64 = 0,
                submittedAt: Int64 = 0, startedAt: Int64 = 0, endedAt: Int64 = 0, appID: String? = nil, cluster: String? = nil,
                reason: String? = nil, namespace: String? = nil) {
        self.namespace = namespace
        self.runID = runID
        self.job = job
        self.position = position
        self.state = state
        self.attempt = attempt
        self.notBefore = notBefore
        self.readyAt = readyAt
        self.submittedAt = submittedAt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.appID = appID
        self.cluster = cluster
        self.reason = reason
    }
}

/// Something that happened to a run or a job, for the history.
public struct SchedulerEvent: Sendable, Equatable {
    public var at: Int64
    public var runID: String
    public var job: String?
    public var kind: String
    public var detail: String?

    public init(at: Int64, runID: String, job: String? = nil, kind: String, detail: String? = nil) {
        self.at = at
        self.runID = runID
        self.job = job
        self.kind = kind
        self.detail = detail
    }
}

extension InsightStore {
    // MARK: Definitions

    /// Records a definition version (kept once per digest) and makes it the workflow's version in force,
    /// keeping whether the workflow is paused.
    /// `jobs` are the definition's job names in order: with them, a run's jobs get a row only when they first
    /// change (a waiting job is implied by its version), so creating the runs of a tick and reading a pass's runs
    /// cost what has happened, not the size of every definition.
    public func recordWorkflowVersion(workflow: String, digest: String, file: String, definition: String, at time: Int64,
                                      jobs: [String]? = nil) throws {
        try transaction {
            _ = try prepared("""
                INSERT INTO wf_versions (digest, workflow, file, definition, first_seen, jobs) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (digest) DO NOTHING
                """).run([.text(digest), .text(workflow), .text(file), .text(definition), .integer(time), .text(jobs?.joined(separator: "\n"))])
            _ = try prepared("""
                INSERT INTO wf_workflows (workflow, digest, paused, updated_at) VALUES (?, ?, 0, ?)
                ON CONFLICT (workflow) DO UPDATE SET digest = excluded.digest,
                    updated_at = CASE WHEN wf_workflows.digest = excluded.digest THEN wf_workflows.updated_at ELSE excluded.updated_at END
                """).run([.text(workflow), .text(digest), .integer(time)])
        }
    }

    /// The version in force and whether it is paused, by workflow.
    public func workflowVersions() throws -> [String: (digest: String, paused: Bool)] {
        var result: [String: (digest: String, paused: Bool)] = [:]
        for row in try prepared("SELECT workflow, digest, paused FROM wf_workflows").query([]) {
            result[row[0].string ?? ""] = (row[1].string ?? "", (row[2].int64 ?? 0) != 0)
        }
        return result
    }

    /// Pauses or unpauses a workflow; false when the scheduler has never seen it.
    public func setPaused(_ workflow: String, _ paused: Bool) throws -> Bool {
        try prepared("UPDATE wf_workflows SET paused = ? WHERE workflow = ?").run([.integer(paused ? 1 : 0), .text(workflow)]) > 0
    }

    /// A stored definition by digest.
    public func workflowDefinition(digest: String) throws -> (workflow: String, file: String, definition: String)? {
        try prepared("SELECT workflow, file, definition FROM wf_versions WHERE digest = ?").query([.text(digest)]).first.map {
            ($0[0].string ?? "", $0[1].string ?? "", $0[2].string ?? "")
        }
    }

    // MARK: Runs

    /// The latest scheduled tick that has a run, by workflow.
    public func lastScheduledTicks() throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        for row in try prepared("SELECT workflow, MAX(scheduled_at) FROM wf_runs WHERE kind = 'scheduled' GROUP BY workflow").query([]) {
            if let tick = row[1].int64 { result[row[0].string ?? ""] = tick }
        }
        return result
    }

    /// Creates runs with their jobs in one transaction. A run whose (workflow, kind, scheduled_at) already has one
    /// is skipped, jobs and all: returns the runs really created.
    public func createRuns(_ runs: [(run: RunRecord, jobs: [JobRecord])], at time: Int64) throws -> [String] {
        var created: [String] = []
        try transaction {
            let insertRun = try prepared("""
                INSERT INTO wf_runs (run_id, workflow, kind, scheduled_at, deadline, digest, state, created_at, missed)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT DO NOTHING
                """)
            let insertJob = try prepared("""
                INSERT INTO wf_jobs (run_id, job, position, state, attempt, not_before, ready_at, submitted_at, started_at, ended_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0)
                """)
            let event = try prepared("INSERT INTO wf_events (at, run_id, job, kind, detail) VALUES (?, ?, NULL, 'created', ?)")
            for (run, jobs) in runs {
                let inserted = try insertRun.run([.text(run.runID), .text(run.workflow), .text(run.kind), .integer(run.scheduledAt),
                                                  .integer(run.deadline), .text(run.digest), .text(run.state), .integer(run.createdAt)])
                guard inserted > 0 else { continue }
                let implied = try jobNames(digest: run.digest) != nil
                for job in jobs where !(implied && job.state == "waiting") {
                    _ = try insertJob.run([.text(run.runID), .text(job.job), .integer(Int64(job.position)), .text(job.state),
                                           .integer(Int64(job.attempt)), .integer(job.notBefore), .integer(job.readyAt)])
                }
                _ = try event.run([.integer(time), .text(run.runID), .text("version \(run.digest)")])
                created.append(run.runID)
            }
        }
        return created
    }

    /// Runs not yet ended, oldest tick first.
    public func activeRuns() throws -> [RunRecord] {
        try prepared("""
            SELECT run_id, workflow, kind, scheduled_at, deadline, digest, state, created_at, started_at, ended_at, missed
            FROM wf_runs WHERE state IN ('queued', 'running') ORDER BY scheduled_at, workflow, kind
            """).query([]).map(Self.runRecord)
    }

    /// One run by id.
    public func run(_ runID: String) throws -> RunRecord? {
        try prepared("""
            SELECT run_id, workflow, kind, scheduled_at, deadline, digest, state, created_at, started_at, ended_at, missed
            FROM wf_runs WHERE run_id = ?
            """).query([.text(runID)]).first.map(Self.runRecord)
    }

    /// A workflow's runs, newest tick first, at most `limit`.
    public func runs(workflow: String, limit: Int) throws -> [RunRecord] {
        try runs(workflow: workflow, state: nil, limit: limit)
    }

    /// The newest runs first (by tick), at most `limit`: of one workflow, in one state, both, or all.
    public func runs(workflow: String?, state: String?, limit: Int) throws -> [RunRecord] {
        let order = " ORDER BY scheduled_at DESC, workflow, kind LIMIT ?"
        let (filter, values): (String, [SQLValue]) = switch (workflow, state) {
        case let (workflow?, state?): (" WHERE workflow = ? AND state = ?", [.text(workflow), .text(state)])
        case let (workflow?, nil): (" WHERE workflow = ?", [.text(workflow)])
        case let (nil, state?): (" WHERE state = ?", [.text(state)])
        case (nil, nil): ("", [])
        }
        return try prepared(Self.runColumns + filter + order).query(values + [.integer(Int64(limit))]).map { Self.runRecord($0) }
    }

    /// Every workflow the scheduler has recorded, by name: the version in force, whether it is paused, and the
    /// latest run (newest tick), in one query.
    public func storedWorkflows() throws -> [StoredWorkflow] {
        try prepared(Self.storedWorkflowQuery + " ORDER BY w.workflow").query([]).map(Self.storedWorkflow)
    }

    /// One workflow as `storedWorkflows` lists it; nil when the scheduler has never recorded it.
    public func storedWorkflow(_ workflow: String) throws -> StoredWorkflow? {
        try prepared(Self.storedWorkflowQuery + " WHERE w.workflow = ?").query([.text(workflow)]).first.map(Self.storedWorkflow)
    }

    private static let runColumns = """
        SELECT run_id, workflow, kind, scheduled_at, deadline, digest, state, created_at, started_at, ended_at, missed FROM wf_runs
        """

    private static let storedWorkflowQuery = """
        SELECT w.workflow, w.digest, w.paused, w.updated_at, r.run_id, r.workflow, r.kind, r.scheduled_at, r.deadline, r.digest,
            r.state, r.created_at, r.started_at, r.ended_at, r.missed
        FROM wf_workflows w LEFT JOIN wf_runs r ON r.run_id = (
            SELECT x.run_id FROM wf_runs x WHERE x.workflow = w.workflow ORDER BY x.scheduled_at DESC, x.kind LIMIT 1)
        """

    private static func storedWorkflow(_ row: [SQLValue]) -> StoredWorkflow {
        StoredWorkflow(workflow: row[0].string ?? "", digest: row[1].string ?? "", paused: (row[2].int64 ?? 0) != 0,
                       updatedAt: row[3].int64 ?? 0, latestRun: row[4].string == nil ? nil : runRecord(Array(row[4...])))
    }

    private static func runRecord(_ row: [SQLValue]) -> RunRecord {
        RunRecord(runID: row[0].string ?? "", workflow: row[1].string ?? "", kind: row[2].string ?? "",
                  scheduledAt: row[3].int64 ?? 0, deadline: row[4].int64 ?? 0, digest: row[5].string ?? "",
                  state: row[6].string ?? "", createdAt: row[7].int64 ?? 0, startedAt: row[8].int64, endedAt: row[9].int64,
                  missed: (row[10].int64 ?? 0) != 0)
    }

    /// The jobs of `runID` in their workflow's order.
    public func jobs(ofRun runID: String) throws -> [JobRecord] {
        let rows = try prepared(Self.jobColumns + " WHERE run_id = ? ORDER BY position").query([.text(runID)]).map(Self.jobRecord)
        guard let digest = try prepared("SELECT digest FROM wf_runs WHERE run_id = ?").query([.text(runID)]).first?[0].string else { return rows }
        return try complete(rows, runID: runID, digest: digest)
    }

    /// A version's job names in order; nil for a version recorded without them (every job then has a row).
    func jobNames(digest: String) throws -> [String]? {
        if let known = jobNamesByDigest[digest] { return known }
        let text = try prepared("SELECT jobs FROM wf_versions WHERE digest = ?").query([.text(digest)]).first?[0].string
        let names = text.map { $0.isEmpty ? [] : $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        jobNamesByDigest[digest] = .some(names)
        return names
    }

    /// A run's stored job rows with a waiting row for each job of its version that has none yet, in order.
    func complete(_ rows: [JobRecord], runID: String, digest: String) throws -> [JobRecord] {
        guard let names = try jobNames(digest: digest) else { return rows }
        var stored = Dictionary(rows.map { ($0.job, $0) }, uniquingKeysWith: { first, _ in first })
        var result = names.enumerated().map { position, name in
            stored.removeValue(forKey: name) ?? JobRecord(runID: runID, job: name, position: position, state: "waiting")
        }
        result += stored.values.sorted { $0.position < $1.position }
        return result
    }

    /// The jobs of every run not yet ended, by run, each run's in their workflow's order: one query for what a
    /// pass works on, instead of one per run.
    public func jobsOfActiveRuns() throws -> [String: [JobRecord]] {
        var stored: [String: [JobRecord]] = [:]
        let rows = try prepared(Self.jobColumns + """
             WHERE run_id IN (SELECT run_id FROM wf_runs WHERE state IN ('queued', 'running')) ORDER BY run_id, position
            """).query([])
        for row in rows {
            let record = Self.jobRecord(row)
            stored[record.runID, default: []].append(record)
        }
        var result: [String: [JobRecord]] = [:]
        for row in try prepared("SELECT run_id, digest FROM wf_runs WHERE state IN ('queued', 'running')").query([]) {
            let runID = row[0].string ?? ""
            result[runID] = try complete(stored[runID] ?? [], runID: runID, digest: row[1].string ?? "")
        }
        return result
    }

    private static let jobColumns = """
        SELECT run_id, job, position, state, attempt, not_before, ready_at, submitted_at, started_at, ended_at, app_id, cluster, reason,
            namespace FROM wf_jobs
        """

    private static func jobRecord(_ row: [SQLValue]) -> JobRecord {
        JobRecord(runID: row[0].string ?? "", job: row[1].string ?? "", position: Int(row[2].int64 ?? 0), state: row[3].string ?? "",
                  attempt: Int(row[4].int64 ?? 1), notBefore: row[5].int64 ?? 0, readyAt: row[6].int64 ?? 0,
                  submittedAt: row[7].int64 ?? 0, startedAt: row[8].int64 ?? 0, endedAt: row[9].int64 ?? 0,
                  appID: row[10].string, cluster: row[11].string, reason: row[12].string, namespace: row[13].string)
    }

    /// Per cluster, the SparkApplication resourceVersion up to which scheduler replica `replica` has applied every
    /// change to the jobs it holds.
    public func watchPositions(replica: String = "scheduler") throws -> [String: String] {
        var result: [String: String] = [:]
        for row in try prepared("SELECT cluster, resource_version FROM wf_watch_positions WHERE replica = ?").query([.text(replica)]) {
            result[row[0].string ?? ""] = row[1].string ?? ""
        }
        return result
    }

    /// Writes what a pass decided, all at once: runs' states, jobs' states, the events and, per cluster, the
    /// watch position the applied reports reach (so they are never applied without it, nor it without them).
    /// With a `fence`, the write is made only while its replica holds the lease of every workflow it touches
    /// (else `LeaseLost`, and nothing is written), and the positions are that replica's.
    public func applySchedulerChanges(runs: [RunRecord], jobs: [JobRecord], events: [SchedulerEvent],
                                      watchPositions: [String: String] = [:], at time: Int64 = 0, fence: LeaseFence? = nil) throws {
        guard !runs.isEmpty || !jobs.isEmpty || !events.isEmpty || !watchPositions.isEmpty else { return }
        try transaction {
            if let fence { try checkFence(fence) }
            let position = try prepared("""
                INSERT INTO wf_watch_positions (replica, cluster, resource_version, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (replica, cluster) DO UPDATE SET resource_version = excluded.resource_version, updated_at = excluded.updated_at
                """)
            let replica = fence?.replica ?? "scheduler"
            for (cluster, version) in watchPositions.sorted(by: { $0.key < $1.key }) {
                _ = try position.run([.text(replica), .text(cluster), .text(version), .integer(time)])
            }
            let updateRun = try prepared("UPDATE wf_runs SET state = ?, started_at = ?, ended_at = ?, missed = ? WHERE run_id = ?")
            for run in runs {
                _ = try updateRun.run([.text(run.state), run.startedAt.map { .integer($0) } ?? .null, run.endedAt.map { .integer($0) } ?? .null,
                                       .integer(run.missed ? 1 : 0), .text(run.runID)])
            }
            // A job's first change creates its row (a waiting job has none).
            let upsertJob = try prepared("""
                INSERT INTO wf_jobs (run_id, job, position, state, attempt, not_before, ready_at, submitted_at, started_at, ended_at,
                    app_id, cluster, reason, namespace) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_id, job) DO UPDATE SET state = excluded.state, attempt = excluded.attempt,
                    not_before = excluded.not_before, ready_at = excluded.ready_at, submitted_at = excluded.submitted_at,
                    started_at = excluded.started_at, ended_at = excluded.ended_at, app_id = excluded.app_id,
                    cluster = excluded.cluster, reason = excluded.reason, namespace = excluded.namespace
                """)
            for job in jobs {
                _ = try upsertJob.run([.text(job.runID), .text(job.job), .integer(Int64(job.position)), .text(job.state),
                                       .integer(Int64(job.attempt)), .integer(job.notBefore), .integer(job.readyAt),
                                       .integer(job.submittedAt), .integer(job.startedAt), .integer(job.endedAt),
                                       .text(job.appID), .text(job.cluster), .text(job.reason), .text(job.namespace)])
            }
            let insertEvent = try prepared("INSERT INTO wf_events (at, run_id, job, kind, detail) VALUES (?, ?, ?, ?, ?)")
            for event in events {
                _ = try insertEvent.run([.integer(event.at), .text(event.runID), .text(event.job), .text(event.kind), .text(event.detail)])
            }
        }
    }

    /// A run's events in order.
    public func events(ofRun runID: String) throws -> [SchedulerEvent] {
        try prepared("SELECT at, run_id, job, kind, detail FROM wf_events WHERE run_id = ? ORDER BY seq").query([.text(runID)]).map {
            SchedulerEvent(at: $0[0].int64 ?? 0, runID: $0[1].string ?? "", job: $0[2].string, kind: $0[3].string ?? "", detail: $0[4].string)
        }
    }
}

extension InsightStore {
    // MARK: Operations

    /// Clears a failed run so its failed jobs run again (the rest keep their outcome): failed jobs go back to
    /// waiting with the next attempt number, jobs skipped because of them too, and the run to queued. False
    /// when the run does not exist or has not failed.
    public func clearRun(_ runID: String, at time: Int64) throws -> Bool {
        var cleared = false
        try transaction {
            guard let run = try run(runID), run.state == "failed" else { return }
            _ = try prepared("""
                UPDATE wf_jobs SET state = 'waiting', attempt = attempt + 1, not_before = 0, ready_at = 0, submitted_at = 0,
                    started_at = 0, ended_at = 0, app_id = NULL, cluster = NULL, reason = NULL, namespace = NULL
                WHERE run_id = ? AND state = 'failed'
                """).run([.text(runID)])
            _ = try prepared("""
                UPDATE wf_jobs SET state = 'waiting', ended_at = 0, reason = NULL WHERE run_id = ? AND state = 'upstream_failed'
                """).run([.text(runID)])
            _ = try prepared("UPDATE wf_runs SET state = 'queued', ended_at = NULL WHERE run_id = ?").run([.text(runID)])
            _ = try prepared("INSERT INTO wf_events (at, run_id, job, kind, detail) VALUES (?, ?, NULL, 'cleared', NULL)")
                .run([.integer(time), .text(runID)])
            try bumpOperations()
            cleared = true
        }
        return cleared
    }

    /// Marks a job succeeded by hand (the work was done another way): jobs skipped because of it wait again, and
    /// a run that had failed only through it is queued to finish. False when the run or job does not exist.
    public func markJobSucceeded(_ runID: String, job: String, at time: Int64) throws -> Bool {
        var marked = false
        try transaction {
            var changed = try prepared("""
                UPDATE wf_jobs SET state = 'succeeded', ended_at = ?, reason = 'marked succeeded' WHERE run_id = ? AND job = ?
                """).run([.integer(time), .text(runID), .text(job)])
            if changed == 0, let digest = try run(runID)?.digest, let position = try jobNames(digest: digest)?.firstIndex(of: job) {
                // A job still waiting has no row: it gets one.
                changed = try prepared("""
                    INSERT INTO wf_jobs (run_id, job, position, state, attempt, not_before, ready_at, submitted_at, started_at, ended_at, reason)
                    VALUES (?, ?, ?, 'succeeded', 1, 0, 0, 0, 0, ?, 'marked succeeded')
                    """).run([.text(runID), .text(job), .integer(Int64(position)), .integer(time)])
            }
            guard changed > 0 else { return }
            _ = try prepared("UPDATE wf_jobs SET state = 'waiting', ended_at = 0 WHERE run_id = ? AND state = 'upstream_failed'")
                .run([.text(runID)])
            _ = try prepared("UPDATE wf_runs SET state = 'queued', ended_at = NULL WHERE run_id = ? AND state = 'failed'")
                .run([.text(runID)])
            _ = try prepared("INSERT INTO wf_events (at, run_id, job, kind, detail) VALUES (?, ?, ?, 'marked_succeeded', NULL)")
                .run([.integer(time), .text(runID), .text(job)])
            try bumpOperations()
            marked = true
        }
        return marked
    }
}

/// What the scheduler's benchmark reads back from the store: each figure from the times the store holds.
///
/// A run with no job running yet, or a ready job not yet accepted, is still waiting when the figures are read:
/// it is kept as a censored sample (its wait so far, a lower bound) rather than left out, so a percentile over a
/// backlog can never look better than it is.
public struct SchedulerFigures: Sendable {
    /// One measured delay (ms) of a run or job of the workflow version `digest`.
    public struct Sample: Sendable, Equatable {
        public var digest: String
        public var millis: Int64
        /// Still waiting when read: `millis` is the wait so far.
        public var censored: Bool

        public init(digest: String, millis: Int64, censored: Bool = false) {
            self.digest = digest
            self.millis = millis
            self.censored = censored
        }
    }

    /// Per run: tick → run created.
    public var scheduleDelays: [Sample] = []
    /// Per run: tick → its first job seen running on the cluster.
    public var firstJobDelays: [Sample] = []
    /// Per job attempt: dispatchable → accepted by the router.
    public var dispatchDelays: [Sample] = []
    /// Submission times of every job attempt (ms), for the rate.
    public var submissions: [Int64] = []
    /// Jobs by state.
    public var jobStates: [String: Int] = [:]
    public var runs = 0
}

extension InsightStore {
    /// The figures of runs scheduled at or after `since`, read at `asOf` (epoch ms).
    public func schedulerFigures(since: Int64, asOf: Int64) throws -> SchedulerFigures {
        var figures = SchedulerFigures()
        var runs: [String: (digest: String, tick: Int64)] = [:]
        for row in try prepared("SELECT run_id, digest, scheduled_at, created_at FROM wf_runs WHERE scheduled_at >= ?").query([.integer(since)]) {
            let digest = row[1].string ?? "", tick = row[2].int64 ?? 0
            runs[row[0].string ?? ""] = (digest, tick)
            figures.scheduleDelays.append(.init(digest: digest, millis: (row[3].int64 ?? 0) - tick))
            figures.runs += 1
        }
        var started = Set<String>()
        for row in try prepared("""
            SELECT r.run_id, r.digest, r.scheduled_at, MIN(j.started_at) FROM wf_runs r JOIN wf_jobs j ON j.run_id = r.run_id
            WHERE r.scheduled_at >= ? AND j.started_at > 0 GROUP BY r.run_id, r.digest, r.scheduled_at
            """).query([.integer(since)]) {
            started.insert(row[0].string ?? "")
            figures.firstJobDelays.append(.init(digest: row[1].string ?? "", millis: (row[3].int64 ?? 0) - (row[2].int64 ?? 0)))
        }
        for (runID, run) in runs where !started.contains(runID) && asOf >= run.tick {
            figures.firstJobDelays.append(.init(digest: run.digest, millis: asOf - run.tick, censored: true))
        }
        for row in try prepared("""
            SELECT r.digest, j.submitted_at, CASE WHEN j.ready_at > j.not_before THEN j.ready_at ELSE j.not_before END, j.state
            FROM wf_runs r JOIN wf_jobs j ON j.run_id = r.run_id WHERE r.scheduled_at >= ?
            """).query([.integer(since)]) {
            let digest = row[0].string ?? "", submitted = row[1].int64 ?? 0, dispatchable = row[2].int64 ?? 0, state = row[3].string ?? ""
            if submitted > 0 {
                figures.dispatchDelays.append(.init(digest: digest, millis: submitted - dispatchable))
                figures.submissions.append(submitted)
            } else if state == "ready", dispatchable > 0, asOf >= dispatchable {
                figures.dispatchDelays.append(.init(digest: digest, millis: asOf - dispatchable, censored: true))
            }
            figures.jobStates[state, default: 0] += 1
        }
        return figures
    }
}

extension InsightStore {
    /// Every run that has ended, oldest tick first (for comparing the scheduler's verdicts with the SLO report's).
    public func endedRuns() throws -> [RunRecord] {
        try prepared("""
            SELECT run_id, workflow, kind, scheduled_at, deadline, digest, state, created_at, started_at, ended_at, missed
            FROM wf_runs WHERE state IN ('succeeded', 'failed') ORDER BY scheduled_at, workflow, run_id
            """).query([]).map { row in
            RunRecord(runID: row[0].string ?? "", workflow: row[1].string ?? "", kind: row[2].string ?? "",
                      scheduledAt: row[3].int64 ?? 0, deadline: row[4].int64 ?? 0, digest: row[5].string ?? "",
                      state: row[6].string ?? "", createdAt: row[7].int64 ?? 0, startedAt: row[8].int64, endedAt: row[9].int64,
                      missed: (row[10].int64 ?? 0) != 0)
        }
    }
}

extension InsightStore {
    /// A number that changes whenever a run's jobs are changed outside the scheduler's passes (clear, mark
    /// succeeded): a scheduler keeping jobs in memory reads them again when it moved.
    public func operationsMark() throws -> Int64 {
        try prepared("SELECT value FROM wf_meta WHERE name = 'operations'").query([]).first?[0].int64 ?? 0
    }

    func bumpOperations() throws {
        _ = try prepared("UPDATE wf_meta SET value = value + 1 WHERE name = 'operations'").run([])
    }
}

extension InsightStore {
    /// On PostgreSQL, takes the session-level advisory lock that says "the scheduler replica named `replica` runs
    /// on this database" (keyed by the database's name and the replica's, so replicas with other names and
    /// schedulers of other databases on the same server are not affected); false when another session holds it.
    /// The lock lasts as long as this connection. On SQLite it returns true: the caller locks beside the file.
    public func claimSchedulerLock(replica: String = "scheduler") throws -> Bool {
        guard case .postgres = location else { return true }
        let row = try prepared("SELECT pg_try_advisory_lock(hashtext(current_database() || ?))").query([.text(":bursar-scheduler:" + replica)]).first
        return row?[0].int64 == 1 || row?[0].string == "t" || row?[0].string == "true"
    }
}
