import Foundation
import Store

/// One daemon process sharing the store, as `replicas` records it.
public struct ReplicaRecord: Sendable, Equatable {
    public var replica: String
    /// scheduler or router.
    public var role: String
    public var host: String
    public var pid: Int64
    public var startedAt: Int64
    public var heartbeatAt: Int64
    /// How long its heartbeat (and, for a scheduler, its leases) lasts.
    public var leaseMs: Int64
    /// Workflow leases it holds (a scheduler; 0 for a router).
    public var leases: Int64
    /// Leases it took over from a replica whose lease had expired.
    public var takeovers: Int64

    public init(replica: String, role: String, host: String, pid: Int64, startedAt: Int64, heartbeatAt: Int64 = 0,
                leaseMs: Int64, leases: Int64 = 0, takeovers: Int64 = 0) {
        self.replica = replica
        self.role = role
        self.host = host
        self.pid = pid
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.leaseMs = leaseMs
        self.leases = leases
        self.takeovers = takeovers
    }

    /// Whether its last heartbeat is younger than its lease at `now`.
    public func isAlive(at now: Int64) -> Bool { heartbeatAt + leaseMs >= now }
}

/// What one claim of workflow leases left a scheduler replica with.
public struct LeaseClaim: Sendable, Equatable {
    /// The workflows it holds now, each until at least `now + lease / 2`.
    public var held: Set<String> = []
    /// Workflows it did not hold before this claim (claimed free, or taken over).
    public var acquired: [String] = []
    /// Workflows taken over from another replica whose lease had expired, with that replica.
    public var takenOver: [(workflow: String, from: String)] = []
    /// Workflows it gave up because it held more than its share (a replica joined).
    public var released: [String] = []
    /// Scheduler replicas alive, this one included.
    public var live = 1

    public init() {}

    public static func == (lhs: LeaseClaim, rhs: LeaseClaim) -> Bool {
        lhs.held == rhs.held && lhs.acquired == rhs.acquired && lhs.released == rhs.released && lhs.live == rhs.live
            && lhs.takenOver.map(\.workflow) == rhs.takenOver.map(\.workflow) && lhs.takenOver.map(\.from) == rhs.takenOver.map(\.from)
    }
}

/// A write was refused because the replica no longer holds the lease of a workflow it wrote about (another
/// replica took it over after it expired): nothing of the write was kept.
public struct LeaseLost: Error, CustomStringConvertible {
    public var replica: String
    public var workflows: [String]
    public var description: String {
        "replica \(replica) no longer holds the lease of \(workflows.prefix(5).joined(separator: ", "))"
            + (workflows.count > 5 ? " and \(workflows.count - 5) more" : "") + " (taken over after it expired); the write was rolled back"
    }
}

/// The leases a write is made under: the replica and the workflows the write touches.
public struct LeaseFence: Sendable {
    public var replica: String
    public var workflows: Set<String>
    public init(replica: String, workflows: Set<String>) {
        self.replica = replica
        self.workflows = workflows
    }
}

extension InsightStore {
    // MARK: Replicas

    /// Records that `replica` is alive now (inserting it on its first heartbeat).
    public func heartbeat(_ replica: ReplicaRecord) throws {
        try transaction { try upsertReplica(replica) }
    }

    private func upsertReplica(_ replica: ReplicaRecord) throws {
        _ = try prepared("""
            INSERT INTO replicas (replica, role, host, pid, started_at, heartbeat_at, lease_ms, leases, takeovers)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (replica) DO UPDATE SET role = excluded.role, host = excluded.host, pid = excluded.pid,
                started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, lease_ms = excluded.lease_ms,
                leases = excluded.leases, takeovers = excluded.takeovers
            """).run([.text(replica.replica), .text(replica.role), .text(replica.host), .integer(replica.pid), .integer(replica.startedAt),
                      .integer(replica.heartbeatAt), .integer(replica.leaseMs), .integer(replica.leases), .integer(replica.takeovers)])
    }

