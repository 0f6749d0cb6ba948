import Foundation
public import Diagnostics
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
    /// Content read from one source at a time (a segment of whole lines): with the few segments parsed
    /// ahead, what bounds the ingester's memory however large a log is.
    public var segmentBytes: Int = 32 << 20
    /// Longest line read; a longer one is skipped, or rejected when it carries a summary marker.
    public var lineBytes: Int = SummaryLimits.lineBytes

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
    /// Mapping file rows refused because they contradict the store (the rows are skipped).
    public var mappingConflicts: [MappingProblem] = []

    public init() {}

    /// Rejected lines as a share of all summary lines (well-formed or not).
    public var rejectRate: Double {
        let attempted = summaries + rejects
        return attempted == 0 ? 0 : Double(rejects) / Double(attempted)
    }
}

/// Mapping files read for this run (any of the four), to apply before attributing.
public struct MappingUpdate: Sendable {
    public var mappings: Mappings
    public var files: Set<MappingFile>

    public init(mappings: Mappings, files: Set<MappingFile>) {
        self.mappings = mappings
        self.files = files
    }
}

/// Reads sources into the insight tables, batch by batch, each batch one transaction ending with the
/// source's checkpoint: a crash or kill loses at most the batch in flight, and the next run resumes
/// after the last committed one without duplicating anything.
///
/// The tables derived from the applications (hourly usage per queue, workflow runs) and the mapping
/// files are written once, in the run's final transaction. Applications carry a sequence number and the
/// store records up to which one the derived tables include; a run killed before its end leaves newer
/// applications, which the next run folds in first. So the store is always consistent at commit
/// points, and the hot path (one row per application) never touches the big derived tables.
///
/// Parsing (pure, CPU-bound) of the next batches overlaps with writing the current one.
public final class Ingester {
    private let store: InsightStore
    private let options: IngestOptions
    // Where the writer's time goes, for BURSAR_TRACE: waiting for parsed batches, and in the store.
    private var waitTime = Duration.zero
    private var writeTime = Duration.zero
    /// The application numbers this run stored: the others a run's final transaction finds were stored by
    /// other ingests running beside it.
    private var ownSeqs = SeqRanges()

    public init(store: InsightStore, options: IngestOptions = IngestOptions()) {
        self.store = store
        self.options = options
    }

    /// Ingests every source (files, folders, `.gz`, `http(s)://`, `s3://`) after applying `update`'s
    /// mapping files, then writes the derived tables. Unreadable sources are reported in `errors`; store
    /// failures throw (and leave the store as of its last commit).
    ///
    /// Sources are read, decompressed and parsed ahead on worker threads (as many as there are cores)
    /// while this thread writes the current one, so the store's single writer is kept busy.
    public func ingest(_ arguments: [String], mappings update: MappingUpdate? = nil) throws -> IngestReport {
        try store.bulkLoad { try run(arguments, mappings: update) }
    }

