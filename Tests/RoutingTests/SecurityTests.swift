import Synth
import Testing
@testable import Routing

/// The tokens file, token lookup and who may submit where.
struct SecurityTests {
    static let aliceToken = "brs_alice-secret"
    static let rootToken = "brs_root-secret"

    static var book: String {
        """
        principals:
          - name: alice
            teams: [risk-eng, data-platform]
            roles: [submitter]
            token_sha256: \(TokenBook.hash(aliceToken))
          - name: root-admin
            roles: [admin, submitter]
            token_sha256: \(TokenBook.hash(rootToken))
        """
    }

    @Test("SHA-256 of a token is the standard digest")
    func hash() {
        // Published test vectors (FIPS 180-2): "abc" and "".
        #expect(TokenBook.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(TokenBook.hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("lookup finds the principal of a token and nothing for others")
    func lookup() throws {
        let book = try TokenBook.parse(Self.book, file: "tokens.yaml")
        #expect(book.principals.map(\.name) == ["alice", "root-admin"])
        let alice = try #require(book.principal(bearer: Self.aliceToken))
        #expect(alice == Principal(name: "alice", teams: ["risk-eng", "data-platform"], roles: [.submitter]))
        #expect(!alice.isAdmin)
        #expect(book.principal(bearer: Self.rootToken)?.isAdmin == true)
        #expect(book.principal(bearer: "brs_wrong") == nil)
        #expect(book.principal(bearer: Self.aliceToken + " ") == nil)
        #expect(book.principal(bearer: "") == nil)
        #expect(book.principal(bearer: TokenBook.hash(Self.aliceToken)) == nil, "the stored hash is not a token")
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let label: String
        let text: String
        let field: String
        let line: Int?
        let says: String
        var testDescription: String { label }
    }

    static let digest = String(repeating: "ab", count: 32)
    static let other = String(repeating: "cd", count: 32)

    static let bad: [Bad] = [
        Bad(label: "not YAML", text: "principals: [\n", field: "", line: 2, says: "YAML syntax error"),
        Bad(label: "not a mapping", text: "- a\n", field: "", line: 1, says: "principals list"),
        Bad(label: "no principals", text: "users: []\n", field: "users", line: 1, says: "only principals"),
        Bad(label: "principals not a list", text: "principals: alice\n", field: "principals", line: 1, says: "must be a list"),
        Bad(label: "unknown field", text: "principals:\n  - name: a\n    token: x\n", field: "principals[0].token", line: 3,
            says: "use name, teams, roles, token_sha256"),
        Bad(label: "missing name", text: "principals:\n  - roles: [admin]\n    token_sha256: \(digest)\n", field: "principals[0].name", line: 2,
            says: "missing"),
        Bad(label: "missing roles", text: "principals:\n  - name: a\n    token_sha256: \(digest)\n", field: "principals[0].roles", line: 2,
            says: "[submitter] or [admin]"),
        Bad(label: "unknown role", text: "principals:\n  - name: a\n    roles: [submitter, owner]\n    token_sha256: \(digest)\n",
            field: "principals[0].roles[1]", line: 3, says: "\"owner\" is not a role"),
        Bad(label: "a token instead of its hash", text: "principals:\n  - name: a\n    roles: [admin]\n    token_sha256: brs_secret\n",
            field: "principals[0].token_sha256", line: 4, says: "never the token"),
        Bad(label: "upper-case hex", text: "principals:\n  - name: a\n    roles: [admin]\n    token_sha256: \(digest.uppercased())\n",
            field: "principals[0].token_sha256", line: 4, says: "lower-case hex"),
        Bad(label: "duplicate name", text: "principals:\n  - name: a\n    roles: [admin]\n    token_sha256: \(digest)\n"
            + "  - name: a\n    roles: [admin]\n    token_sha256: \(other)\n", field: "principals[1].name", line: 5, says: "already used at line 2"),
        Bad(label: "duplicate hash", text: "principals:\n  - name: a\n    roles: [admin]\n    token_sha256: \(digest)\n"
            + "  - name: b\n    roles: [admin]\n    token_sha256: \(digest)\n", field: "principals[1].token_sha256", line: 7,
            says: "same as at line 4"),
        Bad(label: "teams not a list", text: "principals:\n  - name: a\n    teams: risk\n    roles: [admin]\n    token_sha256: \(digest)\n",
            field: "principals[0].teams", line: 3, says: "must be a list"),
    ]

    @Test("tokens file errors name the file, line and field", arguments: bad)
    func refuses(_ bad: Bad) {
        do {
            let book = try TokenBook.parse(bad.text, file: "tokens.yaml")
            Issue.record("accepted \(book.principals)")
        } catch {
            #expect(error.file == "tokens.yaml")
            #expect(error.field == bad.field, "\(error)")
            #expect(error.line == bad.line, "\(error)")
            #expect(error.message.contains(bad.says), "\(error)")
            #expect(error.description.hasPrefix("tokens.yaml:"))
        }
    }

    @Test("an empty principals list is a valid book that knows no one")
    func emptyBook() throws {
        let book = try TokenBook.parse("principals: []\n", file: "tokens.yaml")
        #expect(book.principals.isEmpty)
        #expect(book.principal(bearer: Self.aliceToken) == nil)
    }

    @Test("new tokens: prefix, 43 base64url characters, distinct, and their hash finds them")
    func newTokens() throws {
        var random = SplitMix64(seed: 7)
        var seen: Set<String> = []
        for _ in 0..<1000 {
            let token = TokenBook.newToken(random: &random)
            #expect(token.hasPrefix("brs_"))
            let body = token.dropFirst(4)
            #expect(body.utf8.count == 43)
            #expect(body.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F })
            #expect(seen.insert(token).inserted)
        }
        let token = try #require(seen.first)
        let book = try TokenBook.parse("principals:\n  - name: cli\n    roles: [submitter]\n    token_sha256: \(TokenBook.hash(token))\n",
                                       file: "tokens.yaml")
        #expect(book.principal(bearer: token)?.name == "cli")
    }

    @Test("base64url matches RFC 4648 test vectors", arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func base64url(_ input: String, _ expected: String) {
        #expect(TokenBook.base64url(Array(input.utf8)) == expected)
        #expect(TokenBook.base64url([0xFB, 0xFF]) == "-_8")
    }

    struct Access: Sendable, CustomTestStringConvertible {
        let label: String
        let principal: Principal
        let project: String
        let allowed: Bool
        let says: String
        var testDescription: String { label }
    }

    static let alice = Principal(name: "alice", teams: ["risk-eng"], roles: [.submitter])
    static let bob = Principal(name: "bob", teams: [], roles: [.submitter])
    static let admin = Principal(name: "root-admin", teams: [], roles: [.admin])

    @Test("who may submit where", arguments: [
        Access(label: "owner team member", principal: alice, project: "fraud", allowed: true, says: "risk-eng, the owner team of fraud"),
        Access(label: "another team's project", principal: alice, project: "ads", allowed: false, says: "not in ads-team"),
        Access(label: "no teams", principal: bob, project: "fraud", allowed: false, says: "bob (no team)"),
        Access(label: "project without an owner", principal: alice, project: "mystery", allowed: false, says: "add it to projects.csv"),
        Access(label: "admin anywhere", principal: admin, project: "ads", allowed: true, says: "admin"),
        Access(label: "admin even without an owner", principal: admin, project: "mystery", allowed: true, says: "admin"),
    ])
    func maySubmit(_ access: Access) {
        let decision = Authorization.maySubmit(access.principal, project: access.project, in: Fixtures.snapshot([]))
        #expect(decision.allowed == access.allowed)
        #expect(decision.reason.contains(access.says), "\(decision.reason)")
    }

    @Test("rule changes and deploys need the admin role")
    func mayAdminister() {
        #expect(Authorization.mayAdminister(Self.admin).allowed)
        let refused = Authorization.mayAdminister(Self.alice)
        #expect(!refused.allowed)
        #expect(refused.reason.contains("admin role"))
    }
}
