internal import SourceDocuments
/// The compact job spec (`kind: SparkJob`, or an object with neither kind nor apiVersion): the few fields
/// a workflow author cares about, expanded into a full SparkApplication. Unknown fields are refused so a
/// typo is not silently dropped.
///
/// ```yaml
/// kind: SparkJob
/// workflow: etl-daily
/// project: fraud
/// tier: 1
/// name: etl-daily-load
/// image: registry/spark:3.5.1
/// main: local:///opt/jobs/etl.jar
/// main_class: com.example.Etl
/// driver: {cores: 1, memory: 2g}
/// executor: {instances: 4, cores: 2, memory: 4g}
/// ```
enum CompactSpec {
    /// The Spark version written when the spec names none (spark-operator requires the field; it only
    /// informs the operator, the image decides what runs).
    static let defaultSparkVersion = "3.5.1"

    static let fields = ["kind", "workflow", "project", "tier", "org", "job", "run_id", "scheduled_at", "name", "image",
                         "main", "main_class", "args", "spark_version", "driver", "executor", "conf"]
    static let driverFields = ["cores", "memory"]
    static let executorFields = ["instances", "cores", "memory"]

    /// What a compact spec says, every field checked: all `expand` needs to write the SparkApplication.
    struct Checked {
        var facts: SubmissionFacts
        var labels: [(String, String)]
        var name, image, main: String
        var mainClass, sparkVersion: String?
        var arguments: [JSONValue]?
        var sparkConf: [JSONValue.Member]?
        var removed: [String]
        var driverCores: Int64, driverMemory: String
        var instances: Int64, executorCores: Int64, executorMemory: String
    }

    /// The spec expanded into a SparkApplication (its checks are `check`'s).
    static func expand(_ root: SourceNode, format: Submission.Format) throws(SubmissionError) -> Submission {
        let checked = try check(root)
        return build(checked, format: format)
    }

    /// Every check of the spec, without writing the SparkApplication: what `bursar pipelines validate` asks of
    /// each of a workflow's jobs.
    static func check(_ root: SourceNode) throws(SubmissionError) -> Checked {
        try read(Fields(root, appending: []), keepingFacts: true)!
    }

    /// The same checks as `check`, of `root` with `extra` members after its own (the identity the scheduler
    /// adds to every attempt), without building that document or the submission's facts.
    static func verify(_ root: SourceNode, appending extra: [(key: String, node: SourceNode)]) throws(SubmissionError) {
        try verify(Fields(root, appending: extra))
    }

    /// `verify` of fields already found.
    static func verify(_ fields: Fields) throws(SubmissionError) {
        _ = try read(fields, keepingFacts: false)
    }

    /// The spec's members by field, found in one pass (the first of a repeated key, as a lookup by key finds
    /// it), and the first member that is not a field: a workflow checks hundreds of thousands of specs.
    struct Fields {
        /// The fields in `CompactSpec.fields`' order.
        enum Field: Int, CaseIterable {
            case kind, workflow, project, tier, org, job, runID, scheduledAt, name, image, main, mainClass, args,
                 sparkVersion, driver, executor, conf

            /// The field a key names: the one candidate its first letter and length leave, then compared whole
            /// (a scan comparing every name costs more than the rest of the check).
            init?(named key: String) {
                let utf8 = key.utf8
                guard let first = utf8.first else { return nil }
                // Every name is at most 15 bytes, a small string: the comparison is of two words.
                let candidate: Field, name: String
                switch first {
                case 0x6B: (candidate, name) = (.kind, "kind")
                case 0x77: (candidate, name) = (.workflow, "workflow")
                case 0x70: (candidate, name) = (.project, "project")
                case 0x74: (candidate, name) = (.tier, "tier")
                case 0x6F: (candidate, name) = (.org, "org")
                case 0x6A: (candidate, name) = (.job, "job")
                case 0x72: (candidate, name) = (.runID, "run_id")
                case 0x73: (candidate, name) = utf8.count == 12 ? (.scheduledAt, "scheduled_at") : (.sparkVersion, "spark_version")
                case 0x6E: (candidate, name) = (.name, "name")
                case 0x69: (candidate, name) = (.image, "image")
                case 0x6D: (candidate, name) = utf8.count == 4 ? (.main, "main") : (.mainClass, "main_class")
                case 0x61: (candidate, name) = (.args, "args")
                case 0x64: (candidate, name) = (.driver, "driver")
                case 0x65: (candidate, name) = (.executor, "executor")
                case 0x63: (candidate, name) = (.conf, "conf")
                default: return nil
                }
                guard key == name else { return nil }
                self = candidate
            }
        }
        let line: Int?, column: Int?
        private let own: [(key: String, node: SourceNode)]
        private let extra: [(key: String, node: SourceNode)]
        /// Where each field is: an index into `own`, then `extra`; -1 when absent.
        private var slots = InlineArray<17, Int32>(repeating: -1)
        /// Where the first member whose key is not a field is, in document order; -1 when none.
        private var unknownSlot: Int32 = -1
        private var hasAPIVersion = false