    /// Every replica that has used the store, by role and name; those silent for a day are left out.
    public func replicas(now: Int64) throws -> [ReplicaRecord] {
        try prepared("""
            SELECT replica, role, host, pid, started_at, heartbeat_at, lease_ms, leases, takeovers FROM replicas
            WHERE heartbeat_at >= ? ORDER BY role, replica
            """).query([.integer(now - 86_400_000)]).map {
            ReplicaRecord(replica: $0[0].string ?? "", role: $0[1].string ?? "", host: $0[2].string ?? "", pid: $0[3].int64 ?? 0,
                          startedAt: $0[4].int64 ?? 0, heartbeatAt: $0[5].int64 ?? 0, leaseMs: $0[6].int64 ?? 0,
                          leases: $0[7].int64 ?? 0, takeovers: $0[8].int64 ?? 0)
        }
    }

    // MARK: Workflow leases

    /// One scheduler replica's claim, made once per pass in one transaction: it heartbeats, makes sure every
    /// workflow in `newWorkflows` has a lease row, and takes its share of the leases (the workflows ÷ the
    /// scheduler replicas alive, rounded up): it renews its own leases past half their life, gives up the
    /// excess when it holds more than its share (a replica joined), and claims free or expired leases up to its
    /// share (on PostgreSQL `FOR UPDATE SKIP LOCKED`, so replicas claiming at once never wait on each other nor
    /// take the same one). `previously` is what it held after its last claim, to tell what it acquired.
    public func claimWorkflowLeases(_ me: ReplicaRecord, newWorkflows: [String], previously: Set<String>, now: Int64) throws -> LeaseClaim {
        let postgres = connection.dialect == .postgres
        return try transaction {
            var claim = LeaseClaim()
            if !newWorkflows.isEmpty {
                let insert = try prepared("INSERT INTO wf_leases (workflow, owner, expires_at, version) VALUES (?, NULL, 0, 0) ON CONFLICT DO NOTHING")
                for workflow in newWorkflows { _ = try insert.run([.text(workflow)]) }
            }
            var replica = me
            replica.heartbeatAt = now
            try upsertReplica(replica)
            claim.live = max(1, Int(try prepared("""
                SELECT COUNT(*) FROM replicas WHERE role = 'scheduler' AND heartbeat_at + lease_ms >= ?
                """).query([.integer(now)]).first?[0].int64 ?? 1))
            let total = Int(try prepared("SELECT COUNT(*) FROM wf_leases").query([]).first?[0].int64 ?? 0)
            let share = (total + claim.live - 1) / claim.live
            var mine = Set(try prepared("SELECT workflow FROM wf_leases WHERE owner = ?").query([.text(me.replica)]).compactMap { $0[0].string })
            if mine.count > share {
                // The excess goes back, the last names first, so replicas settle on disjoint halves.
                let release = try prepared("UPDATE wf_leases SET owner = NULL, expires_at = 0, version = version + 1 WHERE workflow = ? AND owner = ?")
                for workflow in mine.sorted(by: >).prefix(mine.count - share) {
                    _ = try release.run([.text(workflow), .text(me.replica)])
                    mine.remove(workflow)
                    claim.released.append(workflow)
                }
            }
            _ = try prepared("UPDATE wf_leases SET expires_at = ?, version = version + 1 WHERE owner = ? AND expires_at < ?")
                .run([.integer(now + me.leaseMs), .text(me.replica), .integer(now + me.leaseMs / 2)])
            if mine.count < share {
                let free = try prepared("""
                    SELECT workflow, owner FROM wf_leases WHERE owner IS NULL OR (expires_at < ? AND owner <> ?)
                    ORDER BY workflow LIMIT ?
                    """ + (postgres ? " FOR UPDATE SKIP LOCKED" : "")).query([.integer(now), .text(me.replica), .integer(Int64(share - mine.count))])
                let take = try prepared("UPDATE wf_leases SET owner = ?, expires_at = ?, version = version + 1 WHERE workflow = ?")
                for row in free {
                    guard let workflow = row[0].string else { continue }
                    _ = try take.run([.text(me.replica), .integer(now + me.leaseMs), .text(workflow)])
                    mine.insert(workflow)
                    if let from = row[1].string { claim.takenOver.append((workflow, from)) }
                }
            }
            claim.held = mine
            claim.acquired = mine.subtracting(previously).sorted()
            replica.leases = Int64(mine.count)
            replica.takeovers += Int64(claim.takenOver.count)
            try upsertReplica(replica)
            return claim
        }
    }

