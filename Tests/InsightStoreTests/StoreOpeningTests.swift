import Foundation
@testable import InsightStore
import Store
import Synchronization
import Testing

/// Opening a store: several processes at once on a new database migrate it once, and all succeed.
@Suite("Store opening")
struct StoreOpeningTests {
    /// Opens `location` from `count` threads at once (each its own connection, as separate processes would
    /// have) and returns what each one failed with.
    static func openConcurrently(_ location: StoreLocation, count: Int) -> [String] {
        // Every thread waits here until all are made, so the opens overlap.
        let gate = DispatchSemaphore(value: 0)
        let failures = Mutex<[String]>([])
        let done = DispatchGroup()
        for _ in 0..<count {
            done.enter()
            let thread = Thread {
                gate.wait()
                do {
                    let store = try InsightStore(location)
                    let version = try store.schemaVersion()
                    if version != Schema.migrations.map(\.version).max() {
                        failures.withLock { $0.append("opened at schema version \(version)") }
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
                done.leave()
            }
            thread.start()
        }
        for _ in 0..<count { gate.signal() }
        done.wait()
        return failures.withLock { $0 }
    }

    @Test func concurrentOpensOfANewSQLiteFile() throws {
        for _ in 0..<5 {
            let folder = try Scratch.directory()
            defer { try? FileManager.default.removeItem(at: folder) }
            let location = StoreLocation.sqlite(path: folder.appendingPathComponent("store.sqlite").path)
            #expect(Self.openConcurrently(location, count: 6) == [])
            let store = try InsightStore(location)
            let versions = try store.connection.execute("SELECT version FROM schema_migrations ORDER BY version").compactMap { $0.first?.int64 }
            #expect(versions == Schema.migrations.map { Int64($0.version) }.sorted())
        }
    }

    @Test(.enabled(if: Backend.available.contains(.postgres)))
    func concurrentOpensOfANewPostgresDatabase() throws {
        guard let url = Backend.postgresURL, let slash = url.lastIndex(of: "/") else {
            Issue.record("BURSAR_TEST_POSTGRES_URL is not set; run the tests under scripts/with-postgres.sh")
            return
        }
        let admin = try PostgresConnection(url)
        for _ in 0..<3 {
            // Database names cannot be bound parameters; this one is made of hex digits only.
            let name = "bursar_open_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            try admin.query("CREATE DATABASE \(name)")
            defer { _ = try? admin.query("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
            let location = StoreLocation.postgres(url: String(url[...slash]) + name)
            #expect(Self.openConcurrently(location, count: 6) == [])
            let store = try InsightStore(location)
            let versions = try store.connection.execute("SELECT version FROM schema_migrations ORDER BY version").compactMap { $0.first?.int64 }
            #expect(versions == Schema.migrations.map { Int64($0.version) }.sorted())
        }
    }
}
