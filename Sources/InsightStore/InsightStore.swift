public import Store
public import Ingest
public import Insights
import Foundation

/// Where the insight tables live: `sqlite:PATH` (the embedded default) or `postgres://…`.
public enum StoreLocation: Equatable, Sendable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    /// The embedded default, relative to the working directory.
    public static let defaultLocation = StoreLocation.sqlite(path: ".bursar/bursar.sqlite")

    /// Reads `sqlite:PATH`, `postgres://…` / `postgresql://…`, or a bare path ending in `.sqlite`/`.db`.
    public static func parse(_ text: String) throws(StoreError) -> StoreLocation {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") { return .postgres(url: text) }
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw StoreError("--store sqlite: needs a path, e.g. sqlite:.bursar/bursar.sqlite") }
            return .sqlite(path: path)
        }
        if text.hasSuffix(".sqlite") || text.hasSuffix(".db") { return .sqlite(path: text) }
        throw StoreError("unknown store \"\(text)\": use sqlite:PATH or postgres://user@host:port/db")
    }

    /// The location with any password hidden, for messages and logs.
    public var description: String {
        switch self {
        case let .sqlite(path): return "sqlite:\(path)"
        case let .postgres(url):
            // postgres://user:secret@host → postgres://user:***@host
            guard let at = url.firstIndex(of: "@"), let scheme = url.range(of: "://"),
                  let colon = url[scheme.upperBound..<at].firstIndex(of: ":") else { return url }
            return String(url[..<url.index(after: colon)]) + "***" + String(url[at...])
        }
    }
}

/// A store failure a user can act on.
public struct StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One application as stored: its summary, the cluster it ran on, who it is attributed to, and where
/// it was read.
public struct AppRecord: Sendable, Equatable {
    public var cluster: String
    public var summary: AppSummary
    public var attribution: Attribution
    public var source: String
    public var line: Int64
    /// The workflow run job_apps puts it in, if any (whether or not the workflow is mapped).
    public var run: RunKey?
    /// The queue its usage counts against (see `Attribution.demandQueue`).
    public let demandQueue: String
    let key: AppKey
    // The usage columns as stored, rendered when the record is made: that happens on the parsing
    // workers, not on the single thread that writes to the store.
    let vcoreSeconds: Int64
    let memorySeconds: Int64
    let otherUsageText: String
    let preemptedText: String
    let placeholderText: String

    public init(cluster: String, summary: AppSummary, attribution: Attribution, source: String, line: Int64,
                run: RunKey? = nil) {
        self.cluster = cluster
        self.run = run
        self.summary = summary
        self.attribution = attribution
        self.source = source
        self.line = line
        demandQueue = attribution.demandQueue(ranIn: summary.queue)
        key = AppKey(cluster: cluster, appID: summary.applicationID)
        vcoreSeconds = summary.usage["vcore"] ?? 0
        memorySeconds = summary.usage["memory"] ?? 0
        otherUsageText = InsightStore.encode(summary.usage, leavingOut: InsightStore.columnResources)
        preemptedText = InsightStore.encode(summary.preempted)
        placeholderText = InsightStore.encode(summary.placeholder)
    }
}

/// What tells applications apart: cluster and app id, with the id's hash (`app_keys.app_hash`) worked
/// out when the key is made, which for parsed applications is on the parsing workers rather than on the
/// store's single writer.
struct AppKey: Hashable {
    let cluster: String
    let appID: String
    let appHash: Int64

    init(cluster: String, appID: String) {
        self.cluster = cluster
        self.appID = appID
        appHash = Self.hash(appID)
    }

    /// FNV-1a (64 bits) of the id's UTF-8 bytes: the same in every process and on every platform, as a
    /// stored key must be (Swift's `Hasher` is seeded per process).
    static func hash(_ appID: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in appID.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(appHash)
    }

