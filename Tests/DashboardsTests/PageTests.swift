@testable import Dashboards
import Foundation
import Insights
import InsightStore
import Testing

/// The pages on a history whose truth is known by construction: three tier-1 workflows over 7 days, one of
/// which missed one day (6 of 7 days met: below the 90% it needs), so 2 of 3 attain; the charts' numbers and the
/// tables behind them must say exactly that, and every link must lead to a view that renders.
@Suite(.serialized)
struct PageTests {
    static let day: Int64 = 86_400_000
    /// 2026-11-24T00:00Z; the window is the 7 days from it.
    static let start: Int64 = 1_795_478_400_000

    struct NoDetails: WorkflowDetailSource {
        var attempts: [JobAttempt] = []
        func jobAttempts(workflow: String, from: Int64, to: Int64) throws -> [JobAttempt] {
            attempts.filter { $0.runID.hasPrefix(workflow) && $0.scheduledAt >= from && $0.scheduledAt < to }
        }
    }

    static func run(_ workflow: String, day: Int, minutes: Double, slo: Int = 60, tier: Int = 1, org: String = "payments") -> WorkflowRun {
        let scheduled = start + Int64(day) * Self.day + 2 * 3_600_000
        let finished = scheduled + Int64(minutes * 60_000)
        return WorkflowRun(workflow: workflow, runID: "\(workflow)-\(day)", project: "ledger", org: org, tier: tier, scheduledAt: scheduled,
                           sloMinutes: slo, startedAt: scheduled, finishedAt: finished, appsExpected: 3, appsFinished: 3,
                           outcome: minutes <= Double(slo) ? .met : .missed)
    }

    static func snapshot() -> DashboardSnapshot {
        var runs: [WorkflowRun] = []
        for day in 0..<7 {
            runs.append(run("alpha", day: day, minutes: 30))
            runs.append(run("bravo", day: day, minutes: day == 3 ? 75 : 40))
            runs.append(run("charlie", day: day, minutes: 50))
            runs.append(run("delta", day: day, minutes: 10, tier: 2, org: "search"))
        }
        let submissions = [
            SubmissionHour(hour: start + 6 * day + 3_600_000, cluster: "moka-a", source: "rule", state: "submitted", count: 5),
            SubmissionHour(hour: start + 6 * day + 3_600_000, cluster: "moka-b", source: "routing-table", state: "submitted", count: 7),
            SubmissionHour(hour: start + 6 * day + 3_600_000, cluster: "moka-b", source: "routing-table", state: "failed", count: 2),
        ]
        return DashboardSnapshot(asOf: start + 7 * day, windowEnd: start + 7 * day, days: 30, runs: runs.sorted { $0.scheduledAt < $1.scheduledAt },
                                 activeRuns: [], newestFinish: start + 7 * day - 1000, lastRead: nil, lastPlan: nil,
                                 submissions: submissions, fleet: FleetHistory())
    }

    static func row(_ table: DataTable?, _ first: String, _ second: String? = nil) -> [Cell]? {
        table?.rows.first { $0.first?.text == first && (second == nil || $0.dropFirst().first?.text == second) }
    }

    @Test func theOverviewSaysTwoOfThreeTierOneWorkflowsAttain() throws {
        let site = DashboardSite()
        let page = try site.page(DashboardView(.overview), snapshot: Self.snapshot(), details: NoDetails(), linker: .server)
        let table = page.tables.first { $0.id == "attainment" }
        let tier1 = try #require(Self.row(table, "Tier 1", "7"))
        #expect(tier1[2].value == 3 && tier1[3].value == 2)
        #expect(tier1[4].value == 2.0 / 3.0)
        #expect(tier1[7].text == "no")
        #expect(Self.row(table, "Tier 2", "7")?[4].value == 1)
        // The chart draws the same figure, as a percentage, against the 90% goal line.
        let chart = try #require(page.sections.first { $0.id == "attainment" }?.chart)
        #expect(chart.contains("data-value=\"\(Format.exact(2.0 / 3.0 * 100))\" data-label=\"T1 7d\""))
        #expect(chart.contains("class=\"goal\" data-value=\"90\""))
        #expect(page.tiles.first?.value == "66.7%")
        #expect(page.tiles.first?.href == "slo?days=7&tier=1")
        let missed = try #require(page.tables.first { $0.id == "missed-runs" })
        #expect(missed.rows.count == 1)
        #expect(missed.rows[0][0].href == "workflow?name=bravo#day-2026-11-27")
        #expect(missed.rows[0][6].value == 15)
    }

