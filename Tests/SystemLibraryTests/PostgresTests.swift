import Foundation
import Store
import Testing
import TestSupport

/// Real calls into a PostgreSQL server through libpq. They need a server, so they run only when
/// BURSAR_TEST_POSTGRES_URL is set (scripts/with-postgres.sh starts a throwaway one and sets it); without
/// it they are skipped with the reason, and under CI they fail (the test command always starts a server).
@Suite("PostgreSQL", .requires(.postgres))
struct PostgresTests {
    private var url: String { ProcessInfo.processInfo.environment["BURSAR_TEST_POSTGRES_URL"] ?? "" }

    @Test func tempTableRoundTripWithParameters() throws {
        let pg = try PostgresConnection(url)
        try pg.query("CREATE TEMP TABLE queue (id integer PRIMARY KEY, name text, weight double precision)")
        let hostile = "root.o'brien'); DROP TABLE queue; --"
        let inserted = try pg.query(
            "INSERT INTO queue (id, name, weight) VALUES ($1, $2, $3), ($4, $5, $6)",
            ["1", hostile, "0.25", "2", nil, nil])
        #expect(inserted.affectedRows == 2)

        let result = try pg.query("SELECT id, name, weight FROM queue WHERE id >= $1 ORDER BY id", ["1"])
        #expect(result.columns == ["id", "name", "weight"])
        #expect(result.rows == [["1", hostile, "0.25"], ["2", nil, nil]])
        #expect(result.affectedRows == 2)

        // The protocol form converts values to PostgreSQL's text syntax.
        let connection: any SQLConnection = pg
        try connection.execute(
            "INSERT INTO queue (id, name, weight) VALUES ($1, $2, $3)", [.integer(3), .text("ünï ✓"), .real(-.infinity)])
        let viaProtocol = try connection.execute("SELECT name, weight FROM queue WHERE id = $1", [.integer(3)])
        #expect(viaProtocol == [[.text("ünï ✓"), .text("-Infinity")]])
    }

    @Test func serverErrorsCarryMessageAndSQLState() throws {
        let pg = try PostgresConnection(url)
        let missing = #expect(throws: PostgresError.self) { try pg.query("SELECT * FROM no_such_table") }
        #expect(missing?.sqlState == "42P01")
        #expect(missing?.message.contains("no_such_table") == true)

        let badParameter = #expect(throws: PostgresError.self) { try pg.query("SELECT $1::integer", ["not a number"]) }
        #expect(badParameter?.sqlState == "22P02")

        // The connection stays usable after a failed statement outside a transaction.
        #expect(try pg.query("SELECT 1 + $1::integer", ["41"]).rows == [["42"]])
    }
}

/// libpq calls that need no server, so they always run.
@Suite("PostgreSQL client")
struct PostgresClientTests {
    @Test func connectionFailureCarriesLibpqMessage() throws {
        // Port 1 on loopback: nothing listens there, so libpq fails fast with its own explanation.
        let error = #expect(throws: PostgresError.self) {
            try PostgresConnection("postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=5")
        }
        #expect(error?.message.isEmpty == false)
    }
}