    static func == (a: AppKey, b: AppKey) -> Bool {
        a.appHash == b.appHash && a.appID == b.appID && a.cluster == b.cluster
    }
}

/// A summary line that was refused, kept with where it was and why.
public struct RejectRecord: Sendable, Equatable {
    public var source: String
    public var line: Int64
    public var reason: String
    public var text: String

    public init(source: String, line: Int64, reason: String, text: String) {
        self.source = source
        self.line = line
        self.reason = reason
        self.text = text
    }
}

/// How far a source has been read. `offset` is a byte offset into the (decompressed) content, always at a
/// line boundary; `fingerprint` tells the same content from a replaced file.
public struct SourceCheckpoint: Sendable, Equatable {
    public var source: String
    public var fingerprint: String
    public var size: Int64
    public var offset: Int64
    public var lines: Int64
    public var complete: Bool

    public init(source: String, fingerprint: String, size: Int64, offset: Int64, lines: Int64, complete: Bool) {
        self.source = source
        self.fingerprint = fingerprint
        self.size = size
        self.offset = offset
        self.lines = lines
        self.complete = complete
    }
}

/// One unit of ingestion, written in one transaction: the applications and rejects read since the last
/// checkpoint, and the new checkpoint. (The tables derived from applications are written once per run;
/// see `commit(_: DerivedUpdate)`.)
public struct IngestBatch: Sendable {
    public var apps: [AppRecord]
    public var rejects: [RejectRecord]
    public var checkpoint: SourceCheckpoint

    public init(apps: [AppRecord], rejects: [RejectRecord], checkpoint: SourceCheckpoint) {
        self.apps = apps
        self.rejects = rejects
        self.checkpoint = checkpoint
    }
}

/// What writing a batch did.
public struct BatchOutcome: Sendable, Equatable {
    /// Applications stored for the first time.
    public var inserted: Int
    /// Applications already stored (same cluster and app id), left as they were.
    public var duplicates: Int
    /// Newly stored applications that no mapping or queue path attributes.
    public var unattributed: Int
    /// Per application of the batch, whether it was stored now (false: a duplicate).
    public var isNew: [Bool]
    /// The number the batch's first new application got; the others follow in order.
    public var firstSeq: Int64 = 0
}

/// The insight tables over one SQL connection (SQLite or PostgreSQL), with prepared statements only.
///
/// Not `Sendable`: one store per thread, like the connection under it.
public final class InsightStore {
    public let connection: any SQLConnection
    public let location: StoreLocation
    private var statements: [String: any SQLStatement] = [:]
    /// The newest application number `unkeyedApps` reflects: rows numbered after it were stored by another
    /// process since, and are read into the index (under the ingest lock) before the next write.
    private var indexedThroughSeq: Int64 = 0
    /// Applications told apart from stored ones in memory, by id hash: those numbered after
    /// `derived_through_seq` (not in `app_keys` yet), loaded on the first write and kept up to date by each one.
    private var unkeyedApps: AppHashIndex?
    /// `source_names` ids of the sources written so far.
    private var sourceIDs: [String: Int64] = [:]
    /// Whether `app_keys` has any row (when not, no application needs looking up there).
    private var appKeysStored = true
    /// Each workflow version's job names (nil: recorded without them), by digest, read once.
    var jobNamesByDigest: [String: [String]?] = [:]
    /// Whether `transaction` is running its body (a nested one then joins it).
    private var inTransaction = false

