import ArgumentParser
import Dashboards
import Foundation
import Parallel
import SafeFiles

/// `bursar bench export-floor EXPORT`: what writing a dashboards export costs on this machine with nothing
/// rendered. Every file of an export (`bursar dashboards export`) is read into memory, then written again into a new
/// folder beside it the way the export writes (one create and one write per file, no fsync, on every core), timed,
/// and removed. Given the CPU of the export's store read, it says what a target leaves for rendering.
struct BenchExportFloor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-floor",
        abstract: "Time writing an export's files again with nothing rendered: the floor of `bursar dashboards export` here."
    )

    @Argument(help: "A folder written by `bursar dashboards export`.")
    var export: String

    @Option(help: "Timed runs (each writes every file once; the fastest is the floor).")
    var runs = 2

    @Option(help: "The CPU seconds of the export's store read (`BURSAR_TRACE=1 bursar dashboards export` says it), to work out what is left for rendering.")
    var storeReadCPU: Double?

    @Option(help: "The export's target in seconds.")
    var target = 10.0

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: export).standardizedFileURL
        let manager = FileManager.default
        guard manager.fileExists(atPath: folder.appendingPathComponent(DashboardExport.marker).path) else {
            printError("bursar: bench export-floor: \(folder.path) is not a dashboards export (no \(DashboardExport.marker)); write one with `bursar dashboards export`")
            throw ExitCode(2)
        }
        let names = try manager.contentsOfDirectory(atPath: folder.path).filter { $0 != DashboardExport.marker }.sorted()
        let files = try names.map { name -> (String, [UInt8]) in
            (name, Array(try Data(contentsOf: folder.appendingPathComponent(name))))
        }
        let bytes = files.reduce(0) { $0 + $1.1.count }
        let views = names.filter { $0.hasSuffix(".html") }.count
        BenchMachine.print()
        print("input: \(folder.path): \(views) views, \(files.count) files, \(bytes) bytes (\(bytes / 1_000_000) MB)")

        // The copies are removed only after the last run: ext4 skips inodes freed in the last minutes when it
        // creates files, so a run right after removing 30,000 files measures the removal as much as the writing.
        var copies: [URL] = []
        defer { for copy in copies { try? manager.removeItem(at: copy) } }
        var fastest: Double = .infinity, leastCPU: Double = .infinity
        for run in 1...runs {
            let copy = folder.deletingLastPathComponent()
                .appendingPathComponent(".bursar-export-floor-\(ProcessInfo.processInfo.processIdentifier)-\(run)")
            try manager.createDirectory(at: copy, withIntermediateDirectories: false)
            copies.append(copy)
            let before = CPUTime.now(), started = DispatchTime.now().uptimeNanoseconds
            let failures = Concurrent.map(files) { file -> String? in
                do {
                    try DurableFiles.writeNew(copy.appendingPathComponent(file.0).path, file.1)
                    return nil
                } catch {
                    return "\(file.0): \(error)"
                }
            }.compactMap { $0 }
            let wall = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            let cpu = CPUTime.now() - before
            if let failure = failures.first {
                printError("bursar: bench export-floor: writing the copy failed: \(failure)")
                throw ExitCode(1)
            }
            fastest = min(fastest, wall)
            leastCPU = min(leastCPU, cpu.total)
            print(String(format: "run %d: wrote %d files, %d bytes, with nothing rendered in %.2f s (%.2f s user, %.2f s system CPU; %.1f MB/s)",
                         run, files.count, bytes, wall, cpu.user, cpu.system, Double(bytes) / 1e6 / wall))
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print(String(format: "floor: %.2f s (%.2f s of CPU) to write the export's files on %d cores", fastest, leastCPU, cores))
        if let storeReadCPU {
            // The most rendering could have, even if it overlapped the read and the writing perfectly.
            let budget = target * Double(cores), left = budget - storeReadCPU - leastCPU
            let perView = left > 0 ? String(format: "at most %.2f ms of CPU a view", left * 1000 / Double(max(views, 1))) : "nothing"
            print(String(format: "a %.0f-s export on %d cores has %.1f s of CPU: − %.2f (store read) − %.2f (writing) = %.2f s for rendering %d views, %@",
                         target, cores, budget, storeReadCPU, leastCPU, left, views, perView))
        }
    }
}
