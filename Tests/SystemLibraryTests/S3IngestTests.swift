import Foundation
import Gzip
import HTTPFetch
import IngestPipeline
import InsightStore
import Testing

/// `bursar ingest s3://bucket/prefix` end to end against moto with signature checks on: listing, plain and
/// gzipped objects, and a second run that reads nothing. (The prefix has no "/": moto 5.2 with signature
/// checks wrongly refuses a correctly signed query holding %2F.)
@Suite(.motoServer(bucket: "bursar-logs", verifySignatures: true, populate: S3IngestObjects.populate))
struct S3IngestTests {
    @Test func ingestsEveryObjectUnderThePrefixOnce() throws {
        let fixture = try #require(MotoFixture.current)
        let store = try InsightStore(.sqlite(path: NSTemporaryDirectory() + "s3-\(UUID().uuidString).sqlite"))
        var options = IngestOptions()
        options.environment = fixture.environment(fixture.credentials)
        let report = try Ingester(store: store, options: options).ingest(["s3://bursar-logs/logs"])
        #expect(report.errors.isEmpty, "\(report.errors)")
        #expect(report.files == 2)
        #expect(report.newApps == 9)
        #expect(report.skipped == 1)
        let again = try Ingester(store: store, options: options).ingest(["s3://bursar-logs/logs"])
        #expect(again.unchangedFiles == 2)
        #expect(again.summaries == 0)

        var wrong = options
        wrong.environment["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"
        let refused = try Ingester(store: store, options: wrong).ingest(["s3://bursar-logs/logs"])
        #expect(refused.errors.first?.message.contains("403") == true)
    }
}

enum S3IngestObjects {
    static let line = "2025-11-20T10:00:00.000Z\tINFO\tcore.scheduler.application.usage\tobjects/application_summary.go:60\t"
        + "YK_APP_SUMMARY: {ApplicationID: spark-%d, SubmissionTime: 1763632800000, StartTime: 1763632800000, "
        + "FinishTime: 1763636400000, User: u, Queue: root.payments.ledger.tier1, State: Completed, RmID: moka-a, "
        + "ResourceUsage: TrackedResource{UNKNOWN:vcore=3600000}, PreemptedResource: TrackedResource{}, "
        + "PlaceholderResource: TrackedResource{}}\n"

    @Sendable static func populate(_ client: S3Client) throws {
        let plain = (0..<5).map { String(format: line, $0) }.joined()
        let gzipped = (5..<9).map { String(format: line, $0) }.joined() + "not a summary\n"
        try client.put(key: "logs/moka-a/yk-1.log", bytes: Array(plain.utf8))
        try client.put(key: "logs/moka-a/yk-2.log.gz", bytes: try Gzip.compress(Array(gzipped.utf8)))
        try client.put(key: "logs/mappings.csv", bytes: Array("ignored,because,csv\n".utf8))
        try client.put(key: "other/ignored.log", bytes: Array(String(format: line, 99).utf8))
    }
}
