import Synth
import Foundation
import Testing
@testable import QueueConfig

/// Golden files for what people and scripts read. Re-record with `BURSAR_RECORD_GOLDEN=1 swift test`,
/// then review the diff; never edit the expected files by hand.
struct GoldenOutputTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let inputs: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("inputs").path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted()
    }()
    static let recording = ProcessInfo.processInfo.environment["BURSAR_RECORD_GOLDEN"] == "1"

    @Test("golden inputs exist")
    func inputsExist() { #expect(Self.inputs.count >= 3) }

    @Test("text and JSON reports match their golden files", arguments: inputs)
    func report(_ name: String) throws {
        let input = Self.folder.appendingPathComponent("inputs").appendingPathComponent(name)
        let text = try String(contentsOf: input, encoding: .utf8)
        let report = FileReport.check(text: text, file: name)
        let base = (name as NSString).deletingPathExtension
        try compare(report.text(), with: base + ".txt")
        try compare(FileReport.json([report]), with: base + ".json")
    }

    @Test("the emitter's canonical form matches its golden file")
    func emitted() throws {
        let config = SyntheticQueues.orgTree(queueCount: 13, orgs: 2)
        try compare(Emitter.yaml(config, withChecksum: true), with: "synthetic-13.emitted.yaml")
        try compare(try ConfigMap.yaml(queuesYAML: Emitter.yaml(config)), with: "synthetic-13.configmap.yaml")
    }

    @Test("a ConfigMap reads back to the configuration it wraps, plain or gzipped")
    func configMapRoundTrip() throws {
        for count in [13, 5_000] {
            let text = Emitter.yaml(SyntheticQueues.orgTree(queueCount: count))
            let wrapped = try ConfigMap.yaml(queuesYAML: text)
            #expect(wrapped.contains("binaryData:") == (text.utf8.count > ConfigMap.compressAbove))
            #expect(wrapped.utf8.count < 1 << 20, "a ConfigMap must stay under Kubernetes' 1 MiB")
            guard case let .configMap(name, _, yaml) = try ConfigMap.classify(wrapped) else {
                Issue.record("not recognised as a ConfigMap")
                continue
            }
            #expect(name == ConfigMap.defaultName)
            #expect(yaml == text)
        }
    }

    func compare(_ actual: String, with file: String) throws {
        let url = Self.folder.appendingPathComponent(file)
        if Self.recording {
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(actual == expected, "\(file) differs; re-record with BURSAR_RECORD_GOLDEN=1 and review the diff")
    }
}
