import Testing
@testable import Routing
import SourceDocuments

/// Every input form, and every way a body can be wrong, with the field and line the error names.
struct SubmissionParserTests {
    struct Form: Sendable, CustomTestStringConvertible {
        let label: String
        let body: String
        let contentType: String?
        let format: Submission.Format
        let form: Submission.Form
        let expected: SubmissionFacts
        var testDescription: String { label }
    }

    static let forms: [Form] = [
        Form(label: "SparkApplication YAML", body: Fixtures.crdYAML, contentType: "application/yaml", format: .yaml, form: .sparkApplication,
             expected: SubmissionFacts(project: "fraud", tier: 1, workflow: "etl-daily", job: "load", runID: "run-42",
                                       scheduledAt: 1_714_528_800_000, name: "etl-daily-load",
                                       labels: ["bursar.dev/workflow": "etl-daily", "bursar.dev/project": "fraud", "bursar.dev/tier": "1",
                                                "bursar.dev/job": "load", "bursar.dev/run-id": "run-42",
                                                "bursar.dev/scheduled-at": "1714528800000", "team-lane": "standard"])),
        Form(label: "SparkApplication JSON, format from the first byte", body: Fixtures.crdJSON, contentType: nil, format: .json,
             form: .sparkApplication,
             expected: SubmissionFacts(project: "fraud", tier: 1, workflow: "etl-daily", scheduledAt: 1_714_528_800_000, name: "etl-daily-load",
                                       labels: ["bursar.dev/workflow": "etl-daily", "bursar.dev/project": "fraud", "bursar.dev/tier": "tier1",
                                                "bursar.dev/scheduled-at": "20240501T020000Z"])),
        Form(label: "compact spec YAML", body: Fixtures.compactYAML, contentType: nil, format: .yaml, form: .compactSpec,
             expected: SubmissionFacts(project: "fraud", tier: 2, workflow: "etl-daily", job: "load", runID: "42",
                                       scheduledAt: 1_714_528_800_000, name: "etl-daily-load",
                                       labels: ["bursar.dev/workflow": "etl-daily", "bursar.dev/project": "fraud", "bursar.dev/tier": "2",
                                                "bursar.dev/job": "load", "bursar.dev/run-id": "42", "bursar.dev/scheduled-at": "1714528800000"])),
        Form(label: "compact spec JSON", body: Fixtures.compactJSON, contentType: "application/json; charset=utf-8", format: .json,
             form: .compactSpec,
             expected: SubmissionFacts(project: "risk-models", tier: 3, workflow: "score-hourly", name: "score-hourly",
                                       labels: ["bursar.dev/workflow": "score-hourly", "bursar.dev/project": "risk-models", "bursar.dev/tier": "3"])),
    ]

    @Test("each input form gives its facts", arguments: forms)
    func parses(_ form: Form) throws {
        let submission = try SubmissionParser.parse(Fixtures.bytes(form.body), contentType: form.contentType)
        #expect(submission.facts == form.expected)
        #expect(submission.format == form.format)
        #expect(submission.form == form.form)
        #expect(submission.manifest["apiVersion"] == .string("sparkoperator.k8s.io/v1beta2"))
        #expect(submission.manifest["kind"] == .string("SparkApplication"))
    }