        init(_ root: SourceNode, appending extra: [(key: String, node: SourceNode)]) {
            (line, column) = (root.line, root.column)
            own = root.members ?? []
            self.extra = extra
            // Found in locals, then stored: no access to `self` per key.
            var slots = InlineArray<17, Int32>(repeating: -1)
            var unknownSlot: Int32 = -1
            var hasAPIVersion = false
            func place(_ key: String, at index: Int) {
                if let field = Field(named: key) {
                    if slots[field.rawValue] < 0 { slots[field.rawValue] = Int32(index) }
                } else {
                    if unknownSlot < 0 { unknownSlot = Int32(index) }
                    if key == "apiVersion" { hasAPIVersion = true }
                }
            }
            for index in own.indices { place(own[index].key, at: index) }
            for index in extra.indices { place(extra[index].key, at: own.count + index) }
            (self.slots, self.unknownSlot, self.hasAPIVersion) = (slots, unknownSlot, hasAPIVersion)
        }

        /// Whether the document is a compact spec rather than a SparkApplication (`kind: SparkJob`, or neither kind
        /// nor apiVersion), as `SubmissionParser` chooses.
        var isCompact: Bool {
            guard let kind = self[.kind] else { return !hasAPIVersion }
            return kind.string == "SparkJob"
        }

        /// The first member whose key is not a field, in document order.
        var unknown: (key: String, node: SourceNode)? {
            guard unknownSlot >= 0 else { return nil }
            return member(Int(unknownSlot))
        }

        private func member(_ slot: Int) -> (key: String, node: SourceNode) {
            slot < own.count ? own[slot] : extra[slot - own.count]
        }

        subscript(_ field: Field) -> SourceNode? {
            let slot = Int(slots[field.rawValue])
            guard slot >= 0 else { return nil }
            return slot < own.count ? own[slot].node : extra[slot - own.count].node
        }
    }

