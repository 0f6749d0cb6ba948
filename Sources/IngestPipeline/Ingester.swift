import Foundation
public import Ingest
import Insights
public import InsightStore

/// How an ingest run behaves.
public struct IngestOptions: Sendable {
    /// Lines per batch: one transaction and one checkpoint each.
    public var batchLines: Int = 50_000
    /// The cluster of every summary read, overriding RmID and the folder name.
    public var cluster: String?
    /// Read sources again from the start even when their checkpoint says they are done.
    public var rescan: Bool = false
    /// The process environment (S3 credentials), injected for tests.
    public var environment: [String: String] = ProcessInfo.processInfo.environment

    public init() {}
}

/// What an ingest run read and stored. `summaries` counts well-formed summary lines read;
/// `duplicates` those whose application was already stored (or repeated in this run); `newApps` the rest.
public struct IngestReport: Sendable, Equatable {
    public var files = 0
    /// Sources skipped because their checkpoint shows them complete and unchanged.
    public var unchangedFiles = 0
    public var bytes: Int64 = 0
    public var lines = 0
    public var summaries = 0
    public var duplicates = 0
    public var skipped = 0
    public var rejects = 0
    public var unattributed = 0
    public var newApps = 0
    /// Sources that could not be read; the others were still ingested.
    public var errors: [SourceError] = []
    /// The lines rejected in this run (the first `IngestReport.rejectedKept`; all are in the store).
    public var rejected: [RejectRecord] = []
    /// How many rejected lines a report keeps in memory.
    public static let rejectedKept = 10_000

    public init() {}

    /// Rejected lines as a share of all summary lines (well-formed or not).
    public var rejectRate: Double {
        let attempted = summaries + rejects
        return attempted == 0 ? 0 : Double(rejects) / Double(attempted)
    }
}

/// Reads sources into the insight tables, batch by batch, each batch one transaction ending with the
/// source's checkpoint: a crash or kill loses at most the batch in flight, and the next run resumes
/// after the last committed one without duplicating anything.
///
/// Parsing (pure, CPU-bound) of the next batch overlaps with writing the current one.
public final class Ingester {
    private let store: InsightStore
    private let mappings: Mappings
    private let options: IngestOptions

    public init(store: InsightStore, mappings: Mappings, options: IngestOptions = IngestOptions()) {
        self.store = store
        self.mappings = mappings
        self.options = options
    }

    /// Ingests every source (files, folders, `.gz`, `http(s)://`, `s3://`) and refreshes the workflow
    /// runs. Unreadable sources are reported in `errors`; store failures throw.
    public func ingest(_ arguments: [String]) throws -> IngestReport {
        var report = IngestReport()
        let reader = SourceReader(environment: options.environment)
        for argument in arguments {
            let objects: [SourceObject]
            do {
                objects = try SourceCatalog.expand(argument, environment: options.environment)
            } catch {
                report.errors.append(error)
                continue
            }
            for object in objects {
                do {
                    try ingest(object, reader: reader, into: &report)
                } catch let error as SourceError {
                    report.errors.append(error)
                }
            }
        }
        try store.refreshWorkflowRuns()
        return report
    }

