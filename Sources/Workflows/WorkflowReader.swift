public import Diagnostics
import SourceDocuments
import Schedules
import Timestamps

/// A problem in a workflow definition: an error (the workflow cannot run) or a warning (it can, but
/// probably not as meant).
public struct PipelineFinding: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning }
    public var severity: Severity
    public var problem: SourceProblem

    public init(_ severity: Severity, _ problem: SourceProblem) {
        self.severity = severity
        self.problem = problem
    }

    public var description: String {
        severity == .warning ? "\(problem.place): warning: \(problem.detail)" : problem.description
    }
}

extension SourceProblem {
    /// `file:line:col`.
    var place: String { SourceProblem.place(file: file, line: line, column: column) }
    /// `field: message`, or the message.
    var detail: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// Reads one workflow definition (`Pipelines/<team>/<workflow>.yaml`) strictly: unknown keys, wrong types,
/// bad cron expressions and zones, and a job graph that is not a DAG are all reported at once, each with
/// its line, column and field path. Cross-file checks (duplicate names, mappings, spark files, SLO against
/// runtimes) are `PipelineCheck`'s.
public enum WorkflowReader {
    static let topKeys = ["workflow", "project", "tier", "schedule", "timezone", "slo_minutes", "start_date", "catchup",
                          "max_active_runs", "defaults", "jobs"]
    static let defaultKeys = ["retries", "retry_delay", "retry_backoff", "timeout", "spark"]
    static let jobKeys = ["name", "depends_on", "spark", "spark_file", "bursar", "retries", "retry_delay", "retry_backoff", "timeout"]
    /// Fields of the compact spec the scheduler fills in for every attempt; an author may not set them.
    static let schedulerOwnedSparkKeys = ["workflow", "project", "tier", "org", "job", "run_id", "scheduled_at", "name"]

    /// Whether `key` is one of `schedulerOwnedSparkKeys`: decided by its length first, as every job's spec keys
    /// are asked.
    static func isSchedulerOwned(_ key: String) -> Bool {
        switch key.utf8.count {
        case 3: return key == "org" || key == "job"
        case 4: return key == "tier" || key == "name"
        case 6: return key == "run_id"
        case 7: return key == "project"
        case 8: return key == "workflow"
        case 12: return key == "scheduled_at"
        default: return false
        }
    }

    /// The workflow, or nil when an error stops it; every finding either way.
    public static func read(_ text: String, file: String) -> (workflow: Workflow?, findings: [PipelineFinding]) {
        let reading = readDraft(text, file: file)
        return (reading.workflow, reading.findings)
    }

    /// What a file gave even when it has errors: the jobs that read cleanly and the identity fields found, so
    /// the router's checks of its Spark jobs are reported together with the file's other problems.
    struct Draft {
        var workflow: Workflow?
        var findings: [PipelineFinding]
        var jobs: [Job] = []
        var name: String?
        var project: String?
        var tier: Int?
        var startsAt: Int64?
    }

    static func readDraft(_ text: String, file: String) -> Draft {
        var reader = Cursor(file: file)
        let root: SourceNode?
        do {
            root = try YAMLSource.parse(text, limits: .configFile)
        } catch {
            return Draft(workflow: nil, findings: [PipelineFinding(.error, error.problem(file: file))])
        }
        guard let root else {
            return Draft(workflow: nil, findings: [PipelineFinding(.error, SourceProblem(file: file, line: 1, column: 1, message: "the file holds no workflow; write workflow:, project:, tier:, schedule:, slo_minutes: and jobs:"))])
        }
        let workflow = reader.workflow(root)
        var draft = reader.draft
        draft.workflow = reader.findings.contains { $0.severity == .error } ? nil : workflow
        draft.findings = reader.findings
        return draft
    }
}

/// The reader's state: the file and what it found so far.
struct Cursor {
    let file: String
    var findings: [PipelineFinding] = []
    /// What was read so far, for the router's checks when the file has other errors.
    var draft = WorkflowReader.Draft(workflow: nil, findings: [])

