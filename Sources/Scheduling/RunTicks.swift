public import Workflows
import Schedules

/// Which cron ticks of a workflow become runs now: the scheduler's first decision, pure so that a restart, a
/// second replica or the what-if simulator decide exactly alike.
public enum RunTicks {
    /// The most ticks turned into runs in one pass for one workflow (a per-minute schedule after a month down
    /// would otherwise create 44,640 at once); the rest follow on the next passes.
    public static let maximumPerPass = 1_000

    /// The ticks of `workflow` to create runs for at `now` (epoch ms), oldest first, given the latest tick that
    /// already has a run (nil: none yet).
    ///
    /// - Never a tick before the workflow's `start_date`, after `now`, or at or before `lastScheduled` (so
    ///   never two runs for one tick).
    /// - Catch-up: after downtime only the ticks of the last `catchupDays` days are made up; with 0 days only
    ///   the latest due tick runs (the missed ones are skipped, as Airflow's `catchup=False`).
    public static func due(_ workflow: Workflow, lastScheduled: Int64?, now: Int64) -> [Int64] {
        let day: Int64 = 86_400_000
        var after = workflow.startsAt - 1
        if let lastScheduled { after = max(after, lastScheduled) }
        guard after < now else { return [] }
        if workflow.catchupDays == 0 {
            guard let latest = workflow.schedule.previous(atOrBefore: now, in: workflow.zone), latest > after else { return [] }
            return [latest]
        }
        after = max(after, now - Int64(workflow.catchupDays) * day)
        return workflow.schedule.ticks(after: after, through: now, in: workflow.zone, limit: maximumPerPass)
    }
}
