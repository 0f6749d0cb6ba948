import Foundation
public import InsightStore
import SafeFiles

/// One scheduler per store: its passes keep the active runs in memory and assume no other scheduler changes
/// them (several replicas sharing a store under leases is issue #17). A second `bursar scheduler run` on the
/// same store is refused with this error instead of dispatching alongside the first.
public struct SchedulerClaim {
    /// Held for the life of the process: a lock beside a SQLite file, or PostgreSQL's session advisory lock.
    private let folderLock: FolderLock?

    /// Why a scheduler may not start.
    public struct Refused: Error, CustomStringConvertible {
        public var description: String
    }

    /// Claims the store for this process, or throws `Refused` when another scheduler holds it.
    public static func acquire(_ store: InsightStore) throws -> SchedulerClaim {
        switch store.location {
        case .sqlite(let path):
            let folder = path + ".scheduler"
            do { _ = try DurableFiles.makeDirectories(folder) } catch {
                throw Refused(description: "cannot create \(folder) to lock the store: \(error)")
            }
            guard let lock = FolderLock.tryAcquire(folder) else {
                throw Refused(description: "another bursar scheduler runs on \(path) (it holds \(folder)); one scheduler per store: stop it first")
            }
            return SchedulerClaim(folderLock: lock)
        case .postgres:
            guard try store.claimSchedulerLock() else {
                throw Refused(description: "another bursar scheduler runs on this PostgreSQL database (it holds the advisory lock); one scheduler per store: stop it first")
            }
            return SchedulerClaim(folderLock: nil)
        }
    }
}
