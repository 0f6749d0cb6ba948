import Foundation
import Testing

/// `bursar serve` refuses out-of-range flags before it starts (exit 1, the flag named with its range): a
/// `--refresh 0` used to start a refresher that never slept.
@Suite("serve flags")
struct ServeFlagTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var mentions: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let cases: [Case] = [
        Case(arguments: ["--refresh", "0"], mentions: "--refresh 0: the snapshot must be reloaded"),
        Case(arguments: ["--refresh=-1"], mentions: "--refresh -1.0: give seconds from 0.1 to 3600"),
        Case(arguments: ["--max-body", "0"], mentions: "--max-body 0: give bytes from 1 to 67108864"),
        Case(arguments: ["--max-body", "1000000000"], mentions: "--max-body 1000000000: give bytes from 1 to 67108864"),
        Case(arguments: ["--max-connections", "0"], mentions: "--max-connections 0: give a count from 1 to 1000000"),
        Case(arguments: ["--header-timeout", "0"], mentions: "--header-timeout 0.0: give seconds from 0.1 to 3600"),
        Case(arguments: ["--body-timeout=-2"], mentions: "--body-timeout -2.0: give seconds from 0.1 to 3600"),
        Case(arguments: ["--idle-timeout", "100000"], mentions: "--idle-timeout 100000.0: give seconds from 0.1 to 3600"),
    ]

    @Test(arguments: cases)
    func outOfRangeFlagExitsOneNamingIt(_ flag: Case) throws {
        let process = Process()
        process.executableURL = ValidateCommandTests.binary
        // A tokens file that does not exist: the flags must be refused before anything is read.
        process.arguments = ["serve", "--port", "0", "--tokens", "/nonexistent/tokens.yaml", "--store", "sqlite:/nonexistent/x.sqlite"]
            + flag.arguments
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Bounded: a server that starts anyway is stopped and the test fails.
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 1, "\(stderr)")
        #expect(stderr.contains(flag.mentions), "\(stderr)")
    }
}
