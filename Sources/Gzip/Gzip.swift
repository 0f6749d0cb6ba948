import CZlib

/// Why gzip data could not be decoded or encoded.
public enum GzipError: Error, Equatable, CustomStringConvertible {
    /// The input does not start with the gzip magic bytes 1f 8b.
    case notGzip
    /// The input ends in the middle of a gzip member (a cut-off download or a partial write).
    case truncated
    /// zlib rejected the data; the text is zlib's own diagnosis ("invalid block type", "incorrect data check", ...).
    case corrupt(String)
    /// Bytes after the last complete member that are neither another member nor zero padding.
    case trailingGarbage(offset: Int)
    /// The decompressed size would exceed the caller's limit (a guard against decompression bombs).
    case outputTooLarge(limit: Int)
    /// zlib failed for a reason unrelated to the input (out of memory, version mismatch).
    case zlibFailure(code: Int32, message: String)

    /// A one-line explanation suitable for CLI error messages.
    public var description: String {
        switch self {
        case .notGzip: "not gzip data (missing 1f 8b magic bytes)"
        case .truncated: "gzip data is truncated (unexpected end of input)"
        case let .corrupt(message): "gzip data is corrupt: \(message)"
        case let .trailingGarbage(offset): "unexpected non-gzip bytes after the last member at offset \(offset)"
        case let .outputTooLarge(limit): "decompressed data exceeds the limit of \(limit) bytes"
        case let .zlibFailure(code, message): "zlib failure \(code): \(message)"
        }
    }
}

/// Gzip (RFC 1952) compression and decompression through the system zlib.
public enum Gzip {
    /// zlib counts are 32-bit; feed and drain at most this much per call.
    static let maxChunk = 1 << 30
    /// Output is produced in pieces of this size and appended, so memory grows with the output only.
    private static let outputChunk = 1 << 18
    /// windowBits for zlib: 15 (the maximum) plus 16 selects the gzip wrapper instead of zlib's.
    static let gzipWindowBits: Int32 = 15 + 16

    /// Whether `data` starts with the gzip magic bytes; says nothing about the rest being valid.
    public static func isGzip(_ data: [UInt8]) -> Bool {
        data.count >= 2 && data[0] == 0x1F && data[1] == 0x8B
    }

    /// Decompresses gzip data, including files made of several concatenated members (as produced by
    /// `cat a.gz b.gz` or by log rotators that append), whose outputs are concatenated like `gzip -d` does.
    ///
    /// Trailing zero bytes (tape or block padding) are ignored; any other trailing bytes are an error.
    /// - Parameter maxOutputSize: upper bound on the decompressed size; exceeding it throws
    ///   `GzipError.outputTooLarge` instead of exhausting memory.
    public static func decompress(_ data: [UInt8], maxOutputSize: Int = .max) throws(GzipError) -> [UInt8] {
        if data.count == 1 && data[0] == 0x1F { throw .truncated }
        guard isGzip(data) else { throw .notGzip }
        let inflater = try GzipInflater(maxOutputSize: maxOutputSize, pieceSize: outputChunk)
        var output: [UInt8] = []
        do {
            try data.withUnsafeBufferPointer { input throws(GzipFeedError<Never>) in
                output.reserveCapacity(min(maxOutputSize, sizeHint(input)))
                try inflater.feed(UnsafeRawBufferPointer(input)) { piece in output.append(contentsOf: piece) }
            }
        } catch {
            switch error {
            case let .gzip(failure): throw failure
            }
        }
        try inflater.finish()
        return output
    }

    /// Guesses the decompressed size to reserve memory once: a gzip trailer ends with the last member's
    /// size mod 2^32, which is exact for the common single-member file below 4 GiB. It is untrusted, so it is
    /// capped by deflate's maximum ratio (about 1032:1); a wrong guess only costs regrowth.
    private static func sizeHint(_ input: UnsafeBufferPointer<UInt8>) -> Int {
        let fallback = max(outputChunk, input.count.multipliedReportingOverflow(by: 4).partialValue)
        guard input.count >= 18 else { return fallback }  // 10-byte header + 8-byte trailer
        let end = input.count
        let isize = Int(input[end - 4]) | Int(input[end - 3]) << 8 | Int(input[end - 2]) << 16
            | Int(input[end - 1]) << 24
        let ceiling = input.count.multipliedReportingOverflow(by: 1032)
        guard isize > 0, ceiling.overflow || isize <= ceiling.partialValue else { return fallback }
        return isize
    }

    /// Compresses `data` into a single gzip member with a fixed header (mtime 0, no file name), so equal
    /// input gives byte-identical output, which golden tests rely on.
    /// - Parameter level: zlib level 0 (store) ... 9 (smallest); -1 is zlib's default (6).
    public static func compress(_ data: [UInt8], level: Int = -1) throws(GzipError) -> [UInt8] {
        guard level == -1 || (0...9).contains(level) else {
            throw .zlibFailure(code: Z_STREAM_ERROR, message: "compression level \(level) is not in -1...9")
        }
        return try data.withUnsafeBufferPointer { input throws(GzipError) -> [UInt8] in
            var stream = z_stream()
            let initCode = czlib_deflate_init2(&stream, Int32(level), gzipWindowBits, 8, Z_DEFAULT_STRATEGY)
            guard initCode == Z_OK else { throw zlibFailure(initCode, stream) }
            defer { deflateEnd(&stream) }

            var output: [UInt8] = []
            output.reserveCapacity(Int(deflateBound(&stream, UInt(input.count))))
            var chunk = [UInt8](repeating: 0, count: outputChunk)
            var offset = 0
            var code: Int32 = Z_OK
            while code != Z_STREAM_END {
                let feed = min(maxChunk, input.count - offset)
                // An empty array may have no base address; zlib accepts NULL while avail_in is 0.
                stream.next_in = input.baseAddress.map { UnsafeMutablePointer(mutating: $0 + offset) }
                stream.avail_in = UInt32(feed)
                let flush = offset + feed == input.count ? Z_FINISH : Z_NO_FLUSH
                repeat {
                    let produced = chunk.withUnsafeMutableBufferPointer { buffer -> Int in
                        stream.next_out = buffer.baseAddress
                        stream.avail_out = UInt32(buffer.count)
                        code = deflate(&stream, flush)
                        return buffer.count - Int(stream.avail_out)
                    }
                    guard code == Z_OK || code == Z_STREAM_END || code == Z_BUF_ERROR else {
                        throw zlibFailure(code, stream)
                    }
                    output.append(contentsOf: chunk[0..<produced])
                } while stream.avail_out == 0 && code != Z_STREAM_END
                offset += feed - Int(stream.avail_in)
            }
            return output
        }
    }

    static func message(of stream: z_stream) -> String? {
        stream.msg.map { String(cString: $0) }
    }

    static func zlibFailure(_ code: Int32, _ stream: z_stream) -> GzipError {
        .zlibFailure(code: code, message: message(of: stream) ?? String(cString: zError(code)))
    }
}
