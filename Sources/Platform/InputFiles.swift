internal import SourceDocuments
import Foundation
public import Diagnostics
import QueueConfig

/// One problem in `clusters.yaml` or `policy.yaml`: where it is, which field, and what to do.
public typealias InputProblem = SourceProblem

/// Every problem found in an input file; nothing is half-read.
public struct InputError: Error, Sendable, CustomStringConvertible {
    public var problems: [InputProblem]
    public init(problems: [InputProblem]) { self.problems = problems }
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// Reads a YAML document strictly (unknown keys are errors) while keeping line and column for messages,
/// collecting every problem rather than stopping at the first. The document is read by SourceDocuments'
/// YAML reader (limits first, duplicate and merge keys refused); scalars are taken as written.
struct StrictYAML {
    let file: String
    var problems: [InputProblem] = []

    init(file: String) { self.file = file }

    /// The root node, or nil with a problem recorded.
    mutating func compose(_ text: String) -> SourceNode? {
        do {
            guard let node = try YAMLSource.parse(text, limits: .configFile) else {
                problems.append(InputProblem(file: file, line: 1, column: 1, field: "", message: "the file is empty"))
                return nil
            }
            return node
        } catch {
            problems.append(error.problem(file: file))
            return nil
        }
    }

    mutating func fail(_ node: SourceNode?, _ field: String, _ message: String) {
        problems.append(InputProblem(file: file, line: node?.line, column: node?.column, field: field, message: message))
    }

    /// The entries of a mapping in file order, reporting keys outside `allowed` (at the key).
    mutating func mapping(_ node: SourceNode?, _ field: String, allowed: [String]?) -> [(key: String, node: SourceNode)] {
        guard let node else { return [] }
        guard let members = node.members else {
            fail(node, field, "expected a mapping (key: value lines or {…})")
            return []
        }
        var entries: [(String, SourceNode)] = []
        for (key, value) in members {
            let path = field.isEmpty ? key : "\(field).\(key)"
            if let allowed, !allowed.contains(key) {
                problems.append(InputProblem(file: file, line: value.keyLine ?? value.line, column: value.keyColumn ?? value.column,
                                             field: path, message: "unknown key; expected one of \(allowed.joined(separator: ", "))"))
                continue
            }
            entries.append((key, value))
        }
        return entries
    }

    mutating func sequence(_ node: SourceNode?, _ field: String) -> [SourceNode] {
        guard let node else { return [] }
        guard let elements = node.elements else {
            fail(node, field, "expected a list (- item lines or […])")
            return []
        }
        return elements
    }

    mutating func string(_ node: SourceNode, _ field: String) -> String? {
        guard let text = node.scalarText, !text.isEmpty else {
            fail(node, field, "expected a non-empty text value")
            return nil
        }
        return text
    }

    mutating func number(_ node: SourceNode, _ field: String, in range: ClosedRange<Double>, hint: String) -> Double? {
        guard let text = node.scalarText, let value = Double(text), value.isFinite else {
            fail(node, field, "expected a number; \(hint)")
            return nil
        }
        guard range.contains(value) else {
            fail(node, field, "\(text) is out of range; \(hint)")
            return nil
        }
        return value
    }

    mutating func integer(_ node: SourceNode, _ field: String, in range: ClosedRange<Int>, hint: String) -> Int? {
        guard let text = node.scalarText, let value = Int(text) else {
            fail(node, field, "expected a whole number; \(hint)")
            return nil
        }
        guard range.contains(value) else {
            fail(node, field, "\(value) is out of range; \(hint)")
            return nil
        }
        return value
    }

    /// A resource map of Kubernetes quantities (`{vcore: 4000, memory: 16Ti}`) in model units.
    mutating func resources(_ node: SourceNode?, _ field: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for (name, value) in mapping(node, field, allowed: nil) {
            let path = "\(field).\(name)"
            guard let written = value.scalarText else {
                fail(value, path, "expected a quantity such as 4000, 500m, 16Ti or 64")
                continue
            }
            switch Quantity.parse(written, resource: name) {
            case let .success(amount):
                result[name] = Double(amount) / ResourceUnits.scale(name)
            case let .failure(error):
                let hint = name == Quantity.vcore ? "write cores (4000) or millicores (500m)"
                    : "write an integer with an optional suffix (16Ti, 512Gi, 64); decimals are not accepted"
                fail(value, path, "\(error.yunikornText) \"\(written)\"; \(hint)")
            }
        }
        return result
    }
}

/// The platform's configuration files (`clusters.yaml`, `policy.yaml`) read from disk: the one reader the
/// allocator, the deploy step and the router share.
public enum PlatformFiles {
    /// The file's text; an unreadable file is an `InputError` naming it.
    public static func read(_ path: String) throws(InputError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw InputError(problems: [InputProblem(file: path, line: 0, column: 0, field: "",
                                                     message: "cannot be read (\((error as NSError).localizedDescription)); check the path")])
        }
    }
}

extension ClusterRegistry {
    /// Reads and parses a cluster registry file.
    public static func load(file path: String) throws(InputError) -> [Cluster] {
        try parse(PlatformFiles.read(path), file: path)
    }
}

extension AllocationPolicy {
    /// Reads and parses a policy file.
    public static func load(file path: String) throws(InputError) -> AllocationPolicy {
        try parse(PlatformFiles.read(path), file: path)
    }
}
