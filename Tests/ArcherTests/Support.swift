import Platform
import Allocation
import Archer
import Clusters
import Foundation
import HTTPFetch
import InsightStore
import Logging
import NIOCore
import Routing
import Store
import Testing
import TestSupport

/// A router on a free loopback port with two dry-run clusters, three principals and a seeded store:
/// projects ledger (payments-core) and ranking (search-relevance), routes for ledger tier 1 and ranking tier 2.
final class TestRouter: @unchecked Sendable {
    static let alice = "alice-token", bob = "bob-token", root = "root-token"

    let folder: URL
    let location: StoreLocation
    let targets: [String: DryRunTarget]
    let archer: Archer
    let port: Int
    private let task: Task<Void, any Error>

    var base: String { "http://127.0.0.1:\(port)" }

    /// - Parameters:
    ///   - clusterTargets: targets used instead of the dry runs, by cluster (a fake Kubernetes API server).
    ///   - seed: writes to the store before the router starts (rows a crashed router left).
    init(_ backend: Backend, maxBody: Int = 64 << 10, queuesYAML: [String: String] = [:],
         probeTargets: [String: any ClusterTarget] = [:], clusterTargets: [String: any ClusterTarget] = [:],
         seed: (InsightStore) throws -> Void = { _ in }, configure: (inout ArcherOptions) -> Void = { _ in },
         now: @escaping @Sendable () -> Int64 = Archer.wallClock) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-archer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        location = try backend.freshLocation(in: folder)
        do {
            let store = try InsightStore(location)
            for (project, owner) in [("ledger", "payments-core"), ("ranking", "search-relevance"), ("newproj", "payments-core")] {
                try store.connection.prepareStatement("INSERT INTO map_projects (project, owner) VALUES (?, ?)").run([.text(project), .text(owner)])
            }
            for (owner, org) in [("payments-core", "payments"), ("search-relevance", "search")] {
                try store.connection.prepareStatement("INSERT INTO map_owners (owner, org) VALUES (?, ?)").run([.text(owner), .text(org)])
            }
            try store.replaceRouting([
                RoutingEntry(project: "ledger", tier: 1, org: "payments", cluster: "moka-a", queue: "root.payments.ledger.tier1"),
                RoutingEntry(project: "ranking", tier: 2, org: "search", cluster: "moka-b", queue: "root.search.ranking.tier2"),
            ], plannedAt: 1)
            try seed(store)
        }
        for (cluster, text) in queuesYAML {
            let directory = folder.appendingPathComponent("Queues").appendingPathComponent(cluster)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: directory.appendingPathComponent("queues.yaml"))
        }
        let clusters = try ClusterRegistry.parse("""
            clusters:
              - name: moka-a
                capacity: {vcore: 4000, memory: 16Ti}
              - name: moka-b
                capacity: {vcore: 2000, memory: 8Ti}
            """, file: "clusters.yaml")
        var targets: [String: DryRunTarget] = [:]
        for cluster in clusters { targets[cluster.name] = try DryRunTarget(cluster: cluster.name, journal: nil) }
        self.targets = targets
        let tokens = try TokenBook.parse("""
            principals:
              - name: alice
                teams: [payments-core]
                roles: [submitter]
                token_sha256: \(TokenBook.hash(Self.alice))
              - name: bob
                teams: [search-relevance]
                roles: [submitter]
                token_sha256: \(TokenBook.hash(Self.bob))
              - name: root
                teams: []
                roles: [admin]
                token_sha256: \(TokenBook.hash(Self.root))
            """, file: "tokens.yaml")
        var options = ArcherOptions(host: "127.0.0.1", port: 0, maxBodyBytes: maxBody, refreshInterval: .seconds(3600),
                                    clusters: clusters, queuesDirectory: folder.appendingPathComponent("Queues"),
                                    policy: try AllocationPolicy.parse("window_days: 14\n", file: "policy.yaml"),
                                    tokens: tokens, targets: targets.mapValues { $0 as any ClusterTarget }.merging(clusterTargets) { $1 })
        options.probeTargets = probeTargets
        options.probeInterval = .seconds(3600)  // tests run probe rounds themselves, after the one at start-up
        configure(&options)
        var logger = Logger(label: "test.archer")
        logger.logLevel = .critical
        let archer = try await Archer(options: options, store: location, logger: logger, now: now)
        self.archer = archer
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        task = Task {
            // Finished on every path: a server that fails to start must not leave the test waiting for a port.
            defer { continuation.finish() }
            try await archer.application { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }.run()
        }
        var iterator = stream.makeAsyncIterator()
        port = await iterator.next() ?? 0
        if port == 0 {
            let failure = await task.result
            archer.shutdown()
            throw StoreError("the test router did not start: \(failure)")
        }
    }

    func stop() async {
        task.cancel()
        _ = await task.result
        archer.shutdown()
    }

    /// One request over real HTTP (libcurl).
    func call(_ method: FetchRequest.Method, _ path: String, token: String? = TestRouter.alice, body: String = "",
              contentType: String = "application/json", headers: [String] = []) async throws -> (status: Int, json: [String: Any], text: String) {
        let request = FetchRequest(method: method, url: base + path, headers: ["Content-Type: \(contentType)"] + headers,
                                  body: Array(body.utf8), bearerToken: token)
        let response = try await Self.perform(request)
        let text = String(decoding: response.body, as: UTF8.self)
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (response.status, json, text)
    }

    /// Sends a request on a thread of its own: libcurl blocks, and a blocked test must not hold one of the
    /// few cooperative threads the in-process server's handlers need.
    static func perform(_ request: FetchRequest) async throws -> FetchResponse {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try HTTPFetcher(timeout: .seconds(30)).perform(request) })
            }
        }
    }

    /// A store of its own for checks (the router's store thread owns the other connection).
    func store() throws -> InsightStore { try InsightStore(location) }
}

