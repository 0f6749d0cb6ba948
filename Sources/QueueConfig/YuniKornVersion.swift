/// The YuniKorn release a configuration is checked for. The validator's rules are the same from
/// 1.6 to 1.8; 1.8.0 added two keys (`preemption.quotapreemptionenabled`, `usergroupresolver`)
/// that 1.6 and 1.7 refuse as unknown fields, so a config for an older cluster must not use them.
public struct YuniKornVersion: Comparable, Sendable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    /// The newest release whose rules Bursar follows.
    public static let latest = YuniKornVersion(major: 1, minor: 8)
    /// The oldest release Bursar can check for (placement path and name checks arrived in 1.6).
    public static let oldest = YuniKornVersion(major: 1, minor: 6)

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Reads `1.7`, `1.7.2` or `v1.8.0`; nil for anything else or a release Bursar cannot check for.
    public init?(_ text: String) {
        let parts = text.drop(while: { $0 == "v" }).split(separator: ".")
        guard parts.count >= 2, parts.count <= 3, let major = Int(parts[0]), let minor = Int(parts[1]),
              parts.count < 3 || Int(parts[2]) != nil else { return nil }
        self.init(major: major, minor: minor)
        guard self >= Self.oldest else { return nil }
    }

    public static func < (lhs: YuniKornVersion, rhs: YuniKornVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    public var description: String { "\(major).\(minor)" }

    /// Whether this release knows the 1.8.0 keys.
    var knowsUserGroupResolverAndQuotaPreemption: Bool { self >= YuniKornVersion(major: 1, minor: 8) }
}
