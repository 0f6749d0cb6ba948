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

    /// The text exposition format for `/metrics`.
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