    @Test func theMatrixMarksTheMissedDayAndLinksToItsRuns() throws {
        let page = try DashboardSite().page(DashboardView(.slo, ["tier": "1", "days": "7"]), snapshot: Self.snapshot(),
                                            details: NoDetails(), linker: .export())
        let matrix = try #require(page.tables.first { $0.id == "slo-matrix" })
        #expect(matrix.rows.map { $0[0].text } == ["alpha", "bravo", "charlie"])
        let bravo = try #require(Self.row(matrix, "bravo"))
        #expect(bravo.dropFirst(3).map(\.value) == [1, 1, 1, 0, 1, 1, 1])
        #expect(bravo[6].className == "missed" && bravo[6].text == "missed")
        let chart = try #require(page.sections.first { $0.id == "matrix" }?.chart)
        #expect(chart.contains("<a href=\"workflow~name=bravo.html#day-2026-11-27\"><title>bravo, 2026-11-27: missed</title>"))
        // Orgs and tiers: payments tier 1 met by 2 of 3 on the 27th.
        let summary = try #require(page.tables.first { $0.id == "slo-by-org" })
        #expect(summary.rows.count == 1)
        #expect(summary.rows[0].dropFirst(3).map(\.value)[3] == 2.0 / 3.0)
        // Unfiltered, the roll-up is a row a tier, leading to that tier's orgs.
        let all = try DashboardSite().page(DashboardView(.slo, ["days": "7"]), snapshot: Self.snapshot(), details: NoDetails(), linker: .server)
        let tiers = try #require(all.tables.first { $0.id == "slo-by-org" })
        #expect(tiers.rows.allSatisfy { $0[0].text == "all orgs" } && tiers.rows.map { $0[1].value } == Array(Set(tiers.rows.map { $0[1].value })).sorted { ($0 ?? 0) < ($1 ?? 0) })
        #expect(tiers.rows.first { $0[1].value == 1 }?[0].href == "slo?days=7&tier=1")
    }

