import Foundation
import HTTPFetch
import InsightStore
import Testing
import TestSupport

/// `/v1/workflows` and `/v1/runs` over real HTTP on loopback, on both store backends: reads for any caller, changes
/// for the owner team of the workflow's project (from its stored version) or an admin, each change audited.
/// The store is seeded as the scheduler leaves it: two versions of ledger-features (project ledger, owned by
/// alice's team; the second in force), ranking-train (bob's), and a failed run of ledger-features.
@Suite("Workflow and run endpoints", .serialized)
struct WorkflowEndpointTests {
    /// The router's clock: fixed, so a manual run's tick is known.
    static let now: Int64 = 1_764_000_000_000
    /// The failed run's tick: 2026-11-02T10:45:00Z.
    static let failedTick: Int64 = 1_793_616_300_000

    static func definition(_ name: String, project: String, tier: Int, slo: Int) -> String {
        """
        workflow: \(name)
        project: \(project)
        tier: \(tier)
        schedule: "45 2 * * *"
        timezone: America/Los_Angeles
        slo_minutes: \(slo)
        start_date: 2026-11-01
        jobs:
          - {name: extract, bursar: ingest}
          - {name: publish, depends_on: [extract], bursar: allocate}

        """
    }

    /// The failed run's id.
    static var failedRun: String { "r-ledger-failed" }

    static func seed(_ store: InsightStore) throws {
        try store.recordWorkflowVersion(workflow: "ledger-features", digest: "digest-ledger-v1", file: "Pipelines/ledger-features.yaml",
                                        definition: definition("ledger-features", project: "ledger", tier: 1, slo: 30), at: 1_000)
        try store.recordWorkflowVersion(workflow: "ledger-features", digest: "digest-ledger-v2", file: "Pipelines/ledger-features.yaml",
                                        definition: definition("ledger-features", project: "ledger", tier: 1, slo: 45), at: 2_000)
        try store.recordWorkflowVersion(workflow: "ranking-train", digest: "digest-ranking-v1", file: "Pipelines/ranking-train.yaml",
                                        definition: definition("ranking-train", project: "ranking", tier: 2, slo: 120), at: 1_000)
        // A run of the first version that failed: extract failed, publish was skipped because of it.
        let run = RunRecord(runID: failedRun, workflow: "ledger-features", kind: "scheduled", scheduledAt: failedTick,
                            deadline: failedTick + 1_800_000, digest: "digest-ledger-v1", state: "queued", createdAt: failedTick)
        _ = try store.createRuns([(run, [JobRecord(runID: failedRun, job: "extract", position: 0, state: "waiting"),
                                         JobRecord(runID: failedRun, job: "publish", position: 1, state: "waiting")])], at: failedTick)
        var failed = run
        failed.state = "failed"
        failed.startedAt = failedTick
        failed.endedAt = failedTick + 60_000
        try store.applySchedulerChanges(
            runs: [failed],
            jobs: [JobRecord(runID: failedRun, job: "extract", position: 0, state: "failed", submittedAt: failedTick, endedAt: failedTick + 60_000,
                             appID: "extract-failed-1", cluster: "moka-a", reason: "driver exited 1"),
                   JobRecord(runID: failedRun, job: "publish", position: 1, state: "upstream_failed", endedAt: failedTick + 60_000)],
            events: [SchedulerEvent(at: failedTick + 60_000, runID: failedRun, job: "extract", kind: "failed", detail: "attempt 1"),
                     SchedulerEvent(at: failedTick + 60_000, runID: failedRun, kind: "failed")])
    }

    /// Runs `body` against a router with the seeded store and the fixed clock.
    func withSeededRouter(_ backend: Backend, _ body: (TestRouter) async throws -> Void) async throws {
        try await withRouter(backend, seed: Self.seed, now: { Self.now }, body)
    }

    /// The audit entries, newest first, as `GET /v1/audit` shows them to an admin.
    func audit(_ router: TestRouter) async throws -> [[String: Any]] {
        let answer = try await router.call(.get, "/v1/audit", token: TestRouter.root)
        #expect(answer.status == 200, "\(answer.text)")
        return answer.json["entries"] as? [[String: Any]] ?? []
    }

    /// The outcome an audit entry's detail holds.
    func outcome(_ entry: [String: Any]) -> String? {
        guard let detail = entry["detail"] as? String,
              let object = try? JSONSerialization.jsonObject(with: Data(detail.utf8)) as? [String: Any] else { return nil }
        return object["outcome"] as? String
    }

