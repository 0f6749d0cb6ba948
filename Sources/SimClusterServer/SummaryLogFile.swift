import Foundation
import Synchronization

/// The file summary lines are appended to, one `write` per line so a reader (or a crash) sees whole lines
/// only, but for a torn last one after a crash: on opening, a file that does not end in a newline gets one,
/// so the next line is not glued to the torn one (ingestion then rejects the torn line alone).
final class SummaryLogFile: Sendable {
    /// Its path.
    let path: String
    private let descriptor: Mutex<Int32>
    /// How many lines this process appended.
    let written = Atomic<Int>(0)

    /// Opens (creating it and its folder) `path` for appending.
    init(path: String) throws {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw SimServerError("cannot open the log file \(path): \(String(cString: strerror(errno))); check the folder exists and is writable")
        }
        descriptor = Mutex(fd)
        if let handle = FileHandle(forReadingAtPath: path) {
            defer { try? handle.close() }
            let size = (try? handle.seekToEnd()) ?? 0
            if size > 0 {
                try? handle.seek(toOffset: size - 1)
                if handle.readData(ofLength: 1).first != 0x0A { try append(bytes: [0x0A]) }
            }
        }
    }

    deinit {
        descriptor.withLock { fd in
            if fd >= 0 { close(fd) }
        }
    }

    /// Appends `line` and a newline in one write.
    func append(_ line: String) throws {
        try append(bytes: Array(line.utf8) + [0x0A])
        written.add(1, ordering: .relaxed)
    }

    private func append(bytes: [UInt8]) throws {
        try descriptor.withLock { fd in
            var offset = 0
            while offset < bytes.count {
                let result = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
                if result < 0 {
                    if errno == EINTR { continue }
                    throw SimServerError("cannot write the log file \(path): \(String(cString: strerror(errno)))")
                }
                offset += result
            }
        }
    }
}

/// A failure of the simulated cluster's server (its files or its socket), said with what to do.
public struct SimServerError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
