import ArgumentParser
import Foundation
import Diagnostics
import InsightStore
import Scheduler
import Scheduling
import Workflows

/// `bursar scheduler run`: the workflow scheduler.
struct SchedulerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "The workflow scheduler: runs the workflows of Pipelines/ and sends their Spark jobs through the router.",
        subcommands: [SchedulerRun.self]
    )
}

struct SchedulerRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Turn due cron ticks into runs, move runs on and dispatch ready jobs (a pass every --interval; --once for one).",
        discussion: """
        Each pass reads the definitions (a definition with errors is reported and left out; the others run), \
        records each definition version by content digest (a run keeps the version it was created with), \
        creates the runs of due ticks (at most the catch-up days after downtime; never two for one tick), starts \
        queued runs up to max_active_runs, marks ready, upstream-failed and timed-out jobs and missed deadlines, \
        and dispatches ready jobs, tier 1 first and then the nearest deadline, within the limits. Spark jobs go \
        to the router's POST /v1/submissions with the scheduler's token and an idempotency key per attempt.

        State lives in the store (--store / BURSAR_STORE), so a restart carries on where the last pass stopped.
        """
    )

    @Option(help: "The definitions folder.")
    var pipelines = "Pipelines"

    @Option(help: "The router's base URL. Also BURSAR_SERVER; default http://127.0.0.1:8080.")
    var server: String?

    @Option(help: "The scheduler's bearer token. Also BURSAR_TOKEN.")
    var token: String?

    @Flag(help: "Run one pass and exit.")
    var once = false

    @Option(help: "Seconds between passes.")
    var interval: Double = 1

    @Option(help: "Most job attempts in flight at once.")
    var maxInFlight = 1_000

    @Option(help: "Most attempts in flight in one queue (project and tier).")
    var maxPerQueue = 200

    @Option(help: "Most backfill attempts in flight.")
    var maxBackfill = 50

    @OptionGroup var storeOption: StoreOption

    func validate() throws {
        guard interval > 0, interval <= 3600 else { throw ValidationError("--interval must be between 0 and 3600 seconds") }
        guard maxInFlight > 0, maxPerQueue > 0, maxBackfill >= 0 else { throw ValidationError("the limits must be positive") }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let base = server ?? environment["BURSAR_SERVER"] ?? "http://127.0.0.1:8080"
        guard let token = token ?? environment["BURSAR_TOKEN"], !token.isEmpty else {
            throw ValidationError("no token: set BURSAR_TOKEN or pass --token (an admin makes one: bursar token new)")
        }
        let store = try InsightStore(try storeOption.location())
        let pass = SchedulerPass(store: store, dispatcher: try RouterDispatcher(router: base, token: token),
                                 limits: .init(global: maxInFlight, perQueue: maxPerQueue, backfill: maxBackfill))
        var reported = Set<String>()
        var definitions: PipelineSnapshot?
        var fingerprint: [String] = []
        while true {
            // The definitions are read and checked again only when a file under Pipelines/ changed.
            let current = PipelineFiles.fingerprint(pipelines)
            if definitions == nil || current != fingerprint {
                let (sources, unreadable) = PipelineFiles.read([pipelines])
                let catalog = PipelineCheck.check(sources, context: PipelineContext(), readFile: PipelineFiles.readSparkFile)
                // Problems are said once each, not every pass.
                for problem in unreadable.map(\.description) + catalog.findings.map(\.description) where reported.insert(problem).inserted {
                    printError("bursar scheduler: \(problem)")
                }
                definitions = PipelineSnapshot(catalog: catalog, sources: sources)
                fingerprint = current
            }
            guard let definitions else { continue }
            let catalog = definitions.catalog
            let report = try pass.run(definitions, now: InsightStore.now())
            if once || report.runsCreated + report.runsStarted + report.runsEnded + report.jobsDispatched > 0 || !report.dispatchFailures.isEmpty {
                print("scheduler: \(catalog.workflows.count) workflows; runs \(report.runsCreated) created, \(report.runsStarted) started, "
                      + "\(report.runsEnded) ended; jobs \(report.jobsReady) ready, \(report.jobsDispatched) dispatched, \(report.jobsHeld) held; "
                      + "\(report.deadlinesMissed) deadlines missed")
            }
            for failure in report.dispatchFailures { printError("bursar scheduler: dispatch failed: \(failure)") }
            if report.builtinWaiting > 0, reported.insert("builtin").inserted {
                printError("bursar scheduler: \(report.builtinWaiting) ready built-in steps (bursar: ingest, allocate…) wait: this version does not run them yet; run bursar nightly as before")
            }
            if once { return }
            Thread.sleep(forTimeInterval: interval)
        }
    }
}
