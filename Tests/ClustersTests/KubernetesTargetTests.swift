import Allocation
@testable import Clusters
import Foundation
import HTTPFetch
import Testing

/// The Kubernetes target against the fake API server: real paths, `Status` errors, TLS, resourceVersion conflicts.
@Suite("Kubernetes target against a fake API server")
struct KubernetesTargetTests {
    static func manifest(_ name: String, namespace: String? = nil) -> [UInt8] {
        var metadata: [String: Any] = ["name": name]
        if let namespace { metadata["namespace"] = namespace }
        let object: [String: Any] = [
            "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication", "metadata": metadata,
            "spec": ["type": "Scala", "mode": "cluster", "batchScheduler": "yunikorn",
                     "batchSchedulerOptions": ["queue": "root.data-eng.compaction.tier1"]],
        ]
        return Array(try! JSONSerialization.data(withJSONObject: object))
    }

    static let queues = "partitions:\n  - name: default\n    queues:\n      - name: root\n"

    @Test func createsSparkApplicationsAndReadsTheirState() throws {
        let fake = try FakeKubeAPIServer()
        defer { fake.stop() }
        let target = KubernetesTarget(cluster: "moka-a", endpoint: try fake.endpoint())
        let created = try target.createSparkApplication(namespace: nil, manifestJSON: Self.manifest("etl-1"))
        #expect(created.name == "etl-1")
        #expect(created.namespace == "spark")
        #expect(!created.uid.isEmpty)

        let fresh = try target.sparkApplicationStatus(namespace: nil, name: "etl-1")
        #expect(fresh.state == SparkApplicationStatus.unknownState)
        #expect(fresh.uid == created.uid)
        try fake.hook("set-status", ["namespace": "spark", "name": "etl-1", "state": "RUNNING"])
        let running = try target.sparkApplicationStatus(namespace: "spark", name: "etl-1")
        #expect(running.state == "RUNNING")
        #expect(running.sparkApplicationID?.hasPrefix("spark-") == true)
        #expect(running.resourceVersion != fresh.resourceVersion)

        let paths = try fake.state().requests.map { "\($0.method) \($0.path)" }
        #expect(paths.first == "POST /apis/sparkoperator.k8s.io/v1beta2/namespaces/spark/sparkapplications")
        #expect(paths.contains("GET /apis/sparkoperator.k8s.io/v1beta2/namespaces/spark/sparkapplications/etl-1"))

        let missing = #expect(throws: ClusterError.self) {
            try target.sparkApplicationStatus(namespace: nil, name: "nope")
        }
        #expect(missing?.isNotFound == true)
        #expect(missing?.reason == "NotFound")
    }

    /// The readiness probe the router routes by: /readyz's 200, its 500 with the failing check, and no answer.
    @Test func readinessIsReadFromReadyz() throws {
        let fake = try FakeKubeAPIServer()
        defer { fake.stop() }
        let target = KubernetesTarget(cluster: "moka-a", endpoint: try fake.endpoint())
        try target.checkReady()
        try fake.hook("set-ready", ["ready": false])
        let notReady = #expect(throws: ClusterError.self) { try target.checkReady() }
        #expect(notReady?.kind == .api)
        #expect(notReady?.status == 500)
        #expect(notReady?.message.contains("etcd failed") == true)
        try fake.hook("set-ready", ["ready": true])
        try target.checkReady()

        var unreachable = try fake.endpoint()
        unreachable.server = "https://127.0.0.1:9"  // discard port: nothing listens
        let gone = #expect(throws: ClusterError.self) {
            try KubernetesTarget(cluster: "moka-a", endpoint: unreachable, timeout: .seconds(5)).checkReady()
        }
        #expect(gone?.kind == .transport)
        #expect(gone?.hint?.contains("server:") == true)
    }

    @Test func refusesADuplicateNameWithAlreadyExists() throws {
        let fake = try FakeKubeAPIServer()
        defer { fake.stop() }
        let target = KubernetesTarget(cluster: "moka-a", endpoint: try fake.endpoint())
        _ = try target.createSparkApplication(namespace: "jobs", manifestJSON: Self.manifest("etl-1"))
        let error = #expect(throws: ClusterError.self) {
            try target.createSparkApplication(namespace: "jobs", manifestJSON: Self.manifest("etl-1"))
        }
        #expect(error?.kind == .api)
        #expect(error?.status == 409)
        #expect(error?.reason == "AlreadyExists")
        #expect(error?.description.contains("\"etl-1\" already exists") == true)
        #expect(error?.hint?.contains("generateName") == true)

        // A manifest naming another namespace than the request: the API server's 400 comes through.
        let mismatch = #expect(throws: ClusterError.self) {
            try target.createSparkApplication(namespace: "jobs", manifestJSON: Self.manifest("etl-2", namespace: "other"))
        }
        #expect(mismatch?.status == 400)
        #expect(mismatch?.message.contains("does not match the namespace") == true)
        // Not a manifest at all: refused before sending.
        let garbage = #expect(throws: ClusterError.self) {
            try target.createSparkApplication(namespace: nil, manifestJSON: Array("[1]".utf8))
        }
        #expect(garbage?.kind == .invalidRequest)
    }

    @Test func aWrongTokenIsA401NamingTheCredentials() throws {
        let fake = try FakeKubeAPIServer()
        defer { fake.stop() }
        let target = KubernetesTarget(cluster: "moka-a", endpoint: try fake.endpoint(token: "stolen"))
        let error = #expect(throws: ClusterError.self) { try target.queueConfig() }
        #expect(error?.status == 401)
        #expect(error?.reason == "Unauthorized")
        #expect(error?.description.contains("HTTP 401 Unauthorized") == true)
        #expect(error?.description.contains("token_file") == true)
        #expect(error?.description.contains("stolen") == false)

        var endpoint = try fake.endpoint()
        endpoint.tokenFile = fake.folder.appendingPathComponent("absent.token").path
        let missing = #expect(throws: ClusterError.self) {
            try KubernetesTarget(cluster: "moka-a", endpoint: endpoint).queueConfig()
        }
        #expect(missing?.kind == .configuration)
        #expect(missing?.message.contains("token_file \(endpoint.tokenFile!) does not exist") == true)
        #expect(missing?.hint?.contains("clusters.yaml:4") == true)
    }

    @Test func speaksTLSWithTheClusterCABundle() throws {
        let fake = try FakeKubeAPIServer(tls: true)
        defer { fake.stop() }
        #expect(try KubernetesTarget(cluster: "moka-a", endpoint: try fake.endpoint()).queueConfig() == nil)

        // Without the CA the server's certificate is not trusted: no request is made.
        let untrusted = #expect(throws: ClusterError.self) {
            try KubernetesTarget(cluster: "moka-a", endpoint: try fake.endpoint(ca: false)).queueConfig()
        }
        #expect(untrusted?.kind == .transport)
        #expect(untrusted?.hint?.contains("ca_file") == true)
    }

    @Test func authenticatesWithAClientCertificate() throws {
        let fake = try FakeKubeAPIServer(token: nil, tls: true, requireClientCertificate: true)
        defer { fake.stop() }
        let withCertificate = KubernetesTarget(cluster: "moka-a", endpoint: try fake.endpoint(clientCertificate: true))
        _ = try withCertificate.applyQueueConfig(Self.queues, replacing: nil)
        #expect(try withCertificate.queueConfig()?.queuesYAML == Self.queues)

        let without = #expect(throws: ClusterError.self) {
            try KubernetesTarget(cluster: "moka-a", endpoint: try fake.endpoint()).queueConfig()
        }
        #expect(without?.kind == .transport)
        #expect(without?.hint?.contains("client_cert_file") == true, "\(String(describing: without))")
    }

    @Test func createsTheConfigMapWhenAbsentThenUpdatesWithItsResourceVersion() throws {
        let fake = try FakeKubeAPIServer()
        defer { fake.stop() }
        let target = KubernetesTarget(cluster: "moka-a", endpoint: try fake.endpoint())
        #expect(try target.queueConfig() == nil)
        let first = try target.applyQueueConfig(Self.queues, replacing: nil)
        let live = try #require(try target.queueConfig())
        #expect(live.queuesYAML == Self.queues)
        #expect(live.resourceVersion == first)

        // Someone else's key in the same map survives our write.
        try fake.hook("bump-configmap", ["namespace": "yunikorn", "name": "yunikorn-configs", "data": ["log.level": "DEBUG"]])
        let bumped = try #require(try target.queueConfig())
        let updated = Self.queues + "        queues:\n          - name: a\n"
        let second = try target.applyQueueConfig(updated, replacing: bumped)
        #expect(second != bumped.resourceVersion)
        #expect(try fake.configMapData() == ["queues.yaml": updated, "log.level": "DEBUG"])

        // Writing over a state that is no longer current is a conflict, not an overwrite.
        let stale = #expect(throws: ClusterError.self) { try target.applyQueueConfig(Self.queues, replacing: bumped) }
        #expect(stale?.isConflict == true)
        #expect(stale?.reason == "Conflict")
        #expect(stale?.message.contains("the object has been modified") == true)
        #expect(try fake.configMapData()?["queues.yaml"] == updated)

        let state = try fake.state()
        #expect(state.unconditionalPuts == 0)
        let puts = state.requests.filter { $0.method == "PUT" }
        #expect(puts.count == 2)
        #expect(puts.allSatisfy { $0.resourceVersion != nil })
        #expect(state.requests.first { $0.method == "POST" }?.path == "/api/v1/namespaces/yunikorn/configmaps")
    }

    @Test func aLargeConfigurationGoesGzippedIntoBinaryData() throws {
        let fake = try FakeKubeAPIServer()
        defer { fake.stop() }
        let target = KubernetesTarget(cluster: "moka-a", endpoint: try fake.endpoint())
        var large = "partitions:\n  - name: default\n    queues:\n      - name: root\n        queues:\n"
        for i in 0..<30_000 { large += "          - name: queue-\(i)\n" }
        #expect(large.utf8.count > 512 * 1024)
        _ = try target.applyQueueConfig(large, replacing: nil)
        #expect(try target.queueConfig()?.queuesYAML == large)
        let object = try #require(try fake.state().objects["configmaps/yunikorn/yunikorn-configs"])
        #expect((object["binaryData"] as? [String: String])?["queues.yaml.gz"] != nil)
        #expect((object["data"] as? [String: String])?["queues.yaml"] == nil)
    }

    @Test func aConflictIsRetriedFromAFreshReadAndTheOtherWriterKept() throws {
        let fake = try FakeKubeAPIServer()
        defer { fake.stop() }
        let target = KubernetesTarget(cluster: "moka-a", endpoint: try fake.endpoint())
        _ = try target.applyQueueConfig(Self.queues, replacing: nil)
        let theirs = Self.queues + "        queues:\n          - name: theirs\n"
        try fake.hook("conflict-next-puts", ["count": 1, "data": ["queues.yaml": theirs, "service.schedulingInterval": "2s"]])

        var seen: [String?] = []
        let ours = Self.queues + "        queues:\n          - name: ours\n"
        let write = try target.deployQueueConfig { live in
            seen.append(live?.queuesYAML)
            return ours
        }
        #expect(write.written)
        #expect(write.conflicts.count == 1)
        // The second decision was made on the other writer's state, not on the stale first read.
        #expect(seen == [Self.queues, theirs])
        #expect(write.basis?.queuesYAML == theirs)
        #expect(try fake.configMapData() == ["queues.yaml": ours, "service.schedulingInterval": "2s"])
        #expect(try fake.state().unconditionalPuts == 0)
    }

    @Test func givesUpAfterBoundedRetriesWithoutOverwriting() throws {
        let fake = try FakeKubeAPIServer()
        defer { fake.stop() }
        let target = KubernetesTarget(cluster: "moka-a", endpoint: try fake.endpoint())
        _ = try target.applyQueueConfig(Self.queues, replacing: nil)
        let theirs = Self.queues + "        queues:\n          - name: theirs\n"
        try fake.hook("conflict-next-puts", ["count": 10, "data": ["queues.yaml": theirs]])
        var calls = 0
        let error = #expect(throws: ClusterError.self) {
            try target.deployQueueConfig(maxAttempts: 3) { _ in
                calls += 1
                return Self.queues + "        queues:\n          - name: ours\n"
            }
        }
        #expect(calls == 3)
        #expect(error?.kind == .conflict)
        #expect(error?.description.contains("3 times in a row") == true)
        #expect(error?.description.contains("nothing was overwritten") == true)
        #expect(try fake.configMapData()?["queues.yaml"] == theirs)
        let state = try fake.state()
        #expect(state.conflicts == 3)
        #expect(state.unconditionalPuts == 0)
    }

    /// The server calls the target from many threads at once.
    @Test func concurrentCallersEachGetTheirAnswer() throws {
        let fake = try FakeKubeAPIServer()
        defer { fake.stop() }
        let target = KubernetesTarget(cluster: "moka-a", endpoint: try fake.endpoint())
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            let outcome = Result { try target.createSparkApplication(namespace: nil, manifestJSON: Self.manifest("app-\(i)")) }
            results.append(i, outcome.map(\.name))
        }
        let names = results.sorted().compactMap { try? $0.get() }
        #expect(names == (0..<16).map { "app-\($0)" })
    }

    /// The generalised HTTPFetch request: any method, headers, body; response headers; no header injection.
    @Test func httpFetchSendsMethodsHeadersAndBodies() throws {
        let fake = try FakeKubeAPIServer(token: nil)
        defer { fake.stop() }
        let fetcher = try HTTPFetcher()
        for method in [FetchRequest.Method.post, .put, .patch, .delete] {
            let response = try fetcher.perform(FetchRequest(
                method: method, url: "\(fake.server)/_test/echo", headers: ["Content-Type: application/json", "X-Probe: 1"],
                body: Array("{\"m\":\"\(method.rawValue)\"}".utf8), bearerToken: "abc"))
            let echo = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            let headers = echo?["headers"] as? [String: String] ?? [:]
            #expect(echo?["method"] as? String == method.rawValue)
            #expect(echo?["body"] as? String == "{\"m\":\"\(method.rawValue)\"}")
            #expect(headers["X-Probe"] == "1")
            #expect(headers["Authorization"] == "Bearer abc")
            #expect(headers["Content-Type"] == "application/json")
            #expect(response.header("content-type") == "application/json")
            #expect(response.header("Audit-Id")?.isEmpty == false)
        }
        let injected = #expect(throws: HTTPFetchError.self) {
            try fetcher.perform(FetchRequest(url: "\(fake.server)/_test/echo", bearerToken: "abc\r\nX-Evil: 1"))
        }
        #expect(injected?.message.contains("line break") == true)
    }
}

/// Results gathered from concurrent workers.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(Int, Result<String, any Error>)] = []

    func append(_ index: Int, _ result: Result<String, any Error>) {
        lock.lock()
        items.append((index, result))
        lock.unlock()
    }

    func sorted() -> [Result<String, any Error>] {
        lock.lock()
        defer { lock.unlock() }
        return items.sorted { $0.0 < $1.0 }.map(\.1)
    }
}
