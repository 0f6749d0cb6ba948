import ArgumentParser
import Foundation
import Diagnostics
import Ingest
import IngestPipeline
import InsightStore

/// `bursar ingest SOURCE…`: application summaries into the insight tables, with what was read.
struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Read application summaries (YuniKorn, Fluent Bit, YARN) into the insight tables.",
        discussion: """
        Each SOURCE is a log file, a folder (read recursively; hidden files and *.csv skipped), a .gz file, \
        an http(s):// URL or an s3://bucket/prefix (credentials from AWS_ACCESS_KEY_ID, \
        AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; AWS_REGION; AWS_ENDPOINT_URL_S3 for S3-compatible stores).

        Every line is counted: summaries (new or duplicate), skipped non-summary lines, and rejects (kept \
        with file, line and reason; see --show-rejects). Each batch is one transaction ending in a \
        checkpoint, so an interrupted run resumes where it stopped; sources already read are skipped.

        The cluster of a summary is its RmID; YARN lines, which have none, take the name of the folder the \
        file is in; --cluster overrides both.

        Exit codes: 0 ok, 1 usage, 2 a source or mapping file could not be read (the rest is still \
        ingested), 4 the reject rate is over --max-reject-rate.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Argument(help: "Files, folders, .gz files, http(s):// URLs or s3:// prefixes.")
    var sources: [String] = []

    @Option(help: "Folder with workflows.csv, projects.csv, owners.csv and job_apps.csv (any of them) to load first.")
    var mappings: String?

    @Option(help: "Output format: text for people, json for scripts.")
    var format: Format = .text

    @Flag(help: "List every line rejected in this run with its file, line and reason.")
    var showRejects = false

    @Option(help: "Exit 4 when more than this fraction of summary lines are rejected (e.g. 0.01).")
    var maxRejectRate: Double?

    @Option(help: "The cluster of every summary read (overrides RmID and folder names).")
    var cluster: String?

    @Flag(help: "Read every source from the start, even those a checkpoint marks as done.")
    var rescan = false

    @Option(help: "Lines per batch (one transaction and checkpoint each).")
    var batchLines: Int = 50_000

    @OptionGroup var store: StoreOption

    func validate() throws {
        if sources.isEmpty && mappings == nil {
            throw ValidationError("give at least one source to read, or --mappings DIR")
        }
        if let rate = maxRejectRate, !(0...1).contains(rate) {
            throw ValidationError("--max-reject-rate \(rate) is not a fraction between 0 and 1 (0.01 = 1%)")
        }
        if batchLines < 1 { throw ValidationError("--batch-lines must be at least 1") }
        if let cluster, cluster.isEmpty { throw ValidationError("--cluster needs a name") }
    }

    func run() throws {
        let insights = try store.open()
        let started = ContinuousClock.now
        var failed = false

        var mappingErrors: [String] = []
        var update: MappingUpdate?
        if let mappings {
            let (loaded, files, problems, unreadable) = MappingFolder.read(mappings)
            Trace.say("mapping files read in \(Trace.seconds(ContinuousClock.now - started)) s")
            mappingErrors = problems.map(\.description)
            for problem in mappingErrors { printError("bursar: mappings: \(problem) (row skipped)") }
            if let unreadable {
                printError("bursar: \(unreadable)")
                failed = true
            }
            if !files.isEmpty { update = MappingUpdate(mappings: loaded, files: files) }
        }

        var options = IngestOptions()
        options.batchLines = batchLines
        options.cluster = cluster
        options.rescan = rescan
        let report = try Ingester(store: insights, options: options).ingest(sources, mappings: update)
        let seconds = (ContinuousClock.now - started).seconds
        Trace.say("ingest returned \(Trace.seconds(ContinuousClock.now - started)) s after the store was opened")
        for problem in report.mappingConflicts.map(\.description) {
            printError("bursar: mappings: \(problem)")
            mappingErrors.append(problem)
        }
        for error in report.errors {
            printError("bursar: \(error)")
            failed = true
        }

        switch format {
        case .text: print(text(report, seconds: seconds, mappingErrors: mappingErrors.count, location: insights.location))
        case .json: print(json(report, seconds: seconds, mappingErrors: mappingErrors.count), terminator: "")
        }
        if showRejects {
            for reject in report.rejected {
                let excerpt = reject.text.count > 160 ? String(reject.text.prefix(160)) + "…" : reject.text
                print("\(reject.source):\(reject.line): rejected: \(reject.reason)\n    \(excerpt)")
            }
            if report.rejects > report.rejected.count {
                print("… \(report.rejects - report.rejected.count) more rejects in the store's rejects table")
            }
        }
        if failed { throw ExitCode(2) }
        if let maxRejectRate, report.rejectRate > maxRejectRate {
            printError(String(format: "bursar: reject rate %.4f is over --max-reject-rate %g", report.rejectRate, maxRejectRate))
            throw ExitCode(4)
        }
    }

    private func text(_ r: IngestReport, seconds: Double, mappingErrors: Int, location: StoreLocation) -> String {
        let megabytes = Double(r.bytes) / 1_000_000
        var lines: [String] = []
        let unchanged = r.unchangedFiles > 0 ? " (\(r.unchangedFiles) unchanged since the last run, skipped)" : ""
        lines.append("ingested \(r.files) source(s)\(unchanged): \(r.lines) lines, "
            + String(format: "%.1f MB in %.2f s (%.0f MB/s)", megabytes, seconds, seconds > 0 ? megabytes / seconds : 0))
        lines.append("  summaries     \(r.summaries) (\(r.newApps) new, \(r.duplicates) duplicates)")
        lines.append("  skipped       \(r.skipped) non-summary lines")
        lines.append("  rejects       \(r.rejects)" + (r.rejects > 0
            ? String(format: " (%.2f%% of summary lines; --show-rejects lists them)", r.rejectRate * 100) : ""))
        lines.append("  unattributed  \(r.unattributed) new apps with no mapping and no root.<org>.<project>.tier<N> queue")
        if mappingErrors > 0 { lines.append("  mapping rows skipped: \(mappingErrors)") }
        lines.append("store: \(location)")
        return lines.joined(separator: "\n")
    }

    private func json(_ r: IngestReport, seconds: Double, mappingErrors: Int) -> String {
        jsonText([
            "files": r.files, "unchanged_files": r.unchangedFiles, "bytes": r.bytes, "lines": r.lines,
            "summaries": r.summaries, "new_apps": r.newApps, "duplicates": r.duplicates, "skipped": r.skipped,
            "rejects": r.rejects, "unattributed": r.unattributed, "reject_rate": r.rejectRate,
            "mapping_errors": mappingErrors, "seconds": seconds,
            "errors": r.errors.map(\.description),
        ] as [String: Any])
    }
}

extension Duration {
    /// The duration in seconds, as a double.
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
