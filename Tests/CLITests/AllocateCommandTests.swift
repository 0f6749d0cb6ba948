import Foundation
import InsightStore
import Testing

/// `bursar allocate` run as a process: what it writes, the routing table, exit 5 with nothing written,
/// dry runs and input errors.
struct AllocateCommandTests {
    let cli = ValidateCommandTests()

    struct Setup {
        var folder: URL
        var store: String
        var out: String { folder.appendingPathComponent("Queues").path }
        var reports: String { folder.appendingPathComponent("reports").path }
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        func arguments(clusters: String = "clusters.yaml") -> [String] {
            ["allocate", "--clusters", path(clusters), "--policy", path("policy.yaml"), "--out", out,
             "--report-dir", reports, "--store", store]
        }
    }

    static let policy = """
        window_days: 14
        percentile: {tier1: 95, tier2: 90, tier3: 75}
        headroom: 1.1
        onboarding: {reserve_fraction: 0.05, min_history_days: 0}
        max_burst: 3.0
        max_change_fraction: 0.3
        """

    /// A store with a day of YuniKorn summaries on moka-a (queues root.org<k>.p<j>.tier<N>), and a registry.
    func setUp() throws -> Setup {
        let logs = try IngestCommandTests.makeLogs(count: 900)
        let setup = Setup(folder: logs, store: "sqlite:" + logs.appendingPathComponent("store.sqlite").path)
        let ingest = try cli.run(["ingest", logs.appendingPathComponent("moka-a").path, "--store", setup.store])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        try """
            clusters:
              - name: moka-a
                capacity: {vcore: 4000, memory: 16Ti}
                labels: [general]
              - name: moka-b
                capacity: {vcore: 2000, memory: 8Ti}
                labels: [general]
            """.write(toFile: setup.path("clusters.yaml"), atomically: true, encoding: .utf8)
        try """
            clusters:
              - name: moka-a
                capacity: {vcore: 1m, memory: 1Mi}
            """.write(toFile: setup.path("tiny.yaml"), atomically: true, encoding: .utf8)
        try Self.policy.write(toFile: setup.path("policy.yaml"), atomically: true, encoding: .utf8)
        return setup
    }

    @Test func writesValidConfigsRoutingAndReports() throws {
        let setup = try setUp()
        let result = try cli.run(setup.arguments() + ["--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let queues = report?["queues"] as? [[String: Any]] ?? []
        #expect(!queues.isEmpty)
        for cluster in ["moka-a", "moka-b"] {
            #expect(FileManager.default.fileExists(atPath: "\(setup.out)/\(cluster)/queues.yaml"))
            #expect(FileManager.default.fileExists(atPath: "\(setup.out)/\(cluster)/configmap.yaml"))
        }
        let validate = try cli.run(["validate", setup.out])
        #expect(validate.status == 0, "\(validate.stdout)")
        for name in ["report.txt", "report.md", "report.json"] {
            #expect(FileManager.default.fileExists(atPath: "\(setup.reports)/\(name)"))
        }
        // The routing table holds one route per planned queue, to the cluster the report names.
        let store = try InsightStore(try StoreLocation.parse(setup.store))
        let routes = try store.routing()
        #expect(routes.count == queues.count)
        for queue in queues {
            let route = routes.first { $0.queue == queue["queue"] as? String }
            #expect(route?.cluster == queue["cluster"] as? String)
        }
        // The data is of 2025-11-20, the night planned by default, with no previous plan.
        #expect(report?["night"] as? String == "2025-11-20")
        #expect((report?["previous_plan"] as? [String: Any])?["source"] as? String == "none")
        #expect(result.stderr.contains("bursar: planning night 2025-11-20 (usage 2025-11-07 00:00 – 2025-11-21 00:00 UTC); previous plan: none"))
        // The next night is measured against the first night's archived plan: nothing moves, and nothing is new.
        let second = try cli.run(setup.arguments() + ["--format", "json", "--night", "2025-11-21"])
        #expect(second.status == 0)
        let again = try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any]
        let placement = again?["placement"] as? [String: Any]
        #expect(placement?["moved"] as? Int == 0)
        #expect(placement?["new"] as? Int == 0)
        #expect((again?["previous_plan"] as? [String: Any])?["night"] as? String == "2025-11-20")
    }

    @Test func infeasibleExitsFiveAndWritesNothing() throws {
        let setup = try setUp()
        let before = "partitions:\n  - name: default\n    queues:\n      - name: root\n"
        try FileManager.default.createDirectory(atPath: "\(setup.out)/moka-a", withIntermediateDirectories: true)
        try before.write(toFile: "\(setup.out)/moka-a/queues.yaml", atomically: true, encoding: .utf8)
        let result = try cli.run(setup.arguments(clusters: "tiny.yaml"))
        #expect(result.status == 5, "\(result.stderr)")
        #expect(result.stderr.contains("tier-1 demand on moka-a exceeds its capacity by"))
        #expect(try String(contentsOfFile: "\(setup.out)/moka-a/queues.yaml", encoding: .utf8) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(setup.out)/moka-a") == ["queues.yaml"])
        #expect(!FileManager.default.fileExists(atPath: setup.reports))
        let store = try InsightStore(try StoreLocation.parse(setup.store))
        #expect(try store.routing().isEmpty)
    }

    @Test func dryRunWritesNothing() throws {
        let setup = try setUp()
        let result = try cli.run(setup.arguments() + ["--dry-run", "--format", "markdown"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("# Queue allocation"))
        #expect(!FileManager.default.fileExists(atPath: setup.out))
        #expect(!FileManager.default.fileExists(atPath: setup.reports))
    }

    @Test func policyMistakesExitTwoWithFileAndLine() throws {
        let setup = try setUp()
        try (Self.policy + "\nmax_burts: 2\n").write(toFile: setup.path("policy.yaml"), atomically: true, encoding: .utf8)
        let result = try cli.run(setup.arguments())
        #expect(result.status == 2)
        #expect(result.stderr.contains("policy.yaml:7:1: max_burts: unknown key"), "\(result.stderr)")
    }
}
