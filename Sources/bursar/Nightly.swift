import Allocation
import ArgumentParser
import Foundation
import NightlyPlan
import QueueConfig

/// `bursar nightly`: ingest → allocate → validate → write, with a short summary for people.
struct NightlyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nightly",
        abstract: "The nightly job: ingest the day's summaries, allocate, validate and write the queue plan.",
        discussion: """
        With no SOURCE it runs on the bundled sample (Examples/sample: its logs, YARN summaries and mappings) \
        with the embedded store .bursar/bursar.sqlite, so a fresh clone can try the whole loop. Ingest is \
        `bursar ingest` (sources already read are skipped), the allocation is `bursar allocate` (for --night, \
        by default the day of the newest usage; a rerun of a night with no new data writes the same files); \
        every file written is validated again from disk afterwards.

        Exit codes: as ingest (2, 4) and allocate (2, 5); 3 if a written file fails validation.
        """
    )

    static let sample = "Examples/sample"

    @Argument(help: "Sources to ingest (as for bursar ingest); default: the bundled sample's logs and yarn folders.")
    var sources: [String] = []

    @Option(help: "Mapping folder to load first; default with no SOURCE: the bundled sample's.")
    var mappings: String?

    @OptionGroup var options: AllocationOptions
    var files: AllocationFiles { options.files }

    @OptionGroup var store: StoreOption

    func run() throws {
        // Held from before the ingest to the end: an interrupted plan is finished or undone first, and no other
        // run writes --out meanwhile.
        let insights = try store.open()
        let lock = try exitOnFailure { try AllocationJob.lockAndRecover(out: files.out, store: insights, dryRun: files.dryRun, log: printError) }
        defer { withExtendedLifetime(lock) {} }

        var ingestArguments = sources.isEmpty ? ["\(Self.sample)/logs", "\(Self.sample)/yarn"] : sources
        if let mappings = mappings ?? (sources.isEmpty ? "\(Self.sample)/mappings" : nil) {
            ingestArguments += ["--mappings", mappings]
        }
        if let location = store.store { ingestArguments += ["--store", location] }
        // The same code path as `bursar ingest` (its output is the first part of the summary).
        let ingest = try IngestCommand.parse(ingestArguments)
        try ingest.validate()
        try ingest.run()

        let outcome = try exitOnFailure { try AllocationJob(files: files, exportDirectory: nil, log: printError).run(store: insights) }
        print("")
        print(outcome.context.line(windowStart: outcome.plan.windowStart, windowEnd: outcome.plan.windowEnd))
        print(AllocationReport.summary(outcome.plan))

        // Validate what is on disk now, as a deploy step would read it.
        var invalid: [String] = []
        for path in outcome.written where path.hasSuffix("queues.yaml") || path.hasSuffix("configmap.yaml") {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { invalid.append("\(path): unreadable"); continue }
            let report = FileReport.check(text: text, file: path)
            if report.outcome(strict: false) != .valid { invalid.append(report.text()) }
        }
        if files.dryRun {
            print("dry run: nothing written")
        } else {
            let configs = outcome.written.filter { $0.hasSuffix(".yaml") }
            let changed = outcome.changed.filter { $0.hasSuffix(".yaml") }
            print("wrote \(configs.count) configuration files (\(changed.count) changed\(changed.isEmpty ? "" : ": " + changed.joined(separator: ", "))), all valid: \(invalid.isEmpty ? "yes" : "NO"); routing table: \(outcome.plan.queues.count) routes; report: \(files.reportDir)/report.md")
        }
        if !invalid.isEmpty {
            for line in invalid { printError(line) }
            throw ExitCode(3)
        }
    }
}
