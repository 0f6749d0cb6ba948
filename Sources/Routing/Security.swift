public import Diagnostics
internal import Crypto
internal import SourceDocuments

/// What a principal may do beyond submitting.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// Submits to the projects its teams own.
    case submitter
    /// Submits anywhere, changes rules and deploys.
    case admin
}

/// A caller the tokens file knows.
public struct Principal: Sendable, Equatable, Codable {
    public var name: String
    /// The teams it belongs to (owner teams in projects.csv).
    public var teams: [String]
    public var roles: [Role]

    /// A principal.
    public init(name: String, teams: [String], roles: [Role]) {
        self.name = name
        self.teams = teams
        self.roles = roles
    }

    /// Whether it holds the admin role.
    public var isAdmin: Bool { roles.contains(.admin) }
}

/// A problem in the tokens file, at a line: `tokens.yaml:7:19: principals[1].token_sha256: …`.
public typealias TokenBookError = SourceProblem

/// The principals and the SHA-256 of their bearer tokens, read from a tokens file. Tokens themselves are
/// never stored: a presented token is hashed and compared with every known digest in constant time.
///
/// ```yaml
/// principals:
///   - name: alice
///     teams: [data-platform]
///     roles: [submitter]          # submitter | admin
///     token_sha256: 9f86d0…       # lower-case hex SHA-256 of the bearer token
/// ```
public struct TokenBook: Sendable {
    /// The principals in file order.
    public let principals: [Principal]
    private let digests: [[UInt8]]

    /// The prefix of tokens `newToken` makes, so a leaked one is recognisable in logs and scanners.
    public static let tokenPrefix = "brs_"

    /// A book from principals and the lower-case hex digests of their tokens (as the file holds them).
    public init(entries: [(principal: Principal, tokenSHA256: String)]) {
        principals = entries.map(\.principal)
        digests = entries.map { TokenBook.bytes(fromHex: $0.tokenSHA256) ?? [] }
    }

