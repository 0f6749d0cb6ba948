import ArgumentParser
import Foundation
import enum QueueConfig.Emitter
import Routing
import SafeFiles

/// `bursar token`: make bearer tokens for the router's tokens file.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create router bearer tokens (only their SHA-256 goes in the tokens file).",
        subcommands: [New.self, Hash.self, Check.self]
    )

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a new token on standard error and add its entry to the tokens file.",
            discussion: """
                Example: bursar token new --principal alice --team data-platform --file tokens.yaml
                (give alice the token printed on standard error; it is not stored anywhere). --file creates the \
                file with its principals: header when it does not exist, and replaces it only with a file that \
                bursar serve accepts (so a duplicate name is refused).

                Without --file the entry goes to standard output, preceded by the principals: header when \
                standard output is an empty file, so both `>> tokens.yaml` on a new file and on an existing \
                one give a valid tokens file.
                """)

        @Option(help: "The principal's name (shown in the audit log).")
        var principal: String

        @Option(help: "A team the principal belongs to (may submit to projects this team owns); repeatable.")
        var team: [String] = []

        @Flag(help: "Give the admin role (rule changes, cordons, deploys, the audit log).")
        var admin = false

        @Option(help: ArgumentHelp("Add the entry to this tokens file (created if absent), atomically.", valueName: "tokens-file"))
        var file: String?

        func run() throws {
            var generator = SystemRandomNumberGenerator()
            let token = TokenBook.newToken(random: &generator)
            let entry = TokensFile.entry(principal: principal, teams: team, admin: admin, tokenSHA256: TokenBook.hash(token))
            if let file {
                do {
                    let count = try TokensFile.add(entry, to: file)
                    printError(token)
                    print("added \(principal) to \(file) (\(count) principal\(count == 1 ? "" : "s"))")
                } catch {
                    printError("bursar token new: \(error.description)")
                    throw ExitCode(2)
                }
                return
            }
            printError(token)
            print((TokensFile.standardOutputIsEmptyFile() ? TokensFile.header : "") + entry, terminator: "")
        }
    }

    struct Hash: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the SHA-256 (hex) of a token read from standard input.")

        func run() throws {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("give the token on standard input")
            }
            print(TokenBook.hash(line.trimmingCharacters(in: .whitespaces)))
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a tokens file as bursar serve reads it; print its principals (exit 2 when it is refused).")

        @Argument(help: "The tokens file.")
        var file: String

        func run() throws {
            do {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                for principal in try TokenBook.parse(text, file: file).principals {
                    print("\(principal.name)\tteams: \(principal.teams.joined(separator: ","))\troles: \(principal.roles.map(\.rawValue).joined(separator: ","))")
                }
            } catch let error as TokenBookError {
                printError("bursar token check: \(error)")
                throw ExitCode(2)
            } catch {
                printError("bursar token check: cannot read \(file): \(error.localizedDescription)")
                throw ExitCode(2)
            }
        }
    }
}

/// The tokens file as text: the entry `token new` writes, and adding one to a file in place.
enum TokensFile {
    /// The first line of a tokens file.
    static let header = "principals:\n"

    /// One principal's entry, as an item of the `principals` list (two spaces in, ending in a newline).
    static func entry(principal: String, teams: [String], admin: Bool, tokenSHA256: String) -> String {
        """
          - name: \(Emitter.scalar(principal))
            teams: [\(teams.map { Emitter.scalar($0, inFlow: true) }.joined(separator: ", "))]
            roles: \(admin ? "[admin]" : "[submitter]")
            token_sha256: \(tokenSHA256)

        """
    }

    /// Whether standard output is a regular file with nothing in it yet (`>> tokens.yaml` on a new file),
    /// where the entry alone would not be a tokens file.
    static func standardOutputIsEmptyFile() -> Bool {
        var status = stat()
        guard fstat(STDOUT_FILENO, &status) == 0 else { return false }
        return (status.st_mode & S_IFMT) == S_IFREG && status.st_size == 0
    }

    /// What went wrong adding an entry; `description` says what and what to do.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Adds `entry` to the tokens file at `path` and returns how many principals it then lists. The file is
    /// created with the header when absent (or empty), and replaced by a renamed temporary file, only once
    /// the new text parses as `bursar serve` reads it: a reader never sees half an entry, and a refused
    /// entry (a duplicate name, a file laid out differently) leaves the file as it was.
    static func add(_ entry: String, to path: String) throws(Failure) -> Int {
        // A symlink (a mounted secret, say) keeps pointing at the file: its target is what is replaced.
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let directory = (target as NSString).deletingLastPathComponent.isEmpty ? "." : (target as NSString).deletingLastPathComponent
        // Two `token new --file` at once would each add to the text they read and the second rename would drop
        // the first entry; a lock on the folder (the file itself is replaced, so it cannot hold the lock) orders them.
        let lock: FolderLock?
        do {
            lock = try FolderLock.acquire(directory, create: false)
        } catch {
            throw Failure(description: "cannot lock the folder of \(path): \(error)")
        }
        guard lock != nil else { throw Failure(description: "cannot add to \(path): its folder \(directory) does not exist; create it first") }

        var existing = ""
        var mode: mode_t = 0o644
        var status = stat()
        if stat(target, &status) == 0 {
            mode = status.st_mode & 0o7777
            do {
                existing = try String(contentsOfFile: target, encoding: .utf8)
            } catch {
                throw Failure(description: "cannot read \(path): \(error.localizedDescription)")
            }
        } else if errno != ENOENT {
            throw Failure(description: "cannot read \(path): \(errnoText())")
        }

        let text = appended(entry, to: existing, file: path)
        let book: TokenBook
        do {
            book = try TokenBook.parse(text, file: path)
        } catch {
            throw Failure(description: "not adding the entry, the result would be refused: \(error)")
        }
        do {
            try DurableFiles.replace(target, with: Array(text.utf8), mode: mode)
        } catch {
            throw Failure(description: "\(error)")
        }
        withExtendedLifetime(lock) {}
        return book.principals.count
    }

    /// The file's text with `entry` added: after the header when the file has no YAML in it yet, else at the
    /// end, indented as the file's list is (two spaces, as `token new` writes, or none).
    static func appended(_ entry: String, to existing: String, file: String) -> String {
        let hasContent = existing.split(separator: "\n").contains { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return !trimmed.isEmpty && !trimmed.hasPrefix("#")
        }
        let base = existing.isEmpty || existing.hasSuffix("\n") ? existing : existing + "\n"
        guard hasContent else { return base + header + entry }
        let indented = base + entry
        if (try? TokenBook.parse(indented, file: file)) != nil { return indented }
        let flush = base + entry.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("  ") ? String($0.dropFirst(2)) : String($0) }.joined(separator: "\n")
        if (try? TokenBook.parse(flush, file: file)) != nil { return flush }
        // Neither fits: report what the loader says about the plain append.
        return indented
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
