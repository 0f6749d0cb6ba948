import CLibPQ
public import Synchronization

/// A failed PostgreSQL call, with libpq's or the server's explanation.
public struct PostgresError: Error, Equatable, CustomStringConvertible {
    /// The five-character SQLSTATE from the server (for example "42P01" undefined table), when there is one.
    public let sqlState: String?
    /// `PQerrorMessage` or `PQresultErrorMessage`, trimmed.
    public let message: String
    /// The statement involved, when there was one.
    public let sql: String?

    /// "PostgreSQL error [SQLSTATE]: message (in: sql)".
    public var description: String {
        let state = sqlState.map { " [\($0)]" } ?? ""
        let context = sql.map { " (in: \($0))" } ?? ""
        return "PostgreSQL error\(state): \(message)\(context)"
    }
}

/// The rows of a query in libpq's text format: every non-NULL cell is the server's text rendering.
public struct PostgresResult: Sendable, Equatable {
    /// Column names, in result order.
    public let columns: [String]
    /// One array per row, `nil` for SQL NULL.
    public let rows: [[String?]]
    /// The affected-row count reported by the command (INSERT/UPDATE/DELETE/SELECT), when it has one.
    public let affectedRows: Int?
}

/// One PostgreSQL connection through libpq, owned and closed by this object.
///
/// Not `Sendable`: libpq connections must not be used by two threads at once.
public final class PostgresConnection: SQLConnection {
    private let connection: OpaquePointer
    private var nextStatementNumber = 0

    /// Always `.postgres`.
    public var dialect: SQLDialect { .postgres }

