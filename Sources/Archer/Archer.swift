public import Foundation
import Synchronization
public import Hummingbird
import HTTPTypes
public import Logging
public import InsightStore
public import Platform
public import Routing
public import Clusters
import Scheduler
import ServiceLifecycle
import HummingbirdCore
import NIOCore
import NIOPosix

/// How the router is set up (`bursar serve` fills it from flags and files).
public struct ArcherOptions: Sendable {
    public var host: String
    public var port: Int
    /// The largest request body accepted; larger ones get 413.
    public var maxBodyBytes: Int
    /// How often the routing snapshot is reloaded from the store and `Queues/`.
    public var refreshInterval: Duration
    public var clusters: [Cluster]
    public var queuesDirectory: URL
    public var policy: AllocationPolicy
    public var tokens: TokenBook
    /// Where each cluster's work goes: Kubernetes or a dry-run record, by cluster name.
    public var targets: [String: any ClusterTarget]
    /// The clusters whose readiness is probed, and how (usually Kubernetes targets with a short timeout); a
    /// cluster failing its probes is routed around until it answers again. Empty: no probing (dry runs).
    public var probeTargets: [String: any ClusterTarget] = [:]
    /// How often each cluster in `probeTargets` is probed.
    public var probeInterval: Duration = .seconds(10)
    /// Threads accepting and parsing HTTP (nil: one per core). Request handlers run on Swift's cooperative
    /// pool and the store on its own thread, so on a small machine fewer event loops leave them more room.
    public var eventLoops: Int?
    /// The connection cap and the request read timeouts (see `ConnectionLimits`).
    public var connections = ConnectionLimits()
    /// This router's name among the replicas sharing the store (`replicas`, `GET /v1/replicas`): it heartbeats
    /// there at every snapshot refresh.
    /// How long the dashboards show one snapshot of the store before reading a fresh one (in the background).
    public var dashboardMaxAge: Duration = .seconds(60)
    public var replica = "router-\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"

    public init(host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 1 << 20,
                refreshInterval: Duration = .seconds(5), clusters: [Cluster], queuesDirectory: URL,
                policy: AllocationPolicy, tokens: TokenBook, targets: [String: any ClusterTarget]) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.refreshInterval = refreshInterval
        self.clusters = clusters
        self.queuesDirectory = queuesDirectory
        self.policy = policy
        self.tokens = tokens
        self.targets = targets
        eventLoops = nil
    }
}

/// The submission router: decides where each Spark job runs, records it, submits it, and is the one path by
/// which queue configurations reach clusters.
public final class Archer: Sendable {
    let options: ArcherOptions
    let storeThread: StoreThread
    let state: RoutingState
    public let metrics: ArcherMetrics
    let logger: Logger
    /// Blocking cluster calls (libcurl) run here, off the event loops and the cooperative pool.
    let clusterQueue = DispatchQueue(label: "bursar.clusters", attributes: .concurrent)
    private let version = Mutex<Int64>(0)
    /// Onboarding headroom per cluster, re-read only when a `queues.yaml` changes.
    private let headroom = OnboardingHeadroomCache()
    /// What the readiness probes found, per probed cluster.
    let health = HealthBook()
    /// Failed authentications, counted and logged (rate-limited).
    let authFailures: AuthFailureLog
    /// Workflow definitions read back from the store by digest, for `/v1/workflows` and `/v1/runs`.
    let definitions = StoredDefinitions()
    /// The time every record, rule change, cordon, audit entry and probe result is stamped with (ms since 1970).
    let now: @Sendable () -> Int64
    /// When this process started, for its heartbeats.
    let startedAt: Int64
    /// The dashboards' snapshot and rendering, on threads of their own.
    let dashboards: DashboardData

