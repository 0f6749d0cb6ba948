import Insights
import InsightStore
import Timestamps

/// The outcomes of the workflows that ran in a window of days, by day index in the window.
struct DayOutcomes: Sendable {
    // The index's outcomes, not the index: the index's memo holds this, and must not be held back by it.
    private let outcomeByDay: [String: [Int64: RunOutcome]]
    private let firstDay: Int64
    private let days: Int
    /// Workflows with a run in the window → (org, tier, project).
    let facts: [String: (org: String, tier: Int, project: String)]

    /// The outcomes of the window, once per snapshot.
    static func of(_ index: RunIndex, start: Int64, days: Int) throws(DashboardRequestError) -> DayOutcomes {
        try index.dayOutcomes.value([start, Int64(days)]) { DayOutcomes(index, start: start, days: days) }
    }

    private init(_ index: RunIndex, start: Int64, days: Int) {
        outcomeByDay = index.outcomeByDay
        firstDay = SLOReport.Window.day(containing: start)
        self.days = days
        let range = firstDay..<(firstDay + Int64(days))
        facts = index.facts.filter { name, _ in index.outcomeByDay[name]?.keys.contains { range.contains($0) } ?? false }
    }

    /// The outcome of `workflow` on day `offset` of the window; nil without a run.
    func outcome(_ workflow: String, _ offset: Int) -> RunOutcome? {
        outcomeByDay[workflow]?[firstDay + Int64(offset)]
    }
}

/// The SLO matrix: a roll-up of tiers (or, filtered, orgs and tiers) against days (share of workflows whose day
/// was met), then workflows against days, filtered by org and tier, 50 a page; each cell links to the day's runs.
enum SLOMatrixPage {
    static let rowsPerPage = 50

