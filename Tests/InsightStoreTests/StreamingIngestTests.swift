import Foundation
import Gzip
import Ingest
import IngestPipeline
@testable import InsightStore
import Insights
import Store
import Testing

/// Sources read in segments of bounded size: any segmenting, and lines far over the line limit, give exactly
/// the tables one whole read gives; a resumed log is read from its checkpoint, not again from the start.
@Suite("Streamed ingestion")
struct StreamingIngestTests {
    func ingest(_ store: InsightStore, _ paths: [String], segmentBytes: Int = 32 << 20, lineBytes: Int = 1 << 20,
                batchLines: Int = 50_000) throws -> IngestReport {
        var options = IngestOptions()
        options.segmentBytes = segmentBytes
        options.lineBytes = lineBytes
        options.batchLines = batchLines
        return try Ingester(store: store, options: options).ingest(paths)
    }

    /// Summaries and noise, with a 300 KB line of plain text and a 200 KB line carrying a summary marker.
    static func log(apps: Range<Int>) -> String {
        var lines: [String] = []
        for i in apps {
            lines.append(Lines.yunikorn("app-\(i)", queue: "root.org\(i % 3).p\(i % 5).tier\(1 + i % 3)",
                                        start: Lines.day + Int64(i) * 60_000, minutes: Int64(1 + i % 50)))
            if i % 17 == 5 { lines.append(Lines.noise) }
            if i % 40 == 20 { lines.append(String(repeating: "stack frame ", count: 25_000)) }
            if i % 40 == 30 {
                lines.append("YK_APP_SUMMARY: {ApplicationID: huge-\(i), Queue: " + String(repeating: "x", count: 200_000) + "}")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func digest(_ store: InsightStore, replacing folder: URL) throws -> [String: [String]] {
        try store.digest().mapValues { rows in rows.map { $0.replacingOccurrences(of: folder.path, with: "") } }
    }

    @Test func segmentsAndCutLinesGiveTheTablesOfOneRead() throws {
        let text = Self.log(apps: 0..<200)
        let whole = try Scratch.directory(), pieces = try Scratch.directory()
        try Scratch.write(text, to: whole.appendingPathComponent("moka-a/yk.log"))
        try Scratch.write(text, to: pieces.appendingPathComponent("moka-a/yk.log"))

        let oneRead = try InsightStore(.sqlite(path: whole.appendingPathComponent("store.sqlite").path))
        let reference = try ingest(oneRead, [whole.appendingPathComponent("moka-a").path], lineBytes: 100_000)
        let segmented = try InsightStore(.sqlite(path: pieces.appendingPathComponent("store.sqlite").path))
        // 16 KiB segments: every long line is cut (its head kept, the rest read past), and batches of 7 lines.
        let streamed = try ingest(segmented, [pieces.appendingPathComponent("moka-a").path], segmentBytes: 16 << 10,
                                  lineBytes: 4_096, batchLines: 7)

        #expect(streamed.lines == reference.lines)
        #expect(streamed.bytes == Int64(text.utf8.count))
        #expect(reference.rejects == 5 && streamed.rejects == 5)
        #expect(streamed.skipped == reference.skipped)
        #expect(streamed.summaries == 200)
        #expect(streamed.lines == streamed.summaries + streamed.skipped + streamed.rejects)
        var a = try digest(oneRead, replacing: whole), b = try digest(segmented, replacing: pieces)
        // The reason names the limit in force, which the two runs set differently.
        a["rejects"] = a["rejects"]?.map { $0.replacingOccurrences(of: "100000", with: "LIMIT") }
        b["rejects"] = b["rejects"]?.map { $0.replacingOccurrences(of: "4096", with: "LIMIT") }
        #expect(a == b)
        let rejects = b["rejects"] ?? []
        #expect(rejects.allSatisfy { $0.contains("line longer than LIMIT bytes") })
        // Each cut line is reported at its own line number: the first marker line follows app-30's line.
        let firstMarker = text.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.hasPrefix("YK_APP_SUMMARY: {ApplicationID: huge-30") }.map { $0 + 1 }
        #expect(rejects.contains { $0.contains("|\(firstMarker ?? -1)|") })
    }

    @Test func gzipIsDecompressedAsItIsRead() throws {
        let text = Self.log(apps: 0..<120)
        let plain = try Scratch.directory(), packed = try Scratch.directory()
        try Scratch.write(text, to: plain.appendingPathComponent("moka-a/yk.log"))
        let gz = try Gzip.compress(Array(text.utf8))
        try FileManager.default.createDirectory(at: packed.appendingPathComponent("moka-a"), withIntermediateDirectories: true)
        // Two members, as a rotator that appends writes them: the content is their concatenation.
        let half = text.utf8.count / 2
        let first = try Gzip.compress(Array(text.utf8.prefix(half))), second = try Gzip.compress(Array(text.utf8.dropFirst(half)))
        try Data(first + second).write(to: packed.appendingPathComponent("moka-a/yk.log.gz"))
        #expect(gz.count < text.utf8.count)

        let a = try InsightStore(.sqlite(path: plain.appendingPathComponent("s.sqlite").path))
        let b = try InsightStore(.sqlite(path: packed.appendingPathComponent("s.sqlite").path))
        _ = try ingest(a, [plain.appendingPathComponent("moka-a").path], segmentBytes: 8 << 10, lineBytes: 4_096)
        let report = try ingest(b, [packed.appendingPathComponent("moka-a").path], segmentBytes: 8 << 10, lineBytes: 4_096)
        #expect(report.errors.isEmpty)
        #expect(report.bytes == Int64(text.utf8.count))
        // The checkpoints differ (raw size and fingerprint); every table read from the content is the same.
        var da = try digest(a, replacing: plain), db = try digest(b, replacing: packed)
        for table in Array(da.keys) where table.contains("checkpoint") {
            da[table] = nil
            db[table] = nil
        }
        da = da.mapValues { rows in rows.map { $0.replacingOccurrences(of: "yk.log", with: "LOG") } }
        db = db.mapValues { rows in rows.map { $0.replacingOccurrences(of: "yk.log.gz", with: "LOG") } }
        #expect(da == db)
    }

    /// A plain log that grew is read from its checkpoint by a seek; a gzip log that grew by a member (as a
    /// rotator appending writes it) is decompressed up to the checkpoint and only the rest is parsed.
    @Test(arguments: [false, true])
    func aGrownLogIsReadFromItsCheckpoint(gzip: Bool) throws {
        let before = Array(Self.log(apps: 0..<80).utf8), after = Array(Self.log(apps: 80..<130).utf8)
        let folder = try Scratch.directory()
        let file = folder.appendingPathComponent(gzip ? "moka-a/yk.log.gz" : "moka-a/yk.log")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(gzip ? try Gzip.compress(before) : before).write(to: file)
        let store = try InsightStore(.sqlite(path: folder.appendingPathComponent("s.sqlite").path))
        let first = try ingest(store, [file.path], segmentBytes: 16 << 10, lineBytes: 4_096)
        #expect(first.bytes == Int64(before.count))
        #expect(first.summaries == 80)

        let handle = try FileHandle(forWritingTo: file)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(gzip ? try Gzip.compress(after) : after))
        try handle.close()
        let second = try ingest(store, [file.path], segmentBytes: 16 << 10, lineBytes: 4_096)
        #expect(second.errors.isEmpty)
        #expect(second.bytes == Int64(after.count))
        #expect(second.summaries == 50)
        #expect(second.duplicates == 0)
        #expect(second.lines == second.summaries + second.skipped + second.rejects)
        let unchanged = try ingest(store, [file.path])
        #expect(unchanged.unchangedFiles == 1 && unchanged.bytes == 0)
        #expect(try store.digest()["apps"]?.count == 130)
    }

    @Test func aTruncatedGzipKeepsItsWholeSegmentsAndNamesTheSource() throws {
        let text = Self.log(apps: 0..<300)
        let folder = try Scratch.directory()
        let gz = try Gzip.compress(Array(text.utf8), level: 0)
        let file = folder.appendingPathComponent("moka-a/cut.log.gz")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(gz.prefix(gz.count * 3 / 4)).write(to: file)
        let store = try InsightStore(.sqlite(path: folder.appendingPathComponent("s.sqlite").path))
        let report = try ingest(store, [file.path], segmentBytes: 16 << 10, lineBytes: 4_096)
        #expect(report.errors.count == 1)
        #expect(report.errors.first?.source == file.path)
        #expect(report.errors.first?.message.contains("truncated") == true)
        // Whole lines before the cut are stored; the cut line never is.
        #expect(report.summaries > 100 && report.summaries < 300)
        #expect(report.lines == report.summaries + report.skipped + report.rejects)
        let checkpoint = try store.checkpoint(source: file.path)
        #expect(checkpoint?.complete == false)
        #expect(checkpoint?.offset == report.bytes)
    }
}
