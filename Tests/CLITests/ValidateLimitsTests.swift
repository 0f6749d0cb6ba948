import Foundation
import Testing

/// `bursar validate` on documents over its limits (issue #13): the billion-laughs file is invalid (exit 3)
/// with the limit, file, line and column named; a file over the size limit is not read (exit 2).
struct ValidateLimitsTests {
    let cli = ValidateCommandTests()

    /// The billion-laughs file of issue #13: 421 bytes, 10⁸ scalars once its aliases are expanded.
    static let billionLaughs: String = {
        var lines = ["x0: &a0 \"xxxxxxxxxx\""]
        for level in 1...8 {
            lines.append("x\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ",") + "]")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    /// Runs under an address-space limit when prlimit is there, so a reader that expands the aliases
    /// fails by itself instead of taking the machine's memory.
    func runBounded(_ arguments: [String]) throws -> ValidateCommandTests.Run {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") else { return try cli.run(arguments) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        process.arguments = ["--as=\(2 << 30)", "--", ValidateCommandTests.binary.path] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ValidateCommandTests.Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                                        stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func billionLaughsIsInvalidAndNamesTheLimit() throws {
        let file = try cli.temporaryFile("b.yaml", Self.billionLaughs)
        let result = try runBounded(["validate", file])
        #expect(result.status == 3, "\(result.stdout)\(result.stderr.suffix(2_000))")
        #expect(result.stdout.contains("\(file):6:"), "\(result.stdout)")
        #expect(result.stdout.contains("alias expansion"), "\(result.stdout)")
        #expect(result.stdout.contains("limit"), "\(result.stdout)")
    }

    @Test func billionLaughsOnStandardInputToo() throws {
        let result = try cli.run(["validate", "--format", "json", "-"], stdin: Self.billionLaughs)
        #expect(result.status == 3, "\(result.stdout)")
        #expect(result.stdout.contains("document-limit"), "\(result.stdout)")
    }

    @Test func fileOverTheSizeLimitIsNotRead() throws {
        // A sparse file: 33 MiB long, no data written.
        let file = try cli.temporaryFile("queues.yaml", "")
        let handle = try #require(FileHandle(forWritingAtPath: file))
        try handle.truncate(atOffset: 33 << 20)
        try handle.close()
        let result = try cli.run(["validate", file])
        #expect(result.status == 2, "\(result.stdout)")
        #expect(result.stdout.contains("document-size limit of \(32 << 20) bytes"), "\(result.stdout)")
    }
}
