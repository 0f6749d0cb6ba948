/// Resource·seconds in YuniKorn's units, whatever shape the summary is written in:
/// `vcore` millicore·s, `memory` byte·s, `pods` pod·s, `nvidia.com/gpu` GPU·s.
/// (YARN lines carry MB·s and vcore·s; the values here are what an ingester must get after converting.)
public struct SynthUsage: Sendable, Equatable {
    public var vcore: Int64 = 0
    public var memory: Int64 = 0
    public var pods: Int64 = 0
    public var gpu: Int64 = 0

    /// Amounts in YuniKorn units; zero for resources the application did not use.
    public init(vcore: Int64 = 0, memory: Int64 = 0, pods: Int64 = 0, gpu: Int64 = 0) {
        self.vcore = vcore
        self.memory = memory
        self.pods = pods
        self.gpu = gpu
    }

    /// Whether nothing at all was used (an empty `TrackedResource{}`).
    public var isZero: Bool { vcore == 0 && memory == 0 && pods == 0 && gpu == 0 }

    /// The non-zero amounts keyed by resource name as summaries spell them (`vcore`, `memory`, `pods`,
    /// `nvidia.com/gpu`): the same shape as `Ingest.AppSummary.usage`.
    public var byResource: [String: Int64] {
        var out: [String: Int64] = [:]
        for (name, value) in entries where value != 0 { out[name] = value }
        return out
    }

    var entries: [(String, Int64)] { [("memory", memory), ("nvidia.com/gpu", gpu), ("pods", pods), ("vcore", vcore)] }
}

/// How an ingester can attribute an application to an owner.
public enum SynthAttribution: String, Sendable, Equatable {
    /// Listed in `job_apps.csv`: workflow → project → owner → org.
    case workflow
    /// Ad-hoc, not in `job_apps.csv`, but its queue is `root.<org>.<project>.tier<N>`.
    case queue
    /// Neither (queues such as `root.default`, `root.spark`): reported as unattributed.
    case none
}

/// One synthetic application: what its summary line says, in YuniKorn's units. Tests compare an
/// ingester's parsed fields with these.
public struct SynthApp: Sendable, Equatable {
    /// The cluster (the RmID of YuniKorn lines; the folder of YARN files).
    public var cluster: String
    public var applicationID: String
    /// The file shape its line was written to.
    public var shape: SynthShape
    /// How the summary itself is written: `.yunikorn`, `.yunikornJSON` or `.yarn` (a Fluent Bit record
    /// wraps one of the first two).
    public var format: SynthShape
    /// The Spark application name (only YARN summaries print it).
    public var name: String
    public var user: String
    public var queue: String
    /// `Completed` / `Failed` (YuniKorn) or `FINISHED` / `FAILED` / `KILLED` (YARN).
    public var state: String
    /// Milliseconds since the Unix epoch.
    public var submissionTime: Int64
    public var startTime: Int64
    public var finishTime: Int64
    public var usage: SynthUsage
    public var preempted: SynthUsage
    public var placeholder: SynthUsage
    public var attribution: SynthAttribution
    /// For workflow applications: the `job_apps.csv` row.
    public var workflow: String?
    public var job: String?
    public var runID: String?
    public var scheduledAt: Int64?
    /// Whether its summary line appears twice.
    public var duplicated: Bool
    /// Tier of its queue (0 for unattributable queues).
    public var tier: Int
    /// Index of `cluster` in the options' clusters.
    var clusterIndex: Int

    /// `Completed` or `FINISHED`: not failed or killed.
    public var succeeded: Bool { state == "Completed" || state == "FINISHED" }
}

/// What a line of a generated log file is.
public enum SynthLineKind: UInt8, Sendable, Equatable {
    /// A well-formed application summary (its first appearance).
    case summary
    /// A well-formed summary repeated (same cluster and application id as one before it).
    case duplicate
    /// A summary that an ingester must reject (truncated, non-numeric time, negative usage, finish before start).
    case malformed
    /// Any other log line; an ingester skips it.
    case noise
}

