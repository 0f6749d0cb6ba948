import Foundation
import HTTPFetch
import InsightStore
import Testing

/// Issue #13: a small YAML body cannot become a large tree. Over real HTTP, the billion-laughs document
/// and deep nesting are refused with the API's error shape, and nothing is recorded or sent. The tests
/// assert on the answer and the store, never on time.
@Suite("Bounded parsing", .serialized)
struct BoundedParsingTests {
    /// The billion-laughs lines of issue #13 (421 bytes at 8 levels; 10⁸ scalars expanded).
    static func billionLaughs(levels: Int = 8, indent: String = "") -> String {
        var lines = [indent + "x0: &a0 \"xxxxxxxxxx\""]
        for level in 1...levels {
            lines.append(indent + "x\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ",") + "]")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func billionLaughsDocumentIsThe421Bytes() {
        #expect(Self.billionLaughs().utf8.count == 421)
    }

    @Test func validateConfRefusesBillionLaughs() async throws {
        try await withRouter(.sqlite) { router in
            let answer = try await router.call(.post, "/ws/v1/validate-conf", token: nil, body: Self.billionLaughs(),
                                               contentType: "application/x-yaml")
            #expect(answer.status == 200)
            #expect(answer.json["allowed"] as? Bool == false, "\(answer.text)")
            let reason = try #require(answer.json["reason"] as? String)
            #expect(reason.contains("alias expansion"), "\(reason)")
            #expect(reason.contains("limit"), "\(reason)")
            #expect(reason.hasPrefix("yaml: line 6: "), "\(reason)")
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var body: String
        var contentType: String
        var mentions: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // 644 bytes in the issue; the submitter's laughs sit in spec, which keeps unknown fields.
        Case(name: "billion laughs in a SparkApplication", body: Manifests.crdYAML + "\n" + billionLaughs(indent: "  "),
             contentType: "application/yaml", mentions: "alias"),
        // Small enough that the old reader answered 201 with a 1 MB manifest.
        Case(name: "100 000 laughs in a SparkApplication", body: Manifests.crdYAML + "\n" + billionLaughs(levels: 5, indent: "  "),
             contentType: "application/yaml", mentions: "alias"),
        Case(name: "YAML nested 511 levels", body: Manifests.crdYAML + "\n  deep: " + String(repeating: "[", count: 511)
                + String(repeating: "]", count: 511) + "\n", contentType: "application/yaml", mentions: "nesting"),
        Case(name: "JSON nested 150 levels", body: Manifests.crdJSON().replacingOccurrences(
                of: "\"spec\":{", with: "\"spec\":{\"deep\":" + String(repeating: "[", count: 150) + String(repeating: "]", count: 150) + ","),
             contentType: "application/json", mentions: "nesting"),
    ]

    @Test(arguments: cases)
    func submissionOverTheLimitsIsRefusedAndNotRecorded(_ item: Case) async throws {
        try await withRouter(.sqlite) { router in
            let answer = try await router.call(.post, "/v1/submissions", body: item.body, contentType: item.contentType)
            #expect(answer.status == 400, "\(answer.text.prefix(300))")
            let error = try #require(answer.json["error"] as? [String: Any], "\(answer.text.prefix(300))")
            #expect(error["status"] as? Int == 400)
            #expect(error["code"] as? String == "invalid_submission")
            let message = try #require(error["message"] as? String)
            #expect(message.contains(item.mentions) && message.contains("limit"), "\(message)")
            #expect(error["line"] as? Int != nil, "\(answer.text)")
            // Nothing was recorded or sent.
            #expect(try router.store().submissionCount() == 0)
            #expect(router.targets.values.allSatisfy { $0.requests.isEmpty })
        }
    }
}
