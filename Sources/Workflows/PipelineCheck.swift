public import Diagnostics
import SourceDocuments
import Parallel
import Routing

/// One definition file's text, as the edge read it.
public struct PipelineSource: Sendable {
    public var file: String
    public var text: String
    public init(file: String, text: String) {
        self.file = file
        self.text = text
    }
}

/// What the definitions are checked against besides themselves.
public struct PipelineContext: Sendable {
    /// The projects in the mappings (`projects.csv`); nil when no mappings were given (not checked).
    public var projects: Set<String>?
    /// `workflows.csv` rows by workflow, to warn where a definition disagrees with them.
    public var mappedWorkflows: [String: (project: String, tier: Int, sloMinutes: Int)]
    /// The last known runtime of each job (seconds) by workflow, for the SLO-against-critical-path warning.
    public var lastRuntimes: [String: [String: Double]]

    public init(projects: Set<String>? = nil, mappedWorkflows: [String: (project: String, tier: Int, sloMinutes: Int)] = [:],
                lastRuntimes: [String: [String: Double]] = [:]) {
        self.projects = projects
        self.mappedWorkflows = mappedWorkflows
        self.lastRuntimes = lastRuntimes
    }
}

/// Every workflow of `Pipelines/` read and checked together.
public struct PipelineCatalog: Sendable {
    /// The workflows with no errors, in file order (none kept when the check was asked not to keep them).
    public var workflows: [Workflow]
    /// How many workflows have no errors, kept or not.
    public var valid: Int
    /// Every error and warning, by file then line.
    public var findings: [PipelineFinding]
    public var files: Int
    public var jobs: Int

    public var errors: Int { findings.count { $0.severity == .error } }
    public var warnings: Int { findings.count { $0.severity == .warning } }
}

/// Reads and checks workflow definitions: each file on its own (in parallel, over the cores), then across
/// files. Pure: spark files are read through `readFile` (a path relative to the definition's folder, resolved
/// by the caller), which answers their text or a problem.
public enum PipelineCheck {
    public typealias FileReader = @Sendable (_ definition: String, _ path: String) -> Result<(file: String, text: String), SourceProblem>

    /// Every file checked, then the checks across files. `keepingWorkflows: false` (for `pipelines validate`,
    /// which only reports) lets each workflow go as soon as its file is checked: 600,000 jobs' specs need not
    /// all be held at once.
    public static func check(_ sources: [PipelineSource], context: PipelineContext, readFile: FileReader,
                             keepingWorkflows: Bool = true) -> PipelineCatalog {
        let perFile = Concurrent.map(sources) { source in
            let (workflow, findings) = checkFile(source, readFile: readFile)
            return (workflow.map { Checked($0, context: context, keeping: keepingWorkflows) }, findings)
        }
        var findings: [PipelineFinding] = perFile.flatMap(\.1)
        var workflows: [Workflow] = []
        var valid = 0
        var firstFile: [String: String] = [:]
        var jobs = 0
        for (checked, _) in perFile {
            guard let workflow = checked else { continue }
            jobs += workflow.jobs
            if let first = firstFile[workflow.name] {
                findings.append(PipelineFinding(.error, SourceProblem(file: workflow.file, line: 1, column: 1, field: "workflow",
                    message: "\"\(workflow.name)\" is also defined in \(first); workflow names are unique across Pipelines/, rename one")))
                continue
            }
            firstFile[workflow.name] = workflow.file
            var accepted = true
            if let projects = context.projects, !projects.contains(workflow.project) {
                findings.append(PipelineFinding(.error, SourceProblem(file: workflow.file, line: 1, column: 1, field: "project",
                    message: "\"\(workflow.project)\" is not in the mappings (projects.csv); add it there with its owner, or fix the name")))
                accepted = false
            }
            if let mapped = context.mappedWorkflows[workflow.name],
               mapped.project != workflow.project || mapped.tier != workflow.tier || mapped.sloMinutes != workflow.sloMinutes {
                findings.append(PipelineFinding(.warning, SourceProblem(file: workflow.file, line: 1, column: 1, field: "workflow",
                    message: "workflows.csv says project \(mapped.project), tier \(mapped.tier), slo_minutes \(mapped.sloMinutes); this definition wins for runs the scheduler starts, update the CSV to match")))
            }
            if let warning = workflow.sloWarning { findings.append(warning) }
            if accepted {
                valid += 1
                if let kept = workflow.kept { workflows.append(kept) }
            }
        }
        findings.sort { ($0.problem.file, $0.problem.line, $0.problem.column) < ($1.problem.file, $1.problem.line, $1.problem.column) }
        return PipelineCatalog(workflows: workflows, valid: valid, findings: findings, files: sources.count, jobs: jobs)
    }

