import Foundation
import InsightStore
import Store
import Testing

/// The store backends these tests run against: PostgreSQL needs BURSAR_TEST_POSTGRES_URL (scripts/with-postgres.sh
/// starts a throwaway server and sets it); without it the PostgreSQL cases are skipped locally and fail under CI.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    var testDescription: String { rawValue }

    static var available: [Backend] {
        let environment = ProcessInfo.processInfo.environment
        return environment["BURSAR_TEST_POSTGRES_URL"] != nil || environment["CI"] != nil ? allCases : [.sqlite]
    }

    func freshStore(in folder: URL) throws -> InsightStore {
        switch self {
        case .sqlite:
            return try InsightStore(.sqlite(path: folder.appendingPathComponent("store.sqlite").path))
        case .postgres:
            guard let url = ProcessInfo.processInfo.environment["BURSAR_TEST_POSTGRES_URL"] else {
                Issue.record("BURSAR_TEST_POSTGRES_URL is not set; run the tests under scripts/with-postgres.sh")
                throw StoreError("no PostgreSQL server")
            }
            let name = "bursar_n_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            // Database names cannot be bound parameters; this one is made of hex digits only.
            try PostgresConnection(url).query("CREATE DATABASE \(name)")
            guard let slash = url.lastIndex(of: "/") else { throw StoreError("odd URL \(url)") }
            return try InsightStore(.postgres(url: String(url[...slash]) + name))
        }
    }
}

/// A fresh temporary folder per test.
func scratchFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-plan-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Every name in a folder tree (relative paths, sorted), hidden ones included: what a run left behind.
func tree(_ folder: URL) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { return [] }
    return enumerator.compactMap { $0 as? String }.filter { !$0.hasSuffix("store.sqlite") && !$0.contains("store.sqlite-") }.sorted()
}

func write(_ text: String, _ path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

func contents(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
}

/// A small valid queue configuration whose leaf root.<org>.<project>.tier<tier> is guaranteed `vcore`.
func queuesYAML(org: String = "payments", project: String = "ledger", tier: Int = 1, vcore: String = "10") -> String {
    """
    partitions:
      - name: default
        queues:
          - name: root
            queues:
              - name: \(org)
                queues:
                  - name: \(project)
                    queues:
                      - name: tier\(tier)
                        resources:
                          guaranteed: {vcore: "\(vcore)", memory: 10Gi}
                          max: {vcore: "\(vcore)", memory: 10Gi}

    """
}
