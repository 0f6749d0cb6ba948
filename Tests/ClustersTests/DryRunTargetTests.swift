import Allocation
@testable import Clusters
import Foundation
import Testing

@Suite("Dry-run target")
struct DryRunTargetTests {
    func journalPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("bursar-dry-\(UUID().uuidString)/moka-a.jsonl").path
    }

    @Test func recordsEveryWriteInMemoryAndInTheJournal() throws {
        let journal = journalPath()
        let target = try DryRunTarget(cluster: "moka-a", journal: journal)
        let app = try target.createSparkApplication(namespace: nil, manifestJSON: KubernetesTargetTests.manifest("etl-1"))
        #expect(app.namespace == "spark")
        #expect(try target.sparkApplicationStatus(namespace: nil, name: "etl-1").state == SparkApplicationStatus.unknownState)
        let duplicate = #expect(throws: ClusterError.self) {
            try target.createSparkApplication(namespace: nil, manifestJSON: KubernetesTargetTests.manifest("etl-1"))
        }
        #expect(duplicate?.reason == "AlreadyExists")

        let created = try target.applyQueueConfig("a: 1\n", replacing: nil)
        let live = try #require(try target.queueConfig())
        #expect(live.resourceVersion == created)
        _ = try target.applyQueueConfig("a: 2\n", replacing: live)
        let stale = #expect(throws: ClusterError.self) { try target.applyQueueConfig("a: 3\n", replacing: live) }
        #expect(stale?.isConflict == true)

        #expect(target.requests.map { "\($0.method) \($0.path)" } == [
            "POST /apis/sparkoperator.k8s.io/v1beta2/namespaces/spark/sparkapplications",
            "POST /api/v1/namespaces/yunikorn/configmaps",
            "PUT /api/v1/namespaces/yunikorn/configmaps/yunikorn-configs",
        ])
        let lines = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        let put = try JSONSerialization.jsonObject(with: Data(lines[2].utf8)) as? [String: Any]
        let body = put?["body"] as? [String: Any]
        #expect(put?["cluster"] as? String == "moka-a")
        #expect((body?["metadata"] as? [String: Any])?["resourceVersion"] as? String == created)
        #expect((body?["data"] as? [String: String])?["queues.yaml"] == "a: 2\n")
    }

    /// deploy → dry run → deploy: the second run reads the first one's journal and has nothing to change.
    @Test func aSecondDryRunSeesTheFirst() throws {
        let journal = journalPath()
        let text = Configs.text(Configs.base)
        let first = try QueueDeployment.deploy(cluster: "moka-a", file: "f", newText: text,
                                               to: try DryRunTarget(cluster: "moka-a", journal: journal),
                                               policy: AllocationPolicy(), force: false)
        #expect(first.outcome == .applied)
        let reopened = try DryRunTarget(cluster: "moka-a", journal: journal)
        #expect(try reopened.queueConfig()?.queuesYAML == text)
        #expect(try reopened.queueConfig()?.resourceVersion == first.resourceVersion)
        let second = try QueueDeployment.deploy(cluster: "moka-a", file: "f", newText: text, to: reopened,
                                                policy: AllocationPolicy(), force: false)
        #expect(second.outcome == .unchanged)
        #expect(second.diff.isEmpty)
        #expect(reopened.requests.isEmpty)
    }

    @Test func aCorruptJournalIsNamedWithItsLine() throws {
        let journal = journalPath()
        try FileManager.default.createDirectory(atPath: (journal as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try "{\"method\":\"POST\"}\n".write(toFile: journal, atomically: true, encoding: .utf8)
        let error = #expect(throws: ClusterError.self) { try DryRunTarget(cluster: "moka-a", journal: journal) }
        #expect(error?.message.contains("\(journal):1:") == true)
    }

    @Test func theFactoryChoosesByRegistryAndFlag() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-dry-\(UUID().uuidString)").path
        let plain = Cluster(name: "moka-b", capacity: [:], labels: [])
        let reachable = Cluster(name: "moka-a", capacity: [:], labels: [],
                                kubernetes: KubernetesEndpoint(server: "https://127.0.0.1:1", namespace: "yk"))
        #expect(try ClusterTargets.target(for: plain, dryRunFolder: folder).kind == "dry-run")
        #expect(try ClusterTargets.target(for: reachable, dryRunFolder: folder).kind == "kubernetes")
        let forced = try ClusterTargets.target(for: reachable, dryRun: true, dryRunFolder: folder)
        #expect(forced.kind == "dry-run")
        _ = try forced.applyQueueConfig("a: 1\n", replacing: nil)
        #expect((forced as? DryRunTarget)?.requests.first?.path == "/api/v1/namespaces/yk/configmaps")
        #expect(FileManager.default.fileExists(atPath: folder + "/moka-a.jsonl"))
    }
}
