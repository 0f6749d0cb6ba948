import Foundation

/// Copies a SQLite database's write-ahead log back into the database file on a thread of its own.
///
/// Left to SQLite, a checkpoint runs inside the commit that crosses `wal_autocheckpoint`: the writer
/// copies the whole log and syncs the file while everything it would do next waits. A bulk writer that
/// sets `wal_autocheckpoint = 0` and starts one of these instead keeps writing while the log is copied
/// (a PASSIVE checkpoint never blocks the writer or readers; it copies what is committed so far).
public final class WALCheckpointer: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var running = true
    private var stopping = false

    /// Starts checkpointing the database at `path` every `interval` with its own connection. Throws when
    /// that connection cannot be opened (the database must already exist): a caller that turned
    /// `wal_autocheckpoint` off for this checkpointer must turn it back on, or nothing would bound the log.
    public init(path: String, every interval: Double) throws(SQLiteError) {
        // The connection is opened on the thread that uses it; the outcome is handed back here.
        nonisolated(unsafe) var opened: Result<Void, SQLiteError>?
        let thread = Thread { [self] in
            let connection: SQLiteConnection
            do throws(SQLiteError) {
                connection = try SQLiteConnection(path: path, create: false)
                try connection.executeScript("PRAGMA busy_timeout = 10000")
            } catch {
                condition.lock()
                opened = .failure(error)
                running = false
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.lock()
            opened = .success(())
            condition.broadcast()
            while !stopping {
                _ = condition.wait(until: Date().addingTimeInterval(interval))
                condition.unlock()
                // A failure (busy, I/O) only leaves the log longer; the next round or the close copies it.
                try? connection.executeScript("PRAGMA wal_checkpoint(PASSIVE)")
                condition.lock()
            }
            running = false
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "bursar-wal-checkpoint"
        thread.start()
        condition.lock()
        while opened == nil { condition.wait() }
        let outcome = opened!
        condition.unlock()
        try outcome.get()
    }

    /// Stops the thread after the checkpoint in progress (if any) and waits for it.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }
}
