import Foundation
import Gzip
import Ingest
import QueueConfig
import Routing
import SimCluster
import Testing

/// Builds SparkApplication manifests as the router leaves them (queue in `batchSchedulerOptions`, app id label on
/// the driver), with what a test varies.
struct ManifestBuilder {
    var name: String
    var queue: String? = "root.payments.ledger.tier1"
    var driverCores: Int64 = 1
    var driverMemory = "2g"
    var executors: Int64 = 2
    var executorCores: Int64 = 1
    var executorMemory = "4g"
    var duration: String?
    var outcome: String?
    var labels: [String: String] = ["bursar.dev/workflow": "ledger-close", "bursar.dev/job": "reconcile",
                                    "bursar.dev/project": "ledger", "bursar.dev/tier": "1"]
    var proxyUser: String?

    init(_ name: String) { self.name = name }

    func with(_ change: (inout ManifestBuilder) -> Void) -> ManifestBuilder {
        var copy = self
        change(&copy)
        return copy
    }

    var json: JSONValue {
        var annotations: [JSONValue.Member] = []
        if let duration { annotations.append(.init(SparkManifest.durationAnnotation, .string(duration))) }
        if let outcome { annotations.append(.init(SparkManifest.outcomeAnnotation, .string(outcome))) }
        var spec: JSONValue = .object([
            "type": .string("Scala"),
            "driver": .object(["cores": .integer(driverCores), "memory": .string(driverMemory),
                               "labels": .object([.init(YuniKornLabel.appID, .string(name))])]),
            "executor": .object(["instances": .integer(executors), "cores": .integer(executorCores), "memory": .string(executorMemory)]),
        ])
        if let queue { spec["batchSchedulerOptions"] = .object(["queue": .string(queue)]) }
        if let proxyUser { spec["proxyUser"] = .string(proxyUser) }
        return .object([
            "apiVersion": .string("sparkoperator.k8s.io/v1beta2"), "kind": .string("SparkApplication"),
            "metadata": .object([.init("name", .string(name)),
                                 .init("labels", .object(labels.sorted { $0.key < $1.key }.map { .init($0.key, .string($0.value)) })),
                                 .init("annotations", .object(annotations))]),
            "spec": spec,
        ])
    }
}

let t0: Int64 = 1_794_009_600_000  // 2026-11-07T00:00:00Z

func cluster(_ configure: (inout SimSettings) -> Void = { _ in }) -> SimulatedCluster {
    var settings = SimSettings(cluster: "moka-a")
    configure(&settings)
    return SimulatedCluster(settings: settings, start: t0)
}

func state(_ cluster: SimulatedCluster, _ name: String, namespace: String = "spark") -> String? {
    cluster.application(namespace: namespace, name: name)?.state.rawValue
}

/// A configuration with a tier-1 leaf and a tier-2 leaf under one project.
let twoLeaves = """
    partitions:
      - name: default
        queues:
          - name: root
            queues:
              - name: payments
                queues:
                  - name: ledger
                    resources: {max: {vcore: "8", memory: 64Gi}}
                    queues:
                      - name: tier1
                        maxapplications: 1
                      - name: tier2
    """

@Suite("SimCluster core")
struct SimulatedClusterTests {
    @Test func leafMaxApplicationsHoldsTheSecondUntilTheFirstEnds() throws {
        var sim = cluster()
        _ = try sim.applyQueueConfig(twoLeaves, at: t0)
        let a = ManifestBuilder("app-a").with { $0.duration = "10" }
        let b = ManifestBuilder("app-b").with { $0.duration = "5" }
        _ = try sim.create(a.json, namespace: "spark", at: t0)
        _ = try sim.create(b.json, namespace: "spark", at: t0 + 1000)
        _ = sim.advance(to: t0 + 2000)
        #expect(state(sim, "app-a") == "RUNNING")
        #expect(state(sim, "app-b") == "SUBMITTED")
        let step = sim.advance(to: t0 + 12_000)
        #expect(state(sim, "app-a") == "COMPLETED")
        #expect(state(sim, "app-b") == "RUNNING")
        #expect(sim.application(namespace: "spark", name: "app-b")?.startedAt == t0 + 10_000, "released at the first one's end")
        #expect(step.summaries.map(\.applicationID) == ["app-a"])
        _ = sim.advance(to: t0 + 16_000)
        #expect(state(sim, "app-b") == "COMPLETED")
    }

