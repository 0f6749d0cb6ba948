import Foundation
import Testing
@testable import Ingest

/// Every input shape of DESIGN.md "Input formats", well formed and malformed. Malformed summaries
/// must be rejected with a reason; other log lines are skipped.
struct SummaryLineTests {
    static let zapPrefix = "2024-05-01T10:03:01.789Z\tINFO\tcore.scheduler.application.usage\tobjects/application_summary.go:60\t"
    static let modern = "YK_APP_SUMMARY: {ApplicationID: spark-7f3c2a, SubmissionTime: 1714557600123, StartTime: 1714557601456, FinishTime: 1714557781789, User: alice, Queue: root.payments.ledger.tier1, State: Completed, RmID: moka-a, ResourceUsage: TrackedResource{UNKNOWN:memory=96636764160,m5.xlarge:vcore=1000,UNKNOWN:vcore=180000,UNKNOWN:pods=180}, PreemptedResource: TrackedResource{UNKNOWN:vcore=5000}, PlaceholderResource: TrackedResource{}}"

    func summary(_ line: String) throws -> AppSummary {
        guard case .summary(let summary) = SummaryLine.parse(line) else {
            Issue.record("not a summary: \(SummaryLine.parse(line))")
            throw CancellationError()
        }
        return summary
    }

    func rejection(_ line: String) -> String? {
        if case .rejected(let reason) = SummaryLine.parse(line) { return reason }
        return nil
    }

