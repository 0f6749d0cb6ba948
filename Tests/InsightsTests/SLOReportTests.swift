import Foundation
import Testing
@testable import Insights

/// Builds workflow runs for the SLO report tests; outcomes come from `WorkflowRun.outcome`, the rule the
/// ingest side applies.
enum SLORuns {
    /// How a run ended by the newest data.
    enum End {
        /// Every application finished, the last one this many minutes after the scheduled time.
        case finished(minutes: Int)
        /// Still running, deadline not passed: pending.
        case running
        /// Still running, deadline passed: missed with nothing finished.
        case overdue
    }

    static func day(_ date: String) -> Int64 {
        try! SLOReport.Window.startOfDay(parsing: date)
    }

    static func run(_ workflow: String, _ date: String, minuteOfDay: Int = 120, _ end: End, tier: Int = 1,
                    slo: Int = 60, project: String = "ledger", org: String = "payments", id: String? = nil) -> WorkflowRun {
        let scheduledAt = day(date) + Int64(minuteOfDay) * 60_000
        let deadline = scheduledAt + Int64(slo) * 60_000
        let finishedAt: Int64?, newestData: Int64
        switch end {
        case let .finished(minutes): finishedAt = scheduledAt + Int64(minutes) * 60_000; newestData = finishedAt!
        case .running: finishedAt = nil; newestData = deadline - 1
        case .overdue: finishedAt = nil; newestData = deadline + 1
        }
        let finished = finishedAt != nil
        return WorkflowRun(workflow: workflow, runID: id ?? "\(workflow)@\(date)T\(minuteOfDay)", project: project,
                           org: org, tier: tier, scheduledAt: scheduledAt, sloMinutes: slo,
                           startedAt: finished ? scheduledAt : nil, finishedAt: finishedAt, appsExpected: 1,
                           appsFinished: finished ? 1 : 0,
                           outcome: WorkflowRun.outcome(deadline: deadline, finishedAt: finishedAt, appsExpected: 1,
                                                        appsFinished: finished ? 1 : 0, newestData: newestData))
    }

    /// `days` consecutive days from 2024-01-01, one run a day, the first `met` of them on time.
    static func daily(_ workflow: String, days: Int, met: Int, tier: Int = 1) -> [WorkflowRun] {
        (0..<days).map { index in
            run(workflow, SLOReport.Window.date(ofDay: day("2024-01-01") / 86_400_000 + Int64(index)),
                .finished(minutes: index < met ? 30 : 90), tier: tier)
        }
    }

    static func window(until date: String, days: Int) -> SLOReport.Window {
        try! SLOReport.Window(endingOnDayOf: day(date), days: days)
    }

    static func report(_ runs: [WorkflowRun], until date: String = "2024-12-31", days: Int = 366,
                       options: SLOReport.Options = .platformGoal) -> SLOReport {
        SLOReport(runs: runs, window: window(until: date, days: days), options: options)
    }
}

struct SLOReportTests {
    // MARK: Day attainment threshold

    struct AttainmentCase: Sendable, CustomTestStringConvertible {
        let days: Int
        let met: Int
        let attains: Bool
        var testDescription: String { "\(met) of \(days) days" }
    }

    @Test("a workflow attains at 90% of its days or more", arguments: [
        AttainmentCase(days: 10, met: 9, attains: true),
        AttainmentCase(days: 10, met: 10, attains: true),
        AttainmentCase(days: 30, met: 27, attains: true),
        AttainmentCase(days: 20, met: 18, attains: true),
        AttainmentCase(days: 100, met: 90, attains: true),
        AttainmentCase(days: 100, met: 89, attains: false),
        AttainmentCase(days: 29, met: 26, attains: false),
        AttainmentCase(days: 10, met: 8, attains: false),
        AttainmentCase(days: 1, met: 1, attains: true),
        AttainmentCase(days: 1, met: 0, attains: false),
    ])
    func dayAttainment(_ testCase: AttainmentCase) throws {
        let report = SLORuns.report(SLORuns.daily("etl", days: testCase.days, met: testCase.met))
        let workflow = try #require(report.workflows.first)
        #expect(workflow.days == testCase.days)
        #expect(workflow.daysMet == testCase.met)
        #expect(workflow.attains == testCase.attains)
        #expect(report.tiers[0].workflowsAttaining == (testCase.attains ? 1 : 0))
    }

