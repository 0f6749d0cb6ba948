/// The truth about a generated history: what an ingester must find in it. `SynthWriter` writes it as
/// `manifest.json`; tests build it from days directly.
public struct SynthManifest: Sendable {
    /// One written file.
    public struct File: Sendable, Equatable {
        public var relativePath: String
        public var lines: Int
        /// Uncompressed size.
        public var bytes: Int
        /// Size on disk (smaller when compressed).
        public var storedBytes: Int
    }

    public var options: SynthOptions
    public var orgs: Int
    public var owners: Int
    public var projects: Int
    public var workflows: Int
    /// Workflows given an SLO shorter than their typical runtime.
    public var lateWorkflows: [String]
    public var counts = SynthCounts()
    public var files: [File] = []
    private var queueIndex: [String: Int] = [:]
    private var queueTotals: [SynthQueueTotal] = []

    /// An empty manifest for this generator's options and platform.
    public init(generator: SynthGenerator) {
        options = generator.options
        let world = generator.world
        orgs = Set(world.owners.map(\.org)).count
        owners = world.owners.count
        projects = world.projects.count
        workflows = world.workflows.count
        lateWorkflows = world.workflows.filter(\.chronicallyLate).map(\.name)
    }

    /// Adds a day's counts and per-queue usage (each distinct application once).
    public mutating func add(_ day: SynthDay) {
        counts.add(day.counts)
        for app in day.apps {
            let key = app.cluster + "\u{0}" + app.queue
            let index: Int
            if let known = queueIndex[key] {
                index = known
            } else {
                index = queueTotals.count
                queueIndex[key] = index
                queueTotals.append(SynthQueueTotal(cluster: app.cluster, queue: app.queue, apps: 0,
                                                   vcore: 0, memory: 0, pods: 0, gpu: 0))
            }
            queueTotals[index].apps += 1
            queueTotals[index].vcore += Int128(app.usage.vcore)
            queueTotals[index].memory += Int128(app.usage.memory)
            queueTotals[index].pods += Int128(app.usage.pods)
            queueTotals[index].gpu += Int128(app.usage.gpu)
        }
    }

    /// Usage per (cluster, queue) over distinct applications, sorted by cluster then queue.
    public var queues: [SynthQueueTotal] {
        queueTotals.sorted { ($0.cluster, $0.queue) < ($1.cluster, $1.queue) }
    }

    /// The manifest as JSON (keys in a fixed order, so equal histories give equal bytes).
    public func json() -> String {
        var out = "{\n"
        func line(_ key: String, _ value: String, last: Bool = false) {
            out += "  \"\(key)\": \(value)\(last ? "" : ",")\n"
        }
        func quoted(_ text: String) -> String {
            var bytes: [UInt8] = [34]
            bytes.appendJSONEscaped(text)
            bytes.append(34)
            return String(decoding: bytes, as: UTF8.self)
        }
        func byShape(_ values: [SynthShape: Int]) -> String {
            "{" + values.keys.sorted().map { "\(quoted($0.rawValue)): \(values[$0]!)" }.joined(separator: ", ") + "}"
        }
        let dates = options.dates
        line("generator", quoted("bursar synth"))
        line("seed", String(options.seed))
        line("days", String(options.days))
        line("first_date", quoted(dates.first?.iso ?? ""))
        line("end_date", quoted(options.endDate.iso))
        line("clusters", "[" + options.clusters.map { "{\"name\": \(quoted($0.name)), \"gpu\": \($0.hasGPU)}" }
            .joined(separator: ", ") + "]")
        line("shapes", "[" + options.shapes.sorted().map { quoted($0.rawValue) }.joined(separator: ", ") + "]")
        line("apps_per_day", options.totalSummaryLines == nil ? String(options.appsPerDay) : "null")
        line("total_summary_lines_requested", options.totalSummaryLines.map(String.init) ?? "null")
        line("noise_ratio", String(options.noiseRatio))
        line("malformed_ratio", String(options.malformedRatio))
        line("duplicate_ratio", String(options.duplicateRatio))
        line("compress", String(options.compress))
        line("orgs", String(orgs))
        line("owners", String(owners))
        line("projects", String(projects))
        line("workflows", String(workflows))
        line("late_workflows", "[" + lateWorkflows.map(quoted).joined(separator: ", ") + "]")
        line("summary_lines", String(counts.totalSummaryLines))
        line("summary_lines_by_shape", byShape(counts.summaryLines))
        line("duplicate_lines", String(counts.duplicateLines))
        line("malformed_lines", String(counts.totalMalformedLines))
        line("malformed_lines_by_shape", byShape(counts.malformedLines))
        line("noise_lines", String(counts.noiseLines))
        line("lines", String(counts.lines))
        line("bytes", String(counts.bytes))
        line("apps", String(counts.apps))
        line("workflow_apps", String(counts.workflowApps))
        line("adhoc_apps", String(counts.adhocApps))
        line("unattributed_apps", String(counts.unattributedApps))
        line("failed_apps", String(counts.failedApps))
        line("workflow_runs", String(counts.workflowRuns))
        line("runs_met_by_tier", "[" + counts.runsMet.map(String.init).joined(separator: ", ") + "]")
        line("runs_missed_by_tier", "[" + counts.runsMissed.map(String.init).joined(separator: ", ") + "]")
        out += "  \"queues\": [\n"
        let queues = queues
        for (index, queue) in queues.enumerated() {
            out += "    {\"cluster\": \(quoted(queue.cluster)), \"queue\": \(quoted(queue.queue)), \"apps\": \(queue.apps), "
                + "\"vcore\": \(queue.vcore), \"memory\": \(queue.memory), \"pods\": \(queue.pods), \"gpu\": \(queue.gpu)}"
                + (index == queues.count - 1 ? "\n" : ",\n")
        }
        out += "  ],\n  \"files\": [\n"
        for (index, file) in files.enumerated() {
            out += "    {\"path\": \(quoted(file.relativePath)), \"lines\": \(file.lines), \"bytes\": \(file.bytes), "
                + "\"stored_bytes\": \(file.storedBytes)}" + (index == files.count - 1 ? "\n" : ",\n")
        }
        out += "  ]\n}\n"
        return out
    }
}