    @Test func yunikorn15InsideAZapLine() throws {
        let parsed = try summary(Self.zapPrefix + Self.modern)
        #expect(parsed == AppSummary(
            format: .yunikorn, applicationID: "spark-7f3c2a", rmID: "moka-a", submissionTime: 1714557600123,
            startTime: 1714557601456, finishTime: 1714557781789, user: "alice", queue: "root.payments.ledger.tier1",
            state: "Completed", usage: ["memory": 96636764160, "vcore": 181000, "pods": 180], preempted: ["vcore": 5000]))
    }

    @Test func entryOrderAndSeparatorsInNamesDoNotMatter() throws {
        let shuffled = Self.modern
            .replacingOccurrences(of: "UNKNOWN:memory=96636764160,m5.xlarge:vcore=1000", with: "m5.xlarge:vcore=1000,UNKNOWN:memory=96636764160")
            .replacingOccurrences(of: "User: alice", with: "User: alice, the analyst")
        let parsed = try summary(shuffled)
        #expect(parsed.usage["memory"] == 96636764160)
        #expect(parsed.user == "alice, the analyst")
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        let name: String
        let line: String
        let reason: String
        var testDescription: String { name }
    }

    static let malformed: [Malformed] = [
        Malformed(name: "truncated", line: String(modern.prefix(150)), reason: "truncated summary"),
        Malformed(name: "truncated at the end", line: String(modern.dropLast(2)), reason: "not closed"),
        Malformed(name: "non-numeric time", line: modern.replacingOccurrences(of: "StartTime: 1714557601456", with: "StartTime: soon"),
                  reason: "StartTime is not a number: \"soon\""),
        Malformed(name: "negative usage", line: modern.replacingOccurrences(of: "UNKNOWN:pods=180", with: "UNKNOWN:pods=-180"),
                  reason: "negative usage pods=-180"),
        Malformed(name: "finish before start", line: modern.replacingOccurrences(of: "FinishTime: 1714557781789", with: "FinishTime: 1714557600000"),
                  reason: "finish time 1714557600000 is before start time 1714557601456"),
        Malformed(name: "usage not a number", line: modern.replacingOccurrences(of: "UNKNOWN:pods=180", with: "UNKNOWN:pods=many"),
                  reason: "ResourceUsage: not a number"),
        Malformed(name: "json truncated", line: "YK_APP_SUMMARY:\t{\"appID\": \"a\", \"submissionTime\": 1, \"startT", reason: "summary JSON"),
        Malformed(name: "json negative usage",
                  line: "YK_APP_SUMMARY:\t{\"appID\": \"a\", \"submissionTime\": 1714557600001, \"startTime\": 1714557600002, \"finishTime\": 1714557600003, \"resourceUsage\": {\"UNKNOWN\":{\"memory\":-5}}}",
                  reason: "negative usage memory=-5"),
        Malformed(name: "yarn truncated", line: "appId=application_1_0001,name=x,user=bob,queue=root.a,state=FINISHED,submitTime=1",
                  reason: "has no startTime"),
        Malformed(name: "yarn non-numeric", line: "appId=application_1_0001,submitTime=1,startTime=x,finishTime=3,memorySeconds=1,vcoreSeconds=1",
                  reason: "startTime is not a number"),
    ]

    @Test(arguments: malformed)
    func malformedSummariesAreRejectedWithAReason(_ testCase: Malformed) {
        let reason = rejection(testCase.line)
        #expect(reason?.contains(testCase.reason) == true, "got \(String(describing: reason))")
    }

    @Test func yunikorn13JSONFields() throws {
        let line = Self.zapPrefix.replacingOccurrences(of: "objects/application_summary.go:60", with: "objects/application.go:1790")
            + "YK_APP_SUMMARY:\t{\"appID\": \"spark-1\", \"submissionTime\": 1685487033533, \"startTime\": 1685487035535, \"finishTime\": 1685488714483, \"user\": \"nobody\", \"queue\": \"root.test-queue\", \"state\": \"Completed\", \"rmID\": \"cluster-A\", \"resourceUsage\": {\"instType1\":{\"memory\":38315403247616,\"vcore\":1622000},\"instType2\":{\"memory\":368171374608384,\"vcore\":16245000}}, \"preemptedResource\": {}}"
        let parsed = try summary(line)
        #expect(parsed == AppSummary(
            format: .yunikornJSON, applicationID: "spark-1", rmID: "cluster-A", submissionTime: 1685487033533,
            startTime: 1685487035535, finishTime: 1685488714483, user: "nobody", queue: "root.test-queue", state: "Completed",
            usage: ["memory": 38315403247616 + 368171374608384, "vcore": 1622000 + 16245000]))
    }

    @Test func documentationExampleWithAppIdSpelling() throws {
        let line = "YK_APP_SUMMARY: {\"appId\":\"test-app-id\",\"submissionTime\":1685487033533,\"startTime\":1685487035535,\"finishTime\":1685488714483,\"user\":\"nobody\",\"queue\":\"root.test-queue\",\"state\":\"Completed\",\"rmID\":\"cluster-A\",\"resourceUsage\":{\"instType1\":{\"memory\":38315403247616,\"vcore\":1622000}}}"
        #expect(try summary(line).applicationID == "test-app-id")
    }

    @Test func fluentBitWrappedModernAndJSONLines() throws {
        func wrap(_ line: String) -> String {
            var escaped = ""
            for scalar in line.unicodeScalars {
                switch scalar {
                case "\t": escaped += "\\t"
                case "\"": escaped += "\\\""
                case "\\": escaped += "\\\\"
                default: escaped.unicodeScalars.append(scalar)
                }
            }
            return "{\"date\":1714557781.8,\"log\":\"\(escaped)\\n\",\"stream\":\"stdout\",\"kubernetes\":{\"pod_name\":\"yunikorn-scheduler-0\"}}"
        }
        #expect(try summary(wrap(Self.zapPrefix + Self.modern)) == summary(Self.modern))
        let json = "YK_APP_SUMMARY:\t{\"appID\": \"a\", \"submissionTime\": 1714557600001, \"startTime\": 1714557600002, \"finishTime\": 1714557600003, \"queue\": \"root.q\", \"resourceUsage\": {\"UNKNOWN\":{\"vcore\":7}}}"
        #expect(try summary(wrap(json)).usage == ["vcore": 7])
        #expect(SummaryLine.parse("{\"log\":\"some other line\\n\",\"stream\":\"stderr\"}") == .skipped)
    }

    @Test func yarnApplicationSummary() throws {
        let line = "2024-05-01 10:03:01,789 INFO resourcemanager.RMAppManager$ApplicationSummary: appId=application_1714557600000_0042,name=daily\\, ledger\\=v2,user=bob,queue=root.payments.ledger.tier2,state=FINISHED,trackingUrl=http://rm:8088/proxy/application_1714557600000_0042/,appMasterHost=node7,submitTime=1714557600123,startTime=1714557601456,finishTime=1714557781789,finalStatus=SUCCEEDED,memorySeconds=92160,vcoreSeconds=180,preemptedMemorySeconds=1024,preemptedVcoreSeconds=2,preemptedAMContainers=0,preemptedNonAMContainers=1,preemptedResources=<memory:0\\, vCores:0>,applicationType=SPARK,resourceSeconds=92160 MB-seconds\\, 180 vcore-seconds\\, 30 yarn.io/gpu-seconds,preemptedResourceSeconds=1024 MB-seconds\\, 2 vcore-seconds"
        let parsed = try summary(line)
        #expect(parsed == AppSummary(
            format: .yarn, applicationID: "application_1714557600000_0042", rmID: "", submissionTime: 1714557600123,
            startTime: 1714557601456, finishTime: 1714557781789, user: "bob", queue: "root.payments.ledger.tier2",
            state: "FINISHED", usage: ["memory": 92160 << 20, "vcore": 180_000, "yarn.io/gpu": 30],
            preempted: ["memory": 1024 << 20, "vcore": 2000]))
    }

    @Test(arguments: [
        "",
        "2024-05-01T10:03:01.789Z\tINFO\tcore.scheduler\tscheduler.go:100\tscheduler started",
        "{\"level\":\"info\",\"msg\":\"hello\"}",
        "I1122 10:00:00.000000       1 main.go:10] starting",
    ])
    func otherLinesAreSkipped(_ line: String) {
        #expect(SummaryLine.parse(line) == .skipped)
    }
}

/// The YuniKorn ≥ 1.5 message written from a summary reads back to the same summary (the simulated cluster writes
/// its logs with it).
@Suite("The summary message, written")
struct SummaryTextTests {
    @Test func aWrittenMessageReadsBackToTheSameSummary() throws {
        let summary = AppSummary(format: .yunikorn, applicationID: "ledger-features-r1-1", rmID: "moka-a", submissionTime: 1_796_524_512_554,
                                 startTime: 1_796_524_513_000, finishTime: 1_796_524_632_554, user: "svc-ledger",
                                 queue: "root.payments.ledger.tier1", state: "Failed",
                                 usage: ["vcore": 360_000, "memory": 644_245_094_400, "pods": 360, "nvidia.com/gpu": 120],
                                 preempted: ["vcore": 1_000], placeholder: [:])
        let line = "2026-12-06T02:37:12.554Z\tINFO\tcore.scheduler.application.usage\tobjects/application_summary.go:60\t" + summary.yuniKornMessage
        guard case .summary(let read) = SummaryLine.parse(line) else {
            Issue.record("not read back: \(line)")
            return
        }
        #expect(read == summary)
        #expect(summary.yuniKornMessage.hasSuffix("PreemptedResource: TrackedResource{UNKNOWN:vcore=1000}, PlaceholderResource: TrackedResource{}}"))
    }
}