    func errorCode(_ answer: (status: Int, json: [String: Any], text: String)) -> (code: String?, field: String?) {
        let error = answer.json["error"] as? [String: Any]
        return (error?["code"] as? String, error?["field"] as? String)
    }

    @Test(arguments: Backend.available)
    func readsShowWorkflowsRunsJobsAndEvents(_ backend: Backend) async throws {
        try await withSeededRouter(backend) { router in
            let list = try await router.call(.get, "/v1/workflows", token: TestRouter.bob)
            #expect(list.status == 200, "\(list.text)")
            let workflows = try #require(list.json["workflows"] as? [[String: Any]], "\(list.text)")
            #expect(workflows.map { $0["name"] as? String } == ["ledger-features", "ranking-train"])
            let ledger = workflows[0]
            #expect(ledger["project"] as? String == "ledger" && ledger["tier"] as? Int == 1)
            #expect(ledger["digest"] as? String == "digest-ledger-v2")
            #expect(ledger["paused"] as? Bool == false)
            #expect((ledger["latest_run"] as? [String: Any])?["run_id"] as? String == Self.failedRun)
            #expect(workflows[1]["latest_run"] == nil && workflows[1]["project"] as? String == "ranking")

            let one = try await router.call(.get, "/v1/workflows/ledger-features?limit=5")
            #expect(one.status == 200, "\(one.text)")
            let runs = try #require(one.json["runs"] as? [[String: Any]])
            #expect(runs.count == 1 && runs[0]["state"] as? String == "failed" && runs[0]["digest"] as? String == "digest-ledger-v1")

            let run = try await router.call(.get, "/v1/runs/\(Self.failedRun)")
            #expect(run.status == 200, "\(run.text)")
            #expect((run.json["run"] as? [String: Any])?["state"] as? String == "failed")
            let jobs = try #require(run.json["jobs"] as? [[String: Any]])
            #expect(jobs.map { $0["job"] as? String } == ["extract", "publish"])
            #expect(jobs[0]["state"] as? String == "failed" && jobs[0]["attempt"] as? Int == 1)
            #expect(jobs[0]["app_id"] as? String == "extract-failed-1" && jobs[0]["cluster"] as? String == "moka-a")
            #expect(jobs[0]["reason"] as? String == "driver exited 1" && jobs[0]["ended_at"] as? Int == Int(Self.failedTick + 60_000))
            #expect(jobs[1]["state"] as? String == "upstream_failed" && jobs[1]["app_id"] == nil)
            let events = try #require(run.json["events"] as? [[String: Any]])
            #expect(events.map { $0["kind"] as? String } == ["created", "failed", "failed"])

            let failed = try await router.call(.get, "/v1/runs?state=failed&workflow=ledger-features")
            #expect((failed.json["runs"] as? [[String: Any]])?.count == 1, "\(failed.text)")
            let running = try await router.call(.get, "/v1/runs?state=running")
            #expect((running.json["runs"] as? [[String: Any]])?.isEmpty == true, "\(running.text)")

            #expect(try await router.call(.get, "/v1/workflows/nope").status == 404)
            #expect(try await router.call(.get, "/v1/runs/r-nope").status == 404)
        }
    }

    struct BadQuery: Sendable, CustomTestStringConvertible {
        var path: String
        var field: String
        var testDescription: String { path }
    }

    static let badQueries: [BadQuery] = [
        BadQuery(path: "/v1/runs?limit=0", field: "limit"),
        BadQuery(path: "/v1/runs?limit=1001", field: "limit"),
        BadQuery(path: "/v1/runs?limit=ten", field: "limit"),
        BadQuery(path: "/v1/runs?state=exploded", field: "state"),
        BadQuery(path: "/v1/runs?workflow=Not_A_Name", field: "workflow"),
        BadQuery(path: "/v1/workflows/ledger-features?limit=-1", field: "limit"),
    ]

    @Test(arguments: badQueries)
    func badQueriesNameTheirField(_ query: BadQuery) async throws {
        try await withSeededRouter(.sqlite) { router in
            let answer = try await router.call(.get, query.path)
            #expect(answer.status == 400, "\(answer.text)")
            #expect(errorCode(answer) == ("invalid_query", query.field), "\(answer.text)")
        }
    }

    struct Call: Sendable, CustomTestStringConvertible {
        var method: FetchRequest.Method
        var path: String
        var body = ""
        var testDescription: String { "\(method.rawValue) \(path)" }
    }

