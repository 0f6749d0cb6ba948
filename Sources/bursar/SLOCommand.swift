import ArgumentParser
import Foundation
import Insights
import InsightStore

/// `bursar slo …`: SLO attainment of workflows, from the insight tables.
struct SLOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slo",
        abstract: "SLO attainment of workflows.",
        subcommands: [SLOReportCommand.self]
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
