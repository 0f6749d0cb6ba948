import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The dry-run journal on disk: an append-only file of JSON lines, a sorted index beside it
/// (`<journal>.index`) so a restart reads only the lines written since the index was last merged, and
/// `<journal>.torn`, where a torn last line (a write cut short by a crash) is set aside instead of lost.
///
/// Applications are found by a 64-bit hash of "namespace/name": the most recent ones in a dictionary, the
/// rest in the index file (24 bytes each, read with `pread`, never held in memory). A hash found in the file
/// is confirmed against the journal line it points to, so two names with one hash are still told apart.
/// Memory stays bounded by `mergeEvery` applications however long the journal grows.
///
/// Not thread-safe: `DryRunTarget` calls it under its lock.
final class DryRunJournal {
    /// One application: where its create line starts in the journal and the revision it was given.
    struct Entry: Equatable {
        var offset: UInt64
        var revision: UInt64
    }

    let path: String
    var indexPath: String { path + ".index" }
    var tornPath: String { path + ".torn" }
    /// Recent applications by "namespace/name", not yet merged into the index file.
    private(set) var recent: [String: Entry] = [:]
    /// The journal's length: where the next line goes.
    private(set) var size: UInt64 = 0
    /// The highest revision handed out (lines numbered from 1001, as the API server's counter here).
    var revision: UInt64 = 1000
    /// The newest ConfigMap line: its offset and revision.
    private(set) var configMap: Entry?
    private(set) var recovery: JournalRecovery?
    /// How many entries the index file holds.
    private(set) var indexed: UInt64 = 0
    private var fd: Int32 = -1
    private var indexFD: Int32 = -1
    /// Merge the recent applications into the index file once there are this many.
    let mergeEvery: Int

    static let magic: UInt64 = 0x3158_4449_5252_4442  // "BDRRIDX1" little-endian, any fixed value would do
    static let headerSize = 64
    static let entrySize = 24