    /// Connects with a libpq conninfo string ("host=... dbname=...") or URL ("postgresql://user@host:port/db").
    public init(_ conninfo: String) throws(PostgresError) {
        guard let conn = PQconnectdb(conninfo) else {
            throw PostgresError(sqlState: nil, message: "libpq could not allocate a connection", sql: nil)
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(conn))
            PQfinish(conn)
            throw PostgresError(sqlState: nil, message: message, sql: nil)
        }
        // libpq's default notice processor writes NOTICEs ("table does not exist, skipping") to stderr,
        // which would interleave with CLI output; callers that care will get a notice API later.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        connection = conn
    }

    deinit {
        PQfinish(connection)
    }

    /// Runs one statement with `$1...$n` text parameters via `PQexecParams`, so values are never spliced
    /// into the SQL text. `nil` sends SQL NULL.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> PostgresResult {
        try run(sql: sql, parameters) { values in
            // nil types: the server infers each parameter's type; nil lengths/formats: all text format.
            PQexecParams(connection, sql, Int32(values.count), nil, values.baseAddress, nil, nil, 0)
        }
    }

    /// Sends one command with text parameters through `send` (PQexecParams or PQexecPrepared) and reads
    /// its result; the one place parameters are marshalled, errors checked and rows decoded.
    private func run(sql: String, _ parameters: [String?],
                     _ send: (UnsafeBufferPointer<UnsafePointer<CChar>?>) -> OpaquePointer?) throws(PostgresError)
        -> PostgresResult
    {
        PostgresRoundTrips.count.add(1, ordering: .relaxed)
        let cStrings = Self.cStrings(parameters)
        defer { cStrings.forEach { $0?.deallocate() } }
        let values = cStrings.map { UnsafePointer($0) }
        guard let result = values.withUnsafeBufferPointer(send) else {
            throw PostgresError(sqlState: nil, message: Self.trimmed(PQerrorMessage(connection)), sql: sql)
        }
        defer { PQclear(result) }
        try check(result, sql: sql)
        let columnCount = PQnfields(result)
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        let rows = (0..<PQntuples(result)).map { row in
            (0..<columnCount).map { column -> String? in
                guard PQgetisnull(result, row, column) == 0 else { return nil }
                // Text-format values are NUL-terminated; the explicit length still avoids a second scan.
                let length = Int(PQgetlength(result, row, column))
                return PQgetvalue(result, row, column).withMemoryRebound(to: UInt8.self, capacity: length) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                }
            }
        }
        return PostgresResult(columns: columns, rows: rows, affectedRows: Int(String(cString: PQcmdTuples(result))))
    }

    /// Prepares a statement written with `?` placeholders (numbered `$1…$n` here) under a fresh name, so
    /// each run sends only the parameters.
    public func prepareStatement(_ sql: String) throws -> any SQLStatement {
        nextStatementNumber += 1
        return try PostgresStatement(connection: self, name: "bursar_\(nextStatementNumber)",
                                     sql: Self.numberedPlaceholders(sql))
    }

    /// Runs a script of `;`-separated statements (PQexec accepts several when there are no parameters).
    public func executeScript(_ sql: String) throws {
        PostgresRoundTrips.count.add(1, ordering: .relaxed)
        guard let result = PQexec(connection, sql) else {
            throw PostgresError(sqlState: nil, message: Self.trimmed(PQerrorMessage(connection)), sql: sql)
        }
        defer { PQclear(result) }
        try check(result, sql: sql)
    }

    /// Rewrites `?` placeholders outside quoted text and identifiers as `$1`, `$2`, … in order.
    public static func numberedPlaceholders(_ sql: String) -> String {
        var output = ""
        var number = 0
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                output.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                output.append(character)
            } else if character == "?" {
                number += 1
                output += "$\(number)"
            } else {
                output.append(character)
            }
        }
        return output
    }

    fileprivate func prepare(name: String, sql: String) throws(PostgresError) {
        guard let result = PQprepare(connection, name, sql, 0, nil) else {
            throw PostgresError(sqlState: nil, message: Self.trimmed(PQerrorMessage(connection)), sql: sql)
        }
        defer { PQclear(result) }
        try check(result, sql: sql)
    }

    fileprivate func executePrepared(name: String, sql: String, _ parameters: [SQLValue]) throws(PostgresError)
        -> (rows: [[SQLValue]], affected: Int)
    {
        let result = try run(sql: sql, parameters.map(Self.text(of:))) { values in
            PQexecPrepared(connection, name, Int32(values.count), values.baseAddress, nil, nil, 0)
        }
        return (Self.values(result), result.affectedRows ?? 0)
    }

    /// Text-protocol cells as `SQLValue`s: `.text`, or `.null` for SQL NULL.
    private static func values(_ result: PostgresResult) -> [[SQLValue]] {
        result.rows.map { row in row.map { $0.map(SQLValue.text) ?? .null } }
    }

    private func check(_ result: OpaquePointer, sql: String) throws(PostgresError) {
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            var message = Self.trimmed(PQresultErrorMessage(result))
            if message.isEmpty { message = "unexpected result status \(String(cString: PQresStatus(status)))" }
            throw PostgresError(sqlState: state, message: message, sql: sql)
        }
    }

    /// C copies of the parameters, alive together for one libpq call (nested withCString calls cannot give
    /// that for a variable count); the caller deallocates them.
    private static func cStrings(_ parameters: [String?]) -> [UnsafeMutablePointer<CChar>?] {
        parameters.map { parameter in
            parameter.map { text in
                let bytes = text.utf8CString
                let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
                bytes.withUnsafeBufferPointer { copy.initialize(from: $0.baseAddress!, count: $0.count) }
                return copy
            }
        }
    }

    /// A PostgreSQL array literal (`{1,NULL,"a\"b"}`) of `values`, passed as ONE bound parameter so a
    /// whole batch goes over in a single round trip (`unnest($1::bigint[], …)`), never spliced into SQL.
    public static func arrayLiteral(_ values: [SQLValue]) -> String {
        var literal = "{"
        literal.reserveCapacity(values.count * 12)
        for (index, value) in values.enumerated() {
            if index > 0 { literal.append(",") }
            guard let text = text(of: value) else {
                literal += "NULL"
                continue
            }
            literal.append("\"")
            for character in text {
                if character == "\"" || character == "\\" { literal.append("\\") }
                literal.append(character)
            }
            literal.append("\"")
        }
        literal.append("}")
        return literal
    }

    /// `SQLConnection` form of `query`: parameters go over as text, results come back as `.text` or `.null`
    /// (the text protocol carries no types; callers convert).
    @discardableResult
    public func execute(_ sql: String, _ parameters: [SQLValue]) throws -> [[SQLValue]] {
        Self.values(try query(sql, parameters.map(Self.text(of:))))
    }

    /// PostgreSQL's text input syntax for each value.
    private static func text(of value: SQLValue) -> String? {
        switch value {
        case .null: return nil
        case let .integer(number): return String(number)
        case let .real(number):
            // Swift spells these "inf" and "nan", which PostgreSQL does not accept.
            if number.isNaN { return "NaN" }
            if number.isInfinite { return number < 0 ? "-Infinity" : "Infinity" }
            return String(number)
        case let .text(string): return string
        case let .blob(bytes):
            // bytea hex input format.
            let digits: [UInt8] = Array("0123456789abcdef".utf8)
            var hex: [UInt8] = Array("\\x".utf8)
            hex.reserveCapacity(2 + bytes.count * 2)
            for byte in bytes {
                hex.append(digits[Int(byte >> 4)])
                hex.append(digits[Int(byte & 0x0F)])
            }
            return String(decoding: hex, as: UTF8.self)
        }
    }

    private static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "" }
        var text = Substring(String(cString: message))
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}

/// A server-side prepared statement on one connection (`PQprepare` once, `PQexecPrepared` per run).
public final class PostgresStatement: SQLStatement {
    private let connection: PostgresConnection
    private let name: String
    /// The statement text as sent to the server (with `$n` placeholders).
    public let sql: String

    fileprivate init(connection: PostgresConnection, name: String, sql: String) throws(PostgresError) {
        self.connection = connection
        self.name = name
        self.sql = sql
        try connection.prepare(name: name, sql: sql)
    }

    /// Runs the statement and returns its rows (every non-NULL cell as text).
    public func query(_ parameters: [SQLValue]) throws -> [[SQLValue]] {
        try connection.executePrepared(name: name, sql: sql, parameters).rows
    }

    /// Runs the statement and returns the rows it changed.
    @discardableResult
    public func run(_ parameters: [SQLValue]) throws -> Int {
        try connection.executePrepared(name: name, sql: sql, parameters).affected
    }
}

/// Statements this process sent to PostgreSQL servers, all connections together (each is one round trip):
/// what the scheduler's metrics report per dispatched job.
public enum PostgresRoundTrips {
    public static let count = Atomic<Int>(0)
}
