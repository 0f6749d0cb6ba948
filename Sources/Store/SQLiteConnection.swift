import CSQLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed SQLite call, with SQLite's own explanation.
public struct SQLiteError: Error, Equatable, CustomStringConvertible {
    /// The extended result code (for example 1 = SQLITE_ERROR, 19 + extensions = constraint violations).
    public let code: Int32
    /// The text of `sqlite3_errmsg` at the time of the failure.
    public let message: String
    /// The statement involved, when there was one.
    public let sql: String?

    /// "SQLite error N: message (in: sql)".
    public var description: String {
        let context = sql.map { " (in: \($0))" } ?? ""
        return "SQLite error \(code): \(message)\(context)"
    }
}

/// One SQLite database connection, owned and closed by this object.
///
/// Not `Sendable`: a connection is meant to be used from one task at a time.
public final class SQLiteConnection: SQLConnection {
    fileprivate let handle: OpaquePointer

    /// Always `.sqlite`.
    public var dialect: SQLDialect { .sqlite }

    /// Opens (creating it if needed, unless `create` is false) the database at `path`; ":memory:" gives a
    /// private in-memory database.
    public init(path: String, create: Bool = true) throws(SQLiteError) {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            // sqlite3_open_v2 allocates a handle even on failure, only to carry the message.
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: message, sql: nil)
        }
        sqlite3_extended_result_codes(db, 1)
        handle = db
    }

    deinit {
        // close_v2 defers the close until every statement is finalized, so ordering never leaks or fails.
        sqlite3_close_v2(handle)
    }

    /// `SQLConnection` form of `prepare`.
    public func prepareStatement(_ sql: String) throws -> any SQLStatement {
        try prepare(sql)
    }

    /// Runs one or more `;`-separated statements without parameters (schema scripts, pragmas).
    public func executeScript(_ sql: String) throws(SQLiteError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        guard rc == SQLITE_OK else {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: rc, message: message, sql: sql)
        }
    }

    /// Compiles exactly one statement for repeated execution.
    public func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        try SQLiteStatement(connection: self, sql: sql)
    }

    /// Runs one statement with bound parameters and returns all its rows.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [SQLValue]) throws -> [[SQLValue]] {
        let statement = try prepare(sql)
        try statement.bind(parameters)
        var rows: [[SQLValue]] = []
        while try statement.step() {
            rows.append(statement.row())
        }
        return rows
    }

    /// The rowid of the last successful INSERT on this connection.
    public var lastInsertRowID: Int64 {
        sqlite3_last_insert_rowid(handle)
    }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE.
    public var changes: Int {
        Int(sqlite3_changes(handle))
    }

    fileprivate func error(_ code: Int32, sql: String?) -> SQLiteError {
        SQLiteError(code: code, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }
}

/// A compiled SQLite statement. Keeps its connection alive, so it can never outlive the database handle.
public final class SQLiteStatement: SQLStatement {
    private let connection: SQLiteConnection
    private let statement: OpaquePointer
    /// The SQL text this statement was compiled from, for error messages.
    public let sql: String

