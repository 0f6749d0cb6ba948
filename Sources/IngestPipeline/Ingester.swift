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
        let stored = try store.mappings()
        let merge = update.map { MappingMerge(stored: stored, files: $0.mappings, present: $0.files) }
            ?? MappingMerge(stored: stored)
        report.mappingConflicts = merge.problems
        let mappings = merge.merged
        // With its runs in key order, sorted on the worker: workflow_runs takes rows in key order as appends
        // to its key index rather than scattered inserts (1.3 s instead of 2.2-2.8 s for the benchmark's 355k runs).
        let book = Future { () -> (RunBook, [RunKey]) in
            let book = RunBook(mappings)
            return (book, ByteOrder.sorted(Array(book.schedules.keys), by: \.workflow, then: \.runID))
        }
        // Rows in key order go into job_apps' index as appends rather than scattered inserts.
        let newJobApps = Future { ByteOrder.sorted(merge.newJobApps, by: \.appID) }
        // The runs new job_apps rows belong to, gathered on a worker while the sources are read.
        let runsOfNewJobApps = Future { Set(merge.newJobApps.map { RunKey(workflow: $0.run.workflow, runID: $0.run.runID) }) }
        trace("mappings: \(stored.jobApps.count) job_apps stored, \(merge.newJobApps.count) new, in \(ContinuousClock.now - clock)")

        // What the derived tables lack: applications stored by a run that stopped before its end.
        let state = try store.derivedState()
        var derived = DerivedAccumulator(mappings: mappings, newestFinish: state.newestFinish)
        for app in try store.apps(after: state.throughSeq) {
            derived.hourly.add(cluster: app.cluster, queue: app.demandQueue, start: app.startedAt, finish: app.finishedAt,
                               usage: app.usage)
            derived.add(appID: app.appID, start: app.startedAt, finish: app.finishedAt)
        }
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
                                   linesPerBatch: max(1, options.batchLines), hourly: SharedHourly())
        for index in objects.indices {
            for ahead in index..<min(index + lookahead + 1, objects.count) where loading[ahead] == nil {
                let object = objects[ahead], previous = checkpoints[ahead]
                loading[ahead] = Future { Result { () throws(SourceError) in
                    try LoadedSource.load(object, previous: previous, reader: reader, context: context)
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
        // The stored progress of the runs this ingest touches is read here, on the store's thread; the runs
        // and the queue hours are then worked out on workers while the writer stores the job_apps rows.
        let touched = try derived.storedProgress(merge: merge, runsOfNewJobApps: runsOfNewJobApps.wait(),
                                                 previousNewest: state.newestFinish, book: { book.wait().0 }, store: store)
        let finalDerived = derived
        let runs = Future { () -> [StoredRun] in
            let (runBook, runsInOrder) = book.wait()
            return finalDerived.runs(book: runBook, runsInOrder: runsInOrder, touched: touched)
        }
        let sharedHourly = context.hourly
        let queueHours = Future { () -> [HourlyUsage.QueueHourAmounts] in
            var hourly = finalDerived.hourly
            hourly.merge(sharedHourly.take())
            return hourly.queueHours
        }
        let computed = ContinuousClock.now
        try store.commit(DerivedUpdate(
            mappings: mappings, replacedTables: merge.changedTables, newJobApps: newJobApps.wait(),
            queueHours: { queueHours.wait() }, runs: { runs.wait() },
            state: DerivedState(throughSeq: try store.lastAppSeq(), newestFinish: derived.newestFinish)),
            trace: options.environment["BURSAR_TRACE"] == nil ? nil : { self.trace($0) })
        trace("derived tables: \(runs.wait().count) runs; stored progress read in \(computed - finishing), all written in \(ContinuousClock.now - computed); writer CPU in all \(Self.threadCPUSeconds() - cpuAtStart) s")
        return report
    }

    private func write(_ loaded: LoadedSource, context: ParseContext, into report: inout IngestReport,
                       derived: inout DerivedAccumulator) throws {
        report.files += 1
        if loaded.unchanged {
            report.unchangedFiles += 1
            return
        }
        report.bytes += Int64(loaded.content.count)
        let batches = loaded.batches
        guard !batches.isEmpty else {
            try store.record(SourceCheckpoint(source: loaded.name, fingerprint: loaded.fingerprint, size: loaded.rawSize,
                                              offset: Int64(loaded.content.count), lines: loaded.linesBefore,
                                              complete: true))
            return
        }
        let firstLines = loaded.firstLines
        // Batches the loader did not parse (large sources) are parsed here, `lookahead` ahead on workers.
        let lookahead = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var inFlight: [Int: Future<ParsedBatch>] = [:]
        for index in batches.indices {
            for ahead in index..<min(index + lookahead + 1, batches.count)
            where ahead >= loaded.parsed.count && inFlight[ahead] == nil {
                inFlight[ahead] = Future { loaded.parse(ahead, context: context) }
            }
            let w0 = ContinuousClock.now
            let current = index < loaded.parsed.count ? loaded.parsed[index] : inFlight.removeValue(forKey: index)!.wait()
            waitTime += ContinuousClock.now - w0
            let end = batches[index].range.upperBound
            let checkpoint = SourceCheckpoint(source: loaded.name, fingerprint: loaded.fingerprint, size: loaded.rawSize,
                                              offset: Int64(end), lines: firstLines[index] + Int64(batches[index].lines) - 1,
                                              complete: end == loaded.content.count)
            let w1 = ContinuousClock.now
            let outcome = try store.write(IngestBatch(apps: current.apps, rejects: current.rejects, checkpoint: checkpoint))
            writeTime += ContinuousClock.now - w1
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
        guard options.environment["BURSAR_TRACE"] != nil else { return }
        FileHandle.standardError.write(Data(("trace: " + message() + "\n").utf8))
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

/// A source read, decompressed and split into batches (and, when small, already parsed) on a worker.
final class LoadedSource: Sendable {
    /// Sources up to this size are parsed whole by the loader; larger ones batch by batch as written,
    /// which bounds memory to a few batches however large a log is.
    static let parseWholeLimit = 64 << 20

    let name: String
    let folderName: String
    let fingerprint: String
    let rawSize: Int64
    let unchanged: Bool
    let content: [UInt8]
    let batches: [Ingester.Batch]
    /// Lines already read before `batches` (from the checkpoint).
    let linesBefore: Int64
    /// The line number of each batch's first line.
    let firstLines: [Int64]
    let parsed: [ParsedBatch]

    private init(name: String, folderName: String, fingerprint: String, rawSize: Int64, unchanged: Bool,
                 content: [UInt8], batches: [Ingester.Batch], linesBefore: Int64, parsed: [ParsedBatch]) {
        self.name = name
        self.folderName = folderName
        self.fingerprint = fingerprint
        self.rawSize = rawSize
        self.unchanged = unchanged
        self.content = content
        self.batches = batches
        self.linesBefore = linesBefore
        var next = linesBefore + 1
        firstLines = batches.map { batch in
            defer { next += Int64(batch.lines) }
            return next
        }
        self.parsed = parsed
    }

    static func load(_ object: SourceObject, previous: SourceCheckpoint?, reader: SourceReader,
                     context: ParseContext) throws(SourceError) -> LoadedSource {
        let raw = try reader.raw(object)
        let fingerprint = SourceReader.fingerprint(raw)
        if let previous, previous.complete, previous.fingerprint == fingerprint, previous.size == Int64(raw.count) {
            return LoadedSource(name: object.name, folderName: object.folderName, fingerprint: fingerprint,
                                rawSize: Int64(raw.count), unchanged: true, content: [], batches: [], linesBefore: 0,
                                parsed: [])
        }
        let content = try reader.content(of: raw, name: object.name)
        // Resume only where the content is provably the same one that was read before.
        var offset = 0
        var lines: Int64 = 0
        if let previous, previous.fingerprint == fingerprint, previous.offset <= Int64(content.count) {
            offset = Int(previous.offset)
            lines = previous.lines
        }
        let batches = Ingester.split(content, from: offset, linesPerBatch: context.linesPerBatch)
        let partial = LoadedSource(name: object.name, folderName: object.folderName, fingerprint: fingerprint,
                                   rawSize: Int64(raw.count), unchanged: false, content: content, batches: batches,
                                   linesBefore: lines, parsed: [])
        guard content.count - offset <= parseWholeLimit else { return partial }
        let parsed = batches.indices.map { partial.parse($0, context: context) }
        return LoadedSource(name: object.name, folderName: object.folderName, fingerprint: fingerprint,
                            rawSize: Int64(raw.count), unchanged: false, content: content, batches: batches,
                            linesBefore: lines, parsed: parsed)
    }

    /// Parses one batch and adds its hourly usage to the run's (the writer takes duplicates away).
    func parse(_ index: Int, context: ParseContext) -> ParsedBatch {
        var batch = BatchParser.parse(content, range: batches[index].range, firstLine: firstLines[index], source: name,
                                      clusterOverride: context.clusterOverride, folderCluster: folderName,
                                      mappings: context.mappings)
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
