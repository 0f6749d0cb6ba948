public import Prometheus
import Synchronization

/// The scheduler's Prometheus metrics, named after what they measure (issue #16): schedule delay (cron tick →
/// run created), job dispatch delay (ready, or a slot freed for a job a limit held back → accepted by the router),
/// queue time on the cluster (accepted → running), runs by state, SLO misses by tier, and how each cluster's
/// watch is doing.
public final class SchedulerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let scheduleDelay: ValueHistogram
    private let dispatchDelay: ValueHistogram
    private let queueTime: ValueHistogram
    private let passDuration: ValueHistogram
    private let dispatched: Counter
    private let dispatchFailures: Counter
    private let jobEnds: [String: Counter]
    private let runsActive: [String: Gauge]
    private let runsEnded: [String: Counter]
    private let missesByTier: [Int: Counter]
    private let leasesHeld: Gauge
    private let replicasAlive: Gauge
    private let takeovers: Counter
    private let leasesLost: Counter
    private let leaseClaim: ValueHistogram
    private let roundTrips: Counter
    private let roundTripsSeen = Mutex<Int>(0)

    /// Seconds, from 50 ms to an hour: a delay is either the scheduler's own (sub-second) or waiting on a limit.
    static let delayBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        func histogram(_ name: String, _ help: String) -> ValueHistogram {
            registry.makeValueHistogram(descriptor: MetricNameDescriptor(namespace: "bursar", subsystem: "scheduler", metricName: name,
                                                                        unitName: "seconds", helpText: help),
                                        buckets: Self.delayBuckets)
        }
        scheduleDelay = histogram("schedule_delay", "Time from a cron tick to its run's creation")
        dispatchDelay = histogram("dispatch_delay", "Time from a job becoming dispatchable (dependencies met, retry delay passed) to the router accepting it")
        queueTime = histogram("queue_time", "Time from the router accepting a job to the cluster reporting it running")
        passDuration = histogram("pass_duration", "Time one scheduler pass takes")
        let jobs = MetricNameDescriptor(namespace: "bursar", subsystem: "scheduler", metricName: "jobs_dispatched", unitName: "total",
                                        helpText: "Job attempts accepted by the router or started as built-in steps")
        dispatched = registry.makeCounter(descriptor: jobs)
        dispatchFailures = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "bursar", subsystem: "scheduler", metricName: "dispatch_failures", unitName: "total",
            helpText: "Dispatches the router refused or that could not reach it (retried on the next pass)"))
        let ends = MetricNameDescriptor(namespace: "bursar", subsystem: "scheduler", metricName: "job_attempts_ended", unitName: "total",
                                        helpText: "Job attempts ended, by outcome")
        jobEnds = Dictionary(uniqueKeysWithValues: ["succeeded", "failed"].map { ($0, registry.makeCounter(descriptor: ends, labels: [("outcome", $0)])) })
        let active = MetricNameDescriptor(namespace: "bursar", subsystem: "scheduler", metricName: "runs", unitName: "",
                                          helpText: "Runs not yet ended, by state")
        runsActive = Dictionary(uniqueKeysWithValues: ["queued", "running"].map { ($0, registry.makeGauge(descriptor: active, labels: [("state", $0)])) })
        let ended = MetricNameDescriptor(namespace: "bursar", subsystem: "scheduler", metricName: "runs_ended", unitName: "total",
                                         helpText: "Runs ended, by state")
        runsEnded = Dictionary(uniqueKeysWithValues: ["succeeded", "failed"].map { ($0, registry.makeCounter(descriptor: ended, labels: [("state", $0)])) })
        let misses = MetricNameDescriptor(namespace: "bursar", subsystem: "scheduler", metricName: "slo_misses", unitName: "total",
                                          helpText: "Runs whose deadline passed before they succeeded, by tier")
        missesByTier = Dictionary(uniqueKeysWithValues: (1...3).map { ($0, registry.makeCounter(descriptor: misses, labels: [("tier", String($0))])) })
        func descriptor(_ name: String, _ unit: String, _ help: String, subsystem: String = "scheduler") -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "bursar", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
        }
        leasesHeld = registry.makeGauge(descriptor: descriptor("leases_held", "", "Workflow leases this replica holds"))
        replicasAlive = registry.makeGauge(descriptor: descriptor("replicas_alive", "", "Scheduler replicas alive on the store, this one included"))
        takeovers = registry.makeCounter(descriptor: descriptor("lease_takeovers", "total",
                                                                "Workflow leases this replica took over from a replica whose lease expired"))
        leasesLost = registry.makeCounter(descriptor: descriptor("leases_lost", "total",
                                                                 "Passes whose writes were refused because a lease was taken over meanwhile"))
        leaseClaim = histogram("lease_claim", "Time one pass's lease claim takes, waits on the lease rows' locks included")
        roundTrips = registry.makeCounter(descriptor: descriptor("round_trips", "total", "Statements sent to PostgreSQL (one round trip each)",
                                                                 subsystem: "store"))
    }

    /// Records the replica's leases after a pass, and the store round trips so far.
    public func record(leases: ReplicaLeases, claimSeconds: Double?, takeoversInPass: Int, roundTripsSoFar: Int) {
        let snapshot = leases.snapshot
        leasesHeld.set(snapshot.me.leases)
        replicasAlive.set(Int64(snapshot.live))
        takeovers.increment(by: Int64(takeoversInPass))
        if let claimSeconds { leaseClaim.record(claimSeconds) }
        let delta = roundTripsSeen.withLock { seen in
            defer { seen = roundTripsSoFar }
            return max(0, roundTripsSoFar - seen)
        }
        roundTrips.increment(by: Int64(delta))
    }

    /// Records a pass refused for a lost lease.
    public func recordLeaseLost() {
        leasesLost.increment()
    }

    /// Records one pass.
    public func record(_ report: PassReport, seconds: Double) {
        passDuration.record(seconds)
        for delay in report.scheduleDelays { scheduleDelay.record(Double(delay) / 1000) }
        for delay in report.dispatchDelays { dispatchDelay.record(Double(delay) / 1000) }
        for time in report.queueTimes { queueTime.record(Double(time) / 1000) }
        dispatched.increment(by: Int64(report.jobsDispatched))
        dispatchFailures.increment(by: Int64(report.dispatchFailures.count))
        jobEnds["succeeded"]?.increment(by: Int64(report.jobsSucceeded))
        jobEnds["failed"]?.increment(by: Int64(report.jobsFailed))
        for (state, count) in report.runsActive { runsActive[state]?.set(Int64(count)) }
        for (state, count) in report.runsEndedByState { runsEnded[state]?.increment(by: Int64(count)) }
        for (tier, count) in report.missesByTier { missesByTier[tier]?.increment(by: Int64(count)) }
    }

    private static func watchDescriptor(_ name: String) -> MetricNameDescriptor {
        switch name {
        case "restarts":
            MetricNameDescriptor(namespace: "bursar", subsystem: "scheduler", metricName: "watch_restarts", unitName: "total",
                                 helpText: "Times a cluster's SparkApplication watch was started again (stream ended, error, 410)")
        case "relists":
            MetricNameDescriptor(namespace: "bursar", subsystem: "scheduler", metricName: "watch_relists", unitName: "total",
                                 helpText: "Full lists of a cluster's SparkApplications (the first, and after each 410 Gone)")
        default:
            MetricNameDescriptor(namespace: "bursar", subsystem: "scheduler", metricName: "watch_silence", unitName: "seconds",
                                 helpText: "Time since a cluster's watch last delivered a change or bookmark (-1: never)")
        }
    }

    /// Records each cluster watch's state.
    public func record(_ health: [WatchHealth], now: Int64) {
        for watch in health {
            registry.makeGauge(descriptor: Self.watchDescriptor("restarts"), labels: [("cluster", watch.cluster)]).set(Int64(watch.restarts))
            registry.makeGauge(descriptor: Self.watchDescriptor("relists"), labels: [("cluster", watch.cluster)]).set(Int64(watch.relists))
            registry.makeGauge(descriptor: Self.watchDescriptor("silence"), labels: [("cluster", watch.cluster)])
                .set(watch.lastHeard > 0 ? Double(now - watch.lastHeard) / 1000 : -1)
        }
    }

    /// The text exposition.
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
