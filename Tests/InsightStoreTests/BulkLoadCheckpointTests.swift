import Foundation
@testable import InsightStore
import Store
import Testing

/// The bulk load's WAL checkpointer: SQLite's own checkpoints are turned off only while it runs.
@Suite("Bulk load checkpoints")
struct BulkLoadCheckpointTests {
    @Test func bulkLoadWithoutItsCheckpointerFailsAndLeavesAutocheckpointsOn() throws {
        let folder = try Scratch.directory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let original = folder.appendingPathComponent("data")
        let store = try InsightStore(.sqlite(path: original.appendingPathComponent("store.sqlite").path))
        // The checkpointer opens the database by its path: with the folder moved, that path opens nothing,
        // while the store keeps working through the files it has open.
        try FileManager.default.moveItem(at: original, to: folder.appendingPathComponent("moved"))
        var ran = false
        let error = #expect(throws: StoreError.self) { try store.bulkLoad { ran = true } }
        #expect(error?.description.contains("checkpoint its write-ahead log") == true, "\(String(describing: error))")
        #expect(!ran, "the ingest must not run with neither the checkpointer nor autocheckpoints")
        let pages = try store.connection.execute("PRAGMA wal_autocheckpoint").first?.first?.int64
        #expect(pages == Int64(InsightStore.walAutocheckpointPages))
    }

    @Test func bulkLoadTurnsAutocheckpointsOffOnlyWhileItsCheckpointerRuns() throws {
        let folder = try Scratch.directory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try InsightStore(.sqlite(path: folder.appendingPathComponent("store.sqlite").path))
        let during = try store.bulkLoad { try store.connection.execute("PRAGMA wal_autocheckpoint").first?.first?.int64 }
        #expect(during == 0)
        let after = try store.connection.execute("PRAGMA wal_autocheckpoint").first?.first?.int64
        #expect(after == Int64(InsightStore.walAutocheckpointPages))
    }
}
