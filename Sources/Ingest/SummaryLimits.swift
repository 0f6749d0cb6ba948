/// What a summary may plausibly hold. A line outside these bounds is rejected with a reason that names the
/// bound, so that no single line (a corrupted timestamp, a hostile resource list) can make ingestion spread
/// usage over centuries of hours, overflow a sum, or grow a table without limit. The bounds are far beyond
/// any real batch application; the README lists them.
public enum SummaryLimits {
    /// Earliest accepted timestamp: 2000-01-01T00:00:00Z, in milliseconds since the epoch.
    public static let earliestMillis: Int64 = 946_684_800_000
    /// First timestamp no longer accepted: 2100-01-01T00:00:00Z.
    public static let latestMillis: Int64 = 4_102_444_800_000
    /// Longest accepted run time (finish − start): 31 days. Usage is spread over every hour an application
    /// ran, so this bounds the work one line costs.
    public static let longestRunMillis: Int64 = 31 * 24 * 3_600_000
    /// Most distinct resource names in one usage map (Kubernetes nodes report a handful).
    public static let resourcesPerMap = 32
    /// Longest resource name: a Kubernetes qualified name (prefix, slash and name) is at most 253 bytes.
    public static let resourceNameBytes = 253
    /// Longest application id, user, cluster id (RmID) or state.
    public static let identifierBytes = 253
    /// Longest queue path (YuniKorn allows 64 bytes a level; this leaves room for deep hierarchies).
    public static let queueBytes = 1_024
    /// Highest average rate of any one resource over an application's run, in YuniKorn units per second
    /// (2^42: 4 TiB of memory, or 4.4 billion vcore millicores, held for the whole run). It keeps every
    /// per-queue hourly sum far from 64-bit overflow.
    public static let unitsPerSecond: Int64 = 1 << 42
    /// Longest line read; a longer one is skipped (or rejected when it carries a summary marker) without
    /// being held in memory whole.
    public static let lineBytes = 1 << 20
}

extension SummaryLimits {
    /// Why `summary` is implausible, or nil when it is within every bound. Runs on every summary, so it
    /// allocates nothing unless it finds a problem.
    static func problem(with summary: AppSummary) -> String? {
        if let problem = time("SubmissionTime", summary.submissionTime) ?? time("StartTime", summary.startTime)
            ?? time("FinishTime", summary.finishTime) {
            return problem
        }
        let runMillis = summary.finishTime - summary.startTime
        if runMillis > longestRunMillis {
            return "run time of \(runMillis / 86_400_000) days is implausible (the limit is \(longestRunMillis / 86_400_000))"
        }
        if let problem = identifier("application id", summary.applicationID) ?? identifier("user", summary.user)
            ?? identifier("RmID", summary.rmID) ?? identifier("state", summary.state) {
            return problem
        }
        if summary.queue.utf8.count > queueBytes {
            return "queue path of \(summary.queue.utf8.count) bytes is longer than \(queueBytes)"
        }
        // Whole seconds, at least one: a zero-length run may still report a moment's usage. Past about 24 days
        // the ceiling is beyond 64 bits, and any amount is within it.
        let product = max(1, (runMillis + 999) / 1000).multipliedReportingOverflow(by: unitsPerSecond)
        let ceiling = product.overflow ? Int64.max : product.partialValue
        return rate("ResourceUsage", summary.usage, ceiling) ?? rate("PreemptedResource", summary.preempted, ceiling)
            ?? rate("PlaceholderResource", summary.placeholder, ceiling)
    }

    private static func time(_ name: String, _ value: Int64) -> String? {
        guard value < earliestMillis || value >= latestMillis else { return nil }
        if value == 0 && name == "StartTime" { return "StartTime is 0: the application never ran" }
        return "\(name) \(value) is not a time between 2000 and 2100 (milliseconds since 1970)"
    }

    private static func identifier(_ name: String, _ value: String) -> String? {
        guard value.utf8.count > identifierBytes else { return nil }
        return "\(name) of \(value.utf8.count) bytes is longer than \(identifierBytes)"
    }

    private static func rate(_ map: String, _ totals: [String: Int64], _ ceiling: Int64) -> String? {
        for (resource, amount) in totals where amount > ceiling {
            return "\(map) \(resource)=\(amount) is more than 2^42 a second over the \(ceiling / unitsPerSecond) s run"
        }
        return nil
    }
}
