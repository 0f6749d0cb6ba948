import Archer
import Foundation
import HTTPFetch
import Testing
import TestSupport

/// `POST /ws/v1/validate-conf` answers as yunikorn-core's endpoint: for every case in the shared fixtures, the
/// same verdict and the same first error, in Go's JSON encoding, with YuniKorn's headers.
@Suite("validate-conf")
struct ValidateConfTests {
    struct Case: Decodable {
        var file: String
        var expected: String
        var error: String
    }

    static let casesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared/fixtures/yunikorn/cases").standardized

    /// A user's clone has no shared/ folder: skipped there (visibly), failed under CI, which has a copy.
    @Test(.requires(.yunikornFixtures)) func answersLikeYuniKornOnEveryFixture() async throws {
        let text = try String(contentsOf: Self.casesFolder.appendingPathComponent("results.jsonl"), encoding: .utf8)
        let cases = try text.split(separator: "\n").map { try JSONDecoder().decode(Case.self, from: Data($0.utf8)) }
        #expect(cases.count >= 100)
        try await withRouter(.sqlite, maxBody: 1 << 20) { router in
            for item in cases {
                let body = try String(contentsOf: Self.casesFolder.appendingPathComponent(item.file), encoding: .utf8)
                let request = FetchRequest(method: .post, url: router.base + "/ws/v1/validate-conf",
                                          headers: ["Content-Type: application/json"], body: Array(body.utf8))
                let response = try await TestRouter.perform(request)
                #expect(response.status == 200)
                #expect(response.header("Content-Type") == "application/json; charset=UTF-8")
                #expect(response.header("Access-Control-Allow-Origin") == "*")
                let answer = String(decoding: response.body, as: UTF8.self)
                if item.expected == "valid" {
                    #expect(answer == "{\"allowed\":true}\n", "\(item.file)")
                } else {
                    let json = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
                    #expect(json["allowed"] as? Bool == false, "\(item.file)")
                    #expect(json["reason"] as? String == item.error, "\(item.file)")
                    #expect(answer.hasPrefix("{\"allowed\":false,\"reason\":\"") && answer.hasSuffix("\"}\n"))
                }
            }
        }
    }

    @Test func emptyBodyIsAllowedAndNoTokenIsNeeded() async throws {
        try await withRouter(.sqlite) { router in
            let answer = try await router.call(.post, "/ws/v1/validate-conf", token: nil, body: "")
            #expect(answer.status == 200)
            #expect(answer.text == "{\"allowed\":true}\n")
        }
    }

    @Test(arguments: [("a<b>&c", "\"a\\u003cb\\u003e\\u0026c\""), ("line\nnext\t\"q\"", "\"line\\nnext\\t\\\"q\\\"\""),
                      ("\u{2028}", "\"\\u2028\""), ("\u{01}", "\"\\u0001\"")])
    func goStringEncoding(_ input: String, _ expected: String) {
        #expect(String(decoding: GoJSON.string(input), as: UTF8.self) == expected)
    }
}