/// One file of the generated history, relative to the output folder.
public struct SynthFile: Sendable {
    /// Where to write it, e.g. `logs/moka-a/yunikorn-2026-11-20.log`; it ends in `.gz` when `compress` is set.
    public var relativePath: String
    /// The uncompressed content (the writer compresses it when `compress` is set); every line ends with `\n`.
    public var bytes: [UInt8]
    /// Whether the writer should compress it (log files when `SynthOptions.compress` is set; never CSVs).
    public var compress: Bool
    /// One entry per line for log files (empty for CSVs and the manifest).
    public var lineKinds: [SynthLineKind]

    /// A file to write; `lineKinds` is empty for files that are not logs.
    public init(relativePath: String, bytes: [UInt8], compress: Bool, lineKinds: [SynthLineKind] = []) {
        self.relativePath = relativePath
        self.bytes = bytes
        self.compress = compress
        self.lineKinds = lineKinds
    }
}

/// Counts of what was generated: the truth an ingester's counts are compared with.
public struct SynthCounts: Sendable, Equatable {
    /// Well-formed summary lines per file shape, duplicates included.
    public var summaryLines: [SynthShape: Int] = [:]
    /// Well-formed summary lines that repeat an earlier one (same cluster and application id).
    public var duplicateLines = 0
    /// Malformed summary lines per file shape.
    public var malformedLines: [SynthShape: Int] = [:]
    /// Non-summary lines.
    public var noiseLines = 0
    /// Distinct applications, by (cluster, application id).
    public var apps = 0
    public var workflowApps = 0
    /// Ad-hoc applications attributable through their queue path.
    public var adhocApps = 0
    /// Applications in queues that cannot be attributed (`root.default`, `root.spark`).
    public var unattributedApps = 0
    public var failedApps = 0
    public var workflowRuns = 0
    /// Workflow runs per tier (index tier - 1) whose last application finished by scheduled time + SLO.
    public var runsMet = [0, 0, 0]
    public var runsMissed = [0, 0, 0]
    /// Every line of the log files, and their uncompressed bytes.
    public var lines = 0
    public var bytes = 0

    /// All counts zero.
    public init() {}

    /// Well-formed summary lines over all shapes, duplicates included.
    public var totalSummaryLines: Int { summaryLines.values.reduce(0, +) }
    /// Malformed summary lines over all shapes.
    public var totalMalformedLines: Int { malformedLines.values.reduce(0, +) }

    /// Adds another day's counts.
    public mutating func add(_ other: SynthCounts) {
        for (shape, count) in other.summaryLines { summaryLines[shape, default: 0] += count }
        for (shape, count) in other.malformedLines { malformedLines[shape, default: 0] += count }
        duplicateLines += other.duplicateLines
        noiseLines += other.noiseLines
        apps += other.apps
        workflowApps += other.workflowApps
        adhocApps += other.adhocApps
        unattributedApps += other.unattributedApps
        failedApps += other.failedApps
        workflowRuns += other.workflowRuns
        for tier in 0..<3 {
            runsMet[tier] += other.runsMet[tier]
            runsMissed[tier] += other.runsMissed[tier]
        }
        lines += other.lines
        bytes += other.bytes
    }
}

/// Usage totals of one queue on one cluster over distinct applications (duplicates counted once).
public struct SynthQueueTotal: Sendable, Equatable {
    public var cluster: String
    public var queue: String
    public var apps: Int
    /// Sums can pass 2^63 on large histories, hence 128 bits.
    public var vcore: Int128
    public var memory: Int128
    public var pods: Int128
    public var gpu: Int128
}

/// One generated day: its log files, its applications and its `job_apps.csv` rows.
public struct SynthDay: Sendable {
    public var date: SynthDate
    /// The day's log files (a cluster/shape pair with no lines has no file).
    public var files: [SynthFile]
    /// Every distinct application of the day (phantom applications of malformed lines are not included).
    public var apps: [SynthApp]
    /// `job_apps.csv` rows (no header) for the day's workflow applications.
    public var jobAppsRows: [UInt8]
    public var counts: SynthCounts
}
