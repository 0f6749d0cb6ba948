import Ingest
import Testing

/// Mapping files (row-level errors), timestamps and attribution.
struct MappingsTests {
    @Test func loadsRowsAndNamesEveryBadRow() {
        var mappings = Mappings()
        let problems = mappings.load(.workflows, text: """
            workflow,project,tier,slo_minutes
            ledger-nightly,ledger,1,120
            "search, hourly",search,tier2,30
            bad-tier,ledger,4,60
            bad-slo,ledger,1,soon
            ledger-nightly,ledger,2,60
            short,ledger
            """)
        #expect(mappings.workflows["ledger-nightly"] == Mappings.Workflow(project: "ledger", tier: 1, sloMinutes: 120))
        #expect(mappings.workflows["search, hourly"]?.tier == 2)
        #expect(problems.map(\.line) == [4, 5, 6, 7])
        #expect(problems[0].description == "workflows.csv:4: tier \"4\" is not 1, 2 or 3 (tier1 is the most critical)")
        #expect(problems[1].message.contains("slo_minutes \"soon\""))
        #expect(problems[2].message.contains("listed twice"))
    }

    @Test func headerColumnsInAnyOrderAndMissingColumnsNamed() {
        var mappings = Mappings()
        #expect(mappings.load(.owners, text: "org,owner\npayments,team-ledger\n").isEmpty)
        #expect(mappings.ownerOrgs["team-ledger"] == "payments")
        let missing = mappings.load(.projects, text: "project\nx\n")
        #expect(missing.first?.message.contains("lacks column(s) owner") == true)
        let unterminated = mappings.load(.projects, text: "project,owner\n\"x,y\n")
        #expect(unterminated.first?.line == 2)
    }

    @Test func jobAppsNeedAZonedTime() {
        var mappings = Mappings()
        let problems = mappings.load(.jobApps, text: """
            app_id,workflow,job,run_id,scheduled_at
            spark-1,w,load,r1,2026-11-20T02:00:00Z
            spark-2,w,load,r1,2026-11-20T02:00:00
            spark-3,w,load,r2,2026-11-20T03:00:00.5+01:00
            """)
        #expect(problems.map(\.line) == [3])
        #expect(mappings.jobApps["spark-1"]?.scheduledAt == Timestamp.parse("2026-11-20T02:00:00Z"))
        #expect(mappings.jobApps["spark-3"]?.scheduledAt == Timestamp.parse("2026-11-20T02:00:00.500Z"))
    }

    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2026-11-20T02:00:00Z", Int64(1_795_140_000_000)),
        ("2024-02-29T23:59:59.999Z", Int64(1_709_251_199_999)),
        ("2026-11-20", Int64(1_795_132_800_000)),
        ("2026-11-20 02:00:00-0130", Int64(1_795_145_400_000)),
    ])
    func timestamps(text: String, millis: Int64) {
        #expect(Timestamp.parse(text) == millis)
    }

    @Test(arguments: ["2026-02-30T00:00:00Z", "2026-11-20T25:00:00Z", "20261120", "2026-11-20T02:00Z", "yesterday"])
    func badTimestamps(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test func formatsRoundTrip() {
        for millis: Int64 in [0, 1_795_140_000_000, 1_709_251_199_999, -86_400_001] {
            #expect(Timestamp.parse(Timestamp.format(millis)) == millis)
        }
    }

    @Test func attributionFollowsTheChainThenTheQueueThenGivesUp() {
        var mappings = Mappings()
        mappings.load(.workflows, text: "workflow,project,tier,slo_minutes\nw,ledger,1,60\norphan,nobody,2,60\n")
        mappings.load(.projects, text: "project,owner\nledger,team\n")
        mappings.load(.owners, text: "owner,org\nteam,payments\n")
        mappings.load(.jobApps, text: "app_id,workflow,job,run_id,scheduled_at\na1,w,j,r,2026-11-20T00:00:00Z\na2,orphan,j,r,2026-11-20T00:00:00Z\n")
        let viaRun = mappings.attribute(applicationID: "a1", queue: "root.default")
        #expect(viaRun.basis == .jobApps)
        #expect(viaRun.demandQueue(ranIn: "root.default") == "root.payments.ledger.tier1")
        // A broken chain (no owner for the project) falls back to the queue path.
        #expect(mappings.attribute(applicationID: "a2", queue: "root.search.index.tier3")
            == Attribution(basis: .queue, org: "search", project: "index", tier: 3))
        #expect(mappings.attribute(applicationID: "a3", queue: "root.search.index.tier4").basis == .unattributed)
        #expect(mappings.attribute(applicationID: "a3", queue: "root.search.tier1").basis == .unattributed)
        #expect(mappings.attribute(applicationID: "a3", queue: "root.a.b.tier10").basis == .unattributed)
    }
}