    /// Every check, in the order the router makes them (the first refusal is the one reported); the facts only
    /// when `keepingFacts`, else nil.
    private static func read(_ root: Fields, keepingFacts: Bool) throws(SubmissionError) -> Checked? {
        if let member = root.unknown { throw unknownField(member, allowed: fields, field: "") }
        if requiredFields.contains(where: { root[$0.1] == nil }) {
            let missing = requiredFields.filter { root[$0.1] == nil }.map(\.0)
            throw SubmissionError(missing.contains(where: { ["workflow", "project", "tier"].contains($0) }) ? .missingLabels : .missingField,
                                  field: "", line: root.line, column: root.column,
                                  message: "the SparkJob spec is missing \(missing.joined(separator: ", ")); add \(missing.count == 1 ? "it" : "them")")
        }

        // Identity: into labels, validated exactly as a SparkApplication's labels are. Each label's value sits at
        // the label's index in `IdentityLabel.all`, the order they are read and checked in here.
        var labels = InlineArray<7, String?>(repeating: nil)
        labels[0] = try identity(root[.workflow], field: "workflow")
        labels[1] = try identity(root[.project], field: "project")
        if let tierNode = root[.tier] {
            let text = try scalarText(tierNode, field: "tier")
            guard let tier = Tier.parse(text) else {
                throw SubmissionError(.invalidValue, field: "tier", line: tierNode.line, column: tierNode.column,
                                      message: "\"\(text)\" is not a tier; use 1, 2 or 3")
            }
            labels[2] = String(tier)
        }
        labels[3] = try identity(root[.job], field: "job")
        labels[4] = try identity(root[.runID], field: "run_id")
        if let node = root[.scheduledAt] {
            // Written to the label as epoch milliseconds: ISO 8601's ':' is not allowed in label values.
            let text = try scalarText(node, field: "scheduled_at")
            guard let millis = ScheduledAt.milliseconds(text) else {
                throw SubmissionError(.invalidValue, field: "scheduled_at", line: node.line, column: node.column,
                                      message: "\"\(text)\" is not a time; use ISO 8601 with a zone (2024-05-01T02:00:00Z) or epoch milliseconds")
            }
            labels[5] = String(millis)
        }
        labels[6] = try identity(root[.org], field: "org")
        for index in 0..<7 {
            if let value = labels[index], let problem = LabelValue.problem(value) {
                let (key, field) = labelFields[index]
                throw SubmissionError(.invalidValue, field: key, line: root[field]?.line, column: root[field]?.column,
                                      message: "\"\(value)\" \(problem) (it becomes the label \(IdentityLabel.all[index]))")
            }
        }

        let nameNode = root[.name]!
        let name = try SubmissionParser.string(nameNode, field: "name")
        if let problem = ResourceName.problem(name, maximumLength: 63, allowDots: false) {
            throw SubmissionError(.invalidValue, field: "name", line: nameNode.line, column: nameNode.column, message: "\"\(name)\" \(problem)")
        }
        let image = try nonEmptyString(root[.image]!, field: "image")
        let main = try nonEmptyString(root[.main]!, field: "main")
        let mainClass = try root[.mainClass].map { node throws(SubmissionError) in try nonEmptyString(node, field: "main_class") }
        let sparkVersion = try root[.sparkVersion].map { node throws(SubmissionError) in try scalarText(node, field: "spark_version") }

        var arguments: [JSONValue]?
        if let argsNode = root[.args] {
            guard case .array(let elements) = argsNode.value else {
                throw SubmissionError(.invalidValue, field: "args", line: argsNode.line, column: argsNode.column,
                                      message: "is \(argsNode.kindName); it must be a list of arguments")
            }
            var values: [JSONValue] = []
            for (index, element) in elements.enumerated() {
                values.append(.string(try scalarText(element, field: "args[\(index)]")))
            }
            arguments = values
        }
        var sparkConf: [JSONValue.Member]?
        var removed: [String] = []
        if let confNode = root[.conf] {
            guard case .object(let members) = confNode.value else {
                throw SubmissionError(.invalidValue, field: "conf", line: confNode.line, column: confNode.column,
                                      message: "is \(confNode.kindName); it must be an object of Spark properties (spark.x: value)")
            }
            var values: [JSONValue.Member] = []
            for member in members {
                let path = SourcePath.child("conf", member.key)
                switch SchedulingFields.verdict(sparkConf: member.key) {
                case .keep:
                    values.append(JSONValue.Member(member.key, .string(try scalarText(member.node, field: path))))
                case .remove:
                    removed.append(path)
                case .refuse(let message):
                    throw SubmissionError(.refusedField, field: path, line: member.node.line, column: member.node.column, message: message)
                }
            }
            sparkConf = values
        }

        let driverNode = root[.driver]!
        try SubmissionParser.requireObject(driverNode, field: "driver")
        let driver = try resourceFields(driverNode, allowed: driverFields, field: "driver")
        let driverCores = try positiveInteger(driver[0], in: driverNode, key: "cores", field: "driver")
        let driverMemory = try memory(driver[1], in: driverNode, field: "driver")
        let executorNode = root[.executor]!
        try SubmissionParser.requireObject(executorNode, field: "executor")
        let executor = try resourceFields(executorNode, allowed: executorFields, field: "executor")
        let instances = try positiveInteger(executor[0], in: executorNode, key: "instances", field: "executor")
        let executorCores = try positiveInteger(executor[1], in: executorNode, key: "cores", field: "executor")
        let executorMemory = try memory(executor[2], in: executorNode, field: "executor")

        // The identity labels as a SparkApplication's are read; written here without positions (the spec's
        // fields were checked above, so what is left to refuse is the whole spec's).
        let known = labels
        let identity = try IdentityReader.check(field: "", line: root.line, column: root.column, label: { known[$0] },
                                                position: { _ in (nil, nil) }, valuesChecked: true)
        guard keepingFacts else { return nil }
        var labelList: [(String, String)] = []
        var labelMap: [String: String] = [:]
        for index in 0..<7 {
            guard let value = labels[index] else { continue }
            labelList.append((IdentityLabel.all[index], value))
            labelMap[IdentityLabel.all[index]] = value
        }
        let facts = IdentityReader.facts(labels: labelMap, checked: identity, name: name)
        return Checked(facts: facts, labels: labelList, name: name, image: image, main: main, mainClass: mainClass,
                       sparkVersion: sparkVersion, arguments: arguments, sparkConf: sparkConf, removed: removed,
                       driverCores: driverCores, driverMemory: driverMemory, instances: instances,
                       executorCores: executorCores, executorMemory: executorMemory)
    }

