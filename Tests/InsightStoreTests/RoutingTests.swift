import InsightStore
import Testing

/// The routing table on both backends: replaced whole, read back in order.
@Suite("Routing table")
struct RoutingTests {
    @Test(arguments: Backend.available)
    func replaceAndReadBack(_ backend: Backend) throws {
        let store = try InsightStore(try backend.freshLocation())
        #expect(try store.schemaVersion() >= 2)
        #expect(try store.routing().isEmpty)
        let night1 = [RoutingEntry(project: "ranking", tier: 2, org: "search", cluster: "moka-b", queue: "root.search.ranking.tier2"),
                      RoutingEntry(project: "ledger", tier: 1, org: "payments", cluster: "moka-a", queue: "root.payments.ledger.tier1")]
        try store.replaceRouting(night1, plannedAt: 1)
        #expect(try store.routing() == night1.sorted { ($0.project, $0.tier) < ($1.project, $1.tier) })
        let night2 = [RoutingEntry(project: "ledger", tier: 1, org: "payments", cluster: "moka-b", queue: "root.payments.ledger.tier1")]
        try store.replaceRouting(night2, plannedAt: 2)
        #expect(try store.routing() == night2)
        #expect(try store.route(project: "ledger", tier: 1)?.cluster == "moka-b")
        #expect(try store.route(project: "ranking", tier: 2) == nil)
    }
}
