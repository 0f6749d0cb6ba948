internal import Yams
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

/// Reads a YAML document strictly (unknown keys are errors) while keeping line and column for messages.
struct StrictYAML {
    let file: String
    var problems: [InputProblem] = []

    init(file: String) { self.file = file }

    /// The root node, or nil with a problem recorded.
    /// The text is checked against `DocumentLimits.configFile` first, so aliases cannot expand it.
    mutating func compose(_ text: String) -> Node? {
        do {
            try DocumentLimits.configFile.check(text)
        } catch {
            problems.append(InputProblem(file: file, line: error.line ?? 0, column: error.column ?? 0, field: "",
                                         message: error.message))
            return nil
        }
        do {
            guard let node = try Yams.compose(yaml: text) else {
                problems.append(InputProblem(file: file, line: 1, column: 1, field: "", message: "the file is empty"))
                return nil
            }
            return node
        } catch let error as YamlError {
            var line = 0, column = 0, problem = "\(error)"
            if case let .scanner(_, text, mark, _) = error { (line, column, problem) = (mark.line, mark.column, text) }
            if case let .parser(_, text, mark, _) = error { (line, column, problem) = (mark.line, mark.column, text) }
            problems.append(InputProblem(file: file, line: line, column: column, field: "",
                                         message: "not valid YAML: \(problem); fix the syntax"))
            return nil
        } catch {
            problems.append(InputProblem(file: file, line: 0, column: 0, field: "", message: "not valid YAML (\(error))"))
            return nil
        }
    }

    mutating func fail(_ node: Node?, _ field: String, _ message: String) {
        problems.append(InputProblem(file: file, line: node?.mark?.line ?? 0, column: node?.mark?.column ?? 0,
                                     field: field, message: message))
    }

    /// The entries of a mapping in file order, reporting keys outside `allowed`.
    mutating func mapping(_ node: Node?, _ field: String, allowed: [String]?) -> [(key: String, node: Node)] {
        guard let node else { return [] }
        guard case let .mapping(mapping) = node else {
            fail(node, field, "expected a mapping (key: value lines or {…})")
            return []
        }
        var entries: [(String, Node)] = []
        var seen: Set<String> = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                fail(keyNode, field, "keys must be plain text")
                continue
            }
            let path = field.isEmpty ? key : "\(field).\(key)"
            if !seen.insert(key).inserted {
                fail(keyNode, path, "given twice; keep one")
                continue
            }
            if let allowed, !allowed.contains(key) {
                fail(keyNode, path, "unknown key; expected one of \(allowed.joined(separator: ", "))")
                continue
            }
            entries.append((key, value))
        }
        return entries
    }

    mutating func sequence(_ node: Node?, _ field: String) -> [Node] {
        guard let node else { return [] }
        guard case let .sequence(sequence) = node else {
            fail(node, field, "expected a list (- item lines or […])")
            return []
        }
        return Array(sequence)
    }

    mutating func string(_ node: Node, _ field: String) -> String? {
        guard case let .scalar(scalar) = node, !scalar.string.isEmpty else {
            fail(node, field, "expected a non-empty text value")
            return nil
        }
        return scalar.string
    }

    mutating func number(_ node: Node, _ field: String, in range: ClosedRange<Double>, hint: String) -> Double? {
        guard case let .scalar(scalar) = node, let value = Double(scalar.string), value.isFinite else {
            fail(node, field, "expected a number; \(hint)")
            return nil
        }
        guard range.contains(value) else {
            fail(node, field, "\(scalar.string) is out of range; \(hint)")
            return nil
        }
        return value
    }

    mutating func integer(_ node: Node, _ field: String, in range: ClosedRange<Int>, hint: String) -> Int? {
        guard case let .scalar(scalar) = node, let value = Int(scalar.string) else {
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
    mutating func resources(_ node: Node?, _ field: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for (name, value) in mapping(node, field, allowed: nil) {
            let path = "\(field).\(name)"
            guard case let .scalar(scalar) = value else {
                fail(value, path, "expected a quantity such as 4000, 500m, 16Ti or 64")
                continue
            }
            switch Quantity.parse(scalar.string, resource: name) {
            case let .success(amount):
                result[name] = Double(amount) / ResourceUnits.scale(name)
            case let .failure(error):
                let hint = name == Quantity.vcore ? "write cores (4000) or millicores (500m)"
                    : "write an integer with an optional suffix (16Ti, 512Gi, 64); decimals are not accepted"
                fail(value, path, "\(error.yunikornText) \"\(scalar.string)\"; \(hint)")
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
