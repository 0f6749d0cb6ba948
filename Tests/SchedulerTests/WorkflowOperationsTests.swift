import Foundation
import Testing
import TestSupport
import InsightStore
import Workflows
import Scheduler

/// The operations the CLI and the router share: the version in force, backfill ranges and ticks, run listings,
/// an audited change committed with its entry or not at all.
@Suite("Workflow operations")
struct WorkflowOperationsTests {
    struct RangeCase: Sendable, CustomTestStringConvertible {
        var from: String
        var to: String
        var force = false
        /// The days, or the refusal's kind and field.
        var days: Int?
        var kind: WorkflowOperationError.Kind?
        var field: String?
        var testDescription: String { "\(from)..\(to)\(force ? " forced" : "")" }
    }

    static let ranges: [RangeCase] = [
        RangeCase(from: "2026-11-01", to: "2026-11-01", days: 1),
        RangeCase(from: "2026-11-01", to: "2026-12-01", days: 31),
        RangeCase(from: "2026-11-01", to: "2026-12-02", kind: .rangeTooLong, field: "to"),
        RangeCase(from: "2026-11-01", to: "2026-12-02", force: true, days: 32),
        RangeCase(from: "2024-02-28", to: "2024-03-01", days: 3),
        RangeCase(from: "2026-11-02", to: "2026-11-01", kind: .invalidInput, field: "to"),
        RangeCase(from: "2026-02-30", to: "2026-03-01", kind: .invalidInput, field: "from"),
        RangeCase(from: "2026-11-01T00:00:00Z", to: "2026-11-02", kind: .invalidInput, field: "from"),
        RangeCase(from: "20261101", to: "2026-11-02", kind: .invalidInput, field: "from"),
        RangeCase(from: "2026-11-01", to: "", kind: .invalidInput, field: "to"),
    ]

    @Test(arguments: ranges)
    func backfillRangesAreWholeDaysAndBounded(_ test: RangeCase) {
        do {
            let range = try WorkflowOperations.backfillRange(from: test.from, to: test.to, force: test.force)
            #expect(range.days == test.days)
            #expect(range.end - range.start == Int64(range.days) * 86_400_000)
            #expect(test.kind == nil)
        } catch {
            #expect(error.kind == test.kind && error.field == test.field, "\(error)")
        }
    }

