import Store
import Ingest
import Insights

/// The bulk writes of a batch. SQLite runs one prepared statement per row inside the batch transaction
/// (cheap in process); PostgreSQL gets each column as one array parameter and `unnest`s them, so a batch
/// costs a few round trips instead of one per row. Either way values are always bound, never spliced
/// into SQL text (the statements below are constants of this module).
extension InsightStore {
    static let appColumns = """
        cluster, app_id, format, queue, user_name, state, submitted_at, started_at, finished_at, vcore_seconds,
        memory_seconds, usage, preempted, placeholder, basis, org, project, tier, workflow, job, run_id,
        demand_queue, source, line
        """
    // PostgreSQL types of the columns above, in order, for `unnest`.
    static let appTypes = ["text", "text", "text", "text", "text", "text", "bigint", "bigint", "bigint", "bigint",
                           "bigint", "text", "text", "text", "text", "text", "text", "bigint", "text", "text", "text",
                           "text", "text", "bigint"]
    static let postgresChunk = 5_000

    /// Inserts applications not stored yet; returns, per application, whether it was new.
    func insertApps(_ apps: [AppRecord]) throws -> [Bool] {
        guard !apps.isEmpty else { return [] }
        if let sqlite = connection as? SQLiteConnection {
            return try insertApps(apps, sqlite: sqlite)
        }
        var inserted: [Bool] = []
        inserted.reserveCapacity(apps.count)
        let placeholders = Self.appTypes.map { "?::\($0)[]" }.joined(separator: ", ")
        let statement = try prepared("""
            INSERT INTO apps (\(Self.appColumns)) SELECT * FROM unnest(\(placeholders))
            ON CONFLICT (app_id, cluster) DO NOTHING RETURNING cluster, app_id
            """)
        var start = 0
        while start < apps.count {
            let chunk = apps[start..<min(start + Self.postgresChunk, apps.count)]
            var columns = Array(repeating: [SQLValue](), count: Self.appTypes.count)
            for app in chunk {
                for (index, value) in Self.values(of: app).enumerated() { columns[index].append(value) }
            }
            let rows = try statement.query(columns.map { .text(PostgresConnection.arrayLiteral($0)) })
            let new = Set(rows.map { ($0[0].string ?? "") + "\u{0}" + ($0[1].string ?? "") })
            for app in chunk { inserted.append(new.contains(app.cluster + "\u{0}" + app.summary.applicationID)) }
            start += Self.postgresChunk
        }
        return inserted
    }

    private func insertApps(_ apps: [AppRecord], sqlite: SQLiteConnection) throws -> [Bool] {
        let placeholders = Array(repeating: "?", count: Self.appTypes.count).joined(separator: ", ")
        guard let statement = try prepared("""
            INSERT INTO apps (\(Self.appColumns)) VALUES (\(placeholders)) ON CONFLICT (app_id, cluster) DO NOTHING
            """) as? SQLiteStatement else { preconditionFailure("SQLite statement expected") }
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

    /// The inverse of `encode`.
    static func decode(_ text: String) -> [String: Int64] {
        var usage: [String: Int64] = [:]
        for entry in text.split(separator: ",") {
            guard let equals = entry.lastIndex(of: "="), let amount = Int64(entry[entry.index(after: equals)...]) else { continue }
            usage[String(entry[..<equals])] = amount
        }
        return usage
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
        switch connection.dialect {
        case .sqlite:
            let usage = try prepared("""
                INSERT INTO usage_hourly (cluster, queue, hour, resource, amount) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (cluster, queue, hour, resource) DO UPDATE SET amount = usage_hourly.amount + excluded.amount
                """)
            for row in usageRows { try usage.run(row) }
            let occupancy = try prepared("""
                INSERT INTO occupancy_hourly (cluster, queue, hour, app_ms, apps_started) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (cluster, queue, hour) DO UPDATE SET app_ms = occupancy_hourly.app_ms + excluded.app_ms,
                    apps_started = occupancy_hourly.apps_started + excluded.apps_started
                """)
            for row in occupancyRows { try occupancy.run(row) }
        case .postgres:
            let usage = try prepared("""
                INSERT INTO usage_hourly (cluster, queue, hour, resource, amount)
                SELECT * FROM unnest(?::text[], ?::text[], ?::bigint[], ?::text[], ?::bigint[])
                ON CONFLICT (cluster, queue, hour, resource) DO UPDATE SET amount = usage_hourly.amount + excluded.amount
                """)
            try runChunked(usage, usageRows, width: 5)
            let occupancy = try prepared("""
                INSERT INTO occupancy_hourly (cluster, queue, hour, app_ms, apps_started)
                SELECT * FROM unnest(?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[])
                ON CONFLICT (cluster, queue, hour) DO UPDATE SET app_ms = occupancy_hourly.app_ms + excluded.app_ms,
                    apps_started = occupancy_hourly.apps_started + excluded.apps_started
                """)
            try runChunked(occupancy, occupancyRows, width: 5)
        }
    }

    /// Keeps rejected lines (a line already kept is left as it was).
    func insertRejects(_ rejects: [RejectRecord]) throws {
        let rows = rejects.map { [SQLValue.text($0.source), .integer($0.line), .text($0.reason), .text($0.text)] }
        switch connection.dialect {
        case .sqlite:
            let statement = try prepared("""
                INSERT INTO rejects (source, line, reason, text) VALUES (?, ?, ?, ?) ON CONFLICT (source, line) DO NOTHING
                """)
            for row in rows { try statement.run(row) }
        case .postgres:
            let statement = try prepared("""
                INSERT INTO rejects (source, line, reason, text)
                SELECT * FROM unnest(?::text[], ?::bigint[], ?::text[], ?::text[]) ON CONFLICT (source, line) DO NOTHING
                """)
            try runChunked(statement, rows, width: 4)
        }
    }

    /// Runs an `unnest` statement over rows transposed into one array parameter per column.
    func runChunked(_ statement: any SQLStatement, _ rows: [[SQLValue]], width: Int) throws {
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + Self.postgresChunk, rows.count)]
            var columns = Array(repeating: [SQLValue](), count: width)
            for row in chunk {
                for (index, value) in row.enumerated() { columns[index].append(value) }
            }
            try statement.run(columns.map { .text(PostgresConnection.arrayLiteral($0)) })
            start += Self.postgresChunk
        }
    }
}
