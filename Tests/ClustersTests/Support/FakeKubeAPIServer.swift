import Platform
import Allocation
import Foundation
import HTTPFetch

#if canImport(Glibc)
    import Glibc
#endif

/// The fake Kubernetes API server (`fake_kube_apiserver.py`) running on a free loopback port for one test.
///
/// It is stopped by closing its standard input: a child started from a Swift Testing worker thread inherits
/// that thread's blocked signals, so SIGTERM alone might not stop it (see SystemLibraryTests' HTTP server).
final class FakeKubeAPIServer {
    let port: Int
    let folder: URL
    let token: String?
    let tls: Bool
    /// The CA that signed the server and client certificates (with `tls`).
    let caFile: String?
    let clientCertFile: String?
    let clientKeyFile: String?
    private let process: Process
    private let stdin: Pipe

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("fake_kube_apiserver.py").path

    /// One set of certificates for every TLS server of this test run, made once: generating RSA keys per test
    /// made handshakes slow enough to time out when the whole suite ran at once.
    static let certificates: String = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-kube-certs-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--dir", folder, "--make-certs"]
        try? process.run()
        process.waitUntilExit()
        return folder
    }()

    init(token: String? = "test-token", tls: Bool = false, requireClientCertificate: Bool = false) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-kube-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        self.token = token
        self.tls = tls
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = ["python3", "-u", Self.script, "--dir", folder.path]
        if let token { arguments += ["--token", token] }
        if tls { arguments += ["--tls", "--certs", Self.certificates] }
        if requireClientCertificate { arguments.append("--client-ca") }
        process.arguments = arguments
        let stdout = Pipe()
        stdin = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        try process.run()
        // The ready line comes once the socket listens (and the certificates exist).
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let ready = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
              let port = ready["port"] as? Int else {
            try? stdin.fileHandleForWriting.close()
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSDebugDescriptionErrorKey: "fake API server did not start"])
        }
        self.port = port
        caFile = ready["ca"] as? String
        clientCertFile = ready["client_cert"] as? String
        clientKeyFile = ready["client_key"] as? String
    }

    deinit { stop() }

    /// Stops the server and waits for it.
    func stop() {
        guard process.isRunning else { return }
        try? stdin.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }

    var server: String { "\(tls ? "https" : "http")://127.0.0.1:\(port)" }

    /// A registry endpoint for this server; the token (the right one unless given) goes into a file.
    func endpoint(token: String? = nil, ca: Bool = true, clientCertificate: Bool = false) throws -> KubernetesEndpoint {
        var tokenFile: String?
        if let value = token ?? self.token {
            let file = folder.appendingPathComponent("token-\(UUID().uuidString)")
            try (value + "\n").write(to: file, atomically: true, encoding: .utf8)
            tokenFile = file.path
        }
        return KubernetesEndpoint(server: server, tokenFile: tokenFile, caFile: ca ? caFile : nil,
                                  clientCertFile: clientCertificate ? clientCertFile : nil,
                                  clientKeyFile: clientCertificate ? clientKeyFile : nil,
                                  origin: "clusters.yaml:4")
    }

    /// Calls a `/_test/` hook and returns its JSON answer.
    @discardableResult
    func hook(_ name: String, _ arguments: [String: Any] = [:]) throws -> [String: Any] {
        let request = FetchRequest(
            method: name == "state" ? .get : .post, url: "\(server)/_test/\(name)",
            headers: ["Content-Type: application/json"],
            body: Array(try JSONSerialization.data(withJSONObject: arguments)),
            tls: TLSFiles(caBundle: caFile, clientCertificate: clientCertFile, clientKey: clientKeyFile))
        let response = try HTTPFetcher().perform(request)
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }

    /// What the server saw.
    struct State {
        var requests: [(method: String, path: String, resourceVersion: String?)]
        var unconditionalPuts: Int
        var conflicts: Int
        var objects: [String: [String: Any]]
    }

    func state() throws -> State {
        let json = try hook("state")
        let requests = (json["requests"] as? [[String: Any]] ?? []).map {
            (method: $0["method"] as? String ?? "", path: $0["path"] as? String ?? "",
             resourceVersion: $0["resourceVersion"] as? String)
        }
        var objects: [String: [String: Any]] = [:]
        for entry in json["objects"] as? [[String: Any]] ?? [] {
            let key = "\(entry["resource"] as? String ?? "")/\(entry["namespace"] as? String ?? "")/\(entry["name"] as? String ?? "")"
            objects[key] = entry["object"] as? [String: Any]
        }
        return State(requests: requests, unconditionalPuts: json["unconditional_puts"] as? Int ?? -1,
                     conflicts: json["conflicts"] as? Int ?? -1, objects: objects)
    }

    /// The yunikorn-configs ConfigMap's data as the server holds it.
    func configMapData(namespace: String = "yunikorn") throws -> [String: String]? {
        try state().objects["configmaps/\(namespace)/yunikorn-configs"].map { $0["data"] as? [String: String] ?? [:] }
    }
}
