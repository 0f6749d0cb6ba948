import Foundation
import Gzip
import HTTPFetch

/// A source opened for reading front to back in segments of whole lines, so a log of any size is ingested in
/// bounded memory: a segment is at most `segmentBytes` long, and a line longer than `lineBytes` is cut to
/// `lineBytes + 1` bytes (which marks it as too long) while the rest of it is read past, never held.
///
/// Local files are read where they are; remote objects are first downloaded to an unlinked temporary file.
/// Gzip content (known by its magic number, whatever the name) is decompressed as it is read. Only the first
/// `rawSize` bytes are read, the size when the source was opened, so a log still being written is read as of
/// that moment and the rest is picked up by the next run.
///
/// Not thread-safe: one reader at a time (the ingester hands it from the loader to the writer's prefetch).
final class SourceStream: @unchecked Sendable {
    let name: String
    let folderName: String
    /// Size plus a hash of the first 4 KiB of the raw bytes (see `SourceReader.fingerprint`).
    let fingerprint: String
    let rawSize: Int64
    let isGzip: Bool
    /// Content bytes handed out in segments or skipped so far: where the next segment starts.
    private(set) var contentOffset: Int64 = 0

    private let file: Int32
    private var inflater: GzipInflater?
    private var rawOffset: Int64 = 0
    /// Content read but not yet handed out (the start of a line, or what a decompressed piece overshot).
    private var pending: [UInt8] = []
    private var ended = false
    /// Content bytes produced so far (for the binary check on the first 4 KiB).
    private var decoded: Int64 = 0
    private let segmentBytes: Int
    private let lineBytes: Int

    /// Raw bytes read per call: small for gzip, so one piece of a decompression bomb stays small.
    private static let plainChunk = 4 << 20
    private static let gzipChunk = 64 << 10

    private init(name: String, folderName: String, file: Int32, segmentBytes: Int, lineBytes: Int,
                 maxContentBytes: Int) throws(SourceError) {
        self.name = name
        self.folderName = folderName
        self.file = file
        self.segmentBytes = max(segmentBytes, lineBytes + 2)
        self.lineBytes = lineBytes
        var info = stat()
        guard fstat(file, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(file)
            throw SourceError(source: name, message: "cannot stat: \(reason)")
        }
        rawSize = Int64(info.st_size)
        var head = [UInt8](repeating: 0, count: 4096)
        let got = head.withUnsafeMutableBytes { pread(file, $0.baseAddress, $0.count, 0) }
        guard got >= 0 else {
            let reason = String(cString: strerror(errno))
            close(file)
            throw SourceError(source: name, message: "cannot read: \(reason)")
        }
        head.removeSubrange(got...)
        fingerprint = SourceReader.fingerprint(head)
        isGzip = Gzip.isGzip(head)
        if isGzip {
            do {
                inflater = try GzipInflater(maxOutputSize: maxContentBytes)
            } catch {
                close(file)
                throw SourceError(source: name, message: "cannot decompress: \(error)")
            }
        } else if head.contains(0) {
            close(file)
            throw Self.binary(name)
        }
    }

    deinit {
        close(file)
    }

    /// Opens `object`: a local file in place, a remote one downloaded first to a temporary file.
    static func open(_ object: SourceObject, reader: SourceReader, segmentBytes: Int,
                     lineBytes: Int) throws(SourceError) -> SourceStream {
        let file: Int32
        switch object.location {
        case let .file(path):
            file = Foundation.open(path, O_RDONLY | O_CLOEXEC)
            guard file >= 0 else {
                throw SourceError(source: object.name, message: "cannot open: \(String(cString: strerror(errno)))")
            }
        case .http, .s3:
            file = try reader.download(object)
        }
        return try SourceStream(name: object.name, folderName: object.folderName, file: file, segmentBytes: segmentBytes,
                                lineBytes: lineBytes, maxContentBytes: reader.maxBytes)
    }

    /// Moves to content offset `offset` (a checkpoint's): a seek for a plain file, decompressing and
    /// dropping for gzip. False when the content is shorter than that (it is not the content read before).
    func skip(to offset: Int64) throws(SourceError) -> Bool {
        guard offset > 0 else { return true }
        guard isGzip else {
            guard offset <= rawSize, lseek(file, off_t(offset), SEEK_SET) == off_t(offset) else { return false }
            rawOffset = offset
            contentOffset = offset
            return true
        }
        while contentOffset < offset {
            if pending.isEmpty {
                guard !ended else { return false }
                try fill(&pending, wanted: Self.plainChunk)
                continue
            }
            let take = Int(min(Int64(pending.count), offset - contentOffset))
            if take == pending.count { pending.removeAll(keepingCapacity: true) } else { pending.removeFirst(take) }
            contentOffset += Int64(take)
        }
        return true
    }

