import Testing
@testable import Routing
import SourceDocuments

/// `SubmissionParser.check(document:appending:)` (what `pipelines validate` asks of every Spark job, without
/// building the document) against the router's own reading of the document it stands for: the same verdict,
/// field, kind, line and column for valid specs and for every way one can be refused.
struct AppendedIdentityTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        /// The spec as a workflow author writes it.
        let spec: String
        /// The identity the scheduler appends, as (key, value) members placed at the spec.
        var identity: [(String, SourceNode.Value)] = AppendedIdentityTests.identity
        /// The refusal's field; nil when the router takes the spec.
        let field: String?
        var kind: SubmissionError.Kind?
        var testDescription: String { label }
    }

    static let identity: [(String, SourceNode.Value)] = [
        ("workflow", .string("wf")), ("project", .string("proj")), ("tier", .integer(1)), ("job", .string("extract")),
        ("run_id", .string("validate")), ("scheduled_at", .string("1793516400000")), ("name", .string("extract")),
    ]
    static let resources = "driver: {cores: 1, memory: 2g}, executor: {instances: 2, cores: 2, memory: 4g}"
    static let valid = "{image: \"registry/spark:3.5.1\", main: \"local:///a.py\", \(resources)}"

    static func replacing(_ key: String, with value: SourceNode.Value) -> [(String, SourceNode.Value)] {
        identity.map { $0.0 == key ? (key, value) : $0 }
    }

    static let cases: [Case] = [
        Case(label: "valid", spec: valid, field: nil),
        Case(label: "valid, block style", spec: "image: i\nmain: local:///a.py\ndriver:\n  cores: 1\n  memory: 2g\nexecutor:\n  instances: 1\n  cores: 1\n  memory: 512m\n", field: nil),
        Case(label: "valid with every optional field", spec: "{image: i, main: m.jar, main_class: a.B, args: [a, 1, true], spark_version: 3.4.0, conf: {spark.sql.x: 200}, org: o, kind: SparkJob, \(resources)}", field: nil),
        Case(label: "an ISO scheduled_at of the spec's own wins", spec: "{scheduled_at: \"2024-05-01T02:00:00Z\", image: i, main: m, \(resources)}", field: nil),
        Case(label: "the spec's own project wins", spec: "{project: other, image: i, main: m, \(resources)}", field: nil),
        Case(label: "unknown key", spec: "{image: i, imagee: j, main: m, \(resources)}", field: "imagee", kind: .unknownField),
        Case(label: "near miss", spec: "{Image: i, main: m, \(resources)}", field: "Image", kind: .unknownField),
        Case(label: "unknown key with dots", spec: "{image: i, main: m, spark.x: 1, \(resources)}", field: "[\"spark.x\"]", kind: .unknownField),
        Case(label: "missing image", spec: "{main: m, \(resources)}", field: "", kind: .missingField),
        Case(label: "missing everything", spec: "{}", field: "", kind: .missingField),
        Case(label: "main a number", spec: "{image: i, main: 3, \(resources)}", field: "main", kind: .invalidValue),
        Case(label: "main empty", spec: "{image: i, main: \"\", \(resources)}", field: "main", kind: .invalidValue),
        Case(label: "image a list", spec: "{image: [i], main: m, \(resources)}", field: "image", kind: .invalidValue),
        Case(label: "main_class empty", spec: "{image: i, main: m, main_class: \"\", \(resources)}", field: "main_class", kind: .invalidValue),
        Case(label: "spark_version a list", spec: "{image: i, main: m, spark_version: [a], \(resources)}", field: "spark_version", kind: .invalidValue),
        Case(label: "args a string", spec: "{image: i, main: m, args: x, \(resources)}", field: "args", kind: .invalidValue),
        Case(label: "args holding an object", spec: "{image: i, main: m, args: [a, {b: 1}], \(resources)}", field: "args[1]", kind: .invalidValue),
        Case(label: "conf a list", spec: "{image: i, main: m, conf: [a], \(resources)}", field: "conf", kind: .invalidValue),
        Case(label: "driver a number", spec: "{image: i, main: m, driver: 3, executor: {instances: 1, cores: 1, memory: 1g}}", field: "driver", kind: .invalidValue),
        Case(label: "driver cores 0", spec: "{image: i, main: m, driver: {cores: 0, memory: 2g}, executor: {instances: 1, cores: 1, memory: 1g}}", field: "driver.cores", kind: .invalidValue),
        Case(label: "driver cores missing", spec: "{image: i, main: m, driver: {memory: 2g}, executor: {instances: 1, cores: 1, memory: 1g}}", field: "driver.cores", kind: .missingField),
        Case(label: "driver memory a quantity", spec: "{image: i, main: m, driver: {cores: 1, memory: 4Gi}, executor: {instances: 1, cores: 1, memory: 1g}}", field: "driver.memory", kind: .invalidValue),
        Case(label: "driver memory 0", spec: "{image: i, main: m, driver: {cores: 1, memory: 0g}, executor: {instances: 1, cores: 1, memory: 1g}}", field: "driver.memory", kind: .invalidValue),
        Case(label: "driver memory a boolean", spec: "{image: i, main: m, driver: {cores: 1, memory: yes}, executor: {instances: 1, cores: 1, memory: 1g}}", field: "driver.memory", kind: .invalidValue),
        Case(label: "driver unknown field", spec: "{image: i, main: m, driver: {cores: 1, memory: 2g, gpu: 1}, executor: {instances: 1, cores: 1, memory: 1g}}", field: "driver.gpu", kind: .unknownField),
        Case(label: "driver unknown field before a bad one", spec: "{image: i, main: m, driver: {cores: 0, gpu: 1}, executor: {instances: 1, cores: 1, memory: 1g}}", field: "driver.gpu", kind: .unknownField),
        Case(label: "executor instances missing", spec: "{image: i, main: m, driver: {cores: 1, memory: 2g}, executor: {cores: 1, memory: 1g}}", field: "executor.instances", kind: .missingField),
        Case(label: "executor memory missing", spec: "{image: i, main: m, driver: {cores: 1, memory: 2g}, executor: {instances: 1, cores: 1}}", field: "executor.memory", kind: .missingField),
        Case(label: "executor memory 4gb", spec: "{image: i, main: m, driver: {cores: 1, memory: 2g}, executor: {instances: 1, cores: 1, memory: 4gb}}", field: nil),
        Case(label: "the spec's own tier wins", spec: "{tier: x, image: i, main: m, \(resources)}", field: "tier", kind: .invalidValue),
        Case(label: "the spec's own project is no label value", spec: "{project: \"a b\", image: i, main: m, \(resources)}", field: "project", kind: .invalidValue),
        Case(label: "the spec's own workflow is empty", spec: "{workflow: \"\", image: i, main: m, \(resources)}", field: "", kind: .missingLabels),
        Case(label: "the spec's own run_id is no label value", spec: "{run_id: \"a b\", image: i, main: m, \(resources)}", field: "run_id", kind: .invalidValue),
        Case(label: "the spec's own name is no resource name", spec: "{name: Bad_Name, image: i, main: m, \(resources)}", field: "name", kind: .invalidValue),
        Case(label: "kind SparkApplication is read as one", spec: "{kind: SparkApplication, image: i, main: m, \(resources)}", field: "apiVersion", kind: .missingField),
        Case(label: "an apiVersion without kind", spec: "{apiVersion: x, image: i, main: m, \(resources)}", field: "kind", kind: .missingField),
        Case(label: "another kind", spec: "{kind: Other, image: i, main: m, \(resources)}", field: "kind", kind: .unsupportedKind),
        Case(label: "a list, not a mapping", spec: "[a, b]", field: "", kind: .missingField),
        Case(label: "a scalar, not a mapping", spec: "x", field: "", kind: .missingField),
        Case(label: "identity: project no label value", spec: valid, identity: replacing("project", with: .string("a b")), field: "project", kind: .invalidValue),
        Case(label: "identity: workflow empty", spec: valid, identity: replacing("workflow", with: .string("")), field: "", kind: .missingLabels),
        Case(label: "identity: tier 0", spec: valid, identity: replacing("tier", with: .integer(0)), field: "tier", kind: .invalidValue),
        Case(label: "identity: scheduled_at no time", spec: valid, identity: replacing("scheduled_at", with: .string("soon")), field: "scheduled_at", kind: .invalidValue),
        Case(label: "identity: job no label value", spec: valid, identity: replacing("job", with: .string("x y")), field: "job", kind: .invalidValue),
        Case(label: "identity: name too long", spec: valid, identity: replacing("name", with: .string(String(repeating: "a", count: 70))), field: "name", kind: .invalidValue),
        Case(label: "identity: none", spec: valid, identity: [], field: "", kind: .missingLabels),
        Case(label: "a kind among the appended fields", spec: valid, identity: identity + [("kind", .string("SparkApplication"))], field: "apiVersion", kind: .missingField),
    ]

    @Test("the appended identity is checked as the document", arguments: cases)
    func agreesWithTheDocument(_ example: Case) throws {
        let root = try #require(try YAMLSource.parse(example.spec))
        let extra = example.identity.map { (key: $0.0, node: SourceNode(value: $0.1, line: root.line, column: root.column)) }
        var document = root
        document.value = .object((root.members ?? []) + extra)
        let whole = SubmissionParser.check(document: document)
        #expect(SubmissionParser.check(document: root, appending: extra) == whole)
        // The router's own reading of the body refuses (or takes) it the same way.
        var parsed: SubmissionError?
        do { _ = try SubmissionParser.parse(document: document, format: .yaml) } catch { parsed = error }
        #expect(parsed == whole)
        #expect(whole?.field == example.field, "\(String(describing: whole))")
        if let kind = example.kind { #expect(whole?.kind == kind, "\(String(describing: whole))") }
        if let whole, whole.field.isEmpty || example.label.hasPrefix("identity:") {
            // Refusals of the whole spec, or of a field the scheduler added, are placed at the spec.
            #expect(whole.line == root.line && whole.column == root.column, "\(whole)")
        }
    }

    @Test("a refusal inside the spec names its line and column")
    func positions() throws {
        let spec = "image: i\nmain: m\ndriver:\n  cores: 1\n  memory: 4Gi\nexecutor: {instances: 1, cores: 1, memory: 1g}\n"
        let root = try #require(try YAMLSource.parse(spec))
        let extra = Self.identity.map { (key: $0.0, node: SourceNode(value: $0.1, line: root.line, column: root.column)) }
        let refusal = try #require(SubmissionParser.check(document: root, appending: extra))
        #expect(refusal.field == "driver.memory" && refusal.line == 5 && refusal.column == 11, "\(refusal)")
    }
}