    static func workflow(schedule: String) throws -> Workflow {
        try #require(WorkflowReader.read("""
            workflow: w
            project: p
            tier: 2
            schedule: "\(schedule)"
            timezone: America/Los_Angeles
            slo_minutes: 60
            start_date: 2026-01-01
            jobs:
              - {name: a, bursar: ingest}

            """, file: "w.yaml").workflow)
    }

    @Test func backfillTicksFollowTheScheduleInItsZoneAndAreBounded() throws {
        // Daily at 23:30 Los Angeles is 07:30 UTC the next day: a UTC day range of 3 days holds 3 ticks, the
        // first one being the evening before the first day in Los Angeles.
        let daily = try Self.workflow(schedule: "30 23 * * *")
        let range = try WorkflowOperations.backfillRange(from: "2026-11-10", to: "2026-11-12", force: false)
        let ticks = try WorkflowOperations.backfillTicks(daily, range)
        #expect(ticks.count == 3)
        #expect(ticks.allSatisfy { $0 >= range.start && $0 < range.end })
        #expect(ticks.first == range.start + (7 * 60 + 30) * 60_000)

        // Every minute for 7 days: 10,080 ticks, over the limit even forced.
        let minutely = try Self.workflow(schedule: "* * * * *")
        let week = try WorkflowOperations.backfillRange(from: "2026-11-01", to: "2026-11-07", force: true)
        #expect(throws: WorkflowOperationError.self) { try WorkflowOperations.backfillTicks(minutely, week) }
    }

    @Test(arguments: Backend.available)
    func listingsTriggerAndAuditedChangesOnTheStore(backend: Backend) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-ops-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try backend.freshStore(in: folder)
        let definitions = StoredDefinitions()
        #expect(throws: WorkflowOperationError.self) { try WorkflowOperations.inForce("w", store: store, definitions: definitions) }

        try store.recordWorkflowVersion(workflow: "w", digest: "d1", file: "w.yaml", definition: definition("w", slo: 30), at: 1)
        try store.recordWorkflowVersion(workflow: "w", digest: "d2", file: "w.yaml", definition: definition("w", slo: 90), at: 2)
        try store.recordWorkflowVersion(workflow: "broken", digest: "d3", file: "b.yaml", definition: "workflow: broken\n", at: 3)
        let version = try WorkflowOperations.inForce("w", store: store, definitions: definitions)
        #expect(version.stored.digest == "d2" && version.workflow.sloMinutes == 90)

        let now = utc("2026-11-20T12:00")
        let manual = try WorkflowOperations.trigger(version, store: store, now: now)
        #expect(manual.digest == "d2" && manual.kind == "manual" && manual.deadline == now + 90 * 60_000)
        #expect(throws: WorkflowOperationError.self) { try WorkflowOperations.trigger(version, store: store, now: now) }
        let range = try WorkflowOperations.backfillRange(from: "2026-11-01", to: "2026-11-03", force: false)
        let backfill = try WorkflowOperations.backfill(version, range, store: store, now: now)
        #expect(backfill.ticks == 3 && backfill.created.count == 3)
        #expect(try backfill.created.allSatisfy { try store.run($0)?.digest == "d2" && store.run($0)?.kind == "backfill" })
        #expect(try WorkflowOperations.backfill(version, range, store: store, now: now).created.isEmpty)

        // Newest tick first, filtered, bounded.
        let all = try WorkflowOperations.runs(store: store, workflow: nil, state: nil, limit: 10)
        #expect(all.map(\.kind) == ["manual", "backfill", "backfill", "backfill"])
        #expect(all.map(\.scheduledAt) == all.map(\.scheduledAt).sorted(by: >))
        #expect(try WorkflowOperations.runs(store: store, workflow: "w", state: "queued", limit: 2).count == 2)
        #expect(try WorkflowOperations.runs(store: store, workflow: "other", state: nil, limit: 10).isEmpty)
        #expect(throws: WorkflowOperationError.self) { try WorkflowOperations.runs(store: store, workflow: nil, state: "done", limit: 10) }
        #expect(throws: WorkflowOperationError.self) { try WorkflowOperations.runs(store: store, workflow: nil, state: nil, limit: 0) }

        // The listing: a version that no longer reads says so instead of hiding the others.
        let listed = try WorkflowOperations.list(store: store, definitions: definitions)
        #expect(listed.map(\.stored.workflow) == ["broken", "w"])
        #expect(listed[0].project == nil && listed[0].problem != nil)
        #expect(listed[1].project == "p1" && listed[1].stored.latestRun?.runID == manual.runID)

        // A change and its audit entry commit together, or neither does.
        _ = try store.audited({ try store.setPaused("w", true) }, entry: {
            AuditEntry(at: now, principal: "alice", action: "workflow.pause", target: "workflow/w", before: nil, after: nil, detail: "\($0)")
        })
        #expect(try store.audit(limit: 10).map(\.action) == ["workflow.pause"])
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try store.audited({ () throws -> Bool in
                _ = try store.setPaused("w", false)
                throw Refused()
            }, entry: { _ in AuditEntry(at: now, principal: "alice", action: "workflow.unpause", target: "workflow/w", before: nil, after: nil, detail: nil) })
        }
        #expect(try store.workflowVersions()["w"]?.paused == true)
        #expect(try store.audit(limit: 10).count == 1)
        // A run that has not failed is not cleared; an unknown one is unknown.
        #expect(throws: WorkflowOperationError(.runNotFailed, "run \(manual.runID) is queued, not failed; only a failed run can be cleared")) {
            try WorkflowOperations.clear(manual.runID, store: store, now: now)
        }
        do {
            try WorkflowOperations.markSucceeded("r-none", job: "extract", store: store, now: now)
            Issue.record("an unknown run was marked")
        } catch let error as WorkflowOperationError {
            #expect(error.kind == .unknownRun)
        }
    }
}
