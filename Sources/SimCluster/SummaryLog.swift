import Routing
import Timestamps

/// The `YK_APP_SUMMARY` YuniKorn ≥ 1.5 logs when an application that ran reaches Completed or Failed
/// (`application_summary.go`), with the values this simulation tracked.
public struct AppSummaryRecord: Sendable, Equatable {
    /// The YuniKorn application id.
    public var applicationID: String
    /// When the application was created, ms since 1970.
    public var submissionTime: Int64
    /// When it first ran.
    public var startTime: Int64
    /// When it ended.
    public var finishTime: Int64
    /// The user YuniKorn recorded.
    public var user: String
    /// The full queue path.
    public var queue: String
    /// `Completed` or `Failed`.
    public var state: String
    /// The partition's RM id: the cluster's name.
    public var rmID: String
    /// Resource·seconds: `pods`, `vcore` (millicore·s), `memory` (byte·s), in the order written.
    public var usage: [(name: String, amount: Int64)]

    /// A record.
    public init(applicationID: String, submissionTime: Int64, startTime: Int64, finishTime: Int64, user: String,
                queue: String, state: String, rmID: String, usage: [(name: String, amount: Int64)]) {
        self.applicationID = applicationID
        self.submissionTime = submissionTime
        self.startTime = startTime
        self.finishTime = finishTime
        self.user = user
        self.queue = queue
        self.state = state
        self.rmID = rmID
        self.usage = usage
    }

    /// Equal when the messages are (the usage is compared in its written order).
    public static func == (lhs: AppSummaryRecord, rhs: AppSummaryRecord) -> Bool {
        lhs.message == rhs.message
    }

    /// YuniKorn's instance type key: the K8s shim stopped sending one in 1.6, so every key is `UNKNOWN`.
    static let instanceType = "UNKNOWN"

    /// The message exactly as `DoLogging` formats it (`fmt.Sprintf("YK_APP_SUMMARY: {%s}", as)`); nothing in
    /// it is quoted, as in YuniKorn.
    public var message: String {
        let tracked = usage.map { "\(Self.instanceType):\($0.name)=\($0.amount)" }.joined(separator: ",")
        return "YK_APP_SUMMARY: {ApplicationID: \(applicationID), SubmissionTime: \(submissionTime), "
            + "StartTime: \(startTime), FinishTime: \(finishTime), User: \(user), Queue: \(queue), State: \(state), "
            + "RmID: \(rmID), ResourceUsage: TrackedResource{\(tracked)}, PreemptedResource: TrackedResource{}, "
            + "PlaceholderResource: TrackedResource{}}"
    }

    /// The line the scheduler pod writes to stdout: zap's console encoder, fields joined by tabs
    /// (`time`, `INFO`, the logger `core.scheduler.application.usage`, the caller, the message).
    public var zapLine: String {
        "\(Self.zapTime(finishTime))\tINFO\tcore.scheduler.application.usage\tobjects/application_summary.go:60\t\(message)"
    }

    /// The zap line as Fluent Bit ships it from the scheduler pod (`{"date":…,"log":"…\n","stream":"stdout",…}`),
    /// the shape the sample's `logs/<cluster>/fluentbit-*.log.gz` files have.
    public func fluentBitLine(namespace: String) -> String {
        let seconds = Double(finishTime) / 1000
        let record = JSONValue.object([
            "date": .double(seconds),
            "log": .string(zapLine + "\n"),
            "stream": .string("stdout"),
            "time": .string(String(Self.zapTime(finishTime).dropLast()) + "000000Z"),
            "kubernetes": .object([
                "pod_name": .string("yunikorn-scheduler-\(rmID)-0"),
                "namespace_name": .string(namespace),
                "container_name": .string("yunikorn-scheduler-k8s"),
                "host": .string("sim-\(rmID)"),
            ]),
        ])
        return record.jsonText()
    }

    /// zap's ISO 8601 encoder: always milliseconds, `Z` in UTC.
    static func zapTime(_ millis: Int64) -> String {
        let text = Timestamp.format(millis - millis % 1000)  // whole seconds: `…:05Z`
        let fraction = Int(((millis % 1000) + 1000) % 1000)
        let digits = String(fraction)
        return String(text.dropLast()) + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }
}

/// How summary lines are written to the log file.
public enum SummaryLogFormat: String, Sendable, CaseIterable {
    /// The scheduler pod's own stdout line.
    case zap
    /// That line inside a Fluent Bit JSON record, as the sample's logs are.
    case fluentbit
}