    /// Gives up every lease `replica` holds (a scheduler stopping cleanly), so the others take its workflows
    /// at their next pass instead of after the leases expire, and marks it no longer alive.
    public func releaseWorkflowLeases(replica: String) throws {
        try transaction {
            _ = try prepared("UPDATE wf_leases SET owner = NULL, expires_at = 0, version = version + 1 WHERE owner = ?").run([.text(replica)])
            // A lease of 0 ms: its last heartbeat stays on record, and it no longer counts as alive.
            _ = try prepared("UPDATE replicas SET lease_ms = 0, leases = 0 WHERE replica = ?").run([.text(replica)])
        }
    }

    /// Each workflow's lease: owner (nil when free), expiry and version.
    public func workflowLeases() throws -> [String: (owner: String?, expiresAt: Int64, version: Int64)] {
        var result: [String: (owner: String?, expiresAt: Int64, version: Int64)] = [:]
        for row in try prepared("SELECT workflow, owner, expires_at, version FROM wf_leases").query([]) {
            result[row[0].string ?? ""] = (row[1].string, row[2].int64 ?? 0, row[3].int64 ?? 0)
        }
        return result
    }

    /// Inside a write transaction: checks that `fence.replica` still owns every workflow the write touches, and
    /// on PostgreSQL holds those lease rows (`FOR SHARE`) until the write commits, so a takeover waits for the
    /// write or the write sees the takeover and is refused. Throws `LeaseLost` naming what was lost.
    func checkFence(_ fence: LeaseFence) throws {
        guard !fence.workflows.isEmpty else { return }
        let owned: Set<String>
        switch connection.dialect {
        case .postgres:
            let names = fence.workflows.sorted().map { SQLValue.text($0) }
            owned = Set(try prepared("SELECT workflow FROM wf_leases WHERE owner = ? AND workflow = ANY(?::text[]) FOR SHARE")
                .query([.text(fence.replica), .text(PostgresConnection.arrayLiteral(names))]).compactMap { $0[0].string })
        case .sqlite:
            // One writer at a time: the file's write lock is the fence.
            owned = Set(try prepared("SELECT workflow FROM wf_leases WHERE owner = ?").query([.text(fence.replica)]).compactMap { $0[0].string })
        }
        let lost = fence.workflows.subtracting(owned)
        guard lost.isEmpty else { throw LeaseLost(replica: fence.replica, workflows: lost.sorted()) }
    }

    /// The attempts in flight (submitted or running) of the active runs of workflows `replica` does not hold,
    /// by workflow and run kind: what the other replicas have out, counted against the shared limits.
    public func jobsInFlightOfOthers(replica: String) throws -> [(workflow: String, kind: String, count: Int)] {
        try prepared("""
            SELECT r.workflow, r.kind, COUNT(*) FROM wf_jobs j JOIN wf_runs r ON r.run_id = j.run_id
            WHERE j.state IN ('submitted', 'running') AND r.state = 'running'
                AND NOT EXISTS (SELECT 1 FROM wf_leases l WHERE l.workflow = r.workflow AND l.owner = ?)
            GROUP BY r.workflow, r.kind
            """).query([.text(replica)]).map { ($0[0].string ?? "", $0[1].string ?? "", Int($0[2].int64 ?? 0)) }
    }
}
