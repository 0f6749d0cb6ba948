import ArgumentParser
import Foundation
import Gzip
import Synth

/// `bursar synth OUT`: a synthetic but realistic history in every input shape, with mappings.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic but realistic history (logs in every shape, mappings) for demos, tests and benchmarks.",
        discussion: """
        Writes OUT/logs/<cluster>/{yunikorn,yunikorn-1.4,fluentbit}-DAY.log, OUT/yarn/<cluster>/rm-appsummary-DAY.log, \
        OUT/mappings/{workflows,projects,owners,job_apps}.csv and OUT/manifest.json (the truth: counts per \
        shape, malformed lines, duplicates, per-queue usage, SLO runs met and missed). The same options \
        always give the same bytes. Then: bursar ingest OUT/logs OUT/yarn --mappings OUT/mappings
        """
    )

    @Argument(help: "Output folder (created if needed; other files in it are left alone).")
    var out: String

    @Option(help: "Days of history.")
    var days: Int = 14

    @Option(help: "Last day (YYYY-MM-DD, UTC).")
    var end: String = "2026-11-20"

    @Option(help: "Clusters, comma-separated; the first has GPUs.")
    var clusters: String = "moka-a,moka-b"

    @Option(help: "Applications per weekday, all clusters together.")
    var appsPerDay: Int = 800

    @Option(help: "Exactly this many summary lines in all (overrides --apps-per-day).")
    var lines: Int?

    @Option(help: "Other log lines per summary line.")
    var noiseRatio: Double = 1.0

    @Option(help: "Share of summary lines that are malformed (and must be rejected).")
    var malformedRatio: Double = 0.001

    @Option(help: "Share of summaries that appear twice.")
    var duplicateRatio: Double = 0.002

    @Option(help: "Seed of every random choice.")
    var seed: UInt64 = 1

    @Flag(help: "Write .log.gz files.")
    var gzip = false

    func options() throws -> SynthOptions {
        var options = SynthOptions()
        options.seed = seed
        options.days = days
        guard let date = SynthDate(iso: end) else { throw ValidationError("--end \(end) is not a date (YYYY-MM-DD)") }
        options.endDate = date
        let names = clusters.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        options.clusters = names.enumerated().map { SynthCluster($0.element, hasGPU: $0.offset == 0) }
        options.appsPerDay = appsPerDay
        options.totalSummaryLines = lines
        options.noiseRatio = noiseRatio
        options.malformedRatio = malformedRatio
        options.duplicateRatio = duplicateRatio
        options.compress = gzip
        let problems = options.problems
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
        return options
    }

    func validate() throws { _ = try options() }

    func run() throws {
        let started = ContinuousClock.now
        let manifest: SynthManifest
        do {
            manifest = try SynthWriter.write(try options(), to: out, compressor: { try Gzip.compress($0, level: 1) })
        } catch {
            printError("bursar: synth \(out): \(error)")
            throw ExitCode(2)
        }
        let c = manifest.counts
        let seconds = (ContinuousClock.now - started).seconds
        print("wrote \(manifest.files.count) files to \(out): \(c.lines) lines, \(c.bytes) bytes in "
            + String(format: "%.2f s", seconds))
        print("  summary lines \(c.totalSummaryLines) (\(c.apps) apps, \(c.duplicateLines) duplicates), "
            + "malformed \(c.malformedLines.values.reduce(0, +)), noise \(c.noiseLines)")
        print("  \(manifest.orgs) orgs, \(manifest.projects) projects, \(manifest.workflows) workflows "
            + "(\(manifest.lateWorkflows.count) chronically late); \(c.workflowRuns) runs")
    }
}
