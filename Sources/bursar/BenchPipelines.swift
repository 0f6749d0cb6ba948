import ArgumentParser
import Foundation
import Synth
import Workflows
import Scheduler

/// Loads and checks generated workflow definitions in Spinner's stress shape, from files on disk.
struct BenchPipelines: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipelines",
        abstract: "Time reading and validating --workflows definitions of --jobs jobs (chains and fan-outs up to 10 wide)."
    )

    @Option(help: "How many workflows.")
    var workflows = 3000

    @Option(help: "Jobs per workflow.")
    var jobs = 200

    @Option(help: "How many timed runs (after one warm-up).")
    var runs = 3

    @Option(help: "Write the definitions (and a mappings folder beside them) here and keep them, to time `bursar pipelines validate` as a process.")
    var write: String?

    func run() throws {
        let folder = write ?? NSTemporaryDirectory() + "bursar-bench-pipelines-\(getpid())"
        let pipelines = folder + "/Pipelines"
        let files = SyntheticPipelines.files(workflows: workflows, jobs: jobs)
        let bytes = try SyntheticPipelines.write(files, to: folder)
        defer { if write == nil { try? FileManager.default.removeItem(atPath: folder) } }

        BenchMachine.print()
        print("input: \(files.count) workflows × \(jobs) jobs = \(files.count * jobs) jobs in \(files.count) files, \(bytes) bytes of YAML (\(pipelines))")

        let context = PipelineContext(projects: Set((0..<100).map { "proj-" + String(repeating: "0", count: 3 - String($0).count) + String($0) }))
        var readTimes: [Double] = [], checkTimes: [Double] = [], totals: [Double] = []
        var verdict = ""
        for run in 0...runs {
            let start = ContinuousClock.now
            let (sources, unreadable) = PipelineFiles.read([pipelines])
            let read = ContinuousClock.now
            let catalog = PipelineCheck.check(sources, context: context, readFile: PipelineFiles.readSparkFile)
            let end = ContinuousClock.now
            verdict = "\(catalog.workflows.count) workflows valid, \(catalog.jobs) jobs, \(catalog.errors) errors, \(catalog.warnings) warnings, \(unreadable.count) unreadable"
            guard run > 0 else { continue }
            readTimes.append((read - start).seconds * 1000)
            checkTimes.append((end - read).seconds * 1000)
            totals.append((end - start).seconds * 1000)
        }
        print("verdict: \(verdict)")
        func summary(_ name: String, _ values: [Double]) {
            let sorted = values.sorted()
            print(String(format: "%@: median %.0f ms, min %.0f ms, max %.0f ms over %d runs", name,
                         sorted[sorted.count / 2], sorted.first!, sorted.last!, sorted.count))
        }
        summary("load and validate (read files, parse, DAG, router checks, across files)", totals)
        summary("  part: read the files", readTimes)
        summary("  part: parse and check", checkTimes)
    }
}
