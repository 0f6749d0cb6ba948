@testable import Archer
import Platform
import Clusters
import Foundation
import Synchronization
import Testing

/// A cluster whose readiness the test decides; it takes no work (the dry-run targets do).
final class ScriptedReadiness: ClusterTarget {
    let cluster: String
    var kind: String { "scripted" }
    private let ready = Mutex(true)

    init(cluster: String) { self.cluster = cluster }

    func set(ready value: Bool) { ready.withLock { $0 = value } }

    func checkReady() throws {
        guard ready.withLock({ $0 }) else {
            throw ClusterError(.transport, cluster: cluster, operation: "GET /readyz",
                               message: "no response (curl 7): connection refused")
        }
    }

    func createSparkApplication(namespace: String?, manifestJSON: [UInt8]) throws -> CreatedSparkApplication {
        throw ClusterError(.invalidRequest, cluster: cluster, operation: "create", message: "probe-only target")
    }

    func sparkApplicationStatus(namespace: String?, name: String) throws -> SparkApplicationStatus {
        throw ClusterError(.invalidRequest, cluster: cluster, operation: "status", message: "probe-only target")
    }

    func queueConfig() throws -> LiveQueueConfig? { nil }

    func applyQueueConfig(_ queuesYAML: String, replacing live: LiveQueueConfig?) throws -> String {
        throw ClusterError(.invalidRequest, cluster: cluster, operation: "apply", message: "probe-only target")
    }
}

/// Readiness probes move traffic: a cluster failing three probes in a row is routed around (a rule's
/// fallback takes its work) until it passes two, and the listing and /metrics say so.
@Suite("Cluster readiness probes")
struct ClusterProbeTests {
    @Test func aClusterFailingItsProbesIsRoutedAroundUntilItRecovers() async throws {
        let probe = ScriptedReadiness(cluster: "moka-b")
        try await withRouter(.sqlite, probeTargets: ["moka-b": probe]) { router in
            let rule = """
                {"id":"ccr-ledger","priority":100,"match":{"project":"ledger"},"split":[{"cluster":"moka-b","percent":100}],
                 "fallback":"moka-a"}
                """
            #expect(try await router.call(.put, "/v1/rules/ccr-ledger", token: TestRouter.root, body: rule).status == 201)
            // The round the service runs at start-up, before the test runs its own.
            let deadline = ContinuousClock.now + .seconds(30)
            while router.archer.health.current["moka-b"]?.lastProbeAt == nil && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(router.archer.health.current["moka-b"]?.healthy == true)
            func cluster() async throws -> (cluster: String?, fallback: Bool?) {
                let answer = try await router.call(.post, "/v1/submissions", body: Manifests.crdJSON())
                let decision = answer.json["decision"] as? [String: Any]
                return (decision?["cluster"] as? String, decision?["fallback_used"] as? Bool)
            }
            #expect(try await cluster().cluster == "moka-b")

            probe.set(ready: false)
            let service = ClusterProbeService(archer: router.archer)
            #expect(await service.probeAll().isEmpty)
            #expect(await service.probeAll().isEmpty)
            #expect(try await cluster().cluster == "moka-b", "two failed probes do not move traffic")
            #expect(await service.probeAll() == ["moka-b"])
            let moved = try await cluster()
            #expect(moved.cluster == "moka-a")
            #expect(moved.fallback == true)

            let listing = try await router.call(.get, "/v1/clusters")
            let mokaB = (listing.json["clusters"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "moka-b" }
            #expect(mokaB?["healthy"] as? Bool == false, "\(listing.text)")
            let probeView = mokaB?["probe"] as? [String: Any]
            #expect(probeView?["ready"] as? Bool == false)
            #expect(probeView?["consecutive_failures"] as? Int == 3)
            #expect((probeView?["last_error"] as? String)?.contains("connection refused") == true)
            let mokaA = (listing.json["clusters"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "moka-a" }
            #expect(mokaA?["probe"] == nil, "moka-a is not probed")
            let metrics = try await router.call(.get, "/metrics", token: nil).text
            #expect(metrics.contains("bursar_cluster_ready{cluster=\"moka-b\"} 0"), "\(metrics)")

            probe.set(ready: true)
            #expect(await service.probeAll().isEmpty)
            #expect(try await cluster().cluster == "moka-a", "one passed probe is not enough to trust it again")
            #expect(await service.probeAll() == ["moka-b"])
            #expect(try await cluster().cluster == "moka-b")
            #expect(try await router.call(.get, "/metrics", token: nil).text.contains("bursar_cluster_ready{cluster=\"moka-b\"} 1"))
        }
    }
}