    init(file: String) { self.file = file }

    mutating func error(_ node: SourceNode?, _ field: String, _ message: String) {
        findings.append(PipelineFinding(.error, SourceProblem(file: file, line: node?.line, column: node?.column, field: field, message: message)))
    }

    mutating func errorAtKey(_ node: SourceNode, _ field: String, _ message: String) {
        findings.append(PipelineFinding(.error, SourceProblem(file: file, line: node.keyLine ?? node.line, column: node.keyColumn ?? node.column,
                                                              field: field, message: message)))
    }

    mutating func warning(_ node: SourceNode?, _ field: String, _ message: String) {
        findings.append(PipelineFinding(.warning, SourceProblem(file: file, line: node?.line, column: node?.column, field: field, message: message)))
    }

    /// The members of a mapping, unknown keys reported; nil (reported) when `node` is not a mapping.
    mutating func members(_ node: SourceNode, _ field: @autoclosure () -> String, allowed: [String]) -> [(key: String, node: SourceNode)]? {
        guard let members = node.members else {
            error(node, field(), "expected a mapping (key: value lines or {…}), found \(node.kindName)")
            return nil
        }
        for (key, value) in members where !allowed.contains(key) {
            errorAtKey(value, SourcePath.child(field(), key), "unknown key; expected one of \(allowed.joined(separator: ", "))")
        }
        return members
    }

    mutating func text(_ node: SourceNode, _ field: @autoclosure () -> String) -> String? {
        guard let text = node.scalarText, !text.isEmpty, node.members == nil, node.elements == nil else {
            error(node, field(), "expected a non-empty text value, found \(node.kindName)")
            return nil
        }
        return text
    }

    mutating func integer(_ node: SourceNode, _ field: @autoclosure () -> String, in range: ClosedRange<Int>, hint: String) -> Int? {
        guard case .integer(let value) = node.value else {
            error(node, field(), "expected a whole number, found \(node.scalarText.map { "\"\($0)\"" } ?? node.kindName); \(hint)")
            return nil
        }
        guard value >= Int64(range.lowerBound), value <= Int64(range.upperBound) else {
            error(node, field(), "\(value) is out of range \(range.lowerBound)–\(range.upperBound); \(hint)")
            return nil
        }
        return Int(value)
    }

    mutating func name(_ node: SourceNode, _ field: @autoclosure () -> String, what: String) -> String? {
        guard let text = text(node, field()) else { return nil }
        guard WorkflowNames.isValid(text) else {
            error(node, field(), "\"\(text)\" is not a valid \(what) name; use 1–63 lower-case letters, digits and '-', starting and ending with a letter or digit (it becomes a Kubernetes label value and part of application names)")
            return nil
        }
        return text
    }

