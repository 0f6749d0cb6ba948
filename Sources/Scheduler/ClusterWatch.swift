import Foundation
import Synchronization
public import Clusters
public import Scheduling

/// What the clusters said since the scheduler last looked: the reports, and per cluster the resourceVersion
/// they reach (stored with the changes they cause, so a restart resumes each watch where the store is).
public struct ClusterReports: Sendable, Equatable {
    public var reports: [AppReport] = []
    public var positions: [String: String] = [:]

    public init(reports: [AppReport] = [], positions: [String: String] = [:]) {
        self.reports = reports
        self.positions = positions
    }

    public var isEmpty: Bool { reports.isEmpty && positions.isEmpty }
}

/// How one cluster's watch stands, for `/metrics` and the log.
public struct WatchHealth: Sendable, Equatable {
    public var cluster: String
    /// Times the watch was (re)started after an error, a 410 or the server ending it.
    public var restarts = 0
    /// Lists made (the first one, and one per 410 Gone).
    public var relists = 0
    /// Changes received.
    public var changes = 0
    /// The last error, if the watch is failing now.
    public var lastError: String?
    /// When the last change or bookmark arrived (epoch ms), 0 before the first.
    public var lastHeard: Int64 = 0
}

/// One list/watch per cluster on the SparkApplications the scheduler started (label `bursar.dev/run-id`),
/// turning every change into an `AppReport` for the next pass. Each watch runs on its own thread under a
/// supervisor loop: an error or a dropped stream restarts it after a backoff (1 s doubling to 30 s); a 410 Gone
/// (the server no longer holds the resourceVersion) lists again; it starts from the position the store holds,
/// so after a restart of the scheduler no end is missed and nothing is listed again needlessly.
public final class ClusterWatch: Sendable, AppStatusSource {
    /// The label every application the scheduler starts carries, and the only ones watched.
    public static let labelSelector = "bursar.dev/run-id"

    private let targets: [any SparkApplicationWatching]
    private let state: Mutex<State>
    private let wake: DispatchSemaphore
    private let now: @Sendable () -> Int64
    /// Seconds each watch request asks the server to keep the stream open.
    private let watchSeconds: Int
    /// How many applications the cache holds before ended ones older than `keepEnded` ms are pruned.
    private let cacheLimit = 200_000
    private let keepEnded: Int64 = 600_000

    private struct State: Sendable {
        var pending = ClusterReports()
        /// The latest report on every application seen, for runs this replica acquires from another (whose
        /// changes it saw but did not apply): an informer's cache, final reports pruned after `keepEnded`.
        var latest: [String: AppReport] = [:]
        var health: [String: WatchHealth] = [:]
        var stopped = false
    }

    /// Watches `targets` once `start` is called, each request asking the server to keep the stream open `watchSeconds`.
    public init(targets: [any SparkApplicationWatching], watchSeconds: Int = 300, now: @escaping @Sendable () -> Int64) {
        self.targets = targets
        self.watchSeconds = watchSeconds
        self.now = now
        state = Mutex(State(health: Dictionary(uniqueKeysWithValues: targets.map { ($0.cluster, WatchHealth(cluster: $0.cluster)) })))
        wake = DispatchSemaphore(value: 0)
    }

    /// Starts one supervised watch thread per cluster, each from the position given (nil: list first).
    public func start(from positions: [String: String]) {
        for target in targets {
            let start = positions[target.cluster]
            let thread = Thread { [self] in supervise(target, from: start) }
            thread.name = "watch \(target.cluster)"
            thread.start()
        }
    }

    /// Stops every watch at its next change or within its request's timeout.
    public func stop() {
        state.withLock { $0.stopped = true }
        wake.signal()
    }

    /// Takes what arrived since the last call.
    public func drain() -> ClusterReports {
        state.withLock { state in
            defer { state.pending = ClusterReports() }
            return state.pending
        }
    }

    /// Puts back what a failed pass drained (before anything that arrived since), so no report is lost.
    public func requeue(_ drained: ClusterReports) {
        guard !drained.isEmpty else { return }
        state.withLock { state in
            state.pending.reports = drained.reports + state.pending.reports
            state.pending.positions = drained.positions.merging(state.pending.positions) { _, newer in newer }
        }
    }

    /// Adds reports from elsewhere (the built-in steps' ends) and wakes the daemon.
    public func deliver(_ reports: [AppReport]) {
        state.withLock { $0.pending.reports += reports }
        wake.signal()
    }

    /// Waits until something arrives or `timeout` passes (the daemon's sleep between passes).
    public func wait(upTo timeout: Double) {
        _ = wake.wait(timeout: .now() + timeout)
    }

    /// Each cluster's watch health.
    public var health: [WatchHealth] {
        state.withLock { state in state.health.values.sorted { $0.cluster < $1.cluster } }
    }

    private var stopped: Bool { state.withLock { $0.stopped } }