    @Test("the day threshold is a parameter")
    func customThreshold() throws {
        let runs = SLORuns.daily("etl", days: 4, met: 3)
        #expect(SLORuns.report(runs).workflows[0].attains == false)
        let lenient = try SLOReport.Options(dayAttainmentThreshold: 0.75)
        #expect(SLORuns.report(runs, options: lenient).workflows[0].attains == true)
        let strict = try SLOReport.Options(dayAttainmentThreshold: 0.975, goalShare: 0.925)
        #expect(SLORuns.report(runs, options: strict).text().contains("Goal (92.5%)"))
        #expect(SLORuns.report(runs, options: strict).text().contains("on at least 97.5% of their days; the goal is 92.5%."))
    }

    // MARK: How runs and days are judged

    @Test("pending runs are left out of rates and days but counted")
    func pendingExcluded() throws {
        let runs = [
            SLORuns.run("etl", "2024-03-01", .finished(minutes: 30)),
            SLORuns.run("etl", "2024-03-02", .finished(minutes: 30)),
            SLORuns.run("etl", "2024-03-02", minuteOfDay: 600, .running),
            SLORuns.run("etl", "2024-03-03", .running),
            SLORuns.run("new", "2024-03-03", .running, tier: 2),
        ]
        let report = SLORuns.report(runs, until: "2024-03-03", days: 3)
        let etl = try #require(report.workflows.first { $0.workflow == "etl" })
        #expect((etl.runs, etl.runsMet, etl.pending) == (2, 2, 2))
        #expect((etl.days, etl.daysMet) == (2, 2))
        #expect(etl.onTimeRate == 1)
        #expect(etl.attains == true)
        #expect(report.totals == SLOReport.Totals(runs: 2, runsMet: 2, pending: 3, workflows: 1))

        // A workflow with only pending runs is listed without verdict and not counted in its tier.
        let new = try #require(report.workflows.first { $0.workflow == "new" })
        #expect(new.runs == 0 && new.pending == 1)
        #expect(new.onTimeRate == nil && new.dayAttainment == nil && new.attains == nil)
        #expect(report.tiers[1].workflows == 0 && report.tiers[1].pending == 1 && report.tiers[1].goalMet == nil)
    }

    @Test("a run whose deadline passed with applications unfinished is missed")
    func overdueIsMissed() throws {
        let runs = [
            SLORuns.run("etl", "2024-03-01", .finished(minutes: 30)),
            SLORuns.run("etl", "2024-03-02", .overdue),
        ]
        #expect(runs[1].outcome == .missed)
        let report = SLORuns.report(runs, until: "2024-03-02", days: 2)
        let etl = try #require(report.workflows.first)
        #expect((etl.runs, etl.runsMet, etl.runsMissed, etl.missedUnfinished) == (2, 1, 1, 1))
        #expect((etl.days, etl.daysMet) == (2, 1))
        #expect(etl.worstLatenessMinutes == nil, "an unfinished run's lateness is not known yet")
        #expect(report.worstOffenders.map(\.workflow) == ["etl"])
        #expect(report.text().contains("unfinished"))
    }

    @Test("one late run out of two makes a missed day")
    func oneLateRunMissesTheDay() throws {
        let runs = [
            SLORuns.run("etl", "2024-03-01", minuteOfDay: 60, .finished(minutes: 30)),
            SLORuns.run("etl", "2024-03-01", minuteOfDay: 720, .finished(minutes: 75)),
            SLORuns.run("etl", "2024-03-02", .finished(minutes: 60)),
        ]
        let etl = try #require(SLORuns.report(runs, until: "2024-03-02", days: 2).workflows.first)
        #expect((etl.runs, etl.runsMet) == (3, 2))
        #expect((etl.days, etl.daysMet) == (2, 1))
        #expect(etl.worstLatenessMinutes == 15)
        #expect(etl.attains == false)
    }

    @Test("median runtime covers finished runs; worst lateness the finished missed ones")
    func medianAndLateness() throws {
        let runs = [30, 50, 90, 120].enumerated().map { index, minutes in
            SLORuns.run("etl", "2024-03-0\(index + 1)", .finished(minutes: minutes))
        } + [SLORuns.run("etl", "2024-03-05", .overdue), SLORuns.run("etl", "2024-03-06", .running)]
        let etl = try #require(SLORuns.report(runs, until: "2024-03-06", days: 6).workflows.first)
        #expect(etl.medianRuntimeMinutes == 70)
        #expect(etl.worstLatenessMinutes == 60)
        #expect((etl.runs, etl.runsMet, etl.pending, etl.missedUnfinished) == (5, 2, 1, 1))

        let odd = try #require(SLORuns.report(Array(runs.prefix(3)), until: "2024-03-06", days: 6).workflows.first)
        #expect(odd.medianRuntimeMinutes == 50)
        #expect(odd.worstLatenessMinutes == 30)
    }

