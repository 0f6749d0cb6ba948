import Insights
import Timestamps

/// Shared pieces of the pages: the day filter, and the SLO report over the snapshot's last days.
enum PageParts {
    /// The `days` filter: one of `choices`, else `fallback`; anything else is refused.
    static func days(_ view: DashboardView, choices: [Int] = [7, 14, 30], fallback: Int = 30) throws(DashboardRequestError) -> Int {
        guard let text = view["days"] else { return fallback }
        guard let days = Int(text), choices.contains(days) else {
            throw DashboardRequestError(field: "days", message: "must be one of \(choices.map(String.init).joined(separator: ", ")) (got \"\(text)\")")
        }
        return days
    }

    /// The `page` filter (1-based), checked against the page count.
    static func pageNumber(_ view: DashboardView, pages: Int) throws(DashboardRequestError) -> Int {
        guard let text = view["page"] else { return 1 }
        guard let page = Int(text), page >= 1, page <= max(1, pages) else {
            throw DashboardRequestError(field: "page", message: "must be a page number from 1 to \(max(1, pages)) (got \"\(text)\")")
        }
        return page
    }

    /// Links to every page of a list of `pages` pages (with the first, last and a few around the current one).
    static func pager(_ view: DashboardView, pages: Int, current: Int, linker: DashboardLinker) -> [PagerLink] {
        guard pages > 1 else { return [] }
        var links: [PagerLink] = []
        var previous = 0
        for page in 1...pages where page == 1 || page == pages || abs(page - current) <= 3 {
            if page - previous > 1 { links.append(PagerLink(label: "…", href: nil, current: false)) }
            links.append(PagerLink(label: String(page), href: linker.href(view.with("page", page == 1 ? nil : String(page))), current: page == current))
            previous = page
        }
        return links
    }

    /// The day filter as link choices.
    static func dayChoices(_ view: DashboardView, current: Int, choices: [Int] = [7, 14, 30], fallback: Int = 30,
                           linker: DashboardLinker) -> FilterChoice {
        FilterChoice(label: "Days", options: choices.map { days in
            PagerLink(label: "\(days)", href: linker.href(view.with("days", days == fallback ? nil : String(days)).with("page", nil)),
                      current: days == current)
        })
    }

    /// The SLO report over the snapshot's last `days` days.
    static func report(_ snapshot: DashboardSnapshot, days: Int) -> SLOReport {
        if let report = snapshot.index.reports[days] { return report }
        // The snapshot's window always names a valid day, so the window cannot fail.
        let window = try! SLOReport.Window(endingOnDayOf: snapshot.windowEnd - 1, days: days)
        return SLOReport(runs: snapshot.runs, window: window)
    }

    /// `YYYY-MM-DD HH:MM` UTC.
    static func minute(_ millis: Int64) -> String {
        // The date, then the hour and minute (a queue page writes one per hour it shows).
        let minutes = Int((millis - Timestamp.floorDiv(millis, 86_400_000) * 86_400_000) / 60_000)
        let hour = minutes / 60, minute = minutes % 60
        let date = Timestamp.formatDate(millis)
        return String(unsafeUninitializedCapacity: date.utf8.count + 6) { buffer in
            var end = 0
            for byte in date.utf8 {
                buffer[end] = byte
                end += 1
            }
            buffer[end] = UInt8(ascii: " ")
            buffer[end + 1] = UInt8(ascii: "0") + UInt8(hour / 10)
            buffer[end + 2] = UInt8(ascii: "0") + UInt8(hour % 10)
            buffer[end + 3] = UInt8(ascii: ":")
            buffer[end + 4] = UInt8(ascii: "0") + UInt8(minute / 10)
            buffer[end + 5] = UInt8(ascii: "0") + UInt8(minute % 10)
            return end + 6
        }
    }

    /// The anchor of a day on a workflow page.
    static func dayAnchor(_ millis: Int64) -> String { "day-" + Timestamp.formatDate(millis) }

    /// The outcome's class and symbol: colour is never the only cue.
    static func outcomeMark(_ outcome: RunOutcome?) -> (className: String, symbol: String, word: String) {
        switch outcome {
        case .met: ("met", "✓", "met")
        case .missed: ("missed", "✗", "missed")
        case .pending: ("pending", "…", "pending")
        case nil: ("none", "", "no run")
        }
    }

    static let outcomeKeys: [Chart.Key] = [
        Chart.Key(label: "✓ met", className: "met"), Chart.Key(label: "✗ missed", className: "missed"),
        Chart.Key(label: "… pending", className: "pending"), Chart.Key(label: "no run", className: "none"),
    ]
}

