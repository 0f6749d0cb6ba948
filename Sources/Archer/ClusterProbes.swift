import Clusters
import Logging
import ServiceLifecycle
import Synchronization

/// Each probed cluster's health, as the probes last left it. Read when a routing snapshot is built: an
/// unhealthy cluster is routed around (rules fall back, onboarding goes elsewhere) exactly as a cordoned one.
final class HealthBook: Sendable {
    private let health = Mutex<[String: ClusterHealth]>([:])

    var current: [String: ClusterHealth] { health.withLock { $0 } }

    /// Records a probe's outcome; returns the cluster's health and whether it changed.
    func record(_ cluster: String, error: String?, at time: Int64) -> (health: ClusterHealth, changed: Bool) {
        health.withLock { book in
            var entry = book[cluster] ?? ClusterHealth()
            let changed = entry.record(error: error, at: time)
            book[cluster] = entry
            return (entry, changed)
        }
    }
}

/// Probes every cluster's readiness every `probeInterval` (the probes of one round run side by side, on the
/// queue for blocking cluster calls, so a cluster that does not answer delays nobody else's), and reloads the
/// routing snapshot at once when a cluster goes down or comes back.
struct ClusterProbeService: Service {
    let archer: Archer

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await probeAll()
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: archer.options.probeInterval) }
            } catch {
                return
            }
        }
    }

    /// One round: every probe target once. Returns the clusters whose health changed.
    @discardableResult
    func probeAll() async -> [String] {
        let changed = await withTaskGroup(of: String?.self) { group in
            for (cluster, target) in archer.options.probeTargets {
                group.addTask {
                    let failure: String?
                    do {
                        try await archer.onCluster { try target.checkReady() }
                        failure = nil
                    } catch {
                        failure = "\(error)"
                    }
                    let (health, changed) = archer.health.record(cluster, error: failure, at: archer.now())
                    archer.metrics.cluster(cluster, healthy: health.healthy)
                    guard changed else { return nil }
                    if health.healthy {
                        archer.logger.notice("cluster is ready again; routing to it", metadata: ["cluster": .string(cluster)])
                    } else {
                        archer.logger.error("cluster failed its readiness probes; routing around it",
                                            metadata: ["cluster": .string(cluster), "error": .string(health.lastError ?? "")])
                    }
                    return cluster
                }
            }
            var changed: [String] = []
            for await cluster in group { if let cluster { changed.append(cluster) } }
            return changed
        }
        if !changed.isEmpty { await archer.refresh() }
        return changed
    }
}
