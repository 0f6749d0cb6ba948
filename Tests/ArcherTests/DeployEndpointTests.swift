import SafeFiles
import Foundation
import NightlyPlan
import Testing

/// `POST /v1/clusters/{name}/queues:deploy` over HTTP against a dry-run target: admin only, validated, diffed,
/// tier-1 cuts refused unless forced, every outcome audited.
@Suite("Deploy endpoint")
struct DeployEndpointTests {
    static func config(ledgerVcore: Int) -> String {
        """
        partitions:
          - name: default
            placementrules:
              - name: provided
                create: true
            queues:
              - name: root
                submitacl: '*'
                queues:
                  - name: payments
                    parent: true
                    queues:
                      - name: ledger
                        parent: true
                        queues:
                          - name: tier1
                            resources:
                              guaranteed: {vcore: \(ledgerVcore), memory: 100Gi}
                              max: {vcore: \(ledgerVcore * 2), memory: 200Gi}
        """
    }

    @Test func deployIsGuardedAndAudited() async throws {
        try await withRouter(.sqlite, queuesYAML: ["moka-a": Self.config(ledgerVcore: 100)]) { router in
            let path = "/v1/clusters/moka-a/queues:deploy"
            #expect(try await router.call(.post, path, token: TestRouter.alice).status == 403)
            #expect(try await router.call(.post, "/v1/clusters/nowhere/queues:deploy", token: TestRouter.root).status == 404)

            let first = try await router.call(.post, path, token: TestRouter.root)
            #expect(first.status == 200, "\(first.text)")
            #expect(first.json["outcome"] as? String == "applied")
            #expect((first.json["diff"] as? String ?? "").contains("+"))
            #expect(try await router.call(.post, path, token: TestRouter.root).json["outcome"] as? String == "unchanged")

            // Halving ledger's tier-1 guarantee is past the allowance: refused, nothing written, unless forced.
            let file = router.folder.appendingPathComponent("Queues/moka-a/queues.yaml")
            try Data(Self.config(ledgerVcore: 50).utf8).write(to: file)
            let refused = try await router.call(.post, path, token: TestRouter.root)
            #expect(refused.status == 409, "\(refused.text)")
            #expect(refused.json["outcome"] as? String == "refused")
            let shrinks = try #require(refused.json["shrinks"] as? [[String: Any]])
            #expect(shrinks.first?["queue"] as? String == "root.payments.ledger.tier1")
            let forced = try await router.call(.post, path, token: TestRouter.root, body: "{\"force\": true}")
            #expect(forced.status == 200, "\(forced.text)")
            #expect(forced.json["forced"] as? Bool == true)

            // An invalid configuration never reaches the cluster.
            try Data("partitions:\n  - name: default\n    queues:\n      - name: root\n        resources: {max: {memory: 10GB}}\n".utf8).write(to: file)
            let invalid = try await router.call(.post, path, token: TestRouter.root)
            #expect(invalid.status == 422, "\(invalid.text)")
            #expect(invalid.json["valid"] as? Bool == false)
            #expect(try await router.call(.post, path, token: TestRouter.root, body: "{\"forse\": true}").status == 400)

            let audit = try await router.call(.get, "/v1/audit", token: TestRouter.root)
            let actions = (audit.json["entries"] as? [[String: Any]] ?? []).map { $0["action"] as? String ?? "" }
            #expect(actions == ["deploy.invalid", "deploy.forced", "deploy.refused", "deploy"])
            // What the dry-run target was sent: two ConfigMap writes (the first and the forced one).
            #expect(router.targets["moka-a"]!.requests.filter { $0.path.contains("configmaps") }.count == 2)
        }
    }

    /// While `bursar allocate` writes the queues folder (it holds the folder's lock), or after it died leaving its
    /// journal, the files may belong to a plan that is never committed: they are not deployed.
    @Test func planInProgressIsNotDeployed() async throws {
        try await withRouter(.sqlite, queuesYAML: ["moka-a": Self.config(ledgerVcore: 100)]) { router in
            let path = "/v1/clusters/moka-a/queues:deploy"
            let folder = router.folder.appendingPathComponent("Queues").path
            do {
                let lock = try #require(try FolderLock.acquire(folder, create: false))
                let busy = try await router.call(.post, path, token: TestRouter.root)
                #expect(busy.status == 409, "\(busy.text)")
                #expect((busy.json["error"] as? [String: Any])?["code"] as? String == "plan_in_progress")
                withExtendedLifetime(lock) {}
            }
            let journal = folder + "/.bursar-plan-journal"
            try Data("{}".utf8).write(to: URL(fileURLWithPath: journal))
            let interrupted = try await router.call(.post, path, token: TestRouter.root)
            #expect(interrupted.status == 409, "\(interrupted.text)")
            try FileManager.default.removeItem(atPath: journal)
            let deployed = try await router.call(.post, path, token: TestRouter.root)
            #expect(deployed.status == 200, "\(deployed.text)")
            #expect(router.targets["moka-a"]!.requests.filter { $0.path.contains("configmaps") }.count == 1)
        }
    }
}
