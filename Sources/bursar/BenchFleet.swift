import ArgumentParser
import Dashboards
import Foundation
import InsightStore
import Store
import Synth

/// `bursar bench fleet`: the fleet dashboards over a generated platform: a store of --queues leaf queues on
/// --clusters clusters with hourly usage over --days days and a plan archived every night (each night changing a
/// few queues, so every night's files are decoded), then the snapshot's read and each fleet page timed and sized.
struct BenchFleet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Time reading the fleet history and rendering the Queues, Queue and Allocation pages over a generated platform."
    )

    @Option(help: "Leaf queues to generate.")
    var queues = 5_000

    @Option(help: "Clusters to spread them over.")
    var clusters = 5

    @Option(help: "Days of usage and nightly plans.")
    var days = 30

    @Option(help: "Share of hours in which a queue uses anything (1: every hour, the most rows).")
    var active = 0.5

    @Option(help: "Timed runs (the best and the median are printed).")
    var runs = 3

    @Option(help: "Keep the generated SQLite store at this path (default: a temporary file, removed after).")
    var keep: String?

    func validate() throws {
        guard queues >= 3, clusters >= 1, (1...DashboardSnapshot.maxDays).contains(days), active > 0, active <= 1 else {
            throw ValidationError("--queues ≥ 3, --clusters ≥ 1, --days 1…\(DashboardSnapshot.maxDays) and --active in (0, 1]")
        }
    }

    func run() throws {
        BenchMachine.print()
        let path = keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("bursar-bench-fleet-\(UUID().uuidString).sqlite").path
        defer {
            if keep == nil {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
        }
        let store = try InsightStore(.sqlite(path: path))
        let dayMillis: Int64 = 86_400_000, hourMillis: Int64 = 3_600_000
        let end: Int64 = 1_794_268_800_000 // 2026-11-09 00:00 UTC
        let start = end - Int64(days) * dayMillis

        // The platform: queue k is root.org<k/60>.project<k/3>.tier<k%3+1> on cluster (k/3) % clusters.
        struct Queue { var cluster: String; var path: String; var cores: Int }
        var generator = SplitMix64(seed: 18)
        let platform = (0..<queues).map { k in
            Queue(cluster: "c\((k / 3) % clusters)", path: "root.org\(k / 60).project\(k / 3).tier\(k % 3 + 1)", cores: 1 + Int(generator.next() % 40))
        }

        var clock = ContinuousClock.now
        var rows = 0
        let insert = try store.connection.prepareStatement("""
            INSERT INTO queue_hours (cluster, queue, hour, app_ms, apps_started, vcore, memory, pods) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try store.connection.transaction {
            for queue in platform {
                var hour = start
                while hour < end {
                    if Double(generator.next() % 10_000) < active * 10_000 {
                        let cores = Double(queue.cores) * (0.2 + Double(generator.next() % 1_000) / 700)
                        _ = try insert.run([.text(queue.cluster), .text(queue.path), .integer(hour), .integer(hourMillis), .integer(1),
                                            .integer(Int64(cores * 1000 * 3600)), .integer(Int64(cores * 4 * 1_073_741_824 * 3600)),
                                            .integer(Int64(cores) * 3600)])
                        rows += 1
                    }
                    hour += hourMillis
                }
            }
        }
        print("store: \(path), \(rows) queue hours of \(queues) queues on \(clusters) clusters over \(days) days (\(Int(active * 100))% of hours active), written in \(format((ContinuousClock.now - clock).seconds)) s")

        // A plan every night; each night moves 1% of the queues' guaranteed and places a few on another cluster.
        clock = ContinuousClock.now
        var yamlBytes = 0
        for d in 0..<days {
            let night = Date(timeIntervalSince1970: Double(start + Int64(d) * dayMillis) / 1000)
            let name = Self.dateFormatter.string(from: night)
            var leaves: [String: [(path: String, guaranteed: Int, max: Int)]] = [:]
            for (k, queue) in platform.enumerated() {
                let bump = k % 100 == d % 100 ? 1 + d % 3 : 0
                let cluster = k % 500 == d % 500 ? "c\((k / 3 + 1) % clusters)" : queue.cluster
                leaves[cluster, default: []].append((queue.path, queue.cores + bump, (queue.cores + bump) * 3))
            }
            var configs: [String: String] = [:]
            for (cluster, list) in leaves {
                configs[cluster] = Self.yaml(list)
                yamlBytes += configs[cluster]!.utf8.count
            }
            try store.commitPlan(ArchivedPlan(night: name, planID: "bench-\(name)", plannedAt: start + Int64(d + 1) * dayMillis - 60_000,
                                              windowStart: start, windowEnd: start + Int64(d + 1) * dayMillis, previousSource: d == 0 ? "none" : "night",
                                              previousNight: d == 0 ? nil : Self.dateFormatter.string(from: night.addingTimeInterval(-86_400)),
                                              configs: configs), routing: [])
        }
        print("plans: \(days) nights, \(yamlBytes / days / 1024) KiB of queues.yaml a night, archived in \(format((ContinuousClock.now - clock).seconds)) s")

        // The read the dashboards make, and each page.
        var loads: [Double] = [], fleetLoads: [Double] = []
        var snapshot: DashboardSnapshot?
        for _ in 0..<max(1, runs) {
            clock = ContinuousClock.now
            _ = try FleetHistory.load(from: store, from: start, to: end)
            fleetLoads.append((ContinuousClock.now - clock).seconds)
            clock = ContinuousClock.now
            snapshot = try DashboardSnapshot.load(from: store, days: days, now: end)
            loads.append((ContinuousClock.now - clock).seconds)
        }
        print("FleetHistory.load: best \(format(fleetLoads.min()!)) s, median \(format(median(fleetLoads))) s; DashboardSnapshot.load: best \(format(loads.min()!)) s")
        let site = DashboardSite()
        let details = PrefetchedWorkflowDetails([:], from: start)
        let busy = platform[0]
        let views: [(String, String)] = [
            ("queues", ""), ("queues", "state=borrowing"), ("queues", "page=2"), ("queues", "org=org3"), ("queues", "org=org3&project=project61"),
            ("queue", "cluster=\(busy.cluster)&queue=\(busy.path)"), ("allocation", ""), ("allocation", "page=2"), ("overview", ""),
        ]
        for (page, query) in views {
            let (view, _) = try DashboardView.parse(path: page, query: query)
            var times: [Double] = [], models: [Double] = []
            var bytes = 0
            for _ in 0..<max(1, runs) {
                clock = ContinuousClock.now
                let model = try site.page(view, snapshot: snapshot!, details: details, linker: .server)
                models.append((ContinuousClock.now - clock).seconds)
                let html = site.html(model, snapshot: snapshot!, linker: .server, session: nil)
                times.append((ContinuousClock.now - clock).seconds)
                bytes = html.utf8.count
            }
            print("  \(page)\(query.isEmpty ? "" : "?" + query): render best \(format(times.min()! * 1000)) ms (page model \(format(models.min()! * 1000)) ms), "
                  + "median \(format(median(times) * 1000)) ms, \(bytes / 1024) KiB")
        }
    }

    static let dateFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return formatter
    }()

    /// A queues.yaml of leaves `root.<org>.<project>.<tier>`, grouped as the allocator writes them.
    static func yaml(_ leaves: [(path: String, guaranteed: Int, max: Int)]) -> String {
        var text = "partitions:\n  - name: default\n    queues:\n      - name: root\n        queues:\n"
        var org = "", project = ""
        for leaf in leaves.sorted(by: { $0.path < $1.path }) {
            let parts = leaf.path.split(separator: ".")
            if parts[1] != org {
                org = String(parts[1])
                project = ""
                text += "          - name: \(org)\n            queues:\n"
            }
            if parts[2] != project {
                project = String(parts[2])
                text += "              - name: \(project)\n                queues:\n"
            }
            text += "                  - name: \(parts[3])\n                    resources:\n"
            text += "                      guaranteed: {vcore: \(leaf.guaranteed), memory: \(leaf.guaranteed * 4)Gi}\n"
            text += "                      max: {vcore: \(leaf.max), memory: \(leaf.max * 4)Gi}\n"
        }
        return text
    }

    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    func format(_ value: Double) -> String { String(format: "%.2f", value) }
}
