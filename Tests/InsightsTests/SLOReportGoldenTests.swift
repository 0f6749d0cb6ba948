import Foundation
import Testing
@testable import Insights

/// Golden outputs of `bursar slo report` over a small hand-made history. The goldens live in this file as
/// string literals (the test target has no `exclude:` for a Golden folder, and SwiftPM warns about files it
/// does not handle). Re-record with `BURSAR_RECORD_GOLDEN=1 swift test --filter SLOReportGoldenTests`, which
/// rewrites the literals below in place; review the diff, never edit them by hand.
struct SLOReportGoldenTests {
    /// Ten days, 2024-03-01 to 2024-03-10, plus a run on each side of the window that must not count.
    /// Tier 1: ledger-close always on time; fraud-scores late on one day of ten (attains at exactly 90%);
    /// "settlement, eu" runs twice a day, one run late on 03-02 and one overdue on 03-09 (8 of 10 days).
    /// Tier 2: daily-report on time with a run still pending; ml-features late on two days.
    /// Tier 3: adhoc-backfill on three days, once 125 minutes late.
    static var history: [WorkflowRun] {
        var runs: [WorkflowRun] = []
        func days(_ range: ClosedRange<Int>) -> [String] { range.map { String(format: "2024-03-%02d", $0) } }
        for (index, date) in days(1...10).enumerated() {
            runs.append(SLORuns.run("ledger-close", date, .finished(minutes: 40 + index), slo: 60))
            runs.append(SLORuns.run("fraud-scores", date, minuteOfDay: 30,
                                    .finished(minutes: date == "2024-03-04" ? 45 : 25), slo: 30,
                                    project: "fraud", org: "risk"))
            let morning: SLORuns.End = date == "2024-03-09" ? .overdue : .finished(minutes: 100)
            let evening: SLORuns.End = .finished(minutes: date == "2024-03-02" ? 150 : 110)
            runs.append(SLORuns.run("settlement, eu", date, minuteOfDay: 120, morning, slo: 120, project: "settlement"))
            runs.append(SLORuns.run("settlement, eu", date, minuteOfDay: 840, evening, slo: 120, project: "settlement"))
            runs.append(SLORuns.run("daily-report", date, minuteOfDay: 360, .finished(minutes: 180), tier: 2, slo: 240,
                                    project: "reporting", org: "finance"))
            let late = ["2024-03-05": 100, "2024-03-08": 135][date]
            runs.append(SLORuns.run("ml-features", date, .finished(minutes: late ?? 70), tier: 2, slo: 90,
                                    project: "features", org: "ml"))
        }
        runs.append(SLORuns.run("daily-report", "2024-03-10", minuteOfDay: 1_380, .running, tier: 2, slo: 240,
                                project: "reporting", org: "finance"))
        for (date, minutes) in [("2024-03-03", 500), ("2024-03-06", 725), ("2024-03-09", 480)] {
            runs.append(SLORuns.run("adhoc-backfill", date, .finished(minutes: minutes), tier: 3, slo: 600,
                                    project: "warehouse", org: "data"))
        }
        runs.append(SLORuns.run("ledger-close", "2024-02-29", minuteOfDay: 1_439, .overdue, slo: 60))
        runs.append(SLORuns.run("ledger-close", "2024-03-11", minuteOfDay: 0, .overdue, slo: 60))
        return runs
    }

    static var report: SLOReport {
        SLOReport(runs: history, window: SLORuns.window(until: "2024-03-10", days: 10))
    }

    @Test("the hand-made history gives the hand-checked figures")
    func handChecked() throws {
        let report = Self.report
        #expect(report.totals == SLOReport.Totals(runs: 63, runsMet: 57, pending: 1, workflows: 6))
        let byName = Dictionary(uniqueKeysWithValues: report.workflows.map { ($0.workflow, $0) })
        let fraud = try #require(byName["fraud-scores"])
        #expect((fraud.days, fraud.daysMet, fraud.attains) == (10, 9, true))
        let settlement = try #require(byName["settlement, eu"])
        #expect((settlement.runs, settlement.runsMet, settlement.days, settlement.daysMet) == (20, 18, 10, 8))
        #expect(settlement.attains == false && settlement.missedUnfinished == 1)
        #expect(settlement.worstLatenessMinutes == 30)
        let tier1 = try #require(report.goalTier)
        #expect((tier1.workflows, tier1.workflowsAttaining, tier1.goalMet) == (3, 2, false))
        #expect(report.worstOffenders.map(\.workflow) == ["adhoc-backfill", "ml-features", "settlement, eu", "fraud-scores"])
    }