    private func ingest(_ object: SourceObject, reader: SourceReader, into report: inout IngestReport) throws {
        let raw = try reader.raw(object)
        let fingerprint = SourceReader.fingerprint(raw)
        let previous = options.rescan ? nil : try store.checkpoint(source: object.name)
        report.files += 1
        if let previous, previous.complete, previous.fingerprint == fingerprint, previous.size == Int64(raw.count) {
            report.unchangedFiles += 1
            return
        }
        let content = try reader.content(of: raw, name: object.name)
        report.bytes += Int64(content.count)
        // Resume only where the content is provably the same one that was read before.
        var offset = 0
        var lineNumber: Int64 = 0
        if let previous, previous.fingerprint == fingerprint, previous.offset <= Int64(content.count) {
            offset = Int(previous.offset)
            lineNumber = previous.lines
        }
        let cluster = options.cluster
        let folder = object.folderName
        let batches = Self.split(content, from: offset, linesPerBatch: max(1, options.batchLines))
        guard !batches.isEmpty else {
            try store.record(SourceCheckpoint(source: object.name, fingerprint: fingerprint, size: Int64(raw.count),
                                              offset: Int64(content.count), lines: lineNumber, complete: true))
            return
        }

        // A pipeline: workers parse the next batches (pure, CPU-bound) while this thread writes the current one.
        let shared = SharedContent(bytes: content)
        let mappings = self.mappings
        let name = object.name
        @Sendable func parse(_ index: Int, firstLine: Int64) -> ParsedBatch {
            BatchParser.parse(shared.bytes, range: batches[index].range, firstLine: firstLine, source: name,
                              clusterOverride: cluster, folderCluster: folder, mappings: mappings)
        }
        // First line number of every batch, known up front so batches can be parsed in any order.
        var firstLines: [Int64] = []
        var next = lineNumber + 1
        for batch in batches {
            firstLines.append(next)
            next += Int64(batch.lines)
        }
        let lookahead = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var inFlight: [Int: Pending] = [:]
        for index in batches.indices {
            // Keep `lookahead` batches parsing ahead on other cores while this thread writes.
            for ahead in index..<min(index + lookahead + 1, batches.count) where inFlight[ahead] == nil {
                let first = firstLines[ahead]
                inFlight[ahead] = Pending(async: { parse(ahead, firstLine: first) })
            }
            let current = inFlight.removeValue(forKey: index)!.wait()
            let firstLine = firstLines[index] + Int64(batches[index].lines)
            let end = batches[index].range.upperBound
            let checkpoint = SourceCheckpoint(source: object.name, fingerprint: fingerprint, size: Int64(raw.count),
                                              offset: Int64(end), lines: firstLine - 1, complete: end == content.count)
            let outcome = try store.write(IngestBatch(apps: current.apps, rejects: current.rejects,
                                                      hourly: current.hourly, checkpoint: checkpoint))
            report.lines += batches[index].lines
            report.summaries += current.apps.count + current.repeatedInBatch
            report.duplicates += outcome.duplicates + current.repeatedInBatch
            report.newApps += outcome.inserted
            report.unattributed += outcome.unattributed
            report.skipped += current.skipped
            report.rejects += current.rejects.count
            report.rejected += current.rejects.prefix(IngestReport.rejectedKept - report.rejected.count)
        }
    }

    struct Batch: Sendable {
        var range: Range<Int>
        var lines: Int
    }

    /// Cuts content into batches of whole lines (a last line without a newline counts as a line).
    static func split(_ content: [UInt8], from offset: Int, linesPerBatch: Int) -> [Batch] {
        var batches: [Batch] = []
        content.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var start = offset
            var position = offset
            var lines = 0
            while position < buffer.count {
                guard let hit = memchr(base + position, 10, buffer.count - position) else {
                    position = buffer.count
                    lines += 1
                    break
                }
                position = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base + 1
                lines += 1
                if lines == linesPerBatch {
                    batches.append(Batch(range: start..<position, lines: lines))
                    start = position
                    lines = 0
                }
            }
            if lines > 0 { batches.append(Batch(range: start..<position, lines: lines)) }
        }
        return batches
    }
}

/// Content shared read-only between the writer and the parsing worker.
final class SharedContent: Sendable {
    let bytes: [UInt8]
    init(bytes: [UInt8]) { self.bytes = bytes }
}

/// A batch being parsed on another thread (or already parsed).
struct Pending {
    private final class Box: @unchecked Sendable {
        // Written once by the worker before `group.leave()`, read after `group.wait()`: the group orders them.
        var value: ParsedBatch?
    }

    private let box = Box()
    private let group = DispatchGroup()

    init(async work: @escaping @Sendable () -> ParsedBatch) {
        let box = self.box
        group.enter()
        let group = self.group
        DispatchQueue.global(qos: .userInitiated).async {
            box.value = work()
            group.leave()
        }
    }

    func wait() -> ParsedBatch {
        group.wait()
        return box.value!
    }
}
