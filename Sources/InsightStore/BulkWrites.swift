import Store
import Ingest
import Insights

/// A multi-row INSERT described once and run in each dialect's bulk form: SQLite runs one prepared
/// statement per row inside the batch transaction (cheap in process); PostgreSQL gets each column as one
/// array parameter and `unnest`s them, so a batch costs a few round trips instead of one per row. Values
/// are always bound; the SQL text is built only from the constant names below.
struct BulkInsert {
    let table: String
    /// Column names with their PostgreSQL types (for `unnest`).
    let columns: [(name: String, type: String)]
    /// What a row whose key is already stored does, e.g. `ON CONFLICT (k) DO NOTHING`; empty for none.
    let conflict: String

    var sqlite: String {
        let names = columns.map(\.name).joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        return "INSERT INTO \(table) (\(names)) VALUES (\(placeholders)) \(conflict)"
    }

    var postgres: String {
        let names = columns.map(\.name).joined(separator: ", ")
        let arrays = columns.map { "?::\($0.type)[]" }.joined(separator: ", ")
        return "INSERT INTO \(table) (\(names)) SELECT * FROM unnest(\(arrays)) \(conflict)"
    }

    static let apps = BulkInsert(table: "apps", columns: [
        ("seq", "bigint"), ("cluster", "text"), ("app_id", "text"), ("format", "text"), ("queue", "text"), ("user_name", "text"),
        ("state", "text"), ("submitted_at", "bigint"), ("started_at", "bigint"), ("finished_at", "bigint"),
        ("vcore_seconds", "bigint"), ("memory_seconds", "bigint"), ("other_usage", "text"), ("preempted", "text"),
        ("placeholder", "text"), ("basis", "text"), ("org", "text"), ("project", "text"), ("tier", "bigint"),
        ("workflow", "text"), ("source_id", "bigint"), ("line", "bigint"),
    ], conflict: "")

    static let appKeys = BulkInsert(table: "app_keys", columns: [("app_hash", "bigint"), ("seq", "bigint")], conflict: "")

    static let queueHours = BulkInsert(table: "queue_hours", columns: [
        ("cluster", "text"), ("queue", "text"), ("hour", "bigint"), ("app_ms", "bigint"), ("apps_started", "bigint"),
        ("vcore", "bigint"), ("memory", "bigint"), ("pods", "bigint"),
    ], conflict: """
        ON CONFLICT (cluster, queue, hour) DO UPDATE SET app_ms = queue_hours.app_ms + excluded.app_ms,
            apps_started = queue_hours.apps_started + excluded.apps_started, vcore = queue_hours.vcore + excluded.vcore,
            memory = queue_hours.memory + excluded.memory, pods = queue_hours.pods + excluded.pods
        """)

    static let queueHoursOther = BulkInsert(table: "queue_hours_other", columns: [
        ("cluster", "text"), ("queue", "text"), ("hour", "bigint"), ("resource", "text"), ("amount", "bigint"),
    ], conflict: """
        ON CONFLICT (cluster, queue, hour, resource) DO UPDATE SET amount = queue_hours_other.amount + excluded.amount
        """)

    static let rejects = BulkInsert(table: "rejects", columns: [
        ("source", "text"), ("line", "bigint"), ("reason", "text"), ("text", "text"),
    ], conflict: "ON CONFLICT (source, line) DO NOTHING")

    static let jobApps = BulkInsert(table: "job_apps", columns: [
        ("app_id", "text"), ("workflow", "text"), ("job", "text"), ("run_id", "text"), ("scheduled_at", "bigint"),
    ], conflict: "ON CONFLICT (app_id) DO NOTHING")