    /// Opens (or creates on first write) the journal; recovers a torn tail and reads what the index lacks.
    /// `line` turns each line read into its application key (or a ConfigMap marker), given its bytes.
    init(path: String, mergeEvery: Int = 65_536, read: (ArraySlice<UInt8>, UInt64) throws -> JournalLine) throws {
        self.path = path
        self.mergeEvery = max(1, mergeEvery)
        guard FileManager.default.fileExists(atPath: path) else { return }
        fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw JournalIOError("cannot open \(path): \(String(cString: strerror(errno)))") }
        size = UInt64(lseek(fd, 0, SEEK_END))
        try recoverTornTail()
        loadIndex()
        try scan(from: indexCovered, read: read)
        if !recent.isEmpty { try merge() }
    }

    deinit {
        // A clean stop leaves nothing for the next start to read.
        if !recent.isEmpty { try? merge() }
        if fd >= 0 { close(fd) }
        if indexFD >= 0 { close(indexFD) }
    }

    // MARK: Writing

    /// Appends one whole line (it must end with a newline) and returns its offset. A short write is
    /// completed; a failed one is undone by cutting the file back, so the journal never keeps half a line.
    func append(_ line: [UInt8]) throws -> UInt64 {
        if fd < 0 {
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw JournalIOError(String(cString: strerror(errno))) }
            size = UInt64(lseek(fd, 0, SEEK_END))
        }
        let offset = size
        var written = 0
        let failure: String? = line.withUnsafeBytes { raw in
            while written < raw.count {
                let n = write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                written += n
            }
            return nil
        }
        if let failure {
            _ = ftruncate(fd, off_t(offset))
            throw JournalIOError(failure)
        }
        size = offset + UInt64(line.count)
        return offset
    }

    /// Notes an application created by the line at `offset`.
    func added(_ key: String, _ entry: Entry) throws {
        recent[key] = entry
        if recent.count >= mergeEvery { try merge() }
    }

    func configMapWritten(_ entry: Entry) { configMap = entry }

    // MARK: Reading

    /// The application called `key` ("namespace/name"), if the journal created it. `confirm` reads the key
    /// of the line at an offset (to tell apart names that share a hash).
    func find(_ key: String, confirm: (UInt64) -> String?) -> Entry? {
        if let entry = recent[key] { return entry }
        guard indexed > 0 else { return nil }
        let hash = Self.hash(key)
        // The first entry whose hash is not below `hash`.
        var low: UInt64 = 0, high = indexed
        while low < high {
            let middle = (low + high) / 2
            guard let entry = readEntry(middle) else { return nil }
            if entry.hash < hash { low = middle + 1 } else { high = middle }
        }
        var position = low
        while position < indexed, let entry = readEntry(position), entry.hash == hash {
            if confirm(entry.offset) == key { return Entry(offset: entry.offset, revision: entry.revision) }
            position += 1
        }
        return nil
    }

    /// The line starting at `offset`, without its newline.
    func line(at offset: UInt64) -> [UInt8]? {
        guard fd >= 0, offset < size else { return nil }
        var out: [UInt8] = []
        var position = offset
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while position < size {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(position)) }
            guard n > 0 else { return nil }
            if let newline = chunk[0..<n].firstIndex(of: 10) {
                out += chunk[0..<newline]
                return out
            }
            out += chunk[0..<n]
            position += UInt64(n)
        }
        return out
    }

    // MARK: Start-up

    /// Sets aside the bytes after the last newline (a line whose write a crash cut short) in `.torn`, then cuts
    /// the journal back to its last whole line.
    private func recoverTornTail() throws {
        guard size > 0 else { return }
        var end = size
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var lastNewline: UInt64?
        while end > 0 && lastNewline == nil {
            let start = end >= UInt64(chunk.count) ? end - UInt64(chunk.count) : 0
            let count = Int(end - start)
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, count, off_t(start)) }
            guard n == count else { throw JournalIOError("cannot read \(path): \(String(cString: strerror(errno)))") }
            if let index = chunk[0..<count].lastIndex(of: 10) { lastNewline = start + UInt64(index) }
            end = start
        }
        let keep = lastNewline.map { $0 + 1 } ?? 0
        guard keep < size else { return }
        var torn = [UInt8](repeating: 0, count: Int(size - keep))
        let n = torn.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(keep)) }
        guard n == torn.count else { throw JournalIOError("cannot read \(path): \(String(cString: strerror(errno)))") }
        // Set aside first, synced, and only then cut: a crash between the two keeps the bytes in both places.
        let aside = open(tornPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard aside >= 0 else { throw JournalIOError("cannot open \(tornPath): \(String(cString: strerror(errno)))") }
        defer { close(aside) }
        let record = torn + [10]
        let wrote = record.withUnsafeBytes { write(aside, $0.baseAddress!, $0.count) }
        guard wrote == record.count, fsync(aside) == 0 else {
            throw JournalIOError("cannot write \(tornPath): \(String(cString: strerror(errno)))")
        }
        guard ftruncate(fd, off_t(keep)) == 0 else {
            throw JournalIOError("cannot cut \(path) back to \(keep) bytes: \(String(cString: strerror(errno)))")
        }
        size = keep
        recovery = JournalRecovery(offset: keep, bytes: torn.count, tornFile: tornPath)
    }

    /// How much of the journal the index file covers (0 without a usable index).
    private var indexCovered: UInt64 = 0

    /// Opens the index when it matches the journal: it covers no more than the journal holds, ending at a
    /// line's end. Anything else (missing, another journal's, cut short) is ignored and rebuilt.
    private func loadIndex() {
        let handle = open(indexPath, O_RDONLY | O_CLOEXEC)
        guard handle >= 0 else { return }
        var header = [UInt64](repeating: 0, count: Self.headerSize / 8)
        let n = header.withUnsafeMutableBytes { pread(handle, $0.baseAddress!, $0.count, 0) }
        var info = stat()
        fstat(handle, &info)
        let covered = header[2], count = header[6]
        var lastByte: UInt8 = 0
        if covered > 0 { _ = pread(fd, &lastByte, 1, off_t(covered - 1)) }
        guard n == Self.headerSize, header[0] == Self.magic, header[1] == 1, covered <= size,
              covered == 0 || lastByte == 10,
              UInt64(info.st_size) == UInt64(Self.headerSize) + count * UInt64(Self.entrySize) else {
            close(handle)
            return
        }
        indexFD = handle
        indexCovered = covered
        revision = header[3]
        if header[4] > 0 { configMap = Entry(offset: header[4] - 1, revision: header[5]) }
        indexed = count
    }

    /// Reads the lines from `start` to the end, in large blocks.
    private func scan(from start: UInt64, read: (ArraySlice<UInt8>, UInt64) throws -> JournalLine) throws {
        var position = start
        var pending: [UInt8] = []
        var pendingOffset = start
        var block = [UInt8](repeating: 0, count: 4 << 20)
        while position < size {
            let n = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, min($0.count, Int(size - position)), off_t(position)) }
            guard n > 0 else { throw JournalIOError("cannot read \(path): \(String(cString: strerror(errno)))") }
            var lineStart = 0
            var cursor = 0
            while let newline = block[cursor..<n].firstIndex(of: 10) {
                let offset: UInt64
                let line: ArraySlice<UInt8>
                if pending.isEmpty {
                    offset = position + UInt64(lineStart)
                    line = block[lineStart..<newline]
                } else {
                    pending += block[lineStart..<newline]
                    offset = pendingOffset
                    line = pending[...]
                }
                try take(line, offset: offset, read: read)
                pending.removeAll(keepingCapacity: true)
                lineStart = newline + 1
                cursor = lineStart
            }
            if lineStart < n {
                if pending.isEmpty { pendingOffset = position + UInt64(lineStart) }
                pending += block[lineStart..<n]
            }
            position += UInt64(n)
        }
    }

    private func take(_ line: ArraySlice<UInt8>, offset: UInt64, read: (ArraySlice<UInt8>, UInt64) throws -> JournalLine) throws {
        guard !line.isEmpty else { return }
        switch try read(line, revision + 1) {
        case .application(let key):
            revision += 1
            try added(key, Entry(offset: offset, revision: revision))
        case .configMap:
            revision += 1
            configMap = Entry(offset: offset, revision: revision)
        case .other:
            break
        }
    }

    // MARK: The index file

    private func readEntry(_ position: UInt64) -> (hash: UInt64, offset: UInt64, revision: UInt64)? {
        var words = (UInt64(0), UInt64(0), UInt64(0))
        let n = withUnsafeMutableBytes(of: &words) {
            pread(indexFD, $0.baseAddress!, Self.entrySize, off_t(UInt64(Self.headerSize) + position * UInt64(Self.entrySize)))
        }
        guard n == Self.entrySize else { return nil }
        return (UInt64(littleEndian: words.0), UInt64(littleEndian: words.1), UInt64(littleEndian: words.2))
    }

    /// Writes a new index file: the old entries and the recent ones, merged in hash order (streamed, so only
    /// the recent ones are ever in memory), then renamed over the old one.
    func merge() throws {
        guard fd >= 0 else { return }
        let fresh = recent.map { (Self.hash($0.key), $0.value) }.sorted { ($0.0, $0.1.offset) < ($1.0, $1.1.offset) }
        let temporary = indexPath + ".tmp"
        let out = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard out >= 0 else { throw JournalIOError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        var buffer: [UInt64] = []
        buffer.reserveCapacity(3 * 8192)
        var failed = false
        func flush() {
            guard !buffer.isEmpty, !failed else { return }
            let bytes = buffer.count * 8
            let n = buffer.withUnsafeBytes { write(out, $0.baseAddress!, bytes) }
            if n != bytes { failed = true }
            buffer.removeAll(keepingCapacity: true)
        }
        func put(_ hash: UInt64, _ offset: UInt64, _ revision: UInt64) {
            buffer += [hash.littleEndian, offset.littleEndian, revision.littleEndian]
            if buffer.count >= 3 * 8192 { flush() }
        }
        let count = indexed + UInt64(fresh.count)
        buffer = [Self.magic, 1, size, revision, configMap.map { $0.offset + 1 } ?? 0, configMap?.revision ?? 0, count, 0]
            .map(\.littleEndian)
        flush()
        var old: UInt64 = 0
        var next = indexed > 0 ? readEntry(0) : nil
        for (hash, entry) in fresh {
            while let current = next, (current.hash, current.offset) < (hash, entry.offset) {
                put(current.hash, current.offset, current.revision)
                old += 1
                next = old < indexed ? readEntry(old) : nil
            }
            put(hash, entry.offset, entry.revision)
        }
        while let current = next {
            put(current.hash, current.offset, current.revision)
            old += 1
            next = old < indexed ? readEntry(old) : nil
        }
        flush()
        close(out)
        guard !failed, rename(temporary, indexPath) == 0 else {
            unlink(temporary)
            throw JournalIOError("cannot write \(indexPath)")
        }
        if indexFD >= 0 { close(indexFD) }
        indexFD = open(indexPath, O_RDONLY | O_CLOEXEC)
        indexed = indexFD >= 0 ? count : 0
        indexCovered = size
        recent.removeAll()
    }

    /// FNV-1a, 64 bits: the same on every platform and run (Swift's `Hasher` is seeded per process).
    static func hash(_ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return hash
    }
}

/// What a restart found and did about a torn last line of a dry-run journal.
public struct JournalRecovery: Sendable, Equatable, CustomStringConvertible {
    /// Where the torn line started (the journal was cut back to this length).
    public var offset: UInt64
    /// How many bytes were set aside.
    public var bytes: Int
    /// The file they were appended to.
    public var tornFile: String

    public var description: String {
        "a torn last line (\(bytes) bytes from byte \(offset), a write cut short by a crash) was set aside in "
            + "\(tornFile); every whole line before it was kept"
    }
}

/// What one journal line is, as far as restoring state needs to know.
enum JournalLine {
    /// A SparkApplication create, by "namespace/name".
    case application(String)
    /// A ConfigMap write: the newest one is the ConfigMap's state.
    case configMap
    /// Anything else the journal may hold.
    case other
}

struct JournalIOError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
