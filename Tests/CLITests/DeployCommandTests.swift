import Foundation
import HTTPFetch
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `bursar deploy` run as a process against the fake Kubernetes API server (Tests/ClustersTests/Support).
struct DeployCommandTests {
    let cli = ValidateCommandTests()

    /// The fake API server with a bearer token, on a free loopback port; stopped by closing its stdin.
    final class FakeAPIServer {
        let port: Int
        private let process = Process()
        private let stdin = Pipe()

        init(folder: URL, token: String) throws {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("ClustersTests/Support/fake_kube_apiserver.py").path
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-u", script, "--dir", folder.path, "--token", token]
            let stdout = Pipe()
            process.standardOutput = stdout
            process.standardInput = stdin
            try process.run()
            var line = Data()
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = stdout.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                line.append(chunk)
            }
            let ready = try JSONSerialization.jsonObject(with: line) as? [String: Any]
            port = try #require(ready?["port"] as? Int)
        }

        func stop() {
            guard process.isRunning else { return }
            try? stdin.fileHandleForWriting.close()
            let deadline = ContinuousClock.now + .seconds(5)
            while process.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }

        deinit { stop() }

        /// The ConfigMap's queues.yaml as the server holds it.
        func liveQueues() throws -> String? {
            let response = try HTTPFetcher().get(url: "http://127.0.0.1:\(port)/_test/state")
            let state = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            let objects = state?["objects"] as? [[String: Any]] ?? []
            let map = objects.first { $0["name"] as? String == "yunikorn-configs" }?["object"] as? [String: Any]
            return (map?["data"] as? [String: String])?["queues.yaml"]
        }
    }

    static func queues(tier1VCore: String) -> String {
        """
        partitions:
          - name: default
            queues:
              - name: root
                queues:
                  - name: search
                    parent: true
                    queues:
                      - name: ranking
                        parent: true
                        queues:
                          - name: tier1
                            resources:
                              guaranteed: {vcore: \(tier1VCore), memory: 16Gi}

        """
    }

    @Test func deploysDiffsRefusesCutsAndReportsAPIFailures() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-deploy-\(UUID().uuidString)")
        let queues = folder.appendingPathComponent("Queues")
        for cluster in ["moka-a", "moka-b"] {
            try FileManager.default.createDirectory(at: queues.appendingPathComponent(cluster), withIntermediateDirectories: true)
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        let fake = try FakeAPIServer(folder: folder, token: "s3cret")
        defer { fake.stop() }
        try "s3cret\n".write(to: queues.appendingPathComponent("moka-a.token"), atomically: true, encoding: .utf8)
        try "wrong\n".write(to: queues.appendingPathComponent("bad.token"), atomically: true, encoding: .utf8)
        func registry(token: String) -> String {
            """
            clusters:
              - name: moka-a
                capacity: {vcore: 4000, memory: 16Ti}
                kubernetes: {server: "http://127.0.0.1:\(fake.port)", token_file: \(token)}
              - name: moka-b
                capacity: {vcore: 2000, memory: 8Ti}
            """
        }
        try registry(token: "moka-a.token").write(to: queues.appendingPathComponent("clusters.yaml"), atomically: true, encoding: .utf8)
        try registry(token: "bad.token").write(to: queues.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        try "max_change_fraction: 0.3\n".write(to: queues.appendingPathComponent("policy.yaml"), atomically: true, encoding: .utf8)
        let file = queues.appendingPathComponent("moka-a/queues.yaml")
        let dryRunDir = folder.appendingPathComponent("dry-run").path
        func deploy(_ extra: [String], clusters: String = "clusters.yaml") throws -> ValidateCommandTests.Run {
            try cli.run(["deploy"] + extra + ["--queues", queues.path, "--clusters", queues.appendingPathComponent(clusters).path,
                                              "--policy", queues.appendingPathComponent("policy.yaml").path,
                                              "--dry-run-dir", dryRunDir])
        }

        try Self.queues(tier1VCore: "10").write(to: file, atomically: true, encoding: .utf8)
        let first = try deploy(["moka-a"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("moka-a (kubernetes): applied"))
        #expect(first.stdout.contains("+++ \(file.path)"))
        #expect(try fake.liveQueues() == Self.queues(tier1VCore: "10"))

        let again = try deploy(["moka-a"])
        #expect(again.status == 0)
        #expect(again.stdout.contains("unchanged"))

        try Self.queues(tier1VCore: "5").write(to: file, atomically: true, encoding: .utf8)
        let refused = try deploy(["moka-a"])
        #expect(refused.status == 6)
        #expect(refused.stdout.contains("root.search.ranking.tier1 vcore: 10 -> 5 (-50%)"))
        #expect(refused.stdout.contains("-" + String(repeating: " ", count: 22) + "guaranteed: {vcore: 10, memory: 16Gi}\n+"))
        #expect(try fake.liveQueues() == Self.queues(tier1VCore: "10"))

        let forced = try deploy(["moka-a", "--force", "--format", "json"])
        #expect(forced.status == 0, "\(forced.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(forced.stdout.utf8)) as? [String: Any]
        let report = (document?["deployments"] as? [[String: Any]])?.first
        #expect(report?["outcome"] as? String == "applied")
        #expect(report?["forced"] as? Bool == true)
        #expect((report?["shrinks"] as? [[String: Any]])?.first?["queue"] as? String == "root.search.ranking.tier1")
        #expect(try fake.liveQueues() == Self.queues(tier1VCore: "5"))

        // The registry has no kubernetes: section for moka-b: a dry run, journaled.
        try Self.queues(tier1VCore: "3").write(to: queues.appendingPathComponent("moka-b/queues.yaml"), atomically: true, encoding: .utf8)
        let dry = try deploy(["moka-b"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("moka-b (dry-run): applied"))
        #expect(FileManager.default.fileExists(atPath: dryRunDir + "/moka-b.jsonl"))
        #expect(try deploy(["moka-b"]).stdout.contains("unchanged"))

        try "partitions:\n  - name: default\n    queues:\n      - name: root\n        resources: {max: {memory: 10GB}}\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let invalid = try deploy(["moka-a"])
        #expect(invalid.status == 3)
        #expect(invalid.stdout.contains("\(file.path):5:"))
        #expect(try fake.liveQueues() == Self.queues(tier1VCore: "5"))

        let unknown = try deploy(["moka-z"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("has no cluster \"moka-z\""))

        try Self.queues(tier1VCore: "6").write(to: file, atomically: true, encoding: .utf8)
        let unauthorized = try deploy(["moka-a"], clusters: "bad.yaml")
        #expect(unauthorized.status == 7)
        #expect(unauthorized.stderr.contains("HTTP 401 Unauthorized"))

        fake.stop()
        let down = try deploy(["moka-a"])
        #expect(down.status == 7)
        #expect(down.stderr.contains("no response (curl 7)"))
    }
}