    static let workflowRuns = BulkInsert(table: "workflow_runs", columns: [
        ("workflow", "text"), ("run_id", "text"), ("project", "text"), ("org", "text"), ("tier", "bigint"),
        ("scheduled_at", "bigint"), ("slo_minutes", "bigint"), ("started_at", "bigint"), ("finished_at", "bigint"),
        ("apps_expected", "bigint"), ("apps_finished", "bigint"), ("outcome", "text"),
    ], conflict: """
        ON CONFLICT (workflow, run_id) DO UPDATE SET project = excluded.project, org = excluded.org,
            tier = excluded.tier, scheduled_at = excluded.scheduled_at, slo_minutes = excluded.slo_minutes,
            started_at = excluded.started_at, finished_at = excluded.finished_at,
            apps_expected = excluded.apps_expected, apps_finished = excluded.apps_finished, outcome = excluded.outcome
        """)
}

/// Binds one row's values, in the order of a `BulkInsert`'s columns, for either dialect's bulk form:
/// straight into SQLite's prepared statement (no intermediate values), or onto per-column lists that go
/// to PostgreSQL as array parameters.
struct RowBinder {
    fileprivate let sqlite: SQLiteStatement?
    fileprivate var columns: [[SQLValue]]
    fileprivate var position: Int32 = 0

    mutating func text(_ value: String?) throws {
        position += 1
        if let sqlite { try sqlite.bindText(position, value) } else { columns[Int(position) - 1].append(.text(value)) }
    }

    mutating func integer(_ value: Int64?) throws {
        position += 1
        if let sqlite {
            if let value { try sqlite.bindInteger(position, value) } else { try sqlite.bindText(position, nil) }
        } else {
            columns[Int(position) - 1].append(.integer(value))
        }
    }
}

extension InsightStore {
    static let postgresChunk = 5_000

    /// Writes `rows` in the dialect's bulk form, each bound by `bind`. On SQLite returns, per row, whether
    /// it changed the table (false when a conflict clause skipped it); on PostgreSQL returns the rows of
    /// `returning` (e.g. `RETURNING app_id`), if given.
    @discardableResult
    func bulkInsert<Row>(_ bulk: BulkInsert, _ rows: [Row], returning: String = "",
                         bind: (inout RowBinder, Row) throws -> Void) throws -> (changed: [Bool], returned: [[SQLValue]]) {
        guard !rows.isEmpty else { return ([], []) }
        switch connection.dialect {
        case .sqlite:
            guard let statement = try prepared(bulk.sqlite) as? SQLiteStatement else {
                preconditionFailure("a SQLite connection prepares SQLite statements")
            }
            var changed: [Bool] = []
            changed.reserveCapacity(rows.count)
            for row in rows {
                statement.rewind()
                var binder = RowBinder(sqlite: statement, columns: [])
                try bind(&binder, row)
                changed.append(try statement.runBound() > 0)
            }
            return (changed, [])
        case .postgres:
            let statement = try prepared(bulk.postgres + (returning.isEmpty ? "" : " " + returning))
            var returned: [[SQLValue]] = []
            for start in stride(from: 0, to: rows.count, by: Self.postgresChunk) {
                var binder = RowBinder(sqlite: nil, columns: Array(repeating: [], count: bulk.columns.count))
                for row in rows[start..<min(start + Self.postgresChunk, rows.count)] {
                    binder.position = 0
                    try bind(&binder, row)
                }
                let parameters = binder.columns.map { SQLValue.text(PostgresConnection.arrayLiteral($0)) }
                if returning.isEmpty { try statement.run(parameters) } else { returned += try statement.query(parameters) }
            }
            return ([], returned)
        }
    }

    /// Inserts the applications marked new, numbering them from `firstSeq` on in their order; `sourceID`
    /// gives each one's `source_names` id.
    func insertApps(_ apps: [AppRecord], isNew: [Bool], firstSeq: Int64, sourceID: (String) throws -> Int64) throws {
        let new = apps.indices.filter { isNew[$0] }
        var seq = firstSeq
        var lastSource: (name: String, id: Int64)?
        _ = try apps.withUnsafeBufferPointer { records in
            try bulkInsert(.apps, new) { binder, index in
                // Borrowed in place: copying a record would retain and release each of its strings.
                let id: Int64
                if let lastSource, lastSource.name == records[index].source { id = lastSource.id } else {
                    id = try sourceID(records[index].source)
                    lastSource = (records[index].source, id)
                }
                try Self.bind(records[index], seq: seq, sourceID: id, &binder)
                seq += 1
            }
        }
    }

