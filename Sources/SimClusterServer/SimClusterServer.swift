import Ingest
import Foundation
public import Hummingbird
public import Logging
public import SimCluster
import HTTPTypes
import NIOCore
import Routing
public import ServiceLifecycle
import Synchronization

/// How the simulated cluster is served.
public struct SimServerOptions: Sendable {
    /// The address to listen on (loopback: this is a test and demo server).
    public var host = "127.0.0.1"
    /// The port; 0 picks a free one.
    public var port = 0
    /// Simulated time per real time: 1 is real time, 60 one simulated minute per second.
    public var speed = 1.0
    /// Where summary lines go; nil: nowhere.
    public var logFile: String?
    /// How they are written.
    public var logFormat: SummaryLogFormat = .fluentbit
    /// The bearer token every request but `/readyz` must carry; nil: none needed.
    public var token: String?
    /// The longest wait between two advances of the cluster.
    public var tickInterval: Duration = .milliseconds(100)
    /// How long a watch stays idle before a bookmark is sent (when the client asked for bookmarks).
    public var bookmarkInterval: Duration = .seconds(1)
    /// Lines a watcher may fall behind by before its watch is ended (it then resumes from its last
    /// resourceVersion), so a slow client never holds the cluster back.
    public var watchBuffer = 1024
    /// How long a watch without `timeoutSeconds` lasts: the API server's default request timeout.
    public var defaultWatchTimeout: Duration = .seconds(1800)

    /// The defaults above.
    public init() {}
}

/// The simulated cluster over HTTP: a subset of the Kubernetes API (SparkApplications with list and watch,
/// ConfigMaps, `/readyz`), with the real API's shapes and status codes, so Bursar's Kubernetes target, the
/// router and the scheduler use it with the code they use for a real cluster. A driver advances the pure core
/// with the wall clock scaled by `speed`; summary lines go to the log file as they happen.
public final class SimClusterServer: Sendable {
    /// What the cluster does.
    public let settings: SimSettings
    /// How it is served.
    public let options: SimServerOptions
    private let shared: Mutex<Shared>
    private let log: SummaryLogFile?
    /// The simulated time at start, and when that was in real time.
    private let startMillis: Int64
    private let startInstant: ContinuousClock.Instant
    private let logger: Logger

    private struct Shared {
        var cluster: SimulatedCluster
        var watchers: [Int: Watcher] = [:]
        var nextWatcher = 0
        /// Set at shutdown: no new watch is kept open.
        var closing = false
    }

    private struct Watcher {
        var continuation: AsyncStream<[UInt8]>.Continuation
        var namespace: String?
        var selector: LabelSelector
        var bookmarks: Bool
        var lastSent: ContinuousClock.Instant
    }

    /// A server whose simulated clock starts at `start` (ms since 1970; default now). Opens the log file.
    public init(settings: SimSettings, options: SimServerOptions, start: Int64? = nil, logger: Logger) throws {
        guard options.speed > 0, options.speed.isFinite else {
            throw SimServerError("the speed \(options.speed) is not a positive number (1 is real time, 60 a simulated minute per second)")
        }
        self.settings = settings
        self.options = options
        self.logger = logger
        startMillis = start ?? Int64(Date().timeIntervalSince1970 * 1000)
        startInstant = .now
        shared = Mutex(Shared(cluster: SimulatedCluster(settings: settings, start: startMillis)))
        log = try options.logFile.map { try SummaryLogFile(path: $0) }
    }

    /// The simulated time now.
    public func simulatedNow() -> Int64 {
        let elapsed = startInstant.duration(to: .now)
        let millis = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        return startMillis + Int64(millis * options.speed)
    }

