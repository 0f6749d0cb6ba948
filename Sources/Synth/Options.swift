import Timestamps
import Ingest

/// A calendar day in UTC. Synth never reads the clock: the last day of the history is an option.
public struct SynthDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public let epochDay: Int

    /// The day `epochDay` days after 1970-01-01.
    public init(epochDay: Int) { self.epochDay = epochDay }

    /// A valid Gregorian date, or nil.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= Timestamp.daysIn(month, year),
              (1970...9999).contains(year) else { return nil }
        epochDay = Timestamp.daysFromCivil(year, month, day)
    }

    /// Parses `YYYY-MM-DD`.
    public init?(iso: String) {
        let parts = iso.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// (year, month, day).
    public var civil: (year: Int, month: Int, day: Int) { Timestamp.civilFromDays(Int64(epochDay)) }

    /// `YYYY-MM-DD`.
    public var iso: String {
        var out: [UInt8] = []
        out.appendDate(epochDay: epochDay, separator: 45)
        return String(decoding: out, as: UTF8.self)
    }

    /// `YYYY-MM-DD`.
    public var description: String { iso }

    /// Midnight UTC of this day, in milliseconds since the epoch.
    public var startMillis: Int64 { Int64(epochDay) * 86_400_000 }

    /// 0 = Sunday … 6 = Saturday.
    public var weekday: Int { ((epochDay % 7) + 11) % 7 }

    /// The day `days` later (earlier when negative).
    public func adding(days: Int) -> SynthDate { SynthDate(epochDay: epochDay + days) }

    /// Earlier days first.
    public static func < (lhs: SynthDate, rhs: SynthDate) -> Bool { lhs.epochDay < rhs.epochDay }
}

/// One cluster of the synthetic platform. Its name is the YuniKorn RmID and a folder name.
public struct SynthCluster: Sendable, Hashable {
    public var name: String
    /// GPU projects run only on a cluster with GPUs; their summaries carry `nvidia.com/gpu`.
    public var hasGPU: Bool

    /// A cluster named `name` (a valid YuniKorn queue-name level, since it is a folder and an RmID).
    public init(_ name: String, hasGPU: Bool = false) {
        self.name = name
        self.hasGPU = hasGPU
    }
}

/// The log shapes Synth writes, one file per cluster, day and shape.
public enum SynthShape: String, Sendable, CaseIterable, Hashable, Comparable {
    /// YuniKorn ≥ 1.5 zap console lines: `YK_APP_SUMMARY: {ApplicationID: …}` (`logs/<cluster>/yunikorn-DAY.log`).
    case yunikorn
    /// YuniKorn 1.4 zap console lines with JSON fields (`logs/<cluster>/yunikorn-1.4-DAY.log`).
    case yunikornJSON = "yunikorn-json"
    /// Fluent Bit JSON records whose `log` holds one of the two lines above (`logs/<cluster>/fluentbit-DAY.log`).
    case fluentBit = "fluent-bit"
    /// YARN ResourceManager `ApplicationSummary` lines (`yarn/<cluster>/rm-appsummary-DAY.log`).
    case yarn

    /// Share of applications written in each shape when all are enabled.
    var weight: Double {
        switch self {
        case .yunikorn: 0.45
        case .yunikornJSON: 0.15
        case .fluentBit: 0.25
        case .yarn: 0.15
        }
    }

    /// Position in `allCases`; indexes per-shape arrays on the hot path (no array is built per call).
    var order: Int {
        switch self {
        case .yunikorn: 0
        case .yunikornJSON: 1
        case .fluentBit: 2
        case .yarn: 3
        }
    }

    /// The order of `allCases`.
    public static func < (lhs: SynthShape, rhs: SynthShape) -> Bool { lhs.order < rhs.order }

    /// The file of this shape for one cluster and day, relative to the output folder (without `.gz`).
    public func relativePath(cluster: String, date: SynthDate) -> String {
        switch self {
        case .yunikorn: "logs/\(cluster)/yunikorn-\(date.iso).log"
        case .yunikornJSON: "logs/\(cluster)/yunikorn-1.4-\(date.iso).log"
        case .fluentBit: "logs/\(cluster)/fluentbit-\(date.iso).log"
        case .yarn: "yarn/\(cluster)/rm-appsummary-\(date.iso).log"
        }
    }
}

