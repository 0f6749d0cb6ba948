import Synth
import Foundation
import Testing
@testable import Routing
import SourceDocuments

/// The mutated manifest, its renderings, and application ids.
struct MutationTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let recording = ProcessInfo.processInfo.environment["BURSAR_RECORD_GOLDEN"] == "1"

    static let decision = RoutingDecision(cluster: "moka-b", queue: "root.risk.fraud.tier1", namespace: "spark-b", source: .rule,
                                          ruleID: "ccr-moka-b", fallbackUsed: false, reason: "test")

    static func mutated(_ body: String) throws -> (Submission, Manifest) {
        let submission = try SubmissionParser.parse(Fixtures.bytes(body), contentType: nil)
        return (submission, ManifestMutation.apply(decision, appID: "etl-daily-load-2s", to: submission))
    }

    /// Compares with a golden file; re-record with `BURSAR_RECORD_GOLDEN=1 swift test --filter RoutingTests`.
    func compare(_ text: String, with name: String) throws {
        let url = Self.folder.appendingPathComponent(name)
        if Self.recording {
            try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(text == expected, "differs from \(name); re-record with BURSAR_RECORD_GOLDEN=1 and review the diff")
    }

    @Test("golden JSON and YAML for the YAML SparkApplication")
    func golden() throws {
        let (_, manifest) = try Self.mutated(Fixtures.crdYAML)
        try compare(manifest.jsonText(pretty: true), with: "etl-daily-load.mutated.json")
        try compare(manifest.yamlText(), with: "etl-daily-load.mutated.yaml")
    }

    @Test("the YuniKorn fields are set on the application and on both pods")
    func fieldsSet() throws {
        for body in [Fixtures.crdYAML, Fixtures.crdJSON, Fixtures.compactYAML, Fixtures.compactJSON] {
            let (_, manifest) = try Self.mutated(body)
            #expect(manifest[path: ["metadata", "namespace"]] == .string("spark-b"))
            #expect(manifest[path: ["spec", "batchScheduler"]] == .string("yunikorn"))
            #expect(manifest[path: ["spec", "batchSchedulerOptions", "queue"]] == .string("root.risk.fraud.tier1"))
            for role in ["driver", "executor"] {
                #expect(manifest[path: ["spec", role, "schedulerName"]] == .string("yunikorn"))
                #expect(manifest[path: ["spec", role, "labels", "yunikorn.apache.org/queue"]] == .string("root.risk.fraud.tier1"))
                #expect(manifest[path: ["spec", role, "labels", "yunikorn.apache.org/app-id"]] == .string("etl-daily-load-2s"))
            }
        }
    }

    @Test("everything else is untouched, in its order")
    func untouched() throws {
        let (submission, manifest) = try Self.mutated(Fixtures.crdYAML)
        #expect(manifest.keys == submission.manifest.keys)
        #expect(manifest["metadata"]?.keys == ["name", "namespace", "labels", "annotations"])
        #expect(manifest[path: ["metadata", "labels"]] == submission.manifest[path: ["metadata", "labels"]])
        // Each submission is its own object, named after its app id; the submitted name is kept.
        #expect(manifest[path: ["metadata", "name"]] == .string("etl-daily-load-2s"))
        #expect(manifest[path: ["metadata", "annotations", "bursar.dev/submitted-name"]] == submission.manifest[path: ["metadata", "name"]])
        let added: Set = ["batchScheduler", "batchSchedulerOptions"]
        let before = submission.manifest["spec"]?.members ?? []
        let after = manifest["spec"]?.members ?? []
        #expect(after.map(\.key) == before.map(\.key) + ["batchScheduler", "batchSchedulerOptions"])
        for member in after where !added.contains(member.key) && member.key != "driver" && member.key != "executor" {
            #expect(member.value == submission.manifest["spec"]?[member.key], "spec.\(member.key) changed")
        }
        // The driver keeps its own label and fields, with the new ones after them.
        #expect(manifest[path: ["spec", "driver"]]?.keys == ["cores", "memory", "serviceAccount", "labels", "schedulerName"])
        #expect(manifest[path: ["spec", "driver", "labels"]]?.keys == ["version", "yunikorn.apache.org/queue", "yunikorn.apache.org/app-id"])
    }

    @Test("existing values are replaced in place, not duplicated")
    func replaces() throws {
        let body = """
        apiVersion: sparkoperator.k8s.io/v1beta2
        kind: SparkApplication
        metadata:
          name: x
          namespace: somewhere-else
          labels: {bursar.dev/workflow: w, bursar.dev/project: fraud, bursar.dev/tier: "1"}
        spec:
          batchScheduler: volcano
          batchSchedulerOptions: {queue: root.default, resources: {cpu: "2"}}
          driver: {schedulerName: default-scheduler, labels: {yunikorn.apache.org/queue: root.default}}
        """
        let (_, manifest) = try Self.mutated(body)
        #expect(manifest[path: ["metadata"]]?.keys == ["name", "namespace", "labels", "annotations"])
        #expect(manifest[path: ["metadata", "namespace"]] == .string("spark-b"))
        #expect(manifest[path: ["spec", "batchScheduler"]] == .string("yunikorn"))
        #expect(manifest[path: ["spec", "batchSchedulerOptions"]] == .object([.init("queue", .string("root.risk.fraud.tier1")),
                                                                             .init("resources", .object([.init("cpu", .string("2"))]))]))
        #expect(manifest[path: ["spec", "driver"]]?.keys == ["schedulerName", "labels"])
        #expect(manifest[path: ["spec", "driver", "labels"]]?.keys == ["yunikorn.apache.org/queue", "yunikorn.apache.org/app-id"])
        #expect(manifest[path: ["spec", "executor", "schedulerName"]] == .string("yunikorn"))
    }

    @Test("rendered JSON and YAML read back to the same manifest", arguments: [Fixtures.crdYAML, Fixtures.crdJSON, Fixtures.compactYAML])
    func roundTrip(_ body: String) throws {
        let (_, manifest) = try Self.mutated(body)
        // Read back as a submission, the router's own YuniKorn labels are taken out again (a submission may not
        // carry them), so the comparison is after mutating it again.
        let fromJSON = try SubmissionParser.parse(manifest.jsonBytes(), contentType: "application/json")
        #expect(ManifestMutation.apply(Self.decision, appID: "etl-daily-load-2s", to: fromJSON) == manifest)
        #expect(fromJSON.removedFields.contains("spec.driver.labels[\"yunikorn.apache.org/queue\"]"))
        let fromYAML = try SubmissionParser.parse(Fixtures.bytes(manifest.yamlText()), contentType: "application/yaml")
        #expect(ManifestMutation.apply(Self.decision, appID: "etl-daily-load-2s", to: fromYAML) == manifest)
    }

    @Test("YAML quotes strings that would read as something else", arguments: [
        "1", "3.5", "yes", "No", "on", "null", "~", "", "2024-05-01", "1e3", "0x1F", "-x", "a: b", "a #b", " lead", "trail ", "*", "&a",
        "{x}", "[x]", "line\nbreak", "tab\there", "quote\"d", "12:30", ".inf", "+1", "true",
    ])
    func quoting(_ text: String) throws {
        let value = JSONValue.object([.init("k", .string(text)), .init(text, .integer(1))])
        #expect(try YAMLSource.parse(value.yamlText())?.json == value, "\(value.yamlText())")
    }

    @Test("YAML renders nested lists and objects that read back", arguments: [
        JSONValue.object([.init("a", .array([.object([.init("b", .integer(1)), .init("c", .array([.string("x"), .array([.bool(true)])]))]),
                                             .array([]), .object([])])),
                          .init("d", .double(1.5)), .init("e", .null), .init("f", .string("plain text with spaces")),
                          .init("g", .integer(-3)), .init("h", .array([.array([.string("deep")])]))]),
        JSONValue.array([.string("top"), .object([.init("x", .object([.init("y", .string("z"))]))])]),
    ])
    func nested(_ value: JSONValue) throws {
        #expect(try YAMLSource.parse(value.yamlText())?.json == value, "\(value.yamlText())")
    }

    struct IDCase: Sendable, CustomTestStringConvertible {
        let name: String
        let workflow: String?
        let nonce: UInt64
        let expected: String
        var testDescription: String { "\(name) \(nonce)" }
    }

    @Test("app ids", arguments: [
        IDCase(name: "etl-daily-load", workflow: "etl-daily", nonce: 0, expected: "etl-daily-load-0"),
        IDCase(name: "etl-daily-load", workflow: "etl-daily", nonce: 35, expected: "etl-daily-load-z"),
        IDCase(name: "ETL Daily__Load!", workflow: nil, nonce: 36, expected: "etl-daily-load-10"),
        IDCase(name: "---", workflow: "Score.Hourly", nonce: 1, expected: "score-hourly-1"),
        IDCase(name: "", workflow: nil, nonce: 2, expected: "app-2"),
        IDCase(name: String(repeating: "a", count: 80), workflow: nil, nonce: UInt64.max,
               expected: String(repeating: "a", count: 49) + "-3w5e11264sgsf"),
        IDCase(name: String(repeating: "ab-", count: 30), workflow: nil, nonce: UInt64.max,
               expected: "ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-a-3w5e11264sgsf"),
    ])
    func appIDs(_ testCase: IDCase) {
        let id = AppID.make(name: testCase.name, workflow: testCase.workflow, nonce: testCase.nonce)
        #expect(id == testCase.expected)
        #expect(id.utf8.count <= 63)
        #expect(LabelValue.problem(id) == nil)
    }

    @Test("app ids are valid and unique over many nonces and names")
    func appIDsUnique() {
        var random = SplitMix64(seed: 42)
        var seen: Set<String> = []
        let names = ["etl-daily-load", String(repeating: "x", count: 100), "Ünïcode nàme", "a", "-.-"]
        for _ in 0..<20_000 {
            let nonce = random.next()
            for name in names {
                let id = AppID.make(name: name, workflow: "wf", nonce: nonce)
                #expect(id.utf8.count <= 63 && id.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D })
                #expect(seen.insert(id).inserted, "\(id) made twice")
            }
        }
    }
}
