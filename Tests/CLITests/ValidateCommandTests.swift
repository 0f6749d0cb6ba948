import Foundation
import Testing
import Gzip

/// `bursar validate` run as a process, end to end: exit codes, formats, stdin and ConfigMaps.
struct ValidateCommandTests {
    static let binary: URL = {
        if let explicit = ProcessInfo.processInfo.environment["BURSAR_BINARY"] { return URL(fileURLWithPath: explicit) }
        // swift test runs the test bundle from the build folder that also holds the executable.
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if folder.lastPathComponent.hasSuffix(".xctest") { folder.deleteLastPathComponent() }
        return folder.appendingPathComponent("bursar")
    }()

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func run(_ arguments: [String], stdin: String? = nil) throws -> Run {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                   stderr: String(decoding: stderrData, as: UTF8.self))
    }

    func temporaryFile(_ name: String, _ contents: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent(name)
        try contents.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static let valid = "partitions:\n  - name: default\n    queues:\n      - name: root\n        queues:\n          - name: a\n            resources: {max: {memory: 16Gi}}\n"
    static let invalid = "partitions:\n  - name: default\n    queues:\n      - name: root\n        queues:\n          - name: a\n            resources: {max: {memory: 10GB}}\n"

    @Test func validFileExitsZero() throws {
        let result = try run(["validate", try temporaryFile("queues.yaml", Self.valid)])
        #expect(result.status == 0)
        #expect(result.stdout.contains(": valid"))
    }

    @Test func invalidFileExitsThreeAndNamesLineColumnAndField() throws {
        let file = try temporaryFile("queues.yaml", Self.invalid)
        let result = try run(["validate", file])
        #expect(result.status == 3)
        #expect(result.stdout.contains("\(file):7:39: error: partitions[0].queues[0].queues[0].resources.max.memory: memory: invalid quantity \"10GB\" (drop the B: write 10G or 10Gi)"))
        #expect(result.stdout.contains("YuniKorn reports: invalid quantity"))
    }

    @Test func missingFileExitsTwo() throws {
        let result = try run(["validate", "/nonexistent/queues.yaml"])
        #expect(result.status == 2)
        #expect(result.stdout.contains("no such file"))
    }

    @Test func noArgumentsIsUsageExitOne() throws {
        let result = try run(["validate"])
        #expect(result.status == 1)
        #expect(!result.stderr.isEmpty)
    }

    @Test func badFormatIsUsageExitOne() throws {
        let result = try run(["validate", "--format", "xml", "x.yaml"])
        #expect(result.status == 1)
    }

    @Test func standardInput() throws {
        let result = try run(["validate", "-"], stdin: Self.invalid)
        #expect(result.status == 3)
        #expect(result.stdout.hasPrefix("-: invalid"))
    }

    @Test func jsonOutputIsStable() throws {
        let result = try run(["validate", "--format", "json", "-"], stdin: Self.invalid)
        #expect(result.status == 3)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == false)
        let files = try #require(object["files"] as? [[String: Any]])
        #expect(files.first?["yunikorn_error"] as? String == "invalid quantity")
        let problem = try #require((files.first?["problems"] as? [[String: Any]])?.first)
        #expect(problem["kind"] as? String == "invalid-quantity")
        #expect(problem["path"] as? String == "partitions[0].queues[0].queues[0].resources.max.memory")
        #expect(problem["line"] as? Int == 7)
        #expect(problem["yunikorn_first_error"] as? Bool == true)
    }

    @Test func configMapDataKeyWithLinesOfTheConfigMap() throws {
        let configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yunikorn-configs\ndata:\n  queues.yaml: |\n"
            + Self.invalid.split(separator: "\n").map { "    \($0)\n" }.joined()
        let file = try temporaryFile("configmap.yaml", configMap)
        let result = try run(["validate", file])
        #expect(result.status == 3)
        #expect(result.stdout.contains("ConfigMap yunikorn-configs queues.yaml"))
        #expect(result.stdout.contains("\(file):13:43:"))
    }

    @Test func configMapGzippedBinaryData() throws {
        let packed = try Gzip.compress(Array(Self.valid.utf8))
        let configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yunikorn-configs\nbinaryData:\n  queues.yaml.gz: \(Data(packed).base64EncodedString())\n"
        let result = try run(["validate", try temporaryFile("configmap.yaml", configMap)])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("binaryData.queues.yaml.gz"))
    }

    @Test func corruptGzipIsUnreadable() throws {
        let configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nbinaryData:\n  queues.yaml.gz: \(Data([0x1f, 0x8b, 1, 2, 3]).base64EncodedString())\n"
        let result = try run(["validate", try temporaryFile("configmap.yaml", configMap)])
        #expect(result.status == 2)
        #expect(result.stdout.contains("binaryData.queues.yaml.gz"))
    }

    @Test func strictTurnsWarningsIntoFailures() throws {
        let yaml = "partitions:\n  - name: default\n    queues:\n      - name: ROOT\n"
        #expect(try run(["validate", "-"], stdin: yaml).status == 0)
        #expect(try run(["validate", "--strict", "-"], stdin: yaml).status == 3)
    }

    @Test func olderYuniKornRefusesKeysAddedIn18() throws {
        let yaml = "partitions:\n  - name: default\n    usergroupresolver:\n      type: ldap\n    queues:\n      - name: root\n"
        #expect(try run(["validate", "-"], stdin: yaml).status == 0)
        let old = try run(["validate", "--yunikorn-version", "1.7", "--format", "json", "-"], stdin: yaml)
        #expect(old.status == 3)
        #expect(old.stdout.contains("line 3: field usergroupresolver not found in type configs.PartitionConfig"))
        #expect(try run(["validate", "--yunikorn-version", "1.5", "-"], stdin: yaml).status == 1)
    }

    @Test func notUTF8IsUnreadable() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-\(UUID().uuidString).yaml")
        try Data([0xff, 0xfe, 0x20, 0x61]).write(to: url)
        let result = try run(["validate", url.path])
        #expect(result.status == 2)
        #expect(result.stdout.contains("not UTF-8"))
    }

    @Test func folderChecksEveryQueuesFile() throws {
        let first = try temporaryFile("queues.yaml", Self.valid)
        let folder = URL(fileURLWithPath: first).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("b"), withIntermediateDirectories: true)
        try Self.invalid.write(to: folder.appendingPathComponent("b/queues.yaml"), atomically: true, encoding: .utf8)
        let result = try run(["validate", folder.path])
        #expect(result.status == 3)
        #expect(result.stdout.contains("2 files: 1 valid, 1 invalid, 0 unreadable"))
    }
}
