import Foundation
import Testing

/// Request fields the router used to read loosely (issue #13, item 7): each is now refused with a 400 that names
/// the field, and nothing changes.
@Suite("Request validation")
struct RequestValidationTests {
    @Test func aForceThatIsNotABooleanIsRefusedAndNothingIsDeployed() async throws {
        try await withRouter(.sqlite, queuesYAML: ["moka-a": DeployEndpointTests.config(ledgerVcore: 100)]) { router in
            let path = "/v1/clusters/moka-a/queues:deploy"
            for body in ["{\"force\":\"yes\"}", "{\"force\":1}", "{\"force\":null}"] {
                let answer = try await router.call(.post, path, token: TestRouter.root, body: body)
                #expect(answer.status == 400, "\(body): \(answer.text)")
                #expect((answer.json["error"] as? [String: Any])?["field"] as? String == "force", "\(body): \(answer.text)")
            }
            // Before, {"force":"yes"} was read as false and the deploy applied; nothing was applied here.
            let audit = try await router.call(.get, "/v1/audit", token: TestRouter.root)
            let actions = (audit.json["entries"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
            #expect(!actions.contains { $0.hasPrefix("deploy") }, "\(actions)")
            let applied = try await router.call(.post, path, token: TestRouter.root, body: "{\"force\":false}")
            #expect(applied.status == 200, "\(applied.text)")
        }
    }

    @Test(arguments: ["limit=-1", "limit=0", "limit=1001", "limit=ten", "before=abc", "before=-5"])
    func auditQueriesOutOfRangeAreRefused(_ query: String) async throws {
        try await withRouter(.sqlite) { router in
            let answer = try await router.call(.get, "/v1/audit?" + query, token: TestRouter.root)
            #expect(answer.status == 400, "\(query): \(answer.text)")
            #expect((answer.json["error"] as? [String: Any])?["field"] as? String == String(query.prefix { $0 != "=" }), "\(answer.text)")
        }
    }

    @Test func aRulePriorityNoIntegerHoldsNamesTheField() async throws {
        try await withRouter(.sqlite) { router in
            let rule = #"{"id":"big","priority":1e30,"match":{"project":"ledger"},"split":[{"cluster":"moka-a","percent":100}]}"#
            let answer = try await router.call(.put, "/v1/rules/big", token: TestRouter.root, body: rule)
            #expect(answer.status == 400, "\(answer.text)")
            #expect((answer.json["error"] as? [String: Any])?["field"] as? String == "priority", "\(answer.text)")
            let message = (answer.json["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains("whole number"), "\(answer.text)")
            let fine = rule.replacingOccurrences(of: "1e30", with: "10")
            #expect(try await router.call(.put, "/v1/rules/big", token: TestRouter.root, body: fine).status < 300)
        }
    }
}
