import Foundation
import HTTPFetch
import InsightStore
import Store
import Testing
import TestSupport

/// Two `bursar serve` replicas on one PostgreSQL with simulated clusters (issue #17): the same submission sent to
/// both at once is one record and one SparkApplication, and both callers get the same answer; each replica sees
/// the other's rule and cordon changes within its refresh interval; every change is exactly one audit row.
/// Nothing is timed: every wait is for a condition, with a deadline.
@Suite(.serialized) struct RouterReplicaTests {
    let cli = ValidateCommandTests()

    /// A `bursar simcluster` on a loopback port; closing its standard input stops it.
    final class SimulatedCluster: @unchecked Sendable {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        let port: Int

        init(name: String, folder: URL) throws {
            process.executableURL = ValidateCommandTests.binary
            process.arguments = ["simcluster", "--cluster", name, "--port", "0", "--default-duration", "3600",
                                 "--log-file", folder.appendingPathComponent("\(name).log").path, "--exit-on-stdin-eof"]
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            var line: [UInt8] = []
            while let byte = output.fileHandleForReading.readData(ofLength: 1).first, byte != 0x0A { line.append(byte) }
            port = (try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])?["port"] as? Int ?? 0
            #expect(port > 0, "simcluster \(name) printed no port: \(String(decoding: line, as: UTF8.self))")
        }

