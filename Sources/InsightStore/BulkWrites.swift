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
        ("cluster", "text"), ("app_id", "text"), ("format", "text"), ("queue", "text"), ("user_name", "text"),
        ("state", "text"), ("submitted_at", "bigint"), ("started_at", "bigint"), ("finished_at", "bigint"),
        ("vcore_seconds", "bigint"), ("memory_seconds", "bigint"), ("usage", "text"), ("preempted", "text"),
        ("placeholder", "text"), ("basis", "text"), ("org", "text"), ("project", "text"), ("tier", "bigint"),
        ("workflow", "text"), ("job", "text"), ("run_id", "text"), ("demand_queue", "text"), ("source", "text"),
        ("line", "bigint"),
    ], conflict: "ON CONFLICT (app_id, cluster) DO NOTHING")

    static let usageHourly = BulkInsert(table: "usage_hourly", columns: [
        ("cluster", "text"), ("queue", "text"), ("hour", "bigint"), ("resource", "text"), ("amount", "bigint"),
    ], conflict: "ON CONFLICT (cluster, queue, hour, resource) DO UPDATE SET amount = usage_hourly.amount + excluded.amount")

    static let occupancyHourly = BulkInsert(table: "occupancy_hourly", columns: [
        ("cluster", "text"), ("queue", "text"), ("hour", "bigint"), ("app_ms", "bigint"), ("apps_started", "bigint"),
    ], conflict: """
        ON CONFLICT (cluster, queue, hour) DO UPDATE SET app_ms = occupancy_hourly.app_ms + excluded.app_ms,
            apps_started = occupancy_hourly.apps_started + excluded.apps_started
        """)

    static let rejects = BulkInsert(table: "rejects", columns: [
        ("source", "text"), ("line", "bigint"), ("reason", "text"), ("text", "text"),
    ], conflict: "ON CONFLICT (source, line) DO NOTHING")

    static let jobApps = BulkInsert(table: "job_apps", columns: [
        ("app_id", "text"), ("workflow", "text"), ("job", "text"), ("run_id", "text"), ("scheduled_at", "bigint"),
    ], conflict: """
        ON CONFLICT (app_id) DO UPDATE SET workflow = excluded.workflow, job = excluded.job,
            run_id = excluded.run_id, scheduled_at = excluded.scheduled_at
        """)

    static let workflowRuns = BulkInsert(table: "workflow_runs", columns: [
        ("workflow", "text"), ("run_id", "text"), ("project", "text"), ("org", "text"), ("tier", "bigint"),
        ("scheduled_at", "bigint"), ("slo_minutes", "bigint"), ("started_at", "bigint"), ("finished_at", "bigint"),
        ("apps_expected", "bigint"), ("apps_finished", "bigint"), ("outcome", "text"),
    ], conflict: "")
}

extension InsightStore {
    static let postgresChunk = 5_000

    /// Writes rows (in the order of `bulk.columns`) in the dialect's bulk form.
    func insert(_ bulk: BulkInsert, _ rows: [[SQLValue]]) throws {
        guard !rows.isEmpty else { return }
        switch connection.dialect {
        case .sqlite:
            let statement = try prepared(bulk.sqlite)
            for row in rows { try statement.run(row) }
        case .postgres:
            let statement = try prepared(bulk.postgres)
            for chunk in Self.arrayParameters(rows, width: bulk.columns.count) { try statement.run(chunk) }
        }
    }

    /// Rows transposed into one PostgreSQL array parameter per column, `postgresChunk` rows at a time.
    static func arrayParameters(_ rows: [[SQLValue]], width: Int) -> [[SQLValue]] {
        stride(from: 0, to: rows.count, by: postgresChunk).map { start in
            var columns = Array(repeating: [SQLValue](), count: width)
            for row in rows[start..<min(start + postgresChunk, rows.count)] {
                for (index, value) in row.enumerated() { columns[index].append(value) }
            }
            return columns.map { .text(PostgresConnection.arrayLiteral($0)) }
        }
    }

    /// Inserts applications not stored yet; returns, per application, whether it was new.
    func insertApps(_ apps: [AppRecord]) throws -> [Bool] {
        guard !apps.isEmpty else { return [] }
        if let sqlite = connection as? SQLiteConnection {
            return try insertApps(apps, sqlite: sqlite)
        }
        let statement = try prepared(BulkInsert.apps.postgres + " RETURNING cluster, app_id")
        var new = Set<String>()
        for chunk in Self.arrayParameters(apps.map(Self.values(of:)), width: BulkInsert.apps.columns.count) {
            for row in try statement.query(chunk) { new.insert((row[0].string ?? "") + "\u{0}" + (row[1].string ?? "")) }
        }
        return apps.map { new.contains($0.cluster + "\u{0}" + $0.summary.applicationID) }
    }

