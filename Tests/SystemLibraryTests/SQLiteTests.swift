import Store
import Testing

/// Real calls into the system SQLite through `SQLiteConnection`.
@Suite("SQLite")
struct SQLiteTests {
    @Test func createInsertSelectWithBoundParameters() throws {
        let db = try SQLiteConnection(path: ":memory:")
        try db.executeScript("CREATE TABLE queue (id INTEGER PRIMARY KEY, name TEXT, weight REAL, note TEXT, raw BLOB);")
        let insert = try db.prepare("INSERT INTO queue (id, name, weight, note, raw) VALUES (?, ?, ?, ?, ?)")
        let rows: [[SQLValue]] = [
            [.integer(1), .text("root.o'brien"), .real(0.25), .null, .blob([0, 1, 255])],
            [.integer(2), .text("root.\"quoted\"; DROP TABLE queue; --"), .real(-1.5e300), .text("ünïcode ✓"), .blob([])],
            [.integer(Int64.max), .text(""), .real(0), .text("a\u{0}b"), .null],
        ]
        for row in rows {
            try insert.bind(row)
            #expect(try insert.step() == false)
        }
        #expect(db.changes == 1)

        let selected = try db.execute("SELECT id, name, weight, note, raw FROM queue WHERE id >= ? ORDER BY id", [.integer(1)])
        #expect(selected == rows)

        let count = try db.execute("SELECT count(*) FROM queue WHERE name LIKE ?", [.text("root.%")])
        #expect(count == [[.integer(2)]])
        #expect(try db.prepare("SELECT id AS queue_id, name FROM queue").columnNames == ["queue_id", "name"])
    }

    @Test func badSQLThrowsWithSQLitesMessage() throws {
        let db = try SQLiteConnection(path: ":memory:")
        let error = #expect(throws: SQLiteError.self) { try db.execute("SELEC 1", []) }
        #expect(error?.message.contains("syntax error") == true)
        #expect(error?.message.contains("SELEC") == true)

        let missing = #expect(throws: SQLiteError.self) { try db.execute("SELECT * FROM nowhere", []) }
        #expect(missing?.message == "no such table: nowhere")

        try db.executeScript("CREATE TABLE t (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL)")
        let constraint = #expect(throws: SQLiteError.self) { try db.execute("INSERT INTO t VALUES (?, ?)", [.integer(1), .null]) }
        #expect(constraint?.message.contains("NOT NULL constraint failed") == true)

        #expect(throws: SQLiteError.self) { try db.execute("SELECT ?", []) }  // wrong parameter count
        #expect(throws: SQLiteError.self) { try db.execute("SELECT 1; SELECT 2", []) }  // second statement
        #expect(try db.execute("SELECT 1; -- trailing comment", []) == [[.integer(1)]])
    }

    @Test func reportsOpenFailures() throws {
        let error = #expect(throws: SQLiteError.self) {
            try SQLiteConnection(path: "/nonexistent-dir-\(Int.random(in: 0...1_000_000))/db.sqlite")
        }
        #expect(error?.message.isEmpty == false)
    }
}