    @Test("a SparkApplication keeps the user's key order and values")
    func keepsOrder() throws {
        let submission = try SubmissionParser.parse(Fixtures.bytes(Fixtures.crdYAML), contentType: nil)
        #expect(submission.manifest.keys == ["apiVersion", "kind", "metadata", "spec"])
        #expect(submission.manifest["spec"]?.keys == ["type", "mode", "image", "mainClass", "mainApplicationFile", "arguments",
                                                     "sparkVersion", "sparkConf", "restartPolicy", "driver", "executor"])
        #expect(submission.manifest[path: ["spec", "driver", "cores"]] == .integer(1))
        #expect(submission.manifest[path: ["spec", "sparkVersion"]] == .string("3.5.1"))
        #expect(submission.manifest[path: ["spec", "driver", "labels", "version"]] == .string("3.5.1"))
        #expect(submission.manifest[path: ["spec", "arguments"]] == .array([.string("--date"), .string("2024-05-01"), .string("--retries"), .string("3")]))
    }

    @Test("the compact spec expands into a full SparkApplication")
    func expandsCompact() throws {
        let submission = try SubmissionParser.parse(Fixtures.bytes(Fixtures.compactYAML), contentType: nil)
        let expected = JSONValue.object([
            .init("apiVersion", .string("sparkoperator.k8s.io/v1beta2")),
            .init("kind", .string("SparkApplication")),
            .init("metadata", .object([
                .init("name", .string("etl-daily-load")),
                .init("labels", .object([
                    .init("bursar.dev/workflow", .string("etl-daily")), .init("bursar.dev/project", .string("fraud")),
                    .init("bursar.dev/tier", .string("2")), .init("bursar.dev/job", .string("load")),
                    .init("bursar.dev/run-id", .string("42")), .init("bursar.dev/scheduled-at", .string("1714528800000")),
                ])),
            ])),
            .init("spec", .object([
                .init("type", .string("Scala")), .init("mode", .string("cluster")),
                .init("image", .string("registry.example/spark:3.5.1")), .init("mainClass", .string("com.example.EtlDaily")),
                .init("mainApplicationFile", .string("local:///opt/jobs/etl.jar")),
                .init("arguments", .array([.string("--date"), .string("2024-05-01"), .string("3")])),
                .init("sparkVersion", .string(CompactSpec.defaultSparkVersion)),
                .init("sparkConf", .object([.init("spark.dynamicAllocation.enabled", .string("true")),
                                            .init("spark.sql.shuffle.partitions", .string("400"))])),
                .init("driver", .object([.init("cores", .integer(1)), .init("memory", .string("2g"))])),
                .init("executor", .object([.init("instances", .integer(4)), .init("cores", .integer(2)), .init("memory", .string("4g"))])),
            ])),
        ])
        #expect(submission.manifest == expected)
        let python = try SubmissionParser.parse(Fixtures.bytes(Fixtures.compactJSON), contentType: nil)
        #expect(python.manifest[path: ["spec", "type"]] == .string("Python"))
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let label: String
        let body: String
        var contentType: String? = nil
        let kind: SubmissionError.Kind
        let field: String
        var line: Int? = nil
        /// A phrase the message must hold (what to do), not the whole wording.
        let says: String
        var testDescription: String { label }
    }

    static let crdHead = "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\n"

    static let bad: [Bad] = [
        Bad(label: "empty body", body: "  \n\t ", kind: .emptyBody, field: "", says: "empty"),
        Bad(label: "only a YAML comment", body: "# nothing\n", kind: .emptyBody, field: "", says: "no document"),
        Bad(label: "bad YAML with its line", body: crdHead + "metadata:\n  name: x\n   labels: [\n", kind: .syntax, field: "", line: 5,
            says: "YAML syntax error"),
        Bad(label: "tab-indented YAML", body: crdHead + "metadata:\n\tname: x\n", kind: .syntax, field: "", line: 4, says: "indentation"),
        Bad(label: "bad JSON with its line", body: "{\n  \"kind\": \"SparkApplication\",\n  \"metadata\": {\"name\": \"x\",}\n}",
            kind: .syntax, field: "metadata", line: 3, says: "expected a key in double quotes"),
        Bad(label: "JSON with a trailing value", body: "{\"a\": 1} {}", kind: .syntax, field: "", line: 1, says: "exactly one object"),
        Bad(label: "JSON unterminated string", body: "{\"kind\": \"Spark\n}", kind: .syntax, field: "kind", line: 1, says: "past the end of the line"),
        Bad(label: "JSON duplicate key", body: "{\"kind\": \"SparkJob\",\n \"kind\": \"SparkJob\"}", kind: .syntax, field: "kind", line: 2,
            says: "given twice"),
        Bad(label: "YAML duplicate key", body: crdHead + "metadata:\n  name: a\n  name: b\n", kind: .syntax, field: "", line: 5,
            says: "given twice (first at line 4)"),
        Bad(label: "JSON content type with YAML body", body: crdHead, contentType: "application/json", kind: .syntax, field: "", line: 1,
            says: "JSON syntax error"),
        Bad(label: "a list, not an object", body: "- a\n- b\n", kind: .notAnObject, field: "", line: 1, says: "is a list, not an object"),
        Bad(label: "a JSON string, not an object", body: "\"hello\"", contentType: "application/json", kind: .notAnObject, field: "", says: "a string"),
        Bad(label: "wrong kind", body: "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", kind: .unsupportedKind, field: "kind", line: 2,
            says: "\"Pod\" is not supported; send kind: SparkApplication"),
        Bad(label: "kind missing beside apiVersion", body: "apiVersion: sparkoperator.k8s.io/v1beta2\nmetadata: {name: x}\n",
            kind: .missingField, field: "kind", says: "missing"),
        Bad(label: "old apiVersion", body: "apiVersion: sparkoperator.k8s.io/v1beta1\nkind: SparkApplication\n", kind: .unsupportedKind,
            field: "apiVersion", line: 1, says: "apiVersion sparkoperator.k8s.io/v1beta2"),
        Bad(label: "no metadata", body: crdHead + "spec: {}\n", kind: .missingField, field: "metadata", says: "labels"),
        Bad(label: "no labels at all", body: crdHead + "metadata:\n  name: x\nspec: {}\n", kind: .missingLabels, field: "metadata.labels",
            says: "bursar.dev/workflow, bursar.dev/project, bursar.dev/tier"),
        Bad(label: "missing labels are listed", body: crdHead + "metadata:\n  name: x\n  labels:\n    bursar.dev/project: fraud\nspec: {}\n",
            kind: .missingLabels, field: "metadata.labels", line: 6, says: "missing bursar.dev/workflow, bursar.dev/tier; add them"),
        Bad(label: "tier 4", body: labelled(tier: "\"4\""), kind: .invalidValue, field: "metadata.labels[\"bursar.dev/tier\"]", line: 8,
            says: "\"4\" is not a tier; use 1, 2 or 3"),
        Bad(label: "tier x", body: labelled(tier: "x"), kind: .invalidValue, field: "metadata.labels[\"bursar.dev/tier\"]", line: 8,
            says: "\"x\" is not a tier; use 1, 2 or 3"),
        Bad(label: "unquoted tier is a number", body: labelled(tier: "1"), kind: .invalidValue, field: "metadata.labels[\"bursar.dev/tier\"]",
            line: 8, says: "quote it: \"1\""),
        Bad(label: "label value with a space", body: labelled(tier: "\"1\"", workflow: "etl daily"), kind: .invalidValue,
            field: "metadata.labels[\"bursar.dev/workflow\"]", line: 6, says: "label values use only letters"),
        Bad(label: "scheduled-at with colons", body: labelled(tier: "\"1\"", extra: "    bursar.dev/scheduled-at: \"2024-05-01T02:00:00Z\"\n"),
            kind: .invalidValue, field: "metadata.labels[\"bursar.dev/scheduled-at\"]", line: 9, says: "basic form 20240501T020000Z"),
        Bad(label: "scheduled-at not a time", body: labelled(tier: "\"1\"", extra: "    bursar.dev/scheduled-at: tomorrow\n"),
            kind: .invalidValue, field: "metadata.labels[\"bursar.dev/scheduled-at\"]", line: 9, says: "is not a time"),
        Bad(label: "labels not an object", body: crdHead + "metadata:\n  name: x\n  labels: [a]\n", kind: .invalidValue,
            field: "metadata.labels", line: 5, says: "must be an object"),
        Bad(label: "bad name", body: crdHead + "metadata:\n  name: ETL_Daily\n", kind: .invalidValue, field: "metadata.name", line: 4,
            says: "lower-case letters"),
        Bad(label: "no spec", body: labelled(tier: "\"1\"", spec: ""), kind: .missingField, field: "spec", says: "needs a spec"),
        Bad(label: "driver labels not an object", body: labelled(tier: "\"1\"", spec: "spec:\n  driver:\n    labels: 3\n"), kind: .invalidValue,
            field: "spec.driver.labels", line: 11, says: "object of string values"),
        Bad(label: "compact: unknown field", body: "kind: SparkJob\nworkflow: w\nproject: p\ntier: 1\nname: n\nimage: i\nmain: m\n"
            + "driver: {cores: 1, memory: 1g}\nexecutor: {instances: 1, cores: 1, memory: 1g}\nmain-class: X\n",
            kind: .unknownField, field: "main-class", line: 10, says: "did you mean main_class?"),
        Bad(label: "compact: missing fields listed", body: "{\"workflow\": \"w\", \"name\": \"n\"}", kind: .missingLabels, field: "",
            says: "missing project, tier, image, main, driver, executor"),
        Bad(label: "compact: tier 4", body: compact(tier: "4"), kind: .invalidValue, field: "tier", line: 4, says: "\"4\" is not a tier"),
        Bad(label: "compact: k8s memory", body: compact(tier: "1", executorMemory: "4Gi"), kind: .invalidValue, field: "executor.memory",
            line: 9, says: "not 4Gi"),
        Bad(label: "compact: zero executors", body: compact(tier: "1", instances: "0"), kind: .invalidValue, field: "executor.instances",
            line: 9, says: "at least 1"),
        Bad(label: "compact: upper-case name", body: compact(tier: "1", name: "Etl"), kind: .invalidValue, field: "name", line: 5,
            says: "lower-case"),
        Bad(label: "compact: ISO time without a zone", body: compact(tier: "1") + "scheduled_at: \"2024-05-01T02:00:00\"\n", kind: .invalidValue,
            field: "scheduled_at", line: 10, says: "with a zone"),
        Bad(label: "compact: args not a list", body: compact(tier: "1") + "args: --x\n", kind: .invalidValue, field: "args", line: 10,
            says: "list of arguments"),
    ]

    static func labelled(tier: String, workflow: String = "etl-daily", extra: String = "", spec: String = "spec: {}\n") -> String {
        crdHead + "metadata:\n  name: x\n  labels:\n    bursar.dev/workflow: \(workflow)\n    bursar.dev/project: fraud\n"
            + "    bursar.dev/tier: \(tier)\n" + extra + spec
    }

    static func compact(tier: String, name: String = "etl", executorMemory: String = "4g", instances: String = "2") -> String {
        "kind: SparkJob\nworkflow: w\nproject: p\ntier: \(tier)\nname: \(name)\nimage: i\nmain: m.jar\ndriver: {cores: 1, memory: 1g}\n"
            + "executor: {instances: \(instances), cores: 1, memory: \(executorMemory)}\n"
    }

    @Test("bad input is refused with its field, line and what to do", arguments: bad)
    func refuses(_ bad: Bad) {
        do {
            let submission = try SubmissionParser.parse(Fixtures.bytes(bad.body), contentType: bad.contentType)
            Issue.record("accepted: \(submission.facts)")
        } catch {
            #expect(error.kind == bad.kind, "\(error)")
            #expect(error.field == bad.field, "\(error)")
            if let line = bad.line { #expect(error.line == line, "\(error)") }
            #expect(error.message.contains(bad.says), "\(error)")
            #expect(!error.description.isEmpty)
        }
    }

    @Test("check(document:) gives parse's verdict without writing the manifest", arguments: bad)
    func checkAgreesWithParse(_ bad: Bad) throws {
        guard let text = String(validating: Fixtures.bytes(bad.body), as: UTF8.self),
              let root = try? YAMLSource.parse(text) else { return }
        let parsed: SubmissionError?
        do { _ = try SubmissionParser.parse(document: root, format: .yaml); parsed = nil } catch { parsed = error }
        #expect(SubmissionParser.check(document: root) == parsed, "\(bad.label)")
        #expect(SubmissionParser.check(document: try #require(try YAMLSource.parse(Self.compact(tier: "2")))) == nil)
    }

    @Test("the error text puts position, field and message together")
    func errorDescription() {
        let error = SubmissionError(.invalidValue, field: "metadata.labels[\"bursar.dev/tier\"]", line: 8, column: 21,
                                    message: "\"4\" is not a tier; use 1, 2 or 3")
        #expect(error.description == "line 8, column 21: metadata.labels[\"bursar.dev/tier\"]: \"4\" is not a tier; use 1, 2 or 3")
    }

    @Test("non-UTF-8 YAML is refused")
    func notUTF8() {
        #expect(throws: SubmissionError.self) {
            try SubmissionParser.parse([0x6B, 0x3A, 0x20, 0xFF, 0xFE], contentType: "application/yaml")
        }
    }

    @Test("timestamps: epoch ms and ISO 8601 forms", arguments: [
        ("1714528800000", Int64?.some(1_714_528_800_000)),
        ("2024-05-01T02:00:00Z", 1_714_528_800_000),
        ("20240501T020000Z", 1_714_528_800_000),
        ("2024-05-01T04:00:00+02:00", 1_714_528_800_000),
        ("2024-05-01T02:00:00.250Z", 1_714_528_800_250),
        ("2024-02-29T00:00:00Z", 1_709_164_800_000),
        ("1970-01-01T00:00:00Z", 0),
        ("2023-02-29T00:00:00Z", nil),
        ("2024-05-01T02:00:00", nil),
        ("2024-05-01", nil),
        ("soon", nil),
    ])
    func timestamps(_ text: String, _ expected: Int64?) {
        #expect(ScheduledAt.milliseconds(text) == expected)
    }
}