    private static func bind(_ app: borrowing AppRecord, seq: Int64, sourceID: Int64, _ binder: inout RowBinder) throws {
        try binder.integer(seq)
        try binder.text(app.cluster)
        try binder.text(app.summary.applicationID)
        try binder.text(app.summary.format.rawValue)
        try binder.text(app.summary.queue)
        try binder.text(app.summary.user)
        try binder.text(app.summary.state)
        try binder.integer(app.summary.submissionTime)
        try binder.integer(app.summary.startTime)
        try binder.integer(app.summary.finishTime)
        try binder.integer(app.vcoreSeconds)
        try binder.integer(app.memorySeconds)
        try binder.text(app.otherUsageText)
        try binder.text(app.preemptedText)
        try binder.text(app.placeholderText)
        try binder.text(app.attribution.basis.rawValue)
        try binder.text(app.attribution.org)
        try binder.text(app.attribution.project)
        try binder.integer(app.attribution.tier.map(Int64.init))
        try binder.text(app.attribution.workflow)
        try binder.integer(sourceID)
        try binder.integer(app.line)
    }

    /// The resources with columns of their own in `apps` (`vcore_seconds`, `memory_seconds`).
    static let columnResources: Set<String> = ["vcore", "memory"]

    /// `memory=96636764160,pods=180,vcore=180000`: every resource, sorted by name.
    static func encode(_ usage: [String: Int64], leavingOut: Set<String> = []) -> String {
        guard !usage.isEmpty else { return "" }
        // Runs once per application: build the text directly rather than through sorted/map/joined.
        var text = ""
        text.reserveCapacity(usage.count * 24)
        for name in usage.keys.sorted() where !leavingOut.contains(name) {
            if !text.isEmpty { text += "," }
            text += name
            text += "="
            text += String(usage[name]!)
        }
        return text
    }

    /// The inverse of `encode`.
    static func decode(_ text: String) -> [String: Int64] {
        var usage: [String: Int64] = [:]
        for pair in text.split(separator: ",") {
            guard let equals = pair.lastIndex(of: "="), let amount = Int64(pair[pair.index(after: equals)...]) else { continue }
            usage[String(pair[..<equals])] = amount
        }
        return usage
    }

    /// Adds hourly usage to what is stored.
    func addQueueHours(_ hours: [HourlyUsage.QueueHourAmounts]) throws {
        try bulkInsert(.queueHours, hours) { binder, hour in
            try binder.text(hour.queue.cluster)
            try binder.text(hour.queue.queue)
            try binder.integer(hour.hour)
            try binder.integer(hour.appMillis)
            try binder.integer(hour.appsStarted)
            try binder.integer(hour.vcore)
            try binder.integer(hour.memory)
            try binder.integer(hour.pods)
        }
        let other = hours.flatMap { hour in hour.other.map { (hour, $0.resource, $0.amount) } }
        try bulkInsert(.queueHoursOther, other) { binder, entry in
            try binder.text(entry.0.queue.cluster)
            try binder.text(entry.0.queue.queue)
            try binder.integer(entry.0.hour)
            try binder.text(entry.1)
            try binder.integer(entry.2)
        }
    }

    /// Keeps rejected lines (a line already kept is left as it was).
    func insertRejects(_ rejects: [RejectRecord]) throws {
        try bulkInsert(.rejects, rejects) { binder, reject in
            try binder.text(reject.source)
            try binder.integer(reject.line)
            try binder.text(reject.reason)
            try binder.text(reject.text)
        }
    }
}
