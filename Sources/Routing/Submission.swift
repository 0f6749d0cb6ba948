public import SourceDocuments
/// What the router needs to know about a submission to route it: whose work it is and what it is called.
public struct SubmissionFacts: Sendable, Equatable, Codable {
    /// The org as the submission names it. Routing never reads it: `TrustedIdentity.facts` refuses one
    /// that disagrees with projects.csv/owners.csv and replaces it with theirs.
    public var org: String?
    public var project: String
    /// 1, 2 or 3.
    public var tier: Int
    public var workflow: String?
    public var job: String?
    public var runID: String?
    /// When the workflow run was scheduled, in milliseconds since the epoch.
    public var scheduledAt: Int64?
    /// The SparkApplication's `metadata.name`.
    public var name: String
    /// Every label on `metadata.labels` (identity labels included), for rules that match on labels.
    public var labels: [String: String]

    /// Facts as given; `SubmissionParser` builds them from a body.
    public init(org: String? = nil, project: String, tier: Int, workflow: String? = nil, job: String? = nil,
                runID: String? = nil, scheduledAt: Int64? = nil, name: String, labels: [String: String] = [:]) {
        self.org = org
        self.project = project
        self.tier = tier
        self.workflow = workflow
        self.job = job
        self.runID = runID
        self.scheduledAt = scheduledAt
        self.name = name
        self.labels = labels
    }
}

/// A parsed submission: its facts, and the SparkApplication to mutate and send on.
public struct Submission: Sendable, Equatable {
    /// How the body was written.
    public enum Format: String, Sendable, Codable {
        case yaml, json
    }

    /// What the body was.
    public enum Form: String, Sendable, Codable {
        /// A spark-operator SparkApplication.
        case sparkApplication
        /// A compact `kind: SparkJob` spec, expanded into a SparkApplication.
        case compactSpec
    }

    public var facts: SubmissionFacts
    /// The SparkApplication (`sparkoperator.k8s.io/v1beta2`), keys in the user's order.
    public var manifest: Manifest
    public var format: Format
    public var form: Form
    /// The field paths of scheduling fields the router took out (`SchedulingFields`), for the answer.
    public var removedFields: [String]

    /// A submission from its parts.
    public init(facts: SubmissionFacts, manifest: Manifest, format: Format, form: Form, removedFields: [String] = []) {
        self.facts = facts
        self.manifest = manifest
        self.format = format
        self.form = form
        self.removedFields = removedFields
    }
}

/// Why a body is not a submission the router can take: the field, where it is, and what to do.
public struct SubmissionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, for callers and tests that branch on it (the wording may change; kinds do not).
    public enum Kind: String, Sendable, Codable {
        case emptyBody, syntax, notAnObject, unsupportedKind, missingLabels, missingField, invalidValue, unknownField
        /// A scheduling field the router refuses to pass on (`SchedulingFields`).
        case refusedField
    }

    public var kind: Kind
    /// A path such as `metadata.labels["bursar.dev/tier"]`; empty for the whole body.
    public var field: String
    /// 1-based line and column in the body, when known.
    public var line: Int?
    public var column: Int?
    /// What is wrong and what to do, without the field or position.
    public var message: String

    /// An error at a field.
    public init(_ kind: Kind, field: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.kind = kind
        self.field = field
        self.line = line
        self.column = column
        self.message = message
    }

    /// `line 4, column 14: metadata.labels["bursar.dev/tier"]: "4" is not a tier; use 1, 2 or 3`.
    public var description: String {
        var text = ""
        if let line {
            text += "line \(line)"
            if let column { text += ", column \(column)" }
            text += ": "
        }
        if !field.isEmpty { text += field + ": " }
        return text + message
    }
}

/// Reads `POST /v1/submissions` bodies: a SparkApplication in YAML or JSON, or a compact job spec.
public enum SubmissionParser {
    /// The SparkApplication API version the router accepts and writes.
    public static let apiVersion = "sparkoperator.k8s.io/v1beta2"

