import SafeFiles
import Foundation
import Diagnostics

/// One file of a plan's output: where it goes and what it holds.
public struct PlanOutputFile: Sendable, Equatable {
    public var path: String
    public var text: String

    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }
}

/// The intent journal of a plan being written, `<out>/.bursar-plan-journal`: the plan's id and, per target,
/// its temporary file and its backup (a hard link of the file it replaces; nil: there was none). It is
/// written (temporary file, sync, rename, folder sync) before any target is replaced and removed only once the
/// plan is committed or undone, so after a crash it says exactly what to undo or to finish.
struct PlanJournal: Codable, Equatable {
    struct Entry: Codable, Equatable {
        var path: String
        var temporary: String
        var backup: String?
    }

    var version = 1
    var planID: String
    var night: String
    var files: [Entry]

    enum CodingKeys: String, CodingKey {
        case version, night, files
        case planID = "plan_id"
    }

    static let fileName = ".bursar-plan-journal"

    static func path(in directory: String) -> String { "\(DurableFiles.absolute(directory))/\(fileName)" }

    /// Every folder the journal's files are in, and the journal's own.
    func directories(journal: String) -> [String] {
        Array(Set(files.map { DurableFiles.parent($0.path) } + [DurableFiles.parent(journal)])).sorted()
    }

    func write(to path: String) throws(FileError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(self) } catch { throw FileError("cannot encode the journal: \(error)") }
        let temporary = path + ".tmp"
        try DurableFiles.writeSynced(temporary, Array(data) + [0x0A])
        try DurableFiles.move(temporary, path)
        try DurableFiles.syncDirectory(DurableFiles.parent(path))
    }

    static func read(_ path: String) throws(FileError) -> PlanJournal {
        guard let data = FileManager.default.contents(atPath: path) else { throw .system("read", path) }
        do {
            return try JSONDecoder().decode(PlanJournal.self, from: data)
        } catch {
            throw FileError("\(path) is not a plan journal bursar can read (\(error)); the files it names may be half "
                + "replaced: compare them with the backups beside them (.<name>.bursar-old), then remove the journal")
        }
    }

    /// Undoes the plan: every backup renamed back over its target, targets that did not exist removed, the
    /// temporaries removed, then the journal. Safe to repeat after a crash part-way.
    func rollBack(journal: String) throws(FileError) -> [String] {
        var restored: [String] = []
        for entry in files {
            if let backup = entry.backup {
                if DurableFiles.exists(backup) {
                    try DurableFiles.move(backup, entry.path)
                    // When the target was never replaced, backup and target are the same file and rename(2)
                    // leaves both names: remove the extra one.
                    try DurableFiles.remove(backup)
                    restored.append(entry.path)
                }
            } else if DurableFiles.exists(entry.path) {
                try DurableFiles.remove(entry.path)
                restored.append(entry.path)
            }
            try DurableFiles.remove(entry.temporary)
        }
        for directory in directories(journal: journal) { try DurableFiles.syncDirectory(directory) }
        try DurableFiles.remove(journal)
        try DurableFiles.syncDirectory(DurableFiles.parent(journal))
        return restored
    }

    /// Finishes a committed plan: the backups and any temporary left removed, then the journal.
    func rollForward(journal: String) throws(FileError) {
        for entry in files {
            if let backup = entry.backup { try DurableFiles.remove(backup) }
            try DurableFiles.remove(entry.temporary)
        }
        for directory in directories(journal: journal) { try DurableFiles.syncDirectory(directory) }
        try DurableFiles.remove(journal)
        try DurableFiles.syncDirectory(DurableFiles.parent(journal))
    }
}

