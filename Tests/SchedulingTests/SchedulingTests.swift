import Testing
import Schedules
import Workflows
@testable import Scheduling

/// A workflow read from text, for the scheduling decisions.
func workflow(schedule: String = "0 2 * * *", zone: String = "UTC", catchup: Int = 3, startDate: String = "2026-11-01",
              jobs: String = "  - {name: a, bursar: ingest}\n  - {name: b, depends_on: [a], bursar: allocate}\n",
              retries: Int = 1, timeout: String = "10m") -> Workflow {
    let text = """
    workflow: w
    project: p
    tier: 1
    schedule: "\(schedule)"
    timezone: \(zone)
    slo_minutes: 60
    start_date: \(startDate)
    catchup: {max_days: \(catchup)}
    defaults: {retries: \(retries), retry_delay: 1m, retry_backoff: 2, timeout: \(timeout)}
    jobs:

    """ + jobs
    let (read, findings) = WorkflowReader.read(text, file: "w.yaml")
    precondition(read != nil, "\(findings)")
    return read!
}

/// Epoch ms of a UTC time written `YYYY-MM-DDTHH:MM`.
func at(_ text: String) -> Int64 {
    let parts = text.split(whereSeparator: { "-T:".contains($0) }).map { Int($0)! }
    var days = 0
    // Days from 1970-01-01 (proleptic Gregorian).
    let (y, m, d) = (parts[0], parts[1], parts[2])
    let yy = m <= 2 ? y - 1 : y
    let era = (yy >= 0 ? yy : yy - 399) / 400
    let yoe = yy - era * 400
    let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    days = era * 146_097 + doe - 719_468
    return (Int64(days) * 86_400 + Int64(parts[3]) * 3600 + Int64(parts[4]) * 60) * 1000
}

@Suite("Which ticks become runs")
struct RunTicksTests {
    @Test func aFirstNightRunsTheTicksSinceTheStartWithinTheCatchUp() {
        let w = workflow(catchup: 3, startDate: "2026-11-01")
        // Started on 2026-11-10 at 03:00: only the last 3 days are made up.
        #expect(RunTicks.due(w, lastScheduled: nil, now: at("2026-11-10T03:00")) == [at("2026-11-08T02:00"), at("2026-11-09T02:00"), at("2026-11-10T02:00")])
        // Before the start date nothing runs.
        #expect(RunTicks.due(w, lastScheduled: nil, now: at("2026-10-31T03:00")).isEmpty)
        // On the start date, the tick of that day.
        #expect(RunTicks.due(w, lastScheduled: nil, now: at("2026-11-01T02:00")) == [at("2026-11-01T02:00")])
    }

    @Test func neverTwiceForOneTick() {
        let w = workflow()
        let now = at("2026-11-05T02:30")
        let last = at("2026-11-05T02:00")
        #expect(RunTicks.due(w, lastScheduled: last, now: now).isEmpty)
        #expect(RunTicks.due(w, lastScheduled: last, now: at("2026-11-06T02:00")) == [at("2026-11-06T02:00")])
    }

    @Test func afterDowntimeAtMostTheCatchUpDays() {
        let w = workflow(catchup: 2)
        // Down from the 3rd to the 20th: the ticks of the last 2 days only.
        let due = RunTicks.due(w, lastScheduled: at("2026-11-03T02:00"), now: at("2026-11-20T05:00"))
        #expect(due == [at("2026-11-19T02:00"), at("2026-11-20T02:00")])
    }

    @Test func withNoCatchUpOnlyTheLatestTick() {
        let w = workflow(schedule: "0 * * * *", catchup: 0)
        #expect(RunTicks.due(w, lastScheduled: at("2026-11-03T02:00"), now: at("2026-11-03T09:30")) == [at("2026-11-03T09:00")])
        #expect(RunTicks.due(w, lastScheduled: at("2026-11-03T09:00"), now: at("2026-11-03T09:30")).isEmpty)
    }

    @Test func aPerMinuteScheduleAfterAMonthDownIsBoundedPerPass() {
        let w = workflow(schedule: "* * * * *", catchup: 31)
        let due = RunTicks.due(w, lastScheduled: at("2026-11-01T00:00"), now: at("2026-12-05T00:00"))
        #expect(due.count == RunTicks.maximumPerPass)
        #expect(due.first == at("2026-12-05T00:00") - 31 * 86_400_000 + 60_000)
    }
}

@Suite("Deadline-aware dispatch")
struct DispatchOrderTests {
    func candidate(_ id: String, tier: Int, deadline: Int64, backfill: Bool = false, queue: String = "q", scheduledAt: Int64 = 0) -> DispatchOrder.Candidate {
        .init(runID: id, job: "j", tier: tier, isBackfill: backfill, deadline: deadline, scheduledAt: scheduledAt, position: 0, queue: queue)
    }

