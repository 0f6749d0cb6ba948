import SafeFiles
import Foundation
import InsightStore
@testable import NightlyPlan
import Testing
import TestSupport

/// The commit protocol of a plan's outputs: the files and the store transaction all or nothing, on both store
/// backends; failures before the COMMIT undo the renames; a journal left by a crash is finished or undone by
/// the plan id in the store.
@Suite("Plan outputs all or nothing")
struct PlanWriterTests {
    struct Injected: Error, CustomStringConvertible {
        var description: String { "injected failure" }
    }

    /// A folder with the previous night's outputs committed: `a/queues.yaml` and a report exist, `b/queues.yaml`
    /// does not (a cluster added tonight).
    struct Fixture {
        let folder: URL
        let store: InsightStore
        var out: String { folder.appendingPathComponent("Queues").path }
        var files: [String] { ["\(out)/a/queues.yaml", "\(out)/b/queues.yaml", folder.appendingPathComponent("reports/report.txt").path] }
        let oldRouting = [RoutingEntry(project: "ledger", tier: 1, org: "payments", cluster: "a", queue: "root.payments.ledger.tier1")]
        let newRouting = [RoutingEntry(project: "ledger", tier: 1, org: "payments", cluster: "b", queue: "root.payments.ledger.tier1")]

        init(_ backend: Backend) throws {
            folder = try scratchFolder()
            store = try backend.freshStore(in: folder)
            try write(queuesYAML(vcore: "10"), "\(folder.path)/Queues/a/queues.yaml")
            try FileManager.default.createDirectory(atPath: "\(folder.path)/Queues/b", withIntermediateDirectories: true)
            try write("old report\n", "\(folder.path)/reports/report.txt")
            try store.commitPlan(plan(night: "2025-11-19", id: "old"), routing: oldRouting)
        }

        func plan(night: String, id: String) -> ArchivedPlan {
            ArchivedPlan(night: night, planID: id, plannedAt: 1, windowStart: 0, windowEnd: 1, previousSource: "none",
                         configs: ["a": queuesYAML(vcore: id == "old" ? "10" : "20")])
        }

        var newFiles: [PlanOutputFile] {
            [PlanOutputFile(path: files[0], text: queuesYAML(vcore: "20")), PlanOutputFile(path: files[1], text: queuesYAML(vcore: "5")),
             PlanOutputFile(path: files[2], text: "new report\n")]
        }

        /// The folder holds exactly the previous outputs, and the store the previous plan.
        func expectPrevious(_ comment: Comment? = nil) throws {
            #expect(contents(files[0]) == queuesYAML(vcore: "10"), comment)
            #expect(!FileManager.default.fileExists(atPath: files[1]), comment)
            #expect(contents(files[2]) == "old report\n", comment)
            #expect(tree(folder) == ["Queues", "Queues/a", "Queues/a/queues.yaml", "Queues/b", "reports", "reports/report.txt"], comment)
            #expect(try store.routing() == oldRouting, comment)
            #expect(try store.archivedNights() == ["2025-11-19"], comment)
            #expect(try !store.isPlanCommitted("new"), comment)
        }

