import ArgumentParser
import Foundation
import Router

/// `bursar token`: make bearer tokens for the router's tokens file.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create router bearer tokens (only their SHA-256 goes in the tokens file).",
        subcommands: [New.self, Hash.self]
    )

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a new token on standard error and its tokens-file entry on standard output.",
            discussion: "Example: bursar token new --principal alice --team data-platform >> tokens.yaml (give alice the token printed on standard error; it is not stored anywhere).")

        @Option(help: "The principal's name (shown in the audit log).")
        var principal: String

        @Option(help: "A team the principal belongs to (may submit to projects this team owns); repeatable.")
        var team: [String] = []

        @Flag(help: "Give the admin role (rule changes, cordons, deploys, the audit log).")
        var admin = false

        func run() throws {
            var generator = SystemRandomNumberGenerator()
            let token = TokenBook.newToken(random: &generator)
            printError(token)
            let teams = team.map { "\"\($0)\"" }.joined(separator: ", ")
            let roles = admin ? "[admin]" : "[submitter]"
            print("""
              - name: "\(principal)"
                teams: [\(teams)]
                roles: \(roles)
                token_sha256: \(TokenBook.hash(token))
            """)
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
}
