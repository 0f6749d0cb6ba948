public import Prometheus

/// The router's own Prometheus metrics (HTTP request counts and durations come from Hummingbird's
/// metrics middleware through swift-metrics, when the process bootstraps it with this registry).
public final class ArcherMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let accepted: Counter
    private let refused: Counter
    private let unavailable: Counter
    private let clusterFailures: Counter
    private let commitBatch: ValueHistogram
    private let snapshotAge: Gauge
    private let snapshotFailures: Counter
    private let decision: DurationHistogram
    private let connectionsOpen: Gauge
    private let connectionsWaiting: Gauge
    private let connectionsRefused: Counter
    private let connectionsReclaimed: Counter
    private let headerTimeouts: Counter
    private let bodyTimeouts: Counter
    private let authFailureCounters: [AuthFailure: Counter]
    private let outcomeUnknown: Counter
    private let replayed: Counter
    private let reconciledCounters: [String: Counter]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        let submissions = MetricNameDescriptor(namespace: "bursar", metricName: "submissions", unitName: "total",
                                               helpText: "Submissions by result")
        accepted = registry.makeCounter(descriptor: submissions, labels: [("result", "accepted")])
        refused = registry.makeCounter(descriptor: submissions, labels: [("result", "refused")])
        unavailable = registry.makeCounter(descriptor: submissions, labels: [("result", "unavailable")])
        clusterFailures = registry.makeCounter(descriptor: submissions, labels: [("result", "cluster_error")])
        commitBatch = registry.makeValueHistogram(
            descriptor: MetricNameDescriptor(namespace: "bursar", subsystem: "store", metricName: "commit_batch",
                                             unitName: "submissions", helpText: "Submissions written per group commit"),
            buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024])
        snapshotAge = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "bursar", subsystem: "routing", metricName: "snapshot_age", unitName: "seconds",
            helpText: "Age of the routing snapshot (rules, routes, owners) held in memory"))
        snapshotFailures = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "bursar", subsystem: "routing", metricName: "snapshot_refresh_failures", unitName: "total",
            helpText: "Snapshot refreshes that could not read the store (routing goes on with the last snapshot)"))
        decision = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "bursar", metricName: "submission_duration", unitName: "seconds",
                                             helpText: "Time from a submission's arrival to its answer"),
            buckets: [.microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                      .milliseconds(10), .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(2)])
        connectionsOpen = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "bursar", subsystem: "http", metricName: "connections_open", unitName: "",
            helpText: "HTTP connections open (at most --max-connections)"))
        connectionsWaiting = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "bursar", subsystem: "http", metricName: "connections_waiting", unitName: "",
            helpText: "Open HTTP connections with no request in progress (new or kept alive); the first reclaimed at the cap"))
        connectionsRefused = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "bursar", subsystem: "http", metricName: "connections_refused", unitName: "total",
            helpText: "New connections answered 503 and closed: the cap was reached with every connection busy"))
        connectionsReclaimed = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "bursar", subsystem: "http", metricName: "connections_reclaimed", unitName: "total",
            helpText: "Connections with no request in progress closed at the cap to admit a new connection"))
        let timeouts = MetricNameDescriptor(namespace: "bursar", subsystem: "http", metricName: "request_timeouts", unitName: "total",
                                            helpText: "Requests whose headers or body did not arrive in time (408, connection closed)")
        headerTimeouts = registry.makeCounter(descriptor: timeouts, labels: [("phase", RequestPhase.header.rawValue)])
        bodyTimeouts = registry.makeCounter(descriptor: timeouts, labels: [("phase", RequestPhase.body.rawValue)])
        let failures = MetricNameDescriptor(namespace: "bursar", subsystem: "auth", metricName: "failures", unitName: "total",
                                            helpText: "Requests to /v1 refused with 401, by reason")
        var counters: [AuthFailure: Counter] = [:]
        for reason in AuthFailure.allCases {
            counters[reason] = registry.makeCounter(descriptor: failures, labels: [("reason", reason.rawValue)])
        }
        authFailureCounters = counters
        outcomeUnknown = registry.makeCounter(descriptor: submissions, labels: [("result", "unknown")])
        replayed = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "bursar", metricName: "submissions_replayed", unitName: "total",
            helpText: "Retries with an idempotency key answered with the first submission's answer (nothing created)"))
        let reconciled = MetricNameDescriptor(namespace: "bursar", metricName: "submissions_reconciled", unitName: "total",
                                              helpText: "Recorded or unknown submissions settled by the reconciler, by outcome")
        var byOutcome: [String: Counter] = [:]
        for outcome in ReconcileCounts.outcomes {
            byOutcome[outcome] = registry.makeCounter(descriptor: reconciled, labels: [("outcome", outcome)])
        }
        reconciledCounters = byOutcome
    }

    /// A create whose outcome the cluster did not tell (a timeout or a dropped connection after sending).
    func submissionOutcomeUnknown() { outcomeUnknown.increment() }
    /// A keyed retry answered from the store.
    func submissionReplayed() { replayed.increment() }

    /// One reconciliation pass's settled rows.
    func reconciled(_ counts: ReconcileCounts) {
        for (outcome, count) in counts.byOutcome where count > 0 {
            reconciledCounters[outcome]?.increment(by: Int64(count))
        }
    }

    func submissionAccepted(after duration: Duration) {
        accepted.increment()
        decision.record(duration)
    }

    func submissionRefused() { refused.increment() }
    func submissionUnavailable() { unavailable.increment() }
    func clusterFailed() { clusterFailures.increment() }
    func committed(batch: Int) { commitBatch.record(Double(batch)) }
    func snapshot(age seconds: Double) { snapshotAge.set(seconds) }
    func cluster(_ name: String, healthy: Bool) {
        registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "bursar", subsystem: "cluster", metricName: "ready", unitName: "",
            helpText: "1 while a cluster passes its readiness probes, 0 while traffic is routed around it"),
            labels: [("cluster", name)]).set(Double(healthy ? 1 : 0))
    }
    func snapshotRefreshFailed() { snapshotFailures.increment() }
    func connections(open: Int, waiting: Int) {
        connectionsOpen.set(Double(open))
        connectionsWaiting.set(Double(waiting))
    }
    func connections(waiting: Int) { connectionsWaiting.set(Double(waiting)) }
    func connectionRefused() { connectionsRefused.increment() }
    func connectionReclaimed() { connectionsReclaimed.increment() }
    func requestTimedOut(_ phase: RequestPhase) { (phase == .header ? headerTimeouts : bodyTimeouts).increment() }
    /// Requests the HTTP decoder could not read, by the code they were answered with (made on first use: rare).
    func badRequest(_ code: String) {
        registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "bursar", subsystem: "http", metricName: "malformed_requests", unitName: "total",
            helpText: "Requests the HTTP decoder could not read (431 headers too large, 400 malformed), answered and closed"),
            labels: [("code", code)]).increment()
    }
    func authFailed(_ reason: AuthFailure) { authFailureCounters[reason]?.increment() }
    /// A change asked of a workflow or a run through the API, by action (`workflow.pause`, `run.clear`…) and outcome
    /// (`done`, `unchanged`, `forbidden`, `refused`); made on first use.
    func workflowOperation(_ action: String, outcome: String) {
        registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "bursar", subsystem: "workflows", metricName: "operations", unitName: "total",
            helpText: "Changes to workflows and runs asked through /v1/workflows and /v1/runs, by action and outcome"),
            labels: [("action", action), ("outcome", outcome)]).increment()
    }

    /// The text exposition format for `/metrics`.
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}

/// Why a request to `/v1` was not authenticated.
enum AuthFailure: String, CaseIterable, Sendable {
    /// No Authorization header.
    case missing
    /// An Authorization header that is not `Bearer <token>`.
    case notBearer = "not_bearer"
    /// A bearer token no principal in the tokens file has.
    case unknownToken = "unknown_token"
}