    /// The supervisor: runs the watch until stopped, restarting it after any failure.
    private func supervise(_ target: any SparkApplicationWatching, from start: String?) {
        var position = start
        var backoff = 1.0
        while !stopped {
            do {
                if position == nil {
                    let list = try target.listSparkApplications(labelSelector: Self.labelSelector)
                    let time = now()
                    record(target.cluster, list.items.compactMap { Self.report($0, deleted: false, now: time) },
                           position: list.resourceVersion, relisted: true)
                    position = list.resourceVersion
                }
                position = try target.watchSparkApplications(labelSelector: Self.labelSelector, from: position ?? "",
                                                             timeoutSeconds: watchSeconds) { change in
                    let time = now()
                    switch change {
                    case .upsert(let status):
                        record(target.cluster, Self.report(status, deleted: false, now: time).map { [$0] } ?? [], position: change.resourceVersion)
                    case .deleted(let status):
                        record(target.cluster, Self.report(status, deleted: true, now: time).map { [$0] } ?? [], position: change.resourceVersion)
                    case .bookmark:
                        record(target.cluster, [], position: change.resourceVersion)
                    }
                    return !stopped
                }
                backoff = 1
                restarted(target.cluster, error: nil)
            } catch let error as ClusterError where error.isExpired {
                position = nil
                restarted(target.cluster, error: nil)
            } catch {
                restarted(target.cluster, error: "\(error)")
                sleep(seconds: backoff)
                backoff = min(backoff * 2, 30)
            }
        }
    }

    private func sleep(seconds: Double) {
        var left = seconds
        while left > 0, !stopped {
            Thread.sleep(forTimeInterval: min(left, 0.2))
            left -= 0.2
        }
    }

    /// The latest word on each of `apps`: from the cache, or else from a fresh list of its cluster (this
    /// replica's watch may have started after the change); an application no list shows is reported gone.
    public func latest(_ apps: [AppLocation]) -> [AppReport] {
        var found: [AppReport] = []
        var missing: [String: [String]] = [:]
        state.withLock { state in
            for app in apps {
                if let report = state.latest[app.appID] { found.append(report) } else { missing[app.cluster, default: []].append(app.appID) }
            }
        }
        for target in targets {
            guard let ids = missing[target.cluster],
                  let list = try? target.listSparkApplications(labelSelector: Self.labelSelector) else { continue }
            let time = now()
            let listed = list.items.compactMap { Self.report($0, deleted: false, now: time) }
            let present = Set(list.items.map { $0.labels["yunikorn.apache.org/app-id"] ?? $0.name })
            state.withLock { state in
                for report in listed { state.latest[report.appID] = report }
                for id in ids {
                    if let report = state.latest[id] {
                        found.append(report)
                    } else if !present.contains(id) {
                        found.append(AppReport(appID: id, phase: .deleted, at: time, reason: "not on the cluster when this replica took its run over"))
                    }
                }
            }
        }
        return found
    }

    public func replay(_ appIDs: [String]) {
        let known = state.withLock { state -> Int in
            let reports = appIDs.compactMap { state.latest[$0] }
            state.pending.reports += reports
            return reports.count
        }
        if known > 0 { wake.signal() }
    }

    private func record(_ cluster: String, _ reports: [AppReport], position: String, relisted: Bool = false) {
        state.withLock { state in
            state.pending.reports += reports
            for report in reports { state.latest[report.appID] = report }
            if state.latest.count > cacheLimit {
                let cutoff = now() - keepEnded
                state.latest = state.latest.filter { $0.value.phase == .running || $0.value.phase == .pending || $0.value.at >= cutoff }
            }
            state.pending.positions[cluster] = position
            state.health[cluster]?.changes += reports.count
            state.health[cluster]?.lastHeard = now()
            state.health[cluster]?.lastError = nil
            if relisted { state.health[cluster]?.relists += 1 }
        }
        if !reports.isEmpty { wake.signal() }
    }

    private func restarted(_ cluster: String, error: String?) {
        state.withLock { state in
            state.health[cluster]?.restarts += 1
            if let error { state.health[cluster]?.lastError = error }
        }
    }

    /// A SparkApplication's state as a report about the app the router named after its app id.
    static func report(_ status: SparkApplicationStatus, deleted: Bool, now: Int64) -> AppReport? {
        let appID = status.labels["yunikorn.apache.org/app-id"] ?? status.name
        if deleted {
            // An application deleted after it ended changes nothing; one deleted while running failed.
            switch status.phase {
            case .succeeded: return AppReport(appID: appID, phase: .succeeded, at: status.terminatedAt ?? now)
            case .failed: return AppReport(appID: appID, phase: .failed, at: status.terminatedAt ?? now, reason: status.errorMessage)
            case .pending, .running: return AppReport(appID: appID, phase: .deleted, at: now, reason: "deleted from the cluster before it ended")
            }
        }
        switch status.phase {
        case .pending: return nil
        case .running: return AppReport(appID: appID, phase: .running, at: now)  // seen running now: the operator has no start time of its own
        case .succeeded: return AppReport(appID: appID, phase: .succeeded, at: status.terminatedAt ?? now)
        case .failed:
            return AppReport(appID: appID, phase: .failed, at: status.terminatedAt ?? now,
                             reason: status.errorMessage ?? "the cluster reported \(status.state)")
        }
    }
}

/// Deletes timed-out applications through the clusters' Kubernetes APIs.
public struct ClusterCanceller: AppCanceller {
    private let targets: [String: any SparkApplicationWatching]

    public init(targets: [any SparkApplicationWatching]) {
        self.targets = Dictionary(targets.map { ($0.cluster, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func cancel(cluster: String, namespace: String?, appID: String) throws {
        guard let target = targets[cluster] else { return }  // a dry-run cluster runs nothing to stop
        // The router names each application after its app id, in the namespace its decision gave (none recorded:
        // the cluster's spark_namespace, where the router puts it by default).
        _ = try target.deleteSparkApplication(namespace: namespace, name: appID)
    }
}
