import Clusters
import Foundation
import Hummingbird
import InsightStore

/// A cluster as `GET /v1/clusters` shows it.
struct ClusterView: Encodable {
    var name: String
    var healthy: Bool
    var cordon: String?
    /// What the readiness probes found (nil when the cluster is not probed).
    var probe: ProbeView?
    var sparkNamespace: String
    var onboardingHeadroomVcore: Double
    var target: String
}

/// A cluster's readiness probes as `GET /v1/clusters` shows them.
struct ProbeView: Encodable {
    var ready: Bool
    var lastProbeAt: Int64?
    var consecutiveFailures: Int
    var lastError: String?
    var changedAt: Int64?

    init(_ health: ClusterHealth) {
        ready = health.healthy
        lastProbeAt = health.lastProbeAt
        consecutiveFailures = health.consecutiveFailures
        lastError = health.lastError
        changedAt = health.changedAt
    }
}

extension Archer {
    /// `GET /v1/clusters`: each cluster with its routing health and onboarding headroom.
    func listClusters(_ context: ArcherContext) async throws -> Response {
        _ = try context.caller()
        let snapshot = state.snapshot
        // Why a cluster is cordoned is only in the store; without it the listing still says which are.
        let cordons = (try? await storeThread.run { try $0.cordons() }) ?? []
        let probes = health.current
        let views = options.clusters.map { cluster in
            let live = snapshot.clusters[cluster.name]
            return ClusterView(name: cluster.name, healthy: live?.healthy ?? false,
                               cordon: cordons.first { $0.cluster == cluster.name }.map { "\($0.reason) (\($0.by))" },
                               probe: options.probeTargets[cluster.name] == nil ? nil
                                   : ProbeView(probes[cluster.name] ?? ClusterHealth()),
                               sparkNamespace: live?.sparkNamespace ?? "", onboardingHeadroomVcore: live?.onboardingHeadroom ?? 0,
                               target: options.targets[cluster.name].map { "\(type(of: $0))" } ?? "none")
        }
        return try JSONBody.response(encoding: ["clusters": views])
    }

    /// `GET /v1/replicas` (any caller): every scheduler and router replica sharing the store, with its last
    /// heartbeat, whether that is within its lease, the workflow leases it holds and the takeovers it made.
    func listReplicas(_ context: ArcherContext) async throws -> Response {
        _ = try context.caller()
        let time = now()
        let replicas = try await storeThread.run { try $0.replicas(now: time) }
        return try JSONBody.response(encoding: ["replicas": replicas.map { ReplicaView($0, now: time) }])
    }

    /// `POST /v1/clusters/{name}/cordon` (admin), body `{"reason": "…"}`: no new work is routed there
    /// (rules fall back, onboarding goes elsewhere) until the cordon is lifted.
    func cordon(_ request: Request, _ context: ArcherContext) async throws -> Response {
        let principal = try context.admin(to: "cordon clusters")
        let name = try knownCluster(context)
        let body = try await readBody(request)
        let reason = (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["reason"] as? String
        guard let reason, !reason.isEmpty else {
            throw APIError.badRequest("invalid_cordon", "say why: send {\"reason\": \"…\"}", field: "reason")
        }
        try await storeCall { try $0.cordon(ClusterCordon(cluster: name, reason: reason, by: principal.name, at: self.now())) }
        logger.notice("cluster cordoned", metadata: ["cluster": .string(name), "reason": .string(reason)])
        await refresh()
        return try JSONBody.response(encoding: ["cluster": name, "cordoned": "true", "reason": reason])
    }

    /// `DELETE /v1/clusters/{name}/cordon` (admin).
    func uncordon(_ context: ArcherContext) async throws -> Response {
        let principal = try context.admin(to: "uncordon clusters")
        let name = try knownCluster(context)
        guard try await storeCall({ try $0.uncordon(cluster: name, by: principal.name, at: self.now()) }) else {
            throw APIError.notFound("cluster \(name) is not cordoned")
        }
        logger.notice("cluster uncordoned", metadata: ["cluster": .string(name)])
        await refresh()
        return Response(status: .noContent)
    }

    /// The `{name}` path parameter, when clusters.yaml has that cluster; 404 otherwise.
    func knownCluster(_ context: ArcherContext) throws -> String {
        let name = try context.parameters.require("name")
        guard options.clusters.contains(where: { $0.name == name }) else {
            throw APIError.notFound("no cluster \(name) in clusters.yaml; known: \(options.clusters.map(\.name).joined(separator: ", "))")
        }
        return name
    }
}

/// One replica as `GET /v1/replicas` shows it.
struct ReplicaView: Encodable {
    var replica: String
    var role: String
    var host: String
    var pid: Int64
    var startedAt: Int64
    var lastHeartbeat: Int64
    var alive: Bool
    var leasesHeld: Int64
    var leaseTakeovers: Int64

    init(_ record: ReplicaRecord, now: Int64) {
        replica = record.replica
        role = record.role
        host = record.host
        pid = record.pid
        startedAt = record.startedAt
        lastHeartbeat = record.heartbeatAt
        alive = record.isAlive(at: now)
        leasesHeld = record.leases
        leaseTakeovers = record.takeovers
    }

    enum CodingKeys: String, CodingKey {
        case replica, role, host, pid, alive
        case startedAt = "started_at", lastHeartbeat = "last_heartbeat", leasesHeld = "leases_held", leaseTakeovers = "lease_takeovers"
    }
}
