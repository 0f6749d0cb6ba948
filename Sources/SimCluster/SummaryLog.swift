public import Ingest
import Routing
import Timestamps

/// How the simulated cluster's summaries reach its log: YuniKorn ≥ 1.5's message (`AppSummary.yuniKornMessage`,
/// written in Ingest beside the parser that reads it back) in the scheduler pod's zap line, optionally wrapped
/// in a Fluent Bit record as the sample's logs are.
extension AppSummary {
    /// The line the scheduler pod writes to stdout: zap's console encoder, fields joined by tabs
    /// (`time`, `INFO`, the logger `core.scheduler.application.usage`, the caller, the message).
    public var zapLine: String {
        "\(SummaryLog.zapTime(finishTime))\tINFO\tcore.scheduler.application.usage\tobjects/application_summary.go:60\t\(yuniKornMessage)"
    }

    /// The zap line as Fluent Bit ships it from the scheduler pod (`{"date":…,"log":"…\n","stream":"stdout",…}`),
    /// the shape the sample's `logs/<cluster>/fluentbit-*.log.gz` files have.
    public func fluentBitLine(namespace: String) -> String {
        let seconds = Double(finishTime) / 1000
        let record = JSONValue.object([
            "date": .double(seconds),
            "log": .string(zapLine + "\n"),
            "stream": .string("stdout"),
            "time": .string(String(SummaryLog.zapTime(finishTime).dropLast()) + "000000Z"),
            "kubernetes": .object([
                "pod_name": .string("yunikorn-scheduler-\(rmID)-0"),
                "namespace_name": .string(namespace),
                "container_name": .string("yunikorn-scheduler-k8s"),
                "host": .string("sim-\(rmID)"),
            ]),
        ])
        return record.jsonText()
    }
}

/// zap's time stamps.
enum SummaryLog {
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