    @Test func tierFirstThenScheduledBeforeBackfillThenTheNearestDeadline() {
        let ready = [
            candidate("t3", tier: 3, deadline: 10),
            candidate("t1-late", tier: 1, deadline: 500),
            candidate("t1-backfill", tier: 1, deadline: 1, backfill: true),
            candidate("t1-soon", tier: 1, deadline: 100),
            candidate("t2", tier: 2, deadline: 5),
        ]
        let order = DispatchOrder.ordered(ready).map(\.runID)
        #expect(order == ["t1-soon", "t1-late", "t1-backfill", "t2", "t3"])
    }

    @Test func aFloodOfTier3AndBackfillNeverDelaysAReadyTier1Job() {
        var ready = (0..<10_000).map { candidate("t3-\($0)", tier: 3, deadline: Int64($0), queue: "q\($0 % 50)") }
        ready += (0..<5_000).map { candidate("bf-\($0)", tier: 1, deadline: 0, backfill: true, queue: "b") }
        ready.append(candidate("urgent", tier: 1, deadline: 1_000_000, queue: "t1"))
        let (dispatch, held) = DispatchOrder.select(ready, limits: .init(global: 1, perQueue: 100, backfill: 10), inFlight: .init())
        #expect(dispatch.map(\.runID) == ["urgent"])
        #expect(held.count == ready.count - 1)
    }

    @Test func runsWithTheSameDeadlineTakeTurns() {
        func job(_ run: String, _ position: Int, inFlight: Int = 0, deadline: Int64 = 100) -> DispatchOrder.Candidate {
            .init(runID: run, job: "j\(position)", tier: 1, isBackfill: false, deadline: deadline, scheduledAt: 0, position: position, queue: "q",
                  runInFlight: inFlight)
        }
        // Run a has three ready jobs, b two, c one with two more in flight; d's deadline is earlier, so all of d goes first.
        let ready = [job("a", 0), job("a", 1), job("a", 2), job("b", 4), job("b", 3), job("c", 0, inFlight: 2), job("d", 7, deadline: 50),
                     job("d", 8, deadline: 50)]
        let order = DispatchOrder.ordered(ready).map { "\($0.runID)\($0.job.dropFirst())" }
        #expect(order == ["d7", "d8", "a0", "b3", "a1", "b4", "a2", "c0"])
        // With one slot, the run with nothing in flight takes it before the one that has jobs running.
        let (dispatch, _) = DispatchOrder.select([job("c", 0, inFlight: 2), job("z", 5)], limits: .init(global: 1, perQueue: 9, backfill: 0),
                                                 inFlight: .init())
        #expect(dispatch.map(\.runID) == ["z"])
    }

    @Test func limitsHoldBackWithoutBlockingOthers() {
        let ready = [candidate("a", tier: 1, deadline: 1, queue: "full"), candidate("b", tier: 1, deadline: 2, queue: "free"),
                     candidate("c", tier: 2, deadline: 1, backfill: true, queue: "free"), candidate("d", tier: 3, deadline: 1, queue: "other")]
        let (dispatch, held) = DispatchOrder.select(ready, limits: .init(global: 3, perQueue: 2, backfill: 0),
                                                    inFlight: .init(total: 1, backfill: 0, byQueue: ["full": 2]))
        #expect(dispatch.map(\.runID) == ["b", "d"])
        #expect(held.map(\.candidate.runID) == ["a", "c"])
        #expect(held.map(\.limit) == ["queue", "backfill"])
    }
}

@Suite("How many dispatches a wave's runs wait for")
struct FirstJobRankTests {
    func root(_ run: String, tier: Int, deadline: Int64, position: Int) -> DispatchOrder.Candidate {
        .init(runID: run, job: "j\(position)", tier: tier, isBackfill: false, deadline: deadline, scheduledAt: 0, position: position, queue: "q")
    }

    @Test func aLowerTierRunStartsOnlyAfterEveryHigherTierRoot() {
        // Tier 1: runs a (deadline 10, three roots) and b (deadline 20, two roots); tier 2: run c (one root).
        // Order: a's three roots, then b's two, then c's: a starts at 1, b at 4, c at 6.
        let ready = [root("c", tier: 2, deadline: 5, position: 0),
                     root("b", tier: 1, deadline: 20, position: 0), root("b", tier: 1, deadline: 20, position: 1),
                     root("a", tier: 1, deadline: 10, position: 0), root("a", tier: 1, deadline: 10, position: 1),
                     root("a", tier: 1, deadline: 10, position: 2)]
        #expect(DispatchOrder.firstJobRanks(ready) == [1, 4, 6])
    }

    @Test func runsWithOneDeadlineTakeTurns() {
        // Same tier and deadline: each run's first job before any run's second.
        let ready = (0..<3).flatMap { run in (0..<4).map { root("r\(run)", tier: 1, deadline: 10, position: $0) } }
        #expect(DispatchOrder.firstJobRanks(ready) == [1, 2, 3])
        #expect(DispatchOrder.firstJobRanks([]) == [])
    }
}

