import ArgumentParser
import Clusters
import Foundation

/// `bursar bench journal`: how long a router in dry-run mode takes to start on a large journal, and what
/// it holds in memory after.
struct BenchJournal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Write a dry-run journal of --lines SparkApplication creates, then time restarting on it."
    )

    @Option(help: "How many creates the journal holds.")
    var lines = 1_000_000

    @Option(help: "Folder for the journal (default: a new temporary folder, removed after).")
    var dir: String?

    @Option(help: "How many of the last creates the index does not cover in the crash case (at most the merge interval).")
    var unindexed = 60_000

    @Flag(help: "Only time restarting on the journal already in --dir (a fresh process, so its memory is the target's alone).")
    var restartOnly = false

    func run() throws {
        if restartOnly, let dir {
            let before = Self.residentKB()
            let start = DispatchTime.now().uptimeNanoseconds
            let target = try DryRunTarget(cluster: "moka-a", journal: dir + "/moka-a.jsonl")
            let time = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print(String(format: "restart %.3f s; resident memory %d MiB before, %d MiB after, peak %d MiB%@", time, before / 1024,
                         Self.residentKB() / 1024, Self.residentKB("VmHWM:") / 1024,
                         target.recovery.map { " (\($0.bytes) torn bytes set aside)" } ?? ""))
            return
        }
        let folder = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("bursar-bench-journal-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: folder) } }
        let journal = folder + "/moka-a.jsonl"
        BenchMachine.print()
        func seconds(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        // A manifest as the router sends one (about 1 KB).
        func manifest(_ index: Int) -> [UInt8] {
            let name = "ledger-features-reconcile-\(String(UInt64(index) &* 0x9E37_79B9_7F4A_7C15, radix: 36))"
            return Array("""
                {"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"SparkApplication","metadata":{"name":"\(name)","namespace":"spark",\
                "labels":{"bursar.dev/workflow":"ledger-features","bursar.dev/project":"ledger","bursar.dev/tier":"1",\
                "bursar.dev/job":"reconcile","bursar.dev/run-id":"ledger-features-20261122T0245","bursar.dev/scheduled-at":"20261122T024500Z"},\
                "annotations":{"bursar.dev/submitted-name":"ledger-features-reconcile"}},"spec":{"type":"Scala","mode":"cluster",\
                "image":"spark:3.5.3","mainApplicationFile":"local:///opt/jobs/reconcile.jar","sparkVersion":"3.5.3",\
                "batchScheduler":"yunikorn","batchSchedulerOptions":{"queue":"root.payments.ledger.tier1"},\
                "driver":{"cores":1,"memory":"2g","schedulerName":"yunikorn","labels":{"yunikorn.apache.org/queue":"root.payments.ledger.tier1",\
                "yunikorn.apache.org/app-id":"\(name)"}},"executor":{"instances":2,"cores":2,"memory":"4g","schedulerName":"yunikorn",\
                "labels":{"yunikorn.apache.org/queue":"root.payments.ledger.tier1","yunikorn.apache.org/app-id":"\(name)"}}}}
                """.utf8)
        }
        let early = max(0, lines - unindexed)
        var write = 0.0
        write += try seconds {
            let target = try DryRunTarget(cluster: "moka-a", journal: journal)
            for index in 0..<early { _ = try target.createSparkApplication(namespace: nil, manifestJSON: manifest(index)) }
        }
        let earlyIndex = try Data(contentsOf: URL(fileURLWithPath: journal + ".index"))
        write += try seconds {
            let target = try DryRunTarget(cluster: "moka-a", journal: journal)
            for index in early..<lines { _ = try target.createSparkApplication(namespace: nil, manifestJSON: manifest(index)) }
        }
        let size = (try FileManager.default.attributesOfItem(atPath: journal)[.size] as? Int) ?? 0
        print("input: \(lines) creates, \(size) bytes of journal (\(size / max(1, lines)) bytes a line); written in "
              + String(format: "%.1f s (%.0f lines/s)", write, Double(lines) / write))

        func restart(_ label: String) throws {
            let before = Self.residentKB()
            var target: DryRunTarget?
            let time = try seconds { target = try DryRunTarget(cluster: "moka-a", journal: journal) }
            let after = Self.residentKB()
            let probe = try seconds {
                for index in stride(from: 0, to: lines, by: max(1, lines / 1000)) {
                    let name = "ledger-features-reconcile-\(String(UInt64(index) &* 0x9E37_79B9_7F4A_7C15, radix: 36))"
                    _ = try target!.sparkApplicationStatus(namespace: nil, name: name)
                }
            }
            let lookups = (lines + max(1, lines / 1000) - 1) / max(1, lines / 1000)
            print(String(format: "%@: restart %.3f s, resident memory +%d MiB; %d status reads of old apps %.1f µs each%@",
                         label, time, (after - before) / 1024, lookups, probe / Double(lookups) * 1e6,
                         target!.recovery.map { " (\($0.bytes) torn bytes set aside)" } ?? ""))
        }
        try restart("clean stop (index covers every line)")
        // A kill -9: the index as the last merge left it, and half a line at the end.
        try earlyIndex.write(to: URL(fileURLWithPath: journal + ".index"))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: journal))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(manifest(lines).prefix(500)))
        try handle.close()
        try restart("kill -9 (\(lines - early) lines after the index, a torn last line)")
        try FileManager.default.removeItem(atPath: journal + ".index")
        try restart("no index (rebuilt from the whole journal)")
    }

    /// This process's resident set, in KiB (Linux).
    static func residentKB(_ field: String = "VmRSS:") -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix(field) {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }
}
