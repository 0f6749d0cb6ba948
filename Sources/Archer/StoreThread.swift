import Foundation
import Synchronization
import Store
public import InsightStore

/// The one thread that talks to the store. SQLite and libpq calls block, so they never run on the HTTP
/// server's event loops or Swift's cooperative pool; handlers `await` the store thread instead.
///
/// Submissions are group-committed: every submission waiting when the store thread comes round is written in one
/// transaction, and each caller is answered only after that transaction committed (or failed). Under load
/// this turns thousands of tiny transactions a second into a few dozen larger ones; when idle a submission
/// is written at once.
///
/// A failed store call drops the connection, and the next call opens a new one, so the store thread recovers by
/// itself when a PostgreSQL server comes back.
public final class StoreThread: @unchecked Sendable {
    /// A queued call; it returns false when its body threw (the connection may be broken).
    private typealias Call = (InsightStore?, (any Error)?) -> Bool

    private let location: StoreLocation
    private let maxBatch: Int
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var calls: [Call] = []
    private var submissions: [(SubmissionRecord, CheckedContinuation<Bool, any Error>)] = []
    private var stateChanges: [(SubmissionStateChange, CheckedContinuation<Void, any Error>)] = []
    private var stopping = false
    private var finished = false
    // Touched only on the store thread.
    private var store: InsightStore?
    /// Sizes of the group commits, for the metrics (read under `condition`).
    private var batchObserver: (@Sendable (Int) -> Void)?

    /// Starts the store thread; the store is opened (and migrated) on it, now, so a bad location fails here.
    public convenience init(location: StoreLocation, maxBatch: Int = 1024, batchObserver: (@Sendable (Int) -> Void)? = nil) throws {
        try self.init(location: location, maxBatch: maxBatch, batchObserver: batchObserver,
                      openCheckpointer: { try WALCheckpointer(path: $0, every: 0.5) })
    }

    /// The store thread with the WAL checkpointer made by `openCheckpointer` (given the SQLite path), so tests can
    /// make it fail.
    init(location: StoreLocation, maxBatch: Int, batchObserver: (@Sendable (Int) -> Void)?,
         openCheckpointer: @escaping @Sendable (String) throws -> WALCheckpointer) throws {
        self.location = location
        self.maxBatch = maxBatch
        self.batchObserver = batchObserver
        self.openCheckpointer = openCheckpointer
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "bursar-store"
        thread.start()
        do {
            try runBlocking { _ in }
        } catch {
            // The thread would otherwise wait for calls forever.
            shutdown()
            throw error
        }
    }

    /// Runs `body` with the store on the store thread.
    public func run<T: Sendable>(_ body: @escaping @Sendable (InsightStore) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            enqueue { store, error in
                guard let store else {
                    continuation.resume(throwing: error ?? StoreError("the store is closed"))
                    return false
                }
                let result = Result { try body(store) }
                continuation.resume(with: result)
                if case .failure = result { return false }
                return true
            }
        }
    }

    /// Records one submission; returns once the transaction holding it committed: true when it was written,
    /// false when its app id or (principal, idempotency key) was already recorded (a retry: nothing written).
    @discardableResult
    public func record(_ submission: SubmissionRecord) async throws -> Bool {
        try await withCheckedThrowingContinuation { continuation in
            enqueueGrouped(continuation) { $0.submissions.append((submission, continuation)) }
        }
    }

    /// Records what the cluster answered for a submission; grouped like `record`.
    public func record(_ change: SubmissionStateChange) async throws {
        try await withCheckedThrowingContinuation { continuation in
            enqueueGrouped(continuation) { $0.stateChanges.append((change, continuation)) }
        }
    }

    /// Queues a grouped write (under the lock), or refuses it when the store thread is stopping.
    private func enqueueGrouped<T>(_ continuation: CheckedContinuation<T, any Error>, _ add: (StoreThread) -> Void) {
        condition.lock()
        if stopping {
            condition.unlock()
            continuation.resume(throwing: StoreError("the router is shutting down"))
            return
        }
        add(self)
        condition.signal()
        condition.unlock()
    }

    /// Finishes the work already queued, then stops the thread and closes the store.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.signal()
        while !finished { condition.wait() }
        condition.unlock()
        checkpointer.withLock { $0.take() }?.stop()
    }

    // MARK: WAL checkpoints (SQLite)

    private let checkpointer = Mutex<WALCheckpointer?>(nil)
    private let openCheckpointer: @Sendable (String) throws -> WALCheckpointer

    /// Checkpoints the WAL every half second on a thread of its own (once, however often the store reconnects).
    /// Throws when the checkpointer cannot open its connection; the store's own autocheckpoint must then
    /// stay on.
    private func startCheckpointer(path: String) throws {
        try checkpointer.withLock { running in
            if running == nil {
                do {
                    running = try openCheckpointer(path)
                } catch {
                    throw StoreError("cannot open a second connection to \(path) to checkpoint its write-ahead log: \(error)")
                }
            }
        }
    }

    private func runBlocking(_ body: @escaping (InsightStore) throws -> Void) throws {
        let done = NSCondition()
        nonisolated(unsafe) var outcome: Result<Void, any Error>?
        enqueue { store, error in
            let result: Result<Void, any Error> = if let store { Result { try body(store) } } else {
                .failure(error ?? StoreError("the store is closed"))
            }
            done.lock()
            outcome = result
            done.signal()
            done.unlock()
            if case .failure = result { return false }
            return true
        }
        done.lock()
        while outcome == nil { done.wait() }
        done.unlock()
        try outcome!.get()
    }

    private func enqueue(_ call: @escaping Call) {
        condition.lock()
        if stopping {
            condition.unlock()
            _ = call(nil, StoreError("the router is shutting down"))
            return
        }
        calls.append(call)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while calls.isEmpty && submissions.isEmpty && stateChanges.isEmpty && !stopping { condition.wait() }
            if calls.isEmpty && submissions.isEmpty && stateChanges.isEmpty {
                store = nil
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let batch = Array(submissions.prefix(maxBatch))
            submissions.removeFirst(batch.count)
            let changes = Array(stateChanges.prefix(maxBatch))
            stateChanges.removeFirst(changes.count)
            let work = calls
            calls.removeAll()
            let observer = batchObserver
            condition.unlock()

            if !batch.isEmpty {
                observer?(batch.count)
                var inserted: [Bool] = []
                let result = withStore { inserted = try $0.recordSubmissionsOnce(batch.map(\.0)) }
                for (index, (_, continuation)) in batch.enumerated() {
                    continuation.resume(with: result.map { inserted[index] })
                }
            }
            if !changes.isEmpty {
                let result = withStore { try $0.updateSubmissionStates(changes.map(\.0)) }
                for (_, continuation) in changes { continuation.resume(with: result) }
            }
            for call in work {
                do {
                    // A call that threw may have met a broken connection: open a fresh one next time.
                    if !call(try openStore(), nil) { store = nil }
                } catch {
                    _ = call(nil, error)
                }
            }
        }
    }

    private func withStore(_ body: (InsightStore) throws -> Void) -> Result<Void, any Error> {
        do {
            try body(try openStore())
            return .success(())
        } catch {
            // The connection may be what failed: open a fresh one next time.
            store = nil
            return .failure(error)
        }
    }

    private func openStore() throws -> InsightStore {
        if let store { return store }
        let opened = try InsightStore(location)
        try opened.prepareForServing(startCheckpointer: startCheckpointer(path:))
        store = opened
        return opened
    }
}