@Suite("How a run moves on")
struct RunProgressTests {
    @Test func aJobIsReadyWhenItsDependenciesSucceedAndSkippedWhenOneFails() {
        let w = workflow(jobs: "  - {name: a, bursar: ingest}\n  - {name: b, bursar: ingest}\n  - {name: c, depends_on: [a, b], bursar: allocate}\n")
        var jobs = [JobInstance(state: .succeeded), JobInstance(state: .running, submittedAt: 1), JobInstance()]
        #expect(RunProgress.changes(w, jobs: jobs, now: 2).isEmpty)
        jobs[1].state = .succeeded
        #expect(RunProgress.changes(w, jobs: jobs, now: 2) == [.becameReady(job: 2)])
        jobs[1].state = .failed
        #expect(RunProgress.changes(w, jobs: jobs, now: 2) == [.upstreamFailed(job: 2)])
        jobs[2].state = .upstreamFailed
        #expect(RunProgress.state(of: jobs) == .failed)
    }

    @Test func retriesWaitTheirDelayWithBackoffThenFailForGood() throws {
        let w = workflow(retries: 2)
        let job = w.jobs[0]
        var instance = JobInstance(state: .running, attempt: 1, submittedAt: 1, startedAt: 2)
        instance = RunProgress.ended(job, instance: instance, succeeded: false, at: 1_000)
        #expect(instance.state == .ready && instance.attempt == 2 && instance.notBefore == 1_000 + 60_000)
        instance.state = .running
        instance = RunProgress.ended(job, instance: instance, succeeded: false, at: 2_000)
        #expect(instance.state == .ready && instance.attempt == 3 && instance.notBefore == 2_000 + 120_000)
        instance.state = .running
        instance = RunProgress.ended(job, instance: instance, succeeded: false, at: 3_000)
        #expect(instance.state == .failed)
    }

    @Test func aTimeoutIsMarkedAtOnceWithWhetherARetryFollows() {
        let w = workflow(retries: 1, timeout: "10m")
        var jobs = [JobInstance(state: .running, attempt: 1, submittedAt: 1_000, startedAt: 5_000), JobInstance()]
        #expect(RunProgress.changes(w, jobs: jobs, now: 5_000 + 600_000).isEmpty)
        #expect(RunProgress.changes(w, jobs: jobs, now: 5_001 + 600_000) == [.timedOut(job: 0, retry: true, notBefore: 5_001 + 600_000 + 60_000)])
        jobs[0].attempt = 2
        #expect(RunProgress.changes(w, jobs: jobs, now: 5_001 + 600_000) == [.timedOut(job: 0, retry: false, notBefore: 5_001 + 600_000 + 120_000)])
    }
}

@Suite("What a cluster's report does to a job")
struct ObservedTests {
    let flow = workflow(retries: 1)

    @Test func runningThenSucceededMoveAnAttemptInFlight() {
        let submitted = JobInstance(state: .submitted, attempt: 1, submittedAt: 1_000)
        #expect(RunProgress.observe(AppReport(appID: "x", phase: .pending, at: 1_500), job: flow.jobs[0], instance: submitted) == nil)
        #expect(RunProgress.observe(AppReport(appID: "x", phase: .running, at: 2_000), job: flow.jobs[0], instance: submitted) == .started(at: 2_000))
        let running = JobInstance(state: .running, attempt: 1, submittedAt: 1_000, startedAt: 2_000)
        // A repeated RUNNING (every status update is a MODIFIED event) changes nothing.
        #expect(RunProgress.observe(AppReport(appID: "x", phase: .running, at: 3_000), job: flow.jobs[0], instance: running) == nil)
        guard case .ended(let next, let succeeded)? = RunProgress.observe(AppReport(appID: "x", phase: .succeeded, at: 9_000), job: flow.jobs[0], instance: running) else {
            Issue.record("a success must end the attempt")
            return
        }
        #expect(succeeded && next.state == .succeeded)
    }

    @Test func aFailureRetriesAfterTheDelayThenFailsForGood() {
        let first = JobInstance(state: .running, attempt: 1, submittedAt: 1_000, startedAt: 2_000)
        guard case .ended(let retry, false)? = RunProgress.observe(AppReport(appID: "x", phase: .failed, at: 10_000, reason: "OOMKilled"),
                                                                    job: flow.jobs[0], instance: first) else {
            Issue.record("a failure must end the attempt")
            return
        }
        #expect(retry.state == .ready && retry.attempt == 2 && retry.notBefore == 10_000 + 60_000)
        let second = JobInstance(state: .submitted, attempt: 2, submittedAt: 80_000)
        guard case .ended(let final, false)? = RunProgress.observe(AppReport(appID: "y", phase: .deleted, at: 90_000), job: flow.jobs[0], instance: second) else {
            Issue.record("a deletion must end the attempt")
            return
        }
        #expect(final.state == .failed)
    }

    @Test func aReportAboutAnAttemptNoLongerInFlightChangesNothing() {
        // Replayed after a restart, or about an attempt that timed out and waits for its retry.
        for state in [JobState.waiting, .ready, .succeeded, .failed, .upstreamFailed] {
            for phase in [AppReport.Phase.running, .succeeded, .failed, .deleted] {
                #expect(RunProgress.observe(AppReport(appID: "x", phase: phase, at: 5), job: flow.jobs[0], instance: JobInstance(state: state)) == nil)
            }
        }
    }
}