    static func build(_ view: DashboardView, snapshot: DashboardSnapshot, linker: DashboardLinker) throws(DashboardRequestError) -> PageModel {
        let days = try PageParts.days(view)
        var tierFilter: Int?
        if let text = view["tier"] {
            guard let tier = Int(text), (1...9).contains(tier) else {
                throw DashboardRequestError(field: "tier", message: "must be a tier number, 1 to 3 (got \"\(text)\")")
            }
            tierFilter = tier
        }
        let orgFilter = view["org"]
        let start = snapshot.windowStart(days: days)
        let dayList = snapshot.dayList(days: days)
        let outcomes = try DayOutcomes.of(snapshot.index, start: start, days: days)
        let orgs = Set(outcomes.facts.values.map(\.org)).sorted()
        if let orgFilter, !orgs.contains(orgFilter) {
            throw DashboardRequestError(field: "org", message: "no workflow of org \"\(orgFilter)\" ran in the last \(days) days; the orgs are \(orgs.prefix(20).joined(separator: ", "))")
        }
        // The same rows for every page of a filter: worked out once.
        let workflows = try snapshot.index.matrixRows.value([String(days), tierFilter.map(String.init) ?? "", orgFilter ?? ""]) {
            outcomes.facts.keys.filter { name in
                let facts = outcomes.facts[name]!
                return (tierFilter == nil || facts.tier == tierFilter) && (orgFilter == nil || facts.org == orgFilter)
            }.sorted { a, b in
                let fa = outcomes.facts[a]!, fb = outcomes.facts[b]!
                return (fa.tier, fa.org, a) < (fb.tier, fb.org, b)
            }
        }

        var filters = [PageParts.dayChoices(view, current: days, linker: linker)]
        filters.append(FilterChoice(label: "Tier", options: [PagerLink(label: "all", href: linker.href(view.with("tier", nil).with("page", nil)), current: tierFilter == nil)]
            + [1, 2, 3].map { PagerLink(label: "\($0)", href: linker.href(view.with("tier", String($0)).with("page", nil)), current: tierFilter == $0) }))
        if orgFilter != nil {
            filters.append(FilterChoice(label: "Org", options: [PagerLink(label: "all orgs", href: linker.href(view.with("org", nil).with("page", nil)), current: false),
                                                               PagerLink(label: orgFilter!, href: nil, current: true)]))
        }

        // Tiers (unfiltered), or orgs × tiers (filtered by tier or org), against days: share of the group's
        // workflows whose day was met. A tier leads to its orgs, an org to its workflows; on a view's first page
        // only, so the roll-up is not repeated on every page of workflows.
        let page = try PageParts.pageNumber(view, pages: max(1, (workflows.count + rowsPerPage - 1) / rowsPerPage))
        let byTierOnly = tierFilter == nil && orgFilter == nil
        var groups: [String: (org: String, tier: Int, workflows: [String])] = [:]
        for name in workflows where page == 1 {
            let facts = outcomes.facts[name]!
            let org = byTierOnly ? allOrgs : facts.org
            groups["\(org)\u{0}\(facts.tier)", default: (org, facts.tier, [])].workflows.append(name)
        }
        let groupKeys = groups.keys.sorted { (groups[$0]!.tier, groups[$0]!.org) < (groups[$1]!.tier, groups[$1]!.org) }
        var summaryRows: [(text: String, href: String?)] = []
        var summaryCells: [[Chart.GridCell?]] = []
        var summaryTable = DataTable(id: "slo-by-org", caption: "Share of each org's and tier's workflows whose day met its SLO",
                                     columns: ["Org", "Tier", "Workflows"] + dayList.map(\.day))
        for key in groupKeys {
            let group = groups[key]!
            let href = linker.href(DashboardView(.slo, ["org": byTierOnly ? "" : group.org, "tier": String(group.tier), "days": days == 30 ? "" : String(days)]))
            summaryRows.append((byTierOnly ? "tier \(group.tier)" : "\(group.org) · tier \(group.tier)", href))
            var cells: [Chart.GridCell?] = []
            var row = [Cell(group.org, href: href), Cell.count(group.tier), Cell.count(group.workflows.count)]
            for (index, day) in dayList.enumerated() {
                var decided = 0, met = 0
                for name in group.workflows {
                    switch outcomes.outcome(name, index) {
                    case .met: decided += 1; met += 1
                    case .missed: decided += 1
                    default: break
                    }
                }
                guard decided > 0 else {
                    cells.append(nil)
                    row.append(Cell("–"))
                    continue
                }
                let share = Double(met) / Double(decided)
                cells.append(Chart.GridCell(className: heatClass(share), symbol: share >= 0.9 ? "" : "!",
                                            title: "\(group.org), tier \(group.tier), \(day.day): \(met) of \(decided) workflows met (\(Format.percent(share)))",
                                            value: share))
                row.append(Cell.percent(share))
            }
            summaryCells.append(cells)
            summaryTable.rows.append(row)
        }
        let summary = page > 1 ? nil : Section(
            id: "by-org", heading: byTierOnly ? "Tiers by day" : "Orgs and tiers by day",
            note: "Each cell: the share of the group's workflows whose runs that day all met their SLO; ! marks a day below 90%. "
                + (byTierOnly ? "A tier leads to its orgs." : "A row leads to its workflows."),
            chart: groupKeys.isEmpty ? nil : Chart.grid(id: "slo-by-org-chart", label: "Share of workflows meeting their SLO per org and tier per day",
                                                       rowLabels: summaryRows, columnLabels: dayList.map(\.day), cells: summaryCells,
                                                       keys: [Chart.Key(label: "≥ 90%", className: "h3"), Chart.Key(label: "75–90%", className: "h2"),
                                                              Chart.Key(label: "50–75%", className: "h4"), Chart.Key(label: "< 50%", className: "h5")]),
            table: summaryTable,
            empty: groupKeys.isEmpty ? "No workflow ran in these \(days) days\(tierFilter.map { " in tier \($0)" } ?? "")\(orgFilter.map { " for \($0)" } ?? "")." : nil)

        // Workflows × days, a page at a time.
        let pages = max(1, (workflows.count + rowsPerPage - 1) / rowsPerPage)
        let shown = workflows.dropFirst((page - 1) * rowsPerPage).prefix(rowsPerPage)
        var rowLabels: [(text: String, href: String?)] = []
        var cells: [[Chart.GridCell?]] = []
        var table = DataTable(id: "slo-matrix", caption: "Each workflow's SLO outcome per day (met, missed, pending; blank: no run)",
                              columns: ["Workflow", "Org", "Tier"] + dayList.map(\.day))
        for name in shown {
            let facts = outcomes.facts[name]!
            let workflowView = DashboardView(.workflow, ["name": name])
            rowLabels.append((name, linker.href(workflowView)))
            var rowCells: [Chart.GridCell?] = []
            var row = [Cell(name, href: linker.href(workflowView)), Cell(facts.org), Cell.count(facts.tier)]
            for (index, day) in dayList.enumerated() {
                let outcome = outcomes.outcome(name, index)
                let mark = PageParts.outcomeMark(outcome)
                let href = outcome == nil ? nil : linker.href(workflowView, fragment: PageParts.dayAnchor(day.start))
                rowCells.append(outcome == nil ? nil : Chart.GridCell(className: mark.className, symbol: mark.symbol,
                                                                      title: "\(name), \(day.day): \(mark.word)", value: outcomeValue(outcome), href: href))
                row.append(Cell(outcome == nil ? "" : mark.word, value: outcomeValue(outcome), href: href, className: outcome == nil ? nil : mark.className))
            }
            cells.append(rowCells)
            table.rows.append(row)
        }
        let matrix = Section(
            id: "matrix", heading: "Workflows by day",
            note: workflows.isEmpty ? nil : "\(workflows.count) workflows, tier then org then name, \(rowsPerPage) a page; page \(page) of \(pages). A cell leads to that day's runs.",
            chart: workflows.isEmpty ? nil : Chart.grid(id: "slo-matrix-chart", label: "SLO outcome of each workflow per day",
                                                       rowLabels: rowLabels, columnLabels: dayList.map(\.day), cells: cells, keys: PageParts.outcomeKeys),
            table: table,
            empty: workflows.isEmpty ? "No workflow runs to show for this filter." : nil,
            pager: PageParts.pager(view, pages: pages, current: page, linker: linker))

        let first = dayList.first?.day ?? "", last = dayList.last?.day ?? ""
        return PageModel(view: view, title: "SLO matrix",
                         subtitle: "Workflows against days, \(first) to \(last) (UTC)\(tierFilter.map { ", tier \($0)" } ?? "")\(orgFilter.map { ", org \($0)" } ?? "").",
                         filters: filters, sections: [summary, matrix].compactMap { $0 }, primaryTable: "slo-matrix")
    }

