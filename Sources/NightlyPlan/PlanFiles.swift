import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file operation of the plan's output that failed: what, on which path, and why (`strerror`).
public struct PlanFileError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }

    /// The error for a failed system call on `path`, from `errno`.
    static func system(_ what: String, _ path: String, _ code: Int32 = errno) -> PlanFileError {
        PlanFileError("cannot \(what) \(path): \(String(cString: strerror(code)))")
    }
}

/// The few system calls the commit protocol is made of, each turning a failure into a `PlanFileError`.
/// Durability is explicit: a file's data is synced before it is renamed into place, and a directory is synced
/// after entries in it were added, renamed or removed (rename(2) is atomic, but not durable until then).
enum DurableFiles {
    /// Whether anything (a file, a directory, a dangling link) is at `path`.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Writes `bytes` to a new file at `path` (replacing one there) and syncs its data to disk.
    static func writeSynced(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(PlanFileError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .system("create", path) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                throw .system("write", path, code)
            }
            written += count
        }
        if fsync(fd) != 0 {
            let code = errno
            close(fd)
            throw .system("sync", path, code)
        }
        if close(fd) != 0 { throw .system("close", path) }
    }

    /// Syncs a directory, making the entries added, renamed or removed in it durable.
    static func syncDirectory(_ path: String) throws(PlanFileError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .system("open the folder", path) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw .system("sync the folder", path) }
    }

    /// Creates `path` and any missing parents; returns the folders created, outermost first.
    static func makeDirectories(_ path: String) throws(PlanFileError) -> [String] {
        if path.isEmpty || path == "/" { return [] }
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw PlanFileError("cannot use \(path) as a folder: it is a file") }
            return []
        }
        let created = try makeDirectories(parent(path))
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw .system("create the folder", path) }
        return created + [path]
    }

    /// Renames `from` over `to`, atomically replacing it.
    static func move(_ from: String, _ to: String) throws(PlanFileError) {
        if rename(from, to) != 0 { throw .system("rename \(from) to", to) }
    }

    /// Adds a second name for an existing file (a backup that costs no copy and cannot be half-written).
    static func hardLink(_ existing: String, _ new: String) throws(PlanFileError) {
        if link(existing, new) != 0 { throw .system("link \(existing) as", new) }
    }

    /// Removes a name; one that is not there is fine.
    static func remove(_ path: String) throws(PlanFileError) {
        if unlink(path) != 0 && errno != ENOENT { throw .system("remove", path) }
    }

    /// The folder holding `path`.
    static func parent(_ path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// `path` made absolute against the working directory, so a journal names the same files from anywhere.
    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}

/// A test hook: `BURSAR_FAILPOINT=<name>[,<name>…]` makes the process kill itself with SIGKILL when it reaches
/// the named point, as a crash or `kill -9` would, so tests can check what the next run recovers. Points:
/// `allocate-after-renames` (the new files are in place, the store not yet written) and
/// `allocate-before-commit` (inside the store transaction, before COMMIT).
public enum Failpoint {
    public static func reach(_ name: String) {
        guard let value = ProcessInfo.processInfo.environment["BURSAR_FAILPOINT"],
              value.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == name }) else { return }
        kill(getpid(), SIGKILL)
    }
}

/// An exclusive lock on the output folder (`flock` on the folder itself, so no lock file is left in a
/// git-managed folder): one process at a time writes a plan there, recovers an interrupted one, or reads the
/// files to deploy them. The kernel releases it when the process ends, however it ends.
public final class PlanLock {
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }
    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Locks `directory`, creating it first when `create` (else nil when it does not exist). When another
    /// process holds the lock, `waiting` is called once and the call blocks until it is released.
    public static func acquire(_ directory: String, create: Bool, waiting: () -> Void = {}) throws(PlanFileError) -> PlanLock? {
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
        return PlanLock(fd: fd)
    }

    /// Locks `directory` if no other process holds it; nil when one does or the folder does not exist.
    public static func tryAcquire(_ directory: String) -> PlanLock? {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return PlanLock(fd: fd)
    }
}
