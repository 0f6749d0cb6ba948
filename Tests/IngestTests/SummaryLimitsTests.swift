import Testing
@testable import Ingest

/// Lines outside `SummaryLimits` are rejected with the bound named, in every shape; lines just inside pass.
struct SummaryLimitsTests {
    static let start: Int64 = 1_763_596_800_000  // 2025-11-20T00:00:00Z

    static func yunikorn(app: String = "spark-1", submission: Int64 = start, start: Int64 = start,
                         finish: Int64 = start + 60_000, user: String = "alice", queue: String = "root.a.b.tier1",
                         usage: String = "UNKNOWN:vcore=60000,UNKNOWN:memory=1073741824") -> String {
        "YK_APP_SUMMARY: {ApplicationID: \(app), SubmissionTime: \(submission), StartTime: \(start), FinishTime: \(finish), "
            + "User: \(user), Queue: \(queue), State: Completed, RmID: moka-a, ResourceUsage: TrackedResource{\(usage)}, "
            + "PreemptedResource: TrackedResource{}, PlaceholderResource: TrackedResource{}}"
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var line: String
        /// A phrase the reason must hold; nil when the line must pass.
        var reason: String?
        var testDescription: String { name }
    }

    static let manyResources = (0..<300).map { "UNKNOWN:r\($0)=1" }.joined(separator: ",")
    static let day: Int64 = 86_400_000

    static let cases: [Case] = [
        Case(name: "a finish time in the year 287,000 (seen: the ingester ran for ever)",
             line: yunikorn(finish: 9_000_000_000_000_000), reason: "FinishTime 9000000000000000 is not a time between 2000 and 2100"),
        Case(name: "300 distinct resource names (seen: a crash on every later run)", line: yunikorn(usage: manyResources),
             reason: "more than 32 distinct resource names"),
        Case(name: "32 distinct resource names", line: yunikorn(usage: (0..<32).map { "i\($0 % 3):r\($0)=1" }.joined(separator: ",")),
             reason: nil),
        Case(name: "the same name from many instance types", line: yunikorn(usage: (0..<100).map { "i\($0):vcore=1" }.joined(separator: ",")),
             reason: nil),
        Case(name: "a start time of 0 (1.3 logged apps that never ran)", line: yunikorn(submission: start, start: 0),
             reason: "StartTime is 0: the application never ran"),
        Case(name: "a submission time in 1990", line: yunikorn(submission: 631_152_000_000), reason: "SubmissionTime 631152000000"),
        Case(name: "a run of 32 days", line: yunikorn(finish: start + 32 * day), reason: "run time of 32 days is implausible"),
        Case(name: "a run of 31 days", line: yunikorn(finish: start + 31 * day), reason: nil),
        Case(name: "a 300-byte application id", line: yunikorn(app: String(repeating: "a", count: 300)),
             reason: "application id of 300 bytes is longer than 253"),
        Case(name: "a 300-byte user", line: yunikorn(user: String(repeating: "u", count: 300)), reason: "user of 300 bytes"),
        Case(name: "a 2,000-byte queue path", line: yunikorn(queue: "root." + String(repeating: "q", count: 2_000)),
             reason: "queue path of 2005 bytes is longer than 1024"),
        Case(name: "a 300-byte resource name", line: yunikorn(usage: "UNKNOWN:" + String(repeating: "r", count: 300) + "=1"),
             reason: "resource name of 300 bytes is longer than 253"),
        Case(name: "memory at 2^43 bytes a second for a minute",
             line: yunikorn(usage: "UNKNOWN:memory=\(Int64(60) << 43)"), reason: "ResourceUsage memory=\(Int64(60) << 43) is more than 2^42 a second"),
        Case(name: "memory at 2^42 bytes a second for a minute", line: yunikorn(usage: "UNKNOWN:memory=\(Int64(60) << 42)"), reason: nil),
        Case(name: "YARN with a finish time in the year 33,658",
             line: "appId=application_1_0001,user=bob,queue=root.a,state=FINISHED,submitTime=\(start),startTime=\(start),finishTime=999999999999999,memorySeconds=1,vcoreSeconds=1",
             reason: "FinishTime 999999999999999"),
        Case(name: "YuniKorn 1.4 JSON with 40 resource names",
             line: "YK_APP_SUMMARY:\t{\"appID\": \"a\", \"submissionTime\": \(start), \"startTime\": \(start), \"finishTime\": \(start + 1000), \"queue\": \"root.q\", \"resourceUsage\": {\"UNKNOWN\":{"
                + (0..<40).map { "\"r\($0)\":1" }.joined(separator: ",") + "}}}",
             reason: "more than 32 distinct resource names"),
    ]

    @Test(arguments: cases)
    func boundsAreEnforced(_ testCase: Case) {
        let outcome = SummaryLine.parse(testCase.line)
        switch (outcome, testCase.reason) {
        case (.summary, nil):
            break
        case let (.rejected(reason), expected?):
            #expect(reason.contains(expected), "reason: \(reason)")
        default:
            Issue.record("\(testCase.name): \(outcome)")
        }
    }

    @Test func anOversizedLineIsRejectedOnlyWithAMarker() {
        let marked = Array(("x " + Self.yunikorn()).utf8), plain = Array(String(repeating: "frame ", count: 100).utf8)
        let markedOutcome = marked.withUnsafeBufferPointer { SummaryLine.oversized($0, limit: 100) }
        #expect(markedOutcome == .rejected("line longer than 100 bytes: not read as a summary (a summary is a few hundred bytes)"))
        #expect(plain.withUnsafeBufferPointer { SummaryLine.oversized($0, limit: 100) } == .skipped)
    }
}
