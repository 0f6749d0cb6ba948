import ArgumentParser
import Dashboards
import Diagnostics
import Foundation
import InsightStore
import Parallel

/// `bursar dashboards …`: the dashboards outside the router.
struct DashboardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboards",
        abstract: "The SLO, queue, allocation and router dashboards.",
        discussion: "The router serves them at /dashboards/ (bursar serve); export writes them as static files.",
        subcommands: [DashboardsExport.self]
    )
}

/// `bursar dashboards export OUT/`.
struct DashboardsExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every dashboard page, with its CSV and JSON, as static files that work from file:// with no server.",
        discussion: """
        Every view reachable from the overview by its links is written; open OUT/index.html. The export is written \
        beside OUT and put in its place when complete, so an interrupted export leaves the previous one whole. OUT \
        must be new, empty, or an earlier export.
        """
    )

    @Argument(help: "The folder to write (replaced when it holds an earlier export).")
    var out: String

    @Option(help: "Days of history the pages cover (1 to \(DashboardSnapshot.maxDays)).")
    var days: Int = 30

    @OptionGroup var store: StoreOption

    func validate() throws {
        guard (1...DashboardSnapshot.maxDays).contains(days) else {
            throw ValidationError("--days must be from 1 to \(DashboardSnapshot.maxDays) (got \(days))")
        }
    }

    func run() throws {
        let insights = try store.open()
        let clock = ContinuousClock()
        let started = clock.now, cpuAtStart = CPUTime.now()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        // The runs' job attempts are read on a second connection while the snapshot is read on the first.
        let window = try DashboardSnapshot.window(of: insights, days: days, now: now)
        let location = try store.location(), reader = StoreReader(store: insights), days = days
        let (read, attempts) = Concurrent.both(
            { Result { try DashboardSnapshot.load(from: reader.store, days: days, now: now) } },
            { Result { try InsightStore(location).jobAttemptsByWorkflow(from: window.start, to: window.end) } })
        let snapshot = try read.get()
        let start = snapshot.windowStart(days: snapshot.days)
        // Read again on the first connection when data arriving between the two reads moved the window, or when
        // the second connection failed (a failure there says what it is).
        let sameWindow = start == window.start && snapshot.windowEnd == window.end
        let details = PrefetchedWorkflowDetails(
            try (sameWindow ? try? attempts.get() : nil) ?? insights.jobAttemptsByWorkflow(from: start, to: snapshot.windowEnd),
            from: start)
        let readTime = clock.now - started
        Trace.say("store read: \(Self.seconds(readTime)) s wall, \(String(format: "%.2f", (CPUTime.now() - cpuAtStart).total)) s CPU")
        let summary: DashboardExport.Summary
        do {
            summary = try DashboardExport.write(to: URL(fileURLWithPath: out), snapshot: snapshot, details: details)
        } catch let error as DashboardExportError {
            printError("bursar: dashboards export: \(error.description)")
            throw ExitCode(2)
        }
        let total = clock.now - started
        print("exported \(summary.views) views (\(summary.files) files, \(summary.bytes) bytes) to \(out) in \(Self.seconds(total)) s "
              + "(store read \(Self.seconds(readTime)) s); largest page \(summary.largestPage.name), \(summary.largestPage.bytes) bytes; open \(out)/index.html")
        let cpu = summary.cpu
        let perView = { (seconds: Double) in String(format: "%.2f s (%.2f ms a view)", seconds, seconds * 1000 / Double(max(summary.views, 1))) }
        Trace.say("export CPU by stage: page models \(perView(cpu.models)), the layout's values (tables as HTML) \(perView(cpu.layoutValues)), "
                  + "the layout template \(perView(cpu.template)), CSV and JSON \(perView(cpu.csvAndJSON)), links \(perView(cpu.links)), "
                  + "writing files \(perView(cpu.writing)); in all \(perView(cpu.total))")
    }

    /// The store, for the one closure that reads the snapshot on it while the other connection reads the attempts.
    private struct StoreReader: @unchecked Sendable {
        let store: InsightStore
    }

    static func seconds(_ duration: Duration) -> String {
        let c = duration.components
        return String(format: "%.2f", Double(c.seconds) + Double(c.attoseconds) / 1e18)
    }
}
