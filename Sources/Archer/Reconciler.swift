import Foundation
import Logging
import ServiceLifecycle
import InsightStore
import Clusters

/// Settles the submissions left `recorded` or `unknown`: a crash between recording and the cluster's answer,
/// a store outage while writing the answer, a timeout while creating. Each is asked of its cluster:
///
/// | state now | on the cluster | becomes |
/// |---|---|---|
/// | recorded, unknown | found | `submitted` |
/// | recorded, unknown | absent, fewer than `maxAttempts` sends, submitted under `maxAge` ago | sent again under the same app id: `submitted` (AlreadyExists counts), `unknown` again on a timeout, `failed` on a refusal |
/// | recorded, unknown | absent, otherwise | `failed` (a run that late would surprise its workflow) |
/// | recorded, unknown | cannot be asked | unchanged, asked again next pass |
///
/// It runs once at start for every row last changed before the router started (nothing of this process is in
/// flight then), and every `interval` for rows unchanged for `grace`, longer than a create may take, so a
/// submission still being sent is never sent a second time beside it.
struct SubmissionReconciler: Service {
    let archer: Archer
    /// When this router started: rows last changed before then belong to no request in flight.
    let startedAt: Int64

    init(archer: Archer) {
        self.archer = archer
        startedAt = archer.now()
    }

    /// How often the unsettled rows are looked at after the start.
    static let interval: Duration = .seconds(30)
    /// How long a row must have been unchanged before a periodic pass touches it (ms): above the Kubernetes
    /// target's 30 s request timeout, with room.
    static let grace: Int64 = 120_000
    /// How many times an absent submission is sent again before it is marked failed.
    static let maxAttempts = 5
    /// How old (since it was submitted, ms) an absent submission may be and still be sent.
    static let maxAge: Int64 = 15 * 60_000

    func run() async throws {
        await archer.reconcile(updatedBefore: startedAt)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
            } catch {
                return
            }
            await archer.reconcile(updatedBefore: archer.now() - Self.grace)
        }
    }
}

/// What one reconciliation pass did, by resulting state.
struct ReconcileCounts: Sendable, Equatable {
    var found = 0, sent = 0, failed = 0, unknown = 0, unreachable = 0

    /// The outcome labels of `bursar_submissions_reconciled_total`.
    static let outcomes = ["found", "sent", "failed", "unknown", "unreachable"]
    var byOutcome: [(String, Int)] {
        [("found", found), ("sent", sent), ("failed", failed), ("unknown", unknown), ("unreachable", unreachable)]
    }
}

extension Archer {
    /// Settles every unsettled row last changed at or before `updatedBefore`, in batches.
    @discardableResult
    func reconcile(updatedBefore: Int64, batch: Int = 256) async -> ReconcileCounts {
        var counts = ReconcileCounts()
        var seen = Set<String>()
        while !Task.isCancelled {
            let rows: [SubmissionRecord]
            do {
                rows = try await storeThread.run { try $0.unsettledSubmissions(updatedBefore: updatedBefore, limit: batch) }
            } catch {
                logger.warning("reconciliation could not read the store; retrying next pass", metadata: ["error": .string("\(error)")])
                break
            }
            // Every row handled gets a new updated_at and leaves the set; one that could not be written would
            // come back, and is left for the next pass.
            let fresh = rows.filter { seen.insert($0.appID).inserted }
            if fresh.isEmpty { break }
            for row in fresh {
                let change = await settle(row, counts: &counts)
                do {
                    try await storeThread.record(change)
                } catch {
                    logger.warning("reconciled state not recorded", metadata: ["app_id": .string(row.appID), "error": .string("\(error)")])
                }
            }
        }
        metrics.reconciled(counts)
        if counts != ReconcileCounts() {
            logger.info("reconciled submissions", metadata: [
                "found": .stringConvertible(counts.found), "sent": .stringConvertible(counts.sent),
                "failed": .stringConvertible(counts.failed), "unknown": .stringConvertible(counts.unknown),
                "unreachable": .stringConvertible(counts.unreachable),
            ])
        }
        return counts
    }

    /// What the cluster says about one unsettled row, as its next state.
    private func settle(_ row: SubmissionRecord, counts: inout ReconcileCounts) async -> SubmissionStateChange {
        let now = self.now()
        guard let target = options.targets[row.cluster] else {
            counts.failed += 1
            return SubmissionStateChange(appID: row.appID, state: "failed", at: now,
                                         detail: "cluster \(row.cluster) is not in clusters.yaml, so the reconciler cannot ask it")
        }
        func call<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
            target.waitsOnNetwork ? try await onCluster(body) : try body()
        }
        do {
            let status = try await call { try target.sparkApplicationStatus(namespace: row.namespace, name: row.appID) }
            counts.found += 1
            return SubmissionStateChange(appID: row.appID, state: "submitted", at: now,
                                         detail: "uid \(status.uid) (found on the cluster by the reconciler)")
        } catch let error as ClusterError where error.isNotFound {
            // Absent: never created, or created and deleted since (then sending it again is what a retry would do).
        } catch {
            counts.unreachable += 1
            return SubmissionStateChange(appID: row.appID, state: row.state, at: now,
                                         detail: "the reconciler could not ask the cluster (\(error)); it asks again next pass")
        }
        if row.attempts >= SubmissionReconciler.maxAttempts || now - row.submittedAt > SubmissionReconciler.maxAge {
            counts.failed += 1
            return SubmissionStateChange(
                appID: row.appID, state: "failed", at: now,
                detail: "not on the cluster after \(row.attempts) sends by the reconciler, \((now - row.submittedAt) / 1000) s after it was submitted; not sent again: submit it again if it should still run")
        }
        let manifest = Array(row.manifest.utf8)
        do {
            let created = try await call { try target.createSparkApplication(namespace: row.namespace, manifestJSON: manifest) }
            counts.sent += 1
            return SubmissionStateChange(appID: row.appID, state: "submitted", at: now, countsAttempt: true,
                                         detail: "uid \(created.uid) (sent again by the reconciler)")
        } catch let error as ClusterError where error.isAlreadyExists {
            counts.found += 1
            return SubmissionStateChange(appID: row.appID, state: "submitted", at: now, countsAttempt: true,
                                         detail: "on the cluster (AlreadyExists when the reconciler sent it again)")
        } catch let error as ClusterError where error.outcomeUnknown || error.kind == .transport {
            counts.unknown += 1
            return SubmissionStateChange(appID: row.appID, state: "unknown", at: now, countsAttempt: true,
                                         detail: "sent again by the reconciler, no answer: \(error)")
        } catch {
            counts.failed += 1
            return SubmissionStateChange(appID: row.appID, state: "failed", at: now, countsAttempt: true, detail: "\(error)")
        }
    }
}

extension SubmissionStateChange {
    init(appID: String, state: String, at: Int64, countsAttempt: Bool = false, detail: String) {
        self.init(appID: appID, state: state, detail: detail, at: at, countsAttempt: countsAttempt)
    }
}