    /// Parses a body. The format comes from the content type when it names JSON or YAML, else from the
    /// first non-space byte (`{` or `[` is JSON). Every refusal names the field and says what to do.
    public static func parse(_ body: [UInt8], contentType: String?) throws(SubmissionError) -> Submission {
        guard let firstByte = body.first(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }) else {
            throw SubmissionError(.emptyBody, field: "", message: "the body is empty; send a SparkApplication (YAML or JSON) or a kind: SparkJob spec")
        }
        let format = detectFormat(contentType: contentType, firstByte: firstByte)
        let root: SourceNode
        do {
            switch format {
            case .json:
                root = try JSONSource.parse(body)
            case .yaml:
                guard let text = String(validating: body, as: UTF8.self) else {
                    throw SyntaxError(message: "the body is not UTF-8 text; send YAML or JSON in UTF-8")
                }
                guard let document = try YAMLSource.parse(text) else {
                    throw SubmissionError(.emptyBody, field: "", message: "the YAML holds no document (only comments?); send a SparkApplication or a kind: SparkJob spec")
                }
                root = document
            }
        } catch let error as SyntaxError {
            throw SubmissionError(.syntax, field: error.field, line: error.line, column: error.column, message: error.message)
        } catch let error as SubmissionError {
            throw error
        } catch {
            throw SubmissionError(.syntax, field: "", message: "\(error)")
        }
        return try parse(document: root, format: format)
    }

    /// Whether the router would take `document`: the same checks as `parse(document:format:)`, but a compact
    /// spec is not written out as a SparkApplication. Nil when it would; the refusal otherwise.
    public static func check(document root: SourceNode) -> SubmissionError? {
        do {
            // The same choice as `parse(document:format:)` makes between the two forms.
            if root.isObject, root["kind"]?.string == "SparkJob" || (root["kind"] == nil && root["apiVersion"] == nil) {
                try CompactSpec.verify(root, appending: [])
            } else {
                _ = try parse(document: root, format: .yaml)
            }
            return nil
        } catch {
            return error
        }
    }

    /// `check(document:)` of `root` with `extra` members after its own (none when `root` is not a mapping),
    /// without building that document: a workflow's Spark job with the identity the scheduler adds to each
    /// attempt, for every job of every definition.
    public static func check(document root: SourceNode, appending extra: [(key: String, node: SourceNode)]) -> SubmissionError? {
        // The same choice as `check(document:)` makes, on the fields of the document it stands for.
        let fields = CompactSpec.Fields(root, appending: extra)
        guard root.isObject, fields.isCompact else {
            var document = root
            document.value = .object((root.members ?? []) + extra)
            return check(document: document)
        }
        do {
            try CompactSpec.verify(fields)
            return nil
        } catch {
            return error
        }
    }

    /// Reads a document already parsed with its positions (a workflow definition's `spark:` spec, a
    /// SparkApplication file beside it): the same checks as a body, so what passes here the router takes.
    public static func parse(document root: SourceNode, format: Submission.Format) throws(SubmissionError) -> Submission {
        guard root.isObject else {
            throw SubmissionError(.notAnObject, field: "", line: root.line, column: root.column,
                                  message: "the body is \(root.kindName), not an object; send one SparkApplication or one kind: SparkJob spec")
        }
        let kind = root["kind"]
        let apiVersion = root["apiVersion"]
        switch kind?.string {
        case "SparkJob":
            return try CompactSpec.expand(root, format: format)
        case nil where kind == nil && apiVersion == nil:
            return try CompactSpec.expand(root, format: format)
        case "SparkApplication":
            guard let version = apiVersion?.string, version == Self.apiVersion else {
                let found = apiVersion.map { describe($0) } ?? "missing"
                throw SubmissionError(apiVersion == nil ? .missingField : .unsupportedKind, field: "apiVersion",
                                      line: apiVersion?.line, column: apiVersion?.column,
                                      message: "\(found); the router takes SparkApplications of apiVersion \(Self.apiVersion)")
            }
            return try sparkApplication(root, format: format)
        default:
            let found = kind.map { describe($0) } ?? "missing"
            throw SubmissionError(kind == nil ? .missingField : .unsupportedKind, field: "kind",
                                  line: kind?.line, column: kind?.column,
                                  message: "\(found); send kind: SparkApplication (apiVersion \(Self.apiVersion)) or kind: SparkJob (a compact job spec)")
        }
    }

    static func detectFormat(contentType: String?, firstByte: UInt8) -> Submission.Format {
        if let contentType = contentType?.lowercased() {
            if contentType.contains("json") { return .json }
            if contentType.contains("yaml") || contentType.contains("yml") { return .yaml }
        }
        return firstByte == 0x7B || firstByte == 0x5B ? .json : .yaml
    }

    /// A value as a message shows it: strings quoted, others by kind.
    static func describe(_ node: SourceNode) -> String {
        switch node.value {
        case .string(let text): return "\"\(text)\" is not supported"
        case .integer(let number): return "\(number) is not supported"
        default: return "\(node.kindName) is not supported"
        }
    }

    // MARK: SparkApplication

    private static func sparkApplication(_ submitted: SourceNode, format: Submission.Format) throws(SubmissionError) -> Submission {
        // Scheduling fields the router owns are taken out (or refused) first, so nothing below, label rules
        // included, ever sees them.
        var root = submitted
        let removed = try SchedulingFields.vet(&root)
        guard let metadata = root["metadata"] else {
            throw SubmissionError(.missingField, field: "metadata", message: "missing; a SparkApplication needs metadata with a name and the labels \(IdentityLabel.required.joined(separator: ", "))")
        }
        try requireObject(metadata, field: "metadata")
        guard let nameNode = metadata["name"] else {
            throw SubmissionError(.missingField, field: "metadata.name", line: metadata.line, column: metadata.column,
                                  message: "missing; name the application (lower-case letters, digits and '-')")
        }
        let name = try string(nameNode, field: "metadata.name")
        if let problem = ResourceName.problem(name, maximumLength: 253) {
            throw SubmissionError(.invalidValue, field: "metadata.name", line: nameNode.line, column: nameNode.column,
                                  message: "\"\(name)\" \(problem)")
        }
        if let namespace = metadata["namespace"] { _ = try string(namespace, field: "metadata.namespace") }
        guard let labelsNode = metadata["labels"] else {
            throw SubmissionError(.missingLabels, field: "metadata.labels", line: metadata.line, column: metadata.column,
                                  message: "missing; add the labels \(IdentityLabel.required.joined(separator: ", ")) so the router knows whose work this is")
        }
        let labels = try stringMap(labelsNode, field: "metadata.labels")
        let facts = try IdentityReader.facts(labels: labels, node: labelsNode, field: "metadata.labels", name: name)

        guard let spec = root["spec"] else {
            throw SubmissionError(.missingField, field: "spec", message: "missing; a SparkApplication needs a spec (image, mainApplicationFile, driver, executor)")
        }
        try requireObject(spec, field: "spec")
        // The mutation writes into these: they must be objects (or absent) so it never has to guess.
        for key in ["driver", "executor", "batchSchedulerOptions"] {
            guard let child = spec[key] else { continue }
            try requireObject(child, field: "spec." + key)
            if key != "batchSchedulerOptions", let podLabels = child["labels"] {
                _ = try stringMap(podLabels, field: "spec.\(key).labels")
            }
        }
        return Submission(facts: facts, manifest: root.json, format: format, form: .sparkApplication, removedFields: removed)
    }

    // MARK: Shared readers

    static func requireObject(_ node: SourceNode, field: String) throws(SubmissionError) {
        guard node.isObject else {
            throw SubmissionError(.invalidValue, field: field, line: node.line, column: node.column,
                                  message: "is \(node.kindName); it must be an object (key: value pairs)")
        }
    }

    static func string(_ node: SourceNode, field: String) throws(SubmissionError) -> String {
        guard let text = node.string else {
            throw SubmissionError(.invalidValue, field: field, line: node.line, column: node.column,
                                  message: "is \(node.kindName); it must be a string\(quoteHint(node))")
        }
        return text
    }

    /// A hint for a scalar YAML typed as something else: `"1"` rather than `1`.
    static func quoteHint(_ node: SourceNode) -> String {
        switch node.value {
        case .integer(let number): return " (quote it: \"\(number)\")"
        case .double(let number): return " (quote it: \"\(number)\")"
        case .bool(let flag): return " (quote it: \"\(flag)\")"
        default: return ""
        }
    }

    static func stringMap(_ node: SourceNode, field: String) throws(SubmissionError) -> [String: String] {
        guard case .object(let members) = node.value else {
            throw SubmissionError(.invalidValue, field: field, line: node.line, column: node.column,
                                  message: "is \(node.kindName); it must be an object of string values")
        }
        var map: [String: String] = [:]
        map.reserveCapacity(members.count)
        for member in members {
            let childField = SourcePath.child(field, member.key)
            guard let value = member.node.string else {
                throw SubmissionError(.invalidValue, field: childField, line: member.node.line, column: member.node.column,
                                      message: "is \(member.node.kindName); Kubernetes label values are strings\(quoteHint(member.node))")
            }
            map[member.key] = value
        }
        return map
    }
}

