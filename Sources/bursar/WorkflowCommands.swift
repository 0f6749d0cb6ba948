import ArgumentParser
import Foundation
import InsightStore
import Scheduler
import Timestamps
import Workflows

/// Reads the definitions for the operating commands, and the one named.
private func definition(_ name: String, pipelines: String) throws -> (workflow: Workflow, text: String) {
    let (sources, _) = PipelineFiles.read([pipelines])
    let catalog = PipelineCheck.check(sources, context: PipelineContext(), readFile: PipelineFiles.readSparkFile)
    guard let workflow = catalog.workflows.first(where: { $0.name == name }) else {
        let problems = catalog.findings.filter { $0.severity == .error }.map(\.description)
        throw ValidationError("no valid workflow \(name) in \(pipelines)" + (problems.isEmpty ? "" : "; bursar pipelines validate says:\n" + problems.joined(separator: "\n")))
    }
    return (workflow, sources.first { $0.file == workflow.file }?.text ?? "")
}

/// Creates runs of `workflow` for the given ticks (the next scheduler pass starts them).
private func createRuns(_ workflow: Workflow, text: String, kind: String, ticks: [Int64], store: InsightStore) throws -> [String] {
    let now = InsightStore.now()
    let digest = SchedulerPass.digest(of: workflow, text: text)
    try store.recordWorkflowVersion(workflow: workflow.name, digest: digest, file: workflow.file, definition: text, at: now)
    return try store.createRuns(ticks.map { SchedulerPass.newRun(workflow, kind: kind, scheduledAt: $0, digest: digest, now: now) }, at: now)
}

struct WorkflowsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflows",
        abstract: "The workflows the scheduler knows: list, show, pause and unpause.",
        subcommands: [List.self, Show.self, Pause.self, Unpause.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each workflow with its version, whether it is paused, and its latest run.")
        @OptionGroup var storeOption: StoreOption

        func run() throws {
            let store = try InsightStore(try storeOption.location())
            let versions = try store.workflowVersions()
            print("workflow".padding(toLength: 28, withPad: " ", startingAt: 0) + " version       paused  latest run")
            for name in versions.keys.sorted() {
                let (digest, paused) = versions[name]!
                let latest = try store.runs(workflow: name, limit: 1).first
                let run = latest.map { "\(Timestamp.format($0.scheduledAt)) \($0.state)\($0.missed ? " (missed)" : "")" } ?? "none"
                print(name.padding(toLength: 28, withPad: " ", startingAt: 0) + " \(digest.prefix(12))  \(paused ? "yes   " : "no    ")  \(run)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A workflow's recent runs.")
        @Argument(help: "The workflow.") var workflow: String
        @Option(help: "How many runs.") var limit = 20
        @OptionGroup var storeOption: StoreOption

        func run() throws {
            let store = try InsightStore(try storeOption.location())
            guard let version = try store.workflowVersions()[workflow] else {
                throw ValidationError("the scheduler has not seen \(workflow) yet (it records a workflow on its first pass)")
            }
            print("workflow \(workflow): version \(version.digest.prefix(12))\(version.paused ? ", paused" : "")")
            for run in try store.runs(workflow: workflow, limit: limit) {
                print("  \(run.runID)  \(run.kind.padding(toLength: 9, withPad: " ", startingAt: 0)) \(Timestamp.format(run.scheduledAt))  \(run.state)\(run.missed ? ", deadline missed" : "")  version \(run.digest.prefix(12))")
            }
        }
    }

    struct Pause: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop creating and starting runs of a workflow (running jobs finish).")
        @Argument(help: "The workflow.") var workflow: String
        @OptionGroup var storeOption: StoreOption
        func run() throws {
            guard try InsightStore(try storeOption.location()).setPaused(workflow, true) else {
                throw ValidationError("the scheduler has not seen \(workflow) yet")
            }
            print("paused \(workflow)")
        }
    }

    struct Unpause: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a paused workflow run again (missed ticks within its catch-up run).")
        @Argument(help: "The workflow.") var workflow: String
        @OptionGroup var storeOption: StoreOption
        func run() throws {
            guard try InsightStore(try storeOption.location()).setPaused(workflow, false) else {
                throw ValidationError("the scheduler has not seen \(workflow) yet")
            }
            print("unpaused \(workflow)")
        }
    }
}

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Workflow runs: show one, clear a failed one, mark a job succeeded.",
        subcommands: [Show.self, Clear.self, MarkSucceeded.self]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A run's jobs (state, attempt, app, cluster) and its history.")
        @Argument(help: "The run id.") var runID: String
        @OptionGroup var storeOption: StoreOption

        func run() throws {
            let store = try InsightStore(try storeOption.location())
            guard let record = try store.run(runID) else { throw ValidationError("no run \(runID)") }
            print("run \(record.runID): \(record.workflow), \(record.kind) at \(Timestamp.format(record.scheduledAt)), deadline \(Timestamp.format(record.deadline)); \(record.state)\(record.missed ? ", deadline missed" : "")")
            for job in try store.jobs(ofRun: record.runID) {
                print("  \(job.job.padding(toLength: 24, withPad: " ", startingAt: 0)) \(job.state.padding(toLength: 16, withPad: " ", startingAt: 0)) attempt \(job.attempt)  \(job.appID ?? "-") \(job.cluster ?? "")\(job.reason.map { "  (\($0))" } ?? "")")
            }
            for event in try store.events(ofRun: record.runID) {
                print("  \(Timestamp.format(event.at))  \(event.kind)\(event.job.map { " " + $0 } ?? "")\(event.detail.map { ": " + $0 } ?? "")")
            }
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a failed run's failed jobs again (and those skipped because of them).")
        @Argument(help: "The run id.") var runID: String
        @OptionGroup var storeOption: StoreOption
        func run() throws {
            guard try InsightStore(try storeOption.location()).clearRun(runID, at: InsightStore.now()) else {
                throw ValidationError("\(runID) is not a failed run; only a failed run can be cleared")
            }
            print("cleared \(runID): its failed jobs run again on the scheduler's next pass")
        }
    }

    struct MarkSucceeded: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "mark-succeeded", abstract: "Mark a job of a run succeeded (its dependents may then run).")
        @Argument(help: "The run id.") var runID: String
        @Argument(help: "The job.") var job: String
        @OptionGroup var storeOption: StoreOption
        func run() throws {
            guard try InsightStore(try storeOption.location()).markJobSucceeded(runID, job: job, at: InsightStore.now()) else {
                throw ValidationError("no job \(job) in run \(runID)")
            }
            print("marked \(job) of \(runID) succeeded")
        }
    }
}

