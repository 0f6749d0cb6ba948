import Ingest
import Insights
import InsightStore

/// A batch of lines turned into values: applications (first occurrence of each key in the batch),
/// rejects, counts, and the hourly usage of all those applications.
struct ParsedBatch: Sendable {
    var apps: [AppRecord] = []
    var rejects: [RejectRecord] = []
    var hourly = HourlyUsage()
    var skipped = 0
    /// Summaries whose (cluster, app id) already appeared earlier in the same batch.
    var repeatedInBatch = 0
}

struct AppKey: Hashable {
    var cluster: String
    var app: String
}

/// The pure part of ingestion: lines in, values out.
enum BatchParser {
    /// Longest rejected line kept verbatim in the rejects table.
    static let rejectTextLimit = 2_048

    static func parse(_ content: [UInt8], range: Range<Int>, firstLine: Int64, source: String, clusterOverride: String?,
                      folderCluster: String, lineBytes: Int = SummaryLimits.lineBytes, mappings: Mappings) -> ParsedBatch {
        var batch = ParsedBatch()
        var seen = Set<AppKey>()
        // Attribution by queue path is the same for every app of a queue: parse each path once per batch.
        var byQueue: [String: Attribution] = [:]
        content.withUnsafeBufferPointer { buffer in
            var lineNumber = firstLine
            var start = range.lowerBound
            while start < range.upperBound {
                var end = start
                while end < range.upperBound && buffer[end] != 10 { end += 1 }
                var lineEnd = end
                if lineEnd > start && buffer[lineEnd - 1] == 13 { lineEnd -= 1 }
                let line = UnsafeBufferPointer(rebasing: buffer[start..<lineEnd])
                let outcome = line.count > lineBytes ? SummaryLine.oversized(line, limit: lineBytes) : SummaryLine.parse(line)
                switch outcome {
                case .skipped:
                    batch.skipped += 1
                case let .rejected(reason):
                    let text = String(decoding: UnsafeBufferPointer(rebasing: line.prefix(rejectTextLimit)), as: UTF8.self)
                    batch.rejects.append(RejectRecord(source: source, line: lineNumber, reason: reason, text: text))
                case let .summary(summary):
                    let cluster = clusterOverride ?? (summary.rmID.isEmpty ? folderCluster : summary.rmID)
                    guard seen.insert(AppKey(cluster: cluster, app: summary.applicationID)).inserted else {
                        batch.repeatedInBatch += 1
                        break
                    }
                    // An application in job_apps belongs to its run even when the run's workflow is unmapped.
                    let jobApp = mappings.jobApps.isEmpty ? nil : mappings.jobApps[summary.applicationID]
                    let run = jobApp.map { RunKey(workflow: $0.workflow, runID: $0.runID) }
                    let attribution: Attribution
                    if let jobApp, let byRun = mappings.attribute(jobApp) {
                        attribution = byRun
                    } else if let known = byQueue[summary.queue] {
                        attribution = known
                    } else {
                        attribution = Mappings.attribute(queue: summary.queue)
                        byQueue[summary.queue] = attribution
                    }
                    let app = AppRecord(cluster: cluster, summary: summary, attribution: attribution, source: source,
                                        line: lineNumber, run: run)
                    batch.hourly.add(cluster: cluster, queue: app.demandQueue, start: summary.startTime,
                                     finish: summary.finishTime, usage: summary.usage)
                    batch.apps.append(app)
                }
                lineNumber += 1
                start = end + 1
            }
        }
        return batch
    }
}