/// Reads the identity labels into facts, with one message per kind of mistake.
enum IdentityReader {
    static func facts(labels: [String: String], node: SourceNode, field: String, name: String) throws(SubmissionError) -> SubmissionFacts {
        let checked = try check(field: field, line: node.line, column: node.column, label: { labels[IdentityLabel.all[$0]] }, position: { index in
            let child = node[IdentityLabel.all[index]]
            return (child?.line, child?.column)
        })
        return facts(labels: labels, checked: checked, name: name)
    }

    static let tierIndex = IdentityLabel.all.firstIndex(of: IdentityLabel.tier)!
    static let scheduledAtIndex = IdentityLabel.all.firstIndex(of: IdentityLabel.scheduledAt)!

    /// What `facts` checks, reading the identity labels by their index in `IdentityLabel.all` through `label`,
    /// and placing a refusal at `position` (at `line` and `column`, the labels', for one that is missing).
    /// `valuesChecked`: the caller already refused every value `LabelValue` refuses (the compact spec does,
    /// naming its own fields), so that is not done twice.
    static func check(field: String, line: Int?, column: Int?, label: (Int) -> String?, position: (Int) -> (line: Int?, column: Int?),
                      valuesChecked: Bool = false) throws(SubmissionError) -> (tier: Int, scheduledAt: Int64?) {
        // `IdentityLabel.all` starts with the required labels.
        if (0..<IdentityLabel.required.count).contains(where: { (label($0) ?? "").isEmpty }) {
            let missing = IdentityLabel.required.indices.filter { (label($0) ?? "").isEmpty }.map { IdentityLabel.required[$0] }
            throw SubmissionError(.missingLabels, field: field, line: line, column: column,
                                  message: "missing \(missing.joined(separator: ", ")); add \(missing.count == 1 ? "it" : "them") so the router knows whose work this is")
        }
        if !valuesChecked {
            for (index, key) in IdentityLabel.all.enumerated() {
                guard let value = label(index), let problem = LabelValue.problem(value) else { continue }
                var message = "\"\(value)\" \(problem)"
                if key == IdentityLabel.scheduledAt { message += "; use epoch milliseconds or the basic form 20240501T020000Z" }
                let at = position(index)
                throw SubmissionError(.invalidValue, field: SourcePath.child(field, key), line: at.line, column: at.column, message: message)
            }
        }
        let tierText = label(Self.tierIndex) ?? ""
        guard let tier = Tier.parse(tierText) else {
            let at = position(Self.tierIndex)
            throw SubmissionError(.invalidValue, field: SourcePath.child(field, IdentityLabel.tier), line: at.line, column: at.column,
                                  message: "\"\(tierText)\" is not a tier; use 1, 2 or 3")
        }
        var scheduledAt: Int64?
        if let text = label(Self.scheduledAtIndex), !text.isEmpty {
            guard let millis = ScheduledAt.milliseconds(text) else {
                let at = position(Self.scheduledAtIndex)
                throw SubmissionError(.invalidValue, field: SourcePath.child(field, IdentityLabel.scheduledAt), line: at.line, column: at.column,
                                      message: "\"\(text)\" is not a time; use epoch milliseconds or ISO 8601 such as 20240501T020000Z")
            }
            scheduledAt = millis
        }
        return (tier, scheduledAt)
    }