    private func run(_ arguments: [String], mappings update: MappingUpdate?) throws -> IngestReport {
        var report = IngestReport()
        let clock = ContinuousClock.now
        let cpuAtStart = Self.threadCPUSeconds()
        (waitTime, writeTime) = (.zero, .zero)
        ownSeqs = SeqRanges()
        let stored = try store.mappings()
        let merge = update.map { MappingMerge(stored: stored, files: $0.mappings, present: $0.files) }
            ?? MappingMerge(stored: stored)
        report.mappingConflicts = merge.problems
        let mappings = merge.merged
        trace("mappings: \(stored.jobApps.count) job_apps stored, \(merge.newJobApps.count) new, in \(ContinuousClock.now - clock)")

        // What the derived tables lack: applications stored by a run that stopped before its end. Read in one
        // ingest transaction, so the state, the commit count and the applications agree with each other.
        let (state, commitsAtStart, newestAtStart, unfolded) = try store.ingestTransaction {
            let state = try store.derivedState()
            return (state, try store.derivedCommits(), try store.lastAppSeq(), try store.apps(after: state.throughSeq))
        }
        var derived = DerivedAccumulator(mappings: mappings, newestFinish: state.newestFinish)
        derived.fold(unfolded)
        // Applications stored earlier whose job_apps rows arrive only now count for their runs now.
        if state.throughSeq > 0 && !merge.newJobApps.isEmpty {
            for time in try store.appTimes(merge.newJobApps.map(\.appID), through: state.throughSeq) {
                derived.add(appID: time.appID, start: time.start, finish: time.finish)
            }
        }

        var objects: [SourceObject] = []
        for argument in arguments {
            do {
                objects += try SourceCatalog.expand(argument, environment: options.environment)
            } catch {
                report.errors.append(error)
            }
        }
        // Checkpoints are read here, on the store's thread, before any worker needs them.
        var checkpoints: [SourceCheckpoint?] = []
        for object in objects {
            checkpoints.append(options.rescan ? nil : try store.checkpoint(source: object.name))
        }
        trace("sources: \(objects.count) listed, reading from \(ContinuousClock.now - clock) into the run")
        let lookahead = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var loading: [Int: Future<Result<LoadedSource, SourceError>>] = [:]
        let reader = SourceReader(environment: options.environment)
        let context = ParseContext(clusterOverride: options.cluster, mappings: mappings,
                                   linesPerBatch: max(1, options.batchLines), lineBytes: max(1, options.lineBytes),
                                   hourly: SharedHourly())
        let segmentBytes = options.segmentBytes
        for index in objects.indices {
            for ahead in index..<min(index + lookahead + 1, objects.count) where loading[ahead] == nil {
                let object = objects[ahead], previous = checkpoints[ahead]
                loading[ahead] = Future { Result { () throws(SourceError) in
                    try LoadedSource.load(object, previous: previous, reader: reader, segmentBytes: segmentBytes,
                                          context: context)
                } }
            }
            let started = ContinuousClock.now
            let w2 = ContinuousClock.now
            let loadedResult = loading.removeValue(forKey: index)!.wait()
            waitTime += ContinuousClock.now - w2
            switch loadedResult {
            case let .failure(error):
                report.errors.append(error)
            case let .success(loaded):
                try write(loaded, context: context, into: &report, derived: &derived)
            }
            trace("\(objects[index].name): \(ContinuousClock.now - started) writing")
        }

        trace("sources: writer waited \(waitTime) for parsed batches and spent \(writeTime) writing them; writer CPU so far \(Self.threadCPUSeconds() - cpuAtStart) s")
        let finishing = ContinuousClock.now
        // The derived tables are written in one ingest transaction (no other ingest writes beside it). Other
        // ingests may have run beside this one (on PostgreSQL, one per cluster is the common case):
        // - when none wrote the derived tables since this run started, what this run worked out still holds;
        //   the applications others stored since, which it has not seen, are read and added to it;
        // - when one did, it may have taken in applications this run stored, or job_apps rows this run read as
        //   new: so this run works its part out again from the store, as a run that found them there would.
        let parsedHourly = context.hourly
        let runCount = try store.ingestTransaction { () throws -> Int in
            if try store.derivedCommits() == commitsAtStart {
                var current = derived
                let newest = try store.lastAppSeq()
                var others = ownSeqs.gaps(after: newestAtStart, through: newest)
                others.sort { $0.lowerBound < $1.lowerBound }
                for range in others {
                    current.fold(try store.apps(after: range.lowerBound - 1, through: range.upperBound))
                }
                if !others.isEmpty { trace("derived tables: \(others.count) range(s) of applications stored by other ingests folded in") }
                return try finish(merge: merge, derived: current, parsedHourly: parsedHourly, previousNewest: state.newestFinish)
            }
            trace("derived tables: another ingest wrote them since this one started; working this run's part out from the store")
            let now = try store.derivedState()
            let storedNow = try store.mappings()
            let again = update.map { MappingMerge(stored: storedNow, files: $0.mappings, present: $0.files) }
                ?? MappingMerge(stored: storedNow)
            var current = DerivedAccumulator(mappings: again.merged, newestFinish: now.newestFinish)
            current.fold(try store.apps(after: now.throughSeq))
            if now.throughSeq > 0 && !again.newJobApps.isEmpty {
                for time in try store.appTimes(again.newJobApps.map(\.appID), through: now.throughSeq) {
                    current.add(appID: time.appID, start: time.start, finish: time.finish)
                }
            }
            return try finish(merge: again, derived: current, parsedHourly: nil, previousNewest: now.newestFinish)
        }
        trace("derived tables: \(runCount) runs, all written in \(ContinuousClock.now - finishing); writer CPU in all \(Self.threadCPUSeconds() - cpuAtStart) s")
        return report
    }

