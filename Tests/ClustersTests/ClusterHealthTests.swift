@testable import Clusters
import Testing

/// Probe outcomes → health, with hysteresis: traffic moves only on a run of failures, and comes back only
/// on a run of successes.
struct ClusterHealthTests {
    @Test(arguments: [
        // (probe outcomes: "ok" or "x", health after each)
        ("ok ok ok", "up up up"),
        ("x x x", "up up down"),
        ("x x ok x x ok", "up up up up up up"),  // never three failures in a row
        ("x x x ok x ok ok", "up up down down down down up"),  // the count of successes restarts after a failure
        ("x x x x ok ok ok", "up up down down down up up"),
    ])
    func hysteresis(probes: String, expected: String) {
        var health = ClusterHealth()
        var seen: [String] = []
        for (time, probe) in probes.split(separator: " ").enumerated() {
            health.record(error: probe == "ok" ? nil : "GET /readyz: connection refused", at: Int64(time))
            seen.append(health.healthy ? "up" : "down")
        }
        #expect(seen.joined(separator: " ") == expected)
    }

    @Test func remembersWhyAndWhen() {
        var health = ClusterHealth(failuresToMarkDown: 2, successesToMarkUp: 1)
        #expect(health.record(error: "refused", at: 10) == false)
        #expect(health.record(error: "timed out", at: 20) == true)
        #expect(!health.healthy)
        #expect(health.lastError == "timed out")
        #expect(health.changedAt == 20)
        #expect(health.lastProbeAt == 20)
        #expect(health.record(error: nil, at: 30) == true)
        #expect(health.healthy)
        #expect(health.lastError == nil)
        #expect(health.changedAt == 30)
        #expect(ClusterHealth(failuresToMarkDown: 0).failuresToMarkDown == 1)
    }
}