        /// The names of the SparkApplications it holds.
        func applicationNames() throws -> [String] {
            let response = try HTTPFetcher(timeout: .seconds(20)).get(
                url: "http://127.0.0.1:\(port)/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark/sparkapplications")
            let list = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            return (list?["items"] as? [[String: Any]] ?? []).compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String }
        }

        func stop() {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    /// Everything the replicas share: one PostgreSQL database, the night's Queues/, a registry of two simulated
    /// clusters, and a tokens file with one admin.
    /// Set up before any concurrent use and only read while requests run (hence unchecked).
    final class Platform: @unchecked Sendable {
        let folder: URL
        let store: String
        let clusters: [SimulatedCluster]
        var routers: [(process: Process, port: Int)] = []
        let token: String

        init(cli: ValidateCommandTests) throws {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-replicas-\(UUID().uuidString)")
            self.folder = folder
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            store = "\(try Backend.postgres.freshLocation(in: folder))"
            let nightly = try cli.run(["nightly", "--store", store, "--out", folder.appendingPathComponent("Queues").path,
                                       "--report-dir", folder.appendingPathComponent("report").path])
            #expect(nightly.status == 0, "\(nightly.stderr)")
            clusters = try ["moka-a", "moka-b"].map { try SimulatedCluster(name: $0, folder: folder) }
            var registry = "clusters:\n"
            for (name, cluster) in zip(["moka-a", "moka-b"], clusters) {
                registry += "  - name: \(name)\n    capacity: {vcore: 4000, memory: 16Ti}\n    labels: [general]\n"
                    + "    kubernetes: {server: \"http://127.0.0.1:\(cluster.port)\"}\n"
            }
            try registry.write(to: folder.appendingPathComponent("clusters.yaml"), atomically: true, encoding: .utf8)
            let made = try cli.run(["token", "new", "--principal", "ops", "--team", "payments-core", "--admin",
                                    "--file", folder.appendingPathComponent("tokens.yaml").path])
            #expect(made.status == 0, "\(made.stderr)")
            token = made.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Starts one more `bursar serve` on the shared store and waits for its /healthz.
        func startRouter() throws {
            let port = try ServeSubmitCommandTests.freePort()
            let process = Process()
            process.executableURL = ValidateCommandTests.binary
            process.arguments = ["serve", "--port", "\(port)", "--store", store, "--tokens", folder.appendingPathComponent("tokens.yaml").path,
                                 "--clusters", folder.appendingPathComponent("clusters.yaml").path,
                                 "--queues", folder.appendingPathComponent("Queues").path, "--probe-interval", "0", "--refresh", "0.5"]
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            routers.append((process, port))
            var up = false
            let deadline = ContinuousClock.now + .seconds(30)
            while !up && ContinuousClock.now < deadline && process.isRunning {
                up = (try? HTTPFetcher(timeout: .seconds(1)).get(url: "http://127.0.0.1:\(port)/healthz"))?.status == 200
                if !up { Thread.sleep(forTimeInterval: 0.05) }
            }
            #expect(up, "bursar serve on port \(port) did not answer /healthz")
        }

        func call(_ router: Int, _ method: FetchRequest.Method, _ path: String, body: String = "", headers: [String] = []) throws -> FetchResponse {
            try HTTPFetcher(timeout: .seconds(60)).perform(FetchRequest(
                method: method, url: "http://127.0.0.1:\(routers[router].port)\(path)",
                headers: ["Content-Type: application/json"] + headers, body: Array(body.utf8), bearerToken: token))
        }

        func query(_ sql: String, _ parameters: [SQLValue] = []) throws -> [[SQLValue]] {
            try InsightStore(StoreLocation.parse(store)).connection.execute(sql, parameters)
        }

        func stop() {
            for router in routers where router.process.isRunning {
                router.process.terminate()
                router.process.waitUntilExit()
            }
            for cluster in clusters { cluster.stop() }
            try? FileManager.default.removeItem(at: folder)
        }
    }

    static func job(_ name: String) -> String {
        """
        {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
         "metadata": {"name": "\(name)", "labels": {"bursar.dev/workflow": "ledger-features", "bursar.dev/project": "ledger",
                      "bursar.dev/tier": "1", "bursar.dev/job": "\(name)", "bursar.dev/run-id": "r-\(name)",
                      "bursar.dev/scheduled-at": "20261122T024500Z"}},
         "spec": {"type": "Scala", "mode": "cluster", "image": "spark:3.5.3", "mainApplicationFile": "local:///opt/job.jar",
                  "sparkVersion": "3.5.3", "driver": {"cores": 1, "memory": "2g"}, "executor": {"instances": 1, "cores": 1, "memory": "2g"}}}
        """
    }

    /// What both callers of one submission must agree on.
    struct Answer: Equatable, CustomStringConvertible {
        var status: Int
        var appID: String
        var cluster: String
        var queue: String
        var state: String
        var description: String { "\(status) \(appID) \(cluster) \(queue) \(state)" }

        init(_ response: FetchResponse) {
            status = response.status
            let body = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
            let decision = body["decision"] as? [String: Any] ?? [:]
            appID = body["app_id"] as? String ?? String(decoding: response.body, as: UTF8.self)
            cluster = decision["cluster"] as? String ?? ""
            queue = decision["queue"] as? String ?? ""
            state = body["state"] as? String ?? ""
        }
    }

    /// Two replicas' HTTP statuses, written from two threads.
    final class Statuses: @unchecked Sendable {
        private let lock = NSLock()
        private var held = [Int](repeating: 0, count: 2)
        func set(_ index: Int, _ status: Int) { lock.withLock { held[index] = status } }
        var values: [Int] { lock.withLock { held } }
    }

    final class Answers: @unchecked Sendable {
        private let lock = NSLock()
        private var byKey: [String: [Answer]] = [:]
        private var failures: [String] = []
        func add(_ key: String, _ answer: Answer) { lock.withLock { byKey[key, default: []].append(answer) } }
        func fail(_ text: String) { lock.withLock { failures.append(text) } }
        var all: [String: [Answer]] { lock.withLock { byKey } }
        var errors: [String] { lock.withLock { failures } }
    }

    @Test(.requires(.postgres), .timeLimit(.minutes(3)))
    func identicalSubmissionsToBothReplicasAreOneRecordAndOneApplication() throws {
        let platform = try Platform(cli: cli)
        defer { platform.stop() }
        try platform.startRouter()
        try platform.startRouter()
        let perRound = 24
        var keys: [String] = []
        // The second replica gets each submission 0, 3 or 25 ms after the first, and in the opposite order, so
        // the replicas' group commits hold the same submissions in different orders.
        for (round, delay) in [0, 3, 25].enumerated() {
            let answers = Answers()
            let group = DispatchGroup()
            let roundKeys = (0..<perRound).map { "replica-\(round)-\($0)" }
            keys += roundKeys
            for router in 0..<2 {
                for key in router == 0 ? roundKeys : roundKeys.reversed() {
                    group.enter()
                    DispatchQueue.global().async {
                        defer { group.leave() }
                        if router == 1 && delay > 0 { usleep(UInt32(delay * 1000)) }
                        do {
                            let response = try platform.call(router, .post, "/v1/submissions", body: Self.job("job-\(key)"),
                                                             headers: ["Idempotency-Key: \(key)"])
                            answers.add(key, Answer(response))
                        } catch {
                            answers.fail("\(key) to router \(router): \(error)")
                        }
                    }
                }
            }
            group.wait()
            #expect(answers.errors.isEmpty, "\(answers.errors)")
            for key in roundKeys {
                let pair = answers.all[key] ?? []
                #expect(pair.count == 2, "\(key): \(pair)")
                #expect(pair.first?.status == 201 && pair.first?.state == "submitted", "\(key): \(pair)")
                #expect(Set(pair.map(\.description)).count == 1, "\(key): the two callers got different answers: \(pair)")
            }
        }
        let appIDs = try platform.query("SELECT app_id FROM submissions WHERE principal = 'ops' ORDER BY app_id").map { $0[0].string ?? "" }
        #expect(appIDs.count == keys.count && Set(appIDs).count == keys.count, "\(appIDs.count) records for \(keys.count) submissions")
        let states = try platform.query("SELECT state, COUNT(*) FROM submissions GROUP BY state ORDER BY state")
            .map { "\($0[0].string ?? "")=\($0[1].int64 ?? 0)" }
        #expect(states == ["submitted=\(keys.count)"], "\(states)")
        // The night's sample mappings hold job_apps rows too: count those of these submissions.
        let jobApps = try platform.query("""
            SELECT COUNT(*) FROM job_apps j JOIN submissions s ON s.app_id = j.app_id WHERE s.principal = 'ops'
            """).first?.first?.int64
        #expect(jobApps == Int64(keys.count))
        var onClusters: [String: Int] = [:]
        for cluster in platform.clusters {
            for name in try cluster.applicationNames() { onClusters[name, default: 0] += 1 }
        }
        #expect(onClusters.count == keys.count && onClusters.values.allSatisfy { $0 == 1 },
                "SparkApplications on the clusters: \(onClusters.count) names for \(keys.count) submissions, repeated: \(onClusters.filter { $0.value > 1 })")
        #expect(Set(onClusters.keys) == Set(appIDs))
    }

    /// Polls `condition` until it holds or `seconds` pass.
    static func eventually(_ seconds: Int, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return try condition()
    }

    @Test(.requires(.postgres), .timeLimit(.minutes(3)))
    func replicasSeeEachOthersChangesAndEveryChangeIsAuditedOnce() throws {
        let platform = try Platform(cli: cli)
        defer { platform.stop() }
        try platform.startRouter()
        try platform.startRouter()
        func decidedCluster(_ router: Int) throws -> String {
            let answer = try platform.call(router, .post, "/v1/decisions", body: Self.job("probe"))
            return Answer(answer).cluster
        }
        let before = try decidedCluster(1)
        let other = before == "moka-a" ? "moka-b" : "moka-a"
        // A rule written through replica 0 reaches replica 1's decisions within its refresh interval.
        let rule = #"{"id":"ccr-ledger","priority":100,"match":{"project":"ledger"},"split":[{"cluster":"\#(other)","percent":100}]}"#
        #expect(try platform.call(0, .put, "/v1/rules/ccr-ledger", body: rule).status == 201)
        #expect(try Self.eventually(20) { try decidedCluster(1) == other }, "replica 1 never routed by the rule replica 0 wrote")
        // A cordon through replica 1 reaches replica 0: the rule's only target is out, so it routes elsewhere.
        #expect(try platform.call(1, .post, "/v1/clusters/\(other)/cordon", body: #"{"reason":"upgrade"}"#).status == 200)
        #expect(try Self.eventually(20) { try decidedCluster(0) != other }, "replica 0 never saw the cordon replica 1 wrote")
        #expect(try platform.call(0, .delete, "/v1/clusters/\(other)/cordon").status == 204)
        #expect(try Self.eventually(20) { try decidedCluster(1) == other }, "replica 1 never saw the cordon lifted")

        // Both replicas change one rule at once, many times: without If-Match every write applies, one after the
        // other, each with its own revision and one audit row; with the same If-Match exactly one of two applies.
        var applied = 1
        for round in 0..<12 {
            let current = try platform.query("SELECT revision FROM routing_rules WHERE id = 'ccr-ledger'").first?.first?.int64 ?? 0
            let box = Statuses()
            DispatchQueue.concurrentPerform(iterations: 2) { router in
                let body = #"{"id":"ccr-ledger","priority":\#(100 + round * 2 + router),"match":{"project":"ledger"},"split":[{"cluster":"\#(other)","percent":100}]}"#
                let status = (try? platform.call(router, .put, "/v1/rules/ccr-ledger", body: body,
                                                 headers: round % 2 == 0 ? ["If-Match: \(current)"] : []))?.status ?? -1
                box.set(router, status)
            }
            let statuses = box.values
            if round % 2 == 0 {
                #expect(statuses.sorted() == [200, 409], "round \(round), same If-Match: \(statuses)")
            } else {
                #expect(statuses == [200, 200], "round \(round), no If-Match: \(statuses)")
            }
            applied += statuses.filter { $0 == 200 }.count
        }
        // Two replicas create one new rule at once: one creates it, the other updates it.
        let createdBox = Statuses()
        DispatchQueue.concurrentPerform(iterations: 2) { router in
            let body = #"{"id":"ccr-new","priority":5,"match":{"project":"ledger"},"split":[{"cluster":"\#(other)","percent":100}]}"#
            createdBox.set(router, (try? platform.call(router, .put, "/v1/rules/ccr-new", body: body))?.status ?? -1)
        }
        let created = createdBox.values
        #expect(created.sorted() == [200, 201], "\(created)")

        let revision = try platform.query("SELECT revision FROM routing_rules WHERE id = 'ccr-ledger'").first?.first?.int64
        #expect(revision == Int64(applied), "every applied write is one revision")
        let audited = try platform.query("""
            SELECT detail FROM audit_log WHERE target = 'rule/ccr-ledger' ORDER BY id
            """).map { $0[0].string ?? "" }
        #expect(audited == (1...applied).map { "revision \($0)" }, "audit of rule/ccr-ledger: \(audited)")
        let newRule = try platform.query("SELECT action, detail FROM audit_log WHERE target = 'rule/ccr-new' ORDER BY id")
            .map { "\($0[0].string ?? "") \($0[1].string ?? "")" }
        #expect(newRule == ["rule.create revision 1", "rule.update revision 2"], "\(newRule)")
        let cordons = try platform.query("SELECT action FROM audit_log WHERE target = 'cluster/\(other)' ORDER BY id").map { $0[0].string ?? "" }
        #expect(cordons == ["cluster.cordon", "cluster.uncordon"], "\(cordons)")
    }
}
