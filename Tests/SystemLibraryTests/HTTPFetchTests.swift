import Foundation
import HTTPFetch
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real HTTP server (Python's http.server) on 127.0.0.1, serving one temporary directory.
///
/// It listens on port 0, so the kernel picks a free port and there is no race with other tests. It exits
/// when its stdin closes, which is also how it is stopped: a child spawned from a Swift Testing worker thread
/// inherits that thread's signal mask, in which SIGTERM is blocked, so `Process.terminate()` alone would
/// leave it running (measured: the test hung in `waitUntilExit`).
private final class LocalHTTPServer {
    let port: Int
    let root: URL
    private let process: Process
    private let stdin: Pipe

    private static let script = """
        import functools, http.server, os, signal, sys, threading
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass
        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                # A client aborting a transfer (the body-limit test does) is expected, not news.
                if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
                    super().handle_error(request, client_address)
        server = Server(("127.0.0.1", 0), functools.partial(Handler, directory=sys.argv[1]))
        print(server.server_address[1], flush=True)
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
        server.serve_forever()
        """

    init(root: URL) throws {
        self.root = root
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", "-c", Self.script, root.path]
        let stdout = Pipe()
        stdin = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        try process.run()
        // The port line comes only after the socket is bound and listening.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }  // EOF: the server died before printing its port
            line.append(chunk)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            try? stdin.fileHandleForWriting.close()
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSDebugDescriptionErrorKey: "http server did not start"])
        }
        self.port = port
    }

    /// Stops the server and waits for it, so its port is closed when this returns.
    func stop() {
        guard process.isRunning else { return }
        try? stdin.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        if process.isRunning {
            // SIGKILL cannot be blocked, unlike terminate()'s SIGTERM.
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }

    deinit {
        stop()
    }

    func url(_ path: String) -> String {
        "http://127.0.0.1:\(port)\(path)"
    }
}

@Suite("libcurl")
struct HTTPFetchTests {
    @Test func getsFilesStatusesAndConnectionErrors() throws {
        let root = try Support.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let payload = Support.pseudoRandomBytes(count: 300_000, seed: 7)
        try Data(payload).write(to: root.appendingPathComponent("payload.bin"))
        try FileManager.default.createDirectory(at: root.appendingPathComponent("dir"), withIntermediateDirectories: true)

        let server = try LocalHTTPServer(root: root)
        defer { server.stop() }
        let fetcher = try HTTPFetcher(timeout: .seconds(10), connectTimeout: .seconds(5))

        // Wait until it answers (it already listens, but a slow machine may still be starting threads).
        let deadline = ContinuousClock.now + .seconds(10)
        while (try? fetcher.get(url: server.url("/"))) == nil && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }

        let file = try fetcher.get(url: server.url("/payload.bin"))
        #expect(file.status == 200)
        #expect(file.body == payload)

        let missing = try fetcher.get(url: server.url("/missing.txt"))
        #expect(missing.status == 404)

        // http.server redirects "/dir" to "/dir/"; redirects are not followed, so the 301 itself comes back.
        let moved = try fetcher.get(url: server.url("/dir"))
        #expect(moved.status == 301)

        // A limit smaller than the body aborts the transfer with a typed error.
        let small = try HTTPFetcher(maxBodyBytes: 1000)
        let tooLarge = #expect(throws: HTTPFetchError.self) { try small.get(url: server.url("/payload.bin")) }
        #expect(tooLarge?.code == HTTPFetchError.bodyTooLarge)

        // After the server stops, its port refuses connections.
        let refusedURL = server.url("/payload.bin")
        server.stop()
        let refused = #expect(throws: HTTPFetchError.self) { try fetcher.get(url: refusedURL) }
        #expect(refused?.code == HTTPFetchError.couldNotConnect)
        #expect(refused?.message.contains("127.0.0.1") == true)
        #expect(refused?.url == refusedURL)
    }

    @Test func rejectsNonWebProtocolsAndMalformedURLs() throws {
        let fetcher = try HTTPFetcher()
        let file = #expect(throws: HTTPFetchError.self) { try fetcher.get(url: "file:///etc/hostname") }
        #expect(file?.message.isEmpty == false)
        #expect(throws: HTTPFetchError.self) { try fetcher.get(url: "http://[::1") }
    }
}