    @Test func aQueueNeverRunsMoreThanItsMaxApplications() throws {
        var sim = cluster()
        _ = try sim.applyQueueConfig(twoLeaves.replacingOccurrences(of: "maxapplications: 1", with: "maxapplications: 10")
            .replacingOccurrences(of: "{max: {vcore: \"8\", memory: 64Gi}}", with: "{max: {vcore: \"1000\"}}"), at: t0)
        var summaries: [AppSummary] = []
        for index in 0..<2000 {
            summaries += try sim.create(ManifestBuilder("many-\(index)").with { $0.duration = "\(1 + index % 7)" }.json,
                                        namespace: "spark", at: t0 + Int64(index) * 10).step.summaries
        }
        summaries += sim.advance(to: t0 + 3_600_000).summaries
        #expect(summaries.count == 2000)
        // Sweep the starts and ends: at no instant more than 10 run (an end at t frees its place for a start at t).
        let changes = summaries.flatMap { [($0.startTime, 1), ($0.finishTime, -1)] }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        var running = 0, most = 0
        for (_, change) in changes {
            running += change
            most = max(most, running)
        }
        #expect(most == 10)
        let order = summaries.sorted { $0.startTime < $1.startTime }.map(\.applicationID)
        #expect(order.prefix(3) == ["many-0", "many-1", "many-2"], "FIFO by creation")
    }

    @Test func ancestorMaxHoldsAnAppInAnotherLeaf() throws {
        var sim = cluster()
        _ = try sim.applyQueueConfig(twoLeaves, at: t0)
        // 1 + 2×2 = 5 cores in tier1; 1 + 2×1 = 3 more would reach 8: fits. Another 1 + 1 = 2 does not.
        let big = ManifestBuilder("big").with { $0.executorCores = 2; $0.duration = "60" }
        let fits = ManifestBuilder("fits").with { $0.queue = "root.payments.ledger.tier2"; $0.duration = "60" }
        let held = ManifestBuilder("held").with { $0.queue = "root.payments.ledger.tier2"; $0.executors = 1; $0.duration = "30" }
        for manifest in [big, fits, held] { _ = try sim.create(manifest.json, namespace: "spark", at: t0) }
        _ = sim.advance(to: t0 + 1000)
        #expect(state(sim, "big") == "RUNNING")
        #expect(state(sim, "fits") == "RUNNING")
        #expect(state(sim, "held") == "SUBMITTED", "root.payments.ledger is at its max of 8 vcore")
        _ = sim.advance(to: t0 + 61_000)
        #expect(state(sim, "held") == "RUNNING")
        #expect(sim.application(namespace: "spark", name: "held")?.startedAt == t0 + 60_000)
    }

    @Test func newLimitsReleaseHeldApplications() throws {
        var sim = cluster()
        _ = try sim.applyQueueConfig(twoLeaves, at: t0)
        for name in ["one", "two"] { _ = try sim.create(ManifestBuilder(name).with { $0.duration = "600" }.json, namespace: "spark", at: t0) }
        _ = sim.advance(to: t0 + 1000)
        #expect(state(sim, "two") == "SUBMITTED")
        _ = try sim.applyQueueConfig(twoLeaves.replacingOccurrences(of: "maxapplications: 1", with: "maxapplications: 2"), at: t0 + 2000)
        #expect(state(sim, "two") == "RUNNING")
    }

