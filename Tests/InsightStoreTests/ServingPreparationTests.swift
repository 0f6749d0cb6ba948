import Foundation
@testable import InsightStore
import Testing

/// `prepareForServing`: SQLite's own checkpoints are turned off only once the caller's checkpointer runs, and
/// the page cache is cut to the server's size.
@Suite("Preparing a store for serving")
struct ServingPreparationTests {
    struct CheckpointerFailed: Error {}

    static func pragma(_ store: InsightStore, _ name: String) throws -> Int64? {
        try store.connection.execute("PRAGMA \(name)").first?.first?.int64
    }

    @Test func autocheckpointsGoOffOnceTheCheckpointerRuns() throws {
        let folder = try Scratch.directory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("store.sqlite").path
        let store = try InsightStore(.sqlite(path: path))
        var started: [String] = []
        try store.prepareForServing { started.append($0) }
        #expect(started == [path])
        #expect(try Self.pragma(store, "wal_autocheckpoint") == 0)
        #expect(try Self.pragma(store, "cache_size") == -16384)
    }

    @Test func aCheckpointerThatFailsLeavesTheStoreAsItWas() throws {
        let folder = try Scratch.directory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try InsightStore(.sqlite(path: folder.appendingPathComponent("store.sqlite").path))
        #expect(throws: CheckpointerFailed.self) { try store.prepareForServing { _ in throw CheckpointerFailed() } }
        #expect(try Self.pragma(store, "wal_autocheckpoint") == Int64(InsightStore.walAutocheckpointPages))
        #expect(try Self.pragma(store, "cache_size") == -262144)
    }

    @Test func anInMemoryStoreNeedsNoCheckpointer() throws {
        let store = try InsightStore(.sqlite(path: ":memory:"))
        try store.prepareForServing { _ in Issue.record("no checkpointer for an in-memory database") }
        #expect(try Self.pragma(store, "cache_size") == -16384)
    }
}