struct TriggerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "trigger", abstract: "Start a run of a workflow now (a manual run, deadline now + its SLO).")
    @Argument(help: "The workflow.") var workflow: String
    @Option(help: "The definitions folder.") var pipelines = "Pipelines"
    @OptionGroup var storeOption: StoreOption

    func run() throws {
        let (definition, text) = try definition(workflow, pipelines: pipelines)
        let store = try InsightStore(try storeOption.location())
        let created = try createRuns(definition, text: text, kind: "manual", ticks: [InsightStore.now()], store: store)
        print(created.isEmpty ? "a manual run for this instant exists already" : "triggered \(workflow): run \(created[0])")
    }
}

struct BackfillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Create runs for every tick of a workflow between two dates (UTC, inclusive), in the backfill pool.",
        discussion: "Backfill runs have a concurrency pool of their own (--max-backfill of bursar scheduler run), so they never crowd out scheduled runs. At most 31 days unless --force (an admin's decision)."
    )
    @Argument(help: "The workflow.") var workflow: String
    @Option(help: "The first day, YYYY-MM-DD.") var from: String
    @Option(help: "The last day, YYYY-MM-DD.") var to: String
    @Flag(help: "Allow more than 31 days.") var force = false
    @Option(help: "The definitions folder.") var pipelines = "Pipelines"
    @OptionGroup var storeOption: StoreOption

    func run() throws {
        guard let start = Timestamp.parse(from + "T00:00:00Z"), let end = Timestamp.parse(to + "T00:00:00Z") else {
            throw ValidationError("--from and --to are dates, YYYY-MM-DD")
        }
        guard end >= start else { throw ValidationError("--to is before --from") }
        let days = (end - start) / 86_400_000 + 1
        guard days <= 31 || force else {
            throw ValidationError("\(days) days is more than 31; backfill in pieces, or pass --force if an admin decided so")
        }
        let (definition, text) = try definition(workflow, pipelines: pipelines)
        let ticks = definition.schedule.ticks(after: start - 1, through: end + 86_400_000 - 1, in: definition.zone, limit: 100_000)
        let store = try InsightStore(try storeOption.location())
        let created = try createRuns(definition, text: text, kind: "backfill", ticks: ticks, store: store)
        print("backfill \(workflow) \(from)..\(to): \(ticks.count) ticks, \(created.count) runs created (\(ticks.count - created.count) existed)")
    }
}
