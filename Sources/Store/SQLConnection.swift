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
    /// Runs the statement and returns how many rows it inserted, updated or deleted.
    @discardableResult
    func run(_ parameters: [SQLValue]) throws -> Int
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
