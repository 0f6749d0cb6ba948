public import Diagnostics
import Timestamps
/// The mapping files that attribute applications to workflows, projects, owners and orgs
/// (DESIGN "Mappings"): `workflows.csv`, `projects.csv`, `owners.csv`, `job_apps.csv`.
public struct Mappings: Sendable, Equatable {
    /// A workflow's project, tier and SLO.
    public struct Workflow: Sendable, Equatable {
        public var project: String
        public var tier: Int
        public var sloMinutes: Int
        public init(project: String, tier: Int, sloMinutes: Int) {
            self.project = project
            self.tier = tier
            self.sloMinutes = sloMinutes
        }
    }

    /// Which workflow run an application belongs to (written by the router in production).
    public struct JobApp: Sendable, Equatable {
        public var workflow: String
        public var job: String
        public var runID: String
        /// Milliseconds since the epoch.
        public var scheduledAt: Int64
        public init(workflow: String, job: String, runID: String, scheduledAt: Int64) {
            self.workflow = workflow
            self.job = job
            self.runID = runID
            self.scheduledAt = scheduledAt
        }
    }

    public var workflows: [String: Workflow] = [:]
    /// project → owner (team).
    public var projectOwners: [String: String] = [:]
    /// owner → org.
    public var ownerOrgs: [String: String] = [:]
    /// application id → workflow run.
    public var jobApps: [String: JobApp] = [:]

    public init() {}

    /// True when no mapping of any kind is known.
    public var isEmpty: Bool { workflows.isEmpty && projectOwners.isEmpty && ownerOrgs.isEmpty && jobApps.isEmpty }
}

/// One of the four mapping files, with its required columns.
public enum MappingFile: String, CaseIterable, Sendable {
    case workflows = "workflows.csv"
    case projects = "projects.csv"
    case owners = "owners.csv"
    case jobApps = "job_apps.csv"

    /// The columns the header must name (in any order; extra columns are ignored).
    public var columns: [String] {
        switch self {
        case .workflows: return ["workflow", "project", "tier", "slo_minutes"]
        case .projects: return ["project", "owner"]
        case .owners: return ["owner", "org"]
        case .jobApps: return ["app_id", "workflow", "job", "run_id", "scheduled_at"]
        }
    }
}

/// A row (or a whole file) of a mapping file that could not be used; the row is skipped, the rest kept.
/// `workflows.csv:7: tier "4" is not 1, 2 or 3 (…)`.
public typealias MappingProblem = SourceProblem

extension Mappings {
    /// Reads one mapping file's text into these mappings (later rows for a key already read are refused,
    /// not silently overriding). Returns the problems: each names the line and what to fix.
    @discardableResult
    ///
    /// `lineOffset` is added to the line of every row after the header: for a piece of a larger file (see
    /// `pieces(of:parts:)`), whose own header is a copy of the file's.
    public mutating func load(_ file: MappingFile, text: String, fileName: String? = nil, lineOffset: Int = 0)
        -> [MappingProblem]
    {
        let name = fileName ?? file.rawValue
        let records: [CSV.Record]
        do {
            records = try CSV.records(text)
        } catch {
            return [MappingProblem(file: name, line: error.line, message: error.message)]
        }
        guard let header = records.first else {
            return [MappingProblem(file: name, line: 0, message: "empty file; expected a header row: \(file.columns.joined(separator: ","))")]
        }
        let names = header.fields.map { $0.trimmingBlanks.lowercased() }
        var position: [String: Int] = [:]
        for column in file.columns {
            if let index = names.firstIndex(of: column) { position[column] = index }
        }
        let missing = file.columns.filter { position[$0] == nil }
        guard missing.isEmpty else {
            return [MappingProblem(file: name, line: header.line,
                                   message: "header lacks column(s) \(missing.joined(separator: ", ")); expected \(file.columns.joined(separator: ","))")]
        }

        // Column positions in `file.columns` order, looked up once rather than per row.
        let columnIndex = file.columns.map { position[$0]! }
        var problems: [MappingProblem] = []
        // scheduled_at repeats for every application of a run: parse each distinct text once.
        var scheduledTimes: [String: Int64] = [:]
        for record in records.dropFirst() {
            func problem(_ message: String) {
                problems.append(MappingProblem(file: name, line: record.line + lineOffset, message: message))
            }
            if record.fields.count < names.count {
                problem("\(record.fields.count) field(s), the header has \(names.count); add the missing values")
                continue
            }
            let values = columnIndex.map { record.fields[$0].trimmingBlanks }
            if values.contains(where: \.isEmpty) {
                let empty = zip(file.columns, values).filter { $0.1.isEmpty }.map(\.0)
                problem("empty \(empty.joined(separator: ", ")); every column of \(file.rawValue) needs a value")
                continue
            }
            switch file {
            case .workflows:
                let workflow = values[0]
                guard let tier = Self.tier(values[2]) else {
                    problem("tier \"\(values[2])\" is not 1, 2 or 3 (tier1 is the most critical)")
                    continue
                }
                guard let slo = Int(values[3]), slo > 0 else {
                    problem("slo_minutes \"\(values[3])\" is not a positive whole number of minutes")
                    continue
                }
                guard workflows[workflow] == nil else {
                    problem("workflow \"\(workflow)\" is listed twice; keep one row per workflow")
                    continue
                }
                workflows[workflow] = Workflow(project: values[1], tier: tier, sloMinutes: slo)
            case .projects:
                let project = values[0]
                guard projectOwners[project] == nil else {
                    problem("project \"\(project)\" is listed twice; a project has one owner")
                    continue
                }
                projectOwners[project] = values[1]
            case .owners:
                let owner = values[0]
                guard ownerOrgs[owner] == nil else {
                    problem("owner \"\(owner)\" is listed twice; an owner belongs to one org")
                    continue
                }
                ownerOrgs[owner] = values[1]
            case .jobApps:
                let app = values[0]
                let scheduledText = values[4]
                let scheduled: Int64
                if let known = scheduledTimes[scheduledText] {
                    scheduled = known
                } else if let parsed = Timestamp.parse(scheduledText) {
                    scheduled = parsed
                    scheduledTimes[scheduledText] = parsed
                } else {
                    problem("scheduled_at \"\(scheduledText)\" is not an ISO 8601 time with a zone (e.g. 2026-11-20T02:00:00Z)")
                    continue
                }
                let row = JobApp(workflow: values[1], job: values[2], runID: values[3], scheduledAt: scheduled)
                if let existing = jobApps[app] {
                    if existing != row {
                        problem("app_id \"\(app)\" is already mapped to run \(existing.workflow)/\(existing.runID); an application belongs to one run")
                    }
                    continue
                }
                jobApps[app] = row
            }
        }
        return problems
    }