    /// Opens (creating the SQLite file and its folder if needed) and migrates the store.
    public init(_ location: StoreLocation) throws {
        self.location = location
        switch location {
        case let .sqlite(path):
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty && path != ":memory:" {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            let sqlite = try SQLiteConnection(path: path)
            // WAL lets readers (reports, a test watching progress) run beside the ingest; NORMAL sync keeps
            // every committed batch consistent (a power cut may only lose the last ones, which a re-run
            // reads again from the checkpoint before them). Checkpointing the WAL every 256 MiB rather
            // than every 4 MiB cut bulk ingest time by a third; a much larger WAL slows page lookups.
            try sqlite.executeScript("PRAGMA busy_timeout = 10000")
            try Self.useWriteAheadLog(sqlite, path: path)
            try sqlite.executeScript("""
                PRAGMA synchronous = NORMAL;
                PRAGMA cache_size = -262144;
                PRAGMA temp_store = MEMORY;
                PRAGMA wal_autocheckpoint = \(Self.walAutocheckpointPages);
                """)
            connection = sqlite
        case let .postgres(url):
            do {
                connection = try PostgresConnection(url)
            } catch {
                throw StoreError("cannot connect to \(location): \(error.message)")
            }
            try connection.execute("SET client_min_messages = warning")
        }
        try migrate()
    }

    /// Switches a SQLite database to write-ahead logging (a setting kept in the file). Switching needs the file
    /// to itself, and SQLite answers "busy" at once rather than waiting when another connection is opening the
    /// same new file: so the mode is read first (only the first opener of a new file switches it) and a busy
    /// switch is tried again for up to 10 s.
    private static func useWriteAheadLog(_ sqlite: SQLiteConnection, path: String) throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let mode = try sqlite.execute("PRAGMA journal_mode").first?.first?.string?.lowercased()
            if mode == "wal" || path == ":memory:" { return }
            do {
                try sqlite.executeScript("PRAGMA journal_mode = WAL")
            } catch {
                guard error.code & 0xFF == 5, ContinuousClock.now < deadline else { throw error }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
    }

    /// Runs a bulk write (an ingest) with the SQLite write-ahead log copied back into the database on a
    /// thread of its own rather than inside the commits that cross `wal_autocheckpoint`: those stalled the
    /// single writer for seconds at a time (a copy of up to 256 MiB and a file sync each). PostgreSQL
    /// checkpoints on its own; there `body` just runs.
    ///
    /// Throws, before `body` runs and with autocheckpoints left on, when the checkpointer cannot open its
    /// connection: without either, the log would grow for the whole ingest.
    public func bulkLoad<T>(_ body: () throws -> T) throws -> T {
        guard case let .sqlite(path) = location, path != ":memory:" else { return try body() }
        let checkpointer: WALCheckpointer
        do {
            checkpointer = try WALCheckpointer(path: path, every: 0.25)
        } catch {
            throw StoreError("cannot open a second connection to \(path) to checkpoint its write-ahead log during the ingest: \(error)")
        }
        do {
            try connection.executeScript("PRAGMA wal_autocheckpoint = 0")
        } catch {
            checkpointer.stop()
            throw error
        }
        defer {
            checkpointer.stop()
            try? connection.executeScript("PRAGMA wal_autocheckpoint = \(Self.walAutocheckpointPages)")
        }
        return try body()
    }

    /// Pages of WAL after which a commit checkpoints, outside `bulkLoad`.
    static let walAutocheckpointPages = 65536

    /// Tunes the connection for a long-running server whose one thread writes small transactions many times a
    /// second (the router). On SQLite, `startCheckpointer` is given the database path and must leave a thread of
    /// the caller's checkpointing the write-ahead log: a checkpoint syncs the database file to disk, which takes
    /// milliseconds, and run by a commit on the writer's thread it would hold every waiting submission for that
    /// long, many times a second. The checkpointer does it instead, with its own connection (WAL checkpoints run
    /// beside writers). Only once it runs is this connection's own autocheckpoint turned off, so when it throws
    /// the store is left as it was rather than let the log grow. PostgreSQL checkpoints on its own: nothing to do.
    public func prepareForServing(startCheckpointer: (String) throws -> Void) throws {
        guard case let .sqlite(path) = location else { return }
        if path != ":memory:" {
            try startCheckpointer(path)
            try connection.execute("PRAGMA wal_autocheckpoint = 0")
        }
        // The server's page cache is emptied often under load, and emptying walks its whole hash of cached pages:
        // at the bulk-ingest size set in `init` (256 MiB) that walk was 8% of the router's CPU under wrk. 16 MiB
        // holds what submissions touch (the tails of their tables and indexes) and made the router 12% faster.
        try connection.execute("PRAGMA cache_size = -16384")
    }

    // MARK: Migrations

    /// The schema version the store is at after `init`.
    public func schemaVersion() throws -> Int {
        Int(try connection.execute("SELECT MAX(version) FROM schema_migrations").first?.first?.int64 ?? 0)
    }

    /// Brings the schema to this bursar's version. Several processes may open a new store at once (the router,
    /// an ingest, a report): the check and every step run in one exclusive transaction (SQLite's write lock,
    /// a PostgreSQL advisory lock), so each process sees the schema as the one before it left it, and only the
    /// first applies anything. A store already at this version is only read, without waiting for writers.
    private func migrate() throws {
        let known = Set(Schema.migrations.map { Int64($0.version) })
        if try isMigrated(to: known) { return }
        try connection.exclusiveTransaction(lock: Self.migrationLock) {
            try connection.executeScript("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
                """)
            // Read under the lock: another process may have migrated since `isMigrated` looked.
            let applied = Set(try connection.execute("SELECT version FROM schema_migrations").compactMap { $0.first?.int64 })
            if let newest = applied.max(), !known.contains(newest) {
                throw StoreError("the store \(location) is at schema version \(newest), newer than this bursar knows (\(known.max() ?? 0)); upgrade bursar")
            }
            for migration in Schema.migrations where !applied.contains(Int64(migration.version)) {
                try connection.executeScript(Schema.sql(migration, dialect: connection.dialect))
                try prepared("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
                    .run([.integer(Int64(migration.version)), .text(migration.name), .integer(Self.now())])
            }
            try refillAppKeysIfFlaggedInTransaction()
        }
    }

    /// The PostgreSQL advisory lock key migrations hold: "bursar" in ASCII, so other applications sharing the
    /// database are unlikely to pick it.
    static let migrationLock: Int64 = 0x62_75_72_73_61_72

    /// Whether every known migration is applied and nothing is left to do after them, read without a lock.
    private func isMigrated(to known: Set<Int64>) throws -> Bool {
        let exists: [[SQLValue]]
        switch connection.dialect {
        case .sqlite:
            exists = try connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
        case .postgres:
            exists = try connection.execute("SELECT 1 WHERE to_regclass('schema_migrations') IS NOT NULL")
        }
        guard !exists.isEmpty else { return false }
        let applied = Set(try connection.execute("SELECT version FROM schema_migrations").compactMap { $0.first?.int64 })
        // A newer store is refused, with its version, under the lock.
        guard applied == known else { return false }
        return try connection.execute("SELECT 1 FROM ingest_state WHERE name = 'app_keys_refill'").isEmpty
    }

    // MARK: Statements

    /// A statement compiled once per store (text is `?`-placeholder SQL from this module only).
    func prepared(_ sql: String) throws -> any SQLStatement {
        if let statement = statements[sql] { return statement }
        let statement = try connection.prepareStatement(sql)
        statements[sql] = statement
        return statement
    }

    /// The wall clock in milliseconds since the epoch: what the store stamps rows with, and the default
    /// clock of the services that write them.
    public static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// Runs `body` in one transaction, or as part of the one already open through this function: so an operation
    /// and its audit entry (`audited`) commit together, or neither does.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        if inTransaction { return try body() }
        inTransaction = true
        defer { inTransaction = false }
        return try connection.transaction(body)
    }

    /// Runs `change` and writes the audit entry `entry` makes of its result, in one transaction. Operations
    /// called inside `change` must open their transactions through `transaction` (the scheduler's operations and
    /// `appendAudit` do), else they meet the open one.
    public func audited<T>(_ change: () throws -> T, entry: (T) -> AuditEntry?) throws -> T {
        try transaction {
            let result = try change()
            if let audit = entry(result) { try insertAudit(audit) }
            return result
        }
    }

    // MARK: Checkpoints

    /// The checkpoint of a source, if it was ever read.
    public func checkpoint(source: String) throws -> SourceCheckpoint? {
        let rows = try prepared("SELECT fingerprint, size, offset_bytes, lines, complete FROM ingest_sources WHERE source = ?")
            .query([.text(source)])
        guard let row = rows.first else { return nil }
        return SourceCheckpoint(source: source, fingerprint: row[0].string ?? "", size: row[1].int64 ?? 0,
                                offset: row[2].int64 ?? 0, lines: row[3].int64 ?? 0, complete: (row[4].int64 ?? 0) != 0)
    }

    /// Saves a checkpoint unless it is behind the stored one for the same content: two ingests reading one
    /// source (overlapping source lists) must not move its checkpoint back, or the next run would read again
    /// what is stored. Content with another fingerprint (a replaced file) always replaces it.
    func saveCheckpoint(_ checkpoint: SourceCheckpoint) throws {
        try prepared("""
            INSERT INTO ingest_sources (source, fingerprint, size, offset_bytes, lines, complete, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (source) DO UPDATE SET fingerprint = excluded.fingerprint, size = excluded.size,
                offset_bytes = excluded.offset_bytes, lines = excluded.lines, complete = excluded.complete,
                updated_at = excluded.updated_at
            WHERE ingest_sources.fingerprint <> excluded.fingerprint
               OR excluded.offset_bytes > ingest_sources.offset_bytes
               OR (excluded.offset_bytes = ingest_sources.offset_bytes AND excluded.complete >= ingest_sources.complete)
            """).run([.text(checkpoint.source), .text(checkpoint.fingerprint), .integer(checkpoint.size),
                      .integer(checkpoint.offset), .integer(checkpoint.lines), .integer(checkpoint.complete ? 1 : 0),
                      .integer(Self.now())])
    }

    /// Saves a checkpoint on its own (a source with nothing new, or one started afresh).
    public func record(_ checkpoint: SourceCheckpoint) throws {
        try transaction { try saveCheckpoint(checkpoint) }
    }

    // MARK: Batches

    /// Writes one batch in one transaction: new applications (existing ones are duplicates and keep their
    /// first reading), numbered in the order they were first read, rejects, and the checkpoint. A failure
    /// or kill leaves the store as it was before the batch.
    ///
    /// New applications are told from stored ones without an index probe per insert: those stored since
    /// the derived tables were last written are known in memory, earlier ones are looked up in
    /// `app_keys`. Several ingests may write one store at once (on PostgreSQL, one per cluster is the
    /// common case): each batch is an exclusive transaction under the ingest lock (`ingestTransaction`), and
    /// before it decides anything it reads into memory the applications other processes stored since its
    /// last batch, and numbers its own after the newest. So an application read by two processes is stored
    /// once, and numbers never collide.
    public func write(_ batch: IngestBatch) throws -> BatchOutcome {
        do {
            return try ingestTransaction {
                let first = try catchUpWithOtherWriters() + 1
                var outcome = BatchOutcome(inserted: 0, duplicates: 0, unattributed: 0, isNew: [], firstSeq: first)
                let isNew = try newApps(batch.apps, firstSeq: first)
                outcome.isNew = isNew
                for i in batch.apps.indices {
                    if isNew[i] {
                        outcome.inserted += 1
                        if batch.apps[i].attribution.basis == .unattributed { outcome.unattributed += 1 }
                    } else {
                        outcome.duplicates += 1
                    }
                }
                try insertApps(batch.apps, isNew: isNew, firstSeq: first, sourceID: sourceID)
                try insertRejects(batch.rejects)
                try saveCheckpoint(batch.checkpoint)
                indexedThroughSeq = first + Int64(outcome.inserted) - 1
                return outcome
            }
        } catch {
            // The batch's applications were counted as stored, and source ids made in it are gone: read back
            // what really is.
            unkeyedApps = nil
            sourceIDs = [:]
            throw error
        }
    }

    /// The PostgreSQL advisory lock every ingest write holds ("bursar" + 1; migrations hold `migrationLock`).
    static let ingestLock: Int64 = migrationLock + 1

    /// Runs `body` as one transaction that no other ingest transaction, in this process or another, runs beside
    /// (SQLite: its write lock, `BEGIN IMMEDIATE`; PostgreSQL: the advisory lock `ingestLock`), so what it reads
    /// of the insight tables stays true until it commits. Transactions opened inside through `transaction` join
    /// it.
    ///
    /// A deadlock or serialization failure (PostgreSQL, with a router writing job_apps beside) is retried up to
    /// 5 times; `body` must then be safe to run again (the ingest's writes are). On SQLite a writer that holds
    /// the file longer than the busy timeout (another `bursar ingest`'s long final transaction) is waited for
    /// up to about a minute, then the error names the file.
    public func ingestTransaction<T>(_ body: () throws -> T) throws -> T {
        precondition(!inTransaction, "an ingest transaction cannot join another transaction")
        var attempt = 0
        while true {
            attempt += 1
            do {
                inTransaction = true
                defer { inTransaction = false }
                return try connection.exclusiveTransaction(lock: Self.ingestLock, body)
            } catch let error as PostgresError where attempt < 5 && ["40001", "40P01"].contains(error.sqlState ?? "") {
                // Another transaction was chosen to go on; this one was rolled back whole. Run it again.
                unkeyedApps = nil
                sourceIDs = [:]
                Thread.sleep(forTimeInterval: 0.01 * Double(attempt))
            } catch let error as SQLiteError where error.code & 0xFF == 5 {
                // SQLITE_BUSY: each attempt already waited the busy timeout (10 s) for the write lock.
                unkeyedApps = nil
                sourceIDs = [:]
                guard attempt < 6 else {
                    throw StoreError("the SQLite store \(location) stayed locked by another writer (another bursar ingest, or a router) for over a minute; run one ingest at a time on a SQLite store, or use PostgreSQL for concurrent ingests (\(error.message))")
                }
            }
        }
    }

    /// Brings the in-memory index of applications not yet in `app_keys` up to the newest stored one (loading
    /// it on first use), inside the caller's ingest transaction; returns the newest application number.
    private func catchUpWithOtherWriters() throws -> Int64 {
        let newest = try lastAppSeq()
        if unkeyedApps == nil {
            let through = try derivedState().throughSeq
            var index = AppHashIndex()
            for row in try prepared("SELECT app_id, seq FROM apps WHERE seq > ?").query([.integer(through)]) {
                index.insert(hash: AppKey.hash(row[0].string ?? ""), seq: row[1].int64 ?? 0)
            }
            unkeyedApps = index
            appKeysStored = !(try connection.execute("SELECT 1 FROM app_keys LIMIT 1").isEmpty)
        } else if newest > indexedThroughSeq {
            for row in try prepared("SELECT app_id, seq FROM apps WHERE seq > ?").query([.integer(indexedThroughSeq)]) {
                unkeyedApps!.insert(hash: AppKey.hash(row[0].string ?? ""), seq: row[1].int64 ?? 0)
            }
        }
        indexedThroughSeq = newest
        return newest
    }

    /// The `source_names` id of a source, made on first use (inside the caller's transaction).
    private func sourceID(_ source: String) throws -> Int64 {
        if let known = sourceIDs[source] { return known }
        try prepared("INSERT INTO source_names (source) VALUES (?) ON CONFLICT (source) DO NOTHING").run([.text(source)])
        guard let id = try prepared("SELECT id FROM source_names WHERE source = ?").query([.text(source)]).first?.first?.int64 else {
            throw StoreError("source_names has no row for \(source) right after it was added")
        }
        sourceIDs[source] = id
        return id
    }

    /// Per application, whether it is neither stored nor an earlier one of `apps`; the new ones are
    /// numbered from `firstSeq` on, in their order.
    /// Runs after `catchUpWithOtherWriters`, which loads the index.
    private func newApps(_ apps: [AppRecord], firstSeq: Int64) throws -> [Bool] {
        var isNew = Array(repeating: true, count: apps.count)
        // Repeats within the batch (the parser drops them already; this keeps the store right on its own).
        var inBatch = Set<AppKey>(minimumCapacity: apps.count)
        var candidates: [(app: Int, seqs: [Int64])] = []
        for i in apps.indices {
            guard inBatch.insert(apps[i].key).inserted else {
                isNew[i] = false
                continue
            }
            if unkeyedApps!.contains(apps[i].key.appHash) {
                candidates.append((i, unkeyedApps!.seqs(for: apps[i].key.appHash)))
            }
        }
        // A hash hit is a repeat only when a stored row with that number has the same id and cluster.
        if !candidates.isEmpty {
            let stored = try storedKeys(candidates.flatMap(\.seqs))
            for candidate in candidates where candidate.seqs.contains(where: { stored[$0] == apps[candidate.app].key }) {
                isNew[candidate.app] = false
            }
        }
        if appKeysStored {
            let toLookUp = apps.indices.filter { isNew[$0] }
            for i in try keyed(toLookUp.map { apps[$0].key }) { isNew[toLookUp[i]] = false }
        }
        var seq = firstSeq
        for i in apps.indices where isNew[i] {
            unkeyedApps!.insert(hash: apps[i].key.appHash, seq: seq)
            seq += 1
        }
        return isNew
    }

    /// The id and cluster of each stored application numbered in `seqs`.
    private func storedKeys(_ seqs: [Int64]) throws -> [Int64: AppKey] {
        var keys: [Int64: AppKey] = [:]
        switch connection.dialect {
        case .sqlite:
            let statement = try prepared("SELECT app_id, cluster FROM apps WHERE seq = ?")
            for seq in Set(seqs) {
                if let row = try statement.query([.integer(seq)]).first {
                    keys[seq] = AppKey(cluster: row[1].string ?? "", appID: row[0].string ?? "")
                }
            }
        case .postgres:
            let statement = try prepared("SELECT seq, app_id, cluster FROM apps WHERE seq = ANY(?::bigint[])")
            let unique = Array(Set(seqs))
            for start in stride(from: 0, to: unique.count, by: Self.postgresChunk) {
                let chunk = unique[start..<min(start + Self.postgresChunk, unique.count)]
                for row in try statement.query([.text(PostgresConnection.arrayLiteral(chunk.map { .integer($0) }))]) {
                    keys[row[0].int64 ?? 0] = AppKey(cluster: row[2].string ?? "", appID: row[1].string ?? "")
                }
            }
        }
        return keys
    }

    /// The positions of `keys` found in `app_keys` (a hash match whose stored row has the same id and cluster).
    private func keyed(_ keys: [AppKey]) throws -> [Int] {
        guard !keys.isEmpty else { return [] }
        switch connection.dialect {
        case .sqlite:
            let statement = try prepared("""
                SELECT 1 FROM app_keys k JOIN apps a ON a.seq = k.seq
                WHERE k.app_hash = ? AND a.app_id = ? AND a.cluster = ? LIMIT 1
                """)
            return try keys.indices.filter { i in
                !(try statement.query([.integer(keys[i].appHash), .text(keys[i].appID), .text(keys[i].cluster)]).isEmpty)
            }
        case .postgres:
            // One round trip per chunk: the chunk's keys as arrays, matched against the table.
            let statement = try prepared("""
                SELECT b.position FROM unnest(?::bigint[], ?::text[], ?::text[])
                    WITH ORDINALITY AS b(app_hash, app_id, cluster, position)
                WHERE EXISTS (SELECT 1 FROM app_keys k JOIN apps a ON a.seq = k.seq
                              WHERE k.app_hash = b.app_hash AND a.app_id = b.app_id AND a.cluster = b.cluster)
                """)
            var found: [Int] = []
            for start in stride(from: 0, to: keys.count, by: Self.postgresChunk) {
                let chunk = keys[start..<min(start + Self.postgresChunk, keys.count)]
                let rows = try statement.query([
                    .text(PostgresConnection.arrayLiteral(chunk.map { .integer($0.appHash) })),
                    .text(PostgresConnection.arrayLiteral(chunk.map { .text($0.appID) })),
                    .text(PostgresConnection.arrayLiteral(chunk.map { .text($0.cluster) })),
                ])
                found += rows.compactMap { $0[0].int64.map { start + Int($0) - 1 } }
            }
            return found
        }
    }

    /// Adds to `app_keys` every application numbered in `(after, through]`, in key order, so the index
    /// grows by sorted appends once per run instead of by a scattered insert per application. The keys
    /// come from memory when this store wrote or loaded them, else from `apps`.
    func keyApps(after: Int64, through: Int64) throws {
        guard through > after else { return }
        var rows: [(hash: Int64, seq: Int64)]
        // Other processes may have stored applications since this one's last batch: the index must hold them.
        if unkeyedApps != nil { _ = try catchUpWithOtherWriters() }
        if let unkeyed = unkeyedApps {
            rows = []
            rows.reserveCapacity(unkeyed.count)
            unkeyed.forEach { hash, seq in
                if seq > after && seq <= through { rows.append((hash, seq)) }
            }
        } else {
            rows = try appHashes(after: after, through: through)
        }
        rows.sort { $0.hash != $1.hash ? $0.hash < $1.hash : $0.seq < $1.seq }
        try bulkInsert(.appKeys, rows) { binder, row in
            try binder.integer(row.hash)
            try binder.integer(row.seq)
        }
        // Those keys are in the table now; later writes look them up there.
        unkeyedApps = nil
    }

    /// The id hash and number of every application numbered in `(after, through]`.
    private func appHashes(after: Int64, through: Int64) throws -> [(hash: Int64, seq: Int64)] {
        try prepared("SELECT app_id, seq FROM apps WHERE seq > ? AND seq <= ?")
            .query([.integer(after), .integer(through)])
            .map { (AppKey.hash($0[0].string ?? ""), $0[1].int64 ?? 0) }
    }

    /// Fills `app_keys` for a store migrated to version 6, which could not compute the hashes in SQL; runs
    /// inside the migrations' transaction, so two processes opening the store never both fill it.
    private func refillAppKeysIfFlaggedInTransaction() throws {
        let flagged = try connection.execute("SELECT 1 FROM ingest_state WHERE name = 'app_keys_refill'")
        guard !flagged.isEmpty else { return }
        let through = try derivedState().throughSeq
        var rows = try appHashes(after: 0, through: through)
        rows.sort { $0.hash != $1.hash ? $0.hash < $1.hash : $0.seq < $1.seq }
        try bulkInsert(.appKeys, rows) { binder, row in
            try binder.integer(row.hash)
            try binder.integer(row.seq)
        }
        try connection.execute("DELETE FROM ingest_state WHERE name = 'app_keys_refill'")
    }

    /// The sequence number of the newest stored application, 0 when there is none.
    public func lastAppSeq() throws -> Int64 {
        try connection.execute("SELECT COALESCE(MAX(seq), 0) FROM apps").first?.first?.int64 ?? 0
    }
}
