import Foundation
import Testing
@testable import Ingest

/// Locks what `SummaryLine.parse` returns, so its internals can be rewritten for speed: exact values for
/// valid lines of every shape, exact reasons for malformed ones, and properties over every cut and
/// corruption of the valid lines (no crash; a cut summary is never taken for the whole one).
struct SummaryLineBehaviourTests {
    static let zap = "2025-11-20T10:00:00.000Z\tINFO\tcore.scheduler.application.usage\tobjects/application_summary.go:60\t"
    static let log4j = "2024-05-01 10:03:01,789 INFO resourcemanager.RMAppManager$ApplicationSummary: "

    static let modern = "YK_APP_SUMMARY: {ApplicationID: spark-1, SubmissionTime: 1763596801300, StartTime: 1763596801300, FinishTime: 1763596862300, User: u, Queue: root.o1.p1.tier2, State: Completed, RmID: moka-a, ResourceUsage: TrackedResource{UNKNOWN:memory=1000003,UNKNOWN:vcore=17,UNKNOWN:pods=1}, PreemptedResource: TrackedResource{}, PlaceholderResource: TrackedResource{}}"
    static let modernSummary = AppSummary(
        format: .yunikorn, applicationID: "spark-1", rmID: "moka-a", submissionTime: 1763596801300,
        startTime: 1763596801300, finishTime: 1763596862300, user: "u", queue: "root.o1.p1.tier2", state: "Completed",
        usage: ["memory": 1000003, "vcore": 17, "pods": 1])

    static let yarn = log4j + "appId=application_1714557600000_0042,name=daily\\, ledger\\=v2,user=svc\\,etl,queue=root.payments.ledger.tier2,state=FINISHED,trackingUrl=http://rm:8088/proxy/application_1714557600000_0042/,appMasterHost=node7,submitTime=1714557600123,startTime=1714557601456,finishTime=1714557781789,finalStatus=SUCCEEDED,memorySeconds=92160,vcoreSeconds=180,preemptedMemorySeconds=1024,preemptedVcoreSeconds=2,preemptedAMContainers=0,preemptedNonAMContainers=1,preemptedResources=<memory:0\\, vCores:0>,applicationType=SPARK,resourceSeconds=92160 MB-seconds\\, 180 vcore-seconds\\, 30 yarn.io/gpu-seconds,preemptedResourceSeconds=1024 MB-seconds\\, 2 vcore-seconds"
    static let yarnSummary = AppSummary(
        format: .yarn, applicationID: "application_1714557600000_0042", rmID: "", submissionTime: 1714557600123,
        startTime: 1714557601456, finishTime: 1714557781789, user: "svc,etl", queue: "root.payments.ledger.tier2",
        state: "FINISHED", usage: ["memory": 92160 << 20, "vcore": 180_000, "yarn.io/gpu": 30],
        preempted: ["memory": 1024 << 20, "vcore": 2000])

    static let json13 = zap.replacingOccurrences(of: "application_summary.go:60", with: "application.go:1790")
        + "YK_APP_SUMMARY:\t{\"appID\": \"spark-13\", \"submissionTime\": 1685487033533, \"startTime\": 1685487035535, \"finishTime\": 1685488714483, \"user\": \"nob\\u00f8dy\", \"queue\": \"root.test-queue\", \"state\": \"Failed\", \"rmID\": \"cluster-A\", \"resourceUsage\": {\"instType1\":{\"memory\":38315403247616,\"vcore\":1622000},\"instType2\":{\"memory\":368171374608384,\"vcore\":16245000}}, \"preemptedResource\": {\"instType1\":{\"vcore\":1000}}, \"placeHolderResource\": {\"UNKNOWN\":{\"pods\":2}}}"
    static let json13Summary = AppSummary(
        format: .yunikornJSON, applicationID: "spark-13", rmID: "cluster-A", submissionTime: 1685487033533,
        startTime: 1685487035535, finishTime: 1685488714483, user: "nobødy", queue: "root.test-queue", state: "Failed",
        usage: ["memory": 38315403247616 + 368171374608384, "vcore": 1622000 + 16245000], preempted: ["vcore": 1000],
        placeholder: ["pods": 2])

