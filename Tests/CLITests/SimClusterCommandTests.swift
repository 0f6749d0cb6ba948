import Clusters
import Foundation
import HTTPFetch
import Platform
import Testing

/// `bursar simcluster` as a process on a loopback port, driven through Bursar's own `KubernetesTarget` (unchanged)
/// and plain HTTP: queue limits deployed through the ConfigMap hold applications back and release them, list and
/// watch answer with the API's shapes (410 for an expired resourceVersion), and `bursar ingest` reads the log.
/// Nothing is timed: the clock runs 20× and every wait is for a condition, with a generous deadline.
@Suite("SimCluster end to end", .serialized)
struct SimClusterCommandTests {
    let cli = ValidateCommandTests()

    /// A running `bursar simcluster`; closing its standard input stops it.
    final class Simulator {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        var port = 0
        let folder: URL
        let logFile: String
        let token = "sim-token-\(UUID().uuidString)"

        /// Starts it; `logStart` is written to the log file first (a torn line from a previous run).
        init(logStart: String? = nil, extra: [String] = []) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-sim-\(UUID().uuidString)")
            logFile = folder.appendingPathComponent("logs/sim-e2e/yunikorn.log").path
            try FileManager.default.createDirectory(atPath: (logFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if let logStart { try logStart.write(toFile: logFile, atomically: true, encoding: .utf8) }
            let tokenFile = folder.appendingPathComponent("token").path
            try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
            process.executableURL = ValidateCommandTests.binary
            process.arguments = ["simcluster", "--cluster", "sim-e2e", "--speed", "20", "--log-file", logFile,
                                 "--token-file", tokenFile, "--history-events", "6", "--exit-on-stdin-eof"] + extra
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            // The first line of standard output says the port, once connections are accepted.
            var line: [UInt8] = []
            while true {
                let byte = output.fileHandleForReading.readData(ofLength: 1)
                guard let first = byte.first else { break }
                if first == 0x0A { break }
                line.append(first)
            }
            let ready = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            port = ready?["port"] as? Int ?? 0
            #expect(port > 0, "no port line: \(String(decoding: line, as: UTF8.self))")
            #expect(ready?["cluster"] as? String == "sim-e2e")
            #expect(ready?["log_file"] as? String == logFile)
        }

        var server: String { "http://127.0.0.1:\(port)" }

        func target() -> KubernetesTarget {
            let tokenFile = folder.appendingPathComponent("token").path
            return KubernetesTarget(cluster: "sim-e2e", endpoint: KubernetesEndpoint(server: server, tokenFile: tokenFile),
                                    timeout: .seconds(20))
        }

        func fetch(_ path: String, method: FetchRequest.Method = .get, body: [UInt8] = [], token: Bool = true) throws -> FetchResponse {
            try HTTPFetcher(timeout: .seconds(30)).perform(FetchRequest(
                method: method, url: server + path, headers: ["Content-Type: application/json"], body: body,
                bearerToken: token ? self.token : nil))
        }

        func stop() {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    static func manifest(_ name: String, queue: String, seconds: Double, outcome: String? = nil) -> [UInt8] {
        var annotations: [String: String] = ["bursar.dev/sim-duration-seconds": "\(seconds)"]
        if let outcome { annotations["bursar.dev/sim-outcome"] = outcome }
        let object: [String: Any] = [
            "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": ["name": name, "labels": ["bursar.dev/workflow": "e2e", "bursar.dev/job": name], "annotations": annotations],
            "spec": ["batchSchedulerOptions": ["queue": queue],
                     "driver": ["cores": 1, "memory": "1g", "labels": ["yunikorn.apache.org/app-id": name]],
                     "executor": ["instances": 1, "cores": 1, "memory": "1g"]],
        ]
        return Array(try! JSONSerialization.data(withJSONObject: object))
    }

    static let queues = """
        partitions:
          - name: default
            queues:
              - name: root
                queues:
                  - name: payments
                    resources: {max: {vcore: "4"}}
                    queues:
                      - name: ledger
                        queues:
                          - name: tier1
                            maxapplications: 1
                          - name: tier2
        """

    /// Waits for `condition` (polling), failing the test after `seconds`.
    static func wait(_ what: String, seconds: Double = 60, _ condition: () throws -> Bool) rethrows {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Issue.record("waited \(seconds) s for \(what)")
    }

    static func lines(_ body: [UInt8]) throws -> [[String: Any]] {
        try body.split(separator: 0x0A).map { try JSONSerialization.jsonObject(with: Data($0)) as! [String: Any] }
    }

    /// What a crash in the middle of a write leaves: half a summary line, no newline.
    static let tornLine = #"{"date":1794010734.749,"log":"2026-11-07T00:18:54.749Z\tINFO\tcore.scheduler.application.usage\tobjects/application_summary.go:60\tYK_APP_SUMMARY: {ApplicationID: torn, SubmissionTime: 17940"#

    @Test func kubernetesTargetQueueLimitsListWatchAndIngest() throws {
        let sim = try Simulator(logStart: Self.tornLine)
        defer { if sim.process.isRunning { sim.stop() } }
        let target = sim.target()
        try target.checkReady()

        // Deploy through the target exactly as `bursar deploy` does: POST, then a conditional PUT.
        #expect(try target.queueConfig() == nil)
        _ = try target.applyQueueConfig(Self.queues, replacing: nil)
        var live = try #require(try target.queueConfig())
        #expect(live.queuesYAML == Self.queues)
        _ = try target.applyQueueConfig(Self.queues + "\n", replacing: live)
        do {
            _ = try target.applyQueueConfig(Self.queues, replacing: live)
            Issue.record("a PUT with a stale resourceVersion was accepted")
        } catch let error as ClusterError {
            #expect(error.isConflict, "\(error)")
        }
        live = try #require(try target.queueConfig())
        do {
            _ = try target.applyQueueConfig(Self.queues.replacingOccurrences(of: "vcore: \"4\"", with: "vcore: 4 cores"), replacing: live)
            Issue.record("an invalid queues.yaml was accepted")
        } catch let error as ClusterError {
            #expect(error.status == 400, "YuniKorn's admission webhook refuses it: \(error)")
        }

        // tier1 takes one application at a time: `second` waits for `first`.
        let first = try target.createSparkApplication(namespace: nil, manifestJSON: Self.manifest("first", queue: "root.payments.ledger.tier1", seconds: 40))
        let second = try target.createSparkApplication(namespace: nil, manifestJSON: Self.manifest("second", queue: "root.payments.ledger.tier1", seconds: 20))
        #expect(first.namespace == "spark" && Int(second.resourceVersion)! > Int(first.resourceVersion)!)
        do {
            _ = try target.createSparkApplication(namespace: nil, manifestJSON: Self.manifest("first", queue: "root.payments.ledger.tier1", seconds: 1))
            Issue.record("a taken name was accepted")
        } catch let error as ClusterError {
            #expect(error.status == 409 && error.reason == "AlreadyExists")
        }
        var heldSeen = false
        try Self.wait("first to run while second waits") {
            let secondState = try target.sparkApplicationStatus(namespace: nil, name: "second").state
            let firstState = try target.sparkApplicationStatus(namespace: nil, name: "first")
            // Read in this order, SUBMITTED then RUNNING shows the hold: second cannot start before first ends.
            if secondState == "SUBMITTED" && firstState.state == "RUNNING" {
                #expect(firstState.sparkApplicationID?.hasPrefix("spark-") == true)
                heldSeen = true
            }
            return heldSeen || firstState.state == "COMPLETED"
        }
        #expect(heldSeen, "never saw second held while first ran")
        let failing = try target.createSparkApplication(namespace: nil, manifestJSON: Self.manifest("doomed", queue: "root.payments.ledger.tier2", seconds: 10, outcome: "failed"))
        let lostCreated = try target.createSparkApplication(namespace: nil, manifestJSON: Self.manifest("lost", queue: "root.payments.nowhere", seconds: 10))
        try Self.wait("every application to end") {
            try ["first", "second", "doomed", "lost"].allSatisfy {
                ["COMPLETED", "FAILED"].contains(try target.sparkApplicationStatus(namespace: nil, name: $0).state)
            }
        }
        #expect(try target.sparkApplicationStatus(namespace: nil, name: "second").state == "COMPLETED")
        let doomed = try target.sparkApplicationStatus(namespace: nil, name: failing.name)
        #expect(doomed.state == "FAILED" && doomed.errorMessage?.contains("ExitCode: 1") == true)
        let lost = try target.sparkApplicationStatus(namespace: nil, name: "lost")
        #expect(lost.state == "FAILED" && lost.errorMessage?.contains("cannot create queue 'root.payments.nowhere'") == true)

        // LIST, with a label selector, namespaced and across namespaces.
        let listed = try sim.fetch("/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark/sparkapplications?labelSelector=bursar.dev/workflow%3De2e,bursar.dev/job!%3Dlost")
        #expect(listed.status == 200)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(listed.body)) as? [String: Any])
        #expect(list["kind"] as? String == "SparkApplicationList")
        let names = (list["items"] as? [[String: Any]] ?? []).compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String }
        #expect(names == ["doomed", "first", "second"])
        let revision = try #require(((list["metadata"] as? [String: Any])?["resourceVersion"] as? String).flatMap { Int($0) })
        let all = try sim.fetch("/apis/sparkoperator.k8s.io/v1beta2/sparkapplications")
        #expect(((try JSONSerialization.jsonObject(with: Data(all.body)) as? [String: Any])?["items"] as? [Any])?.count == 4)

        // WATCH from lost's creation: the events since, in order, then the stream ends at the timeout. (About 11
        // events happened in all; the last 6 are kept, and lost's creation is at least the fifth.)
        let watched = try sim.fetch("/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark/sparkapplications?watch=1&resourceVersion=\(lostCreated.resourceVersion)&timeoutSeconds=1&allowWatchBookmarks=true")
        #expect(watched.status == 200)
        let events = try Self.lines(watched.body)
        let versions = events.compactMap { (($0["object"] as? [String: Any])?["metadata"] as? [String: Any])?["resourceVersion"] as? String }.compactMap { Int($0) }
        #expect(versions.first.map { $0 > Int(lostCreated.resourceVersion)! } == true)
        #expect(versions == versions.sorted())
        let changes = events.filter { $0["type"] as? String == "MODIFIED" }
        let lostFailed = changes.contains {
            let object = $0["object"] as? [String: Any]
            return (object?["metadata"] as? [String: Any])?["name"] as? String == "lost"
                && ((object?["status"] as? [String: Any])?["applicationState"] as? [String: Any])?["state"] as? String == "FAILED"
        }
        #expect(lostFailed, "the watch delivers lost's failure")
        #expect(versions.allSatisfy { $0 <= revision }, "nothing newer than the list's revision has happened")

        // Enough events have passed that the start is out of the 6 kept: the watch answers 410 Expired.
        let expired = try sim.fetch("/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark/sparkapplications?watch=true&resourceVersion=\(first.resourceVersion)")
        #expect(expired.status == 200)
        let error = try #require(try Self.lines(expired.body).first)
        #expect(error["type"] as? String == "ERROR")
        let status = error["object"] as? [String: Any]
        #expect(status?["code"] as? Int == 410 && status?["reason"] as? String == "Expired")
        #expect((status?["message"] as? String)?.hasPrefix("too old resource version: \(first.resourceVersion) (") == true)

        // Refusals with the API's codes.
        #expect(try sim.fetch("/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark/sparkapplications", token: false).status == 401)
        #expect(try sim.fetch("/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark/sparkapplications/absent").status == 404)
        #expect(try sim.fetch("/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark/sparkapplications", method: .post,
                              body: Array(repeating: 0x20, count: (1 << 20) + 10)).status == 413)
        let deleted = try sim.fetch("/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark/sparkapplications/first", method: .delete)
        #expect(deleted.status == 200)
        #expect(try sim.fetch("/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark/sparkapplications/first").status == 404)

