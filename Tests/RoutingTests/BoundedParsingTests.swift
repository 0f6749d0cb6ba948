import QueueConfig
import Testing
@testable import Routing

/// Submissions and the tokens file are bounded before they are read: YAML aliases cannot expand a small
/// body into a large manifest, and nesting is capped in YAML and JSON alike.
struct BoundedParsingTests {
    /// The billion-laughs lines of issue #13 (421 bytes at 8 levels, 10⁸ scalars expanded).
    static func billionLaughs(levels: Int = 8, indent: String = "") -> String {
        var lines = [indent + "x0: &a0 \"xxxxxxxxxx\""]
        for level in 1...levels {
            lines.append(indent + "x\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ",") + "]")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A SparkApplication whose spec carries the laughs (the router keeps unknown spec fields).
    static func laughingManifest(levels: Int) -> String { Fixtures.crdYAML + billionLaughs(levels: levels, indent: "  ") }

    static var manifestLines: Int { Fixtures.crdYAML.split(separator: "\n", omittingEmptySubsequences: false).count - 1 }

    static func deepYAML(_ levels: Int) -> String {
        Fixtures.crdYAML + "  deep: " + String(repeating: "[", count: levels) + String(repeating: "]", count: levels) + "\n"
    }

    static func deepJSON(_ levels: Int) -> String {
        Fixtures.crdJSON.replacingOccurrences(
            of: "\"spec\": {", with: "\"spec\": {\"deep\": " + String(repeating: "[", count: levels) + String(repeating: "]", count: levels) + ",")
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var body: String
        var contentType: String?
        /// A word the message must hold (the limit's name).
        var mentions: String
        var line: Int?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "billion laughs (8 levels)", body: laughingManifest(levels: 8), contentType: "application/yaml",
             mentions: "alias", line: manifestLines + 5),
        Case(name: "100 000 laughs (5 levels)", body: laughingManifest(levels: 5), contentType: "application/yaml",
             mentions: "alias", line: manifestLines + 5),
        Case(name: "YAML nested 511 levels", body: deepYAML(511), contentType: "application/yaml",
             mentions: "nesting", line: manifestLines + 1),
        Case(name: "JSON nested 150 levels", body: deepJSON(150), contentType: "application/json",
             mentions: "nesting", line: nil),
    ]

    @Test(arguments: cases)
    func overTheLimitsIsRefusedWithThePlace(_ item: Case) {
        #expect(throws: SubmissionError.self) {
            _ = try SubmissionParser.parse(Fixtures.bytes(item.body), contentType: item.contentType)
        }
        do {
            _ = try SubmissionParser.parse(Fixtures.bytes(item.body), contentType: item.contentType)
        } catch {
            #expect(error.kind == .syntax)
            #expect(error.message.contains(item.mentions), "\(error)")
            #expect(error.message.contains("limit"), "\(error)")
            if let line = item.line { #expect(error.line == line, "\(error)") } else { #expect(error.line != nil) }
        }
    }

    @Test func nestingWithinTheLimitAndAFewAliasesAreAccepted() throws {
        let yaml = Fixtures.crdYAML + "  deep: " + String(repeating: "[", count: 90) + String(repeating: "]", count: 90) + "\n"
            + Self.billionLaughs(levels: 2, indent: "  ")
        let submission = try SubmissionParser.parse(Fixtures.bytes(yaml), contentType: "application/yaml")
        #expect(submission.facts.project == "fraud")
        _ = try SubmissionParser.parse(Fixtures.bytes(Self.deepJSON(90)), contentType: "application/json")
    }

    @Test func tokensFileIsBounded() {
        let text = SecurityTests.book + "\n" + Self.billionLaughs()
        do {
            _ = try TokenBook.parse(text, file: "tokens.yaml")
            Issue.record("the laughs were read")
        } catch {
            #expect(error.message.contains("alias"), "\(error)")
            #expect(error.line > 0)
            #expect(error.description.hasPrefix("tokens.yaml:"), "\(error)")
        }
    }
}