    /// The SparkApplication a checked spec stands for.
    static func build(_ checked: Checked, format: Submission.Format) -> Submission {
        let (facts, labels, name, image, main, mainClass) = (checked.facts, checked.labels, checked.name, checked.image, checked.main, checked.mainClass)
        let (sparkVersion, arguments, sparkConf, removed) = (checked.sparkVersion, checked.arguments, checked.sparkConf, checked.removed)
        let (driverCores, driverMemory, instances, executorCores, executorMemory) =
            (checked.driverCores, checked.driverMemory, checked.instances, checked.executorCores, checked.executorMemory)
        var spec: [JSONValue.Member] = [
            .init("type", .string(applicationType(main: main))),
            .init("mode", .string("cluster")),
            .init("image", .string(image)),
        ]
        if let mainClass { spec.append(.init("mainClass", .string(mainClass))) }
        spec.append(.init("mainApplicationFile", .string(main)))
        if let arguments { spec.append(.init("arguments", .array(arguments))) }
        spec.append(.init("sparkVersion", .string(sparkVersion ?? defaultSparkVersion)))
        if let sparkConf { spec.append(.init("sparkConf", .object(sparkConf))) }
        spec.append(.init("driver", .object([.init("cores", .integer(driverCores)), .init("memory", .string(driverMemory))])))
        spec.append(.init("executor", .object([.init("instances", .integer(instances)), .init("cores", .integer(executorCores)),
                                               .init("memory", .string(executorMemory))])))
        let manifest = JSONValue.object([
            .init("apiVersion", .string(SubmissionParser.apiVersion)),
            .init("kind", .string("SparkApplication")),
            .init("metadata", .object([
                .init("name", .string(name)),
                .init("labels", .object(labels.map { JSONValue.Member($0.0, .string($0.1)) })),
            ])),
            .init("spec", .object(spec)),
        ])
        return Submission(facts: facts, manifest: manifest, format: format, form: .compactSpec, removedFields: removed)
    }

    /// spark-operator's `type`: from the main file's extension (Scala covers JVM jars; Java runs the same).
    static func applicationType(main: String) -> String {
        let lower = main.lowercased()
        if lower.hasSuffix(".py") { return "Python" }
        if lower.hasSuffix(".r") { return "R" }
        return "Scala"
    }

    /// The fields a spec must have, in the order a refusal names them.
    private static let requiredFields: [(String, Fields.Field)] = [
        ("workflow", .workflow), ("project", .project), ("tier", .tier), ("name", .name), ("image", .image), ("main", .main),
        ("driver", .driver), ("executor", .executor),
    ]

    /// An identity field's label value: nil when absent, empty or null (not a label then).
    private static func identity(_ node: SourceNode?, field: String) throws(SubmissionError) -> String? {
        guard let node, node.string != "" else { return nil }
        if case .null = node.value { return nil }
        return try scalarText(node, field: field)
    }

    /// The spec's field for each identity label, in `IdentityLabel.all`'s order.
    private static let labelFields: [(String, Fields.Field)] = [
        ("workflow", .workflow), ("project", .project), ("tier", .tier), ("job", .job), ("run_id", .runID),
        ("scheduled_at", .scheduledAt), ("org", .org),
    ]

    private static func unknownField(_ member: (key: String, node: SourceNode), allowed: [String], field: String) -> SubmissionError {
        let path = SourcePath.child(field, member.key)
        let near = allowed.first { $0.lowercased() == member.key.lowercased().replacingDashes() }
        let hint = near.map { "did you mean \($0)? " } ?? ""
        return SubmissionError(.unknownField, field: path, line: member.node.line, column: member.node.column,
                               message: "is not a field of \(field.isEmpty ? "a SparkJob spec" : field); \(hint)use \(allowed.filter { $0 != "kind" }.joined(separator: ", "))")
    }

