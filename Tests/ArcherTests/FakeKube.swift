import Platform
import Allocation
import Clusters
import Foundation
import HTTPFetch

#if canImport(Glibc)
    import Glibc
#endif

/// The ClustersTests' fake Kubernetes API server (`fake_kube_apiserver.py`, plain HTTP, one token) for router
/// tests that need a cluster which can be slow or already hold an application. Stopped by closing its
/// standard input (a child of a test thread may not see SIGTERM).
final class FakeKube {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ClustersTests/Support/fake_kube_apiserver.py").path
    static let token = "kube-token"

    let port: Int
    let folder: URL
    private let process = Process()
    private let stdin = Pipe()

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-fakekube-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", Self.script, "--dir", folder.path, "--token", Self.token]
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
        guard let ready = try? JSONSerialization.jsonObject(with: line) as? [String: Any], let port = ready["port"] as? Int else {
            try? stdin.fileHandleForWriting.close()
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSDebugDescriptionErrorKey: "fake API server did not start"])
        }
        self.port = port
    }

    deinit { stop() }

    func stop() {
        guard process.isRunning else { return }
        try? stdin.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    var server: String { "http://127.0.0.1:\(port)" }

    /// A Kubernetes target for `cluster` on this server (its token in a file), with a request `timeout`.
    func target(_ cluster: String, timeout: Duration = .seconds(10)) throws -> KubernetesTarget {
        let file = folder.appendingPathComponent("token")
        try (Self.token + "\n").write(to: file, atomically: true, encoding: .utf8)
        return KubernetesTarget(cluster: cluster, endpoint: KubernetesEndpoint(server: server, tokenFile: file.path),
                                timeout: timeout)
    }

    /// Calls a `/_test/` hook.
    @discardableResult
    func hook(_ name: String, _ arguments: [String: Any] = [:]) throws -> [String: Any] {
        let request = FetchRequest(method: name == "state" ? .get : .post, url: "\(server)/_test/\(name)",
                                  headers: ["Content-Type: application/json"],
                                  body: Array(try JSONSerialization.data(withJSONObject: arguments)))
        let response = try HTTPFetcher().perform(request)
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }

    /// The SparkApplications the server holds, by name.
    func sparkApplications() throws -> Set<String> {
        Set((try hook("state")["objects"] as? [[String: Any]] ?? []).compactMap {
            $0["resource"] as? String == "sparkapplications" ? $0["name"] as? String : nil
        })
    }

    /// How many SparkApplication creates the server received.
    func creates() throws -> Int {
        (try hook("state")["requests"] as? [[String: Any]] ?? []).filter {
            $0["method"] as? String == "POST" && ($0["path"] as? String ?? "").hasSuffix("/sparkapplications")
        }.count
    }
}