    /// Works out and writes the derived tables and mappings (inside the caller's ingest transaction): the runs
    /// `derived` touches with their stored progress, and the queue hours of `derived` plus, when given, those
    /// the parsing workers summed. Returns the number of runs written.
    private func finish(merge: MappingMerge, derived: DerivedAccumulator, parsedHourly: SharedHourly?,
                        previousNewest: Int64) throws -> Int {
        let mappings = merge.merged
        // With its runs in key order, sorted on the worker: workflow_runs takes rows in key order as appends
        // to its key index rather than scattered inserts (1.3 s instead of 2.2-2.8 s for the benchmark's 355k runs).
        let book = Future { () -> (RunBook, [RunKey]) in
            let book = RunBook(mappings)
            return (book, ByteOrder.sorted(Array(book.schedules.keys), by: \.workflow, then: \.runID))
        }
        // Rows in key order go into job_apps' index as appends rather than scattered inserts.
        let newJobApps = Future { ByteOrder.sorted(merge.newJobApps, by: \.appID) }
        let runsOfNewJobApps = Set(merge.newJobApps.map { RunKey(workflow: $0.run.workflow, runID: $0.run.runID) })
        let finishing = ContinuousClock.now
        // The stored progress of the runs this ingest touches is read here, on the store's thread; the runs
        // and the queue hours are then worked out on workers while the writer stores the job_apps rows.
        let touched = try derived.storedProgress(merge: merge, runsOfNewJobApps: runsOfNewJobApps,
                                                 previousNewest: previousNewest, book: { book.wait().0 }, store: store)
        let finalDerived = derived
        let runs = Future { () -> [StoredRun] in
            let (runBook, runsInOrder) = book.wait()
            return finalDerived.runs(book: runBook, runsInOrder: runsInOrder, touched: touched)
        }
        let queueHours = Future { () -> [HourlyUsage.QueueHourAmounts] in
            // The parsed batches' table is the big one: the writer's adjustments are merged into it, not it
            // into a copy of them.
            guard let parsedHourly else { return finalDerived.hourly.queueHours }
            var hourly = parsedHourly.take()
            hourly.merge(finalDerived.hourly)
            return hourly.queueHours
        }
        let computed = ContinuousClock.now
        try store.commit(DerivedUpdate(
            mappings: mappings, replacedTables: merge.changedTables, newJobApps: newJobApps.wait(),
            queueHours: { queueHours.wait() }, runs: { runs.wait() },
            state: DerivedState(throughSeq: try store.lastAppSeq(), newestFinish: derived.newestFinish)),
            trace: Trace.isOn(options.environment) ? { self.trace($0) } : nil)
        trace("derived tables: stored progress read in \(computed - finishing)")
        return runs.wait().count
    }

    private func write(_ loaded: LoadedSource, context: ParseContext, into report: inout IngestReport,
                       derived: inout DerivedAccumulator) throws {
        report.files += 1
        guard let stream = loaded.stream else {
            report.unchangedFiles += 1
            return
        }
        // Segment by segment: the next one is read on a worker while this one's batches are written.
        var segment = loaded.first
        var linesSoFar = loaded.linesBefore
        var completed = false
        while let current = segment {
            let next: Future<Result<LoadedSegment?, SourceError>>? = current.isLast ? nil : Future {
                Result { () throws(SourceError) in
                    try LoadedSegment.read(stream, linesBefore: current.linesAfter, context: context, parseAll: true)
                }
            }
            try write(current, of: loaded, context: context, into: &report, derived: &derived)
            linesSoFar = current.linesAfter
            completed = current.isLast
            guard let next else { break }
            switch next.wait() {
            case let .success(following): segment = following
            case let .failure(error):
                // What was written stays (it is checkpointed); the rest is read again next time.
                report.errors.append(error)
                return
            }
        }
        if !completed {
            // The content ended on a segment boundary (or had nothing new): mark the source read to its end.
            try store.record(SourceCheckpoint(source: loaded.name, fingerprint: loaded.fingerprint, size: loaded.rawSize,
                                              offset: stream.contentOffset, lines: linesSoFar, complete: true))
        }
    }

