import ArgumentParser
import Foundation
import InsightStore
import Scheduler
import Timestamps
import Workflows

/// Runs a shared operation, its refusals (`WorkflowOperationError`) said as usage errors (exit 1).
private func operation<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as WorkflowOperationError {
        throw ValidationError(error.message)
    }
}

/// The workflow's version in force, as the scheduler runs it. A workflow the scheduler has not recorded yet is
/// read from `pipelines` and recorded first, as the scheduler's first pass would; one it has recorded runs the
/// version in force, whatever the files say now (the next pass records a changed file).
private func versionInForce(_ name: String, pipelines: String, store: InsightStore) throws -> WorkflowInForce {
    let definitions = StoredDefinitions()
    if try store.storedWorkflow(name) == nil {
        let (sources, _) = PipelineFiles.read([pipelines])
        let catalog = PipelineCheck.check(sources, context: PipelineContext(), readFile: PipelineFiles.readSparkFile)
        guard let workflow = catalog.workflows.first(where: { $0.name == name }) else {
            let problems = catalog.findings.filter { $0.severity == .error }.map(\.description)
            throw ValidationError("no valid workflow \(name) in \(pipelines), and the scheduler has not recorded one"
                + (problems.isEmpty ? "" : "; bursar pipelines validate says:\n" + problems.joined(separator: "\n")))
        }
        let text = sources.first { $0.file == workflow.file }?.text ?? ""
        try store.recordWorkflowVersion(workflow: name, digest: SchedulerPass.digest(of: workflow, text: text), file: workflow.file,
                                        definition: text, at: InsightStore.now(), jobs: workflow.jobs.map(\.name))
    }
    return try operation { try WorkflowOperations.inForce(name, store: store, definitions: definitions) }
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
            print("workflow".padding(toLength: 28, withPad: " ", startingAt: 0) + " project          tier version       paused  latest run")
            for summary in try WorkflowOperations.list(store: store, definitions: StoredDefinitions()) {
                let stored = summary.stored
                let run = stored.latestRun.map { "\(Timestamp.format($0.scheduledAt)) \($0.state)\($0.missed ? " (missed)" : "")" } ?? "none"
                print(stored.workflow.padding(toLength: 28, withPad: " ", startingAt: 0)
                    + " \((summary.project ?? "?").padding(toLength: 16, withPad: " ", startingAt: 0)) \(summary.tier.map(String.init) ?? "?")    "
                    + "\(stored.digest.prefix(12))  \(stored.paused ? "yes   " : "no    ")  \(run)")
                if let problem = summary.problem { print("  \(problem)") }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A workflow's recent runs.")
        @Argument(help: "The workflow.") var workflow: String
        @Option(help: "How many runs (1 to 1000).") var limit = 20
        @OptionGroup var storeOption: StoreOption

        func run() throws {
            try operation { try WorkflowOperations.checkListing(workflow: nil, state: nil, limit: limit) }
            let store = try InsightStore(try storeOption.location())
            let summary = try operation { try WorkflowOperations.summary(workflow, store: store, definitions: StoredDefinitions()) }
            let version = summary.stored
            print("workflow \(workflow): project \(summary.project ?? "?"), tier \(summary.tier.map(String.init) ?? "?"), version \(version.digest.prefix(12))\(version.paused ? ", paused" : "")")
            if let problem = summary.problem { print("  \(problem)") }
            for run in try WorkflowOperations.runs(store: store, workflow: workflow, state: nil, limit: limit) {
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
        abstract: "Workflow runs: list them, show one, clear a failed one, mark a job succeeded.",
        subcommands: [List.self, Show.self, Clear.self, MarkSucceeded.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Runs, newest tick first: of one workflow, in one state, or all.")
        @Option(help: "Only this workflow's runs.") var workflow: String?
        @Option(help: "Only runs in this state: queued, running, succeeded or failed.") var state: String?
        @Option(help: "How many runs (1 to 1000).") var limit = 50
        @OptionGroup var storeOption: StoreOption

        func run() throws {
            try operation { try WorkflowOperations.checkListing(workflow: workflow, state: state, limit: limit) }
            let store = try InsightStore(try storeOption.location())
            let runs = try WorkflowOperations.runs(store: store, workflow: workflow, state: state, limit: limit)
            for run in runs {
                print("\(run.runID)  \(run.workflow.padding(toLength: 28, withPad: " ", startingAt: 0)) \(run.kind.padding(toLength: 9, withPad: " ", startingAt: 0)) \(Timestamp.format(run.scheduledAt))  \(run.state)\(run.missed ? ", deadline missed" : "")  version \(run.digest.prefix(12))")
            }
            if runs.isEmpty { print("no runs") }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A run's jobs (state, attempt, app, cluster) and its history.")
        @Argument(help: "The run id.") var runID: String
        @OptionGroup var storeOption: StoreOption

        func run() throws {
            let store = try InsightStore(try storeOption.location())
            let detail = try operation { try WorkflowOperations.detail(runID, store: store) }
            let record = detail.run
            print("run \(record.runID): \(record.workflow), \(record.kind) at \(Timestamp.format(record.scheduledAt)), deadline \(Timestamp.format(record.deadline)); \(record.state)\(record.missed ? ", deadline missed" : "")")
            for job in detail.jobs {
                print("  \(job.job.padding(toLength: 24, withPad: " ", startingAt: 0)) \(job.state.padding(toLength: 16, withPad: " ", startingAt: 0)) attempt \(job.attempt)  \(job.appID ?? "-") \(job.cluster ?? "")\(job.reason.map { "  (\($0))" } ?? "")")
            }
            for event in detail.events {
                print("  \(Timestamp.format(event.at))  \(event.kind)\(event.job.map { " " + $0 } ?? "")\(event.detail.map { ": " + $0 } ?? "")")
            }
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a failed run's failed jobs again (and those skipped because of them).")
        @Argument(help: "The run id.") var runID: String
        @OptionGroup var storeOption: StoreOption
        func run() throws {
            try operation { try WorkflowOperations.clear(runID, store: try InsightStore(try storeOption.location()), now: InsightStore.now()) }
            print("cleared \(runID): its failed jobs run again on the scheduler's next pass")
        }
    }

    struct MarkSucceeded: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "mark-succeeded", abstract: "Mark a job of a run succeeded (its dependents may then run).")
        @Argument(help: "The run id.") var runID: String
        @Argument(help: "The job.") var job: String
        @OptionGroup var storeOption: StoreOption
        func run() throws {
            try operation {
                try WorkflowOperations.markSucceeded(runID, job: job, store: try InsightStore(try storeOption.location()), now: InsightStore.now())
            }
            print("marked \(job) of \(runID) succeeded")
        }
    }
}

struct TriggerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger", abstract: "Start a run of a workflow now (a manual run, deadline now + its SLO).",
        discussion: "The run uses the version in force (the one the scheduler last recorded), as POST /v1/workflows/{name}/trigger does; a workflow the scheduler has not recorded yet is read from --pipelines and recorded first.")
    @Argument(help: "The workflow.") var workflow: String
    @Option(help: "The definitions folder (read only for a workflow the scheduler has not recorded yet).") var pipelines = "Pipelines"
    @OptionGroup var storeOption: StoreOption

    func run() throws {
        let store = try InsightStore(try storeOption.location())
        let version = try versionInForce(workflow, pipelines: pipelines, store: store)
        let run = try operation { try WorkflowOperations.trigger(version, store: store, now: InsightStore.now()) }
        print("triggered \(workflow): run \(run.runID) (version \(version.stored.digest.prefix(12))\(version.stored.paused ? "; the workflow is paused: the run starts when it is unpaused" : ""))")
    }
}

struct BackfillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Create runs for every tick of a workflow between two dates (UTC, inclusive), in the backfill pool.",
        discussion: "Backfill runs have a concurrency pool of their own (--max-backfill of bursar scheduler run), so they never crowd out scheduled runs. At most 31 days unless --force (an admin's decision), and at most 10000 ticks. The runs use the version in force, as POST /v1/workflows/{name}/backfill does."
    )
    @Argument(help: "The workflow.") var workflow: String
    @Option(help: "The first day, YYYY-MM-DD.") var from: String
    @Option(help: "The last day, YYYY-MM-DD.") var to: String
    @Flag(help: "Allow more than 31 days.") var force = false
    @Option(help: "The definitions folder (read only for a workflow the scheduler has not recorded yet).") var pipelines = "Pipelines"
    @OptionGroup var storeOption: StoreOption

    func run() throws {
        let range = try operation { try WorkflowOperations.backfillRange(from: from, to: to, force: force) }
        let store = try InsightStore(try storeOption.location())
        let version = try versionInForce(workflow, pipelines: pipelines, store: store)
        let outcome = try operation { try WorkflowOperations.backfill(version, range, store: store, now: InsightStore.now()) }
        print("backfill \(workflow) \(from)..\(to): \(outcome.ticks) ticks, \(outcome.created.count) runs created (\(outcome.ticks - outcome.created.count) existed)")
    }
}