    @Test("a workflow re-mapped mid-window is reported once, under its newest run's mapping")
    func newestMappingWins() throws {
        let runs = [
            SLORuns.run("etl", "2024-03-02", .finished(minutes: 30), tier: 1, slo: 60, project: "ledger-v2"),
            SLORuns.run("etl", "2024-03-01", .finished(minutes: 30), tier: 2, slo: 45, project: "ledger"),
        ]
        let report = SLORuns.report(runs, until: "2024-03-02", days: 2)
        #expect(report.workflows.count == 1)
        let etl = try #require(report.workflows.first)
        #expect((etl.project, etl.tier, etl.sloMinutes, etl.runs) == ("ledger-v2", 1, 60, 2))
    }

    @Test("a tier outside 1…3 gets its own row after the three standard ones")
    func unusualTier() {
        let report = SLORuns.report([SLORuns.run("odd", "2024-03-01", .finished(minutes: 10), tier: 4)],
                                    until: "2024-03-01", days: 1)
        #expect(report.tiers.map(\.tier) == [1, 2, 3, 4])
        #expect(report.tiers[3].workflows == 1)
    }

    // MARK: Window

    struct BoundaryCase: Sendable, CustomTestStringConvertible {
        let instant: String
        let millisOffset: Int64
        let inside: Bool
        var testDescription: String { "\(instant) \(millisOffset >= 0 ? "+" : "")\(millisOffset) ms" }
    }

    @Test("the window covers whole UTC days, first midnight inside, the midnight after the last day outside",
          arguments: [
              BoundaryCase(instant: "2024-03-08", millisOffset: -1, inside: false),
              BoundaryCase(instant: "2024-03-08", millisOffset: 0, inside: true),
              BoundaryCase(instant: "2024-03-10", millisOffset: 86_400_000 - 1, inside: true),
              BoundaryCase(instant: "2024-03-11", millisOffset: 0, inside: false),
              BoundaryCase(instant: "2024-03-09", millisOffset: 43_200_000, inside: true),
          ])
    func windowBoundary(_ testCase: BoundaryCase) {
        let window = SLORuns.window(until: "2024-03-10", days: 3)
        #expect((window.from, window.until, window.days) == ("2024-03-08", "2024-03-10", 3))
        let instant = SLORuns.day(testCase.instant) + testCase.millisOffset
        #expect(window.contains(instant) == testCase.inside)

        var run = SLORuns.run("etl", "2024-03-09", .finished(minutes: 10))
        run.scheduledAt = instant
        let report = SLOReport(runs: [run], window: window)
        #expect(report.totals.runs == (testCase.inside ? 1 : 0))
    }

    @Test("the window ends on the UTC day of the instant it is given, whatever its time of day")
    func windowFromInstant() throws {
        let lastMillisecond = SLORuns.day("2024-03-10") + 86_400_000 - 1
        let window = try SLOReport.Window(endingOnDayOf: lastMillisecond, days: 30)
        #expect((window.from, window.until) == ("2024-02-10", "2024-03-10"))
        #expect(window.startMillis == SLORuns.day("2024-02-10"))
        #expect(window.endMillis == SLORuns.day("2024-03-11"))
        #expect(try SLOReport.Window(endingOnDayOf: 0).days == SLOReport.Window.defaultDays)
        #expect(try SLOReport.Window(endingOnDayOf: -1, days: 1).until == "1969-12-31")
    }

    @Test("the newest run's scheduled time is where the default window ends")
    func defaultEnd() throws {
        let runs = [SLORuns.run("a", "2024-03-01", .finished(minutes: 10)),
                    SLORuns.run("b", "2024-03-04", minuteOfDay: 1_439, .running),
                    SLORuns.run("c", "2024-03-02", .finished(minutes: 10))]
        let newest = try #require(SLOReport.newestScheduledAt(in: runs))
        let report = SLOReport(runs: runs, window: try SLOReport.Window(endingOnDayOf: newest, days: 2))
        #expect(report.window.until == "2024-03-04")
        #expect((report.totals.runs, report.totals.pending) == (0, 1))
        #expect(SLOReport.newestScheduledAt(in: []) == nil)
    }

