import Foundation
import InsightStore
import Store
import Testing
@testable import Archer

/// The store thread's WAL checkpointer: the store thread turns SQLite's own checkpoints off only for a
/// checkpointer that runs, and a store thread without one does not start.
@Suite("Store thread")
struct StoreThreadTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-store-thread-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func aStoreThreadWhoseCheckpointerCannotOpenDoesNotStart() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let unopenable = folder.appendingPathComponent("absent/store.sqlite").path
        let error = #expect(throws: StoreError.self) {
            try StoreThread(location: .sqlite(path: folder.appendingPathComponent("store.sqlite").path), maxBatch: 16,
                          batchObserver: nil, openCheckpointer: { _ in try WALCheckpointer(path: unopenable, every: 0.5) })
        }
        #expect(error?.description.contains("checkpoint its write-ahead log") == true, "\(String(describing: error))")
    }

    @Test func aStoreThreadWithItsCheckpointerLeavesCheckpointsToIt() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let storeThread = try StoreThread(location: .sqlite(path: folder.appendingPathComponent("store.sqlite").path))
        let pages = try await storeThread.run { try $0.connection.execute("PRAGMA wal_autocheckpoint").first?.first?.int64 }
        #expect(pages == 0)
        storeThread.shutdown()
    }
}
