import InsightStore
import Testing

/// The nightly plan archive on both backends: a night's plan and routing committed in one transaction, replaced
/// by a rerun of the night (keeping its baseline), looked up by night, rolled back whole by a failure before
/// COMMIT; committed plan ids are remembered.
@Suite("Plan archive")
struct PlanArchiveTests {
    let routes = [RoutingEntry(project: "ledger", tier: 1, org: "payments", cluster: "moka-a", queue: "root.payments.ledger.tier1")]

    func plan(_ night: String, _ id: String, configs: [String: String], baseline: [String: String]? = nil,
              previous: String = "none", previousNight: String? = nil) -> ArchivedPlan {
        ArchivedPlan(night: night, planID: id, plannedAt: 1_763_700_000_000, windowStart: 1_762_473_600_000,
                     windowEnd: 1_763_683_200_000, previousSource: previous, previousNight: previousNight,
                     configs: configs, baseline: baseline)
    }

    @Test(arguments: Backend.available)
    func archiveReplaceAndLookUp(_ backend: Backend) throws {
        let store = try InsightStore(try backend.freshLocation())
        #expect(try store.archivedNights().isEmpty)
        #expect(try store.newestArchivedPlan(before: "2025-11-20") == nil)
        var first = plan("2025-11-20", "p1", configs: ["moka-a": "a: 1\n", "moka-b": "b: 'é'\n"], baseline: ["moka-a": "old\n"], previous: "baseline")
        first.bindings = ["moka-a": "root.payments.ledger.tier1\tvcore\tdemand met\n"]
        try store.commitPlan(first, routing: routes)
        #expect(try store.archivedPlan(night: "2025-11-20") == first)
        #expect(try store.routing() == routes)
        #expect(try store.isPlanCommitted("p1"))
        #expect(try !store.isPlanCommitted("p2"))

        // A rerun of the night replaces its plan and keeps its baseline; the first id stays committed.
        let rerun = plan("2025-11-20", "p2", configs: ["moka-a": "a: 2\n"], previous: "baseline")
        try store.commitPlan(rerun, routing: [])
        var expected = rerun
        expected.baseline = ["moka-a": "old\n"]
        #expect(try store.archivedPlan(night: "2025-11-20") == expected)
        #expect(try store.routing().isEmpty)
        #expect(try store.isPlanCommitted("p1") && store.isPlanCommitted("p2"))

        let next = plan("2025-11-22", "p3", configs: ["moka-a": "a: 3\n"], previous: "night", previousNight: "2025-11-20")
        try store.commitPlan(next, routing: routes)
        #expect(try store.archivedNights() == ["2025-11-20", "2025-11-22"])
        #expect(try store.newestArchivedPlan(before: "2025-11-22")?.planID == "p2")
        #expect(try store.newestArchivedPlan(before: "2025-11-21")?.planID == "p2")
        #expect(try store.newestArchivedPlan(before: "2025-11-23") == next)
        #expect(try store.newestArchivedPlan(before: "2025-11-20") == nil)
        #expect(try store.earliestArchivedBaseline()?.night == "2025-11-20")

        // A baseline of no files at all is kept as such (an empty map, not nil).
        try store.commitPlan(plan("2025-11-10", "p4", configs: [:], baseline: [:]), routing: routes)
        #expect(try store.archivedPlan(night: "2025-11-10")?.baseline == [:])
        #expect(try store.earliestArchivedBaseline()?.night == "2025-11-10")
    }

    @Test(arguments: Backend.available)
    func failureBeforeCommitLeavesRoutingAndArchive(_ backend: Backend) throws {
        struct Injected: Error {}
        let store = try InsightStore(try backend.freshLocation())
        let first = plan("2025-11-20", "p1", configs: ["moka-a": "a: 1\n"], baseline: [:])
        try store.commitPlan(first, routing: routes)
        #expect(throws: Injected.self) {
            try store.commitPlan(plan("2025-11-20", "p2", configs: ["moka-a": "a: 2\n"], baseline: ["moka-a": "x\n"]),
                                 routing: []) { throw Injected() }
        }
        #expect(try store.archivedPlan(night: "2025-11-20") == first)
        #expect(try store.routing() == routes)
        #expect(try !store.isPlanCommitted("p2"))
    }
}