    /// The org column of a tier's row in the unfiltered roll-up.
    static let allOrgs = "all orgs"

    /// 1 met, 0 missed, 0.5 pending (the cell's `data-value`).
    static func outcomeValue(_ outcome: RunOutcome?) -> Double? {
        switch outcome {
        case .met: 1
        case .missed: 0
        case .pending: 0.5
        case nil: nil
        }
    }

    static func heatClass(_ share: Double) -> String {
        share >= 0.9 ? "h3" : share >= 0.75 ? "h2" : share >= 0.5 ? "h4" : "h5"
    }
}

/// One workflow: its SLO calendar, its runs × jobs, each run's duration against the deadline, and for the
/// newest late run the queue's usage against guaranteed and max while it ran.
enum WorkflowPage {
    static let maxJobColumns = 80

    static func build(_ view: DashboardView, snapshot: DashboardSnapshot, details: any WorkflowDetailSource,
                      linker: DashboardLinker) throws -> PageModel {
        let name = view["name"] ?? ""
        let days = try PageParts.days(view)
        let start = snapshot.windowStart(days: days)
        let runs = (snapshot.runsByWorkflow[name] ?? []).filter { $0.scheduledAt >= start }
        let attempts = try details.jobAttempts(workflow: name, from: start, to: snapshot.windowEnd)
        guard !runs.isEmpty || !attempts.isEmpty || snapshot.runsByWorkflow[name] != nil else {
            throw DashboardRequestError(field: "name", message: "no run of a workflow called \"\(name)\" in the last \(days) days; the SLO matrix lists the workflows that ran")
        }
        let dayList = snapshot.dayList(days: days)
        let outcomes = try DayOutcomes.of(snapshot.index, start: start, days: days)
        let facts = runs.last

        // The calendar: weeks (rows, Monday first) × weekdays.
        let weekday = { (millis: Int64) -> Int in Int(((millis / 86_400_000) + 3) % 7) } // 1970-01-01 was a Thursday: 0 = Monday
        var weekRows: [(text: String, href: String?)] = []
        var weekCells: [[Chart.GridCell?]] = []
        var calendarTable = DataTable(id: "calendar", caption: "Outcome per day", columns: ["Day", "Outcome", "Runs", "Runs met"])
        for (index, day) in dayList.enumerated() {
            let column = weekday(day.start)
            if weekCells.isEmpty || column == 0 {
                weekRows.append(("week of \(day.day)", nil))
                weekCells.append(Array(repeating: nil, count: 7))
            }
            let outcome = outcomes.outcome(name, index)
            let mark = PageParts.outcomeMark(outcome)
            let ofDay = runs.filter { $0.scheduledAt >= day.start && $0.scheduledAt < day.start + 86_400_000 }
            let href = ofDay.isEmpty ? nil : linker.href(view, fragment: PageParts.dayAnchor(day.start))
            weekCells[weekCells.count - 1][column] = Chart.GridCell(
                className: mark.className, symbol: mark.symbol,
                title: "\(day.day): \(mark.word)\(ofDay.isEmpty ? "" : ", \(ofDay.filter { $0.outcome == .met }.count) of \(ofDay.count) runs met")",
                value: SLOMatrixPage.outcomeValue(outcome), href: href)
            calendarTable.rows.append([Cell(day.day, href: href), Cell(mark.word, value: SLOMatrixPage.outcomeValue(outcome), className: outcome == nil ? nil : mark.className),
                                       Cell.count(ofDay.count), Cell.count(ofDay.filter { $0.outcome == .met }.count)])
        }
        let calendar = Section(
            id: "calendar", heading: "SLO calendar",
            note: "One cell per day (weeks start on Monday): ✓ every run met its SLO, ✗ a run missed, … still running; grey: no run. A day leads to its runs below.",
            chart: Chart.grid(id: "calendar-chart", label: "SLO outcome of \(name) per day", rowLabels: weekRows,
                              columnLabels: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], cells: weekCells, keys: PageParts.outcomeKeys),
            table: calendarTable,
            empty: runs.isEmpty ? "No run of \(name) in these \(days) days." : nil)