    @Test func invalidConfigIsRefusedAndTheOldOneStays() throws {
        var sim = cluster()
        _ = try sim.applyQueueConfig(twoLeaves, at: t0)
        #expect(throws: SimClusterError.self) {
            _ = try sim.applyQueueConfig(twoLeaves.replacingOccurrences(of: "64Gi", with: "64GB"), at: t0)
        }
        #expect(sim.limits?.queues["root.payments.ledger.tier1"]?.maxApplications == 1)
    }

    @Test func unknownQueueFailsWithoutASummaryAndNoConfigRunsEverything() throws {
        var sim = cluster()
        for index in 0..<5 {
            _ = try sim.create(ManifestBuilder("free-\(index)").with { $0.queue = "root.nowhere" }.json, namespace: "spark", at: t0)
        }
        _ = sim.advance(to: t0)
        #expect(sim.counts[.running] == 5, "with no configuration deployed nothing is held back")

        _ = try sim.applyQueueConfig(twoLeaves, at: t0 + 1)
        _ = try sim.create(ManifestBuilder("lost").with { $0.queue = "root.payments.nope" }.json, namespace: "spark", at: t0 + 2)
        _ = try sim.create(ManifestBuilder("parent").with { $0.queue = "root.payments.ledger" }.json, namespace: "spark", at: t0 + 2)
        let step = sim.advance(to: t0 + 100_000)
        #expect(state(sim, "lost") == "FAILED")
        let message = try sim.sparkApplication(namespace: "spark", name: "lost")[path: ["status", "applicationState", "errorMessage"]]?.stringValue
        #expect(message?.contains("cannot create queue 'root.payments.nope' without placement rules") == true)
        #expect(state(sim, "parent") == "FAILED")
        #expect(!step.summaries.contains { $0.applicationID == "lost" || $0.applicationID == "parent" }, "rejected apps never ran")
    }

    @Test func durationsComeFromTheAnnotationThenTheHistoryThenTheDefault() throws {
        var sim = cluster {
            $0.defaultDurationMillis = 7000
            $0.durationFromHistory = { labels in labels["bursar.dev/job"] == "from-history" ? 42_000 : nil }
        }
        _ = try sim.create(ManifestBuilder("annotated").with { $0.duration = "2.5" }.json, namespace: "spark", at: t0)
        _ = try sim.create(ManifestBuilder("historic").with { $0.labels["bursar.dev/job"] = "from-history" }.json, namespace: "spark", at: t0)
        _ = try sim.create(ManifestBuilder("plain").json, namespace: "spark", at: t0)
        _ = sim.advance(to: t0)
        #expect(sim.application(namespace: "spark", name: "annotated")?.finishAt == t0 + 2500)
        #expect(sim.application(namespace: "spark", name: "historic")?.finishAt == t0 + 42_000)
        #expect(sim.application(namespace: "spark", name: "plain")?.finishAt == t0 + 7000)
    }

    @Test func forcedAndSeededFailuresAreReplayable() throws {
        func failed(seed: UInt64) throws -> Set<String> {
            var sim = cluster { $0.failureShare = 0.3; $0.seed = seed }
            for index in 0..<300 {
                _ = try sim.create(ManifestBuilder("job-\(index)").with { $0.duration = "1" }.json, namespace: "spark", at: t0)
            }
            _ = try sim.create(ManifestBuilder("must-fail").with { $0.outcome = "failed"; $0.duration = "1" }.json, namespace: "spark", at: t0)
            _ = try sim.create(ManifestBuilder("must-pass").with { $0.outcome = "succeeded"; $0.duration = "1" }.json, namespace: "spark", at: t0)
            let step = sim.advance(to: t0 + 5000)
            #expect(step.summaries.count == 302)
            let failures = Set(step.summaries.filter { $0.state == "Failed" }.map(\.applicationID))
            let message = try sim.sparkApplication(namespace: "spark", name: "must-fail")[path: ["status", "applicationState", "errorMessage"]]
            #expect(message?.stringValue == "driver container failed with ExitCode: 1, Reason: Error")
            #expect(failures.contains("must-fail"))
            #expect(!failures.contains("must-pass"))
            return failures
        }
        let first = try failed(seed: 7)
        #expect(first.count > 60 && first.count < 125, "about 30% of 300 fail, got \(first.count)")
        #expect(try failed(seed: 7) == first, "the same seed fails the same applications")
        #expect(try failed(seed: 8) != first)
    }

    @Test func theSummaryLineReadsBackThroughBursarsIngestParser() throws {
        var sim = cluster()
        _ = try sim.applyQueueConfig(twoLeaves, at: t0)
        let manifest = ManifestBuilder("ledger-close-reconcile-k3x9").with { $0.duration = "90.9"; $0.proxyUser = "svc-ledger" }
        _ = try sim.create(manifest.json, namespace: "spark", at: t0 + 123)
        let step = sim.advance(to: t0 + 200_000)
        let record = try #require(step.summaries.first)
        for line in [record.zapLine, record.fluentBitLine(namespace: "yunikorn")] {
            guard case .summary(let summary) = SummaryLine.parse(line) else {
                Issue.record("not read as a summary: \(line)")
                continue
            }
            #expect(summary.applicationID == "ledger-close-reconcile-k3x9")
            #expect(summary.rmID == "moka-a")
            #expect(summary.queue == "root.payments.ledger.tier1")
            let owner = Attribution.parseQueue(summary.queue)
            #expect(owner?.org == "payments" && owner?.project == "ledger" && owner?.tier == 1)
            #expect(summary.user == "svc-ledger")
            #expect(summary.state == "Completed")
            #expect(summary.submissionTime == t0 + 123)
            #expect(summary.startTime == t0 + 123)
            #expect(summary.finishTime == t0 + 123 + 90_900)
            // 1 driver core + 2 × 1 executor core = 3000 millicores for 90 whole seconds.
            let expected: [String: Int64] = ["vcore": 3000 * 90, "memory": (2 + 2 * 4) * (1 << 30) * 90, "pods": 3 * 90]
            #expect(summary.usage == expected)
            #expect(summary.preempted.isEmpty && summary.placeholder.isEmpty)
        }
        #expect(record.zapLine.hasPrefix("2026-11-07T00:01:31.023Z\tINFO\tcore.scheduler.application.usage\tobjects/application_summary.go:60\tYK_APP_SUMMARY: {ApplicationID: "))
    }

    @Test func watchHistoryResumesInOrderAndExpires() throws {
        var sim = cluster { $0.historyEvents = 5 }
        var versions: [Int64] = []
        for index in 0..<4 {
            let (_, step) = try sim.create(ManifestBuilder("w-\(index)").with { $0.duration = "1" }.json, namespace: "spark", at: t0)
            versions += step.events.map(\.resourceVersion)
        }
        versions += sim.advance(to: t0 + 10_000).events.map(\.resourceVersion)  // 4 RUNNING, 4 COMPLETED
        #expect(versions == Array(versions.sorted()), "events come in resourceVersion order")
        #expect(versions.count == 12)
        let all = try LabelSelector("")
        let recent = try sim.watchStart(namespace: "spark", selector: all, resourceVersion: versions[8])
        #expect(recent.map(\.resourceVersion) == Array(versions[9...]))
        #expect(throws: SimClusterError(.expired, "too old resource version: \(versions[2]) (\(versions[6]))")) {
            _ = try sim.watchStart(namespace: "spark", selector: all, resourceVersion: versions[2])
        }
        let fresh = try sim.watchStart(namespace: nil, selector: all, resourceVersion: nil)
        #expect(fresh.count == 4 && fresh.allSatisfy { $0.kind == .added }, "a watch from nothing starts with every object")
    }

    @Test func deleteEndsARunningAppWithASummaryAndAPendingOneWithout() throws {
        var sim = cluster()
        _ = try sim.applyQueueConfig(twoLeaves, at: t0)
        _ = try sim.create(ManifestBuilder("runs").with { $0.duration = "600" }.json, namespace: "spark", at: t0)
        _ = try sim.create(ManifestBuilder("waits").json, namespace: "spark", at: t0)
        _ = sim.advance(to: t0 + 1000)
        let (_, waiting) = try sim.delete(namespace: "spark", name: "waits", at: t0 + 2000)
        #expect(waiting.summaries.isEmpty)
        #expect(waiting.events.last?.kind == .deleted)
        let (_, ran) = try sim.delete(namespace: "spark", name: "runs", at: t0 + 30_500)
        #expect(ran.summaries.map(\.state) == ["Completed"])
        #expect(ran.summaries.first?.finishTime == t0 + 30_500)
        #expect(sim.application(namespace: "spark", name: "runs") == nil)
        #expect(throws: SimClusterError.self) { _ = try sim.delete(namespace: "spark", name: "runs", at: t0 + 31_000) }
    }

    @Test func theOldestFinishedApplicationsAreCleanedUp() throws {
        var sim = cluster { $0.maxFinishedApplications = 2 }
        for name in ["a", "b", "c"] { _ = try sim.create(ManifestBuilder(name).with { $0.duration = "1" }.json, namespace: "spark", at: t0) }
        let step = sim.advance(to: t0 + 5000)
        #expect(step.events.filter { $0.kind == .deleted }.map { $0.object["metadata"]?["name"]?.stringValue } == ["a"])
        #expect(sim.application(namespace: "spark", name: "a") == nil && sim.application(namespace: "spark", name: "c") != nil)
        // A name taken again after a deletion is a new application: the old one's place in the queue is not its.
        _ = try sim.delete(namespace: "spark", name: "b", at: t0 + 6000)
        _ = try sim.create(ManifestBuilder("b").with { $0.duration = "1" }.json, namespace: "spark", at: t0 + 6000)
        _ = try sim.create(ManifestBuilder("d").with { $0.duration = "1" }.json, namespace: "spark", at: t0 + 6000)
        _ = sim.advance(to: t0 + 9000)
        #expect(sim.application(namespace: "spark", name: "c") == nil, "c is now the oldest finished")
        #expect(sim.application(namespace: "spark", name: "b")?.state == .completed)
    }

    @Test func createRefusesTakenNamesAndNamesTheBadField() throws {
        var sim = cluster()
        let (object, _) = try sim.create(ManifestBuilder("once").json, namespace: "spark", at: t0)
        #expect(object[path: ["metadata", "resourceVersion"]]?.stringValue == "1001")
        #expect(object[path: ["metadata", "creationTimestamp"]]?.stringValue == "2026-11-07T00:00:00Z")
        #expect(object[path: ["status", "applicationState", "state"]]?.stringValue == "SUBMITTED")
        do {
            _ = try sim.create(ManifestBuilder("once").json, namespace: "spark", at: t0 + 60_000)
            Issue.record("a taken name was accepted")
        } catch {
            #expect(error.reason == .alreadyExists)
        }
        #expect(sim.clock == t0 && state(sim, "once") == "SUBMITTED", "a refused call changes nothing, not even the time")
        do {
            _ = try sim.create(ManifestBuilder("bad").with { $0.executorMemory = "4GB2" }.json, namespace: "spark", at: t0)
            Issue.record("a bad memory was accepted")
        } catch {
            #expect(error.reason == .invalid)
            #expect(error.field == "spec.executor.memory")
        }
        do {
            _ = try sim.create(ManifestBuilder("bad").with { $0.duration = "soon" }.json, namespace: "spark", at: t0)
            Issue.record("a bad duration was accepted")
        } catch {
            #expect(error.field == "metadata.annotations[bursar.dev/sim-duration-seconds]")
        }
        #expect(throws: SimClusterError.self) { _ = try sim.parseObject(Array(repeating: 0x20, count: (1 << 20) + 1)) }
    }

    @Test func configMapWritesConflictOnAStaleVersionAndDeployTheQueues() throws {
        var sim = cluster()
        let map: JSONValue = .object(["apiVersion": .string("v1"), "kind": .string("ConfigMap"),
                                      "metadata": .object(["name": .string("yunikorn-configs")]),
                                      "data": .object(["queues.yaml": .string(twoLeaves)])])
        let (created, _) = try sim.createConfigMap(map, namespace: "yunikorn", at: t0)
        #expect(sim.limits?.queues["root.payments.ledger"] != nil)
        var stale = created
        stale["metadata"]?["resourceVersion"] = .string("999")
        do {
            _ = try sim.replaceConfigMap(stale, namespace: "yunikorn", name: "yunikorn-configs", at: t0)
            Issue.record("a stale write was accepted")
        } catch {
            #expect(error.reason == .conflict)
        }
        var invalid = created
        invalid["data"] = .object(["queues.yaml": .string(twoLeaves.replacingOccurrences(of: "64Gi", with: "64GB"))])
        #expect(throws: SimClusterError.self) { _ = try sim.replaceConfigMap(invalid, namespace: "yunikorn", name: "yunikorn-configs", at: t0) }
        #expect(sim.limits?.queues["root.payments.ledger"] != nil, "the refused write left the old limits")
    }

    @Test func aGzippedConfigInBinaryDataIsDeployed() throws {
        var sim = cluster()
        let packed = Data(try Gzip.compress(Array(twoLeaves.utf8))).base64EncodedString()
        let map: JSONValue = .object(["apiVersion": .string("v1"), "kind": .string("ConfigMap"),
                                      "metadata": .object(["name": .string("yunikorn-configs")]),
                                      "data": .object(["queues.yaml": .string("partitions: []")]),
                                      "binaryData": .object(["queues.yaml.gz": .string(packed)])])
        _ = try sim.createConfigMap(map, namespace: "yunikorn", at: t0)
        #expect(sim.limits?.queues["root.payments.ledger.tier1"]?.maxApplications == 1, "binaryData wins over data, as in the shim")
        var other = map
        other["metadata"]?["name"] = .string("something-else")
        other["binaryData"] = .object(["queues.yaml.gz": .string("not base64!")])
        _ = try sim.createConfigMap(other, namespace: "yunikorn", at: t0)  // any other ConfigMap is only stored
    }

    struct SelectorCase: Sendable, CustomTestStringConvertible {
        var selector: String
        var selects: Bool
        var testDescription: String { "\(selector) → \(selects)" }
    }

    @Test(arguments: [
        SelectorCase(selector: "", selects: true),
        SelectorCase(selector: "app", selects: true),
        SelectorCase(selector: "app=ledger", selects: true),
        SelectorCase(selector: "app==ledger,tier=1", selects: true),
        SelectorCase(selector: "app!=ledger", selects: false),
        SelectorCase(selector: "!app", selects: false),
        SelectorCase(selector: "!missing, app", selects: true),
        SelectorCase(selector: "missing", selects: false),
        SelectorCase(selector: "tier!=2", selects: true),
    ])
    func labelSelectors(_ test: SelectorCase) throws {
        #expect(try LabelSelector(test.selector).matches(["app": "ledger", "tier": "1"]) == test.selects)
    }

    @Test func setBasedSelectorsAreRefused() {
        #expect(throws: SimClusterError.self) { _ = try LabelSelector("app in (a,b)") }
    }

    @Test(arguments: [("512m", Int64(512) << 20), ("4g", Int64(4) << 30), ("4G", Int64(4) << 30), ("2gb", Int64(2) << 30),
                      ("1024", Int64(1024) << 20), ("1k", Int64(1024))])
    func sparkMemorySizes(_ text: String, _ bytes: Int64) {
        #expect(SparkManifest.sparkMemory(text) == bytes)
    }

    @Test(arguments: ["", "4Gi", "4.5g", "-1g", "g"])
    func badSparkMemorySizes(_ text: String) {
        #expect(SparkManifest.sparkMemory(text) == nil)
    }
}
