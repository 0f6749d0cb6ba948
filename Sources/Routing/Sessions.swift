internal import Crypto

/// Browser sessions for the dashboards, signed with the token the caller signed in with: the cookie holds the
/// principal's name, an expiry and an HMAC-SHA256 over both keyed by the SHA-256 of that token, which is all
/// the router keeps of it. A session therefore ends when it expires or when the token is revoked or rotated in
/// the tokens file, on every router sharing that file, and the cookie never carries the token.
extension TokenBook {
    /// How long a session lasts.
    public static let sessionLifetimeMillis: Int64 = 12 * 3_600_000

    /// A session value for the holder of `token`, valid until `now + sessionLifetimeMillis`; nil when the
    /// token is not known.
    public func session(token: String, now: Int64) -> String? {
        guard let principal = principal(bearer: token), let key = sessionKey(of: principal.name) else { return nil }
        let expiry = now + Self.sessionLifetimeMillis
        let name = Self.hex(Array(principal.name.utf8))
        return "\(name).\(expiry).\(Self.signature(name: name, expiry: expiry, key: key))"
    }

    /// The principal a session value names, when its signature holds under that principal's current token
    /// and it has not expired at `now`.
    public func principal(session value: String, now: Int64) -> Principal? {
        guard value.utf8.count <= 1024 else { return nil }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let expiry = Int64(parts[1]), expiry > now,
              let nameBytes = Self.bytes(fromHex: String(parts[0])),
              let name = String(validating: nameBytes, as: UTF8.self),
              let key = sessionKey(of: name) else { return nil }
        let expected = Array(Self.signature(name: String(parts[0]), expiry: expiry, key: key).utf8)
        let presented = Array(parts[2].utf8)
        guard expected.count == presented.count else { return nil }
        var difference: UInt8 = 0
        for i in 0..<expected.count { difference |= expected[i] ^ presented[i] }
        return difference == 0 ? principals.first { $0.name == name } : nil
    }

    private static func signature(name: String, expiry: Int64, key: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("bursar-session\u{0}\(name)\u{0}\(expiry)".utf8), using: SymmetricKey(data: key))
        return hex(Array(mac))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