        // Run durations against the deadline.
        var durationBars: [Chart.Bar] = []
        var durations = DataTable(id: "runs", caption: "Each run: scheduled time, deadline, runtime (scheduled to last finish) and lateness (above zero is a miss)",
                                  columns: ["Run", "Scheduled", "Deadline", "Outcome", "Runtime (min)", "Lateness (min)", "Apps finished"])
        var anchored = Set<String>()
        for run in runs.sorted(by: { ($0.scheduledAt, $0.runID) > ($1.scheduledAt, $1.runID) }) {
            let mark = PageParts.outcomeMark(run.outcome)
            let anchor = PageParts.dayAnchor(run.scheduledAt)
            let runtime = run.runtimeMinutes
            let lateness = run.finishedAt.map { Double($0 - run.deadline) / 60_000 }
            durations.rows.append([Cell(run.runID), Cell(PageParts.minute(run.scheduledAt)), Cell(PageParts.minute(run.deadline)),
                                   Cell(mark.word, className: mark.className), Cell.number(runtime),
                                   Cell.number(lateness, className: (lateness ?? 0) > 0 ? "missed" : nil),
                                   Cell("\(run.appsFinished)/\(run.appsExpected)", value: Double(run.appsFinished))])
            durations.anchors.append(anchored.insert(anchor).inserted ? anchor : nil)
        }
        for run in runs.sorted(by: { ($0.scheduledAt, $0.runID) < ($1.scheduledAt, $1.runID) }).suffix(60) {
            let mark = PageParts.outcomeMark(run.outcome)
            durationBars.append(Chart.Bar(label: String(Timestamp.formatDate(run.scheduledAt).suffix(5)), segments: [
                Chart.Segment(value: run.runtimeMinutes ?? 0, className: mark.className,
                              title: "\(run.runID) at \(PageParts.minute(run.scheduledAt)): \(run.runtimeMinutes.map { Format.number($0) + " min" } ?? "unfinished"), \(mark.word)"),
            ], href: linker.href(view, fragment: PageParts.dayAnchor(run.scheduledAt))))
        }
        let slo = Double(facts?.sloMinutes ?? 0)
        let durationSection = Section(
            id: "durations", heading: "Run durations against the deadline",
            note: "Minutes from the scheduled time to the last application's finish; the dashed line is the SLO (\(Format.number(slo)) minutes). The newest 60 runs are drawn; the table lists every run.",
            chart: runs.isEmpty ? nil : Chart.bars(id: "durations-chart", label: "Runtime of each run of \(name) against its \(Format.number(slo))-minute SLO",
                                                   bars: durationBars, keys: [Chart.Key(label: "met", className: "met"), Chart.Key(label: "missed", className: "missed"),
                                                                              Chart.Key(label: "pending", className: "pending")],
                                                   goal: (slo, "SLO \(Format.number(slo)) min"), valueText: { Format.number($0, digits: 0) }),
            table: durations, tableOpen: true,
            empty: runs.isEmpty ? "No run in these \(days) days." : nil)

