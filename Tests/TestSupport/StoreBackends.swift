public import Foundation
public import InsightStore
import Store
public import Testing

/// The store backends the store tests run against: PostgreSQL needs BURSAR_TEST_POSTGRES_URL (scripts/with-postgres.sh
/// starts a throwaway server and sets it); without it the PostgreSQL cases are skipped locally and fail under CI.
public enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    public var testDescription: String { rawValue }

    public static var available: [Backend] {
        let environment = ProcessInfo.processInfo.environment
        return environment["BURSAR_TEST_POSTGRES_URL"] != nil || environment["CI"] != nil ? allCases : [.sqlite]
    }

    public func freshStore(in folder: URL) throws -> InsightStore {
        try InsightStore(freshLocation(in: folder))
    }

    /// Where a fresh store is: a file in `folder`, or a new database on the test server.
    public func freshLocation(in folder: URL) throws -> StoreLocation {
        switch self {
        case .sqlite:
            return .sqlite(path: folder.appendingPathComponent("store.sqlite").path)
        case .postgres:
            guard let url = ProcessInfo.processInfo.environment["BURSAR_TEST_POSTGRES_URL"] else {
                Issue.record("BURSAR_TEST_POSTGRES_URL is not set; run the tests under scripts/with-postgres.sh")
                throw StoreError("no PostgreSQL server")
            }
            let name = "bursar_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            // Database names cannot be bound parameters; this one is made of hex digits only.
            try PostgresConnection(url).query("CREATE DATABASE \(name)")
            guard let slash = url.lastIndex(of: "/") else { throw StoreError("odd URL \(url)") }
            return .postgres(url: String(url[...slash]) + name)
        }
    }
}