    /// A duration such as `90s`, `5m`, `2h`, `1h30m` or `1d`, in seconds.
    mutating func duration(_ node: SourceNode, _ field: @autoclosure () -> String, in range: ClosedRange<Int>) -> Int? {
        guard let text = node.scalarText, let seconds = DurationText.seconds(text) else {
            error(node, field(), "expected a duration such as 90s, 5m, 2h or 1h30m, found \(node.scalarText.map { "\"\($0)\"" } ?? node.kindName)")
            return nil
        }
        guard range.contains(seconds) else {
            error(node, field(), "\(text) is out of range \(DurationText.format(range.lowerBound))–\(DurationText.format(range.upperBound))")
            return nil
        }
        return seconds
    }

    mutating func workflow(_ root: SourceNode) -> Workflow? {
        guard members(root, "", allowed: WorkflowReader.topKeys) != nil else { return nil }
        func required(_ key: String, _ hint: String) -> SourceNode? {
            if let node = root[key] { return node }
            if !findings.contains(where: { $0.problem.field == key }) {
                error(root, key, "missing; \(hint)")
            }
            return nil
        }
        let name = required("workflow", "name the workflow (workflow: ads-daily-rollup)").flatMap { self.name($0, "workflow", what: "workflow") }
        let project = required("project", "give the project it belongs to (its queues run its jobs)").flatMap { text($0, "project") }
        let tier = required("tier", "give the tier: 1 (most critical), 2 or 3").flatMap {
            integer($0, "tier", in: 1...3, hint: "1 (most critical), 2 or 3")
        }
        var zone = ScheduleZone.utc
        if let node = root["timezone"], let identifier = text(node, "timezone") {
            if let found = ScheduleZone(identifier: identifier) {
                zone = found
            } else {
                error(node, "timezone", "\"\(identifier)\" is not a time zone; use an IANA name such as UTC, Europe/London or America/Los_Angeles")
            }
        }
        var schedule: CronSchedule?
        if let node = required("schedule", "give a 5-field cron expression (\"45 2 * * *\") or a shorthand (@daily, @hourly)"),
           let text = text(node, "schedule") {
            do {
                schedule = try CronSchedule.parse(text)
            } catch {
                self.error(node, "schedule", error.field.isEmpty ? error.message : "\(error.field): \(error.message)")
            }
        }
        let slo = required("slo_minutes", "give the deadline in minutes after the scheduled time (slo_minutes: 120)").flatMap {
            integer($0, "slo_minutes", in: 1...(31 * 24 * 60), hint: "minutes after the scheduled time, e.g. 120")
        }
        var startsAt: Int64?
        if let node = required("start_date", "give the first day it runs (start_date: 2026-11-01)"), let text = text(node, "start_date") {
            if let day = Self.civilDay(text) {
                let utcMidnight = Int64(day) * 86_400_000
                startsAt = utcMidnight - Int64(zone.offsetSeconds(at: utcMidnight)) * 1000
            } else {
                error(node, "start_date", "\"\(text)\" is not a date; write YYYY-MM-DD, e.g. 2026-11-01")
            }
        }
        var catchup = Workflow.maximumCatchupDays
        if let node = root["catchup"] {
            if case .bool(false) = node.value {
                catchup = 0
            } else if let fields = members(node, "catchup", allowed: ["max_days"]) {
                if let days = fields.first(where: { $0.key == "max_days" })?.node {
                    catchup = integer(days, "catchup.max_days", in: 0...Workflow.maximumCatchupDays,
                                      hint: "0 for none, at most \(Workflow.maximumCatchupDays) days (backfill older days explicitly)") ?? catchup
                } else {
                    error(node, "catchup", "missing max_days; write catchup: {max_days: 3} (0 for none)")
                }
            }
        }
        var maxActive = 1
        if let node = root["max_active_runs"] {
            maxActive = integer(node, "max_active_runs", in: 1...1000, hint: "how many runs may be active at once, e.g. 1") ?? maxActive
        }

        // Defaults for every job.
        var retry = RetryPolicy(retries: 0, delaySeconds: 300, backoff: 2)
        var timeout = 6 * 3600
        var sparkDefaults: SourceNode?
        if let node = root["defaults"], members(node, "defaults", allowed: WorkflowReader.defaultKeys) != nil {
            (retry, timeout) = settings(node, "defaults", retry: retry, timeout: timeout)
            if let spark = node["spark"] {
                if spark.isObject { sparkDefaults = spark } else { error(spark, "defaults.spark", "expected a mapping of compact-spec fields (image, driver, executor, conf…)") }
            }
        }

        var jobs: [Job] = []
        // Each name's position in `jobs`, also the graph's index of names.
        var seen: [String: Int] = [:]
        if let list = required("jobs", "list the jobs (- name: …, spark: {…} or spark_file: or bursar:)") {
            if let elements = list.elements {
                if elements.isEmpty { error(list, "jobs", "empty; a workflow needs at least one job") }
                if elements.count > 10_000 { error(list, "jobs", "\(elements.count) jobs; at most 10000 in one workflow, split it") }
                seen.reserveCapacity(elements.count)
                jobs.reserveCapacity(elements.count)
                for (position, item) in elements.enumerated() {
                    guard let job = self.job(item, position: position, retry: retry, timeout: timeout, sparkDefaults: sparkDefaults) else { continue }
                    if let first = seen[job.name] {
                        error(item["name"], "jobs[\(position)].name", "job \"\(job.name)\" is already defined at line \(jobs[first].line); give each job its own name")
                        continue
                    }
                    seen[job.name] = jobs.count
                    jobs.append(job)
                }
            } else {
                error(list, "jobs", "expected a list of jobs, found \(list.kindName)")
            }
        }
        var graph: JobGraph?
        if !jobs.isEmpty {
            switch JobGraph.build(count: jobs.count, dependsOn: jobs.map { $0.dependsOn }, index: seen) {
            case .success(let built): graph = built
            case .failure(let list): report(list.problems, jobs: jobs, root: root)
            }
        }
        draft.jobs = jobs
        (draft.name, draft.project, draft.tier, draft.startsAt) = (name, project, tier, startsAt)
        guard let name, let project, let tier, let schedule, let slo, let startsAt, let graph else { return nil }
        return Workflow(name: name, project: project, tier: tier, schedule: schedule, zone: zone, sloMinutes: slo,
                        startsAt: startsAt, catchupDays: catchup, maxActiveRuns: maxActive, jobs: jobs, graph: graph, file: file)
    }

    /// Retries, delay, backoff and timeout from `node`, starting from the given ones.
    mutating func settings(_ node: SourceNode, _ field: String, retry: RetryPolicy, timeout: Int) -> (RetryPolicy, Int) {
        settings(retries: node["retries"], delay: node["retry_delay"], backoff: node["retry_backoff"], timeout: node["timeout"], field,
                 retry: retry, timeout: timeout)
    }

    /// Retries, delay, backoff and timeout from the nodes given, starting from the given ones.
    mutating func settings(retries: SourceNode?, delay: SourceNode?, backoff: SourceNode?, timeout timeoutNode: SourceNode?,
                           _ field: @autoclosure () -> String, retry: RetryPolicy, timeout: Int) -> (RetryPolicy, Int) {
        var retry = retry, timeout = timeout
        if let value = retries { retry.retries = integer(value, "\(field()).retries", in: 0...100, hint: "how many more attempts after a failure, e.g. 2") ?? retry.retries }
        if let value = delay { retry.delaySeconds = duration(value, "\(field()).retry_delay", in: 0...86_400) ?? retry.delaySeconds }
        if let value = backoff {
            let number: Double? = switch value.value {
            case .integer(let whole): Double(whole)
            case .double(let real): real
            default: nil
            }
            if let number, number >= 1, number <= 10 { retry.backoff = number } else {
                error(value, "\(field()).retry_backoff", "expected a multiplier between 1 and 10 for each further retry's delay, e.g. 2")
            }
        }
        if let value = timeoutNode { timeout = duration(value, "\(field()).timeout", in: 60...(7 * 86_400)) ?? timeout }
        return (retry, timeout)
    }

    /// The job at `position` of `jobs:`. Its keys are picked out in one pass (a definition has thousands of
    /// jobs), and its field paths are written only for a problem.
    mutating func job(_ item: SourceNode, position: Int, retry: RetryPolicy, timeout: Int, sparkDefaults: SourceNode?) -> Job? {
        func field() -> String { "jobs[\(position)]" }
        guard let members = item.members else {
            error(item, field(), "expected a mapping (key: value lines or {…}), found \(item.kindName)")
            return nil
        }
        // As `members(_:_:allowed:)` does: each unknown key reported, in order, before anything else.
        var nameNode, list, sparkNode, fileNode, bursarNode, retries, delay, backoff, timeoutNode: SourceNode?
        for (key, node) in members {
            switch key {
            case "name": if nameNode == nil { nameNode = node }
            case "depends_on": if list == nil { list = node }
            case "spark": if sparkNode == nil { sparkNode = node }
            case "spark_file": if fileNode == nil { fileNode = node }
            case "bursar": if bursarNode == nil { bursarNode = node }
            case "retries": if retries == nil { retries = node }
            case "retry_delay": if delay == nil { delay = node }
            case "retry_backoff": if backoff == nil { backoff = node }
            case "timeout": if timeoutNode == nil { timeoutNode = node }
            default:
                errorAtKey(node, SourcePath.child(field(), key), "unknown key; expected one of \(WorkflowReader.jobKeys.joined(separator: ", "))")
            }
        }
        guard let nameNode else {
            error(item, "\(field()).name", "missing; name the job (name: extract)")
            return nil
        }
        let name = self.name(nameNode, "\(field()).name", what: "job")
        var dependsOn: [String] = []
        if let list {
            if let elements = list.elements {
                dependsOn.reserveCapacity(elements.count)
                for (index, element) in elements.enumerated() {
                    if let dependency = text(element, "\(field()).depends_on[\(index)]") { dependsOn.append(dependency) }
                }
            } else if let single = list.scalarText, list.members == nil, !single.isEmpty {
                dependsOn = [single]
            } else {
                error(list, "\(field()).depends_on", "expected a list of job names, e.g. [extract, load]")
            }
        }
        let (jobRetry, jobTimeout) = settings(retries: retries, delay: delay, backoff: backoff, timeout: timeoutNode, field(),
                                              retry: retry, timeout: timeout)
        let givenCount = (sparkNode == nil ? 0 : 1) + (fileNode == nil ? 0 : 1) + (bursarNode == nil ? 0 : 1)
        var action: Job.Action?
        if givenCount != 1 {
            let given = [("spark", sparkNode), ("spark_file", fileNode), ("bursar", bursarNode)].filter { $0.1 != nil }.map(\.0)
            error(item, field(), given.isEmpty ? "says nothing to run; give spark: {…} (a compact Spark job), spark_file: (a SparkApplication beside this file) or bursar: (a built-in step)"
                                               : "gives \(given.joined(separator: " and ")); give exactly one of spark:, spark_file:, bursar:")
        } else if let node = sparkNode {
            action = spark(node, "\(field()).spark", defaults: sparkDefaults).map { .spark($0) }
        } else if let node = fileNode, let path = text(node, "\(field()).spark_file") {
            if path.hasPrefix("/") || path.split(separator: "/").contains("..") {
                error(node, "\(field()).spark_file", "\"\(path)\" leaves the definition's folder; give a path inside it, e.g. aggregate.yaml")
            } else {
                action = .sparkFile(path: path)
            }
        } else if let node = bursarNode, let step = text(node, "\(field()).bursar") {
            if let builtin = BuiltinStep(rawValue: step) {
                action = .bursar(builtin)
            } else {
                error(node, "\(field()).bursar", "\"\(step)\" is not a built-in step; use one of \(BuiltinStep.allCases.map(\.rawValue).joined(separator: ", ")) (shell commands are not run)")
            }
        }
        guard let name, let action else { return nil }
        return Job(name: name, dependsOn: dependsOn, action: action, retry: jobRetry, timeoutSeconds: jobTimeout, line: item.line ?? 0,
                   position: position)
    }

    /// The job's compact spec with the workflow's defaults under it; fields the scheduler sets are refused.
    mutating func spark(_ node: SourceNode, _ field: @autoclosure () -> String, defaults: SourceNode?) -> SourceNode? {
        guard let members = node.members else {
            error(node, field(), "expected a mapping of compact-spec fields (image, main, driver, executor…), found \(node.kindName)")
            return nil
        }
        var refused = false
        for (key, value) in members where WorkflowReader.isSchedulerOwned(key) {
            errorAtKey(value, SourcePath.child(field(), key), "is set by the scheduler from the workflow and the run; remove it")
            refused = true
        }
        guard !refused else { return nil }
        return SparkSpec.merged(defaults, node)
    }

    /// Reports the graph's problems at the jobs they are about.
    mutating func report(_ problems: [JobGraph.Problem], jobs: [Job], root: SourceNode) {
        let list = root["jobs"]?.elements ?? []
        func node(_ job: Int) -> SourceNode? {
            jobs[job].position < list.count ? list[jobs[job].position] : root
        }
        func field(_ job: Int) -> String { "jobs[\(jobs[job].position)]" }
        for problem in problems {
            switch problem {
            case .unknownDependency(let job, let dependency):
                error(node(job)?["depends_on"] ?? node(job), "\(field(job)).depends_on",
                      "\"\(dependency)\" is not a job of this workflow; the jobs are \(Self.sample(jobs.map(\.name)))")
            case .selfDependency(let job):
                error(node(job)?["depends_on"] ?? node(job), "\(field(job)).depends_on", "job \"\(jobs[job].name)\" depends on itself; remove it")
            case .repeatedDependency(let job, let dependency):
                warning(node(job)?["depends_on"] ?? node(job), "\(field(job)).depends_on", "\"\(dependency)\" is listed twice")
            case .cycle(let cycle):
                let names = cycle.map { jobs[$0].name }
                error(node(cycle[0])?["depends_on"] ?? node(cycle[0]), "\(field(cycle[0])).depends_on",
                      "the jobs depend on each other in a cycle: \(names.joined(separator: " → ")) (each depends on the next); break it")
            }
        }
    }

    static func sample(_ names: [String]) -> String {
        names.count <= 8 ? names.joined(separator: ", ") : names.prefix(8).joined(separator: ", ") + " and \(names.count - 8) more"
    }

    /// Days since 1970-01-01 of a `YYYY-MM-DD` date.
    static func civilDay(_ text: String) -> Int? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), day >= 1, day <= Timestamp.daysIn(month, year) else { return nil }
        return Timestamp.daysFromCivil(year, month, day)
    }
}