        // Runs × jobs: the state of each job's latest attempt, with the number of attempts.
        var jobOrder: [String] = []
        var seenJobs = Set<String>()
        for attempt in attempts where seenJobs.insert(attempt.job).inserted { jobOrder.append(attempt.job) }
        let jobs = Array(jobOrder.prefix(maxJobColumns))
        var byRun: [String: [String: [JobAttempt]]] = [:]
        var runOrder: [(id: String, at: Int64)] = []
        for attempt in attempts {
            if byRun[attempt.runID] == nil { runOrder.append((attempt.runID, attempt.scheduledAt)) }
            byRun[attempt.runID, default: [:]][attempt.job, default: []].append(attempt)
        }
        runOrder.sort { ($0.at, $0.id) > ($1.at, $1.id) }
        let shownRuns = Array(runOrder.prefix(31))
        var gridRows: [(text: String, href: String?)] = []
        var gridCells: [[Chart.GridCell?]] = []
        var gridTable = DataTable(id: "jobs", caption: "Latest attempt of each job per run (attempts in brackets when more than one)",
                                  columns: ["Run", "Scheduled"] + jobs)
        for run in shownRuns {
            gridRows.append((PageParts.minute(run.at), linker.href(view, fragment: PageParts.dayAnchor(run.at))))
            var cells: [Chart.GridCell?] = []
            var row = [Cell(run.id), Cell(PageParts.minute(run.at))]
            for job in jobs {
                guard let tries = byRun[run.id]?[job], let latest = tries.last else {
                    cells.append(nil)
                    row.append(Cell(""))
                    continue
                }
                let (className, symbol, word) = jobMark(latest.state)
                let label = tries.count > 1 ? "\(word) (\(tries.count))" : word
                cells.append(Chart.GridCell(className: className, symbol: tries.count > 1 ? String(min(tries.count, 9)) : symbol,
                                            title: "\(job) in \(run.id): \(latest.state)\(tries.count > 1 ? ", attempt \(tries.count)" : "")\(latest.appID.map { ", \($0)" } ?? "")",
                                            value: Double(tries.count)))
                row.append(Cell(label, value: Double(tries.count), className: className))
            }
            gridCells.append(cells)
            gridTable.rows.append(row)
        }
        let grid = Section(
            id: "jobs", heading: "Runs × jobs",
            note: jobOrder.count > jobs.count ? "The first \(jobs.count) of \(jobOrder.count) jobs; the JSON has them all." : "Each cell: the job's latest attempt; a number counts its attempts.",
            chart: shownRuns.isEmpty ? nil : Chart.grid(id: "jobs-chart", label: "State of each job's latest attempt per run of \(name)",
                                                        rowLabels: gridRows, columnLabels: jobs, cells: gridCells,
                                                        keys: [Chart.Key(label: "✓ succeeded", className: "met"), Chart.Key(label: "✗ failed", className: "missed"),
                                                               Chart.Key(label: "… running or waiting", className: "pending")]),
            table: gridTable,
            empty: shownRuns.isEmpty ? "No job of \(name) has an application or a scheduler record in these \(days) days." : nil)

