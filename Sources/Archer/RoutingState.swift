import Clusters
import Foundation
import Synchronization
import Logging
import Platform
import InsightStore
import Routing

/// The routing snapshot the router decides on, held in memory and refreshed from the store and the
/// `Queues/` files. Decisions never wait for the store: when a refresh fails, routing goes on with the
/// last good snapshot (its age is exported as a metric and on `/healthz`).
final class RoutingState: Sendable {
    private struct Held: Sendable {
        var snapshot: RoutingSnapshot
        var loadedAt: ContinuousClock.Instant
        var lastError: String?
    }

    private let held: Mutex<Held>

    init(_ snapshot: RoutingSnapshot) {
        held = Mutex(Held(snapshot: snapshot, loadedAt: .now, lastError: nil))
    }

    var snapshot: RoutingSnapshot { held.withLock { $0.snapshot } }

    /// Seconds since the snapshot was last loaded successfully, and the last refresh error, if any.
    var health: (age: Double, lastError: String?) {
        held.withLock { held in
            let age = ContinuousClock.now - held.loadedAt
            return (Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18, held.lastError)
        }
    }

    func replace(_ snapshot: RoutingSnapshot) {
        held.withLock { $0 = Held(snapshot: snapshot, loadedAt: .now, lastError: nil) }
    }

    func refreshFailed(_ error: String) {
        held.withLock { $0.lastError = error }
    }
}

/// Everything a snapshot is built from that is not in the store: the cluster registry and each cluster's
/// queue configuration (for onboarding headroom).
struct ClusterFacts: Sendable {
    var clusters: [Cluster]
    /// Free onboarding vcore per cluster.
    var onboardingHeadroom: [String: Double]
    /// What the readiness probes found, for the probed clusters.
    var health: [String: ClusterHealth] = [:]
}

/// What the store holds for a snapshot, read in one go on the store thread.
struct StoredRouting: Sendable {
    var rules: [StoredRule]
    var routes: [RoutingEntry]
    var owners: [ProjectOwner]
    var cordons: [ClusterCordon]

    static func read(_ store: InsightStore) throws -> StoredRouting {
        StoredRouting(rules: try store.routingRules(), routes: try store.routing(), owners: try store.projectOwners(),
                      cordons: try store.cordons())
    }
}

enum SnapshotBuilder {
    static let decoder = JSONDecoder()
    /// Rules are stored as the router's own Codable form (not the API's snake_case), sorted for stable text.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// The snapshot for the stored state and the cluster facts. A stored rule that no longer decodes (written
    /// by another version) is skipped and named in `skipped`, never fatal: routing must go on.
    static func build(_ stored: StoredRouting, _ facts: ClusterFacts, version: Int64) -> (RoutingSnapshot, skipped: [String]) {
        var rules: [RoutingRule] = []
        var skipped: [String] = []
        for rule in stored.rules {
            do {
                rules.append(try decoder.decode(RoutingRule.self, from: Data(rule.body.utf8)))
            } catch {
                skipped.append("rule \(rule.id): \(error)")
            }
        }
        let cordoned = Set(stored.cordons.map(\.cluster))
        var clusters: [String: ClusterState] = [:]
        for cluster in facts.clusters {
            clusters[cluster.name] = ClusterState(
                healthy: !cordoned.contains(cluster.name) && facts.health[cluster.name]?.healthy != false,
                sparkNamespace: cluster.kubernetes?.sparkNamespace ?? "spark",
                onboardingHeadroom: facts.onboardingHeadroom[cluster.name] ?? 0)
        }
        var routes: [RouteKey: RouteTarget] = [:]
        for entry in stored.routes {
            routes[RouteKey(org: entry.org, project: entry.project, tier: entry.tier)] =
                RouteTarget(cluster: entry.cluster, queue: entry.queue)
        }
        var projects: [String: ProjectOwnership] = [:]
        for owner in stored.owners {
            projects[owner.project] = ProjectOwnership(owner: owner.owner, org: owner.org ?? "")
        }
        return (RoutingSnapshot(rules: rules, routes: routes, clusters: clusters, projects: projects, version: version), skipped)
    }
}