    private func insertApps(_ apps: [AppRecord], sqlite: SQLiteConnection) throws -> [Bool] {
        guard let statement = try prepared(BulkInsert.apps.sqlite) as? SQLiteStatement else {
            preconditionFailure("a SQLite connection prepares SQLite statements")
        }
        var inserted: [Bool] = []
        inserted.reserveCapacity(apps.count)
        for app in apps {
            // The allocation-free binding path: this loop runs once per application ingested.
            let s = app.summary
            let a = app.attribution
            statement.reset()
            try statement.bindText(1, app.cluster)
            try statement.bindText(2, s.applicationID)
            try statement.bindText(3, s.format.rawValue)
            try statement.bindText(4, s.queue)
            try statement.bindText(5, s.user)
            try statement.bindText(6, s.state)
            try statement.bindInteger(7, s.submissionTime)
            try statement.bindInteger(8, s.startTime)
            try statement.bindInteger(9, s.finishTime)
            try statement.bindInteger(10, s.usage["vcore"] ?? 0)
            try statement.bindInteger(11, s.usage["memory"] ?? 0)
            try statement.bindText(12, app.usageText)
            try statement.bindText(13, app.preemptedText)
            try statement.bindText(14, app.placeholderText)
            try statement.bindText(15, a.basis.rawValue)
            try statement.bindText(16, a.org)
            try statement.bindText(17, a.project)
            if let tier = a.tier { try statement.bindInteger(18, Int64(tier)) }
            try statement.bindText(19, a.workflow)
            try statement.bindText(20, a.job)
            try statement.bindText(21, a.runID)
            try statement.bindText(22, app.demandQueue)
            try statement.bindText(23, app.source)
            try statement.bindInteger(24, app.line)
            inserted.append(try statement.runBound() == 1)
        }
        return inserted
    }

    static func values(of app: AppRecord) -> [SQLValue] {
        let s = app.summary
        let a = app.attribution
        return [
            .text(app.cluster), .text(s.applicationID), .text(s.format.rawValue), .text(s.queue), .text(s.user),
            .text(s.state), .integer(s.submissionTime), .integer(s.startTime), .integer(s.finishTime),
            .integer(s.usage["vcore"] ?? 0), .integer(s.usage["memory"] ?? 0), .text(app.usageText),
            .text(app.preemptedText), .text(app.placeholderText), .text(a.basis.rawValue), .text(a.org),
            .text(a.project), .integer(a.tier.map(Int64.init)), .text(a.workflow), .text(a.job), .text(a.runID),
            .text(app.demandQueue), .text(app.source), .integer(app.line),
        ]
    }

    /// `memory=96636764160,pods=180,vcore=180000`: every resource, sorted by name.
    static func encode(_ usage: [String: Int64]) -> String {
        guard !usage.isEmpty else { return "" }
        // Runs once per application: build the text directly rather than through sorted/map/joined.
        var text = ""
        text.reserveCapacity(usage.count * 24)
        for name in usage.keys.sorted() {
            if !text.isEmpty { text += "," }
            text += name
            text += "="
            text += String(usage[name]!)
        }
        return text
    }

    /// Adds hourly amounts and occupancy to what is stored.
    func addHourly(_ hourly: HourlyUsage) throws {
        let cells = hourly.unsortedCells
        let occupancies = hourly.unsortedOccupancies
        let usageRows = cells.map {
            [SQLValue.text($0.queue.cluster), .text($0.queue.queue), .integer($0.hour), .text($0.resource), .integer($0.amount)]
        }
        let occupancyRows = occupancies.map {
            [SQLValue.text($0.queue.cluster), .text($0.queue.queue), .integer($0.hour), .integer($0.appMillis),
             .integer($0.appsStarted)]
        }
        try insert(.usageHourly, usageRows)
        try insert(.occupancyHourly, occupancyRows)
    }

    /// Keeps rejected lines (a line already kept is left as it was).
    func insertRejects(_ rejects: [RejectRecord]) throws {
        try insert(.rejects, rejects.map { [.text($0.source), .integer($0.line), .text($0.reason), .text($0.text)] })
    }
}