    /// Opens the store (migrating it) and loads the first snapshot; fails if either is impossible, so a
    /// misconfigured router never starts. `now` is the clock times are recorded with (the wall clock, but for
    /// tests).
    public init(options: ArcherOptions, store: StoreLocation, logger: Logger,
                metrics: ArcherMetrics = ArcherMetrics(), now: @escaping @Sendable () -> Int64 = Archer.wallClock) async throws {
        self.options = options
        self.logger = logger
        self.metrics = metrics
        self.now = now
        startedAt = now()
        authFailures = AuthFailureLog(metrics: metrics, logger: logger)
        storeThread = try StoreThread(location: store, batchObserver: { metrics.committed(batch: $0) })
        dashboards = DashboardData(location: store, maxAge: options.dashboardMaxAge, now: now, logger: logger)
        state = RoutingState(try await Self.loadSnapshot(storeThread: storeThread, options: options, headroom: headroom,
                                                         health: health, version: 1, logger: logger))
        version.withLock { $0 = 1 }
        await heartbeat()
    }

    /// Records in the store that this router is alive (at start and every snapshot refresh); a failure is only
    /// logged (the store may be down: routing goes on).
    func heartbeat() async {
        let interval = options.refreshInterval.components
        let refreshMs = interval.seconds * 1000 + interval.attoseconds / 1_000_000_000_000_000
        let record = ReplicaRecord(replica: options.replica, role: "router", host: ProcessInfo.processInfo.hostName,
                                   pid: Int64(ProcessInfo.processInfo.processIdentifier), startedAt: startedAt, heartbeatAt: now(),
                                   leaseMs: max(3 * refreshMs, 3_000))
        do { try await storeThread.run { try $0.heartbeat(record) } } catch {
            logger.warning("heartbeat not recorded", metadata: ["error": .string("\(error)")])
        }
    }

    /// Reads the store and the `Queues/` files into a snapshot (the one way both start-up and refresh load it).
    private static func loadSnapshot(storeThread: StoreThread, options: ArcherOptions, headroom: OnboardingHeadroomCache,
                                     health: HealthBook, version: Int64, logger: Logger) async throws -> RoutingSnapshot {
        let stored = try await storeThread.run(StoredRouting.read)
        let facts = ClusterFacts(clusters: options.clusters,
                                 onboardingHeadroom: headroom.read(options.clusters.map(\.name), queuesDirectory: options.queuesDirectory),
                                 health: health.current)
        let (snapshot, skipped) = SnapshotBuilder.build(stored, facts, version: version)
        for problem in skipped { logger.warning("skipping a stored rule", metadata: ["problem": .string(problem)]) }
        return snapshot
    }

    /// Reloads the snapshot now (after a rule change, and every `refreshInterval`). On failure the old
    /// snapshot stays in use.
    func refresh() async {
        do {
            let next = version.withLock { value -> Int64 in
                value += 1
                return value
            }
            state.replace(try await Self.loadSnapshot(storeThread: storeThread, options: options, headroom: headroom,
                                                      health: health, version: next, logger: logger))
            await heartbeat()
        } catch {
            state.refreshFailed("\(error)")
            metrics.snapshotRefreshFailed()
            logger.warning("routing snapshot refresh failed; routing on the last snapshot",
                           metadata: ["error": .string("\(error)")])
        }
        metrics.snapshot(age: state.health.age)
    }

