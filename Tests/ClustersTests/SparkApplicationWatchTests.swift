@testable import Clusters
import Foundation
import Testing

/// Listing and watching SparkApplications against the fake API server: pages, label selectors, the events in
/// resourceVersion order, bookmarks, 410 Gone after compaction, and deletion.
@Suite("SparkApplication list and watch")
struct SparkApplicationWatchTests {
    static func manifest(_ name: String, run: String?) -> [UInt8] {
        var metadata: [String: Any] = ["name": name]
        if let run { metadata["labels"] = ["bursar.dev/run-id": run, "yunikorn.apache.org/app-id": name] }
        let object: [String: Any] = ["apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication", "metadata": metadata,
                                     "spec": ["type": "Scala", "mode": "cluster"]]
        return Array(try! JSONSerialization.data(withJSONObject: object))
    }

    @Test func listsEveryPageOfTheSelectedApplications() throws {
        let fake = try FakeKubeAPIServer()
        defer { fake.stop() }
        let target = KubernetesTarget(cluster: "moka-a", endpoint: try fake.endpoint())
        // More than one page (500), in two namespaces, plus one without the label that must not show.
        for index in 0..<620 {
            _ = try target.createSparkApplication(namespace: index % 2 == 0 ? "spark" : "batch",
                                                  manifestJSON: Self.manifest("app-\(index)", run: "r\(index % 7)"))
        }
        _ = try target.createSparkApplication(namespace: nil, manifestJSON: Self.manifest("by-hand", run: nil))
        let list = try target.listSparkApplications(labelSelector: "bursar.dev/run-id")
        #expect(list.items.count == 620)
        #expect(Set(list.items.map(\.name)).count == 620)
        #expect(!list.items.contains { $0.name == "by-hand" })
        #expect(list.items.first?.labels["bursar.dev/run-id"] != nil)
        #expect(Int(list.resourceVersion)! >= 1620)
        let paths = try fake.state().requests.map(\.path).filter { $0.hasSuffix("/v1beta2/sparkapplications") }
        #expect(paths.count == 2)  // two pages
    }

    @Test func watchesChangesInOrderFromAResourceVersion() throws {
        let fake = try FakeKubeAPIServer()
        defer { fake.stop() }
        let target = KubernetesTarget(cluster: "moka-a", endpoint: try fake.endpoint())
        _ = try target.createSparkApplication(namespace: nil, manifestJSON: Self.manifest("a-1", run: "r1"))
        let start = try target.listSparkApplications(labelSelector: ClusterWatchLabel.selector).resourceVersion
        _ = try target.createSparkApplication(namespace: nil, manifestJSON: Self.manifest("a-2", run: "r1"))
        _ = try fake.hook("set-status", ["namespace": "spark", "name": "a-1", "state": "RUNNING"])
        _ = try fake.hook("set-status", ["namespace": "spark", "name": "a-1", "state": "FAILED", "errorMessage": "driver OOMKilled"])
        #expect(try target.deleteSparkApplication(namespace: "spark", name: "a-2"))
        #expect(try target.deleteSparkApplication(namespace: "spark", name: "a-2") == false)  // already gone

        var seen: [SparkApplicationChange] = []
        let reached = try target.watchSparkApplications(labelSelector: ClusterWatchLabel.selector, from: start, timeoutSeconds: 5) { change in
            if case .bookmark = change { return true }
            seen.append(change)
            return seen.count < 4
        }
        #expect(seen.count == 4)
        guard seen.count == 4 else { return }
        guard case .upsert(let added) = seen[0], case .upsert(let running) = seen[1], case .upsert(let failed) = seen[2],
              case .deleted(let deleted) = seen[3] else {
            Issue.record("unexpected event kinds: \(seen)")
            return
        }
        #expect(added.name == "a-2" && added.phase == .pending)
        #expect(running.name == "a-1" && running.phase == .running)
        #expect(failed.phase == .failed && failed.errorMessage == "driver OOMKilled" && failed.terminatedAt != nil)
        #expect(deleted.name == "a-2")
        let versions = seen.map { Int($0.resourceVersion)! }
        #expect(versions == versions.sorted() && versions.first! > Int(start)!)
        #expect(reached == deleted.resourceVersion)
    }