    static let everyEndpoint: [Call] = [
        Call(method: .get, path: "/v1/workflows"),
        Call(method: .get, path: "/v1/workflows/ledger-features"),
        Call(method: .post, path: "/v1/workflows/ledger-features/pause"),
        Call(method: .post, path: "/v1/workflows/ledger-features/unpause"),
        Call(method: .post, path: "/v1/workflows/ledger-features/trigger"),
        Call(method: .post, path: "/v1/workflows/ledger-features/backfill", body: #"{"from":"2026-11-01","to":"2026-11-02"}"#),
        Call(method: .get, path: "/v1/runs"),
        Call(method: .get, path: "/v1/runs/r-ledger-failed"),
        Call(method: .post, path: "/v1/runs/r-ledger-failed/clear"),
        Call(method: .post, path: "/v1/runs/r-ledger-failed/jobs/extract/mark-succeeded"),
    ]

    @Test(arguments: everyEndpoint)
    func withoutATokenNothingIsReadOrChanged(_ call: Call) async throws {
        try await withSeededRouter(.sqlite) { router in
            let answer = try await router.call(call.method, call.path, token: nil, body: call.body)
            #expect(answer.status == 401, "\(answer.text)")
            #expect(errorCode(answer).code == "unauthenticated")
            let store = try router.store()
            #expect(try store.workflowVersions()["ledger-features"]?.paused == false)
            #expect(try store.runs(workflow: nil, state: nil, limit: 100).map(\.runID) == [Self.failedRun])
            #expect(try store.run(Self.failedRun)?.state == "failed")
            #expect(try store.audit(limit: 10).isEmpty)
        }
    }

    /// Every change asked by bob, who is not in ledger's owner team: 403 in the router's error shape, nothing
    /// changed, the refusal audited.
    @Test(arguments: everyEndpoint.filter { $0.method == .post })
    func anotherTeamIsForbiddenAndAudited(_ call: Call) async throws {
        try await withSeededRouter(.sqlite) { router in
            let answer = try await router.call(call.method, call.path, token: TestRouter.bob, body: call.body)
            #expect(answer.status == 403, "\(answer.text)")
            let error = try #require(answer.json["error"] as? [String: Any], "\(answer.text)")
            #expect(error["status"] as? Int == 403 && error["code"] as? String == "forbidden")
            #expect((error["message"] as? String)?.contains("payments-core") == true, "\(answer.text)")
            let store = try router.store()
            #expect(try store.workflowVersions()["ledger-features"]?.paused == false)
            #expect(try store.runs(workflow: nil, state: nil, limit: 100).map(\.runID) == [Self.failedRun])
            #expect(try store.run(Self.failedRun)?.state == "failed")
            let entries = try await audit(router)
            #expect(entries.count == 1)
            #expect(entries.first?["principal"] as? String == "bob")
            #expect(entries.first.flatMap(outcome) == "forbidden")
        }
    }

    @Test(arguments: Backend.available)
    func pauseAndUnpauseByTheOwnerTeamAreAudited(_ backend: Backend) async throws {
        try await withSeededRouter(backend) { router in
            let paused = try await router.call(.post, "/v1/workflows/ledger-features/pause")
            #expect(paused.status == 200, "\(paused.text)")
            #expect(paused.json["paused"] as? Bool == true && paused.json["changed"] as? Bool == true)
            #expect(try router.store().workflowVersions()["ledger-features"]?.paused == true)
            let again = try await router.call(.post, "/v1/workflows/ledger-features/pause")
            #expect(again.json["changed"] as? Bool == false, "\(again.text)")
            let listed = try await router.call(.get, "/v1/workflows/ledger-features")
            #expect(listed.json["paused"] as? Bool == true)
            // An admin may operate any workflow.
            let unpaused = try await router.call(.post, "/v1/workflows/ledger-features/unpause", token: TestRouter.root)
            #expect(unpaused.status == 200 && unpaused.json["paused"] as? Bool == false, "\(unpaused.text)")
            #expect(try router.store().workflowVersions()["ledger-features"]?.paused == false)
            #expect(try await router.call(.post, "/v1/workflows/nope/pause").status == 404)

            let entries = try await audit(router).reversed().map { $0 }
            #expect(entries.map { $0["action"] as? String } == ["workflow.pause", "workflow.pause", "workflow.unpause"])
            #expect(entries.map { $0["principal"] as? String } == ["alice", "alice", "root"])
            #expect(entries.map { outcome($0) } == ["done", "unchanged", "done"])
            #expect(entries.allSatisfy { $0["target"] as? String == "workflow/ledger-features" && $0["at"] as? Int == Int(Self.now) })
            #expect(entries[0]["before"] as? String == #"{"paused":false}"# && entries[0]["after"] as? String == #"{"paused":true}"#)
            let metrics = try await router.call(.get, "/metrics", token: nil)
            for line in [#"bursar_workflows_operations_total{action="workflow.pause",outcome="done"} 1"#,
                         #"bursar_workflows_operations_total{action="workflow.pause",outcome="unchanged"} 1"#,
                         #"bursar_workflows_operations_total{action="workflow.unpause",outcome="done"} 1"#] {
                #expect(metrics.text.contains(line), "\(line) in \(metrics.text)")
            }
        }
    }

    @Test(arguments: Backend.available)
    func triggerCreatesExactlyOneRunOfTheVersionInForce(_ backend: Backend) async throws {
        try await withSeededRouter(backend) { router in
            let answer = try await router.call(.post, "/v1/workflows/ledger-features/trigger")
            #expect(answer.status == 201, "\(answer.text)")
            let run = try #require(answer.json["run"] as? [String: Any])
            let runID = try #require(run["run_id"] as? String)
            #expect(run["kind"] as? String == "manual" && run["state"] as? String == "queued")
            #expect(run["digest"] as? String == "digest-ledger-v2")
            #expect(run["scheduled_at"] as? Int == Int(Self.now))
            // The deadline follows the version in force (45 minutes), not the first one (30).
            #expect(run["deadline"] as? Int == Int(Self.now + 45 * 60_000))

            let store = try router.store()
            let manual = try store.runs(workflow: "ledger-features", state: nil, limit: 100).filter { $0.kind == "manual" }
            #expect(manual.map(\.runID) == [runID])
            #expect(try store.jobs(ofRun: runID).map(\.job) == ["extract", "publish"])
            #expect(try store.jobs(ofRun: runID).allSatisfy { $0.state == "waiting" && $0.attempt == 1 })

            // The same instant again (the clock is fixed): refused, still one run.
            let twice = try await router.call(.post, "/v1/workflows/ledger-features/trigger")
            #expect(twice.status == 409 && errorCode(twice).code == "run_exists", "\(twice.text)")
            #expect(try store.runs(workflow: "ledger-features", state: nil, limit: 100).filter { $0.kind == "manual" }.count == 1)
            #expect(try await router.call(.post, "/v1/workflows/nope/trigger").status == 404)

            let entries = try await audit(router)
            #expect(entries.map { $0["action"] as? String } == ["workflow.trigger", "workflow.trigger"])
            #expect(entries.map { outcome($0) } == ["refused", "done"])
            #expect((entries[1]["after"] as? String)?.contains(runID) == true)
        }
    }

    @Test(arguments: Backend.available)
    func backfillIsBoundedAndForceIsForAdmins(_ backend: Backend) async throws {
        try await withSeededRouter(backend) { router in
            let path = "/v1/workflows/ledger-features/backfill"
            // 32 days without force: refused, naming the field.
            let long = try await router.call(.post, path, body: #"{"from":"2026-11-01","to":"2026-12-02"}"#)
            #expect(long.status == 400, "\(long.text)")
            #expect(errorCode(long) == ("backfill_too_long", "to"))
            // Force from a member of the owner team: forbidden, audited.
            let forced = try await router.call(.post, path, body: #"{"from":"2026-11-01","to":"2026-12-02","force":true}"#)
            #expect(forced.status == 403 && errorCode(forced).code == "forbidden", "\(forced.text)")
            #expect((forced.json["error"] as? [String: Any])?["message"] as? String ?? "" != "")
            #expect(try router.store().runs(workflow: "ledger-features", state: nil, limit: 100).count == 1)

            // A week: one run a day, of the version in force, in the backfill pool; a second time, none.
            let week = try await router.call(.post, path, body: #"{"from":"2026-11-03","to":"2026-11-09"}"#)
            #expect(week.status == 201, "\(week.text)")
            #expect(week.json["ticks"] as? Int == 7 && week.json["created"] as? Int == 7 && week.json["days"] as? Int == 7)
            let again = try await router.call(.post, path, body: #"{"from":"2026-11-03","to":"2026-11-09"}"#)
            #expect(again.status == 200 && again.json["created"] as? Int == 0 && again.json["existing"] as? Int == 7, "\(again.text)")
            let backfills = try router.store().runs(workflow: "ledger-features", state: nil, limit: 100).filter { $0.kind == "backfill" }
            #expect(backfills.count == 7 && backfills.allSatisfy { $0.digest == "digest-ledger-v2" })

            // An admin may force 32 days.
            let admin = try await router.call(.post, path, token: TestRouter.root, body: #"{"from":"2026-11-01","to":"2026-12-02","force":true}"#)
            #expect(admin.status == 201, "\(admin.text)")
            #expect(admin.json["ticks"] as? Int == 32 && admin.json["created"] as? Int == 25)

            let entries = try await audit(router).reversed().map { $0 }
            #expect(entries.map { $0["action"] as? String } == Array(repeating: "workflow.backfill", count: 4))
            #expect(entries.map { $0["principal"] as? String } == ["alice", "alice", "alice", "root"])
            #expect(entries.map { outcome($0) } == ["forbidden", "done", "unchanged", "done"])
        }
    }

    struct BadBody: Sendable, CustomTestStringConvertible {
        var body: String
        var code = "invalid_backfill"
        var field: String?
        var testDescription: String { body }
    }

    static let badBodies: [BadBody] = [
        BadBody(body: "", field: nil),
        BadBody(body: "[1]", field: nil),
        BadBody(body: #"{"to":"2026-11-02"}"#, field: "from"),
        BadBody(body: #"{"from":"2026-11-01"}"#, field: "to"),
        BadBody(body: #"{"from":"2026-13-01","to":"2026-11-02"}"#, field: "from"),
        BadBody(body: #"{"from":"2026-11-01","to":"2026-11-02T00:00:00Z"}"#, field: "to"),
        BadBody(body: #"{"from":20261101,"to":"2026-11-02"}"#, field: "from"),
        BadBody(body: #"{"from":"2026-11-05","to":"2026-11-02"}"#, field: "to"),
        BadBody(body: #"{"from":"2026-11-01","to":"2026-11-02","force":"yes"}"#, field: "force"),
        BadBody(body: #"{"from":"2026-11-01","to":"2026-11-02","project":"ranking"}"#, field: "project"),
    ]

    @Test(arguments: badBodies)
    func badBackfillBodiesNameTheirField(_ input: BadBody) async throws {
        try await withSeededRouter(.sqlite) { router in
            let answer = try await router.call(.post, "/v1/workflows/ledger-features/backfill", body: input.body)
            #expect(answer.status == 400, "\(answer.text)")
            #expect(errorCode(answer) == (input.code, input.field), "\(answer.text)")
            #expect(try router.store().runs(workflow: nil, state: nil, limit: 100).count == 1)
        }
    }

    @Test(arguments: Backend.available)
    func clearAndMarkSucceededByTheOwnerTeamAreAudited(_ backend: Backend) async throws {
        try await withSeededRouter(backend) { router in
            let store = try router.store()
            let cleared = try await router.call(.post, "/v1/runs/\(Self.failedRun)/clear")
            #expect(cleared.status == 200, "\(cleared.text)")
            #expect((cleared.json["run"] as? [String: Any])?["state"] as? String == "queued")
            let jobs = try store.jobs(ofRun: Self.failedRun)
            #expect(jobs.map(\.state) == ["waiting", "waiting"])
            #expect(jobs[0].attempt == 2 && jobs[0].appID == nil)
            // Only a failed run can be cleared.
            let twice = try await router.call(.post, "/v1/runs/\(Self.failedRun)/clear")
            #expect(twice.status == 409 && errorCode(twice).code == "run_not_failed", "\(twice.text)")
            #expect(try await router.call(.post, "/v1/runs/r-nope/clear").status == 404)

            let unknownJob = try await router.call(.post, "/v1/runs/\(Self.failedRun)/jobs/nope/mark-succeeded")
            #expect(unknownJob.status == 404, "\(unknownJob.text)")
            let marked = try await router.call(.post, "/v1/runs/\(Self.failedRun)/jobs/extract/mark-succeeded", token: TestRouter.root)
            #expect(marked.status == 200, "\(marked.text)")
            #expect((marked.json["job"] as? [String: Any])?["state"] as? String == "succeeded")
            #expect(try store.jobs(ofRun: Self.failedRun).first?.state == "succeeded")
            #expect(try store.events(ofRun: Self.failedRun).map(\.kind).suffix(2) == ["cleared", "marked_succeeded"])

            let entries = try await audit(router).reversed().map { $0 }
            #expect(entries.map { $0["action"] as? String } == ["run.clear", "run.clear", "run.mark_succeeded"])
            #expect(entries.map { $0["principal"] as? String } == ["alice", "alice", "root"])
            #expect(entries.map { outcome($0) } == ["done", "refused", "done"])
            #expect(entries.map { $0["target"] as? String }
                == ["run/\(Self.failedRun)", "run/\(Self.failedRun)", "run/\(Self.failedRun)/job/extract"])
            #expect(entries[0]["before"] as? String == #"{"state":"failed"}"# && entries[0]["after"] as? String == #"{"state":"queued"}"#)
        }
    }
}