    @Test("an --until before all data gives an empty but valid report")
    func untilBeforeData() throws {
        let report = SLORuns.report(SLORuns.daily("etl", days: 10, met: 5), until: "2023-12-31", days: 30)
        #expect(report.totals == SLOReport.Totals(runs: 0, runsMet: 0, pending: 0, workflows: 0))
        #expect(report.workflows.isEmpty && report.worstOffenders.isEmpty)
        #expect(report.tiers.map(\.tier) == [1, 2, 3])
        #expect(report.tiers.allSatisfy { $0.workflows == 0 && $0.goalMet == nil && $0.shareAttaining == nil })
        #expect(report.text().contains("No runs in the window."))
        #expect(report.csv() == SLOReportTests.csvHeader + "\r\n")

        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        let totals = try #require(json["totals"] as? [String: Any])
        #expect(totals["runs"] as? Int == 0)
        #expect(totals["runs_met"] as? Int == 0)
        #expect(totals["pending"] as? Int == 0)
        #expect(totals["workflows"] as? Int == 0)
        #expect(totals["on_time_rate"] is NSNull)
        #expect((json["workflows"] as? [Any])?.isEmpty == true)
        #expect((json["tiers"] as? [Any])?.count == 3)
    }

    struct DateCase: Sendable, CustomTestStringConvertible {
        let text: String
        let day: Int64?
        var testDescription: String { "\"\(text)\"" }
    }

    @Test("--until dates are strict YYYY-MM-DD calendar dates", arguments: [
        DateCase(text: "1970-01-01", day: 0),
        DateCase(text: "1969-12-31", day: -1),
        DateCase(text: "2000-02-29", day: 11_016),
        DateCase(text: "2024-02-29", day: 19_782),
        DateCase(text: "0001-01-01", day: -719_162),
        DateCase(text: "9999-12-31", day: 2_932_896),
        DateCase(text: "2023-02-29", day: nil),
        DateCase(text: "1900-02-29", day: nil),
        DateCase(text: "2024-04-31", day: nil),
        DateCase(text: "2024-13-01", day: nil),
        DateCase(text: "2024-00-10", day: nil),
        DateCase(text: "0000-01-01", day: nil),
        DateCase(text: "2024-3-01", day: nil),
        DateCase(text: "2024-03-01T00:00", day: nil),
        DateCase(text: "2024/03/01", day: nil),
        DateCase(text: "２０２４-03-01", day: nil),
        DateCase(text: "", day: nil),
    ])
    func parseDate(_ testCase: DateCase) {
        do throws(SLOReportError) {
            let millis = try SLOReport.Window.startOfDay(parsing: testCase.text)
            #expect(millis == testCase.day.map { $0 * 86_400_000 })
            #expect(SLOReport.Window.date(ofDay: millis / 86_400_000) == testCase.text)
        } catch {
            #expect(testCase.day == nil)
            #expect(error.kind == .invalidDate)
            #expect(error.description.contains("YYYY-MM-DD"))
        }
    }

    @Test("day numbers and dates round-trip across leap years and eras")
    func dateRoundTrip() throws {
        for day in stride(from: Int64(-719_162), through: 2_932_896, by: 997) {
            let text = SLOReport.Window.date(ofDay: day)
            #expect(try SLOReport.Window.startOfDay(parsing: text) == day * 86_400_000, "\(text)")
        }
    }