    /// A Fluent Bit JSON record holding `line`, escaped as Fluent Bit escapes it, with the fields around it
    /// that real records carry (a float date, a nested object, a list).
    static func fluentBit(_ line: String, ending: String = "\\n") -> String {
        var escaped = ""
        for scalar in line.unicodeScalars {
            switch scalar {
            case "\t": escaped += "\\t"
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return "{\"date\":1763632800.123,\"log\":\"\(escaped)\(ending)\",\"stream\":\"stdout\",\"time\":\"2025-11-20T10:00:00Z\","
            + "\"kubernetes\":{\"pod_name\":\"yunikorn-scheduler-0\",\"labels\":{\"app\":\"yunikorn\"},\"ids\":[1,2.5e3,true,false,null]}}"
    }

    struct Valid: Sendable, CustomTestStringConvertible {
        let name: String
        let line: String
        let expected: AppSummary
        /// Whatever follows the end of this text is noise: cutting there or later changes nothing.
        let completeAfter: String
        /// YARN reads whatever pairs a cut line still holds, so a cut can give another summary (never this one).
        var cutMayStillParse = false
        var testDescription: String { name }

        var completeLength: Int {
            guard let range = line.range(of: completeAfter, options: .backwards) else { return line.utf8.count }
            return line.utf8.distance(from: line.startIndex, to: range.upperBound)
        }
    }

    static let valid: [Valid] = [
        Valid(name: "YuniKorn 1.5 zap line", line: zap + modern, expected: modernSummary,
              completeAfter: "PlaceholderResource: TrackedResource{}}"),
        Valid(name: "YuniKorn 1.5, every tracked resource, separators in the user, trailing text",
              line: "YK_APP_SUMMARY: {ApplicationID: spark-7f3c2a, SubmissionTime: 1714557600123, StartTime: 1714557601456, FinishTime: 1714557781789, User: alice, the analyst, Queue: root.payments.ledger.tier1, State: Failed, RmID: mycluster, ResourceUsage: TrackedResource{m5.xlarge:vcore=1000,UNKNOWN:memory=96636764160,UNKNOWN:vcore=180000,UNKNOWN:nvidia.com/gpu=60}, PreemptedResource: TrackedResource{UNKNOWN:vcore=5000}, PlaceholderResource: TrackedResource{UNKNOWN:pods=3}} (caller=x)",
              expected: AppSummary(
                format: .yunikorn, applicationID: "spark-7f3c2a", rmID: "mycluster", submissionTime: 1714557600123,
                startTime: 1714557601456, finishTime: 1714557781789, user: "alice, the analyst",
                queue: "root.payments.ledger.tier1", state: "Failed",
                usage: ["memory": 96636764160, "vcore": 181000, "nvidia.com/gpu": 60], preempted: ["vcore": 5000],
                placeholder: ["pods": 3]),
              completeAfter: "TrackedResource{UNKNOWN:pods=3}}"),
        Valid(name: "YuniKorn 1.5 with nothing tracked",
              line: "YK_APP_SUMMARY: {ApplicationID: a, SubmissionTime: 1714557600000, StartTime: 1714557600000, FinishTime: 1714557600000, User: , Queue: root, State: Completed, RmID: , ResourceUsage: TrackedResource{}, PreemptedResource: TrackedResource{}, PlaceholderResource: TrackedResource{}}",
              expected: AppSummary(format: .yunikorn, applicationID: "a", rmID: "", submissionTime: 1714557600000,
                                   startTime: 1714557600000, finishTime: 1714557600000, user: "", queue: "root", state: "Completed", usage: [:]),
              completeAfter: "PlaceholderResource: TrackedResource{}}"),
        Valid(name: "Fluent Bit record of a YuniKorn 1.5 line", line: fluentBit(zap + modern), expected: modernSummary,
              completeAfter: "[1,2.5e3,true,false,null]}}"),
        Valid(name: "Fluent Bit record ending in CR LF", line: fluentBit(zap + modern, ending: "\\r\\n"),
              expected: modernSummary, completeAfter: "[1,2.5e3,true,false,null]}}"),
        Valid(name: "Fluent Bit record with \\u escapes",
              line: fluentBit(zap + modern).replacingOccurrences(of: "User: u,", with: "User: \\u00e9l\\u00e8ve\\ud83d\\ude00,"),
              expected: {
                  var summary = modernSummary
                  summary.user = "élève😀"
                  return summary
              }(),
              completeAfter: "[1,2.5e3,true,false,null]}}"),
        Valid(name: "Fluent Bit record of a YuniKorn 1.3 line", line: fluentBit(json13), expected: json13Summary,
              completeAfter: "[1,2.5e3,true,false,null]}}"),
        Valid(name: "Fluent Bit record of a YARN line", line: fluentBit(yarn), expected: yarnSummary,
              completeAfter: "[1,2.5e3,true,false,null]}}"),
        Valid(name: "YuniKorn 1.3 JSON fields", line: json13, expected: json13Summary, completeAfter: "{\"pods\":2}}}"),
        Valid(name: "YARN ApplicationSummary", line: yarn, expected: yarnSummary, completeAfter: "yarn.io/gpu-",
              cutMayStillParse: true),
        Valid(name: "YARN bare, as Int64 reads numbers",
              line: "appId=application_1_0001,user=bob,queue=root.a,state=KILLED,submitTime=+1714557600005,startTime=01714557600007,finishTime=1714557600009,memorySeconds=1,vcoreSeconds=2",
              expected: AppSummary(format: .yarn, applicationID: "application_1_0001", rmID: "", submissionTime: 1714557600005,
                                   startTime: 1714557600007, finishTime: 1714557600009, user: "bob", queue: "root.a", state: "KILLED",
                                   usage: ["memory": 1 << 20, "vcore": 2000]),
              completeAfter: "vcoreSeconds=2"),
        Valid(name: "YARN escaped key, later duplicate, pairs without key or value",
              line: "appId=application_9_0001,user=first,queue=q\\\\x,state=FINISHED,submitTime=1714557600001,startTime=1714557600002,finishTime=1714557600003,memorySeconds=4,vcoreSeconds=5,flag,=orphan,user\\=x=y,us\\er=sec\\nond",
              expected: AppSummary(format: .yarn, applicationID: "application_9_0001", rmID: "", submissionTime: 1714557600001,
                                   startTime: 1714557600002, finishTime: 1714557600003, user: "sec\nond", queue: "q\\x", state: "FINISHED",
                                   usage: ["memory": 4 << 20, "vcore": 5000]),
              completeAfter: "us\\er=sec\\nond", cutMayStillParse: true),
    ]

    @Test(arguments: valid)
    func validLinesGiveExactValues(_ testCase: Valid) {
        #expect(SummaryLine.parse(testCase.line) == .summary(testCase.expected))
        var bytes = Array(testCase.line.utf8)
        let viaBytes = bytes.withUnsafeMutableBufferPointer { SummaryLine.parse(UnsafeBufferPointer($0)) }
        #expect(viaBytes == .summary(testCase.expected))
    }

    @Test func emptyTrackedResourcesStayEmpty() throws {
        guard case .summary(let summary) = SummaryLine.parse(Self.zap + Self.modern) else {
            Issue.record("not a summary")
            return
        }
        #expect(summary.preempted.isEmpty && summary.placeholder.isEmpty)
    }

    @Test(arguments: valid)
    func cutLinesAreNeverTakenForTheWholeSummary(_ testCase: Valid) {
        let bytes = Array(testCase.line.utf8)
        let complete = testCase.completeLength
        for cut in 0..<bytes.count {
            let outcome = parse(bytes[0..<cut])
            if cut >= complete {
                #expect(outcome == .summary(testCase.expected), "cut at \(cut) changed the summary: \(outcome)")
            } else if testCase.cutMayStillParse {
                #expect(outcome != .summary(testCase.expected), "cut at \(cut) of \(complete) kept the whole summary")
            } else if case .summary = outcome {
                Issue.record("cut at \(cut) of \(complete) gave a summary: \(outcome)")
            }
            if case .rejected(let reason) = outcome { #expect(!reason.isEmpty) }
        }
    }

    /// A letter in place of any digit never yields a summary with a changed number: the line is rejected,
    /// or the digit was in text (an id, an instance type, a field the summary does not keep).
    @Test(arguments: valid)
    func corruptedDigitsNeverChangeANumber(_ testCase: Valid) {
        let bytes = Array(testCase.line.utf8)
        let expected = testCase.expected
        for index in bytes.indices where bytes[index] >= 48 && bytes[index] <= 57 {
            var corrupted = bytes
            corrupted[index] = 120
            guard case .summary(let summary) = parse(corrupted[...]) else { continue }
            #expect(summary.submissionTime == expected.submissionTime && summary.startTime == expected.startTime
                    && summary.finishTime == expected.finishTime, "digit \(index) changed a time")
            // resourceSeconds parts that no longer read as "<n> <name>-seconds" are skipped, so a map may lose one.
            for (resource, amount) in summary.usage { #expect(expected.usage[resource] == amount, "digit \(index): \(resource)") }
            for (resource, amount) in summary.preempted { #expect(expected.preempted[resource] == amount) }
            for (resource, amount) in summary.placeholder { #expect(expected.placeholder[resource] == amount) }
        }
    }

    /// Structural bytes and broken UTF-8 anywhere: no crash, and a rejection always says why.
    @Test(arguments: valid)
    func corruptedBytesAreHandled(_ testCase: Valid) {
        let bytes = Array(testCase.line.utf8)
        for index in bytes.indices {
            var corrupted = bytes
            corrupted.remove(at: index)
            if case .rejected(let reason) = parse(corrupted[...]) { #expect(!reason.isEmpty) }
            for replacement: UInt8 in [44, 61, 92, 34, 125, 0xFF] {
                corrupted = bytes
                corrupted[index] = replacement
                if case .rejected(let reason) = parse(corrupted[...]) { #expect(!reason.isEmpty) }
            }
        }
    }

    @Test(arguments: [
        "",
        "   ",
        "2024-05-01T10:03:01.789Z\tINFO\tcore.scheduler\tscheduler.go:100\tscheduler started",
        "{\"level\":\"info\",\"msg\":\"hello\"}",
        "{\"log\":\"some other line\\n\",\"stream\":\"stderr\"}",
        "{\"log\": 5}",
        "{\"log\":\"truncated",
        "I1122 10:00:00.000000       1 main.go:10] starting",
        "2024-05-01 10:03:01,789 INFO resourcemanager.RMAppManager$ApplicationSummary: name=x",
        "something else appId=application_1_0001",
    ])
    func otherLinesAreSkipped(_ line: String) {
        #expect(SummaryLine.parse(line) == .skipped)
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        let line: String
        let reason: String
        var testDescription: String { reason }
    }

    static func modernWith(_ original: String, _ replacement: String) -> String {
        modern.replacingOccurrences(of: original, with: replacement)
    }

    static let yarnBase = "appId=application_1_0001,user=bob,queue=root.a,state=FINISHED,submitTime=1,startTime=2,finishTime=3,memorySeconds=1,vcoreSeconds=1"

    static let malformed: [Malformed] = [
        Malformed(line: modern.components(separatedBy: ", State:")[0], reason: "truncated summary: no State field"),
        Malformed(line: String(modern.dropLast()), reason: "truncated summary: PlaceholderResource is not closed"),
        Malformed(line: "YK_APP_SUMMARY: nothing", reason: "YK_APP_SUMMARY without a summary after it"),
        Malformed(line: modernWith("SubmissionTime: 1763596801300", "SubmissionTime: 17635968x1300"),
                  reason: "SubmissionTime is not a number: \"17635968x1300\""),
        Malformed(line: modernWith("FinishTime: 1763596862300", "FinishTime: "), reason: "FinishTime is not a number: \"\""),
        Malformed(line: modernWith("UNKNOWN:vcore=17", "UNKNOWN:vcore=1x"),
                  reason: "ResourceUsage: not a number in \"UNKNOWN:vcore=1x\""),
        Malformed(line: modernWith("PreemptedResource: TrackedResource{}", "PreemptedResource: TrackedResource{UNKNOWN:vcore}"),
                  reason: "PreemptedResource: entry without a value: \"UNKNOWN:vcore\""),
        Malformed(line: modernWith("PlaceholderResource: TrackedResource{}", "PlaceholderResource: TrackedResource{,a:b=1}"),
                  reason: "PlaceholderResource: entry without a value: \"\""),
        Malformed(line: modernWith("UNKNOWN:pods=1", "UNKNOWN:=1"),
                  reason: "ResourceUsage: entry without a resource name: \"UNKNOWN:=1\""),
        Malformed(line: modernWith("ResourceUsage: TrackedResource{UNKNOWN:memory=1000003,UNKNOWN:vcore=17,UNKNOWN:pods=1}", "ResourceUsage: {}"),
                  reason: "ResourceUsage: not a TrackedResource{…}: \"{}\""),
        Malformed(line: modernWith("UNKNOWN:vcore=17", "UNKNOWN:vcore=9223372036854775807,i:vcore=1"),
                  reason: "ResourceUsage: usage of vcore overflows 64 bits"),
        Malformed(line: modernWith("UNKNOWN:pods=1", "UNKNOWN:pods=-1"), reason: "ResourceUsage: negative usage pods=-1"),
        Malformed(line: modernWith("FinishTime: 1763596862300", "FinishTime: 1763596800000"),
                  reason: "finish time 1763596800000 is before start time 1763596801300"),
        Malformed(line: modernWith("SubmissionTime: 1763596801300", "SubmissionTime: -1"), reason: "negative timestamp"),
        Malformed(line: modernWith("ApplicationID: spark-1", "ApplicationID: "), reason: "empty application id"),

        Malformed(line: String(fluentBit(zap + modern).dropLast()), reason: "truncated Fluent Bit record"),
        Malformed(line: "{\"log\": 5, \"msg\": \"YK_APP_SUMMARY: {\"}", reason: "truncated Fluent Bit record"),
        Malformed(line: "{\"log\": 5, \"log\": \"" + modern + "\"}", reason: "truncated Fluent Bit record"),
        Malformed(line: fluentBit(zap + modern).replacingOccurrences(of: "User: u", with: "User: \\x"),
                  reason: "truncated Fluent Bit record"),
        Malformed(line: fluentBit(zap + modern).replacingOccurrences(of: "\"date\":1763632800.123", with: "\"date\":1.2.3"),
                  reason: "truncated Fluent Bit record"),
        Malformed(line: fluentBit(zap + modern).replacingOccurrences(
                    of: "[1,2.5e3,true,false,null]", with: String(repeating: "[", count: 40) + "1" + String(repeating: "]", count: 40)),
                  reason: "truncated Fluent Bit record"),
        Malformed(line: fluentBit(zap + modern.replacingOccurrences(of: "StartTime: 1763596801300", with: "StartTime: x")),
                  reason: "StartTime is not a number: \"x\""),

        Malformed(line: "YK_APP_SUMMARY:\t{\"appID\": \"a\", \"submissionTime\": 1, \"startT",
                  reason: "summary JSON: JSON string not closed (truncated line?)"),
        Malformed(line: "YK_APP_SUMMARY:\t{\"appID\": \"a\\q\"}", reason: "summary JSON: bad escape in a JSON string"),
        Malformed(line: "YK_APP_SUMMARY:\t{\"appID\": \"a\\u12\"}", reason: "summary JSON: bad \\u escape in a JSON string"),
        Malformed(line: "YK_APP_SUMMARY:\t{\"appID\" 1}", reason: "summary JSON: expected : after JSON key \"appID\""),
        Malformed(line: "YK_APP_SUMMARY:\t{\"user\": \"a\"}", reason: "no appID field"),
        Malformed(line: "YK_APP_SUMMARY:\t{\"appID\": \"a\", \"startTime\": 2, \"finishTime\": 3}", reason: "no submissionTime field"),
        Malformed(line: "YK_APP_SUMMARY:\t{\"appID\": \"a\", \"submissionTime\": 1, \"startTime\": 1.5, \"finishTime\": 3}",
                  reason: "startTime is not a whole number: number(1.5)"),
        Malformed(line: "YK_APP_SUMMARY:\t{\"appID\": \"a\", \"submissionTime\": 1, \"startTime\": 2, \"finishTime\": 3, \"resourceUsage\": 5}",
                  reason: "resourceUsage is not an object"),
        Malformed(line: "YK_APP_SUMMARY:\t{\"appID\": \"a\", \"submissionTime\": 1, \"startTime\": 2, \"finishTime\": 3, \"preemptedResource\": {\"i\": 5}}",
                  reason: "preemptedResource is not {instance: {resource: n}}"),
        Malformed(line: "YK_APP_SUMMARY:\t{\"appID\": \"a\", \"submissionTime\": 1, \"startTime\": 2, \"finishTime\": 3, \"resourceUsage\": {\"i\": {\"vcore\": \"7\"}}}",
                  reason: "resourceUsage.vcore is not a whole number"),

        Malformed(line: yarnBase.replacingOccurrences(of: "appId=application_1_0001", with: "appId="),
                  reason: "YARN summary without appId"),
        Malformed(line: yarnBase.replacingOccurrences(of: ",startTime=2", with: ""),
                  reason: "YARN summary application_1_0001 has no startTime (truncated?)"),
        Malformed(line: yarnBase.replacingOccurrences(of: ",vcoreSeconds=1", with: ""),
                  reason: "YARN summary application_1_0001 has no vcoreSeconds (truncated?)"),
        Malformed(line: yarnBase.replacingOccurrences(of: "startTime=2", with: "startTime= 2"),
                  reason: "startTime is not a number: \" 2\""),
        Malformed(line: yarnBase.replacingOccurrences(of: "vcoreSeconds=1", with: "vcoreSeconds=1\\n2"),
                  reason: "vcoreSeconds is not a number: \"1\n2\""),
        Malformed(line: yarnBase + ",preemptedVcoreSeconds=z", reason: "preemptedVcoreSeconds is not a number: \"z\""),
        Malformed(line: yarnBase.replacingOccurrences(of: "memorySeconds=1", with: "memorySeconds=9223372036854775807"),
                  reason: "memorySeconds overflows when converted to YuniKorn units"),
        Malformed(line: yarnBase.replacingOccurrences(of: "vcoreSeconds=1", with: "vcoreSeconds=-1"),
                  reason: "negative usage vcore=-1000"),
        Malformed(line: yarnBase + ",resourceSeconds=1 MB-seconds\\, 1 vcore-seconds\\, -3 gpu-seconds",
                  reason: "negative usage gpu=-3"),
        Malformed(line: yarnBase.replacingOccurrences(of: "finishTime=3", with: "finishTime=1"),
                  reason: "finish time 1 is before start time 2"),
    ]

    @Test(arguments: malformed)
    func malformedLinesGiveTheirExactReason(_ testCase: Malformed) {
        #expect(SummaryLine.parse(testCase.line) == .rejected(testCase.reason))
    }

    func parse(_ bytes: ArraySlice<UInt8>) -> LineOutcome {
        bytes.withUnsafeBufferPointer { SummaryLine.parse($0) }
    }
}
