import CZlib

/// Decompresses gzip data fed in pieces, handing the output on in pieces, so a log of any size is read in
/// bounded memory. Accepts what `gzip -d` accepts: several concatenated members (their outputs
/// concatenated) and trailing zero padding; anything else after the last member is an error.
///
/// Not `Sendable`: one stream, fed in order by one thread at a time.
public final class GzipInflater {
    /// Where the input stands between calls.
    private enum Phase {
        /// Inside a member (or before the first): zlib gets the bytes.
        case member
        /// A member ended; the next bytes decide: another member, padding or garbage.
        case between
        /// The first byte of a next member (1f) was seen; its second byte is still to come.
        case magicStarted
        /// Zero padding after the last member: only zeros may follow.
        case padding
    }

    private var stream = z_stream()
    private var phase = Phase.member
    /// Input bytes consumed so far: where a trailing-garbage error points.
    private var consumed = 0
    /// Room for one piece of output, owned by this inflater.
    private let output: UnsafeMutableBufferPointer<UInt8>
    private let maxOutput: Int
    /// Decompressed bytes handed on so far.
    public private(set) var produced = 0

    /// - Parameters:
    ///   - maxOutputSize: the most decompressed bytes this stream may produce (a guard against
    ///     decompression bombs); more throws `GzipError.outputTooLarge`.
    ///   - pieceSize: the largest piece handed to `feed`'s closure.
    public init(maxOutputSize: Int = .max, pieceSize: Int = 1 << 18) throws(GzipError) {
        maxOutput = maxOutputSize
        output = .allocate(capacity: max(1, pieceSize))
        let code = czlib_inflate_init2(&stream, Gzip.gzipWindowBits)
        guard code == Z_OK else { throw Gzip.zlibFailure(code, stream) }
    }

    deinit {
        inflateEnd(&stream)
        output.deallocate()
    }

    /// Decompresses `input`, calling `deliver` with each piece of output as it is produced (the piece is
    /// only valid during the call). A first call whose input does not start with the gzip magic bytes
    /// throws `GzipError.notGzip`.
    public func feed<E: Error>(_ input: UnsafeRawBufferPointer,
                               _ deliver: (UnsafeRawBufferPointer) throws(E) -> Void) throws(GzipFeedError<E>) {
        guard let base = input.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        if consumed == 0 && phase == .member && !(input.count >= 2 && base[0] == 0x1F && base[1] == 0x8B) {
            // A lone first byte could still be the start of the magic; callers feed more than that.
            throw .gzip(.notGzip)
        }
        var offset = 0
        while offset < input.count {
            switch phase {
            case .member:
                offset += try inflate(base + offset, count: input.count - offset, deliver)
            case .between:
                switch base[offset] {
                case 0x1F:
                    phase = .magicStarted
                    offset += 1
                    consumed += 1
                case 0:
                    phase = .padding
                default:
                    throw .gzip(.trailingGarbage(offset: consumed))
                }
            case .magicStarted:
                guard base[offset] == 0x8B else { throw .gzip(.trailingGarbage(offset: consumed - 1)) }
                guard inflateReset(&stream) == Z_OK else { throw .gzip(Gzip.zlibFailure(Z_STREAM_ERROR, stream)) }
                // zlib must see the whole header, the 1f already taken included.
                var magic: [UInt8] = [0x1F]
                phase = .member
                consumed -= 1
                _ = try magic.withUnsafeMutableBufferPointer { first throws(GzipFeedError<E>) in
                    try inflate(first.baseAddress!, count: 1, deliver)
                }
            case .padding:
                guard base[offset] == 0 else { throw .gzip(.trailingGarbage(offset: consumed)) }
                offset += 1
                consumed += 1
            }
        }
    }

    /// Checks that the input ended where a member ended (or in padding after one).
    public func finish() throws(GzipError) {
        switch phase {
        case .between, .padding: return
        case .member, .magicStarted: throw .truncated
        }
    }

    /// Feeds zlib from `bytes` until the member ends or the bytes run out; returns how many it consumed.
    private func inflate<E: Error>(_ bytes: UnsafePointer<UInt8>, count: Int,
                                   _ deliver: (UnsafeRawBufferPointer) throws(E) -> Void) throws(GzipFeedError<E>) -> Int {
        var taken = 0
        while taken < count {
            let feed = min(Gzip.maxChunk, count - taken)
            stream.next_in = UnsafeMutablePointer(mutating: bytes + taken)
            stream.avail_in = UInt32(feed)
            var code: Int32 = Z_OK
            repeat {
                stream.next_out = output.baseAddress
                stream.avail_out = UInt32(output.count)
                code = CZlib.inflate(&stream, Z_NO_FLUSH)
                let made = output.count - Int(stream.avail_out)
                switch code {
                case Z_OK, Z_STREAM_END, Z_BUF_ERROR: break
                case Z_NEED_DICT: throw .gzip(.corrupt("member requires a preset dictionary"))
                case Z_DATA_ERROR: throw .gzip(.corrupt(Gzip.message(of: stream) ?? "invalid deflate data"))
                default: throw .gzip(Gzip.zlibFailure(code, stream))
                }
                guard made <= maxOutput - produced else { throw .gzip(.outputTooLarge(limit: maxOutput)) }
                produced += made
                if made > 0 {
                    do {
                        try deliver(UnsafeRawBufferPointer(start: output.baseAddress, count: made))
                    } catch {
                        throw .delivery(error)
                    }
                }
            } while code == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0)
            // zlib never reports "no progress" with input left; if it did, looping would spin forever.
            if code == Z_BUF_ERROR && stream.avail_in > 0 { throw .gzip(Gzip.zlibFailure(code, stream)) }
            let used = feed - Int(stream.avail_in)
            taken += used
            consumed += used
            if code == Z_STREAM_END {
                phase = .between
                return taken
            }
        }
        return taken
    }
}

/// Why feeding a `GzipInflater` failed: the data, or the closure the output was delivered to.
public enum GzipFeedError<Delivery: Error>: Error {
    case gzip(GzipError)
    case delivery(Delivery)
}