    /// Runs a blocking cluster call off the event loops.
    func onCluster<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            clusterQueue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// The HTTP application: every route, authentication, metrics, and the snapshot refresher as a service.
    public func application(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in })
        -> some ApplicationProtocol {
        let router = Router(context: ArcherContext.self)
        router.addMiddleware { MetricsMiddleware() }
        router.get("healthz") { _, _ in try self.healthz() }
        router.get("metrics") { _, _ in
            var fields = HTTPFields()
            fields[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: self.metrics.exposition())))
        }
        router.post("ws/v1/validate-conf") { request, _ in try await self.validateConf(request) }
        let api = router.group("v1").add(middleware: BearerAuthentication(tokens: options.tokens, failures: authFailures))
        api.post("submissions") { request, context in try await self.submit(request, context) }
        api.get("submissions/{app_id}") { _, context in try await self.submission(context) }
        api.post("decisions") { request, context in try await self.explain(request, context) }
        api.get("rules") { _, context in try await self.listRules(context) }
        api.put("rules/{id}") { request, context in try await self.putRule(request, context) }
        api.delete("rules/{id}") { request, context in try await self.deleteRule(request, context) }
        api.get("audit") { request, context in try await self.audit(request, context) }
        api.get("clusters") { _, context in try await self.listClusters(context) }
        api.get("replicas") { _, context in try await self.listReplicas(context) }
        api.post("clusters/{name}/cordon") { request, context in try await self.cordon(request, context) }
        api.delete("clusters/{name}/cordon") { _, context in try await self.uncordon(context) }
        api.post("clusters/{name}/queues:deploy") { request, context in try await self.deploy(request, context) }
        api.get("workflows") { _, context in try await self.listWorkflows(context) }
        api.get("workflows/{name}") { request, context in try await self.showWorkflow(request, context) }
        api.post("workflows/{name}/pause") { _, context in try await self.setPaused(true, context) }
        api.post("workflows/{name}/unpause") { _, context in try await self.setPaused(false, context) }
        api.post("workflows/{name}/trigger") { _, context in try await self.trigger(context) }
        api.post("workflows/{name}/backfill") { request, context in try await self.backfill(request, context) }
        api.get("runs") { request, context in try await self.listRuns(request, context) }
        api.get("runs/{run_id}") { _, context in try await self.showRun(context) }
        api.post("runs/{run_id}/clear") { _, context in try await self.clearRun(context) }
        api.post("runs/{run_id}/jobs/{job}/mark-succeeded") { _, context in try await self.markSucceeded(context) }
        addDashboardRoutes(to: router)

        // Every connection passes one gate, shared through the ledger: the cap, the read timeouts, and the API's
        // JSON answers to what the HTTP decoder cannot read.
        let ledger = ConnectionLedger(limit: options.connections.maxConnections, metrics: metrics)
        let events = ConnectionEvents(metrics: metrics, limits: options.connections, logger: logger)
        return Application(
            router: router,
            server: .http1(configuration: HTTP1Channel.Configuration(
                additionalChannelHandlers: [ConnectionGate(ledger: ledger, events: events)])),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "bursar"),
            services: [SnapshotRefresher(archer: self), SubmissionReconciler(archer: self)] as [any Service]
                + (options.probeTargets.isEmpty ? [] : [ClusterProbeService(archer: self)]),
            onServerRunning: onServerRunning,
            eventLoopGroupProvider: options.eventLoops.map { .shared(MultiThreadedEventLoopGroup(numberOfThreads: max(1, $0))) }
                ?? .singleton,
            logger: logger)
    }

    /// Runs the service until SIGTERM/SIGINT, then finishes in-flight requests and flushes the store thread.
    public func run(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) async throws {
        defer { storeThread.shutdown() }
        try await application(onServerRunning: onServerRunning).runService()
    }

    /// Flushes and closes the store (for callers that run `application()` themselves).
    public func shutdown() { storeThread.shutdown() }

    private func healthz() throws -> Response {
        let (age, error) = state.health
        var body: [String: Any] = ["status": "ok", "snapshot_age_seconds": (age * 1000).rounded() / 1000,
                                   "snapshot_version": state.snapshot.version, "replica": options.replica]
        if let error { body["snapshot_refresh_error"] = error }
        return JSONBody.response(Array(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) + [0x0A])
    }

    private func validateConf(_ request: Request) async throws -> Response {
        let body = try await readBody(request)
        var fields = HTTPFields()
        for (name, value) in ValidateConf.headers { fields[HTTPField.Name(name)!] = value }
        return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: ValidateConf.answer(body))))
    }

    /// The request body, at most `maxBodyBytes` (413 beyond, checked on Content-Length first, then while a
    /// chunked body is read).
    func readBody(_ request: Request) async throws -> [UInt8] {
        let limit = options.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw APIError.tooLarge(limit: limit)
        }
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw APIError.tooLarge(limit: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.tooLarge(limit: limit)
        }
    }

    /// The wall clock in milliseconds since 1970, as the store records times.
    public static func wallClock() -> Int64 { InsightStore.now() }
}

/// Reloads the routing snapshot every `refreshInterval` until the service group shuts down.
struct SnapshotRefresher: Service {
    let archer: Archer

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: archer.options.refreshInterval) }
            } catch {
                return
            }
            await archer.refresh()
        }
    }
}
