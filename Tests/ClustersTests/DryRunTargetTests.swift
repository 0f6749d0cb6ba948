import Platform
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

    /// A `kill -9` in the middle of a write leaves a torn last line: the next start keeps every whole line,
    /// sets the torn bytes aside in `<journal>.torn` and goes on appending after the last whole line.
    @Test(arguments: [false, true])
    func aTornLastLineIsSetAsideAndEveryWholeLineKept(indexed: Bool) throws {
        let journal = journalPath()
        do {
            let target = try DryRunTarget(cluster: "moka-a", journal: journal)
            for name in ["etl-1", "etl-2", "etl-3"] {
                _ = try target.createSparkApplication(namespace: nil, manifestJSON: KubernetesTargetTests.manifest(name))
            }
            _ = try target.applyQueueConfig("a: 1\n", replacing: nil)
        }
        if !indexed { try? FileManager.default.removeItem(atPath: journal + ".index") }
        let whole = try Data(contentsOf: URL(fileURLWithPath: journal))
        let torn = Data("{\"body\":{\"apiVersion\":\"sparkoperator.k8s.io/v1beta2\",\"kind\":\"SparkApp".utf8)
        let handle = try #require(FileHandle(forWritingAtPath: journal))
        try handle.seekToEnd()
        try handle.write(contentsOf: torn)
        try handle.close()

        let reopened = try DryRunTarget(cluster: "moka-a", journal: journal)
        for name in ["etl-1", "etl-2", "etl-3"] {
            #expect(try reopened.sparkApplicationStatus(namespace: nil, name: name).name == name)
        }
        #expect(try reopened.queueConfig()?.queuesYAML == "a: 1\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: journal)) == whole)
        #expect(try Data(contentsOf: URL(fileURLWithPath: journal + ".torn")) == torn + Data([10]))
        // Writing goes on after the last whole line; a name already taken is still refused.
        _ = try reopened.createSparkApplication(namespace: nil, manifestJSON: KubernetesTargetTests.manifest("etl-4"))
        #expect(throws: ClusterError.self) {
            try reopened.createSparkApplication(namespace: nil, manifestJSON: KubernetesTargetTests.manifest("etl-2"))
        }
        let lines = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
    }

    /// Applications are looked up in the index file and the journal, not held in memory, and a restart
    /// reads only what the index does not cover; uids and versions come out as they were first answered.
    @Test func aRestartFindsApplicationsThroughTheIndex() throws {
        let journal = journalPath()
        var first: [CreatedSparkApplication] = []
        do {
            let target = try DryRunTarget(cluster: "moka-a", journal: journal, mergeEvery: 3)
            for index in 0..<10 {
                first.append(try target.createSparkApplication(namespace: nil, manifestJSON: KubernetesTargetTests.manifest("etl-\(index)")))
            }
            #expect(FileManager.default.fileExists(atPath: journal + ".index"))
            #expect(try target.sparkApplicationStatus(namespace: nil, name: "etl-0").uid == first[0].uid)
        }
        let reopened = try DryRunTarget(cluster: "moka-a", journal: journal, mergeEvery: 3)
        for app in first {
            let status = try reopened.sparkApplicationStatus(namespace: nil, name: app.name)
            #expect(status.uid == app.uid)
            #expect(status.resourceVersion == app.resourceVersion)
        }
        #expect(throws: ClusterError.self) { try reopened.sparkApplicationStatus(namespace: nil, name: "etl-10") }
        #expect(throws: ClusterError.self) { try reopened.sparkApplicationStatus(namespace: "other", name: "etl-1") }
        let next = try reopened.createSparkApplication(namespace: nil, manifestJSON: KubernetesTargetTests.manifest("etl-10"))
        #expect(Int(next.resourceVersion)! == Int(first.last!.resourceVersion)! + 1)
    }

    /// Lines written before the journal named each application (no `name` field) are still read.
    @Test func linesWithoutANameAreReadFromTheirManifest() throws {
        let journal = journalPath()
        try FileManager.default.createDirectory(atPath: (journal as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let body = String(decoding: KubernetesTargetTests.manifest("old-1"), as: UTF8.self)
        try "{\"body\":\(body),\"cluster\":\"moka-a\",\"method\":\"POST\",\"path\":\"/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark/sparkapplications\"}\n"
            .write(toFile: journal, atomically: true, encoding: .utf8)
        let target = try DryRunTarget(cluster: "moka-a", journal: journal)
        #expect(try target.sparkApplicationStatus(namespace: nil, name: "old-1").uid == "dry-run-moka-a-1001")
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
