import Foundation
import Testing
import Store
@testable import InsightStore

/// Workflow leases (issue #17): replicas share the workflows with no leader, a dead replica's leases are taken
/// over once expired, and a replica that lost a lease can no longer write about that workflow.
@Suite("workflow leases")
struct WorkflowLeaseTests {
    let workflows = (0..<10).map { "wf-\($0)" }
    let lease: Int64 = 3_000

    func replica(_ name: String) -> ReplicaRecord {
        ReplicaRecord(replica: name, role: "scheduler", host: "test", pid: 1, startedAt: 0, leaseMs: lease)
    }

    @Test(arguments: Backend.available)
    func replicasSettleOnDisjointShares(backend: Backend) throws {
        let store = try InsightStore(try backend.freshLocation())
        let other = try InsightStore(store.location)
        // a alone takes everything.
        var a = try store.claimWorkflowLeases(replica("a"), newWorkflows: workflows, previously: [], now: 1_000)
        #expect(a.held == Set(workflows) && a.acquired.count == 10 && a.live == 1)
        // b joins: everything is held, so b gets nothing yet, but a sees two replicas and gives half back.
        var b = try other.claimWorkflowLeases(replica("b"), newWorkflows: workflows, previously: [], now: 1_100)
        #expect(b.held.isEmpty && b.live == 2)
        a = try store.claimWorkflowLeases(replica("a"), newWorkflows: [], previously: a.held, now: 1_200)
        #expect(a.held.count == 5 && a.released.count == 5 && a.acquired.isEmpty)
        b = try other.claimWorkflowLeases(replica("b"), newWorkflows: [], previously: b.held, now: 1_300)
        #expect(b.held.count == 5 && b.takenOver.isEmpty, "free leases are claimed, not taken over")
        #expect(a.held.isDisjoint(with: b.held) && a.held.union(b.held) == Set(workflows))
        // Stable from then on: another round changes nothing.
        let a2 = try store.claimWorkflowLeases(replica("a"), newWorkflows: [], previously: a.held, now: 1_400)
        let b2 = try other.claimWorkflowLeases(replica("b"), newWorkflows: [], previously: b.held, now: 1_500)
        #expect(a2.held == a.held && b2.held == b.held && a2.acquired.isEmpty && b2.acquired.isEmpty)
        let versions = try store.workflowLeases()
        #expect(versions.values.allSatisfy { $0.version >= 1 }, "every update of a lease changes its version")
    }

    @Test(arguments: Backend.available)
    func anExpiredReplicasLeasesAreTakenOverAndItsWritesRefused(backend: Backend) throws {
        let store = try InsightStore(try backend.freshLocation())
        let other = try InsightStore(store.location)
        let a = try store.claimWorkflowLeases(replica("a"), newWorkflows: workflows, previously: [], now: 1_000)
        let run = RunRecord(runID: "r1", workflow: "wf-3", kind: "manual", scheduledAt: 0, deadline: 60_000, digest: "d",
                            state: "queued", createdAt: 1_000)
        _ = try store.createRuns([(run, [JobRecord(runID: "r1", job: "j", position: 0, state: "waiting")])], at: 1_000)
        // While a holds the lease its writes go through.
        var started = run
        started.state = "running"
        try store.applySchedulerChanges(runs: [started], jobs: [], events: [], fence: LeaseFence(replica: "a", workflows: ["wf-3"]))
        #expect(try store.run("r1")?.state == "running")
        // b, before a's leases expire, takes nothing; after, it takes them all over (a is no longer alive).
        let early = try other.claimWorkflowLeases(replica("b"), newWorkflows: [], previously: [], now: 1_000 + lease - 1)
        #expect(early.held.isEmpty && early.live == 2)
        let late = try other.claimWorkflowLeases(replica("b"), newWorkflows: [], previously: [], now: 1_000 + lease + 1)
        #expect(late.held == a.held && late.live == 1)
        #expect(late.takenOver.count == 10 && late.takenOver.allSatisfy { $0.from == "a" })
        #expect(try store.replicas(now: 1_000 + lease + 1).first { $0.replica == "b" }?.takeovers == 10)
        // a comes back from a pause and writes about wf-3: refused, nothing written.
        var ended = started
        ended.state = "succeeded"
        #expect(throws: LeaseLost.self) {
            try store.applySchedulerChanges(runs: [ended], jobs: [], events: [SchedulerEvent(at: 5_000, runID: "r1", kind: "succeeded")],
                                            fence: LeaseFence(replica: "a", workflows: ["wf-3"]))
        }
        #expect(try store.run("r1")?.state == "running")
        #expect(try store.events(ofRun: "r1").allSatisfy { $0.kind != "succeeded" })
        // b's write goes through; and a, claiming again, sees it holds nothing.
        try other.applySchedulerChanges(runs: [ended], jobs: [], events: [], fence: LeaseFence(replica: "b", workflows: ["wf-3"]))
        #expect(try store.run("r1")?.state == "succeeded")
        let back = try store.claimWorkflowLeases(replica("a"), newWorkflows: [], previously: a.held, now: 1_000 + lease + 2)
        #expect(back.held.isEmpty && back.live == 2, "b's leases are fresh: a rejoins with nothing")
        // b gives half back at its next claim, and a takes them: disjoint shares again.
        let bAgain = try other.claimWorkflowLeases(replica("b"), newWorkflows: [], previously: late.held, now: 1_000 + lease + 3)
        #expect(bAgain.held.count == 5 && bAgain.released.count == 5)
        let aAgain = try store.claimWorkflowLeases(replica("a"), newWorkflows: [], previously: back.held, now: 1_000 + lease + 4)
        #expect(aAgain.held.count == 5 && aAgain.held.isDisjoint(with: bAgain.held))
    }

    @Test(arguments: Backend.available)
    func releasingHandsLeasesOverAtOnce(backend: Backend) throws {
        let store = try InsightStore(try backend.freshLocation())
        _ = try store.claimWorkflowLeases(replica("a"), newWorkflows: workflows, previously: [], now: 1_000)
        try store.releaseWorkflowLeases(replica: "a")
        let b = try store.claimWorkflowLeases(replica("b"), newWorkflows: [], previously: [], now: 1_001)
        #expect(b.held == Set(workflows) && b.takenOver.isEmpty && b.live == 1)
    }
}