    /// Cuts a mapping file into `parts` pieces at line ends, to be read in parallel: each piece is the
    /// file's first line (the header) followed by its share of the rows, with the `lineOffset` that makes
    /// `load` name the file's own line numbers. A quoted field may hold a line break, so a piece ends only
    /// at a line break with an even number of quotes before it (in CSV, `""` inside quotes keeps the count
    /// even). Nil when the file is small or has no such break.
    public static func pieces(of bytes: [UInt8], parts: Int, minimumBytes: Int = 4 << 20)
        -> [(text: String, lineOffset: Int)]?
    {
        guard parts > 1, bytes.count >= minimumBytes, let headerEnd = bytes.firstIndex(of: 10),
              !bytes[...headerEnd].contains(UInt8(ascii: "\"")) else { return nil }
        // A row boundary at or after `target`: the first line break outside quotes.
        func rowEnd(from start: Int, target: Int) -> Int {
            var quotes = 0
            for byte in bytes[start..<target] where byte == UInt8(ascii: "\"") { quotes += 1 }
            var position = target
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") { quotes += 1 } else if byte == 10 && quotes % 2 == 0 { return position + 1 }
                position += 1
            }
            return bytes.count
        }
        let header = bytes[...headerEnd]
        var pieces: [(text: String, lineOffset: Int)] = []
        var start = headerEnd + 1
        var linesBefore = 1
        for part in 1...parts {
            guard start < bytes.count else { break }
            var end = bytes.count
            if part < parts {
                let target = max(start, headerEnd + 1 + (bytes.count - headerEnd - 1) * part / parts)
                end = rowEnd(from: start, target: target)
            }
            let body = bytes[start..<end]
            // Row k of the piece (k ≥ 2, after its header copy) is line linesBefore + k − 1 of the file.
            pieces.append((String(decoding: header + body, as: UTF8.self), linesBefore - 1))
            linesBefore += body.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
            start = end
        }
        return pieces
    }

    /// These mappings with the job_apps rows of `pieces` (read from the pieces of one job_apps.csv, in
    /// order) added. Nil when an application is in two pieces: only a serial read reports that repeat at
    /// its own line, so the caller then reads the file again that way.
    public func addingJobApps(of pieces: [Mappings]) -> Mappings? {
        var joined = self
        joined.jobApps.reserveCapacity(jobApps.count + pieces.reduce(0) { $0 + $1.jobApps.count })
        for piece in pieces {
            for (app, row) in piece.jobApps {
                guard joined.jobApps.updateValue(row, forKey: app) == nil else { return nil }
            }
        }
        return joined
    }

    /// `1`, `tier1` or `Tier 1` → 1; nil outside 1…3.
    static func tier(_ text: String) -> Int? {
        var digits = Substring(text.lowercased())
        if digits.hasPrefix("tier") { digits = digits.dropFirst(4).drop(while: { $0 == " " }) }
        guard let tier = Int(digits), (1...3).contains(tier) else { return nil }
        return tier
    }
}

extension String {
    var trimmingBlanks: String {
        // Most fields have no blanks at either end: answer those without building a new string.
        let utf8 = self.utf8
        guard let first = utf8.first, let last = utf8.last else { return self }
        if first != 32 && first != 9 && last != 32 && last != 9 { return self }
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return String(text)
    }
}
