import Testing
@testable import QueueConfig
import SourceDocuments

/// Documents from outside are bounded before they are read: size, nesting, alias references and what
/// aliases expand to (the "billion laughs"). Tests compare limits and positions, not wording.
struct DocumentLimitsTests {
    /// The billion-laughs document of issue #13: `levels` lines, each aliasing the one before ten
    /// times; 421 bytes at 8 levels, expanding to 10⁸ scalars.
    static func billionLaughs(levels: Int = 8, indent: String = "") -> String {
        var lines = [indent + "x0: &a0 \"xxxxxxxxxx\""]
        for level in 1...max(levels, 1) {
            lines.append(indent + "x\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ",") + "]")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func flowNesting(_ levels: Int) -> String {
        String(repeating: "[", count: levels) + String(repeating: "]", count: levels) + "\n"
    }

    static func blockNesting(_ levels: Int) -> String {
        (0..<levels).map { String(repeating: "  ", count: $0) + "k\($0):" }.joined(separator: "\n") + " v\n"
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var limits: DocumentLimits = .queueConfig
        /// The limit passed, or nil when the document is within every limit.
        var limit: DocumentLimitError.Limit?
        var line: Int? = nil
        var testDescription: String { name }
    }

    static let small = DocumentLimits(maxBytes: 1000, maxDepth: 5, maxAliases: 3, maxAliasNodes: 50, maxExpansionRatio: 10)

    static let cases: [Case] = [
        Case(name: "billion laughs", text: billionLaughs(), limit: .expansion, line: 6),
        Case(name: "billion laughs as a submission", text: billionLaughs(), limits: .submission, limit: .expansion, line: 5),
        Case(name: "a few laughs are fine", text: billionLaughs(levels: 2), limit: nil),
        Case(name: "aliases counted", text: "a: &a 1\nb: [*a, *a, *a]\nc: *a\n", limits: small, limit: .aliases, line: 3),
        Case(name: "aliases within the count", text: "a: &a 1\nb: [*a, *a, *a]\n", limits: small, limit: nil),
        Case(name: "expanded nodes counted", text: "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]\nb: [*a, *a, *a]\n",
             limits: small, limit: .expansion, line: 2),
        Case(name: "a large scalar aliased", text: "a: &a \"" + String(repeating: "x", count: 40_000) + "\"\nb: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n",
             limit: .expansion, line: 2),
        Case(name: "flow nesting over", text: flowNesting(101), limit: .depth, line: 1),
        Case(name: "flow nesting at the limit", text: flowNesting(100), limit: nil),
        Case(name: "block nesting over", text: blockNesting(6), limits: small, limit: .depth, line: 6),
        Case(name: "block nesting at the limit", text: blockNesting(5), limits: small, limit: nil),
        Case(name: "size over", text: String(repeating: "# comment\n", count: 101), limits: small, limit: .size),
        Case(name: "a syntax error is not a limit", text: "a: [1, 2\nb: *nowhere\n", limit: nil),
        Case(name: "empty", text: "", limit: nil),
        Case(name: "only the first document counts", text: "a: 1\n---\n" + flowNesting(101), limit: nil),
    ]

    @Test(arguments: cases)
    func limits(_ item: Case) {
        do {
            try item.limits.check(item.text)
            #expect(item.limit == nil, "within every limit, expected \(String(describing: item.limit))")
        } catch {
            #expect(error.limit == item.limit, "\(error)")
            #expect(error.line == item.line, "\(error)")
            if item.line != nil { #expect(error.column != nil) }
            #expect(error.message.contains("limit"), "names the limit: \(error.message)")
        }
    }

    @Test func errorsNameFileLineAndColumn() {
        #expect(throws: DocumentLimitError.self) { try DocumentLimits.queueConfig.check(Self.billionLaughs()) }
        do {
            try DocumentLimits.queueConfig.check(Self.billionLaughs())
        } catch {
            #expect(error.description(file: "b.yaml").hasPrefix("b.yaml:6:"), "\(error.description(file: "b.yaml"))")
        }
    }

    // MARK: The validator

    struct ValidatorCase: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var line: Int
        var testDescription: String { name }
    }

    static let validatorCases: [ValidatorCase] = [
        ValidatorCase(name: "billion laughs", text: billionLaughs(), line: 6),
        ValidatorCase(name: "billion laughs inside partitions",
                      text: "partitions:\n  - name: default\n    queues:\n      - name: root\n        properties:\n" + billionLaughs(indent: "          "),
                      line: 11),
        // Block nesting the fast reader would read: it stops at the limit and the check words it.
        ValidatorCase(name: "deep block nesting", text: blockNesting(120), line: 101),
        ValidatorCase(name: "deep flow nesting", text: "partitions: " + flowNesting(600), line: 1),
    ]

    @Test(arguments: validatorCases)
    func validatorRefusesWithTheLimit(_ item: ValidatorCase) {
        let result = Validator.validate(text: item.text)
        #expect(!result.isValid)
        #expect(result.problems.map(\.kind) == [.documentLimit])
        #expect(result.problems.first?.location?.line == item.line, "\(result.problems)")
        #expect(result.yunikornError?.hasPrefix("yaml: line \(item.line): ") == true, "\(result.yunikornError ?? "")")
    }

    @Test func validatorRefusesAnOversizedDocument() {
        let limits = DocumentLimits(maxBytes: 100, maxDepth: 100, maxAliases: 10, maxAliasNodes: 10, maxExpansionRatio: 10)
        let text = "partitions:\n  - name: default\n    queues:\n      - name: root\n" + String(repeating: "# padding\n", count: 20)
        let decoded = StrictDecoder.decode(text, limits: limits)
        #expect(decoded.config == nil)
        #expect(decoded.problems.map(\.kind) == [.documentLimit])
        #expect(decoded.problems.first?.location == nil)
    }

    @Test func fixtureShapedDocumentsWithAnchorsStillValidate() {
        let text = """
            partitions:
              - name: default
                queues:
                  - name: root
                    queues:
                      - name: a
                        resources: &standard {max: {memory: 16Gi, vcore: 8}}
                      - name: b
                        resources: *standard
            """
        #expect(Validator.validate(text: text).isValid)
    }

    @Test func blockReaderStopsAtTheDepthLimit() {
        #expect(BlockYAMLReader.read(Self.blockNesting(5), maxDepth: 5) != nil)
        #expect(BlockYAMLReader.read(Self.blockNesting(6), maxDepth: 5) == nil)
        #expect(BlockYAMLReader.read("a: " + Self.flowNesting(6), maxDepth: 5) == nil)
        // A hostile one-line nesting does not recurse past the limit.
        #expect(BlockYAMLReader.read("a: " + Self.flowNesting(200_000)) == nil)
    }

    @Test func configMapOverTheLimitsIsReportedAsTheLimit() {
        let text = "kind: ConfigMap\nmetadata:\n  name: yunikorn-configs\n" + Self.billionLaughs()
        let report = FileReport.check(text: text, file: "cm.yaml")
        #expect(report.result?.problems.map(\.kind) == [.documentLimit])
    }
}