        func expectNew() throws {
            for file in newFiles { #expect(contents(file.path) == file.text) }
            #expect(tree(folder) == ["Queues", "Queues/a", "Queues/a/queues.yaml", "Queues/b", "Queues/b/queues.yaml",
                                     "reports", "reports/report.txt"])
            #expect(try store.routing() == newRouting)
            #expect(try store.archivedNights() == ["2025-11-19", "2025-11-20"])
            #expect(try store.isPlanCommitted("new"))
        }
    }

    @Test(arguments: Backend.available)
    func committedPlanReplacesEveryFile(_ backend: Backend) throws {
        let fixture = try Fixture(backend)
        let warnings = try PlanWriter.write(fixture.newFiles, journalDirectory: fixture.out, planID: "new", night: "2025-11-20",
                                            commit: { try fixture.store.commitPlan(fixture.plan(night: "2025-11-20", id: "new"), routing: fixture.newRouting) },
                                            isCommitted: fixture.store.isPlanCommitted)
        #expect(warnings.isEmpty)
        try fixture.expectNew()
    }

    /// A failure after the renames, inside the store transaction before its COMMIT: the previous files come back
    /// byte for byte, the one that did not exist is gone, and the routing table and archive are as they were.
    @Test(arguments: Backend.available)
    func failureInsideTheTransactionRestoresEverything(_ backend: Backend) throws {
        let fixture = try Fixture(backend)
        var renamed = false
        #expect(throws: Injected.self) {
            try PlanWriter.write(fixture.newFiles, journalDirectory: fixture.out, planID: "new", night: "2025-11-20",
                                 commit: {
                                     try fixture.store.commitPlan(fixture.plan(night: "2025-11-20", id: "new"), routing: fixture.newRouting) {
                                         // The renames are done: the new files are in place while the transaction runs.
                                         renamed = contents(fixture.files[0]) == queuesYAML(vcore: "20")
                                             && PlanRecovery.hasJournal(in: fixture.out)
                                         throw Injected()
                                     }
                                 },
                                 isCommitted: fixture.store.isPlanCommitted)
        }
        #expect(renamed)
        try fixture.expectPrevious()
    }

    /// A failure between the renames and the transaction (the store unreachable, say).
    @Test(arguments: Backend.available)
    func failureBeforeTheTransactionRestoresEverything(_ backend: Backend) throws {
        let fixture = try Fixture(backend)
        #expect(throws: Injected.self) {
            try PlanWriter.write(fixture.newFiles, journalDirectory: fixture.out, planID: "new", night: "2025-11-20",
                                 commit: { throw Injected() }, isCommitted: fixture.store.isPlanCommitted)
        }
        try fixture.expectPrevious()
    }

    /// A failure before anything was replaced (a target that is a folder cannot be backed up): nothing changes.
    @Test func failureBeforeTheRenamesChangesNothing() throws {
        let fixture = try Fixture(.sqlite)
        var files = fixture.newFiles
        files.append(PlanOutputFile(path: "\(fixture.out)/a", text: "a folder cannot be replaced by a file"))
        #expect(throws: FileError.self) {
            try PlanWriter.write(files, journalDirectory: fixture.out, planID: "new", night: "2025-11-20",
                                 commit: { Issue.record("committed after a failed write") }, isCommitted: fixture.store.isPlanCommitted)
        }
        try fixture.expectPrevious()
    }

    /// When the commit fails and whether it happened cannot be told (the answer to COMMIT and the store both
    /// lost), the journal stays; recovery then asks the store and undoes a plan that never reached it.
    @Test(arguments: Backend.available)
    func recoveryUndoesAPlanTheStoreNeverSaw(_ backend: Backend) throws {
        let fixture = try Fixture(backend)
        #expect(throws: FileError.self) {
            try PlanWriter.write(fixture.newFiles, journalDirectory: fixture.out, planID: "new", night: "2025-11-20",
                                 commit: { throw Injected() }, isCommitted: { _ in throw Injected() })
        }
        #expect(PlanRecovery.hasJournal(in: fixture.out))
        #expect(contents(fixture.files[0]) == queuesYAML(vcore: "20"))
        let outcome = try PlanRecovery.recover(in: fixture.out, isCommitted: fixture.store.isPlanCommitted)
        #expect(outcome == .rolledBack(planID: "new", night: "2025-11-20",
                                       restored: fixture.files.map { URL(fileURLWithPath: $0).standardizedFileURL.path }))
        try fixture.expectPrevious()
        #expect(try PlanRecovery.recover(in: fixture.out, isCommitted: fixture.store.isPlanCommitted) == nil)
    }

    /// The same, when the COMMIT did happen: recovery keeps the new files and removes the backups and journal.
    @Test(arguments: Backend.available)
    func recoveryFinishesAPlanTheStoreCommitted(_ backend: Backend) throws {
        let fixture = try Fixture(backend)
        #expect(throws: FileError.self) {
            try PlanWriter.write(fixture.newFiles, journalDirectory: fixture.out, planID: "new", night: "2025-11-20",
                                 commit: {
                                     try fixture.store.commitPlan(fixture.plan(night: "2025-11-20", id: "new"), routing: fixture.newRouting)
                                     throw Injected()
                                 },
                                 isCommitted: { _ in throw Injected() })
        }
        #expect(PlanRecovery.hasJournal(in: fixture.out))
        let outcome = try PlanRecovery.recover(in: fixture.out, isCommitted: fixture.store.isPlanCommitted)
        #expect(outcome == .rolledForward(planID: "new", night: "2025-11-20"))
        try fixture.expectNew()
    }

    /// A crash after the journal but before every rename: some targets are still the old files, so backup and
    /// target are one file under two names (rename(2) then does nothing); recovery still leaves one name each.
    @Test func recoveryAfterACrashBetweenRenames() throws {
        let fixture = try Fixture(.sqlite)
        let a = URL(fileURLWithPath: fixture.files[0]).standardizedFileURL.path
        let report = URL(fileURLWithPath: fixture.files[2]).standardizedFileURL.path
        let aBackup = "\(fixture.out)/a/.queues.yaml.bursar-old", reportBackup = (report as NSString).deletingLastPathComponent + "/.report.txt.bursar-old"
        let aNew = "\(fixture.out)/a/.queues.yaml.bursar-new", reportNew = (report as NSString).deletingLastPathComponent + "/.report.txt.bursar-new"
        try FileManager.default.linkItem(atPath: a, toPath: aBackup)
        try FileManager.default.linkItem(atPath: report, toPath: reportBackup)
        try write(queuesYAML(vcore: "20"), aNew)
        try write("new report\n", reportNew)
        // The first target was replaced, the second not yet.
        #expect(rename(aNew, a) == 0)
        let journal = PlanJournal(planID: "new", night: "2025-11-20", files: [
            .init(path: a, temporary: aNew, backup: aBackup),
            .init(path: report, temporary: reportNew, backup: reportBackup),
        ])
        try journal.write(to: PlanJournal.path(in: fixture.out))
        let outcome = try PlanRecovery.recover(in: fixture.out, isCommitted: fixture.store.isPlanCommitted)
        #expect(outcome == .rolledBack(planID: "new", night: "2025-11-20", restored: [a, report]))
        try fixture.expectPrevious()
    }

    /// A journal that is not one is an error naming it, never a guess.
    @Test func unreadableJournalIsAnError() throws {
        let fixture = try Fixture(.sqlite)
        try write("{not json", PlanJournal.path(in: fixture.out))
        #expect {
            _ = try PlanRecovery.recover(in: fixture.out, isCommitted: fixture.store.isPlanCommitted)
        } throws: { error in
            "\(error)".contains(".bursar-plan-journal is not a plan journal")
        }
        // And no new plan is written over it.
        #expect(throws: FileError.self) {
            try PlanWriter.write(fixture.newFiles, journalDirectory: fixture.out, planID: "new", night: "2025-11-20",
                                 commit: {}, isCommitted: { _ in false })
        }
        #expect(contents(fixture.files[0]) == queuesYAML(vcore: "10"))
    }

    /// The folder lock excludes a second holder until the first is released.
    @Test func folderLockIsExclusive() throws {
        let folder = try scratchFolder().appendingPathComponent("Queues").path
        #expect(try FolderLock.acquire(folder, create: false) == nil)
        var first: FolderLock? = try FolderLock.acquire(folder, create: true)
        #expect(first != nil)
        // flock(2) locks are per open file: a second open in this process contends like another process.
        #expect(FolderLock.tryAcquire(folder) == nil)
        first = nil
        #expect(FolderLock.tryAcquire(folder) != nil)
        _ = first
    }
}
