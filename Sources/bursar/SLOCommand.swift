import ArgumentParser
import Foundation
import Insights
import InsightStore
import Scheduler

/// `bursar slo …`: SLO attainment of workflows, from the insight tables.
struct SLOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slo",
        abstract: "SLO attainment of workflows.",
        subcommands: [SLOReportCommand.self, SLOCheckScheduler.self]
    )
}

/// `bursar slo report [--days N] [--until DATE] [--format text|json|csv]`.
struct SLOReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Per tier, the share of workflows meeting their SLO on at least 90% of their days.",
        discussion: """
        A workflow run meets its SLO when its last application finishes by its scheduled time plus the \
        workflow's slo_minutes (workflows.csv). A workflow-day is met when every run that day met its SLO; \
        a workflow attains when at least 90% of its days are met. The platform goal: at least 90% of tier-1 \
        workflows attain. Runs still in flight before their deadline are pending and left out of the rates.

        The window is --days whole UTC days ending on --until (a date, inclusive), or on the day of the \
        newest run in the store.
        """
    )

    @Option(help: "Days in the window.")
    var days: Int = SLOReport.Window.defaultDays

    @Option(help: "Last day of the window (YYYY-MM-DD, UTC); default: the day of the newest run.")
    var until: String?

    @Option(help: "Output format: text, json or csv (one row per workflow).")
    var format: String = "text"

    @OptionGroup var store: StoreOption

    func validate() throws {
        guard SLOReport.Format(rawValue: format) != nil else {
            throw ValidationError("--format \(format) is not one of text, json, csv")
        }
        guard days >= 1 else { throw ValidationError("--days must be at least 1") }
        if let until {
            do {
                _ = try SLOReport.Window.startOfDay(parsing: until)
            } catch {
                throw ValidationError("--until: \(error.description)")
            }
        }
    }

    func run() throws {
        let insights = try store.open()
        let end: Int64
        if let until {
            end = try SLOReport.Window.startOfDay(parsing: until)
        } else if let newest = try insights.newestRunScheduledAt() {
            end = newest
        } else {
            // No runs at all: an empty report for the window ending today says so plainly.
            end = Int64(Date().timeIntervalSince1970 * 1000)
        }
        let window: SLOReport.Window
        do {
            window = try SLOReport.Window(endingOnDayOf: end, days: days)
        } catch {
            throw ValidationError(error.description)
        }
        let runs = try insights.workflowRuns(from: window.startMillis, to: window.endMillis)
        let report = SLOReport(runs: runs, window: window)
        let text = report.rendered(as: SLOReport.Format(rawValue: format) ?? .text)
        print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
    }
}

/// `bursar slo check-scheduler`: the report's verdict on every run the scheduler ended against the scheduler's.
struct SLOCheckScheduler: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-scheduler",
        abstract: "Compare the SLO report's verdict on each run the scheduler ended with the scheduler's own record (exit 1 on any difference).",
        discussion: """
        The scheduler marks a run missed when it failed or its last job ended (as the cluster reported) after \
        the deadline. The report judges the same run from the ingested application summaries: missed when \
        its last application finished late or a job's latest application failed. They must agree on every run.
        """
    )

    @OptionGroup var store: StoreOption

    func run() throws {
        let agreement = try SLOAgreement.check(try store.open())
        let met = agreement.rows.filter { $0.scheduler == "met" }.count
        print("runs the scheduler ended: \(agreement.rows.count) (\(met) met, \(agreement.rows.count - met) missed); "
              + "the SLO report agrees on \(agreement.rows.count - agreement.disagreements.count)")
        for row in agreement.disagreements {
            print("  \(row.workflow) \(row.runID): scheduler \(row.scheduler), report \(row.report)")
        }
        if !agreement.disagreements.isEmpty { throw ExitCode(1) }
    }
}
