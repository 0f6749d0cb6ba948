import ArgumentParser
import Foundation
import Diagnostics
import Ingest
import IngestPipeline
import InsightStore
import JSONText
import Workflows

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

        The mappings come from --mappings DIR (the CSV folder), else from the store when it exists.

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
        let catalog = PipelineCheck.check(sources, context: context, readFile: PipelineFiles.readSparkFile)
        Trace.say("checked in \(Trace.seconds(ContinuousClock.now - started)) s")
        switch format {
        case .text:
            var out = ""
            for problem in unreadable { out += "\(problem)\n" }
            for finding in catalog.findings { out += "\(finding)\n" }
            out += "\(catalog.files) file\(catalog.files == 1 ? "" : "s"), \(catalog.workflows.count) workflow\(catalog.workflows.count == 1 ? "" : "s") valid, \(catalog.jobs) jobs: "
                + "\(catalog.errors) errors, \(catalog.warnings) warnings"
                + (unreadable.isEmpty ? "" : ", \(unreadable.count) unreadable") + "\n"
            if context.projects == nil { out += "note: projects were not checked (no --mappings folder and no mappings in the store)\n" }
            FileHandle.standardOutput.write(Data(out.utf8))
        case .json:
            let findings: [JSON] = unreadable.map { Self.json(PipelineFinding(.error, $0), kind: "unreadable") }
                + catalog.findings.map { Self.json($0, kind: $0.severity.rawValue) }
            let document = JSON.object([
                "files": .int(catalog.files), "workflows": .int(catalog.workflows.count), "jobs": .int(catalog.jobs),
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
        if let mappings {
            let (read, _, problems, unreadable) = MappingFolder.read(mappings)
            if let unreadable { throw ValidationError(unreadable) }
            for problem in problems { FileHandle.standardError.write(Data("bursar: mappings: \(problem) (row skipped)\n".utf8)) }
            loaded = read
        } else if let location = try? storeOption.location(), Self.mayHoldMappings(location) {
            loaded = try? InsightStore(location).mappings()
        }
        guard let loaded, !loaded.projectOwners.isEmpty else { return PipelineContext() }
        return PipelineContext(projects: Set(loaded.projectOwners.keys),
                               mappedWorkflows: loaded.workflows.mapValues { ($0.project, $0.tier, $0.sloMinutes) })
    }
}

/// Reading definition files and the SparkApplication files beside them: the edge of `pipelines validate`
/// and (later) the scheduler.
enum PipelineFiles {
    /// The largest definition or spark file read.
    static let sizeLimit = 4 << 20

    /// The definitions under `paths` (sorted, so problems come in a stable order) and the paths that could not be read.
    static func read(_ paths: [String]) -> ([PipelineSource], [SourceProblem]) {
        var files: [String] = []
        var problems: [SourceProblem] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                problems.append(SourceProblem(file: path, line: 0, message: "no such file or folder; check the path"))
                continue
            }
            if isDirectory.boolValue {
                let enumerator = FileManager.default.enumerator(atPath: path)
                var found: [String] = []
                while let relative = enumerator?.nextObject() as? String {
                    guard relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") else { continue }
                    found.append((path as NSString).appendingPathComponent(relative))
                }
                files += found.sorted()
            } else {
                files.append(path)
            }
        }
        var sources: [PipelineSource] = []
        sources.reserveCapacity(files.count)
        for file in files {
            switch text(file) {
            case .success(let text):
                // A SparkApplication beside the definitions is read through the definition that names it.
                if !isDefinition(text) && looksLikeKubernetesObject(text) { continue }
                sources.append(PipelineSource(file: file, text: text))
            case .failure(let problem):
                problems.append(problem)
            }
        }
        return (sources, problems)
    }

    /// A spark file named by `definition`, resolved against its folder.
    @Sendable static func readSparkFile(definition: String, path: String) -> Result<(file: String, text: String), SourceProblem> {
        let folder = (definition as NSString).deletingLastPathComponent
        let file = folder.isEmpty ? path : (folder as NSString).appendingPathComponent(path)
        return text(file).map { (file, $0) }
    }

    static func text(_ file: String) -> Result<String, SourceProblem> {
        guard let handle = FileHandle(forReadingAtPath: file) else {
            return .failure(SourceProblem(file: file, line: 0, message: "cannot be read; check the path and its permissions"))
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: sizeLimit + 1)) ?? Data()
        guard data.count <= sizeLimit else {
            return .failure(SourceProblem(file: file, line: 0, message: "is larger than \(sizeLimit >> 20) MiB; a workflow definition is far smaller, split it"))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(SourceProblem(file: file, line: 0, message: "is not UTF-8 text; save it as UTF-8"))
        }
        return .success(text)
    }

    /// Whether some line starts with `workflow:`.
    static func isDefinition(_ text: String) -> Bool { startsALine(text, "workflow:") }

    /// Whether some line starts with `kind:` or `apiVersion:`.
    static func looksLikeKubernetesObject(_ text: String) -> Bool { startsALine(text, "kind:") || startsALine(text, "apiVersion:") }

    static func startsALine(_ text: String, _ prefix: String) -> Bool {
        text.hasPrefix(prefix) || text.contains("\n" + prefix)
    }
}
