@testable import Archer
import Foundation
import Logging
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The router stays up for everyone (issue #13): a connection cap that reclaims idle connections, header and
/// body read timeouts, the API's JSON shape for what the HTTP decoder cannot read, and failed authentication
/// counted. A real server on loopback, raw sockets for what curl will not send. Small limits keep the tests
/// short; outcomes are asserted, and every wait has a generous bound.
@Suite("Connection limits and edge errors", .serialized)
struct ConnectionLimitTests {
    static func small(maxConnections: Int = 20, header: Duration = .seconds(3), body: Duration = .seconds(2))
        -> (inout ArcherOptions) -> Void {
        { options in
            options.connections = ConnectionLimits(maxConnections: maxConnections, headerTimeout: header, bodyTimeout: body,
                                                   idleTimeout: .seconds(60))
        }
    }

    @Test func idleFloodIsClosedWhileCallersGetThrough() async throws {
        // The header timeout is long enough that a slow machine still counts the flood open after the caller got
        // through (with 3 s, a loaded CI host saw the 408s close them first), and short enough for the 20 s wait below.
        try await withRouter(.sqlite, configure: Self.small(maxConnections: 20, header: .seconds(10))) { router in
            // Three times the cap in sockets that never send a byte.
            let flood = try (0..<60).map { _ in try RawSocket(port: router.port) }
            let floodOpened = ContinuousClock.now
            // The server has taken them all once 40 seats were freed for the later ones: reclaimed from the
            // longest-waiting, or (on a host slow enough to take the header timeout to accept 60 sockets) closed by it.
            let seated = await router.poll(until: { Self.seatsFreed($0) >= 40 })
            #expect(seated, "the sockets beyond the cap did not take the place of the longest-waiting ones")
            if ContinuousClock.now - floodOpened < .seconds(9) {
                #expect(router.metrics().value("bursar_http_connections_reclaimed_total") >= 40)
            }

            // An authenticated submission and /healthz still get through while the flood holds the cap.
            let submitted = try await router.call(.post, "/v1/submissions", body: Manifests.crdJSON())
            #expect(submitted.status == 201, "\(submitted.text)")
            #expect(try await router.call(.get, "/healthz", token: nil).status == 200)
            let stillOpen = await offPool { flood.filter { $0.isOpen() }.count }
            // Meaningful only before the header timeout could have closed them (a host loaded by the rest of the
            // suite can take longer than that to get here).
            if ContinuousClock.now - floodOpened < .seconds(9) {
                #expect(stillOpen >= 10, "the flood should still hold most of the cap when the caller got through")
            }

            // Every idle socket is closed: reclaimed at once, or answered 408 at the header timeout.
            let answers = await offPool { () -> [RawSocket.Answer?] in
                let deadline = ContinuousClock.now + .seconds(20)
                return flood.map { $0.readUntilClosed(deadline: deadline) }
            }
            #expect(answers.allSatisfy { $0 != nil }, "\(answers.filter { $0 == nil }.count) idle sockets were never closed")
            let timedOut = answers.compactMap { $0 }.filter { $0.status == 408 }
            #expect(!timedOut.isEmpty)
            #expect(timedOut.allSatisfy { $0.code == "request_timeout" })

            let metrics = router.metrics()
            #expect(metrics.value("bursar_http_request_timeouts_total{phase=\"header\"}") >= 1)
            #expect(metrics.value("bursar_http_connections_reclaimed_total") >= 1)
            #expect(Self.seatsFreed(metrics) >= 40)
            #expect(metrics.value("bursar_http_connections_open") <= 2)
        }
    }

    /// Seats the server freed under the cap: idle connections reclaimed plus those its header timeout closed.
    static func seatsFreed(_ metrics: Exposition) -> Double {
        metrics.value("bursar_http_connections_reclaimed_total")
            + metrics.value("bursar_http_request_timeouts_total{phase=\"header\"}")
    }

    @Test func trickledBodyIsCutNotAccepted() async throws {
        try await withRouter(.sqlite, configure: Self.small(body: .seconds(2))) { router in
            let body = Array(Manifests.crdJSON().utf8)
            let socket = try RawSocket(port: router.port)
            let answer = await offPool { () -> RawSocket.Answer? in
                _ = socket.send(Array("POST /v1/submissions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestRouter.alice)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8))
                // 40 bytes every 0.4 s: the whole body would take about 8 s, four times the body timeout.
                for start in stride(from: 0, to: body.count, by: 40) {
                    if socket.isAnswered() { break }
                    guard socket.send(Array(body[start..<min(start + 40, body.count)])) else { break }
                    Thread.sleep(forTimeInterval: 0.4)
                }
                return socket.readUntilClosed(deadline: .now + .seconds(10))
            }
            let result = try #require(answer, "the connection was not closed")
            #expect(result.status == 408, "\(result.text)")
            #expect(result.code == "request_timeout")
            #expect(try router.store().submissionCount() == 0)
            #expect(router.metrics().value("bursar_http_request_timeouts_total{phase=\"body\"}") == 1)
        }
    }

    @Test func capFullOfRequestsInProgressRefusesWith503() async throws {
        try await withRouter(.sqlite, configure: Self.small(maxConnections: 3, body: .seconds(3))) { router in
            // Three requests in progress (headers sent, body pending): busy, so not reclaimable.
            let busy = try (0..<3).map { _ in try RawSocket(port: router.port) }
            for socket in busy {
                _ = socket.send(Array("POST /v1/submissions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestRouter.alice)\r\nContent-Length: 500\r\n\r\n{".utf8))
            }
            #expect(await router.poll(until: { $0.value("bursar_http_connections_waiting") == 0 && $0.value("bursar_http_connections_open") == 3 }))
            let late = try RawSocket(port: router.port)
            let refused = await offPool { late.readUntilClosed(deadline: .now + .seconds(5)) }
            let answer = try #require(refused, "a connection over a cap of busy connections was left open")
            #expect(answer.status == 503)
            #expect(answer.code == "too_many_connections")
            #expect(router.metrics().value("bursar_http_connections_refused_total") == 1)
            // The busy ones are cut at the body timeout.
            let cut = await offPool { busy.map { $0.readUntilClosed(deadline: .now + .seconds(10)) } }
            #expect(cut.allSatisfy { $0?.status == 408 })
        }
    }

    struct EdgeCase: Sendable, CustomTestStringConvertible {
        var name: String
        var request: String
        var status: Int
        var code: String
        var testDescription: String { name }
    }

    static let edgeCases: [EdgeCase] = [
        EdgeCase(name: "headers over 80 KiB", request: "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 100_000))\r\n\r\n",
                 status: 431, code: "headers_too_large"),
        EdgeCase(name: "chunked body over --max-body",
                 request: "POST /v1/submissions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestRouter.alice)\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + String(repeating: "4000\r\n" + String(repeating: "b", count: 0x4000) + "\r\n", count: 6) + "0\r\n\r\n",
                 status: 413, code: "body_too_large"),
        EdgeCase(name: "bad chunk size",
                 request: "POST /v1/submissions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestRouter.alice)\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
                 status: 400, code: "malformed_request"),
        EdgeCase(name: "bad Content-Length", request: "POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
                 status: 400, code: "malformed_request"),
        EdgeCase(name: "not HTTP", request: "HELLO\u{01} THERE\r\n\r\n", status: 400, code: "malformed_request"),
    ]

    @Test(arguments: edgeCases)
    func edgeErrorsAnswerInTheAPIShape(_ edge: EdgeCase) async throws {
        try await withRouter(.sqlite) { router in
            let socket = try RawSocket(port: router.port)
            let answer = await offPool { () -> RawSocket.Answer? in
                _ = socket.send(Array(edge.request.utf8))
                return socket.readAnswer(deadline: .now + .seconds(10))
            }
            let result = try #require(answer, "no answer")
            #expect(result.status == edge.status, "\(result.text)")
            #expect(result.code == edge.code, "\(result.text)")
            #expect(result.text.contains("\"status\":\(edge.status)"))
        }
    }

    @Test func failedAuthenticationIsCounted() async throws {
        try await withRouter(.sqlite) { router in
            for _ in 0..<2 {
                let denied = try await router.call(.post, "/v1/decisions", token: "no-such-token", body: Manifests.crdJSON())
                #expect(denied.status == 401)
            }
            let anonymous = try await router.call(.get, "/v1/rules", token: nil)
            #expect(anonymous.status == 401)
            let metrics = router.metrics()
            #expect(metrics.value("bursar_auth_failures_total{reason=\"unknown_token\"}") == 2)
            #expect(metrics.value("bursar_auth_failures_total{reason=\"missing\"}") == 1)
        }
    }

    @Test func floodsAreLoggedAsOneLinePerInterval() {
        let lines = LogLines()
        let logger = Logger(label: "test") { _ in lines }
        let log = FloodLog(logger, .notice, "authentication failed", interval: .seconds(60))
        for _ in 0..<1000 { log.record(["reason": "unknown_token"]) }
        #expect(lines.count == 1)
        #expect(!lines.text.contains("no-such-token"))
    }
}

/// Collects log lines (a test's log handler).
final class LogLines: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lock.withLock { lines.append("\(event.message) \(event.metadata ?? [:])") }
    }

    var count: Int { lock.withLock { lines.count } }
    var text: String { lock.withLock { lines.joined(separator: "\n") } }
}

extension TestRouter {
    /// The router's Prometheus exposition, read in process.
    func metrics() -> Exposition { Exposition(text: String(decoding: archer.metrics.exposition(), as: UTF8.self)) }

    /// Polls the metrics until `condition` holds (true) or 20 s pass (false).
    func poll(until condition: (Exposition) -> Bool) async -> Bool {
        for _ in 0..<400 {
            if condition(metrics()) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}

/// A Prometheus text exposition, read by series.
struct Exposition {
    var text: String

    /// The value of a series (`name` or `name{label="v"}`), 0 when absent.
    func value(_ series: String) -> Double {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return 0
    }
}

/// Runs blocking socket calls on a thread of their own, off the few cooperative threads the server needs.
func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}

/// A TCP client on loopback that sends raw bytes: what curl will not send (idle sockets, trickled bodies,
/// broken framing).
final class RawSocket: @unchecked Sendable {
    struct Answer: Equatable {
        var bytes: [UInt8]
        var text: String { String(decoding: bytes, as: UTF8.self) }
        /// The status code of the first response, 0 when nothing was answered.
        var status: Int {
            let line = text.prefix(while: { $0 != "\r" }).split(separator: " ")
            return line.count >= 2 ? Int(line[1]) ?? 0 : 0
        }
        /// Self, when it holds a whole response with a Content-Length.
        var complete: Answer? {
            guard let end = text.range(of: "\r\n\r\n") else { return nil }
            let head = text[..<end.lowerBound].lowercased()
            guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                  let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) else { return nil }
            return text[end.upperBound...].utf8.count >= length ? self : nil
        }

        /// The API error's code in the body.
        var code: String? {
            guard let start = text.range(of: "\r\n\r\n")?.upperBound,
                  let object = try? JSONSerialization.jsonObject(with: Data(text[start...].utf8)) as? [String: Any],
                  let error = object["error"] as? [String: Any] else { return nil }
            return error["code"] as? String
        }
    }

    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, result == 0 else {
            if fd >= 0 { Glibc.close(fd) }
            throw POSIXError(.ECONNREFUSED)
        }
    }

    deinit { Glibc.close(fd) }

    /// Sends everything; false once the server has closed.
    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// Whether the server has sent something or closed.
    func isAnswered() -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&poller, 1, 0) > 0
    }

    /// Whether the connection is still open (nothing sent by the server, no close).
    func isOpen() -> Bool { !isAnswered() }

    /// Everything the server sends until it closes the connection (or resets it); nil if still open at `deadline`.
    func readUntilClosed(deadline: ContinuousClock.Instant, untilAnswered: Bool = false) -> Answer? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let left = deadline - .now
            guard left > .zero else {
                return nil
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            if ready <= 0 { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return Answer(bytes: bytes) }
            bytes += buffer[0..<n]
            if untilAnswered, let answer = Answer(bytes: bytes).complete { return answer }
        }
    }

    /// The first response, once its headers and Content-Length bytes of body are in (or the connection closed).
    func readAnswer(deadline: ContinuousClock.Instant) -> Answer? { readUntilClosed(deadline: deadline, untilAnswered: true) }
}