    /// Writes one segment's batches, each a transaction ending with the source's checkpoint.
    private func write(_ segment: LoadedSegment, of loaded: LoadedSource, context: ParseContext,
                       into report: inout IngestReport, derived: inout DerivedAccumulator) throws {
        report.bytes += segment.contentEnd - segment.contentStart
        let batches = segment.batches
        // Batches the loader did not parse are parsed here, `lookahead` ahead on workers.
        let lookahead = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var inFlight: [Int: Future<ParsedBatch>] = [:]
        for index in batches.indices {
            for ahead in index..<min(index + lookahead + 1, batches.count)
            where ahead >= segment.parsed.count && inFlight[ahead] == nil {
                inFlight[ahead] = Future { segment.parse(ahead, context: context) }
            }
            let w0 = ContinuousClock.now
            let current = index < segment.parsed.count ? segment.parsed[index] : inFlight.removeValue(forKey: index)!.wait()
            waitTime += ContinuousClock.now - w0
            let isEnd = index == batches.count - 1
            let checkpoint = SourceCheckpoint(source: loaded.name, fingerprint: loaded.fingerprint, size: loaded.rawSize,
                                              offset: segment.contentOffset(after: index),
                                              lines: segment.firstLines[index] + Int64(batches[index].lines) - 1,
                                              complete: isEnd && segment.isLast)
            let w1 = ContinuousClock.now
            let outcome = try store.write(IngestBatch(apps: current.apps, rejects: current.rejects, checkpoint: checkpoint))
            writeTime += ContinuousClock.now - w1
            ownSeqs.add(outcome.firstSeq, count: outcome.inserted)
            // By index: copying whole records here would cost a retain and release per string field.
            for i in current.apps.indices {
                let start = current.apps[i].summary.startTime, finish = current.apps[i].summary.finishTime
                if outcome.isNew[i] {
                    if let run = current.apps[i].run { derived.add(run: run, start: start, finish: finish) }
                    derived.newestFinish = max(derived.newestFinish, finish)
                } else {
                    // Parsing counted every application of the batch; a duplicate's usage is already stored.
                    derived.hourly.add(cluster: current.apps[i].cluster, queue: current.apps[i].demandQueue, start: start,
                                       finish: finish, usage: current.apps[i].summary.usage, sign: -1)
                }
            }
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

    /// CPU time of the calling thread: unlike wall time, hardly changed by other processes on the machine,
    /// so traces stay comparable on a busy host.
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Phase timings on standard error when BURSAR_TRACE is set, for finding where time goes.
    private func trace(_ message: @autoclosure () -> String) {
        Trace.say(message(), environment: options.environment)
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

/// What parsing needs besides the bytes, shared with the workers: read-only, except `hourly`, which
/// every parsed batch adds its usage to.
struct ParseContext: Sendable {
    var clusterOverride: String?
    var mappings: Mappings
    var linesPerBatch: Int
    /// Longest line parsed; longer ones are classified without being parsed.
    var lineBytes: Int
    var hourly: SharedHourly
}

/// Hourly usage summed across worker threads.
final class SharedHourly: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var total = HourlyUsage()

    func add(_ hourly: HourlyUsage) {
        lock.lock()
        defer { lock.unlock() }
        total.merge(hourly)
    }

    /// The sum so far, leaving nothing behind.
    func take() -> HourlyUsage {
        lock.lock()
        defer { lock.unlock() }
        let sum = total
        total = HourlyUsage()
        return sum
    }
}

/// What an ingest run adds to the derived tables: hourly usage, and the progress of the workflow runs
/// its new applications belong to.
struct DerivedAccumulator: Sendable {
    let mappings: Mappings
    var hourly = HourlyUsage()
    var progress: [RunKey: RunProgress] = [:]
    var newestFinish: Int64

    init(mappings: Mappings, newestFinish: Int64) {
        self.mappings = mappings
        self.newestFinish = newestFinish
    }

    /// Stored applications the derived tables do not include yet: their hourly usage and runs.
    mutating func fold(_ apps: [StoredApp]) {
        for app in apps {
            hourly.add(cluster: app.cluster, queue: app.demandQueue, start: app.startedAt, finish: app.finishedAt,
                       usage: app.usage)
            add(appID: app.appID, start: app.startedAt, finish: app.finishedAt)
        }
    }

    /// A stored application, found by id in job_apps.
    mutating func add(appID: String, start: Int64, finish: Int64) {
        newestFinish = max(newestFinish, finish)
        guard let run = mappings.jobApps[appID] else { return }
        add(run: RunKey(workflow: run.workflow, runID: run.runID), start: start, finish: finish)
    }

    mutating func add(run: RunKey, start: Int64, finish: Int64) {
        progress[run, default: RunProgress()].add(start: start, finish: finish)
    }

    /// What the runs to store need from the store: which runs they are (`all` when the workflows, projects
    /// or owners changed; else those with new applications or new job_apps rows, and those still pending
    /// when the newest data moved on) and their stored progress.
    func storedProgress(merge: MappingMerge, runsOfNewJobApps: Set<RunKey>, previousNewest: Int64,
                        book: () -> RunBook, store: InsightStore) throws -> TouchedRuns {
        var touched = TouchedRuns(all: !merge.changedTables.isEmpty, extra: runsOfNewJobApps, stored: [:])
        // With no run stored (a first ingest) there is nothing to read, and the set of touched runs is left
        // to the worker that computes them.
        guard try store.hasWorkflowRuns() else { return touched }
        if touched.all {
            touched.stored = try store.allRunProgress()
            return touched
        }
        if newestFinish > previousNewest {
            // Only a run whose deadline was still ahead of the newest data can be pending.
            let pending = try store.pendingRunProgress(scheduledFrom: previousNewest - book().longestSLOMillis)
            touched.extra.formUnion(pending.keys)
            touched.stored = pending
        }
        let unread = touched.keys(progress).filter { touched.stored[$0] == nil }
        touched.stored.merge(try store.runProgress(unread)) { a, _ in a }
        return touched
    }

    /// The runs to store, in key order, each with its stored progress plus this ingest's (pure: runs on a
    /// worker). `runsInOrder` is the book's keys sorted.
    func runs(book: RunBook, runsInOrder: [RunKey], touched: TouchedRuns) -> [StoredRun] {
        let keys = touched.all ? runsInOrder : ByteOrder.sorted(Array(touched.keys(progress)), by: \.workflow, then: \.runID)
        return keys.compactMap { key in
            var total = touched.stored[key] ?? RunProgress()
            if let added = progress[key] { total.merge(added) }
            return book.run(key, progress: total, newestData: newestFinish)
        }
    }
}

/// The runs an ingest changes and their progress as stored before it: every run when `all` (the workflows,
/// projects or owners changed), else those with new applications, plus `extra` (those with new job_apps
/// rows, and those still pending when the newest data moved on).
struct TouchedRuns: Sendable {
    var all: Bool
    var extra: Set<RunKey>
    var stored: [RunKey: RunProgress]

    func keys(_ progress: [RunKey: RunProgress]) -> Set<RunKey> {
        extra.union(progress.keys)
    }
}

/// A source opened on a worker, with its first segment read and parsed (for most logs, the whole source).
final class LoadedSource: Sendable {
    let name: String
    let fingerprint: String
    let rawSize: Int64
    /// The open source, positioned after `first`; nil when its checkpoint shows it complete and unchanged.
    let stream: SourceStream?
    let first: LoadedSegment?
    /// Lines already read before this run (from the checkpoint).
    let linesBefore: Int64

    private init(name: String, fingerprint: String, rawSize: Int64, stream: SourceStream?, first: LoadedSegment?,
                 linesBefore: Int64) {
        self.name = name
        self.fingerprint = fingerprint
        self.rawSize = rawSize
        self.stream = stream
        self.first = first
        self.linesBefore = linesBefore
    }

    static func load(_ object: SourceObject, previous: SourceCheckpoint?, reader: SourceReader, segmentBytes: Int,
                     context: ParseContext) throws(SourceError) -> LoadedSource {
        var stream = try SourceStream.open(object, reader: reader, segmentBytes: segmentBytes, lineBytes: context.lineBytes)
        if let previous, previous.complete, previous.fingerprint == stream.fingerprint, previous.size == stream.rawSize {
            return LoadedSource(name: object.name, fingerprint: stream.fingerprint, rawSize: stream.rawSize, stream: nil,
                                first: nil, linesBefore: 0)
        }
        // Resume only where the content is provably the same one that was read before.
        var lines: Int64 = 0
        if let previous, previous.fingerprint == stream.fingerprint, previous.offset > 0 {
            if try stream.skip(to: previous.offset) {
                lines = previous.lines
            } else {
                // Shorter than what was read before: not the same content after all; read it from the start.
                stream = try SourceStream.open(object, reader: reader, segmentBytes: segmentBytes, lineBytes: context.lineBytes)
            }
        }
        let first = try LoadedSegment.read(stream, linesBefore: lines, context: context, parseAll: true)
        return LoadedSource(name: object.name, fingerprint: stream.fingerprint, rawSize: stream.rawSize, stream: stream,
                            first: first, linesBefore: lines)
    }
}

/// One segment of a source (whole lines), split into batches, and parsed when it was read ahead.
final class LoadedSegment: Sendable {
    let name: String
    let folderName: String
    let content: [UInt8]
    let batches: [Ingester.Batch]
    /// The line number of each batch's first line.
    let firstLines: [Int64]
    /// The number of the segment's last line.
    let linesAfter: Int64
    let contentStart: Int64
    let contentEnd: Int64
    let isLast: Bool
    /// Every batch parsed, or none (then the writer parses them on workers).
    let parsed: [ParsedBatch]

    private init(name: String, folderName: String, segment: SourceStream.Segment, batches: [Ingester.Batch],
                 linesBefore: Int64, parsed: [ParsedBatch]) {
        self.name = name
        self.folderName = folderName
        content = segment.bytes
        self.batches = batches
        var next = linesBefore + 1
        firstLines = batches.map { batch in
            defer { next += Int64(batch.lines) }
            return next
        }
        linesAfter = next - 1
        contentStart = segment.contentStart
        contentEnd = segment.contentEnd
        isLast = segment.isLast
        self.parsed = parsed
    }

    /// The next segment of `stream`, or nil at its end; parsed whole when `parseAll`.
    static func read(_ stream: SourceStream, linesBefore: Int64, context: ParseContext,
                     parseAll: Bool) throws(SourceError) -> LoadedSegment? {
        guard let segment = try stream.nextSegment() else { return nil }
        let batches = Ingester.split(segment.bytes, from: 0, linesPerBatch: context.linesPerBatch)
        let unparsed = LoadedSegment(name: stream.name, folderName: stream.folderName, segment: segment, batches: batches,
                                     linesBefore: linesBefore, parsed: [])
        guard parseAll else { return unparsed }
        return LoadedSegment(name: stream.name, folderName: stream.folderName, segment: segment, batches: batches,
                             linesBefore: linesBefore, parsed: batches.indices.map { unparsed.parse($0, context: context) })
    }

    /// Where batch `index` ends in the source's content: its checkpoint offset. (A cut line makes the
    /// segment's content end past its bytes; such a segment holds only that line.)
    func contentOffset(after index: Int) -> Int64 {
        let end = batches[index].range.upperBound
        return end == content.count ? contentEnd : contentStart + Int64(end)
    }

    /// Parses one batch and adds its hourly usage to the run's (the writer takes duplicates away).
    func parse(_ index: Int, context: ParseContext) -> ParsedBatch {
        var batch = BatchParser.parse(content, range: batches[index].range, firstLine: firstLines[index], source: name,
                                      clusterOverride: context.clusterOverride, folderCluster: folderName,
                                      lineBytes: context.lineBytes, mappings: context.mappings)
        context.hourly.add(batch.hourly)
        batch.hourly = HourlyUsage()
        return batch
    }
}

/// A value computed on another thread.
struct Future<Value: Sendable> {
    private final class Box: @unchecked Sendable {
        // Written once by the worker before `group.leave()`, read after `group.wait()`: the group orders them.
        var value: Value?
    }

    private let box = Box()
    private let group = DispatchGroup()

    init(_ work: @escaping @Sendable () -> Value) {
        let box = self.box
        group.enter()
        let group = self.group
        DispatchQueue.global(qos: .userInitiated).async {
            box.value = work()
            group.leave()
        }
    }

    func wait() -> Value {
        group.wait()
        return box.value!
    }
}

/// Application numbers as closed ranges, in the order they were added (each batch's new applications are
/// numbered consecutively, and batches ascending).
struct SeqRanges {
    private(set) var ranges: [ClosedRange<Int64>] = []

    mutating func add(_ first: Int64, count: Int) {
        guard count > 0 else { return }
        let range = first...(first + Int64(count) - 1)
        if let last = ranges.last, last.upperBound + 1 == range.lowerBound {
            ranges[ranges.count - 1] = last.lowerBound...range.upperBound
        } else {
            ranges.append(range)
        }
    }

    /// The numbers in `(after, through]` not in these ranges.
    func gaps(after: Int64, through: Int64) -> [ClosedRange<Int64>] {
        var gaps: [ClosedRange<Int64>] = []
        var next = after + 1
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) where range.upperBound >= next {
            if range.lowerBound > through { break }
            if range.lowerBound > next { gaps.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
        }
        if next <= through { gaps.append(next...through) }
        return gaps
    }
}