/// Everything that shapes a synthetic history. The same options always give byte-identical output.
public struct SynthOptions: Sendable, Equatable {
    /// Seed of every random choice.
    public var seed: UInt64 = 1
    /// How many days of history, ending with `endDate`.
    public var days: Int = 14
    /// The last day of the history (UTC).
    public var endDate: SynthDate = SynthDate(year: 2026, month: 11, day: 20)!
    /// The clusters; the defaults match `Queues/clusters.yaml`.
    public var clusters: [SynthCluster] = [SynthCluster("moka-a", hasGPU: true), SynthCluster("moka-b")]
    /// Distinct applications per weekday over all clusters (weekends have fewer ad-hoc apps).
    /// Ignored when `totalSummaryLines` is set.
    public var appsPerDay: Int = 800
    /// When set, exactly this many well-formed summary lines (duplicates included) over the whole history,
    /// spread evenly over the days; the platform (projects, workflows) is sized to match.
    public var totalSummaryLines: Int? = nil
    /// Other log lines (scheduler chatter) per summary line, on average.
    public var noiseRatio: Double = 1.0
    /// Malformed summary lines per well-formed one, on average (truncated, non-numeric time, negative
    /// usage, finish before start); each must be rejected by the ingester.
    public var malformedRatio: Double = 0.001
    /// Share of applications whose summary appears twice (e.g. in a YuniKorn file and its Fluent Bit copy).
    public var duplicateRatio: Double = 0.002
    /// The shapes to write; applications are spread over them by fixed weights.
    public var shapes: Set<SynthShape> = Set(SynthShape.allCases)
    /// Whether log files should be gzipped (`.log.gz`); the writer's caller supplies the compressor.
    public var compress: Bool = false

    /// The defaults: 14 days to 2026-11-20 on moka-a (GPU) and moka-b, 800 apps a day, every shape.
    public init() {}

    /// The days of the history, oldest first.
    public var dates: [SynthDate] { (0..<max(days, 0)).map { endDate.adding(days: $0 - days + 1) } }

    /// Every problem with these options (empty when usable).
    public var problems: [String] {
        var problems: [String] = []
        if days < 1 || days > 3660 { problems.append("days must be between 1 and 3660 (got \(days))") }
        if clusters.isEmpty { problems.append("at least one cluster is needed") }
        for cluster in clusters where !QueueNames.isValidQueueLevel(cluster.name) {
            problems.append("cluster name \"\(cluster.name)\" must be 1-64 letters, digits, - or _")
        }
        if Set(clusters.map(\.name)).count != clusters.count { problems.append("cluster names must differ") }
        if let total = totalSummaryLines, total < 1 { problems.append("totalSummaryLines must be positive") }
        if totalSummaryLines == nil && appsPerDay < 1 { problems.append("appsPerDay must be positive") }
        if !(0...1000).contains(noiseRatio) { problems.append("noiseRatio must be between 0 and 1000") }
        if !(0...1).contains(malformedRatio) { problems.append("malformedRatio must be between 0 and 1") }
        if !(0...1).contains(duplicateRatio) { problems.append("duplicateRatio must be between 0 and 1") }
        if shapes.isEmpty { problems.append("at least one shape is needed") }
        return problems
    }

    /// Distinct applications expected on a weekday: what the platform is sized for.
    var targetAppsPerDay: Double {
        if let total = totalSummaryLines {
            return Double(total) / Double(max(days, 1)) / (1 + duplicateRatio)
        }
        return Double(appsPerDay)
    }
}

/// Why Synth could not do what was asked; `description` is safe to show to a user.
public struct SynthError: Error, CustomStringConvertible, Equatable {
    public var description: String

    /// An error with a message for the user.
    public init(_ description: String) { self.description = description }
}

/// The names Synth writes into queue paths and every log shape: letters, digits, `-` and `_`, 1 to 64
/// characters (a subset of YuniKorn's queue-name rule, `QueueConfig.QueueName`, safe in YARN's escaping and
/// in CSV without quoting).
enum QueueNames {
    /// Whether one level of a queue path is a valid YuniKorn queue name.
    static func isValidQueueLevel<S: StringProtocol>(_ name: S) -> Bool {
        guard (1...64).contains(name.utf8.count) else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 45 || c == 95
        }
    }

    /// Whether a full path such as `root.payments.ledger.tier1` is valid level by level.
    static func isValidQueuePath(_ path: String) -> Bool {
        let levels = path.split(separator: ".", omittingEmptySubsequences: false)
        return levels.first == "root" && levels.allSatisfy { isValidQueueLevel($0) }
    }
}
