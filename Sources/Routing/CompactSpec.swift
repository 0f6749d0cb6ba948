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
        try refuseUnknown(root, allowed: fields, field: "")
        var missing: [String] = []
        for key in ["workflow", "project", "tier", "name", "image", "main", "driver", "executor"] where root[key] == nil {
            missing.append(key)
        }
        if !missing.isEmpty {
            throw SubmissionError(missing.contains(where: { ["workflow", "project", "tier"].contains($0) }) ? .missingLabels : .missingField,
                                  field: "", line: root.line, column: root.column,
                                  message: "the SparkJob spec is missing \(missing.joined(separator: ", ")); add \(missing.count == 1 ? "it" : "them")")
        }

        // Identity: into labels, validated exactly as a SparkApplication's labels are.
        var labels: [(String, String)] = []
        func identity(_ key: String, _ label: String) throws(SubmissionError) {
            guard let node = root[key], node.string != "" else { return }
            if case .null = node.value { return }
            labels.append((label, try scalarText(node, field: key)))
        }
        try identity("workflow", IdentityLabel.workflow)
        try identity("project", IdentityLabel.project)
        if let tierNode = root["tier"] {
            let text = try scalarText(tierNode, field: "tier")
            guard let tier = Tier.parse(text) else {
                throw SubmissionError(.invalidValue, field: "tier", line: tierNode.line, column: tierNode.column,
                                      message: "\"\(text)\" is not a tier; use 1, 2 or 3")
            }
            labels.append((IdentityLabel.tier, String(tier)))
        }
        try identity("job", IdentityLabel.job)
        try identity("run_id", IdentityLabel.runID)
        if let node = root["scheduled_at"] {
            // Written to the label as epoch milliseconds: ISO 8601's ':' is not allowed in label values.
            let text = try scalarText(node, field: "scheduled_at")
            guard let millis = ScheduledAt.milliseconds(text) else {
                throw SubmissionError(.invalidValue, field: "scheduled_at", line: node.line, column: node.column,
                                      message: "\"\(text)\" is not a time; use ISO 8601 with a zone (2024-05-01T02:00:00Z) or epoch milliseconds")
            }
            labels.append((IdentityLabel.scheduledAt, String(millis)))
        }
        try identity("org", IdentityLabel.org)
        for (label, value) in labels {
            if let problem = LabelValue.problem(value) {
                let key = fieldName(forLabel: label)
                throw SubmissionError(.invalidValue, field: key, line: root[key]?.line, column: root[key]?.column,
                                      message: "\"\(value)\" \(problem) (it becomes the label \(label))")
            }
        }

        let nameNode = root["name"]!
        let name = try SubmissionParser.string(nameNode, field: "name")
        if let problem = ResourceName.problem(name, maximumLength: 63, allowDots: false) {
            throw SubmissionError(.invalidValue, field: "name", line: nameNode.line, column: nameNode.column, message: "\"\(name)\" \(problem)")
        }
        let image = try nonEmptyString(root["image"]!, field: "image")
        let main = try nonEmptyString(root["main"]!, field: "main")
        let mainClass = try root["main_class"].map { node throws(SubmissionError) in try nonEmptyString(node, field: "main_class") }
        let sparkVersion = try root["spark_version"].map { node throws(SubmissionError) in try scalarText(node, field: "spark_version") }

        var arguments: [JSONValue]?
        if let argsNode = root["args"] {
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
        if let confNode = root["conf"] {
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

        let driverNode = root["driver"]!
        try SubmissionParser.requireObject(driverNode, field: "driver")
        try refuseUnknown(driverNode, allowed: driverFields, field: "driver")
        let driverCores = try positiveInteger(driverNode, key: "cores", field: "driver")
        let driverMemory = try memory(driverNode, field: "driver")
        let executorNode = root["executor"]!
        try SubmissionParser.requireObject(executorNode, field: "executor")
        try refuseUnknown(executorNode, allowed: executorFields, field: "executor")
        let instances = try positiveInteger(executorNode, key: "instances", field: "executor")
        let executorCores = try positiveInteger(executorNode, key: "cores", field: "executor")
        let executorMemory = try memory(executorNode, field: "executor")

        var labelMap: [String: String] = [:]
        for (label, value) in labels { labelMap[label] = value }
        let labelsNode = SourceNode(value: .object(labels.map { ($0.0, SourceNode(value: .string($0.1), line: nil, column: nil)) }), line: root.line, column: root.column)
        var facts = try IdentityReader.facts(labels: labelMap, node: labelsNode, field: "", name: name)
        facts.labels = labelMap
        return Checked(facts: facts, labels: labels, name: name, image: image, main: main, mainClass: mainClass,
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

    private static func fieldName(forLabel label: String) -> String {
        switch label {
        case IdentityLabel.runID: return "run_id"
        case IdentityLabel.scheduledAt: return "scheduled_at"
        default: return String(label.dropFirst("bursar.dev/".count))
        }
    }

    private static func refuseUnknown(_ node: SourceNode, allowed: [String], field: String) throws(SubmissionError) {
        guard case .object(let members) = node.value else { return }
        for member in members where !allowed.contains(member.key) {
            let path = SourcePath.child(field, member.key)
            let near = allowed.first { $0.lowercased() == member.key.lowercased().replacingDashes() }
            let hint = near.map { "did you mean \($0)? " } ?? ""
            throw SubmissionError(.unknownField, field: path, line: member.node.line, column: member.node.column,
                                  message: "is not a field of \(field.isEmpty ? "a SparkJob spec" : field); \(hint)use \(allowed.filter { $0 != "kind" }.joined(separator: ", "))")
        }
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

    private static func positiveInteger(_ parent: SourceNode, key: String, field: String) throws(SubmissionError) -> Int64 {
        let path = field + "." + key
        guard let node = parent[key] else {
            throw SubmissionError(.missingField, field: path, line: parent.line, column: parent.column, message: "missing; give a whole number of at least 1")
        }
        guard case .integer(let number) = node.value, number >= 1 else {
            throw SubmissionError(.invalidValue, field: path, line: node.line, column: node.column,
                                  message: "\(shown(node)) is not a whole number of at least 1")
        }
        return number
    }

    /// Spark's JVM memory form (`512m`, `4g`): spark-operator hands it to spark.driver/executor.memory,
    /// which does not read Kubernetes quantities such as `4Gi`.
    private static func memory(_ parent: SourceNode, field: String) throws(SubmissionError) -> String {
        let path = field + ".memory"
        guard let node = parent["memory"] else {
            throw SubmissionError(.missingField, field: path, line: parent.line, column: parent.column, message: "missing; give Spark's form, e.g. 512m or 4g")
        }
        let text: String
        switch node.value {
        case .string(let value): text = value
        case .integer(let value): text = String(value)
        default:
            throw SubmissionError(.invalidValue, field: path, line: node.line, column: node.column, message: "\(shown(node)) is not a memory size; use Spark's form, e.g. 512m or 4g")
        }
        var bytes = Array(text.utf8)
        if let last = bytes.last, last == 0x62 || last == 0x42, bytes.count >= 2 { bytes.removeLast() }  // 4gb
        if let last = bytes.last, "kKmMgGtTpP".utf8.contains(last) { bytes.removeLast() }
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), bytes.contains(where: { $0 != 0x30 }) else {
            throw SubmissionError(.invalidValue, field: path, line: node.line, column: node.column,
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
