import Foundation
import Store
import Testing

/// The WAL checkpointer's own connection: a failure to open it is reported, never swallowed.
@Suite("WAL checkpointer")
struct WALCheckpointerTests {
    @Test func aDatabaseItCannotOpenIsAnError() throws {
        let folder = try Support.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = #expect(throws: SQLiteError.self) {
            try WALCheckpointer(path: folder.appendingPathComponent("absent/store.sqlite").path, every: 0.05)
        }
        #expect(error?.message.contains("unable to open") == true, "\(String(describing: error))")
        // Nor does it create a database that is not there: it checkpoints an existing one.
        #expect(throws: SQLiteError.self) {
            try WALCheckpointer(path: folder.appendingPathComponent("store.sqlite").path, every: 0.05)
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("store.sqlite").path))
    }
}
