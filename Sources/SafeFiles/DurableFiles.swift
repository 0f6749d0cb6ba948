public import Foundation
#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// A file operation that failed: what, on which path, and why (`strerror`).
public struct FileError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }

    /// The error for a failed system call on `path`, from `errno`.
    public static func system(_ what: String, _ path: String, _ code: Int32 = errno) -> FileError {
        FileError("cannot \(what) \(path): \(String(cString: strerror(code)))")
    }
}

/// The few system calls durable writes are made of (the nightly plan's commit protocol, the tokens file,
/// generated samples), each turning a failure into a `FileError`.
/// Durability is explicit: a file's data is synced before it is renamed into place, and a directory is synced
/// after entries in it were added, renamed or removed (rename(2) is atomic, but not durable until then).
public enum DurableFiles {
    /// Whether anything (a file, a directory, a dangling link) is at `path`.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Writes `bytes` to a new file at `path` (replacing one there) and syncs its data to disk.
    public static func writeSynced(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(FileError) {
        try writeFile(path, bytes, flags: O_TRUNC, mode: mode, sync: true)
    }

    /// Writes `bytes` to a file created at `path` (failing if anything is there, so no link is followed), not
    /// synced: for the many files of a folder that is staged and then swapped in whole.
    public static func writeNew(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(FileError) {
        try writeFile(path, bytes, flags: O_EXCL, mode: mode, sync: false)
    }

    private static func writeFile(_ path: String, _ bytes: [UInt8], flags: Int32, mode: mode_t, sync: Bool) throws(FileError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, mode)
        guard fd >= 0 else { throw .system("create", path) }
        if let code = writeAll(fd, bytes) {
            close(fd)
            throw .system("write", path, code)
        }
        if sync && fsync(fd) != 0 {
            let code = errno
            close(fd)
            throw .system("sync", path, code)
        }
        if close(fd) != 0 { throw .system("close", path) }
    }

    /// Writes all of `bytes` to `fd`, again after an interruption; the errno of a failure, nil when done.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                return errno
            }
            written += count
        }
        return nil
    }

    /// Syncs a directory, making the entries added, renamed or removed in it durable.
    public static func syncDirectory(_ path: String) throws(FileError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .system("open the folder", path) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw .system("sync the folder", path) }
    }

    /// Creates `path` and any missing parents; returns the folders created, outermost first.
    public static func makeDirectories(_ path: String) throws(FileError) -> [String] {
        if path.isEmpty || path == "/" { return [] }
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw FileError("cannot use \(path) as a folder: it is a file") }
            return []
        }
        let created = try makeDirectories(parent(path))
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw .system("create the folder", path) }
        return created + [path]
    }

    /// Renames `from` over `to`, atomically replacing it.
    public static func move(_ from: String, _ to: String) throws(FileError) {
        if rename(from, to) != 0 { throw .system("rename \(from) to", to) }
    }

    /// Adds a second name for an existing file (a backup that costs no copy and cannot be half-written).
    public static func hardLink(_ existing: String, _ new: String) throws(FileError) {
        if link(existing, new) != 0 { throw .system("link \(existing) as", new) }
    }

    /// Removes a name; one that is not there is fine.
    public static func remove(_ path: String) throws(FileError) {
        if unlink(path) != 0 && errno != ENOENT { throw .system("remove", path) }
    }

    /// The folder holding `path`.
    public static func parent(_ path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// `path` made absolute against the working directory, so a journal names the same files from anywhere.
    public static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}


extension DurableFiles {
    /// Replaces the file at `path` with `bytes` all at once: written to a temporary file beside it, synced,
    /// renamed over it, and the folder synced, so a reader (or a crash at any moment) sees the old file or the
    /// new one, never half of one. `mode` defaults to the replaced file's, else 0644. With `synced: false` the
    /// data and the folder are not synced (generated files that can be made again): still never half a file to
    /// a reader, but a power loss may leave the old one.
    public static func replace(_ path: String, with bytes: [UInt8], mode: mode_t? = nil, synced: Bool = true) throws(FileError) {
        let folder = parent(path)
        var status = stat()
        let permissions = mode ?? (stat(path, &status) == 0 ? status.st_mode & 0o7777 : 0o644)
        var template = Array((folder + "/." + ((path as NSString).lastPathComponent) + ".new-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .system("create a temporary file beside", path) }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        if let code = writeAll(fd, bytes) {
            close(fd)
            throw .system("write beside", path, code)
        }
        if fchmod(fd, permissions) != 0 || (synced && fsync(fd) != 0) {
            let code = errno
            close(fd)
            throw .system("write beside", path, code)
        }
        if close(fd) != 0 { throw .system("close the temporary file beside", path) }
        try move(temporary, path)
        renamed = true
        if synced { try syncDirectory(folder) }
    }
}

/// An exclusive lock on a folder (`flock` on the folder itself, so no lock file is left in a git-managed
/// folder, and a file in it can be replaced by rename while the lock is held): one process at a time writes a
/// plan there, recovers an interrupted one, reads the files to deploy them, or adds to the tokens file. The kernel releases it when the process ends, however it ends.
public final class FolderLock {
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }
    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Locks `directory`, creating it first when `create` (else nil when it does not exist). When another
    /// process holds the lock, `waiting` is called once and the call blocks until it is released.
    public static func acquire(_ directory: String, create: Bool, waiting: () -> Void = {}) throws(FileError) -> FolderLock? {
        if create {
            _ = try DurableFiles.makeDirectories(directory)
        } else if !DurableFiles.exists(directory) {
            return nil
        }
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .system("open the folder", directory) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK else {
                let code = errno
                close(fd)
                throw .system("lock the folder", directory, code)
            }
            waiting()
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    let code = errno
                    close(fd)
                    throw .system("lock the folder", directory, code)
                }
            }
        }
        return FolderLock(fd: fd)
    }

    /// Locks `directory` if no other process holds it; nil when one does or the folder does not exist.
    public static func tryAcquire(_ directory: String) -> FolderLock? {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return FolderLock(fd: fd)
    }
}