        sim.stop()
        #expect(sim.process.terminationStatus == 0)

        // The log holds YuniKorn's lines for the three that ran (not for `lost`, which never started), after the
        // torn line, which stays alone on its line; the hold shows in them: second started when first finished.
        let log = try String(contentsOfFile: sim.logFile, encoding: .utf8)
        #expect(log.hasPrefix(Self.tornLine + "\n"))
        let summaries = log.split(separator: "\n").dropFirst()
        #expect(summaries.count == 3)
        func field(_ app: String, _ key: String) -> Int? {
            guard let line = summaries.first(where: { $0.contains("ApplicationID: \(app),") }),
                  let range = line.range(of: key + ": ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(try #require(field("second", "StartTime")) >= (try #require(field("first", "FinishTime"))))
        #expect(log.contains("State: Failed"))

        // job_apps.csv ties `second` to workflow e2e, job second: the store then knows that job's last runtime.
        let mappings = sim.folder.appendingPathComponent("mappings")
        try FileManager.default.createDirectory(at: mappings, withIntermediateDirectories: true)
        for (file, text) in [("workflows.csv", "workflow,project,tier,slo_minutes\ne2e,ledger,1,30\n"),
                             ("projects.csv", "project,owner\nledger,payments-core\n"), ("owners.csv", "owner,org\npayments-core,payments\n"),
                             ("job_apps.csv", "app_id,workflow,job,run_id,scheduled_at\nsecond,e2e,second,e2e-1,2026-11-07T00:00:00Z\n")] {
            try text.write(to: mappings.appendingPathComponent(file), atomically: true, encoding: .utf8)
        }
        let store = "sqlite:\(sim.folder.path)/store.sqlite"
        let ingested = try cli.run(["ingest", sim.logFile, "--mappings", mappings.path, "--store", store, "--format", "json"])
        #expect(ingested.status == 0, "\(ingested.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(ingested.stdout.utf8)) as? [String: Any]
        #expect(report?["summaries"] as? Int == 3)
        #expect(report?["rejects"] as? Int == 1, "the torn line alone is rejected")
        #expect(report?["unattributed"] as? Int == 0, "root.payments.ledger.tierN attributes by queue")

        // A second cluster reads durations from that store: a job of workflow e2e named second, with no annotation,
        // runs as long as second last ran (20 s), not the default 1 s.
        let again = try Simulator(extra: ["--store", store, "--default-duration", "1"])
        defer { if again.process.isRunning { again.stop() } }
        var manifest = try JSONSerialization.jsonObject(with: Data(Self.manifest("second-again", queue: "root.payments.ledger.tier1", seconds: 0))) as! [String: Any]
        manifest["metadata"] = ["name": "second-again", "labels": ["bursar.dev/workflow": "e2e", "bursar.dev/job": "second"]]
        _ = try again.target().createSparkApplication(namespace: nil, manifestJSON: Array(try JSONSerialization.data(withJSONObject: manifest)))
        try Self.wait("second-again to complete") {
            try again.target().sparkApplicationStatus(namespace: nil, name: "second-again").state == "COMPLETED"
        }
        again.stop()
        let line = try String(contentsOfFile: again.logFile, encoding: .utf8)
        func number(_ key: String) -> Int? {
            line.range(of: key + ": ").flatMap { Int(line[$0.upperBound...].prefix { $0.isNumber }) }
        }
        #expect(number("FinishTime").flatMap { end in number("StartTime").map { end - $0 } } == 20_000)
    }
}
