/// A Kubernetes equality-based label selector (`a`, `a=b`, `a==b`, `a!=b`, `!a`, comma-separated: all must hold).
/// Set-based terms (`a in (x,y)`) are refused with a message rather than misread.
public struct LabelSelector: Sendable, Equatable {
    /// One requirement.
    public enum Term: Sendable, Equatable {
        case exists(String)
        case absent(String)
        case equals(String, String)
        case notEquals(String, String)
    }

    /// The requirements, all of which must hold.
    public var terms: [Term]

    /// The longest selector read: the API server's own limit on a query string is of this order.
    public static let maxLength = 4096

    /// Parses the `labelSelector` query parameter; an empty text selects everything.
    public init(_ text: String) throws(SimClusterError) {
        guard text.utf8.count <= Self.maxLength else {
            throw SimClusterError(.badRequest, "labelSelector is longer than \(Self.maxLength) bytes; select on fewer labels")
        }
        terms = []
        for raw in text.split(separator: ",", omittingEmptySubsequences: true) {
            let part = raw.trimmingSpaces()
            guard !part.isEmpty else { continue }
            if part.contains(" in ") || part.contains(" notin ") || part.contains("(") {
                throw SimClusterError(.badRequest, "unable to parse requirement \"\(part)\": set-based selectors are not "
                    + "supported by the simulated cluster; use key, key=value, key!=value or !key")
            }
            let term: Term
            if part.hasPrefix("!") {
                term = .absent(try Self.key(String(part.dropFirst()), in: part))
            } else if let range = part.range(of: "!=") {
                term = .notEquals(try Self.key(String(part[..<range.lowerBound]), in: part),
                                  try Self.value(String(part[range.upperBound...]), in: part))
            } else if let range = part.range(of: "==") ?? part.range(of: "=") {
                term = .equals(try Self.key(String(part[..<range.lowerBound]), in: part),
                               try Self.value(String(part[range.upperBound...]), in: part))
            } else {
                term = .exists(try Self.key(part, in: part))
            }
            terms.append(term)
        }
    }

    /// Whether `labels` meet every requirement.
    public func matches(_ labels: [String: String]) -> Bool {
        terms.allSatisfy { term in
            switch term {
            case .exists(let key): return labels[key] != nil
            case .absent(let key): return labels[key] == nil
            case .equals(let key, let value): return labels[key] == value
            case .notEquals(let key, let value): return labels[key] != value
            }
        }
    }

    private static func key(_ text: String, in part: String) throws(SimClusterError) -> String {
        let key = text.trimmingSpaces()
        guard !key.isEmpty, key.utf8.count <= 317,
              key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./".contains($0)) }) else {
            throw SimClusterError(.badRequest, "unable to parse requirement \"\(part)\": \"\(key)\" is not a label key")
        }
        return key
    }

    private static func value(_ text: String, in part: String) throws(SimClusterError) -> String {
        let value = text.trimmingSpaces()
        guard value.utf8.count <= 63, value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw SimClusterError(.badRequest, "unable to parse requirement \"\(part)\": \"\(value)\" is not a label value")
        }
        return value
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