    @Test("bad window and option values are refused with a kind")
    func badSettings() throws {
        func kind(_ body: () throws -> Void) -> SLOReportError.Kind? {
            (#expect(throws: SLOReportError.self, performing: body))?.kind
        }
        #expect(kind { _ = try SLOReport.Window(endingOnDayOf: 0, days: 0) } == .invalidDays)
        #expect(kind { _ = try SLOReport.Window(endingOnDayOf: 0, days: -3) } == .invalidDays)
        #expect(kind { _ = try SLOReport.Window(endingOnDayOf: 0, days: 1_000_000) } == .dateOutOfRange)
        #expect(kind { _ = try SLOReport.Window(endingOnDayOf: .max, days: 1) } == .dateOutOfRange)
        #expect(kind { _ = try SLOReport.Options(dayAttainmentThreshold: 1.5) } == .invalidThreshold)
        #expect(kind { _ = try SLOReport.Options(goalShare: .nan) } == .invalidThreshold)
        #expect(kind { _ = try SLOReport.Options(goalTier: 0) } == .invalidTier)
        #expect(kind { _ = try SLOReport.Options(worstOffenderLimit: -1) } == .invalidLimit)
        #expect(throws: Never.self) { try SLOReport.Options(dayAttainmentThreshold: 0, goalShare: 1) }
        #expect(try SLOReport.Options() == .platformGoal)
    }

    // MARK: Tier goal

    struct GoalCase: Sendable, CustomTestStringConvertible {
        let attaining: Int
        let failing: Int
        let goalMet: Bool?
        var testDescription: String { "\(attaining) of \(attaining + failing) attain" }
    }

    @Test("a tier meets the goal when at least 90% of its workflows attain", arguments: [
        GoalCase(attaining: 9, failing: 1, goalMet: true),
        GoalCase(attaining: 10, failing: 0, goalMet: true),
        GoalCase(attaining: 18, failing: 2, goalMet: true),
        GoalCase(attaining: 8, failing: 1, goalMet: false),
        GoalCase(attaining: 17, failing: 3, goalMet: false),
        GoalCase(attaining: 0, failing: 1, goalMet: false),
        GoalCase(attaining: 0, failing: 0, goalMet: nil),
    ])
    func tierGoal(_ testCase: GoalCase) throws {
        var runs: [WorkflowRun] = []
        for index in 0..<testCase.attaining { runs += SLORuns.daily("ok-\(index)", days: 10, met: 10) }
        for index in 0..<testCase.failing { runs += SLORuns.daily("bad-\(index)", days: 10, met: 8) }
        // Tier 2 always fails, tier 3 always holds: the verdict is per tier.
        runs += SLORuns.daily("t2", days: 10, met: 0, tier: 2) + SLORuns.daily("t3", days: 10, met: 10, tier: 3)
        let report = SLORuns.report(runs)
        let tier1 = try #require(report.goalTier)
        #expect(tier1.tier == 1)
        #expect(tier1.workflows == testCase.attaining + testCase.failing)
        #expect(tier1.workflowsAttaining == testCase.attaining)
        #expect(tier1.goalMet == testCase.goalMet)
        #expect(report.tiers[1].goalMet == false && report.tiers[2].goalMet == true)

        let text = report.text()
        switch testCase.goalMet {
        case true?: #expect(text.contains("Tier-1 goal met: \(testCase.attaining) of \(tier1.workflows) tier-1 workflows"))
        case false?: #expect(text.contains("Tier-1 goal not met: only \(testCase.attaining) of \(tier1.workflows) tier-1"))
        case nil: #expect(text.contains("Tier-1 goal not assessed"))
        }
    }

    // MARK: Worst offenders

    @Test("worst offenders: lowest on-time rate, then tier, then more misses, then name; only with misses")
    func worstOffenderOrder() throws {
        // On-time rates: a 1/2 (tier 2), b 2/4 (tier 2, more misses), c 1/2 (tier 1), d 0/1, e 9/10, f 1/1.
        func runs(_ name: String, met: Int, missed: Int, tier: Int) -> [WorkflowRun] {
            SLORuns.daily(name, days: met + missed, met: met, tier: tier)
        }
        let all = runs("a", met: 1, missed: 1, tier: 2) + runs("b", met: 2, missed: 2, tier: 2)
            + runs("c", met: 1, missed: 1, tier: 1) + runs("d", met: 0, missed: 1, tier: 3)
            + runs("e", met: 9, missed: 1, tier: 1) + runs("f", met: 1, missed: 0, tier: 1)
            + runs("a2", met: 1, missed: 1, tier: 2)
        let report = SLORuns.report(all)
        #expect(report.worstOffenders.map(\.workflow) == ["d", "c", "b", "a", "a2", "e"])

        let three = try SLOReport.Options(worstOffenderLimit: 3)
        #expect(SLORuns.report(all, options: three).worstOffenders.map(\.workflow) == ["d", "c", "b"])
        let none = try SLOReport.Options(worstOffenderLimit: 0)
        #expect(SLORuns.report(all, options: none).worstOffenders.isEmpty)
        #expect(SLORuns.report(runs("f", met: 3, missed: 0, tier: 1)).text()
            .contains("Worst offenders: none; every decided run met its SLO."))
    }

    // MARK: Renderers