/// Names of workflows and jobs: Kubernetes label values that are also DNS labels.
public enum WorkflowNames {
    public static func isValid(_ name: String) -> Bool {
        let bytes = name.utf8
        guard (1...63).contains(bytes.count), let first = bytes.first, let last = bytes.last else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool { (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) }
        return alphanumeric(first) && alphanumeric(last) && bytes.allSatisfy { alphanumeric($0) || $0 == 0x2D }
    }
}

/// Durations as workflow authors write them.
public enum DurationText {
    /// `90s`, `5m`, `2h`, `1d`, `1h30m` (units s, m, h, d, each at most once, largest first) in seconds.
    public static func seconds(_ text: String) -> Int? {
        var total = 0, number = 0, digits = 0
        var lastUnit = Int.max
        for byte in text.utf8 {
            if byte >= 0x30 && byte <= 0x39 {
                guard digits < 7 else { return nil }
                number = number * 10 + Int(byte - 0x30)
                digits += 1
                continue
            }
            let unit: Int
            switch byte {
            case 0x73: unit = 1
            case 0x6D: unit = 60
            case 0x68: unit = 3600
            case 0x64: unit = 86_400
            default: return nil
            }
            guard digits > 0, unit < lastUnit else { return nil }
            total += number * unit
            lastUnit = unit
            number = 0
            digits = 0
        }
        guard digits == 0, lastUnit != Int.max else { return nil }
        return total
    }

    /// Seconds written back the same way (`2h`, `1h30m`, `0s`).
    public static func format(_ seconds: Int) -> String {
        guard seconds > 0 else { return "0s" }
        var rest = seconds, text = ""
        for (unit, suffix) in [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")] where rest >= unit {
            text += "\(rest / unit)\(suffix)"
            rest %= unit
        }
        return text
    }
}