/// The overview: SLO attainment per tier against the goal, missed and at-risk runs, queues borrowing or at
/// max, and how fresh the data is; every tile links to its filtered view.
enum OverviewPage {
    static func build(_ view: DashboardView, snapshot: DashboardSnapshot, linker: DashboardLinker) throws(DashboardRequestError) -> PageModel {
        _ = try PageParts.days(view, choices: [7, 30], fallback: 30)
        let week = PageParts.report(snapshot, days: 7)
        let month = PageParts.report(snapshot, days: 30)
        let goal = week.options.goalShare
        var tiles: [Tile] = []
        for tier in [1, 2, 3] {
            let recent = week.tiers.first { $0.tier == tier }
            let long = month.tiers.first { $0.tier == tier }
            let share = recent?.shareAttaining
            tiles.append(Tile(
                label: "Tier \(tier) attaining SLO, 7 days",
                value: share.map(Format.percent) ?? "no runs",
                detail: "30 days: \(long?.shareAttaining.map(Format.percent) ?? "no runs") · goal \(Format.percent(goal))"
                    + (recent?.goalMet == true ? " · met" : recent?.goalMet == false ? " · not met" : ""),
                href: linker.href(DashboardView(.slo, ["tier": String(tier), "days": "7"])),
                state: recent?.goalMet == true ? "good" : recent?.goalMet == false ? "bad" : "none"))
        }
        let missed = snapshot.runs.filter { $0.outcome == .missed && week.window.contains($0.scheduledAt) }
        tiles.append(Tile(label: "Missed runs, 7 days", value: String(missed.count),
                          detail: "of \(week.totals.runs) decided runs", href: linker.href(view, fragment: "missed"),
                          state: missed.isEmpty ? "good" : "bad"))
        let atRisk = snapshot.activeRuns.filter { $0.atRisk(now: snapshot.asOf) }
        tiles.append(Tile(label: "Runs at risk now", value: String(atRisk.count),
                          detail: "of \(snapshot.activeRuns.count) runs in flight", href: linker.href(view, fragment: "at-risk"),
                          state: atRisk.isEmpty ? "good" : "warn"))
        let fleet = snapshot.fleet.overview
        tiles.append(Tile(label: "Queues above guaranteed", value: String(fleet.aboveGuaranteed),
                          detail: "of \(fleet.queues) queues used on the newest day",
                          href: linker.href(DashboardView(.queues, ["state": "borrowing"])), state: fleet.aboveGuaranteed > 0 ? "warn" : "good"))
        tiles.append(Tile(label: "Queues pinned at max", value: String(fleet.atMax),
                          detail: "used at their max on the newest day",
                          href: linker.href(DashboardView(.queues, ["state": "at-max"])), state: fleet.atMax > 0 ? "bad" : "good"))
        tiles.append(Tile(label: "Last ingested", value: snapshot.newestFinish.map(PageParts.minute) ?? "never",
                          detail: snapshot.lastRead.map { "sources last read \(PageParts.minute($0))" } ?? "no source read yet",
                          href: linker.href(DashboardView(.queues)), state: snapshot.newestFinish == nil ? "warn" : "none"))
        tiles.append(Tile(label: "Last planned", value: snapshot.lastPlan?.night ?? "never",
                          detail: snapshot.lastPlan.map { "planned \(PageParts.minute($0.plannedAt))" } ?? "run bursar nightly",
                          href: linker.href(DashboardView(.allocation)), state: snapshot.lastPlan == nil ? "warn" : "none"))

        // Attainment per tier, 7 and 30 days, against the goal.
        var bars: [Chart.Bar] = []
        var table = DataTable(id: "attainment", caption: "Share of workflows attaining their SLO per tier (goal \(Format.percent(goal)))",
                              columns: ["Tier", "Days", "Workflows", "Attaining", "Share attaining", "Runs", "Runs met", "Goal met"])
        for tier in [1, 2, 3] {
            for (days, report) in [(7, week), (30, month)] {
                let figures = report.tiers.first { $0.tier == tier }
                let share = figures?.shareAttaining
                let href = linker.href(DashboardView(.slo, ["tier": String(tier), "days": String(days)]))
                bars.append(Chart.Bar(label: "T\(tier) \(days)d", segments: share.map {
                    [Chart.Segment(value: $0 * 100, className: days == 7 ? "s0" : "s4",
                                   title: "Tier \(tier), \(days) days: \(Format.percent($0)) of \(figures?.workflows ?? 0) workflows attain")]
                } ?? [], href: href))
                table.rows.append([
                    Cell("Tier \(tier)", href: href), Cell.count(days), Cell.count(figures?.workflows ?? 0),
                    Cell.count(figures?.workflowsAttaining ?? 0), Cell.percent(share), Cell.count(figures?.runs ?? 0),
                    Cell.count(figures?.runsMet ?? 0),
                    Cell(figures?.goalMet == true ? "yes" : figures?.goalMet == false ? "no" : "–",
                         className: figures?.goalMet == true ? "met" : figures?.goalMet == false ? "missed" : nil),
                ])
            }
        }
        let attainment: Section
        if week.totals.runs + month.totals.runs == 0 {
            attainment = Section(id: "attainment", heading: "SLO attainment per tier", table: table,
                                 empty: "No decided workflow runs in the last 30 days: ingest application summaries with job_apps mappings, or let the scheduler run workflows.")
        } else {
            attainment = Section(id: "attainment", heading: "SLO attainment per tier",
                                 note: "Share of each tier's workflows that met their SLO on at least 90% of their days; the dashed line is the \(Format.percent(goal)) goal.",
                                 chart: Chart.bars(id: "attainment-chart", label: "SLO attainment per tier over 7 and 30 days against the \(Format.percent(goal)) goal",
                                                   bars: bars, keys: [Chart.Key(label: "7 days", className: "s0"), Chart.Key(label: "30 days", className: "s4")],
                                                   yMax: 100, goal: (goal * 100, "goal \(Format.percent(goal))"),
                                                   valueText: { Format.number($0, digits: 0) + "%" }),
                                 table: table)
        }

        // Runs in danger now.
        var risk = DataTable(id: "at-risk-runs", caption: "Runs in flight whose deadline is near or past, or whose remaining critical path ends after it",
                             columns: ["Workflow", "Tier", "Run", "Scheduled", "Deadline", "Minutes to deadline", "Jobs done", "Critical path left (min)"])
        for run in atRisk.sorted(by: { ($0.deadline, $0.workflow) < ($1.deadline, $1.workflow) }).prefix(200) {
            risk.rows.append([
                Cell(run.workflow, href: linker.href(DashboardView(.workflow, ["name": run.workflow]))), Cell.count(run.tier),
                Cell(run.runID), Cell(PageParts.minute(run.scheduledAt)), Cell(PageParts.minute(run.deadline)),
                Cell.number(Double(run.deadline - snapshot.asOf) / 60_000, className: run.deadline < snapshot.asOf ? "missed" : "warn"),
                Cell("\(run.jobsDone)/\(run.jobs)", value: Double(run.jobsDone)),
                Cell.number(run.remainingSeconds.map { $0 / 60 }),
            ])
        }
        let riskSection = Section(id: "at-risk", heading: "Runs at risk", table: risk, tableOpen: true,
                                  empty: risk.rows.isEmpty ? (snapshot.activeRuns.isEmpty ? "The scheduler has no run in flight." : "None of the \(snapshot.activeRuns.count) runs in flight is near its deadline.") : nil)

        // Missed runs of the last 7 days, newest first.
        var missedTable = DataTable(id: "missed-runs", caption: "Runs that missed their SLO in the last 7 days, newest first",
                                    columns: ["Workflow", "Org", "Tier", "Run", "Scheduled", "Deadline", "Minutes late"])
        for run in missed.sorted(by: { ($0.scheduledAt, $0.workflow) > ($1.scheduledAt, $1.workflow) }).prefix(200) {
            let late = run.finishedAt.map { Double($0 - run.deadline) / 60_000 }
            missedTable.rows.append([
                Cell(run.workflow, href: linker.href(DashboardView(.workflow, ["name": run.workflow]), fragment: PageParts.dayAnchor(run.scheduledAt))),
                Cell(run.org), Cell.count(run.tier), Cell(run.runID), Cell(PageParts.minute(run.scheduledAt)),
                Cell(PageParts.minute(run.deadline)), late.map { Cell.number($0, className: "missed") } ?? Cell("unfinished", className: "missed"),
            ])
        }
        let missedSection = Section(id: "missed", heading: "Missed runs, last 7 days",
                                    note: missed.count > 200 ? "The newest 200 of \(missed.count)." : nil,
                                    table: missedTable, tableOpen: true,
                                    empty: missedTable.rows.isEmpty ? "No run missed its SLO in the last 7 days." : nil)
        return PageModel(view: view, title: "Overview",
                         subtitle: "The platform at a glance, \(week.window.from) to \(week.window.until) (7 days) and since \(month.window.from) (30 days), UTC.",
                         tiles: tiles, sections: [attainment, riskSection, missedSection], primaryTable: "attainment")
    }
}
