import Diagnostics
import Foundation

/// The check of one input (a `queues.yaml` or a ConfigMap) and how it is shown to people and to
/// scripts. Reading the bytes is the caller's job; everything here works on values.
public struct FileReport: Sendable {
    /// What the user named: a path, or `-` for standard input.
    public var file: String
    /// Where the configuration came from inside the file: `queues.yaml`, or `ConfigMap NAME key KEY`.
    public var source: String
    /// Why the input could not be read, when it could not.
    public var unreadable: String?
    /// The validation, when the input was read.
    public var result: ValidationResult?

    /// The report for an input that could not be read.
    public static func unreadable(file: String, reason: String) -> FileReport {
        FileReport(file: file, source: "", unreadable: reason, result: nil)
    }

    /// Checks `text` read from `file`, looking inside a ConfigMap when it is one.
    public static func check(text: String, file: String, for version: YuniKornVersion = .latest) -> FileReport {
        do {
            switch try ConfigMap.classify(text) {
            case .queuesYAML(let yaml):
                return FileReport(file: file, source: "queues.yaml", unreadable: nil, result: Validator.validate(text: yaml, for: version))
            case let .configMap(name, key, yaml):
                guard let key, let yaml else {
                    var result = Validator.validate(text: "")
                    result.problems = [Problem(severity: .warning, kind: .emptyDocument, path: .root, location: nil,
                                               message: "ConfigMap \(name) has no \(ConfigMap.queuesKey) key: YuniKorn then uses its built-in default configuration",
                                               yunikornMessage: nil)]
                    return FileReport(file: file, source: "ConfigMap \(name)", unreadable: nil, result: result)
                }
                var result = Validator.validate(text: yaml, for: version)
                // Lines inside a `data` block are shifted; say so instead of pointing at wrong lines.
                if key == ConfigMap.queuesKey, let offset = blockOffset(of: key, in: text) {
                    result.problems = result.problems.map { problem in
                        var moved = problem
                        moved.location = problem.location.map { SourceLocation(line: $0.line + offset.lines, column: $0.column + offset.indent) }
                        return moved
                    }
                }
                return FileReport(file: file, source: "ConfigMap \(name) \(key)", unreadable: nil, result: result)
            }
        } catch {
            return FileReport(file: file, source: "ConfigMap", unreadable: "\(error)", result: nil)
        }
    }

    /// Where a literal block `key: |` starts, so positions inside it map back to the file.
    static func blockOffset(of key: String, in text: String) -> (lines: Int, indent: Int)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let header = lines.firstIndex(where: {
            let trimmed = $0.drop(while: { $0 == " " })
            return trimmed.hasPrefix(key + ":") && trimmed.contains("|")
        }) else { return nil }
        guard let body = lines[(header + 1)...].first(where: { !$0.allSatisfy { $0 == " " } }) else { return nil }
        return (header + 1, body.prefix(while: { $0 == " " }).count)
    }

    /// The overall outcome, for exit codes.
    public enum Outcome: Int, Comparable, Sendable {
        case valid = 0
        case invalid = 3
        case unreadable = 2
        public static func < (lhs: Outcome, rhs: Outcome) -> Bool { lhs.rank < rhs.rank }
        var rank: Int { self == .valid ? 0 : self == .invalid ? 1 : 2 }
    }

    /// Valid, invalid (by YuniKorn, or by a warning when `strict`), or unreadable.
    public func outcome(strict: Bool) -> Outcome {
        guard let result else { return .unreadable }
        if !result.isValid { return .invalid }
        if strict && !result.problems(.warning).isEmpty { return .invalid }
        return .valid
    }

    // MARK: Text

    /// Lines for a terminal: a verdict line, then one `file:line:col: severity: path: message` per problem.
    public func text(strict: Bool = false) -> String {
        guard let result else { return "\(file): unreadable: \(unreadable ?? "")\n" }
        let errors = result.problems(.error).count
        let warnings = result.problems(.warning).count
        var counts: [String] = []
        if errors > 0 { counts.append(Self.plural(errors, "error")) }
        if warnings > 0 { counts.append(Self.plural(warnings, "warning")) }
        let where_ = source == "queues.yaml" ? "" : " (\(source))"
        var out: String
        if result.isValid {
            let verdict = strict && warnings > 0 ? "invalid (--strict)" : "valid"
            out = "\(file)\(where_): \(verdict)" + (counts.isEmpty ? "" : ", " + counts.joined(separator: ", "))
                + (result.checksum.map { "; YuniKorn checksum \($0.prefix(12))…" } ?? "") + "\n"
        } else {
            out = "\(file)\(where_): invalid, " + counts.joined(separator: ", ") + "\n"
        }
        for problem in result.problems {
            let place = SourceProblem.place(file: file, line: problem.location?.line ?? 0, column: problem.location?.column ?? 0)
            let path = problem.path.components.isEmpty ? "" : "\(problem.path): "
            out += "  \(place): \(problem.severity.rawValue): \(path)\(problem.message)\n"
        }
        if let error = result.yunikornError {
            out += "  YuniKorn reports: " + error.replacingOccurrences(of: "\n", with: "\n    ") + "\n"
        }
        return out
    }

    static func plural(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }

    // MARK: JSON

    /// A JSON object with stable keys; see the README for the schema.
    public func jsonObject(strict: Bool = false) -> [String: Any] {
        var object: [String: Any] = ["file": file, "source": source]
        guard let result else {
            object["outcome"] = "unreadable"
            object["valid"] = false
            object["unreadable"] = unreadable ?? ""
            return object
        }
        object["outcome"] = outcome(strict: strict) == .valid ? "valid" : "invalid"
        object["valid"] = result.isValid
        object["yunikorn_error"] = result.yunikornError ?? NSNull()
        object["checksum"] = result.checksum ?? NSNull()
        object["errors"] = result.problems(.error).count
        object["warnings"] = result.problems(.warning).count
        object["problems"] = result.problems.map { problem -> [String: Any] in
            [
                "severity": problem.severity.rawValue,
                "kind": problem.kind.rawValue,
                "path": problem.path.description,
                "line": problem.location?.line ?? NSNull(),
                "column": problem.location?.column ?? NSNull(),
                "message": problem.message,
                "yunikorn_message": problem.yunikornMessage ?? NSNull(),
                "yunikorn_first_error": problem.isYuniKornFirstError,
            ]
        }
        return object
    }

    /// The JSON document for several reports: `{"valid": …, "summary": {…}, "files": […]}`.
    public static func json(_ reports: [FileReport], strict: Bool = false) -> String {
        let outcomes = reports.map { $0.outcome(strict: strict) }
        let document: [String: Any] = [
            "valid": outcomes.allSatisfy { $0 == .valid },
            "summary": [
                "files": reports.count,
                "valid": outcomes.filter { $0 == .valid }.count,
                "invalid": outcomes.filter { $0 == .invalid }.count,
                "unreadable": outcomes.filter { $0 == .unreadable }.count,
                "errors": reports.reduce(0) { $0 + ($1.result?.problems(.error).count ?? 0) },
                "warnings": reports.reduce(0) { $0 + ($1.result?.problems(.warning).count ?? 0) },
            ],
            "files": reports.map { $0.jsonObject(strict: strict) },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