    @Test func anExpiredResourceVersionIsA410() throws {
        let fake = try FakeKubeAPIServer()
        defer { fake.stop() }
        let target = KubernetesTarget(cluster: "moka-a", endpoint: try fake.endpoint())
        _ = try target.createSparkApplication(namespace: nil, manifestJSON: Self.manifest("a-1", run: "r1"))
        let old = try target.listSparkApplications(labelSelector: nil).resourceVersion
        _ = try fake.hook("set-status", ["namespace": "spark", "name": "a-1", "state": "RUNNING"])
        _ = try fake.hook("compact", [:])
        let error = #expect(throws: ClusterError.self) {
            _ = try target.watchSparkApplications(labelSelector: nil, from: old, timeoutSeconds: 5) { _ in true }
        }
        #expect(error?.isExpired == true)
        #expect(error?.message.contains("too old resource version") == true)
    }

    @Test func anIdleWatchSendsBookmarksAndEndsAtItsTimeout() throws {
        let fake = try FakeKubeAPIServer()
        defer { fake.stop() }
        let target = KubernetesTarget(cluster: "moka-a", endpoint: try fake.endpoint())
        _ = try target.createSparkApplication(namespace: nil, manifestJSON: Self.manifest("a-1", run: "r1"))
        let version = try target.listSparkApplications(labelSelector: nil).resourceVersion
        var bookmarks = 0
        let reached = try target.watchSparkApplications(labelSelector: nil, from: version, timeoutSeconds: 2) { change in
            if case .bookmark = change { bookmarks += 1 }
            return true
        }
        #expect(bookmarks >= 1)
        #expect(reached == version)
    }

    @Test func theOperatorsStatesReadAsPhases() {
        func phase(_ state: String) -> SparkApplicationStatus.Phase {
            SparkApplicationStatus(name: "a", namespace: "s", uid: "u", state: state, resourceVersion: "1").phase
        }
        #expect(phase("COMPLETED") == .succeeded)
        #expect(phase("FAILED") == .failed && phase("SUBMISSION_FAILED") == .failed)
        #expect(phase("RUNNING") == .running && phase("SUCCEEDING") == .running && phase("FAILING") == .running)
        for state in ["", "UNKNOWN", "SUBMITTED", "PENDING_RERUN", "INVALIDATING", "NEW"] { #expect(phase(state) == .pending) }
    }
}

/// The selector the scheduler watches with (kept here so this test does not depend on the scheduler).
enum ClusterWatchLabel {
    static let selector = "bursar.dev/run-id"
}

@Suite("Watch stream lines")
struct WatchLineReaderTests {
    func take(_ reader: inout WatchLineReader, _ text: String) throws -> [String] {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { try reader.take($0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func linesSplitAcrossPiecesComeOutWholeAndAnOverlongOneIsRefused() throws {
        var reader = WatchLineReader(longest: 10)
        #expect(try take(&reader, "{\"a\"") == [])
        #expect(try take(&reader, ":1}\n\n{\"b\":2}\n{\"c") == ["{\"a\":1}", "{\"b\":2}"])
        #expect(try take(&reader, "\":3}\n") == ["{\"c\":3}"])
        // A whole line over the limit in one piece is refused, not dropped.
        #expect(throws: WatchLineReader.TooLong.self) { _ = try take(&reader, "{\"long\":12345}\n") }
        var unfinished = WatchLineReader(longest: 10)
        #expect(throws: WatchLineReader.TooLong.self) { _ = try take(&unfinished, "{\"still going") }
    }
}