/// Runs `body` against a router started as `TestRouter(...)` starts one, and stops it, awaited, before
/// returning, on every path (a thrown error or a failed `#require` included). A router stopped from a detached
/// task instead outlives its test: its port, store connections and threads stay busy while later tests run.
func withRouter<Result>(_ backend: Backend, maxBody: Int = 64 << 10, queuesYAML: [String: String] = [:],
                        probeTargets: [String: any ClusterTarget] = [:], clusterTargets: [String: any ClusterTarget] = [:],
                        seed: (InsightStore) throws -> Void = { _ in }, configure: (inout ArcherOptions) -> Void = { _ in },
                        now: @escaping @Sendable () -> Int64 = Archer.wallClock,
                        _ body: (TestRouter) async throws -> Result) async throws -> Result {
    let router = try await TestRouter(backend, maxBody: maxBody, queuesYAML: queuesYAML, probeTargets: probeTargets,
                                      clusterTargets: clusterTargets, seed: seed, configure: configure, now: now)
    let result: Swift.Result<Result, any Error>
    do {
        result = .success(try await body(router))
    } catch {
        result = .failure(error)
    }
    await router.stop()
    // The router's folder (its SQLite store, tokens, Queues/) goes with it: a test run leaves nothing in /tmp.
    try? FileManager.default.removeItem(at: router.folder)
    return try result.get()
}

/// Manifests for the tests.
enum Manifests {
    static func crdJSON(project: String = "ledger", tier: String = "1", workflow: String = "ledger-features",
                        name: String = "ledger-features-reconcile") -> String {
        """
        {"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"SparkApplication",
         "metadata":{"name":"\(name)","labels":{"bursar.dev/workflow":"\(workflow)","bursar.dev/project":"\(project)",
           "bursar.dev/tier":"\(tier)","bursar.dev/job":"reconcile","bursar.dev/run-id":"\(workflow)-20261122T0245",
           "bursar.dev/scheduled-at":"20261122T024500Z"}},
         "spec":{"type":"Scala","mode":"cluster","image":"spark:3.5.3","mainApplicationFile":"local:///opt/jobs/reconcile.jar",
           "sparkVersion":"3.5.3","driver":{"cores":1,"memory":"2g"},"executor":{"instances":2,"cores":2,"memory":"4g"}}}
        """
    }

    static let crdYAML = """
        apiVersion: sparkoperator.k8s.io/v1beta2
        kind: SparkApplication
        metadata:
          name: ranking-train
          labels:
            bursar.dev/project: ranking
            bursar.dev/tier: "2"
            bursar.dev/workflow: ranking-train
        spec:
          type: Python
          mode: cluster
          image: spark:3.5.3
          mainApplicationFile: local:///opt/jobs/train.py
          sparkVersion: 3.5.3
          driver: {cores: 1, memory: 2g}
          executor: {instances: 2, cores: 1, memory: 2g}
        """
}
