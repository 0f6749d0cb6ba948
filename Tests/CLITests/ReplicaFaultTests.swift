import Foundation
import Testing
import TestSupport

/// Issue #17's fault tests on a real PostgreSQL server of their own (so it can be stopped): two scheduler replicas
/// under load, by `scripts/replica-faults.py`, which checks that nothing is lost and no job attempt is dispatched
/// twice (one router record and one SparkApplication per attempt, one summary per application), and exits 1 with
/// the reasons otherwise. Each scenario runs with more than one seed: the moment of the fault differs.
@Suite("scheduler replicas under faults", .serialized)
struct ReplicaFaultTests {
    static var enabled: Bool { Backend.available.contains(.postgres) }

    func harness(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", root.appendingPathComponent("scripts/replica-faults.py").path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["BURSAR_BIN"] = ValidateCommandTests.binary.path
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test(.enabled(if: enabled), arguments: [1, 2])
    func killingOneOfTwoSchedulersLosesNothingAndRunsNothingTwice(seed: Int) throws {
        let (status, output) = try harness(["kill", "--seed", String(seed), "--workflows", "30", "--jobs", "20"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("took over"), "\(output)")
    }

    @Test(.enabled(if: enabled))
    func aStoreOutageStopsDispatchAndWorkResumes() throws {
        let (status, output) = try harness(["outage", "--seed", "3", "--workflows", "30", "--jobs", "20"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("0 applications created meanwhile"), "\(output)")
    }
}