    /// The HTTP application; `onServerRunning` gets the port once it accepts. Run it with `driver` (as `run`
    /// does), or nothing advances the cluster.
    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let responder = CallbackResponder<BasicRequestContext> { request, _ in await self.respond(request) }
        return Application(
            responder: responder,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "bursar-simcluster"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// The service that advances the cluster with the scaled clock and, at shutdown, ends the open watches.
    public var driver: some Service { Driver(server: self) }

    /// Serves until SIGTERM or SIGINT. The driver comes after the application in the group, so it is shut down
    /// first: it ends the open watches, which the HTTP server would otherwise wait for (up to their timeout).
    public func run(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let group = ServiceGroup(configuration: .init(
            services: [application(onServerRunning: onServerRunning), driver] as [any Service],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    // MARK: - The clock

    /// Advances the cluster to the simulated now.
    func tick() {
        mutate { cluster, now in ((), cluster.advance(to: now)) }
    }

    /// How long the driver may sleep: until the next application is due, at most `tickInterval`.
    func nextWait() -> Duration {
        let due = shared.withLock { $0.cluster.nextDue }
        guard let due else { return options.tickInterval }
        let millis = Double(due - simulatedNow()) / options.speed
        return min(options.tickInterval, .milliseconds(max(1, Int64(millis.rounded(.up)))))
    }

    /// Runs a change at the simulated now, delivers its events to the watchers and logs its summaries.
    private func mutate<T: Sendable>(_ body: (inout SimulatedCluster, Int64) throws(SimClusterError) -> (T, SimStep))
        throws(SimClusterError) -> T
    {
        let now = simulatedNow()
        let (value, summaries) = try shared.withLock { shared throws(SimClusterError) -> (T, [AppSummary]) in
            let (value, step) = try body(&shared.cluster, now)
            Self.publish(step.events, to: &shared)
            return (value, step.summaries)
        }
        write(summaries)
        return value
    }

    private func mutate(_ body: (inout SimulatedCluster, Int64) -> ((), SimStep)) {
        let now = simulatedNow()
        let summaries = shared.withLock { shared -> [AppSummary] in
            let (_, step) = body(&shared.cluster, now)
            Self.publish(step.events, to: &shared)
            return step.summaries
        }
        write(summaries)
    }

    private func write(_ summaries: [AppSummary]) {
        guard let log, !summaries.isEmpty else { return }
        for summary in summaries {
            let line = options.logFormat == .zap ? summary.zapLine : summary.fluentBitLine(namespace: settings.yunikornNamespace)
            do {
                try log.append(line)
            } catch {
                logger.error("summary line not written", metadata: ["error": "\(error)", "app": .string(summary.applicationID)])
            }
        }
    }

    /// Hands each event to every watcher it matches, in order; a watcher whose buffer is full is ended (it
    /// resumes from the last resourceVersion it saw), so no event is skipped and the cluster never waits.
    private static func publish(_ events: [WatchEvent], to shared: inout Shared) {
        guard !events.isEmpty, !shared.watchers.isEmpty else { return }
        var ended: Set<Int> = []
        var sent: Set<Int> = []
        for event in events {
            var line: [UInt8]?
            for (id, watcher) in shared.watchers where !ended.contains(id)
                && SimulatedCluster.event(event, matches: watcher.namespace, watcher.selector) {
                if line == nil { line = event.jsonBytes() + [0x0A] }
                switch watcher.continuation.yield(line!) {
                case .enqueued: sent.insert(id)
                default: ended.insert(id)
                }
            }
        }
        let now = ContinuousClock.now
        for id in sent { shared.watchers[id]?.lastSent = now }
        for id in ended { shared.watchers.removeValue(forKey: id)?.continuation.finish() }
    }

    /// Ends every watch (at shutdown).
    func endAllWatches() {
        let ended = shared.withLock { shared -> [Watcher] in
            shared.closing = true
            defer { shared.watchers = [:] }
            return Array(shared.watchers.values)
        }
        for watcher in ended { watcher.continuation.finish() }
    }

    // MARK: - HTTP

    /// Answers one request.
    func respond(_ request: Request) async -> Response {
        do {
            if let token = options.token, request.uri.path != "/readyz",
               request.headers[.authorization] != "Bearer " + token {
                throw SimClusterError(.unauthorized, "Unauthorized")
            }
            return try await route(request)
        } catch let error as SimClusterError {
            return Self.status(error)
        } catch {
            return Self.status(code: 500, reason: "InternalError", message: "the simulated cluster failed: \(error)")
        }
    }

    private func route(_ request: Request) async throws -> Response {
        let parts = request.uri.path.split(separator: "/").map(String.init)
        let method = request.method
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        switch parts.count {
        case 1 where parts[0] == "readyz":
            guard method == .get else { throw Self.methodNotAllowed }
            return Self.text("ok")
        case 2 where parts[0] == "_sim" && parts[1] == "state":
            return Self.json(state())
        default:
            break
        }
        if parts.count >= 4, parts[0] == "apis", parts[1] == "sparkoperator.k8s.io", parts[2] == "v1beta2" {
            if parts.count == 4, parts[3] == "sparkapplications" {
                guard method == .get else { throw Self.methodNotAllowed }
                return try listOrWatch(namespace: nil, query: query)
            }
            if parts.count >= 6, parts.count <= 7, parts[3] == "namespaces", parts[5] == "sparkapplications" {
                let namespace = parts[4]
                if parts.count == 6 {
                    switch method {
                    case .get: return try listOrWatch(namespace: namespace, query: query)
                    case .post:
                        return Self.json(try createApplication(try await readBody(request), namespace: namespace), status: .created)
                    default: throw Self.methodNotAllowed
                    }
                }
                let name = parts[6]
                switch method {
                case .get: return Self.json(try shared.withLock { shared throws(SimClusterError) in try shared.cluster.sparkApplication(namespace: namespace, name: name) })
                case .delete:
                    let object = try mutate { cluster, now throws(SimClusterError) in try cluster.delete(namespace: namespace, name: name, at: now) }
                    return Self.json(object)
                default: throw Self.methodNotAllowed
                }
            }
        }
        if parts.count >= 5, parts.count <= 6, parts[0] == "api", parts[1] == "v1", parts[2] == "namespaces", parts[4] == "configmaps" {
            let namespace = parts[3]
            if parts.count == 5 {
                guard method == .post else { throw Self.methodNotAllowed }
                let body = try await readBody(request)
                let object = try mutate { cluster, now throws(SimClusterError) in
                    try cluster.createConfigMap(try cluster.parseObject(body), namespace: namespace, at: now)
                }
                return Self.json(object, status: .created)
            }
            let name = parts[5]
            switch method {
            case .get: return Self.json(try shared.withLock { shared throws(SimClusterError) in try shared.cluster.configMap(namespace: namespace, name: name) })
            case .put:
                let body = try await readBody(request)
                let object = try mutate { cluster, now throws(SimClusterError) in
                    try cluster.replaceConfigMap(try cluster.parseObject(body), namespace: namespace, name: name, at: now)
                }
                return Self.json(object)
            default: throw Self.methodNotAllowed
            }
        }
        throw SimClusterError(.notFound, "the server could not find the requested resource")
    }

    /// Creates a SparkApplication from a request body, at the simulated now.
    func createApplication(_ body: [UInt8], namespace: String) throws(SimClusterError) -> JSONValue {
        try mutate { cluster, now throws(SimClusterError) in
            try cluster.create(try cluster.parseObject(body), namespace: namespace, at: now)
        }
    }

    private static let methodNotAllowed = SimClusterError(
        .methodNotAllowed, "the server does not allow this method on the requested resource")

    /// The body, at most `maxObjectBytes` (413 beyond, on Content-Length first, then while reading).
    private func readBody(_ request: Request) async throws(SimClusterError) -> [UInt8] {
        let limit = settings.maxObjectBytes
        let tooLarge = SimClusterError(.requestEntityTooLarge, "the request body is larger than \(limit) bytes; the simulated "
            + "cluster takes objects of at most \(limit) bytes (keep large files out of the manifest)")
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit { throw tooLarge }
        var request = request
        do {
            return Array(try await request.collectBody(upTo: limit).readableBytesView)
        } catch {
            throw tooLarge
        }
    }

    // MARK: - List and watch

    private func listOrWatch(namespace: String?, query: [String: String]) throws(SimClusterError) -> Response {
        let selector = try LabelSelector(query["labelSelector"] ?? "")
        let watch = query["watch"].map { $0 == "1" || $0.lowercased() == "true" } ?? false
        guard watch else {
            let (items, revision) = shared.withLock { $0.cluster.list(namespace: namespace, selector: selector) }
            // Pages as the API server gives them (`limit`, `continue`): every page reports the first page's
            // resourceVersion, and the continue token carries it with the next offset.
            var listed = String(revision), start = 0
            if let token = query["continue"], !token.isEmpty {
                let parts = token.split(separator: ":")
                guard parts.count == 2, let version = Int64(parts[0]), let offset = Int(parts[1]), offset >= 0 else {
                    throw SimClusterError(.badRequest, "continue \"\(token)\" is not a continue token from a list")
                }
                (listed, start) = (String(version), offset)
            }
            var limit = items.count
            if let text = query["limit"], !text.isEmpty {
                guard let number = Int(text), number >= 0 else { throw SimClusterError(.badRequest, "limit \"\(text)\" is not a whole number") }
                if number > 0 { limit = number }
            }
            let page = Array(items[min(start, items.count)..<min(items.count, start + limit)])
            var metadata = JSONValue.object(["resourceVersion": .string(listed)])
            if start + limit < items.count { metadata["continue"] = .string("\(listed):\(start + limit)") }
            return Self.json(.object([
                "apiVersion": .string(SimulatedCluster.sparkAPIVersion), "kind": .string("SparkApplicationList"),
                "metadata": metadata, "items": .array(page),
            ]))
        }
        var resourceVersion: Int64?
        if let text = query["resourceVersion"], !text.isEmpty {
            guard let number = Int64(text), number >= 0 else {
                throw SimClusterError(.badRequest, "resourceVersion \"\(text)\" is not a resourceVersion; send one from a list or an event")
            }
            resourceVersion = number
        }
        var timeout = options.defaultWatchTimeout
        if let text = query["timeoutSeconds"] {
            guard let seconds = Int(text), seconds >= 0, seconds <= 86_400 else {
                throw SimClusterError(.badRequest, "timeoutSeconds \"\(text)\" is not a whole number of seconds from 0 to 86400")
            }
            if seconds > 0 { timeout = .seconds(seconds) }
        }
        let bookmarks = query["allowWatchBookmarks"].map { $0.lowercased() == "true" || $0 == "1" } ?? false
        return watchResponse(namespace: namespace, selector: selector, resourceVersion: resourceVersion, bookmarks: bookmarks,
                             timeout: timeout)
    }

    private func watchResponse(namespace: String?, selector: LabelSelector, resourceVersion: Int64?, bookmarks: Bool,
                               timeout: Duration) -> Response {
        let started = openWatch(namespace: namespace, selector: selector, resourceVersion: resourceVersion, bookmarks: bookmarks)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        switch started {
        case .failure(let error):
            // The API server answers 200 and sends the error as the watch's one event.
            let line = JSONValue.object(["type": .string("ERROR"), "object": Self.statusObject(error)]).jsonBytes() + [0x0A]
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: line)))
        case .success(let (stream, id)):
            let deadline = ContinuousClock.now + timeout
            Task { await self.keepWatch(id, until: deadline) }
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                for await line in stream { try await writer.write(ByteBuffer(bytes: line)) }
                try await writer.finish(nil)
            })
        }
    }

    /// Registers a watcher and returns its lines (the start events first) and its id; the stream ends when the
    /// watcher falls `watchBuffer` lines behind, at shutdown, or when `keepWatch` reaches its deadline.
    func openWatch(namespace: String?, selector: LabelSelector, resourceVersion: Int64?, bookmarks: Bool)
        -> Result<(AsyncStream<[UInt8]>, Int), SimClusterError>
    {
        shared.withLock { shared -> Result<(AsyncStream<[UInt8]>, Int), SimClusterError> in
            let initial: [WatchEvent]
            do throws(SimClusterError) {
                initial = try shared.cluster.watchStart(namespace: namespace, selector: selector, resourceVersion: resourceVersion)
            } catch {
                return .failure(error)
            }
            // Registered under the same lock the changes are published under: nothing falls between the start
            // events and the live ones.
            let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(
                bufferingPolicy: .bufferingOldest(options.watchBuffer + initial.count))
            for event in initial { continuation.yield(event.jsonBytes() + [0x0A]) }
            if shared.closing { continuation.finish() }
            let id = shared.nextWatcher
            shared.nextWatcher += 1
            continuation.onTermination = { [weak self] _ in
                // Called inside `finish()`, possibly under the lock: remove the watcher later, not here.
                Task { self?.removeWatcher(id) }
            }
            if !shared.closing {
                shared.watchers[id] = Watcher(continuation: continuation, namespace: namespace, selector: selector,
                                              bookmarks: bookmarks, lastSent: .now)
            }
            return .success((stream, id))
        }
    }

    /// The number of open watches.
    var watcherCount: Int { shared.withLock { $0.watchers.count } }

    /// Sends bookmarks to an idle watch and ends it at its deadline; returns when the watch is gone.
    private func keepWatch(_ id: Int, until deadline: ContinuousClock.Instant) async {
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { break }
            try? await Task.sleep(for: min(left, options.bookmarkInterval))
            guard ContinuousClock.now < deadline else { break }
            guard bookmark(id) else { return }
        }
        if let watcher = shared.withLock({ $0.watchers.removeValue(forKey: id) }) { watcher.continuation.finish() }
    }

    /// Sends a bookmark with the current revision when the watcher asked for them and has been idle; false when
    /// the watcher is gone.
    private func bookmark(_ id: Int) -> Bool {
        let interval = options.bookmarkInterval
        let (alive, ended) = shared.withLock { shared -> (Bool, Watcher?) in
            guard let watcher = shared.watchers[id] else { return (false, nil) }
            guard watcher.bookmarks, watcher.lastSent.duration(to: .now) >= interval * 0.9 else { return (true, nil) }
            let line = JSONValue.object([
                "type": .string("BOOKMARK"),
                "object": .object(["kind": .string("SparkApplication"), "apiVersion": .string(SimulatedCluster.sparkAPIVersion),
                                   "metadata": .object(["resourceVersion": .string(String(shared.cluster.revision))])]),
            ]).jsonBytes() + [0x0A]
            guard case .enqueued = watcher.continuation.yield(line) else {
                return (false, shared.watchers.removeValue(forKey: id))
            }
            shared.watchers[id]?.lastSent = .now
            return (true, nil)
        }
        ended?.continuation.finish()
        return alive
    }

    private func removeWatcher(_ id: Int) {
        _ = shared.withLock { $0.watchers.removeValue(forKey: id) }
    }

    // MARK: - Test hooks

    /// `GET /_sim/state`: the simulated time, the revision, applications by state, watchers, lines written.
    private func state() -> JSONValue {
        let (clock, revision, counts, watchers, limits) = shared.withLock { shared in
            (shared.cluster.clock, shared.cluster.revision, shared.cluster.counts, shared.watchers.count, shared.cluster.limits != nil)
        }
        var byState: [JSONValue.Member] = []
        for state in SimApplication.State.allCases { byState.append(.init(state.rawValue, .integer(Int64(counts[state] ?? 0)))) }
        return .object([
            "cluster": .string(settings.cluster), "clock": .integer(clock), "revision": .integer(revision),
            "applications": .object(byState), "watchers": .integer(Int64(watchers)), "speed": .double(options.speed),
            "queue_config_deployed": .bool(limits), "summaries_written": .integer(Int64(log?.written.load(ordering: .relaxed) ?? 0)),
            "log_file": options.logFile.map { .string($0) } ?? .null,
        ])
    }

    // MARK: - Answers

    private static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: value.jsonBytes())))
    }

    private static func text(_ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A `Status` object for an error.
    static func statusObject(_ error: SimClusterError) -> JSONValue {
        var object = statusObject(code: error.reason.code, reason: error.reason.rawValue, message: error.message)
        if let name = error.name {
            let resource = error.resource ?? "sparkapplications"
            var details: JSONValue = .object(["name": .string(name), "kind": .string(resource)])
            if resource == "sparkapplications" || resource == "SparkApplication" { details["group"] = .string("sparkoperator.k8s.io") }
            if let field = error.field {
                details["causes"] = .array([.object(["reason": .string("FieldValueInvalid"), "message": .string(error.message),
                                                     "field": .string(field)])])
            }
            object["details"] = details
        }
        return object
    }

    private static func statusObject(code: Int, reason: String, message: String) -> JSONValue {
        .object(["kind": .string("Status"), "apiVersion": .string("v1"), "metadata": .object([]), "status": .string("Failure"),
                 "message": .string(message), "reason": .string(reason), "code": .integer(Int64(code))])
    }

    private static func status(_ error: SimClusterError) -> Response {
        json(statusObject(error), status: HTTPResponse.Status(code: error.reason.code))
    }

    private static func status(code: Int, reason: String, message: String) -> Response {
        json(statusObject(code: code, reason: reason, message: message), status: HTTPResponse.Status(code: code))
    }
}

/// Advances the cluster every tick (sooner when an application is due) until the service group shuts down,
/// then ends the open watches so the shutdown does not wait for them.
struct Driver: Service {
    let server: SimClusterServer

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            server.tick()
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: server.nextWait()) }
            } catch {
                break
            }
        }
        server.endAllWatches()
    }
}