    /// The next run of whole lines, or nil at the end. A last line without a newline counts as a line.
    func nextSegment() throws(SourceError) -> Segment? {
        var buffer: [UInt8] = []
        swap(&buffer, &pending)
        buffer.reserveCapacity(segmentBytes + Self.plainChunk)
        while buffer.count < segmentBytes && !ended {
            try fill(&buffer, wanted: segmentBytes - buffer.count)
        }
        guard !buffer.isEmpty else { return nil }
        let start = contentOffset
        if ended {
            contentOffset += Int64(buffer.count)
            return Segment(bytes: buffer, contentStart: start, contentEnd: contentOffset, isLast: true)
        }
        if let newline = Self.lastNewline(in: buffer) {
            pending = Array(buffer[(newline + 1)...])
            buffer.removeSubrange((newline + 1)...)
            contentOffset += Int64(buffer.count)
            return Segment(bytes: buffer, contentStart: start, contentEnd: contentOffset, isLast: ended && pending.isEmpty)
        }
        // A whole segment without a line break: one line far over the limit. Keep its head (one byte over the
        // limit, which marks it), and read past the rest.
        var length = Int64(buffer.count)
        var head = Array(buffer.prefix(lineBytes + 1))
        head.append(10)
        buffer.removeAll(keepingCapacity: true)
        while true {
            if let newline = buffer.firstIndex(of: 10) {
                length += Int64(newline + 1)
                pending = Array(buffer[(newline + 1)...])
                break
            }
            length += Int64(buffer.count)
            buffer.removeAll(keepingCapacity: true)
            if ended { break }
            try fill(&buffer, wanted: Self.plainChunk)
        }
        contentOffset += length
        return Segment(bytes: head, contentStart: start, contentEnd: contentOffset, isLast: ended && pending.isEmpty)
    }

    /// Appends about `wanted` more content bytes (a gzip piece may bring more), or marks the end.
    private func fill(_ buffer: inout [UInt8], wanted: Int) throws(SourceError) {
        let before = buffer.count
        let left = rawSize - rawOffset
        guard left > 0 else {
            if let inflater {
                do {
                    try inflater.finish()
                } catch {
                    throw SourceError(source: name, message: "cannot decompress: \(error) (is the .gz file complete?)")
                }
            }
            ended = true
            return
        }
        if let inflater {
            var raw = [UInt8](repeating: 0, count: Int(min(Int64(Self.gzipChunk), left)))
            let got = try read(into: &raw, at: 0, count: raw.count)
            guard got > 0 else { return try truncatedWhileReading() }
            let failure = raw.withUnsafeBytes { bytes -> GzipError? in
                do {
                    try inflater.feed(UnsafeRawBufferPointer(rebasing: bytes[0..<got])) { piece in buffer.append(contentsOf: piece) }
                    return nil
                } catch let error as GzipFeedError<Never> {
                    switch error {
                    case let .gzip(failure): return failure
                    }
                } catch {
                    return .zlibFailure(code: -1, message: "\(error)")
                }
            }
            if let failure {
                throw SourceError(source: name, message: "cannot decompress: \(failure) (is the .gz file complete?)")
            }
        } else {
            let count = Int(min(Int64(max(wanted, 1)), left))
            let appended = try appendRead(&buffer, count: count)
            guard appended > 0 else { return try truncatedWhileReading() }
        }
        // Logs are text: a NUL early on means a binary file (an archive, a database) given by mistake.
        if decoded < 4096 && buffer[before...].prefix(4096 - Int(decoded)).contains(0) {
            throw Self.binary(name)
        }
        decoded += Int64(buffer.count - before)
    }

    /// The file ended before the size it had when opened: it was truncated while being read.
    private func truncatedWhileReading() throws(SourceError) {
        throw SourceError(source: name, message: "the file shrank while being read (was it rotated or truncated?); run the ingest again")
    }

    /// Reads up to `count` bytes from the file onto the end of `buffer`; returns how many.
    private func appendRead(_ buffer: inout [UInt8], count: Int) throws(SourceError) -> Int {
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: count))
        let got = try read(into: &buffer, at: start, count: count)
        buffer.removeSubrange((start + got)...)
        return got
    }

    private func read(into buffer: inout [UInt8], at start: Int, count: Int) throws(SourceError) -> Int {
        let result = buffer.withUnsafeMutableBytes { bytes -> Int in
            while true {
                let got = Foundation.read(file, bytes.baseAddress! + start, count)
                if got < 0 && errno == EINTR { continue }
                return got
            }
        }
        guard result >= 0 else {
            throw SourceError(source: name, message: "cannot read: \(String(cString: strerror(errno)))")
        }
        rawOffset += Int64(result)
        return result
    }

    private static func lastNewline(in buffer: [UInt8]) -> Int? {
        buffer.lastIndex(of: 10)
    }

    private static func binary(_ name: String) -> SourceError {
        SourceError(source: name, message: "binary content, not a text log (only plain or gzipped logs are read)")
    }

    /// Whole lines of a source and where they lie in its content.
    struct Segment {
        var bytes: [UInt8]
        var contentStart: Int64
        /// Where the segment ends in the content; past `contentStart + bytes.count` when a line was cut.
        var contentEnd: Int64
        /// Nothing follows (as of the size the source had when opened).
        var isLast: Bool
    }
}