    /// The facts of labels `check` passed.
    static func facts(labels: [String: String], checked: (tier: Int, scheduledAt: Int64?), name: String) -> SubmissionFacts {
        func optional(_ key: String) -> String? {
            guard let value = labels[key], !value.isEmpty else { return nil }
            return value
        }
        return SubmissionFacts(org: optional(IdentityLabel.org), project: labels[IdentityLabel.project] ?? "", tier: checked.tier,
                               workflow: optional(IdentityLabel.workflow), job: optional(IdentityLabel.job),
                               runID: optional(IdentityLabel.runID), scheduledAt: checked.scheduledAt, name: name, labels: labels)
    }
}

/// Tiers as submissions write them.
enum Tier {
    /// `1`…`3` or `tier1`…`tier3` (any case).
    static func parse(_ text: String) -> Int? {
        // The usual `1`, `2` or `3`, decided on its one byte.
        if text.utf8.count == 1, let byte = text.utf8.first {
            return (0x31...0x33).contains(byte) ? Int(byte - 0x30) : nil
        }
        var digits = Substring(text)
        if digits.count == 5, digits.lowercased().hasPrefix("tier") { digits = digits.dropFirst(4) }
        guard digits.count == 1, let tier = Int(digits), (1...3).contains(tier) else { return nil }
        return tier
    }
}

/// Kubernetes object names (RFC 1123): lower-case letters, digits, '-' and '.', starting and ending with
/// a letter or digit.
enum ResourceName {
    static func problem(_ name: String, maximumLength: Int, allowDots: Bool = true) -> String? {
        guard !name.isEmpty else { return "is empty; name the application (lower-case letters, digits and '-')" }
        if name.utf8.count > maximumLength { return "is \(name.utf8.count) characters long; use at most \(maximumLength)" }
        func isAlnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) }
        for c in name.utf8 where !(isAlnum(c) || c == 0x2D || (allowDots && c == 0x2E)) {
            return "is not a valid name; use lower-case letters, digits and '-'\(allowDots ? " or '.'" : "")"
        }
        guard let first = name.utf8.first, let last = name.utf8.last, isAlnum(first), isAlnum(last) else {
            return "must start and end with a lower-case letter or digit"
        }
        return nil
    }
}
