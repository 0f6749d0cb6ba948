/// A value crossing the boundary to a SQL database, as a parameter or a result cell.
public enum SQLValue: Sendable, Hashable {
    /// SQL NULL.
    case null
    /// A 64-bit integer (SQLite INTEGER, PostgreSQL bigint and smaller).
    case integer(Int64)
    /// A double-precision float.
    case real(Double)
    /// UTF-8 text; also every non-NULL PostgreSQL result, which arrives in text format.
    case text(String)
    /// Raw bytes (SQLite BLOB, PostgreSQL bytea).
    case blob([UInt8])

    /// The value as an integer: SQLite integers as they are, PostgreSQL's text results parsed.
    public var int64: Int64? {
        switch self {
        case let .integer(value): return value
        case let .real(value): return value.isFinite ? Int64(exactly: value.rounded()) : nil
        case let .text(text): return Int64(text) ?? Double(text).flatMap { Int64(exactly: $0.rounded()) }
        case .null, .blob: return nil
        }
    }

    /// The value as a double: integers widened, PostgreSQL's text results parsed.
    public var double: Double? {
        switch self {
        case let .integer(value): return Double(value)
        case let .real(value): return value
        case let .text(text): return Double(text)
        case .null, .blob: return nil
        }
    }

    /// The value as text: numbers rendered, NULL and blobs nil.
    public var string: String? {
        switch self {
        case let .text(text): return text
        case let .integer(value): return String(value)
        case let .real(value): return String(value)
        case .null, .blob: return nil
        }
    }

    /// Wraps an optional string, NULL for nil.
    public static func text(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
    /// Wraps an optional integer, NULL for nil.
    public static func integer(_ value: Int64?) -> SQLValue { value.map { .integer($0) } ?? .null }
}

/// The SQL dialect behind a connection, for the few statements that must differ.
public enum SQLDialect: String, Sendable {
    case sqlite
    case postgres
}

/// The surface shared by the SQLite and PostgreSQL connections, so the store runs against either.
///
/// Statements given to `prepareStatement` are written with `?` placeholders in both dialects; the
/// PostgreSQL connection numbers them (`$1`, `$2`, …). `execute` keeps each database's own placeholders.
public protocol SQLConnection: AnyObject {
    /// Which database this is.
    var dialect: SQLDialect { get }

    /// Runs one statement with bound parameters (never spliced into the SQL text) and returns its rows.
    /// Statements that return no rows give an empty array.
    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue]) throws -> [[SQLValue]]

    /// Compiles one statement (with `?` placeholders) for repeated execution.
    func prepareStatement(_ sql: String) throws -> any SQLStatement

    /// Runs a script of `;`-separated statements without parameters (schema migrations).
    func executeScript(_ sql: String) throws
}

/// A compiled statement, run many times with different parameters.
public protocol SQLStatement: AnyObject {
    /// Runs the statement and returns its rows.
    func query(_ parameters: [SQLValue]) throws -> [[SQLValue]]
    /// Runs the statement and hands each row to `body` as it is read, building no array of rows: for
    /// reads of hundreds of thousands of rows. The row is valid only inside `body`.
    func forEachRow(_ parameters: [SQLValue], _ body: (SQLRow) throws -> Void) throws
    /// Runs the statement and returns how many rows it inserted, updated or deleted.
    @discardableResult
    func run(_ parameters: [SQLValue]) throws -> Int
}

extension SQLStatement {
    /// Reads the whole result first (PostgreSQL's result arrives whole anyway), then hands over each row.
    public func forEachRow(_ parameters: [SQLValue], _ body: (SQLRow) throws -> Void) throws {
        for values in try query(parameters) { try body(SQLRow(values: values)) }
    }
}

/// One result row being read: typed cells without a `[SQLValue]` per row where the database allows it.
public struct SQLRow {
    enum Source {
        case values([SQLValue])
        case sqlite(OpaquePointer)
    }

    let source: Source

    init(values: [SQLValue]) { source = .values(values) }
    init(sqlite statement: OpaquePointer) { source = .sqlite(statement) }

    /// The cell as an integer (see `SQLValue.int64`).
    public func int64(_ column: Int) -> Int64? {
        switch source {
        case let .values(values): values[column].int64
        case let .sqlite(statement): SQLiteStatement.int64(statement, Int32(column))
        }
    }

    /// The cell as text (see `SQLValue.string`).
    public func string(_ column: Int) -> String? {
        switch source {
        case let .values(values): values[column].string
        case let .sqlite(statement): SQLiteStatement.string(statement, Int32(column))
        }
    }

    /// Whether the cell is the text `other`, without making a string of it (for runs of equal keys).
    public func text(_ column: Int, equals other: String) -> Bool {
        switch source {
        case let .values(values): values[column].string == other
        case let .sqlite(statement): SQLiteStatement.text(statement, Int32(column), equals: other)
        }
    }
}

extension SQLConnection {
    /// Runs one statement without parameters.
    @discardableResult
    public func execute(_ sql: String) throws -> [[SQLValue]] {
        try execute(sql, [])
    }

    /// Runs `body` inside one transaction: committed when it returns, rolled back when it throws, so a
    /// failure (or a kill, which never reaches COMMIT) leaves nothing half-written.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        return try finishTransaction(body)
    }

    /// Runs `body` inside one transaction that no other connection, in this process or another, runs an
    /// exclusive transaction with the same `lock` beside: schema migrations, which must see the schema as
    /// the previous one left it. SQLite takes its one write lock at the start (`BEGIN IMMEDIATE`, waiting
    /// as long as the connection's busy timeout), so `lock` does not matter there; PostgreSQL takes the
    /// transaction-scoped advisory lock `lock` (`pg_advisory_xact_lock`), released by the commit or rollback.
    public func exclusiveTransaction<T>(lock: Int64, _ body: () throws -> T) throws -> T {
        switch dialect {
        case .sqlite:
            try execute("BEGIN IMMEDIATE")
        case .postgres:
            try execute("BEGIN")
            do {
                try execute("SELECT pg_advisory_xact_lock($1::bigint)", [.integer(lock)])
            } catch {
                _ = try? execute("ROLLBACK")
                throw error
            }
        }
        return try finishTransaction(body)
    }

    /// Runs `body` in the transaction just begun and commits it, or rolls it back when anything throws.
    private func finishTransaction<T>(_ body: () throws -> T) throws -> T {
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            // The rollback's own failure (e.g. the connection is gone) must not hide the original error.
            _ = try? execute("ROLLBACK")
            throw error
        }
    }
}