    fileprivate init(connection: SQLiteConnection, sql: String) throws(SQLiteError) {
        self.connection = connection
        self.sql = sql
        var compiled: OpaquePointer?
        var extra: OpaquePointer?
        var hasMore = false
        let rc = sql.withCString { text -> Int32 in
            var tail: UnsafePointer<CChar>?
            let rc = sqlite3_prepare_v2(connection.handle, text, -1, &compiled, &tail)
            // Compiling the rest tells a second statement apart from trailing comments or whitespace.
            if rc == SQLITE_OK, let tail, tail.pointee != 0 {
                let tailCode = sqlite3_prepare_v2(connection.handle, tail, -1, &extra, nil)
                hasMore = tailCode != SQLITE_OK || extra != nil
            }
            return rc
        }
        guard rc == SQLITE_OK else { throw connection.error(rc, sql: sql) }
        guard let compiled else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "no statement in SQL text", sql: sql)
        }
        guard !hasMore else {
            sqlite3_finalize(extra)
            sqlite3_finalize(compiled)
            // Silently ignoring the rest would drop statements the caller meant to run.
            throw SQLiteError(code: SQLITE_MISUSE, message: "more than one statement; use executeScript", sql: sql)
        }
        statement = compiled
    }

    deinit {
        sqlite3_finalize(statement)
    }

    /// The result column names, in order.
    public var columnNames: [String] {
        (0..<sqlite3_column_count(statement)).map { String(cString: sqlite3_column_name(statement, $0)) }
    }

    /// Resets the statement and binds `parameters` to placeholders 1...n, replacing earlier bindings.
    public func bind(_ parameters: [SQLValue]) throws(SQLiteError) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard parameters.count == expected else {
            throw SQLiteError(
                code: SQLITE_RANGE, message: "statement has \(expected) parameters, \(parameters.count) given", sql: sql)
        }
        for (offset, value) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null:
                rc = sqlite3_bind_null(statement, index)
            case let .integer(number):
                rc = sqlite3_bind_int64(statement, index, number)
            case let .real(number):
                rc = sqlite3_bind_double(statement, index, number)
            case let .text(string):
                // Explicit byte length keeps embedded NULs; TRANSIENT makes SQLite copy before the buffer dies.
                let length = UInt64(string.utf8.count)
                rc = string.withCString {
                    sqlite3_bind_text64(statement, index, $0, length, csqlite_transient(), UInt8(SQLITE_UTF8))
                }
            case let .blob(bytes):
                // A nil pointer would bind NULL instead of an empty blob.
                rc = bytes.isEmpty
                    ? sqlite3_bind_zeroblob(statement, index, 0)
                    : bytes.withUnsafeBytes {
                        sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), csqlite_transient())
                    }
            }
            guard rc == SQLITE_OK else { throw connection.error(rc, sql: sql) }
        }
    }

    /// Runs the statement with `parameters` and returns all its rows.
    public func query(_ parameters: [SQLValue]) throws -> [[SQLValue]] {
        try bind(parameters)
        var rows: [[SQLValue]] = []
        while try step() { rows.append(row()) }
        return rows
    }

    /// Runs the statement with `parameters` and hands each row to `body` as SQLite steps to it.
    public func forEachRow(_ parameters: [SQLValue], _ body: (SQLRow) throws -> Void) throws {
        try bind(parameters)
        let row = SQLRow(sqlite: statement)
        while try step() { try body(row) }
    }

    static func int64(_ statement: OpaquePointer, _ column: Int32) -> Int64? {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: sqlite3_column_int64(statement, column)
        case SQLITE_NULL: nil
        default: SQLValue.text(string(statement, column)).int64
        }
    }

    static func string(_ statement: OpaquePointer, _ column: Int32) -> String? {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_NULL, SQLITE_BLOB: return nil
        case SQLITE_INTEGER: return String(sqlite3_column_int64(statement, column))
        case SQLITE_FLOAT: return String(sqlite3_column_double(statement, column))
        default:
            let text = sqlite3_column_text(statement, column)
            let count = Int(sqlite3_column_bytes(statement, column))
            guard let text else { return "" }
            return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
        }
    }

    static func text(_ statement: OpaquePointer, _ column: Int32, equals other: String) -> Bool {
        guard sqlite3_column_type(statement, column) == SQLITE_TEXT else { return string(statement, column) == other }
        let text = sqlite3_column_text(statement, column)
        let count = Int(sqlite3_column_bytes(statement, column))
        var other = other
        return other.withUTF8 { bytes in
            guard bytes.count == count else { return false }
            guard count > 0, let text, let base = bytes.baseAddress else { return true }
            // memcmp: the generic elementsEqual went byte by byte, a sixth of reading a month of queue hours.
            return memcmp(text, base, count) == 0
        }
    }

    /// Runs the statement with `parameters` to completion and returns the rows it changed.
    @discardableResult
    public func run(_ parameters: [SQLValue]) throws -> Int {
        try bind(parameters)
        while try step() {}
        return connection.changes
    }

    /// Resets the statement for a new run with `bindInteger` / `bindText` (the allocation-free path for
    /// bulk inserts). Bindings are kept, not cleared: callers bind every placeholder of every row.
    public func rewind() {
        sqlite3_reset(statement)
    }

    /// Binds an integer to placeholder `index` (1-based).
    public func bindInteger(_ index: Int32, _ value: Int64) throws(SQLiteError) {
        let rc = sqlite3_bind_int64(statement, index, value)
        guard rc == SQLITE_OK else { throw connection.error(rc, sql: sql) }
    }

    /// Binds text to placeholder `index` (1-based); nil binds NULL.
    public func bindText(_ index: Int32, _ value: String?) throws(SQLiteError) {
        guard let value else {
            let rc = sqlite3_bind_null(statement, index)
            guard rc == SQLITE_OK else { throw connection.error(rc, sql: sql) }
            return
        }
        let statement = self.statement
        func bind(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
            guard let base = bytes.baseAddress, bytes.count > 0 else {
                return sqlite3_bind_text64(statement, index, "", 0, csqlite_transient(), UInt8(SQLITE_UTF8))
            }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text64(statement, index, $0, UInt64(bytes.count), csqlite_transient(), UInt8(SQLITE_UTF8))
            }
        }
        // Native strings lend their bytes in place; only others (bridged, say) are copied first.
        let rc = value.utf8.withContiguousStorageIfAvailable(bind) ?? {
            var copy = value
            return copy.withUTF8(bind)
        }()
        guard rc == SQLITE_OK else { throw connection.error(rc, sql: sql) }
    }

    /// Runs a statement bound with `bindInteger` / `bindText` that returns no rows; the rows it changed.
    public func runBound() throws(SQLiteError) -> Int {
        while try step() {}
        return connection.changes
    }

    /// Advances to the next row; false once the statement has finished.
    public func step() throws(SQLiteError) -> Bool {
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let rc: throw connection.error(rc, sql: sql)
        }
    }

    /// The current row's values (valid after `step()` returned true).
    public func row() -> [SQLValue] {
        (0..<sqlite3_column_count(statement)).map { column in
            switch sqlite3_column_type(statement, column) {
            case SQLITE_INTEGER:
                return .integer(sqlite3_column_int64(statement, column))
            case SQLITE_FLOAT:
                return .real(sqlite3_column_double(statement, column))
            case SQLITE_TEXT:
                // Ask for the pointer before the length, as SQLite documents, since the call may convert.
                let text = sqlite3_column_text(statement, column)
                let count = Int(sqlite3_column_bytes(statement, column))
                guard let text else { return .text("") }
                return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
            case SQLITE_BLOB:
                let bytes = sqlite3_column_blob(statement, column)
                let count = Int(sqlite3_column_bytes(statement, column))
                guard let bytes, count > 0 else { return .blob([]) }
                return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
            default:
                return .null
            }
        }
    }
}