    @Test("text, JSON and CSV match their goldens")
    func goldens() throws {
        let report = Self.report
        let csv = report.csv()
        #expect(csv.replacingOccurrences(of: "\r\n", with: "").contains("\n") == false, "CSV lines end in CRLF")
        let actual = [("text", report.text()), ("json", report.json()),
                      ("csv", csv.replacingOccurrences(of: "\r\n", with: "\n"))]
        if ProcessInfo.processInfo.environment["BURSAR_RECORD_GOLDEN"] == "1" {
            try GoldenLiterals.record(actual, in: #filePath)
            return
        }
        let expected = ["text": sloGoldenText, "json": sloGoldenJSON, "csv": sloGoldenCSV]
        for (name, text) in actual {
            #expect(text == expected[name].map { $0 + "\n" },
                    "the \(name) golden differs; re-record with BURSAR_RECORD_GOLDEN=1 and review the diff")
        }
    }
}

/// Rewrites the raw string literal that follows each `// golden: NAME` line of a test file.
enum GoldenLiterals {
    static func record(_ goldens: [(name: String, text: String)], in path: String) throws {
        var lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        for (name, text) in goldens {
            guard let marker = lines.firstIndex(of: "// golden: \(name)"), lines[marker + 1].hasSuffix("#\"\"\""),
                  let close = lines[(marker + 2)...].firstIndex(of: "\"\"\"#") else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
            }
            precondition(!text.contains("\"\"\"#"), "a golden cannot hold the literal's closing delimiter")
            var body = text
            if body.hasSuffix("\n") { body.removeLast() }
            lines.replaceSubrange((marker + 2)..<close, with: body.components(separatedBy: "\n"))
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}

// The goldens, recorded by GoldenLiterals.record; each ends without its final newline.

// golden: text
let sloGoldenText = #"""
SLO attainment, 2024-03-01 to 2024-03-10 (10 UTC days)
Runs: 63 decided, 57 met (90.5% on time), 1 pending; 6 workflows.

Tier  Workflows  Attaining  Share  Goal (90%)  Runs  On time
1             3          2  66.7%  not met       40    92.5%
2             2          1  50.0%  not met       20    90.0%
3             1          0   0.0%  not met        3    66.7%

Tier-1 goal not met: only 2 of 3 tier-1 workflows (66.7%) met their SLO on at least 90% of their days; the goal is 90%.

Worst offenders (lowest on-time rate first):
  Workflow        Tier  On time   Missed  Worst lateness
  adhoc-backfill     3    66.7%   1 of 3       125.0 min
  ml-features        2    80.0%  2 of 10        45.0 min
  settlement, eu     1    90.0%  2 of 20        30.0 min
  fraud-scores       1    90.0%  1 of 10        15.0 min
"""#

// golden: json
let sloGoldenJSON = #"""
{
  "window": {"from": "2024-03-01", "until": "2024-03-10", "days": 10},
  "goal": {"tier": 1, "day_attainment": 0.9, "workflow_share": 0.9, "met": false},
  "totals": {"runs": 63, "runs_met": 57, "pending": 1, "workflows": 6, "on_time_rate": 0.9048},
  "tiers": [
    {"tier": 1, "workflows": 3, "workflows_attaining": 2, "share_attaining": 0.6667, "goal_met": false, "runs": 40, "runs_met": 37, "pending": 0, "on_time_rate": 0.925},
    {"tier": 2, "workflows": 2, "workflows_attaining": 1, "share_attaining": 0.5, "goal_met": false, "runs": 20, "runs_met": 18, "pending": 1, "on_time_rate": 0.9},
    {"tier": 3, "workflows": 1, "workflows_attaining": 0, "share_attaining": 0, "goal_met": false, "runs": 3, "runs_met": 2, "pending": 0, "on_time_rate": 0.6667}
  ],
  "workflows": [
    {"workflow": "fraud-scores", "project": "fraud", "org": "risk", "tier": 1, "slo_minutes": 30, "runs": 10, "runs_met": 9, "runs_missed": 1, "pending": 0, "on_time_rate": 0.9, "days": 10, "days_met": 9, "day_attainment": 0.9, "attains": true, "worst_lateness_minutes": 15, "missed_unfinished": 0, "median_runtime_minutes": 25},
    {"workflow": "ledger-close", "project": "ledger", "org": "payments", "tier": 1, "slo_minutes": 60, "runs": 10, "runs_met": 10, "runs_missed": 0, "pending": 0, "on_time_rate": 1, "days": 10, "days_met": 10, "day_attainment": 1, "attains": true, "worst_lateness_minutes": null, "missed_unfinished": 0, "median_runtime_minutes": 44.5},
    {"workflow": "settlement, eu", "project": "settlement", "org": "payments", "tier": 1, "slo_minutes": 120, "runs": 20, "runs_met": 18, "runs_missed": 2, "pending": 0, "on_time_rate": 0.9, "days": 10, "days_met": 8, "day_attainment": 0.8, "attains": false, "worst_lateness_minutes": 30, "missed_unfinished": 1, "median_runtime_minutes": 110},
    {"workflow": "daily-report", "project": "reporting", "org": "finance", "tier": 2, "slo_minutes": 240, "runs": 10, "runs_met": 10, "runs_missed": 0, "pending": 1, "on_time_rate": 1, "days": 10, "days_met": 10, "day_attainment": 1, "attains": true, "worst_lateness_minutes": null, "missed_unfinished": 0, "median_runtime_minutes": 180},
    {"workflow": "ml-features", "project": "features", "org": "ml", "tier": 2, "slo_minutes": 90, "runs": 10, "runs_met": 8, "runs_missed": 2, "pending": 0, "on_time_rate": 0.8, "days": 10, "days_met": 8, "day_attainment": 0.8, "attains": false, "worst_lateness_minutes": 45, "missed_unfinished": 0, "median_runtime_minutes": 70},
    {"workflow": "adhoc-backfill", "project": "warehouse", "org": "data", "tier": 3, "slo_minutes": 600, "runs": 3, "runs_met": 2, "runs_missed": 1, "pending": 0, "on_time_rate": 0.6667, "days": 3, "days_met": 2, "day_attainment": 0.6667, "attains": false, "worst_lateness_minutes": 125, "missed_unfinished": 0, "median_runtime_minutes": 500}
  ],
  "worst_offenders": [
    {"workflow": "adhoc-backfill", "tier": 3, "on_time_rate": 0.6667, "runs": 3, "runs_missed": 1, "worst_lateness_minutes": 125},
    {"workflow": "ml-features", "tier": 2, "on_time_rate": 0.8, "runs": 10, "runs_missed": 2, "worst_lateness_minutes": 45},
    {"workflow": "settlement, eu", "tier": 1, "on_time_rate": 0.9, "runs": 20, "runs_missed": 2, "worst_lateness_minutes": 30},
    {"workflow": "fraud-scores", "tier": 1, "on_time_rate": 0.9, "runs": 10, "runs_missed": 1, "worst_lateness_minutes": 15}
  ]
}
"""#

// golden: csv
let sloGoldenCSV = #"""
workflow,project,org,tier,slo_minutes,runs,runs_met,runs_missed,pending,on_time_rate,days,days_met,day_attainment,attains,worst_lateness_minutes,missed_unfinished,median_runtime_minutes
fraud-scores,fraud,risk,1,30,10,9,1,0,0.9,10,9,0.9,true,15,0,25
ledger-close,ledger,payments,1,60,10,10,0,0,1,10,10,1,true,,0,44.5
"settlement, eu",settlement,payments,1,120,20,18,2,0,0.9,10,8,0.8,false,30,1,110
daily-report,reporting,finance,2,240,10,10,0,1,1,10,10,1,true,,0,180
ml-features,features,ml,2,90,10,8,2,0,0.8,10,8,0.8,false,45,0,70
adhoc-backfill,warehouse,data,3,600,3,2,1,0,0.6667,3,2,0.6667,false,125,0,500
"""#
