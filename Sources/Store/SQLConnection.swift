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
}

/// The minimal surface shared by the SQLite and PostgreSQL connections, so early code and tests can run
/// against either. Placeholders stay in each database's dialect: `?` / `?NNN` for SQLite, `$1` for PostgreSQL.
public protocol SQLConnection: AnyObject {
    /// Runs one statement with bound parameters (never spliced into the SQL text) and returns its rows.
    /// Statements that return no rows give an empty array.
    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue]) throws -> [[SQLValue]]
}

extension SQLConnection {
    /// Runs one statement without parameters.
    @discardableResult
    public func execute(_ sql: String) throws -> [[SQLValue]] {
        try execute(sql, [])
    }
}
