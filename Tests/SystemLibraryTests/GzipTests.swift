import Foundation
import Gzip
import Testing

/// Real calls into the system zlib through `Gzip`, cross-checked against the `gzip` command.
@Suite("zlib")
struct GzipTests {
    @Test func roundTripsRandomAndCompressibleBytes() throws {
        for count in [0, 1, 1000, 1 << 20] {
            let random = Support.pseudoRandomBytes(count: count, seed: UInt64(count))
            let compressed = try Gzip.compress(random)
            #expect(Gzip.isGzip(compressed))
            #expect(try Gzip.decompress(compressed) == random)
        }
        let text = Array(String(repeating: "queue root.default max cpu=4 memory=8Gi\n", count: 50_000).utf8)
        let compressed = try Gzip.compress(text, level: 9)
        #expect(compressed.count < text.count / 50)
        #expect(try Gzip.decompress(compressed) == text)
        // The fixed header (mtime 0) makes output reproducible.
        #expect(try Gzip.compress(text, level: 9) == compressed)
    }

    @Test func decompressesOutputOfTheGzipCommandIncludingMultipleMembers() throws {
        let dir = try Support.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = Array("first member: partitions:\n  - name: default\n".utf8)
        let second = Support.pseudoRandomBytes(count: 200_000, seed: 42)
        let firstURL = dir.appendingPathComponent("a.txt"), secondURL = dir.appendingPathComponent("b.bin")
        try Data(first).write(to: firstURL)
        try Data(second).write(to: secondURL)

        let single = try Support.run("gzip", ["-c", "-n", firstURL.path])
        #expect(single.status == 0)
        #expect(try Gzip.decompress(single.output) == first)

        // `gzip -c a b` writes two concatenated members, like appended log rotations.
        let multi = try Support.run("gzip", ["-c", firstURL.path, secondURL.path])
        #expect(multi.status == 0)
        #expect(try Gzip.decompress(multi.output) == first + second)

        // The other direction: the gzip command accepts what Gzip.compress writes.
        let ours = dir.appendingPathComponent("ours.gz")
        try Data(try Gzip.compress(second)).write(to: ours)
        let decoded = try Support.run("gzip", ["-d", "-c", ours.path])
        #expect(decoded.status == 0)
        #expect(decoded.output == second)
    }

    @Test func rejectsCorruptTruncatedAndNonGzipInput() throws {
        let original = Array(String(repeating: "corrupt me ", count: 1000).utf8)
        let compressed = try Gzip.compress(original)

        #expect(throws: GzipError.notGzip) { try Gzip.decompress(Array("plain text".utf8)) }
        #expect(throws: GzipError.notGzip) { try Gzip.decompress([]) }
        #expect(!Gzip.isGzip([0x1F]))

        #expect(throws: GzipError.truncated) { try Gzip.decompress(Array(compressed.dropLast(10))) }
        #expect(throws: GzipError.truncated) { try Gzip.decompress(Array(compressed.prefix(12))) }

        // Flipping a checksum byte must be caught by the trailer's CRC check.
        var badCRC = compressed
        badCRC[badCRC.count - 6] ^= 0xFF
        let crcError = #expect(throws: GzipError.self) { try Gzip.decompress(badCRC) }
        #expect(crcError == .corrupt("incorrect data check"))

        // Garbage in the deflate body: zlib's own diagnosis is passed through.
        var garbled = compressed
        for index in 10..<min(40, garbled.count - 8) { garbled[index] = 0xFF }
        let garbledError = #expect(throws: GzipError.self) { try Gzip.decompress(garbled) }
        if case .corrupt(let message) = garbledError {
            #expect(!message.isEmpty)
        } else {
            Issue.record("expected .corrupt, got \(String(describing: garbledError))")
        }

        #expect(throws: GzipError.trailingGarbage(offset: compressed.count)) {
            try Gzip.decompress(compressed + Array("junk".utf8))
        }
        #expect(try Gzip.decompress(compressed + [0, 0, 0, 0]) == original)
        #expect(throws: GzipError.outputTooLarge(limit: 100)) { try Gzip.decompress(compressed, maxOutputSize: 100) }
        #expect(String(describing: GzipError.truncated).contains("truncated"))
    }
}
