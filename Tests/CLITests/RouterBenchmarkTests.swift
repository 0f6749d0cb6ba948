import Testing
@testable import bursar

/// The routing benchmark. It prints the rate and asserts nothing about time (a shared machine's speed says
/// nothing about the code); run it in release: `swift test -c release --filter RouterBenchmark`.
struct RouterBenchmarkTests {
    @Test("RouterBenchmark: decisions per second on a realistic snapshot")
    func benchmark() {
        let clock = ContinuousClock()
        let origin = clock.now
        let nanoseconds: () -> UInt64 = {
            let elapsed = origin.duration(to: clock.now)
            return UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
        }
        #if DEBUG
        let decisions = 100_000
        #else
        let decisions = 2_000_000
        #endif
        let report = RouterBenchmark.run(rules: 200, projects: 10_000, decisions: decisions, clock: nanoseconds)
        print(report)
        // The inputs must exercise every path, or the figure means little.
        #expect(report.bySource["rule", default: 0] > 0)
        #expect(report.bySource["routing-table", default: 0] > 0)
        #expect(report.bySource["onboarding", default: 0] > 0)
        #expect(report.fallbacks > 0)
        #expect(report.noHealthyCluster > 0)
        #expect(report.rules == 200 && report.routes > 29_000)
    }
}