    /// What the checks across files need of a workflow without errors, worked out beside its file's own checks.
    struct Checked: Sendable {
        var name, project, file: String
        var tier, sloMinutes, jobs: Int
        /// The SLO against the critical path's last known runtime, when it is too short.
        var sloWarning: PipelineFinding?
        /// The workflow itself, when the caller keeps them.
        var kept: Workflow?

        init(_ workflow: Workflow, context: PipelineContext, keeping: Bool) {
            (name, project, file) = (workflow.name, workflow.project, workflow.file)
            (tier, sloMinutes, jobs) = (workflow.tier, workflow.sloMinutes, workflow.jobs.count)
            kept = keeping ? workflow : nil
            if let runtimes = context.lastRuntimes[workflow.name], !runtimes.isEmpty {
                let path = workflow.graph.criticalPath(seconds: workflow.jobs.map { runtimes[$0.name] ?? 0 })
                if path.seconds > Double(workflow.sloMinutes * 60) {
                    let minutes = Int((path.seconds / 60).rounded(.up))
                    sloWarning = PipelineFinding(.warning, SourceProblem(file: workflow.file, line: 1, column: 1, field: "slo_minutes",
                        message: "\(workflow.sloMinutes) minutes is shorter than the critical path's last known runtime, \(minutes) minutes (\(path.jobs.map { workflow.jobs[$0].name }.joined(separator: " → "))); runs will miss their deadline unless the jobs get faster"))
                }
            }
        }
    }

    /// One file: the definition, then each Spark job as the router would see its first attempt.
    static func checkFile(_ source: PipelineSource, readFile: FileReader) -> (workflow: Workflow?, findings: [PipelineFinding]) {
        let draft = WorkflowReader.readDraft(source.text, file: source.file)
        var (workflow, findings) = (draft.workflow, draft.findings)
        var failed = false
        // Each Spark job as its first attempt would reach the router; where the file's own identity fields are
        // wrong (already reported), valid stand-ins keep the router's verdict about the job itself.
        func identity(_ job: Job) -> SparkSpec.Identity {
            SparkSpec.Identity(workflow: draft.name ?? "workflow", project: draft.project ?? "project", tier: draft.tier ?? 1,
                               job: job.name, runID: "validate", scheduledAt: draft.startsAt ?? 0, name: job.name)
        }
        var attemptFields: SparkSpec.AttemptFields?
        for job in draft.jobs {
            let position = job.position
            switch job.action {
            case .bursar:
                continue
            case .spark(let spec):
                var fields = attemptFields.take() ?? SparkSpec.AttemptFields(identity(job))
                fields.set(job: job.name, name: job.name)
                let verdict = SparkSpec.routerVerdict(compactSpec: spec, fields: &fields)
                attemptFields = fields
                if let refusal = verdict {
                    findings.append(PipelineFinding(.error, SourceProblem(file: source.file, line: refusal.line ?? job.line, column: refusal.column,
                        field: "jobs[\(position)].spark" + (refusal.field.isEmpty ? "" : "." + refusal.field),
                        message: "the router would refuse this job: \(refusal.message)")))
                    failed = true
                }
            case .sparkFile(let path):
                switch readFile(source.file, path) {
                case .failure(let problem):
                    findings.append(PipelineFinding(.error, SourceProblem(file: source.file, line: job.line, field: "jobs[\(position)].spark_file",
                                                                          message: problem.message)))
                    failed = true
                case .success(let (file, text)):
                    if let problem = checkApplicationFile(file: file, text: text, identity: identity(job)) {
                        findings.append(PipelineFinding(.error, problem))
                        failed = true
                    }
                }
            }
        }
        if failed { workflow = nil }
        return (workflow, findings)
    }

    /// A SparkApplication file: nil when the router would take it with the scheduler's labels.
    static func checkApplicationFile(file: String, text: String, identity: SparkSpec.Identity) -> SourceProblem? {
        let root: SourceNode
        do {
            guard let document = try YAMLSource.parse(text, limits: .submission) else {
                return SourceProblem(file: file, line: 1, column: 1, message: "the file is empty; write a SparkApplication (apiVersion \(SubmissionParser.apiVersion))")
            }
            root = document
        } catch {
            return error.problem(file: file)
        }
        switch SparkSpec.applicationDocument(root, identity: identity) {
        case .failure(let error):
            return error.problem(file: file)
        case .success(let document):
            guard let refusal = SparkSpec.routerVerdict(document) else { return nil }
            return SourceProblem(file: file, line: refusal.line, column: refusal.column, field: refusal.field,
                                 message: "the router would refuse this SparkApplication: \(refusal.message)")
        }
    }
}
