/// One finished application as its scheduler summarised it, in YuniKorn's units:
/// `vcore` in millicore·seconds, `memory` in byte·seconds, every other resource in unit·seconds.
public struct AppSummary: Equatable, Sendable {
    /// Which log shape the summary was read from.
    public enum Format: String, Sendable {
        /// YuniKorn ≥ 1.5: `YK_APP_SUMMARY: {ApplicationID: …}` (a Go format string, not JSON).
        case yunikorn
        /// YuniKorn 1.3 / 1.4: `YK_APP_SUMMARY:` then a TAB and zap's JSON fields.
        case yunikornJSON
        /// YARN ResourceManager `ApplicationSummary` key=value line.
        case yarn
    }

    public var format: Format
    public var applicationID: String
    /// YuniKorn's RmID (the shim's cluster id); empty for YARN, whose cluster comes from the source.
    public var rmID: String
    /// Milliseconds since the Unix epoch.
    public var submissionTime: Int64
    public var startTime: Int64
    public var finishTime: Int64
    public var user: String
    /// The full queue path, e.g. `root.payments.ledger.tier1`.
    public var queue: String
    /// `Completed` / `Failed` (YuniKorn) or `FINISHED` / `FAILED` / `KILLED` (YARN).
    public var state: String
    /// Resource·seconds by resource name, summed over instance types.
    public var usage: [String: Int64]
    public var preempted: [String: Int64]
    public var placeholder: [String: Int64]

    public init(format: Format, applicationID: String, rmID: String, submissionTime: Int64, startTime: Int64,
                finishTime: Int64, user: String, queue: String, state: String, usage: [String: Int64],
                preempted: [String: Int64] = [:], placeholder: [String: Int64] = [:]) {
        self.format = format
        self.applicationID = applicationID
        self.rmID = rmID
        self.submissionTime = submissionTime
        self.startTime = startTime
        self.finishTime = finishTime
        self.user = user
        self.queue = queue
        self.state = state
        self.usage = usage
        self.preempted = preempted
        self.placeholder = placeholder
    }
}

/// What one log line turned out to be.
public enum LineOutcome: Equatable, Sendable {
    /// A well-formed application summary.
    case summary(AppSummary)
    /// Not a summary at all (other log output): counted, not an error.
    case skipped
    /// A summary that cannot be trusted; the reason says what is wrong, for the rejects table.
    case rejected(String)
}
