import Foundation
import Logging
import SimCluster
@testable import SimClusterServer
import Testing

/// The server's watchers without sockets: a watcher that does not read is ended when it falls behind, after
/// exactly the lines that fit its buffer, in order; the cluster is not held back, and another watcher resuming
/// from the last line it saw gets the rest without a gap.
@Suite("SimCluster server watchers")
struct WatchFanoutTests {
    static func manifest(_ name: String) -> [UInt8] {
        Array(#"{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"SparkApplication","metadata":{"name":"\#(name)"},"spec":{"driver":{"cores":1,"memory":"1g"}}}"#.utf8)
    }

    static func resourceVersions(_ lines: [[UInt8]]) -> [Int64] {
        lines.compactMap { line in
            let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any]
            let metadata = (object?["object"] as? [String: Any])?["metadata"] as? [String: Any]
            return (metadata?["resourceVersion"] as? String).flatMap { Int64($0) }
        }
    }

    @Test func aWatcherThatFallsBehindIsEndedWithoutAGapAndResumes() async throws {
        var options = SimServerOptions()
        options.watchBuffer = 3
        options.speed = 0.000001  // the clock barely moves: no application ends during the test
        let server = try SimClusterServer(settings: SimSettings(cluster: "t"), options: options, start: 1_794_009_600_000,
                                          logger: Logger(label: "test"))
        let all = try LabelSelector("")
        guard case .success(let (slow, _)) = server.openWatch(namespace: nil, selector: all, resourceVersion: nil, bookmarks: false) else {
            Issue.record("the watch did not open")
            return
        }
        var created: [Int64] = []
        for index in 0..<10 {
            let object = try server.createApplication(Self.manifest("app-\(index)"), namespace: "spark")
            created.append(Int64(object["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? 0)
        }
        #expect(created.count == 10, "creating never waited for the watcher")
        var lines: [[UInt8]] = []
        for await line in slow { lines.append(line) }  // ends: the watcher was dropped after 3 lines
        // Each creation is an ADDED event, and the next call's advance admits it (RUNNING): one revision each, no
        // other objects, so the events are the revisions from 1001 on.
        #expect(Self.resourceVersions(lines) == [1001, 1002, 1003])
        #expect(server.watcherCount == 0)

        guard case .success(let (resumed, _)) = server.openWatch(namespace: "spark", selector: all, resourceVersion: 1003,
                                                                  bookmarks: false) else {
            Issue.record("the resumed watch did not open")
            return
        }
        var more: [[UInt8]] = []
        for await line in resumed {
            more.append(line)
            if more.count == 3 { break }
        }
        #expect(Self.resourceVersions(more) == [1004, 1005, 1006], "the rest, from where the first watcher stopped")
    }

    @Test func anExpiredResourceVersionIsRefused() throws {
        var settings = SimSettings(cluster: "t")
        settings.historyEvents = 2
        let server = try SimClusterServer(settings: settings, options: SimServerOptions(), start: 1_794_009_600_000,
                                          logger: Logger(label: "test"))
        for index in 0..<5 { _ = try server.createApplication(Self.manifest("app-\(index)"), namespace: "spark") }
        guard case .failure(let error) = server.openWatch(namespace: nil, selector: try LabelSelector(""), resourceVersion: 1001,
                                                          bookmarks: false) else {
            Issue.record("an expired resourceVersion was accepted")
            return
        }
        #expect(error.reason == .expired && error.reason.code == 410)
    }
}
