/// A cluster's health as repeated readiness probes show it, with hysteresis: one lost probe (a blip, a
/// slow answer) does not move traffic, and a cluster that failed is trusted again only after it answered
/// more than once. The router sends a cluster's traffic to a rule's fallback while it is unhealthy.
///
/// A cluster starts healthy, so that a router starting while the probes have not run yet still routes.
public struct ClusterHealth: Sendable, Equatable, Codable {
    /// How many failed probes in a row make a healthy cluster unhealthy.
    public var failuresToMarkDown: Int
    /// How many successful probes in a row make an unhealthy cluster healthy again.
    public var successesToMarkUp: Int

    /// Whether the cluster takes traffic.
    public private(set) var healthy = true
    public private(set) var consecutiveFailures = 0
    public private(set) var consecutiveSuccesses = 0
    /// When the last probe ended (milliseconds since the epoch), nil before the first one.
    public private(set) var lastProbeAt: Int64?
    /// Why the last failed probe failed; cleared when the cluster is healthy again.
    public private(set) var lastError: String?
    /// When `healthy` last changed, nil if it never did.
    public private(set) var changedAt: Int64?

    /// A healthy cluster, with thresholds of its own or the defaults (3 failures down, 2 successes up).
    public init(failuresToMarkDown: Int = 3, successesToMarkUp: Int = 2) {
        self.failuresToMarkDown = max(1, failuresToMarkDown)
        self.successesToMarkUp = max(1, successesToMarkUp)
    }

    /// Takes one probe's outcome (nil error: it succeeded). Returns whether `healthy` changed.
    @discardableResult
    public mutating func record(error: String?, at time: Int64) -> Bool {
        lastProbeAt = time
        let was = healthy
        if let error {
            consecutiveFailures += 1
            consecutiveSuccesses = 0
            lastError = error
            if healthy && consecutiveFailures >= failuresToMarkDown { healthy = false }
        } else {
            consecutiveSuccesses += 1
            consecutiveFailures = 0
            if !healthy && consecutiveSuccesses >= successesToMarkUp { healthy = true }
            if healthy { lastError = nil }
        }
        if healthy != was { changedAt = time }
        return healthy != was
    }
}