        var sections = [calendar, durationSection, grid]
        // The newest late run: its queue while it ran.
        if let late = runs.filter({ $0.outcome == .missed }).max(by: { $0.scheduledAt < $1.scheduledAt }), let facts {
            let queue = "root.\(facts.org).\(facts.project).tier\(facts.tier)"
            let end = late.finishedAt ?? min(snapshot.windowEnd, late.deadline + 3_600_000)
            if let section = snapshot.fleet.lateRunSection(id: "late-run", queue: queue, from: late.scheduledAt, to: max(end, late.scheduledAt + 3_600_000), linker: linker) {
                var section = section
                section.heading = "The queue while the newest late run ran (\(late.runID), \(PageParts.minute(late.scheduledAt)))"
                sections.append(section)
            } else {
                sections.append(Section(id: "late-run", heading: "The queue while the newest late run ran",
                                        empty: "No usage of \(queue) was ingested for the hours of \(late.runID)."))
            }
        }
        return PageModel(view: view, title: name,
                         subtitle: facts.map { "Org \($0.org) · project \($0.project) · tier \($0.tier) · SLO \($0.sloMinutes) minutes · last \(days) days to \(dayList.last?.day ?? "")" } ?? "Last \(days) days",
                         sections: sections, primaryTable: "runs")
    }

    /// A job state's class, symbol and word (YuniKorn's and the scheduler's names).
    static func jobMark(_ state: String) -> (String, String, String) {
        switch state.lowercased() {
        case "completed", "succeeded", "finished": ("met", "✓", "succeeded")
        case "failed", "killed", "rejected", "upstream_failed", "timed_out": ("missed", "✗", state.lowercased())
        default: ("pending", "…", state.lowercased())
        }
    }
}