/// Writes a plan's files and commits its store transaction all or nothing, with the transaction as the commit
/// point:
/// 1. every new file goes to a temporary sibling (`.<name>.bursar-new`), synced;
/// 2. every file it replaces gets a backup, a hard link `.<name>.bursar-old`; the folders are synced and the
///    journal is written (see `PlanJournal`);
/// 3. the temporaries are renamed over their targets, the folders synced;
/// 4. `commit` runs the store transaction (routing table and archive, with the plan id); its COMMIT is the
///    point after which the plan stands;
/// 5. the backups and the journal are removed.
/// A failure before the COMMIT returns restores the backups (and removes the files that did not exist), so
/// nothing changed; a crash leaves the journal, and `PlanRecovery.recover` decides by the plan id in the store.
public enum PlanWriter {
    /// Runs the protocol. `isCommitted` is asked when `commit` throws, since a COMMIT whose answer was lost
    /// may have happened; when it cannot tell either, the journal is left for the next run's recovery.
    ///
    /// - Returns: warnings (clean-up after the commit that failed; the next run finishes it).
    public static func write(_ files: [PlanOutputFile], journalDirectory: String, planID: String, night: String,
                             commit: () throws -> Void, isCommitted: (String) throws -> Bool) throws -> [String] {
        let journal = PlanJournal.path(in: journalDirectory)
        guard !DurableFiles.exists(journal) else {
            throw FileError("\(journal) exists: an earlier plan was interrupted; run bursar allocate again, which recovers it first")
        }
        var entries: [PlanJournal.Entry] = []
        var seen: Set<String> = []
        for file in files {
            let path = DurableFiles.absolute(file.path)
            guard seen.insert(path).inserted else { throw FileError("\(path) is named twice in one plan") }
            let folder = DurableFiles.parent(path), name = (path as NSString).lastPathComponent
            entries.append(PlanJournal.Entry(path: path, temporary: "\(folder)/.\(name).bursar-new", backup: nil))
        }
        let backupNames = entries.map { "\(DurableFiles.parent($0.path))/.\(($0.path as NSString).lastPathComponent).bursar-old" }
        var record = PlanJournal(planID: planID, night: night, files: entries)
        let directories = record.directories(journal: journal)

        // 1 and 2: nothing is replaced yet; on a failure, remove what was made.
        do {
            var createdParents: Set<String> = []
            for directory in directories {
                let created = try DurableFiles.makeDirectories(directory)
                if let first = created.first { createdParents.insert(DurableFiles.parent(first)) }
                createdParents.formUnion(created)
            }
            for (i, file) in files.enumerated() {
                // Left by a run that died before writing its journal: never part of a plan.
                try DurableFiles.remove(entries[i].temporary)
                try DurableFiles.remove(backupNames[i])
                try DurableFiles.writeSynced(entries[i].temporary, Array(file.text.utf8))
            }
            for i in entries.indices where DurableFiles.exists(entries[i].path) {
                try DurableFiles.hardLink(entries[i].path, backupNames[i])
                record.files[i].backup = backupNames[i]
            }
            for directory in Set(directories).union(createdParents).sorted() { try DurableFiles.syncDirectory(directory) }
            try record.write(to: journal)
        } catch {
            for (i, entry) in entries.enumerated() {
                try? DurableFiles.remove(entry.temporary)
                if record.files[i].backup != nil { try? DurableFiles.remove(backupNames[i]) }
            }
            try? DurableFiles.remove(journal + ".tmp")
            throw error
        }

        // 3: the new files take their places.
        do {
            for entry in entries { try DurableFiles.move(entry.temporary, entry.path) }
            for directory in directories { try DurableFiles.syncDirectory(directory) }
        } catch {
            try undo(record, journal: journal, after: error)
        }
        Failpoint.reach("allocate-after-renames")

        // 4: the commit point.
        do {
            try commit()
        } catch {
            let committed: Bool
            do {
                committed = try isCommitted(planID)
            } catch let lookup {
                throw FileError("\(error); and whether plan \(planID) was committed cannot be told (\(lookup)): the "
                    + "journal \(journal) is kept, and the next bursar allocate finishes or undoes the plan")
            }
            if !committed { try undo(record, journal: journal, after: error) }
        }

        // 5: the plan stands; what is left is tidying, which the next run would also do.
        do {
            try record.rollForward(journal: journal)
            return []
        } catch {
            return ["the plan is committed, but its backups could not be removed (\(error)); the next run removes them"]
        }
    }

    /// Restores the previous files after `error`, then throws it (or, if restoring failed too, both).
    private static func undo(_ record: PlanJournal, journal: String, after error: any Error) throws -> Never {
        do {
            _ = try record.rollBack(journal: journal)
        } catch let restore {
            throw FileError("\(error); and restoring the previous files failed (\(restore)): the journal \(journal) "
                + "is kept, and the next bursar allocate restores them")
        }
        throw error
    }
}

/// Finishes or undoes a plan whose run was interrupted (a crash, `kill -9`, a power cut) between writing its
/// journal and removing it.
public enum PlanRecovery {
    /// What was done.
    public enum Outcome: Sendable, Equatable {
        /// The plan was committed: its files stay; the backups and the journal were removed.
        case rolledForward(planID: String, night: String)
        /// The plan never reached the store: the previous files were restored (`restored`: the paths put back or
        /// removed because they did not exist before).
        case rolledBack(planID: String, night: String, restored: [String])

        /// A line for standard error.
        public var description: String {
            switch self {
            case let .rolledForward(id, night):
                "recovered the interrupted plan \(id) for night \(night): it was committed to the store, so its files stay (backups and journal removed)"
            case let .rolledBack(id, night, restored):
                "recovered the interrupted plan \(id) for night \(night): it never reached the store, so the previous files were restored"
                    + (restored.isEmpty ? "" : " (\(restored.count): \(restored.joined(separator: ", ")))")
            }
        }
    }

    /// Whether `directory` holds the journal of an interrupted plan (or one being written now).
    public static func hasJournal(in directory: String) -> Bool {
        DurableFiles.exists(PlanJournal.path(in: directory))
    }

    /// When `directory` holds a journal, asks `isCommitted` about its plan id and rolls forward or back;
    /// nil when there was nothing to recover. Call it holding the folder's `FolderLock`.
    public static func recover(in directory: String, isCommitted: (String) throws -> Bool) throws -> Outcome? {
        let journal = PlanJournal.path(in: directory)
        guard DurableFiles.exists(journal) else { return nil }
        let record = try PlanJournal.read(journal)
        if try isCommitted(record.planID) {
            try record.rollForward(journal: journal)
            return .rolledForward(planID: record.planID, night: record.night)
        }
        let restored = try record.rollBack(journal: journal)
        return .rolledBack(planID: record.planID, night: record.night, restored: restored)
    }
}