    @Test func theWorkflowPageShowsRuntimeAgainstTheDeadline() throws {
        let attempts = [JobAttempt(runID: "bravo-3", scheduledAt: Self.start + 3 * Self.day + 7_200_000, job: "extract", appID: "a1",
                                   state: "Failed", submittedAt: nil, finishedAt: nil, cluster: nil, queue: nil),
                        JobAttempt(runID: "bravo-3", scheduledAt: Self.start + 3 * Self.day + 7_200_000, job: "extract", appID: "a2",
                                   state: "Completed", submittedAt: nil, finishedAt: nil, cluster: nil, queue: nil)]
        let page = try DashboardSite().page(DashboardView(.workflow, ["name": "bravo"]), snapshot: Self.snapshot(),
                                            details: NoDetails(attempts: attempts), linker: .server)
        let runs = try #require(page.tables.first { $0.id == "runs" })
        #expect(runs.rows.count == 7)
        let late = try #require(runs.rows.first { $0[0].text == "bravo-3" })
        #expect(late[4].value == 75 && late[5].value == 15 && late[3].text == "missed")
        #expect(runs.anchors.compactMap { $0 }.count == 7)
        let jobs = try #require(page.tables.first { $0.id == "jobs" })
        #expect(jobs.columns == ["Run", "Scheduled", "extract"])
        #expect(jobs.rows.first?[2].text == "succeeded (2)")
        #expect(page.sections.contains { $0.id == "late-run" }, "a late run gets its queue's section (empty without usage)")
        #expect(throws: DashboardRequestError.self) {
            try DashboardSite().page(DashboardView(.workflow, ["name": "nobody"]), snapshot: Self.snapshot(), details: NoDetails(), linker: .server)
        }
    }

    @Test func theRouterPageCountsSubmissionsBySourceAndFailures() throws {
        let page = try DashboardSite().page(DashboardView(.router, ["days": "1"]), snapshot: Self.snapshot(), details: NoDetails(), linker: .server)
        #expect(page.subtitle.hasPrefix("14 submissions in the last 1 day"))
        let chart = try #require(page.sections.first { $0.id == "failures" }?.chart)
        #expect(chart.contains("class=\"missed\" data-value=\"2\""))
        let bySource = try #require(page.sections.first { $0.id == "by-source" }?.chart)
        #expect(bySource.contains("data-value=\"5\"") && bySource.contains("data-value=\"9\""))
        #expect(throws: DashboardRequestError.self) {
            try DashboardSite().page(DashboardView(.router, ["cluster": "nowhere"]), snapshot: Self.snapshot(), details: NoDetails(), linker: .server)
        }
    }

    @Test func theHTMLEscapesWhatCallersWrote() throws {
        var snapshot = Self.snapshot()
        snapshot.runs.append(Self.run("<script>alert(1)</script>", day: 6, minutes: 99, org: "\"><img src=x>"))
        let site = DashboardSite()
        for view in [DashboardView(.overview), DashboardView(.slo), DashboardView(.workflow, ["name": "<script>alert(1)</script>"])] {
            let page = try site.page(view, snapshot: snapshot, details: NoDetails(), linker: .server)
            let html = site.html(page, snapshot: snapshot, linker: .server, session: nil)
            #expect(!html.contains("<script>"), "\(view)")
            #expect(!html.contains("<img src=x>"), "\(view)")
        }
    }

    @Test func theExportWritesEveryLinkedViewAndEveryLinkResolves() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-export-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let summary = try DashboardExport.write(to: folder, snapshot: Self.snapshot(), details: NoDetails())
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
        #expect(files.contains("index.html") && files.contains(DashboardExport.marker))
        #expect(summary.files == files.count - 1)
        // The CPU it reports by stage (`BURSAR_TRACE=1`): every stage counted, none negative.
        let cpu = summary.cpu
        #expect([cpu.models, cpu.layoutValues, cpu.template, cpu.csvAndJSON, cpu.links, cpu.writing].allSatisfy { $0 >= 0 })
        #expect(cpu.models > 0 && cpu.template > 0 && cpu.writing > 0)
        // Every relative link of every page names a file of the export.
        let link = try Regex(##"href="([^"#]+)(#[^"]*)?""##)
        var checked = 0
        for name in files where name.hasSuffix(".html") {
            let html = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            for match in html.matches(of: link) {
                let target = String(match.output[1].substring!)
                guard !target.hasPrefix("data:") else { continue }  // the empty icon, inline
                #expect(files.contains(target), "\(name) links to \(target)")
                checked += 1
            }
        }
        #expect(checked > 100)
        #expect(files.contains("workflow~name=bravo.html") && files.contains("slo~tier=1.html"))
        // ...and every page written is reached by following links from index.html.
        var reached: Set<String> = ["index.html"], frontier = ["index.html"]
        while let name = frontier.popLast() {
            let html = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            for match in html.matches(of: link) {
                let target = String(match.output[1].substring!)
                if target.hasSuffix(".html"), reached.insert(target).inserted { frontier.append(target) }
            }
        }
        #expect(reached == Set(files.filter { $0.hasSuffix(".html") }))

        // What a killed export left beside it is cleared: a half-written staging folder, and an earlier export
        // set aside by an interrupted swap (put back first, here where OUT was gone, then replaced).
        let parent = folder.deletingLastPathComponent()
        let staged = parent.appendingPathComponent(".\(folder.lastPathComponent).partial-999999")
        try FileManager.default.createDirectory(at: staged, withIntermediateDirectories: true)
        try Data("torn".utf8).write(to: staged.appendingPathComponent("index.html"))
        let aside = parent.appendingPathComponent(".\(folder.lastPathComponent).old-999998")
        try FileManager.default.moveItem(at: folder, to: aside)
        // Again: the earlier export is replaced whole. A folder holding other files is never touched.
        _ = try DashboardExport.write(to: folder, snapshot: Self.snapshot(), details: NoDetails())
        #expect(!FileManager.default.fileExists(atPath: staged.path) && !FileManager.default.fileExists(atPath: aside.path))
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == files)
        let other = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-other-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: other.appendingPathComponent("notes.txt"))
        defer { try? FileManager.default.removeItem(at: other) }
        #expect(throws: DashboardExportError.self) {
            try DashboardExport.write(to: other, snapshot: Self.snapshot(), details: NoDetails())
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: other.path) == ["notes.txt"])
    }
}
