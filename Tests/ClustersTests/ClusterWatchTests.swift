@testable import Clusters
import Foundation
import Platform
import Scheduler
import Scheduling
import Testing

/// The scheduler's supervised watch against the fake API server: reports in order, a restart from the position
/// handed out with them misses nothing and repeats nothing, and a position the server no longer holds (410)
/// is recovered by listing again.
@Suite("The scheduler's cluster watch", .serialized)
struct ClusterWatchTests {
    static func manifest(_ name: String) -> [UInt8] {
        let object: [String: Any] = ["apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
                                     "metadata": ["name": name, "labels": ["bursar.dev/run-id": "r1", "yunikorn.apache.org/app-id": name]],
                                     "spec": ["type": "Scala", "mode": "cluster"]]
        return Array(try! JSONSerialization.data(withJSONObject: object))
    }

    /// Drains `watch` until `done` holds for everything drained so far, or 20 s pass.
    static func drain(_ watch: ClusterWatch, until done: ([AppReport]) -> Bool) -> ClusterReports {
        var all = ClusterReports()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let next = watch.drain()
            all.reports += next.reports
            all.positions.merge(next.positions) { $1 }
            if done(all.reports) { break }
            watch.wait(upTo: 0.2)
        }
        return all
    }

    @Test func aRestartResumesFromThePositionAndA410ListsAgain() throws {
        let fake = try FakeKubeAPIServer()
        defer { fake.stop() }
        let target = KubernetesTarget(cluster: "moka-a", endpoint: try fake.endpoint())
        for name in ["a-1", "a-2", "a-3"] { _ = try target.createSparkApplication(namespace: nil, manifestJSON: Self.manifest(name)) }

        // First start: no position, so a list first (nothing has started), then the watch.
        let first = ClusterWatch(targets: [target], watchSeconds: 5, now: { 1_000 })
        first.start(from: [:])
        // The list must come before the changes (on a loaded machine it may start late and see a-1 already ended).
        let listed = Date().addingTimeInterval(20)
        while first.health.first?.relists != 1, Date() < listed { Thread.sleep(forTimeInterval: 0.05) }
        _ = try fake.hook("set-status", ["namespace": "spark", "name": "a-1", "state": "RUNNING"])
        _ = try fake.hook("set-status", ["namespace": "spark", "name": "a-1", "state": "COMPLETED"])
        let seen = Self.drain(first) { reports in reports.contains { $0.appID == "a-1" && $0.phase == .succeeded } }
        first.stop()
        #expect(seen.reports.map(\.phase) == [.running, .succeeded])
        #expect(first.health.first?.relists == 1)
        let position = try #require(seen.positions["moka-a"])

        // While no watch runs: a-2 fails. A new watch from the stored position reports exactly that.
        _ = try fake.hook("set-status", ["namespace": "spark", "name": "a-2", "state": "FAILED", "errorMessage": "driver OOMKilled"])
        let second = ClusterWatch(targets: [target], watchSeconds: 5, now: { 2_000 })
        second.start(from: ["moka-a": position])
        let resumed = Self.drain(second) { reports in reports.contains { $0.appID == "a-2" } }
        second.stop()
        #expect(resumed.reports == [AppReport(appID: "a-2", phase: .failed, at: resumed.reports.first?.at ?? 0, reason: "driver OOMKilled")])
        #expect(second.health.first?.relists == 0, "resumed, not listed again")

        // The server forgets its history (compaction) and a-3 completes: the stale position gets a 410, the
        // watch lists again and reports a-3 (and the ends it already knew, which a pass ignores).
        _ = try fake.hook("set-status", ["namespace": "spark", "name": "a-3", "state": "COMPLETED"])
        _ = try fake.hook("compact", [:])
        let third = ClusterWatch(targets: [target], watchSeconds: 5, now: { 3_000 })
        third.start(from: ["moka-a": position])
        let relisted = Self.drain(third) { reports in reports.contains { $0.appID == "a-3" } }
        third.stop()
        #expect(relisted.reports.contains { $0.appID == "a-3" && $0.phase == .succeeded })
        #expect(third.health.first?.relists == 1)
    }

    @Test func aWatchThatCannotConnectIsRetriedAndSaysWhy() throws {
        let endpoint = KubernetesEndpoint(server: "http://127.0.0.1:9", origin: "clusters.yaml:4")  // nothing listens
        let watch = ClusterWatch(targets: [KubernetesTarget(cluster: "gone", endpoint: endpoint, timeout: .seconds(2))], watchSeconds: 5, now: { 0 })
        watch.start(from: [:])
        defer { watch.stop() }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, (watch.health.first?.restarts ?? 0) < 2 { Thread.sleep(forTimeInterval: 0.2) }
        #expect((watch.health.first?.restarts ?? 0) >= 2, "the supervisor keeps trying")
        #expect(watch.health.first?.lastError?.contains("gone") == true, "\(watch.health)")
    }
}