/// Submissions through the router per hour, by cluster and by decision source, and the failures.
enum RouterPage {
    static func build(_ view: DashboardView, snapshot: DashboardSnapshot, linker: DashboardLinker) throws(DashboardRequestError) -> PageModel {
        let days = try PageParts.days(view, choices: [1, 7, 14], fallback: 7)
        let start = snapshot.windowStart(days: days)
        let clusters = Set(snapshot.submissions.map(\.cluster)).sorted()
        let clusterFilter = view["cluster"]
        if let clusterFilter, !clusters.contains(clusterFilter) {
            throw DashboardRequestError(field: "cluster", message: "the router sent nothing to a cluster called \"\(clusterFilter)\" in these days; the clusters are \(clusters.joined(separator: ", "))")
        }
        let hours = snapshot.submissions.filter { $0.hour >= start && (clusterFilter == nil || $0.cluster == clusterFilter) }
        let hourCount = days * 24
        let sources = ["rule", "routing-table", "onboarding"] + Set(hours.map(\.source)).subtracting(["rule", "routing-table", "onboarding"]).sorted()
        let shownClusters = clusterFilter.map { [$0] } ?? clusters

        var byCluster = Array(repeating: [String: Int](), count: hourCount)
        var bySource = Array(repeating: [String: Int](), count: hourCount)
        var failures = Array(repeating: 0, count: hourCount)
        var table = DataTable(id: "submissions", caption: "Submissions per hour by cluster, decision source and state",
                              columns: ["Hour", "Cluster", "Source", "State", "Submissions"])
        for one in hours {
            let index = Int((one.hour - start) / 3_600_000)
            guard index >= 0, index < hourCount else { continue }
            byCluster[index][one.cluster, default: 0] += one.count
            bySource[index][one.source, default: 0] += one.count
            if one.state == "failed" { failures[index] += one.count }
            table.rows.append([Cell(PageParts.minute(one.hour)), Cell(one.cluster, href: linker.href(view.with("cluster", one.cluster))),
                               Cell(one.source), Cell(one.state, className: one.state == "failed" ? "missed" : nil), Cell.count(one.count)])
        }
        func label(_ index: Int) -> String {
            let text = PageParts.minute(start + Int64(index) * 3_600_000)
            return days == 1 ? String(text.suffix(5)) : String(text.dropFirst(5).prefix(8))
        }
        let clusterBars = (0..<hourCount).map { index in
            Chart.Bar(label: label(index), segments: shownClusters.enumerated().map { k, cluster in
                Chart.Segment(value: Double(byCluster[index][cluster] ?? 0), className: "s\(k % 8)",
                              title: "\(label(index)): \(byCluster[index][cluster] ?? 0) to \(cluster)")
            })
        }
        let sourceBars = (0..<hourCount).map { index in
            Chart.Bar(label: label(index), segments: sources.enumerated().map { k, source in
                Chart.Segment(value: Double(bySource[index][source] ?? 0), className: "s\(k % 8)",
                              title: "\(label(index)): \(bySource[index][source] ?? 0) decided by \(source)")
            })
        }
        let failureBars = (0..<hourCount).map { index in
            Chart.Bar(label: label(index), segments: [Chart.Segment(value: Double(failures[index]), className: "missed",
                                                                    title: "\(label(index)): \(failures[index]) failed")])
        }
        let total = hours.reduce(0) { $0 + $1.count }
        let failed = failures.reduce(0, +)
        let empty = hours.isEmpty ? "The router recorded no submission in these \(days) days\(clusterFilter.map { " for \($0)" } ?? "")." : nil
        let count = { (value: Double) in Format.number(value, digits: 0) }
        var filters = [PageParts.dayChoices(view, current: days, choices: [1, 7, 14], fallback: 7, linker: linker)]
        filters.append(FilterChoice(label: "Cluster", options: [PagerLink(label: "all", href: linker.href(view.with("cluster", nil)), current: clusterFilter == nil)]
            + clusters.map { PagerLink(label: $0, href: linker.href(view.with("cluster", $0)), current: clusterFilter == $0) }))
        return PageModel(
            view: view, title: "Router",
            subtitle: "\(total) submissions in the last \(days) day\(days == 1 ? "" : "s") to \(snapshot.dayList(days: 1).first?.day ?? ""), \(failed) failed\(clusterFilter.map { ", cluster \($0)" } ?? "").",
            filters: filters,
            sections: [
                Section(id: "by-cluster", heading: "Submissions per hour by cluster",
                        chart: empty == nil ? Chart.bars(id: "by-cluster-chart", label: "Submissions per hour by cluster", bars: clusterBars,
                                                         keys: shownClusters.enumerated().map { Chart.Key(label: $1, className: "s\($0 % 8)") }, valueText: count) : nil,
                        table: table, empty: empty),
                Section(id: "by-source", heading: "Submissions per hour by decision source",
                        note: "rule: a routing rule chose the cluster; routing-table: tonight's plan placed the project and tier; onboarding: a new project went where there was headroom.",
                        chart: empty == nil ? Chart.bars(id: "by-source-chart", label: "Submissions per hour by decision source", bars: sourceBars,
                                                         keys: sources.enumerated().map { Chart.Key(label: $1, className: "s\($0 % 8)") }, valueText: count) : nil,
                        empty: empty),
                Section(id: "failures", heading: "Failed submissions per hour",
                        chart: empty == nil ? Chart.bars(id: "failures-chart", label: "Failed submissions per hour", bars: failureBars, valueText: count) : nil,
                        empty: empty ?? (failed == 0 ? "No submission failed." : nil)),
            ], primaryTable: "submissions")
    }
}
