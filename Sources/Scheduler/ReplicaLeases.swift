import Foundation
public import InsightStore
public import Scheduling

/// A scheduler replica's identity and the workflow leases it holds between passes. Each pass claims its share
/// first (`SchedulerPass` with `leases` set) and then touches only the runs of workflows it holds, writing
/// under a fence on those leases; so several replicas share one PostgreSQL store with no leader, and one that
/// dies holds nothing once its leases expire. On SQLite there is one replica (`SchedulerClaim`), which holds
/// every lease.
public final class ReplicaLeases: @unchecked Sendable {
    // @unchecked: used by the one thread that runs the passes (the metrics read a copy through `snapshot`).
    public private(set) var me: ReplicaRecord
    /// What the last claim left this replica with.
    public private(set) var last = LeaseClaim()
    /// Leases taken over from dead replicas since start, and writes refused because a lease was lost.
    public private(set) var takeovers = 0
    public private(set) var leasesLost = 0
    /// Seconds spent in lease claims, and how many.
    public private(set) var claimSeconds = 0.0
    public private(set) var claims = 0
    /// Seconds the last claim took.
    public private(set) var lastClaimSeconds = 0.0
    /// Workflows known to have a lease row.
    private var known: Set<String> = []
    private let lock = NSLock()

    /// This process as replica `replica` (host, pid and start from the process); leases last `leaseMs`.
    public init(replica: String, leaseMs: Int64) {
        me = ReplicaRecord(replica: replica, role: "scheduler", host: ProcessInfo.processInfo.hostName,
                           pid: Int64(ProcessInfo.processInfo.processIdentifier), startedAt: InsightStore.now(), leaseMs: leaseMs)
    }

    public var name: String { me.replica }

    /// Claims this replica's share for a pass at `now` over `workflows` (the definitions it runs).
    func claim(_ store: InsightStore, workflows: [String], now: Int64) throws -> LeaseClaim {
        let started = ContinuousClock.now
        let new = workflows.filter { !known.contains($0) }
        let claim = try store.claimWorkflowLeases(me, newWorkflows: new, previously: last.held, now: now)
        known.formUnion(new)
        let took = ContinuousClock.now - started
        lock.withLock {
            last = claim
            takeovers += claim.takenOver.count
            me.takeovers = Int64(takeovers)
            me.leases = Int64(claim.held.count)
            me.heartbeatAt = now
            claims += 1
            lastClaimSeconds = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
            claimSeconds += lastClaimSeconds
        }
        return claim
    }

    /// After an error: the next claim starts over (every held workflow is read again as newly acquired).
    func forget(lost: Bool) {
        lock.withLock {
            last = LeaseClaim()
            known = []
            if lost { leasesLost += 1 }
        }
    }

    /// A copy for the metrics and `/healthz` (another thread).
    public var snapshot: (me: ReplicaRecord, live: Int, takeovers: Int, leasesLost: Int, claims: Int, claimSeconds: Double) {
        lock.withLock { (me, last.live, takeovers, leasesLost, claims, claimSeconds) }
    }
}

/// Where a job attempt's application is, to ask the clusters how it stands.
public struct AppLocation: Sendable, Hashable {
    public var appID: String
    public var cluster: String
    public init(appID: String, cluster: String) {
        self.appID = appID
        self.cluster = cluster
    }
}

/// How the applications of runs a replica has just acquired stand now: the watch saw their changes while
/// another replica held them (and applied them there, or died first).
public protocol AppStatusSource: Sendable {
    func latest(_ apps: [AppLocation]) -> [AppReport]
    /// Hands the next pass again what is already known of `appIDs`: an attempt sent again after a crash or a
    /// takeover gets the router's first answer, and its application may have run (and ended) before the attempt
    /// was recorded as in flight, while its reports were not yet about anything in flight.
    func replay(_ appIDs: [String])
}