    static let csvHeader = "workflow,project,org,tier,slo_minutes,runs,runs_met,runs_missed,pending,on_time_rate,days,"
        + "days_met,day_attainment,attains,worst_lateness_minutes,missed_unfinished,median_runtime_minutes"

    @Test("CSV quotes fields with commas, quotes and line breaks (RFC 4180) and ends lines with CRLF")
    func csvQuoting() throws {
        let runs = [
            SLORuns.run("etl, nightly", "2024-03-01", .finished(minutes: 30)),
            SLORuns.run("say \"hi\"", "2024-03-01", .finished(minutes: 90), project: "multi\nline"),
            SLORuns.run("plain", "2024-03-01", .running),
        ]
        let csv = SLORuns.report(runs, until: "2024-03-01", days: 1).csv()
        #expect(csv.hasSuffix("\r\n"))
        #expect(!csv.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
        let rows = csv.components(separatedBy: "\r\n").dropLast()
        #expect(rows.count == 4)
        #expect(rows[0] == Self.csvHeader)
        #expect(rows[1] == "\"etl, nightly\",ledger,payments,1,60,1,1,0,0,1,1,1,1,true,,0,30")
        #expect(rows[2] == "plain,ledger,payments,1,60,0,0,0,1,,0,0,,,,0,")
        #expect(rows[3] == "\"say \"\"hi\"\"\",\"multi\nline\",payments,1,60,1,0,1,0,0,1,0,0,false,30,0,90")
        #expect(SLOReport.csvField("a\r\nb") == "\"a\r\nb\"")
    }

    @Test("JSON is valid, escapes names, and keeps its keys in a fixed order")
    func jsonShape() throws {
        let runs = [SLORuns.run("back\\slash \"quoted\"\ttab\u{1}", "2024-03-01", .finished(minutes: 90)),
                    SLORuns.run("ünïcode", "2024-03-01", .finished(minutes: 20), tier: 2)]
        let text = SLORuns.report(runs, until: "2024-03-01", days: 1).json()
        #expect(text.hasSuffix("}\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let workflows = try #require(object["workflows"] as? [[String: Any]])
        #expect(workflows.map { $0["workflow"] as? String } == ["back\\slash \"quoted\"\ttab\u{1}", "ünïcode"])
        #expect(text.contains(#"\u0001"#))

        let keys = ["window", "goal", "totals", "tiers", "workflows", "worst_offenders"]
        let positions = keys.compactMap { text.range(of: "\n  \"\($0)\": ")?.lowerBound }
        #expect(positions.count == keys.count && positions == positions.sorted())
    }

    struct DecimalCase: Sendable, CustomTestStringConvertible {
        let value: Double
        let decimals: Int
        let trimmed: String
        let fixed: String
        var testDescription: String { "\(value) to \(decimals)" }
    }

    @Test("numbers are rounded half away from zero, deterministically", arguments: [
        DecimalCase(value: 0.9, decimals: 4, trimmed: "0.9", fixed: "0.9000"),
        DecimalCase(value: 1, decimals: 4, trimmed: "1", fixed: "1.0000"),
        DecimalCase(value: 0, decimals: 4, trimmed: "0", fixed: "0.0000"),
        DecimalCase(value: 2.0 / 3, decimals: 4, trimmed: "0.6667", fixed: "0.6667"),
        DecimalCase(value: 0.00004, decimals: 4, trimmed: "0", fixed: "0.0000"),
        DecimalCase(value: 12.25, decimals: 1, trimmed: "12.3", fixed: "12.3"),
        DecimalCase(value: 1234.5, decimals: 0, trimmed: "1235", fixed: "1235"),
        DecimalCase(value: -0.25, decimals: 1, trimmed: "-0.3", fixed: "-0.3"),
    ])
    func decimals(_ testCase: DecimalCase) {
        #expect(SLOReport.decimal(testCase.value, decimals: testCase.decimals, trimZeros: true) == testCase.trimmed)
        #expect(SLOReport.decimal(testCase.value, decimals: testCase.decimals) == testCase.fixed)
    }

    @Test("each format renders through rendered(as:)")
    func formats() {
        let report = SLORuns.report(SLORuns.daily("etl", days: 3, met: 2))
        #expect(SLOReport.Format.allCases.map(\.rawValue) == ["text", "json", "csv"])
        #expect(report.rendered(as: .text) == report.text())
        #expect(report.rendered(as: .json) == report.json())
        #expect(report.rendered(as: .csv) == report.csv())
    }
}
