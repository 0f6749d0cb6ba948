import ArgumentParser
import Foundation
import Diagnostics
import Ingest
import IngestPipeline
import InsightStore
import JSONText
import Workflows
import Scheduler

/// `bursar pipelines …`: the workflow definitions in `Pipelines/`.
struct PipelinesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipelines",
        abstract: "Workflow definitions (Pipelines/): check them before the scheduler reads them.",
        subcommands: [PipelinesValidate.self]
    )
}

/// `bursar pipelines validate [PATH…]`: every problem in workflow definitions at once.
struct PipelinesValidate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check workflow definitions: every problem at once, with file:line:column and the field path.",
        discussion: """
        Each PATH is a definition file or a folder (every .yaml/.yml below it that is not a SparkApplication); \
        the default is Pipelines/. Checked: the fields and their types, the cron schedule and time zone, the jobs \
        as a DAG (unknown or duplicate jobs, cycles named), each Spark job as the router would see it (the compact \
        spec, or the SparkApplication file beside the definition), workflow names unique across all files, the \
        project in the mappings, and (a warning) an SLO shorter than the critical path's last known runtime.

        The mappings come from --mappings DIR (the CSV folder), else from the store when it exists; the jobs' last \
        known runtimes from the store's applications (attributed through job_apps).

        Exit codes: 0 valid (warnings allowed), 1 usage, 2 a path could not be read, 3 a definition is invalid.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Argument(help: "Definition files or folders (default: Pipelines).")
    var paths: [String] = []

    @Option(help: "The mappings folder (projects.csv, workflows.csv…) to check projects against.")
    var mappings: String?

    @Option(help: "Output format: text for people, json for scripts.")
    var format: Format = .text

    @Flag(help: "Treat warnings as invalid.")
    var strict = false

    @OptionGroup var storeOption: StoreOption

    func run() throws {
        let started = ContinuousClock.now
        let (sources, unreadable) = PipelineFiles.read(paths.isEmpty ? ["Pipelines"] : paths)
        Trace.say("definitions read in \(Trace.seconds(ContinuousClock.now - started)) s (\(sources.count) files)")
        let context = try self.context()
        let catalog = PipelineCheck.check(sources, context: context, readFile: PipelineFiles.readSparkFile, keepingWorkflows: false)
        Trace.say("checked in \(Trace.seconds(ContinuousClock.now - started)) s")
        switch format {
        case .text:
            var out = ""
            for problem in unreadable { out += "\(problem)\n" }
            for finding in catalog.findings { out += "\(finding)\n" }
            out += "\(catalog.files) file\(catalog.files == 1 ? "" : "s"), \(catalog.valid) workflow\(catalog.valid == 1 ? "" : "s") valid, \(catalog.jobs) jobs: "
                + "\(catalog.errors) errors, \(catalog.warnings) warnings"
                + (unreadable.isEmpty ? "" : ", \(unreadable.count) unreadable") + "\n"
            if context.projects == nil { out += "note: projects were not checked (no --mappings folder and no mappings in the store)\n" }
            FileHandle.standardOutput.write(Data(out.utf8))
        case .json:
            let findings: [JSON] = unreadable.map { Self.json(PipelineFinding(.error, $0), kind: "unreadable") }
                + catalog.findings.map { Self.json($0, kind: $0.severity.rawValue) }
            let document = JSON.object([
                "files": .int(catalog.files), "workflows": .int(catalog.valid), "jobs": .int(catalog.jobs),
                "errors": .int(catalog.errors), "warnings": .int(catalog.warnings), "unreadable": .int(unreadable.count),
                "projects_checked": .bool(context.projects != nil),
                "valid": .bool(unreadable.isEmpty && catalog.errors == 0 && (!strict || catalog.warnings == 0)),
                "findings": .array(findings),
            ])
            FileHandle.standardOutput.write(Data((document.pretty() + "\n").utf8))
        }
        if !unreadable.isEmpty { throw ExitCode(2) }
        if catalog.errors > 0 || (strict && catalog.warnings > 0) { throw ExitCode(3) }
    }

    /// A PostgreSQL store, or an SQLite file that exists (validation never creates one).
    static func mayHoldMappings(_ location: StoreLocation) -> Bool {
        if case .sqlite(let path) = location { return FileManager.default.fileExists(atPath: path) }
        return true
    }

    static func json(_ finding: PipelineFinding, kind: String) -> JSON {
        .object([
            "severity": .string(kind), "file": .string(finding.problem.file), "line": .int(finding.problem.line),
            "column": .int(finding.problem.column), "field": .string(finding.problem.field), "message": .string(finding.problem.message),
        ])
    }

    /// What the definitions are checked against: the mappings folder, else the store's mappings.
    func context() throws -> PipelineContext {
        var loaded: Mappings?
        var runtimes: [String: [String: Double]] = [:]
        if let location = try? storeOption.location(), Self.mayHoldMappings(location), let store = try? InsightStore(location) {
            runtimes = (try? store.lastJobRuntimes()) ?? [:]
        }
        if let mappings {
            let (read, _, problems, unreadable) = MappingFolder.read(mappings)
            if let unreadable { throw ValidationError(unreadable) }
            for problem in problems { FileHandle.standardError.write(Data("bursar: mappings: \(problem) (row skipped)\n".utf8)) }
            loaded = read
        } else if let location = try? storeOption.location(), Self.mayHoldMappings(location) {
            loaded = try? InsightStore(location).mappings()
        }
        guard let loaded, !loaded.projectOwners.isEmpty else { return PipelineContext(lastRuntimes: runtimes) }
        return PipelineContext(projects: Set(loaded.projectOwners.keys),
                               mappedWorkflows: loaded.workflows.mapValues { ($0.project, $0.tier, $0.sloMinutes) },
                               lastRuntimes: runtimes)
    }
}