    /// Reads a tokens file; `file` names it in errors. Unknown keys, missing fields, bad roles, malformed
    /// digests and duplicate names or digests are refused with the line.
    public static func parse(_ text: String, file: String) throws(TokenBookError) -> TokenBook {
        func fail(_ node: SourceNode?, _ field: String, _ message: String) -> TokenBookError {
            TokenBookError(file: file, line: node?.line, column: node?.column, field: field, message: message)
        }
        func failKey(_ node: SourceNode, _ field: String, _ message: String) -> TokenBookError {
            TokenBookError(file: file, line: node.keyLine ?? node.line, column: node.keyColumn ?? node.column, field: field, message: message)
        }
        let document: SourceNode?
        do {
            document = try YAMLSource.parse(text, limits: .configFile)
        } catch {
            throw error.problem(file: file)
        }
        guard let root = document, let top = root.members else {
            throw fail(document, "", "expected a mapping with a principals list; see the example in the router docs")
        }
        for (key, node) in top where key != "principals" {
            throw failKey(node, key, "is not a field of the tokens file; it holds only principals")
        }
        guard let list = root["principals"] else {
            throw fail(root, "principals", "missing; list the principals (name, teams, roles, token_sha256)")
        }
        guard let items = list.elements else {
            throw fail(list, "principals", "must be a list of principals")
        }
        var entries: [(principal: Principal, tokenSHA256: String)] = []
        var names: [String: Int] = [:]
        var hashes: [String: Int] = [:]
        for (position, item) in items.enumerated() {
            let path = "principals[\(position)]"
            guard let members = item.members else { throw fail(item, path, "must be a mapping with name, teams, roles and token_sha256") }
            for (key, node) in members where !["name", "teams", "roles", "token_sha256"].contains(key) {
                throw failKey(node, "\(path).\(key)", "is not a principal field; use name, teams, roles, token_sha256")
            }
            func scalar(_ key: String) throws(TokenBookError) -> (String, SourceNode) {
                guard let node = item[key] else { throw fail(item, "\(path).\(key)", "missing") }
                guard let value = node.scalarText, !value.isEmpty else { throw fail(node, "\(path).\(key)", "must be a non-empty string") }
                return (value, node)
            }
            func list(_ key: String) throws(TokenBookError) -> [(String, SourceNode)] {
                guard let node = item[key] else { return [] }
                guard let values = node.elements else { throw fail(node, "\(path).\(key)", "must be a list, e.g. [a, b]") }
                var out: [(String, SourceNode)] = []
                for (index, value) in values.enumerated() {
                    guard let text = value.scalarText, !text.isEmpty else {
                        throw fail(value, "\(path).\(key)[\(index)]", "must be a non-empty string")
                    }
                    out.append((text, value))
                }
                return out
            }
            let (name, nameNode) = try scalar("name")
            if let first = names[name] {
                throw fail(nameNode, "\(path).name", "\"\(name)\" is already used at line \(first); give each principal its own name")
            }
            names[name] = nameNode.line ?? 0
            let teams = try list("teams").map(\.0)
            guard item["roles"] != nil else { throw fail(item, "\(path).roles", "missing; give [submitter] or [admin]") }
            var roles: [Role] = []
            for (index, (text, node)) in try list("roles").enumerated() {
                guard let role = Role(rawValue: text) else {
                    throw fail(node, "\(path).roles[\(index)]", "\"\(text)\" is not a role; use submitter or admin")
                }
                roles.append(role)
            }
            if roles.isEmpty { throw fail(item["roles"], "\(path).roles", "is empty; give [submitter] or [admin]") }
            let (digest, digestNode) = try scalar("token_sha256")
            guard digest.utf8.count == 64, digest.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
                throw fail(digestNode, "\(path).token_sha256",
                           "is not a lower-case hex SHA-256 (64 characters of 0-9a-f); write the hash of the token (bursar token new prints it), never the token")
            }
            if let first = hashes[digest] {
                throw fail(digestNode, "\(path).token_sha256", "is the same as at line \(first); every principal needs its own token")
            }
            hashes[digest] = digestNode.line ?? 0
            entries.append((Principal(name: name, teams: teams, roles: roles), digest))
        }
        return TokenBook(entries: entries)
    }

    /// The principal whose token this is, or nil. Every digest is compared, in constant time, so the
    /// time taken says nothing about how close a guess came.
    public func principal(bearer token: String) -> Principal? {
        guard !token.isEmpty else { return nil }
        let presented = Array(SHA256.hash(data: Array(token.utf8)))
        var found = -1
        for (position, digest) in digests.enumerated() where digest.count == presented.count {
            var difference: UInt8 = 0
            for i in 0..<presented.count { difference |= digest[i] ^ presented[i] }
            if difference == 0 { found = position }
        }
        return found >= 0 ? principals[found] : nil
    }

    /// The digest of a principal's token, which keys its dashboard sessions.
    func sessionKey(of name: String) -> [UInt8]? {
        guard let index = principals.firstIndex(where: { $0.name == name }), !digests[index].isEmpty else { return nil }
        return digests[index]
    }

    /// The lower-case hex SHA-256 of a token: what the tokens file holds.
    public static func hash(_ token: String) -> String {
        hex(Array(SHA256.hash(data: Array(token.utf8))))
    }

    /// A new token: `brs_` and 32 random bytes in base64url without padding (43 characters). The caller
    /// supplies the generator (SystemRandomNumberGenerator in the CLI, a seeded one in tests).
    public static func newToken(random: inout some RandomNumberGenerator) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<4 {
            let word = random.next()
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return tokenPrefix + base64url(bytes)
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out: [UInt8] = []
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int((n >> UInt32(shift)) & 63)]) }
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            var n = UInt32(bytes[i]) << 16
            if rest == 2 { n |= UInt32(bytes[i + 1]) << 8 }
            let count = rest == 1 ? 2 : 3
            for shift in [18, 12, 6].prefix(count) { out.append(alphabet[Int((n >> UInt32(shift)) & 63)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func bytes(fromHex hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < digits.count {
            guard let high = nibble(digits[i]), let low = nibble(digits[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }
}

/// Who may do what.
public enum Authorization {
    /// An answer and the sentence to show with it.
    public struct Decision: Sendable, Equatable, Codable {
        public var allowed: Bool
        public var reason: String

        /// A decision.
        public init(allowed: Bool, reason: String) {
            self.allowed = allowed
            self.reason = reason
        }
    }

    /// Admins may submit anywhere; others only to projects whose owner team is one of their teams. A
    /// project projects.csv does not know is refused, saying to add it there.
    public static func maySubmit(_ principal: Principal, project: String, in snapshot: RoutingSnapshot) -> Decision {
        if principal.isAdmin {
            return Decision(allowed: true, reason: "\(principal.name) is an admin and may submit to any project")
        }
        guard let ownership = snapshot.ownership(of: project) else {
            return Decision(allowed: false,
                            reason: "project \(project) has no owner team; add it to projects.csv (project,owner) before submitting to it")
        }
        if principal.teams.contains(ownership.owner) {
            return Decision(allowed: true, reason: "\(principal.name) is in \(ownership.owner), the owner team of \(project)")
        }
        let teams = principal.teams.isEmpty ? "no team" : "teams " + principal.teams.joined(separator: ", ")
        return Decision(allowed: false,
                        reason: "\(principal.name) (\(teams)) is not in \(ownership.owner), the owner team of \(project); ask that team or an admin to submit it, or to add you to the team")
    }

    /// Changes to a workflow and its runs (pause, trigger, backfill, clear, mark succeeded): admins, or members
    /// of the owner team of the workflow's project. The project is the one the stored version of the workflow
    /// names, never anything the caller sends; a project with no owner team is for admins only.
    public static func mayOperate(_ principal: Principal, workflow: String, project: String, in snapshot: RoutingSnapshot) -> Decision {
        if principal.isAdmin {
            return Decision(allowed: true, reason: "\(principal.name) is an admin and may operate any workflow")
        }
        guard let ownership = snapshot.ownership(of: project) else {
            return Decision(allowed: false,
                            reason: "workflow \(workflow) belongs to project \(project), which has no owner team; only an admin may operate it until projects.csv (project,owner) names one")
        }
        if principal.teams.contains(ownership.owner) {
            return Decision(allowed: true, reason: "\(principal.name) is in \(ownership.owner), the owner team of \(project)")
        }
        let teams = principal.teams.isEmpty ? "no team" : "teams " + principal.teams.joined(separator: ", ")
        return Decision(allowed: false,
                        reason: "\(principal.name) (\(teams)) is not in \(ownership.owner), the owner team of project \(project) to which workflow \(workflow) belongs; ask that team or an admin")
    }

    /// Rule changes and deploys need the admin role.
    public static func mayAdminister(_ principal: Principal) -> Decision {
        principal.isAdmin
            ? Decision(allowed: true, reason: "\(principal.name) is an admin")
            : Decision(allowed: false, reason: "\(principal.name) is not an admin; rule changes and deploys need the admin role in the tokens file")
    }
}
