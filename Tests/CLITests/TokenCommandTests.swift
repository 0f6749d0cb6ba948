import Foundation
import Testing

/// `bursar token new` as its help text shows it (`>> tokens.yaml`) and with `--file`: the file it leaves is
/// one `bursar serve` accepts, from a new file on, and after every further entry.
@Suite("token new and the tokens file")
struct TokenCommandTests {
    let cli = ValidateCommandTests()

    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-tokens-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs `bursar ARGUMENTS >> path`: standard output opened for appending, created when absent.
    func append(_ arguments: [String], to path: String) throws -> (status: Int32, stderr: String) {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
        let output = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        let process = Process()
        process.executableURL = ValidateCommandTests.binary
        process.arguments = arguments
        process.standardOutput = output
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try output.close()
        return (process.terminationStatus, stderr)
    }

    /// The principals `bursar token check` reads from the file (the loader `bursar serve` uses), or the failure.
    func principals(in path: String) throws -> [String] {
        let checked = try cli.run(["token", "check", path])
        #expect(checked.status == 0, "\(path) refused: \(checked.stderr)\n\((try? String(contentsOfFile: path, encoding: .utf8)) ?? "")")
        return checked.stdout.split(separator: "\n").map { String($0.prefix { $0 != "\t" }) }
    }

    /// `bursar serve` gets past the tokens file (and stops at the missing cluster registry named after it).
    func serveAccepts(_ path: String, in folder: URL) throws {
        let served = try cli.run(["serve", "--tokens", path, "--clusters", folder.appendingPathComponent("absent.yaml").path,
                                  "--store", "sqlite:\(folder.path)/store.sqlite"])
        #expect(served.status == 2)
        #expect(served.stderr.contains("absent.yaml: cannot be read"), "\(served.stderr)")
        #expect(!served.stderr.contains(path), "serve refused the tokens file: \(served.stderr)")
    }

    @Test func appendingToANewFileGivesATokensFile() throws {
        let folder = try Self.folder()
        let tokens = folder.appendingPathComponent("tokens.yaml").path
        let first = try append(["token", "new", "--principal", "alice", "--team", "payments-core"], to: tokens)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try String(contentsOfFile: tokens, encoding: .utf8).hasPrefix("principals:\n  - name: alice\n"))
        #expect(try principals(in: tokens) == ["alice"])
        try serveAccepts(tokens, in: folder)

        let second = try append(["token", "new", "--principal", "bob", "--team", "ledger", "--admin"], to: tokens)
        #expect(second.status == 0, "\(second.stderr)")
        let text = try String(contentsOfFile: tokens, encoding: .utf8)
        #expect(text.components(separatedBy: "principals:").count == 2, "the header is written once:\n\(text)")
        #expect(try principals(in: tokens) == ["alice", "bob"])
        try serveAccepts(tokens, in: folder)
        // The tokens (standard error) are never in the file.
        for token in [first.stderr, second.stderr].map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }) {
            #expect(token.hasPrefix("brs_"))
            #expect(!text.contains(token))
        }
    }

    @Test func toAPipeOnlyTheEntryIsPrinted() throws {
        let made = try cli.run(["token", "new", "--principal", "carol"])
        #expect(made.status == 0)
        #expect(made.stdout.hasPrefix("  - name: carol\n    teams: []\n    roles: [submitter]\n    token_sha256: "))
    }

    @Test func fileOptionCreatesThenAddsToTheFile() throws {
        let folder = try Self.folder()
        let tokens = folder.appendingPathComponent("tokens.yaml").path
        let first = try cli.run(["token", "new", "--principal", "alice", "--team", "payments-core", "--file", tokens])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "added alice to \(tokens) (1 principal)\n")
        #expect(try principals(in: tokens) == ["alice"])
        let second = try cli.run(["token", "new", "--principal", "bob", "--admin", "--file", tokens])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try principals(in: tokens) == ["alice", "bob"])
        // `>>` onto a file --file made, and --file after it, keep one valid file.
        #expect(try append(["token", "new", "--principal", "carol"], to: tokens).status == 0)
        #expect(try cli.run(["token", "new", "--principal", "dave", "--file", tokens]).status == 0)
        #expect(try principals(in: tokens) == ["alice", "bob", "carol", "dave"])
        try serveAccepts(tokens, in: folder)
        // Nothing is left beside the file.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["tokens.yaml"])
    }

    @Test func fileOptionRefusesWhatServeWouldRefuseAndLeavesTheFile() throws {
        let folder = try Self.folder()
        let tokens = folder.appendingPathComponent("tokens.yaml").path
        #expect(try cli.run(["token", "new", "--principal", "alice", "--file", tokens]).status == 0)
        let before = try String(contentsOfFile: tokens, encoding: .utf8)
        let duplicate = try cli.run(["token", "new", "--principal", "alice", "--file", tokens])
        #expect(duplicate.status == 2)
        #expect(duplicate.stderr.contains("\"alice\" is already used"), "\(duplicate.stderr)")
        #expect(!duplicate.stderr.contains("brs_"), "a refused token is not shown")
        #expect(try String(contentsOfFile: tokens, encoding: .utf8) == before)
    }

    @Test func fileOptionFollowsTheFilesLayout() throws {
        let folder = try Self.folder()
        let tokens = folder.appendingPathComponent("tokens.yaml").path
        // Written by hand: the list flush left, a comment, no newline at the end.
        try """
            # router principals
            principals:
            - name: ops
              roles: [admin]
              token_sha256: \(String(repeating: "a", count: 64))
            """.write(toFile: tokens, atomically: true, encoding: .utf8)
        let added = try cli.run(["token", "new", "--principal", "erin", "--team", "ledger", "--file", tokens])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(try principals(in: tokens) == ["ops", "erin"])
        #expect(try String(contentsOfFile: tokens, encoding: .utf8).hasPrefix("# router principals\n"))

        // A file of comments only is new: the header comes after them.
        let commented = folder.appendingPathComponent("commented.yaml").path
        try "# tokens for the staging router\n".write(toFile: commented, atomically: true, encoding: .utf8)
        #expect(try cli.run(["token", "new", "--principal", "frank", "--file", commented]).status == 0)
        #expect(try principals(in: commented) == ["frank"])
    }
}