    /// Scalars as text: strings as they are, numbers and booleans written out (Spark properties and
    /// arguments are strings, and YAML types `10` or `true` without being asked).
    private static func scalarText(_ node: SourceNode, field: String) throws(SubmissionError) -> String {
        switch node.value {
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .double(let number): return "\(number)"
        case .bool(let flag): return flag ? "true" : "false"
        default:
            throw SubmissionError(.invalidValue, field: field, line: node.line, column: node.column,
                                  message: "is \(node.kindName); it must be a single value")
        }
    }

    private static func nonEmptyString(_ node: SourceNode, field: String) throws(SubmissionError) -> String {
        let text = try SubmissionParser.string(node, field: field)
        guard !text.isEmpty else {
            throw SubmissionError(.invalidValue, field: field, line: node.line, column: node.column, message: "is empty; give a value")
        }
        return text
    }

    /// The members of `driver` or `executor` (an object) by their place in `allowed` (at most three), the first of
    /// each key, in one pass; the first other key is refused.
    private static func resourceFields(_ node: SourceNode, allowed: [String], field: String) throws(SubmissionError) -> InlineArray<3, SourceNode?> {
        var found = InlineArray<3, SourceNode?>(repeating: nil)
        guard case .object(let members) = node.value else { return found }
        for member in members {
            guard let index = allowed.firstIndex(of: member.key) else {
                throw unknownField(member, allowed: allowed, field: field)
            }
            if found[index] == nil { found[index] = member.node }
        }
        return found
    }

    /// `node`, the `key` of `parent` (nil when it has none).
    private static func positiveInteger(_ node: SourceNode?, in parent: SourceNode, key: String, field: String) throws(SubmissionError) -> Int64 {
        func path() -> String { field + "." + key }
        guard let node else {
            throw SubmissionError(.missingField, field: path(), line: parent.line, column: parent.column, message: "missing; give a whole number of at least 1")
        }
        guard case .integer(let number) = node.value, number >= 1 else {
            throw SubmissionError(.invalidValue, field: path(), line: node.line, column: node.column,
                                  message: "\(shown(node)) is not a whole number of at least 1")
        }
        return number
    }

    /// Spark's JVM memory form (`512m`, `4g`): spark-operator hands it to spark.driver/executor.memory,
    /// which does not read Kubernetes quantities such as `4Gi`. `node` is `parent`'s `memory` (nil when it has none).
    private static func memory(_ node: SourceNode?, in parent: SourceNode, field: String) throws(SubmissionError) -> String {
        func path() -> String { field + ".memory" }
        guard let node else {
            throw SubmissionError(.missingField, field: path(), line: parent.line, column: parent.column, message: "missing; give Spark's form, e.g. 512m or 4g")
        }
        var text: String
        switch node.value {
        case .string(let value): text = value
        case .integer(let value): text = String(value)
        default:
            throw SubmissionError(.invalidValue, field: path(), line: node.line, column: node.column, message: "\(shown(node)) is not a memory size; use Spark's form, e.g. 512m or 4g")
        }
        let valid = text.withUTF8 { bytes in
            var end = bytes.count
            if end >= 2, bytes[end - 1] == 0x62 || bytes[end - 1] == 0x42 { end -= 1 }  // 4gb
            if end > 0, "kKmMgGtTpP".utf8.contains(bytes[end - 1]) { end -= 1 }
            let digits = bytes[..<end]
            return !digits.isEmpty && digits.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && digits.contains { $0 != 0x30 }
        }
        guard valid else {
            throw SubmissionError(.invalidValue, field: path(), line: node.line, column: node.column,
                                  message: "\"\(text)\" is not a memory size; use Spark's form, e.g. 512m or 4g (not 4Gi)")
        }
        return text
    }

    private static func shown(_ node: SourceNode) -> String {
        switch node.value {
        case .string(let text): return "\"\(text)\""
        case .integer(let number): return String(number)
        case .double(let number): return "\(number)"
        default: return node.kindName.prefix(1).uppercased() + node.kindName.dropFirst()
        }
    }
}

extension String {
    fileprivate func replacingDashes() -> String {
        String(map { $0 == "-" ? "_" : $0 })
    }
}
