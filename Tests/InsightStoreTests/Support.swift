import Foundation
import InsightStore
import Store
import Testing

/// The store backends every store test runs against. PostgreSQL needs BURSAR_TEST_POSTGRES_URL
/// (scripts/with-postgres.sh starts a throwaway server and sets it); without it those cases are skipped
/// locally and fail under CI, so a CI run can never pass without exercising PostgreSQL.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    static var postgresURL: String? { ProcessInfo.processInfo.environment["BURSAR_TEST_POSTGRES_URL"] }

    /// The backends available here.
    static var available: [Backend] {
        if postgresURL != nil { return allCases }
        if ProcessInfo.processInfo.environment["CI"] != nil {
            // Listing it anyway makes the PostgreSQL cases fail loudly instead of vanishing.
            return allCases
        }
        return [.sqlite]
    }

    /// A fresh, empty store location: a new SQLite file, or a new PostgreSQL database.
    func freshLocation() throws -> StoreLocation {
        switch self {
        case .sqlite:
            return .sqlite(path: try Scratch.directory().appendingPathComponent("store.sqlite").path)
        case .postgres:
            guard let url = Self.postgresURL else {
                Issue.record("BURSAR_TEST_POSTGRES_URL is not set; run the tests under scripts/with-postgres.sh")
                throw StoreError("no PostgreSQL server")
            }
            let name = "bursar_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            let admin = try PostgresConnection(url)
            // Database names cannot be bound parameters; this one is generated above from hex digits only.
            try admin.query("CREATE DATABASE \(name)")
            guard let slash = url.lastIndex(of: "/") else { throw StoreError("odd URL \(url)") }
            return .postgres(url: String(url[...slash]) + name)
        }
    }
}

/// Temporary folders for a test; removed by the system's temp cleaner (tests never share one).
enum Scratch {
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
}

/// Small hand-made log lines in every shape, so expectations can be checked by hand.
enum Lines {
    static let day: Int64 = 1_763_596_800_000  // 2025-11-20T00:00:00Z

    static func yunikorn(_ app: String, queue: String, start: Int64, minutes: Int64, vcore: Int64 = 60_000,
                         memory: Int64 = 1 << 30, cluster: String = "moka-a") -> String {
        let finish = start + minutes * 60_000
        return "2025-11-20T10:00:00.000Z\tINFO\tcore.scheduler.application.usage\tobjects/application_summary.go:60\t"
            + "YK_APP_SUMMARY: {ApplicationID: \(app), SubmissionTime: \(start - 1000), StartTime: \(start), "
            + "FinishTime: \(finish), User: alice, Queue: \(queue), State: Completed, RmID: \(cluster), "
            + "ResourceUsage: TrackedResource{UNKNOWN:vcore=\(vcore),UNKNOWN:memory=\(memory),UNKNOWN:pods=\(minutes * 60)}, "
            + "PreemptedResource: TrackedResource{}, PlaceholderResource: TrackedResource{}}"
    }

    static func yunikornJSON(_ app: String, queue: String, start: Int64, minutes: Int64) -> String {
        "2025-11-20T10:00:00.000Z\tINFO\tcore.scheduler.application.usage\tobjects/application.go:1\tYK_APP_SUMMARY:\t"
            + "{\"appID\": \"\(app)\", \"submissionTime\": \(start), \"startTime\": \(start), \"finishTime\": \(start + minutes * 60_000), "
            + "\"user\": \"bob\", \"queue\": \"\(queue)\", \"state\": \"Completed\", \"rmID\": \"moka-b\", "
            + "\"resourceUsage\": {\"UNKNOWN\":{\"memory\":2000,\"vcore\":3000}}, \"preemptedResource\": {}}"
    }

    static func yarn(_ app: String, queue: String, start: Int64, minutes: Int64) -> String {
        "2025-11-20 10:00:00,000 INFO resourcemanager.RMAppManager$ApplicationSummary: appId=\(app),name=etl\\,daily,"
            + "user=carol,queue=\(queue),state=FINISHED,trackingUrl=http://rm/x,appMasterHost=h,submitTime=\(start),"
            + "startTime=\(start),finishTime=\(start + minutes * 60_000),finalStatus=SUCCEEDED,memorySeconds=1024,"
            + "vcoreSeconds=60,preemptedMemorySeconds=0,preemptedVcoreSeconds=0,preemptedAMContainers=0,"
            + "preemptedNonAMContainers=0,preemptedResources=<memory:0\\, vCores:0>,applicationType=SPARK"
    }

    static let noise = "2025-11-20T10:00:01.000Z\tINFO\tcore.scheduler\tscheduler/scheduler.go:10\tnode added"
}
