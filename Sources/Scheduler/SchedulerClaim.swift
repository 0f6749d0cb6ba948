import Foundation
public import InsightStore
import SafeFiles

/// Who may run a scheduler on a store. On SQLite one scheduler per file: its passes are the only writer, so a
/// second `bursar scheduler run` is refused. On PostgreSQL any number of replicas share the store under
/// workflow leases (`ReplicaLeases`), each under its own replica name; a second process with a name already
/// running is refused, since two processes under one name would both think they hold its leases.
public struct SchedulerClaim {
    /// Held for the life of the process: a lock beside a SQLite file (PostgreSQL's session advisory lock lives
    /// with the store's connection).
    private let folderLock: FolderLock?

    /// Why a scheduler may not start.
    public struct Refused: Error, CustomStringConvertible {
        public var description: String
    }

    /// Claims the store (SQLite) or the replica name (PostgreSQL) for this process, or throws `Refused`.
    public static func acquire(_ store: InsightStore, replica: String) throws -> SchedulerClaim {
        switch store.location {
        case .sqlite(let path):
            let folder = path + ".scheduler"
            do { _ = try DurableFiles.makeDirectories(folder) } catch {
                throw Refused(description: "cannot create \(folder) to lock the store: \(error)")
            }
            guard let lock = FolderLock.tryAcquire(folder) else {
                throw Refused(description: "another bursar scheduler runs on \(path) (it holds \(folder)); a SQLite store has one scheduler: stop it first, or share a PostgreSQL store between replicas")
            }
            return SchedulerClaim(folderLock: lock)
        case .postgres:
            try reclaim(store, replica: replica)
            return SchedulerClaim(folderLock: nil)
        }
    }

    /// Takes the replica name's lock again on a new connection (after the store came back), or throws `Refused`.
    public static func reclaim(_ store: InsightStore, replica: String) throws {
        guard case .postgres = store.location else { return }
        guard try store.claimSchedulerLock(replica: replica) else {
            throw Refused(description: "a bursar scheduler replica named \(replica) already runs on this PostgreSQL database (it holds the name's advisory lock); give each replica its own --replica name")
        }
    }
}
