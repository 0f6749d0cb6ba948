import Timestamps
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

    /// job_apps.csv read in pieces (one per core) must give exactly what a serial read gives: the same rows,
    /// and the same problems at the same lines, even when a quoted field holds a line break near a cut.
    @Test(arguments: [2, 3, 7])
    func jobAppsReadInPiecesEqualsASerialRead(parts: Int) throws {
        var text = "app_id,workflow,job,run_id,scheduled_at\n"
        for i in 0..<400 {
            switch i % 50 {
            case 7: text += "app-\(i),wf,\"multi\nline, job\",wf-\(i / 10),2026-11-20T02:00:00Z\n"
            case 13: text += "app-\(i),wf,job,wf-\(i / 10),yesterday\n"
            case 21: text += "app-\(i),,job,wf-\(i / 10),2026-11-20T02:00:00Z\n"
            default: text += "app-\(i),wf,\"say \"\"hi\"\"\",wf-\(i / 10),2026-11-20T02:00:00Z\n"
            }
        }
        var serial = Mappings()
        let serialProblems = serial.load(.jobApps, text: text, fileName: "job_apps.csv")
        #expect(serialProblems.count == 16)
        let pieces = try #require(Mappings.pieces(of: Array(text.utf8), parts: parts, minimumBytes: 0))
        #expect(pieces.count == parts)
        var read: [Mappings] = []
        var problems: [MappingProblem] = []
        for piece in pieces {
            var mappings = Mappings()
            problems += mappings.load(.jobApps, text: piece.text, fileName: "job_apps.csv", lineOffset: piece.lineOffset)
            read.append(mappings)
        }
        #expect(Mappings().addingJobApps(of: read) == serial)
        #expect(problems == serialProblems)
    }

    @Test func jobAppsRepeatedAcrossPiecesAreLeftToASerialRead() throws {
        var text = "app_id,workflow,job,run_id,scheduled_at\n"
        for i in 0..<100 { text += "app-\(i % 60),wf,job,wf-1,2026-11-20T02:00:00Z\n" }
        let pieces = try #require(Mappings.pieces(of: Array(text.utf8), parts: 2, minimumBytes: 0))
        let read = pieces.map { piece in
            var mappings = Mappings()
            _ = mappings.load(.jobApps, text: piece.text, lineOffset: piece.lineOffset)
            return mappings
        }
        #expect(Mappings().addingJobApps(of: read) == nil)
        #expect(Mappings.pieces(of: Array(text.utf8), parts: 2) == nil, "small files are read whole")
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

/// Byte order is SQLite's BINARY collation: the order rows must come in to be appended to a text key.
struct ByteOrderTests {
    @Test func sortsByUTF8BytesThenBySecondKey() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["a", "b", "z", "A", "0", "-", "é", "ß", "日"]
        let items: [(String, String)] = (0..<2_000).map { _ in
            let length = Int.random(in: 0...20, using: &generator)
            let first = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            return (first, String(Int.random(in: 0...3, using: &generator)))
        }
        let expected = items.sorted { a, b in
            if Array(a.0.utf8) != Array(b.0.utf8) { return Array(a.0.utf8).lexicographicallyPrecedes(Array(b.0.utf8)) }
            return Array(a.1.utf8).lexicographicallyPrecedes(Array(b.1.utf8))
        }
        let sorted = ByteOrder.sorted(items, by: \.0, then: \.1)
        #expect(sorted.map(\.0) == expected.map(\.0))
        #expect(sorted.map(\.1) == expected.map(\.1))
        #expect(ByteOrder.compare("spark-10", "spark-1") > 0)
        #expect(ByteOrder.compare("é", "z") > 0)  // 0xC3 after 0x7A
        #expect(ByteOrder.compare("application_1794009442514_0001", "application_1794009442514_0001") == 0)
    }
}
