import Foundation
import HTTPFetch
import Testing

/// `bursar token`, `bursar serve` and `bursar submit` as processes: a token made by the CLI authenticates, a
/// job is routed by last night's plan and lands in the dry-run journal, a wrong token exits 3, and SIGTERM
/// stops the server cleanly.
@Suite("serve and submit", .serialized)
struct ServeSubmitCommandTests {
    let cli = ValidateCommandTests()

    static func freePort() throws -> Int {
        let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// `bursar serve` on a free loopback port with dry-run clusters, once it answers /healthz.
    static func startRouter(store: String, tokens: String, queues: String, dryRun: String, log: Pipe? = nil) throws -> (Process, Int) {
        let port = try freePort()
        let server = Process()
        server.executableURL = ValidateCommandTests.binary
        server.arguments = ["serve", "--port", "\(port)", "--store", store, "--tokens", tokens, "--queues", queues,
                            "--dry-run", "--dry-run-dir", dryRun]
        if let log { server.standardError = log } else { server.standardError = FileHandle.nullDevice }
        try server.run()
        var up = false
        for _ in 0..<300 where !up {
            up = (try? HTTPFetcher(timeout: .seconds(1)).get(url: "http://127.0.0.1:\(port)/healthz"))?.status == 200
            if !up { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(up, "bursar serve did not answer /healthz")
        return (server, port)
    }

    @Test func serveSubmitAndStop() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = "sqlite:\(folder.path)/store.sqlite"
        let queues = folder.appendingPathComponent("Queues").path
        let nightly = try cli.run(["nightly", "--store", store, "--out", queues, "--report-dir", folder.appendingPathComponent("report").path])
        #expect(nightly.status == 0, "\(nightly.stderr)")

        let made = try cli.run(["token", "new", "--principal", "alice", "--team", "payments-core"])
        #expect(made.status == 0)
        let token = made.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("brs_"))
        #expect(!made.stdout.contains(token), "the token itself must never be written to the tokens file")
        let tokens = folder.appendingPathComponent("tokens.yaml")
        try ("principals:\n" + made.stdout).write(to: tokens, atomically: true, encoding: .utf8)

        let log = Pipe()
        let (server, port) = try Self.startRouter(store: store, tokens: tokens.path, queues: queues,
                                                  dryRun: folder.appendingPathComponent("dry-run").path, log: log)
        defer { if server.isRunning { server.terminate() } }

        let job = try cli.temporaryFile("job.yaml", """
            apiVersion: sparkoperator.k8s.io/v1beta2
            kind: SparkApplication
            metadata:
              name: ledger-features-reconcile
              labels: {bursar.dev/workflow: ledger-features, bursar.dev/project: ledger, bursar.dev/tier: "1",
                       bursar.dev/run-id: ledger-features-20261122T0245, bursar.dev/scheduled-at: "20261122T024500Z"}
            spec: {type: Scala, mode: cluster, image: "spark:3.5.3", mainApplicationFile: "local:///opt/job.jar",
                   sparkVersion: 3.5.3, driver: {cores: 1, memory: 2g}, executor: {instances: 2, cores: 1, memory: 2g}}
            """)
        let server_ = "http://127.0.0.1:\(port)"
        let submitted = try cli.run(["submit", job, "--server", server_, "--token", token])
        #expect(submitted.status == 0, "\(submitted.stderr)")
        #expect(submitted.stdout.hasPrefix("submitted: ledger-features-reconcile-"))
        #expect(submitted.stdout.contains("queue root.payments.ledger.tier1"))
        let explained = try cli.run(["submit", job, "--server", server_, "--token", token, "--explain"])
        #expect(explained.status == 0)
        #expect(explained.stdout.hasPrefix("not-submitted:"))
        let refused = try cli.run(["submit", job, "--server", server_, "--token", "brs_wrong"])
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("401"))

        server.terminate()  // SIGTERM: finish in-flight work, flush the store, exit 0
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
        let logText = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(logText.contains("\"message\":\"listening\""), "\(logText)")
        let journal = try String(contentsOf: folder.appendingPathComponent("dry-run/moka-a.jsonl"), encoding: .utf8)
            + ((try? String(contentsOf: folder.appendingPathComponent("dry-run/moka-b.jsonl"), encoding: .utf8)) ?? "")
        #expect(journal.split(separator: "\n").count == 1)
        #expect(journal.contains("root.payments.ledger.tier1"))
    }
}
