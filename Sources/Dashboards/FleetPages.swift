import Timestamps

/// Pieces the fleet pages share: their filters, heat steps and numbers.
enum FleetParts {
    /// The `cluster` filter, checked against the clusters with usage or a plan.
    static func cluster(_ view: DashboardView, among clusters: [String]) throws(DashboardRequestError) -> String? {
        guard let cluster = view["cluster"] else { return nil }
        guard clusters.contains(cluster) else {
            throw DashboardRequestError(field: "cluster", message: clusters.isEmpty
                ? "no cluster has queue usage or an archived plan yet (got \"\(cluster)\"); run bursar ingest and bursar nightly, or drop the filter"
                : "no queue ran on or was planned for a cluster called \"\(cluster)\" in these days; the clusters are \(clusters.joined(separator: ", "))")
        }
        return cluster
    }

    /// The heat step of used ÷ guaranteed: h0 idle, h1 under half, h2 under 90%, h3 90–100%, h4 up to 1.5×, h5 above.
    static func heatClass(_ ratio: Double) -> String {
        ratio <= 0 ? "h0" : ratio < 0.5 ? "h1" : ratio < 0.9 ? "h2" : ratio <= 1 ? "h3" : ratio <= 1.5 ? "h4" : "h5"
    }

    static let heatKeys: [Chart.Key] = [
        Chart.Key(label: "idle", className: "h0"), Chart.Key(label: "< 50%", className: "h1"), Chart.Key(label: "50–90%", className: "h2"),
        Chart.Key(label: "90–100%", className: "h3"), Chart.Key(label: "! 100–150%", className: "h4"), Chart.Key(label: "! > 150%", className: "h5"),
    ]

    /// An amount in YuniKorn units as a display number cell (– when unset).
    static func amount(_ value: Int64?, _ resource: FleetResource, href: String? = nil) -> Cell {
        Cell.number(value.map(resource.shown), digits: 2, href: href)
    }

    /// The change of an amount between two plans (nil when either is unset).
    static func delta(_ now: Int64?, _ before: Int64?, _ resource: FleetResource) -> Cell {
        guard let now, let before else { return Cell("–") }
        let change = resource.shown(now) - resource.shown(before)
        return Cell((change > 0 ? "+" : "") + Format.number(change, digits: 2), value: change,
                    className: change > 0 ? "warn" : nil)
    }

    /// `MM-DD` of an instant.
    static func shortDay(_ millis: Int64) -> String { String(Timestamp.formatDate(millis).suffix(5)) }

    /// A yes/no cell with its value 1/0.
    static func flag(_ on: Bool, className: String) -> Cell {
        Cell(on ? "yes" : "no", value: on ? 1 : 0, className: on ? className : nil)
    }
}

/// The fleet: per queue hours borrowing above guaranteed and at max over the window with tonight's limits and
/// peaks, filtered by cluster, org, project and state, 100 to a page; above it the heatmap of used ÷ guaranteed
/// by day, orgs (or one org's projects, or one project's queues) on each cluster.
enum QueuesPage {
    static let rowsPerPage = 100
    /// Heatmap rows drawn at most (a platform of thousands of queues is narrowed by its filters).
    static let heatmapRows = 100

    static func build(_ view: DashboardView, snapshot: DashboardSnapshot, linker: DashboardLinker) throws(DashboardRequestError) -> PageModel {
        let fleet = snapshot.fleet
        let days = try PageParts.days(view)
        let range = fleet.lastDays(days)
        let clusterFilter = try FleetParts.cluster(view, among: fleet.clusters)
        let stateFilter = view["state"]
        if let stateFilter, stateFilter != "borrowing" && stateFilter != "at-max" {
            throw DashboardRequestError(field: "state", message: "must be borrowing or at-max (got \"\(stateFilter)\"); drop it for every queue")
        }
        // An org or project is checked on every cluster: one that is only elsewhere is an empty view, not an error
        // (the cluster links keep the org).
        let orgFilter = view["org"], projectFilter = view["project"]
        if let orgFilter, !fleet.queues.contains(where: { $0.org == orgFilter }) {
            let orgs = Set(fleet.queues.map(\.org).filter { !$0.isEmpty }).sorted()
            throw DashboardRequestError(field: "org", message: "no queue of an org called \"\(orgFilter)\" in these days; the orgs are \(orgs.prefix(30).joined(separator: ", "))\(orgs.count > 30 ? ", …" : "")")
        }
        if let projectFilter, !fleet.queues.contains(where: { $0.project == projectFilter && (orgFilter == nil || $0.org == orgFilter) }) {
            let projects = Set(fleet.queues.filter { orgFilter == nil || $0.org == orgFilter }.map(\.project).filter { !$0.isEmpty }).sorted()
            throw DashboardRequestError(field: "project", message: "no queue of a project called \"\(projectFilter)\"\(orgFilter.map { " in org \($0)" } ?? "") in these days; the projects are \(projects.prefix(30).joined(separator: ", "))\(projects.count > 30 ? ", …" : "")")
        }
        let listing = try fleet.queueListings.value([String(days), clusterFilter ?? "", orgFilter ?? "", projectFilter ?? "", stateFilter ?? ""]) {
            Self.listing(fleet, range: range, cluster: clusterFilter, org: orgFilter, project: projectFilter, state: stateFilter)
        }
        let matching = listing.matching, figures = listing.figures, listed = listing.listed
        let firstDay = range.isEmpty ? "" : Timestamp.formatDate(fleet.dayStart(range.lowerBound))
        let lastDay = range.isEmpty ? "" : Timestamp.formatDate(fleet.dayStart(range.upperBound - 1))
        let tonight = fleet.tonight
        let borrowingCount = matching.filter { figures[$0]!.hoursBorrowing > 0 }.count
        let atMaxCount = matching.filter { figures[$0]!.hoursAtMax > 0 }.count

        var filters = [PageParts.dayChoices(view, current: days, linker: linker)]
        let clusters = fleet.clusters
        if clusters.count > 1 || clusterFilter != nil {
            filters.append(FilterChoice(label: "Cluster", options: [PagerLink(label: "all", href: linker.href(view.with("cluster", nil).with("page", nil)), current: clusterFilter == nil)]
                + clusters.map { PagerLink(label: $0, href: linker.href(view.with("cluster", $0).with("page", nil)), current: clusterFilter == $0) }))
        }
        filters.append(FilterChoice(label: "State", options: [("all", nil), ("borrowing", "borrowing"), ("at max", "at-max")].map { label, value in
            PagerLink(label: label, href: linker.href(view.with("state", value).with("page", nil)), current: stateFilter == value)
        }))
        if let orgFilter {
            filters.append(FilterChoice(label: "Org", options: [PagerLink(label: "all orgs", href: linker.href(view.with("org", nil).with("project", nil).with("page", nil)), current: false),
                                                               PagerLink(label: orgFilter, href: nil, current: true)]))
        }
        if let projectFilter {
            filters.append(FilterChoice(label: "Project", options: [PagerLink(label: "all projects", href: linker.href(view.with("project", nil).with("page", nil)), current: false),
                                                                   PagerLink(label: projectFilter, href: nil, current: true)]))
        }

        let tiles = [
            Tile(label: "Queues", value: String(matching.count), detail: "with usage or a plan in these \(range.count) days",
                 href: linker.href(view.with("state", nil).with("page", nil), fragment: "queues"), state: "none"),
            Tile(label: "Borrowing above guaranteed", value: String(borrowingCount), detail: "queues with an hour's mean use above guaranteed",
                 href: linker.href(view.with("state", "borrowing").with("page", nil), fragment: "queues"), state: borrowingCount > 0 ? "warn" : "good"),
            Tile(label: "At max", value: String(atMaxCount), detail: "queues with an hour at ≥ 99% of max",
                 href: linker.href(view.with("state", "at-max").with("page", nil), fragment: "queues"), state: atMaxCount > 0 ? "bad" : "good"),
            Tile(label: "Tonight's plan", value: tonight.map { fleet.nights[$0].night } ?? "none",
                 detail: tonight.map { "planned \(PageParts.minute(fleet.nights[$0].plannedAt))" } ?? "run bursar nightly",
                 href: linker.href(DashboardView(.allocation)), state: tonight == nil ? "warn" : "none"),
        ]

        // The queues, a page at a time; the heatmap above them on the first page only.
        let pages = max(1, (listed.count + rowsPerPage - 1) / rowsPerPage)
        let page = try PageParts.pageNumber(view, pages: pages)
        let heatmap = page > 1 ? nil : heatmapSection(view, fleet: fleet, range: range, queues: matching, org: orgFilter, project: projectFilter, linker: linker)
        let tonightCaption = tonight.map { "tonight's plan (\(fleet.nights[$0].label))" } ?? "no plan yet"
        var table = DataTable(id: "queues", caption: "Per queue over \(firstDay) to \(lastDay): hours used, hours whose mean use was above guaranteed (borrowing) or at ≥ 99% of max, guaranteed and max from \(tonightCaption), peak hourly use",
                              columns: ["Cluster", "Queue", "Hours used", "Hours borrowing", "Hours at max", "Guaranteed vCPU", "Max vCPU",
                                        "Guaranteed memory (GiB)", "Max memory (GiB)", "Peak vCPU", "Peak memory (GiB)"])
        for q in listed.dropFirst((page - 1) * rowsPerPage).prefix(rowsPerPage) {
            let queue = fleet.queues[q], one = figures[q]!
            let now = tonight.flatMap { fleet.limits[$0][q] }
            let href = linker.href(DashboardView(.queue, ["cluster": queue.cluster, "queue": queue.path]))
            table.rows.append([
                Cell(queue.cluster), Cell(queue.path, href: href), Cell.count(one.hoursUsed),
                Cell.count(one.hoursBorrowing, className: one.hoursBorrowing > 0 ? "warn" : nil),
                Cell.count(one.hoursAtMax, className: one.hoursAtMax > 0 ? "missed" : nil),
                FleetParts.amount(now?.guaranteed.vcore, .vcore), FleetParts.amount(now?.max.vcore, .vcore),
                FleetParts.amount(now?.guaranteed.memory, .memory), FleetParts.amount(now?.max.memory, .memory),
                Cell.number(FleetResource.vcore.hourlyMean(one.peakVcore), digits: 2),
                Cell.number(FleetResource.memory.hourlyMean(one.peakMemory), digits: 2),
            ])
        }
        let emptyTable: String? = if fleet.queues.isEmpty {
            "No queue usage is ingested and no plan is archived yet: run bursar ingest, then bursar nightly."
        } else if listed.isEmpty {
            switch stateFilter {
            case "borrowing": "No queue used more than its guaranteed in an hour of these \(range.count) days."
            case "at-max": "No queue reached 99% of its max in an hour of these \(range.count) days."
            default: "No queue matches these filters."
            }
        } else { nil }
        let queuesSection = Section(
            id: "queues", heading: "Queues",
            note: listed.isEmpty ? nil : "\(listed.count) queues, most hours at max first, then most hours borrowing; page \(page) of \(pages). An hour counts when its mean use (resource·seconds ÷ 3,600) of vCPU or memory is above guaranteed, or at ≥ 99% of max, of the plan in effect that hour (a night's plan takes effect when its day ends). A queue leads to its hours.",
            table: listed.isEmpty ? nil : table, tableOpen: true, empty: emptyTable,
            pager: PageParts.pager(view, pages: pages, current: page, linker: linker))

        var scope: [String] = []
        if let clusterFilter { scope.append("cluster \(clusterFilter)") }
        if let orgFilter { scope.append("org \(orgFilter)") }
        if let projectFilter { scope.append("project \(projectFilter)") }
        if let stateFilter { scope.append(stateFilter == "at-max" ? "at max" : "borrowing") }
        return PageModel(view: view, title: "Queues",
                         subtitle: "Queues on every cluster, \(firstDay) to \(lastDay) (UTC)\(scope.isEmpty ? "" : ": " + scope.joined(separator: ", ")).",
                         tiles: tiles, filters: filters, sections: [heatmap, queuesSection].compactMap { $0 }, primaryTable: "queues")
    }

    /// The queues matching a view's filters (every page of it), their figures over the window, and those listed
    /// (the state filter's), most hours at max first, then most hours borrowing.
    struct Listing: Sendable {
        var matching: [Int]
        var figures: [Int: FleetHistory.Figures]
        var listed: [Int]
    }

    static func listing(_ fleet: FleetHistory, range: Range<Int>, cluster clusterFilter: String?, org orgFilter: String?,
                        project projectFilter: String?, state stateFilter: String?) -> Listing {
        let matching = fleet.queues.indices.filter { q in
            let queue = fleet.queues[q]
            return (clusterFilter == nil || queue.cluster == clusterFilter) && (orgFilter == nil || queue.org == orgFilter)
                && (projectFilter == nil || queue.project == projectFilter)
        }
        let figures = Dictionary(uniqueKeysWithValues: matching.map { ($0, fleet.figures($0, days: range)) })
        let listed = matching.filter { q in
            switch stateFilter {
            case "borrowing": figures[q]!.hoursBorrowing > 0
            case "at-max": figures[q]!.hoursAtMax > 0
            default: true
            }
        }.sorted { a, b in
            let fa = figures[a]!, fb = figures[b]!
            if fa.hoursAtMax != fb.hoursAtMax { return fa.hoursAtMax > fb.hoursAtMax }
            if fa.hoursBorrowing != fb.hoursBorrowing { return fa.hoursBorrowing > fb.hoursBorrowing }
            return a < b
        }
        return Listing(matching: matching, figures: figures, listed: listed)
    }

    /// Used ÷ guaranteed vCPU by day for orgs, one org's projects, or one project's queues, each on each cluster.
    static func heatmapSection(_ view: DashboardView, fleet: FleetHistory, range: Range<Int>, queues: [Int],
                               org: String?, project: String?, linker: DashboardLinker) -> Section {
        struct Row {
            var name: String
            var cluster: String
            var href: String
            var members: [Int] = []
        }
        var rows: [String: Row] = [:]
        for q in queues {
            let queue = fleet.queues[q]
            let name: String, href: String
            if project != nil {
                name = queue.path
                href = linker.href(DashboardView(.queue, ["cluster": queue.cluster, "queue": queue.path]))
            } else if org != nil {
                guard !queue.project.isEmpty else { continue }
                name = queue.project
                href = linker.href(view.with("project", queue.project).with("page", nil))
            } else {
                guard !queue.org.isEmpty else { continue }
                name = queue.org
                href = linker.href(view.with("org", queue.org).with("project", nil).with("page", nil))
            }
            rows[name + "\u{0}" + queue.cluster, default: Row(name: name, cluster: queue.cluster, href: href)].members.append(q)
        }
        let level = project != nil ? "queue" : org != nil ? "project" : "org"
        let ordered = rows.values.sorted { ($0.name, $0.cluster) < ($1.name, $1.cluster) }
        let shown = ordered.prefix(heatmapRows)
        let dayLabels = range.map { Timestamp.formatDate(fleet.dayStart($0)) }
        var rowLabels: [(text: String, href: String?)] = []
        var cells: [[Chart.GridCell?]] = []
        var table = DataTable(id: "heatmap", caption: "Used ÷ guaranteed vCPU per \(level) and cluster per day (the day's mean use over the sum of its queues' guaranteed)",
                              columns: [level == "queue" ? "Queue" : level == "project" ? "Project" : "Org", "Cluster"] + dayLabels)
        var anyValue = false
        for row in shown {
            rowLabels.append(("\(level == "queue" ? row.name.split(separator: ".").last.map(String.init) ?? row.name : row.name) · \(row.cluster)", row.href))
            var rowCells: [Chart.GridCell?] = []
            var tableRow = [Cell(row.name, href: row.href), Cell(row.cluster)]
            for (i, d) in range.enumerated() {
                var seconds: Int64 = 0, guaranteed: Int64 = 0
                for q in row.members {
                    seconds += fleet.vcoreSeconds[q * fleet.days + d]
                    guaranteed += fleet.limits(q, day: d)?.guaranteed.vcore ?? 0
                }
                guard guaranteed > 0 else {
                    rowCells.append(nil)
                    tableRow.append(Cell("–"))
                    continue
                }
                anyValue = true
                let used = Double(seconds) / 86_400
                let ratio = used / Double(guaranteed)
                let title = "\(row.name) on \(row.cluster), \(dayLabels[i]): \(Format.percent(ratio)) of guaranteed (mean \(FleetResource.vcore.text(used / 1000)) of \(FleetResource.vcore.text(Double(guaranteed) / 1000)))"
                rowCells.append(Chart.GridCell(className: FleetParts.heatClass(ratio), symbol: ratio > 1 ? "!" : "", title: title, value: ratio))
                tableRow.append(Cell.percent(ratio, className: ratio > 1 ? "warn" : nil))
            }
            cells.append(rowCells)
            table.rows.append(tableRow)
        }
        let heading = level == "org" ? "Orgs by day: used ÷ guaranteed" : level == "project" ? "Projects of \(org!) by day: used ÷ guaranteed" : "Queues of \(org.map { "\($0)." } ?? "")\(project!) by day: used ÷ guaranteed"
        let empty: String? = if ordered.isEmpty {
            fleet.queues.isEmpty ? "No queue usage is ingested and no plan is archived yet: run bursar ingest, then bursar nightly." : "No \(level) matches these filters."
        } else if !anyValue {
            fleet.nights.isEmpty ? "No plan is archived yet, so there is no guaranteed to compare usage with: run bursar nightly."
                : "No plan was in effect in these days (the first, \(fleet.nights[0].label), takes effect when its day ends, \(fleet.nights[0].effectiveText) UTC), and no baseline was archived with it, so there is no guaranteed to compare usage with yet."
        } else { nil }
        var note = "Each cell: the day's mean vCPU used (vcore·seconds ÷ 86,400) over the sum of the guaranteed vCPU of the \(level == "queue" ? "queue" : "\(level)'s queues") in that day's plan; blank: no plan guaranteed anything that day. ! marks a day above guaranteed."
        note += level == "queue" ? " A queue leads to its hours." : " A row leads to its \(level == "org" ? "projects" : "queues")."
        if ordered.count > shown.count { note += " The first \(shown.count) of \(ordered.count) rows; filter by cluster or org for the rest." }
        return Section(
            id: "heatmap", heading: heading, note: empty == nil ? note : nil,
            chart: empty == nil ? Chart.grid(id: "heatmap-chart", label: heading, rowLabels: rowLabels, columnLabels: dayLabels, cells: cells, keys: FleetParts.heatKeys) : nil,
            table: empty == nil ? table : nil, empty: empty)
    }
}

/// One queue on one cluster: hourly vCPU, memory and pods used over the window, with guaranteed and max from
/// each night's plan as step lines marked where a plan changed them, and the hours behind it.
enum QueuePage {
    static func build(_ view: DashboardView, snapshot: DashboardSnapshot, linker: DashboardLinker) throws(DashboardRequestError) -> PageModel {
        let fleet = snapshot.fleet
        let days = try PageParts.days(view)
        let range = fleet.lastDays(days)
        guard let cluster = try FleetParts.cluster(view, among: fleet.clusters) else {
            throw DashboardRequestError(field: "cluster", message: "the queue page needs one (for example queue?cluster=…&queue=…)")
        }
        let path = view["queue"] ?? ""
        guard let q = fleet.queue(cluster: cluster, path: path) else {
            let elsewhere = (fleet.queuesOfPath[path] ?? []).map { fleet.queues[$0].cluster }
            throw DashboardRequestError(field: "queue", message: "no queue \"\(path)\" ran on or was planned for \(cluster) in these days"
                + (elsewhere.isEmpty ? "; the queues page lists every queue" : "; it is on \(elsewhere.joined(separator: ", ")) (change cluster)"))
        }
        let figures = fleet.figures(q, days: range)
        let hours = range.count * 24
        let firstDay = range.isEmpty ? "" : Timestamp.formatDate(fleet.dayStart(range.lowerBound))
        let lastDay = range.isEmpty ? "" : Timestamp.formatDate(fleet.dayStart(range.upperBound - 1))
        let used = Dictionary(uniqueKeysWithValues: FleetResource.allCases.map { ($0, fleet.hourly(q, $0, days: range)) })
        let dayLimits = range.map { fleet.limits(q, day: $0) }
        let usedHour = (0..<hours).map { h in FleetResource.allCases.contains { used[$0]![h] != 0 } }
        // Each day's figures, for its hover band and its row.
        let dayFigures = range.map { fleet.figures(q, days: $0..<($0 + 1)) }

        // Per day: the hover band's summary.
        var bands: [Chart.Band] = []
        for (i, d) in range.enumerated() {
            let start = fleet.dayStart(d)
            let day = dayFigures[i]
            let limit = dayLimits[i]
            var title = "\(Timestamp.formatDate(start)): mean \(FleetResource.vcore.text(Double(day.vcoreSeconds) / 86_400 / 1000)), peak \(FleetResource.vcore.text(FleetResource.vcore.hourlyMean(day.peakVcore)))"
            if let limit {
                title += "; guaranteed \(limit.guaranteed.vcore.map { FleetResource.vcore.text(FleetResource.vcore.shown($0)) } ?? "–"), max \(limit.max.vcore.map { FleetResource.vcore.text(FleetResource.vcore.shown($0)) } ?? "–")"
                title += "; \(day.hoursBorrowing) hours borrowing, \(day.hoursAtMax) at max"
            } else {
                title += "; no plan in effect"
            }
            // A day with use leads to its hours in the table.
            bands.append(Chart.Band(from: i * 24, to: (i + 1) * 24, label: FleetParts.shortDay(start), title: title,
                                    href: day.hoursUsed > 0 ? linker.href(view, fragment: PageParts.dayAnchor(start)) : nil))
        }

        func limitSeries(_ resource: FleetResource, max: Bool) -> Chart.Series {
            let word = max ? "max" : "guaranteed"
            var values: [Double?] = []
            var changes: [(index: Int, title: String)] = []
            var previous: Int64?
            for (i, d) in range.enumerated() {
                let limit = dayLimits[i].flatMap { max ? $0.max[resource] : $0.guaranteed[resource] }
                if i > 0, let limit, limit != previous {
                    let night = fleet.nights[fleet.nightOfDay[d]]
                    let before = previous.map { resource.text(resource.shown($0)) } ?? "none"
                    changes.append((i * 24, "\(word) \(resource.label) \(before) → \(resource.text(resource.shown(limit))): \(night.label)'s plan, in effect from \(night.effectiveText)"))
                }
                previous = limit
                values.append(contentsOf: repeatElement(limit.map(resource.shown), count: 24))
            }
            return Chart.Series(name: word, className: max ? "s5 limit" : "s2", values: values, step: true, changes: changes)
        }

        func chartSection(_ resource: FleetResource) -> Section? {
            let limitLines = [limitSeries(resource, max: false), limitSeries(resource, max: true)].filter { $0.values.contains { $0 != nil } }
            let series = [Chart.Series(name: "used (hourly mean)", className: "s0", values: used[resource]!.map { resource.hourlyMean($0) })] + limitLines
            let hasLimit = !limitLines.isEmpty
            let hasUse = used[resource]!.contains { $0 != 0 }
            if resource == .pods && !hasUse && !hasLimit { return nil }
            let heading = resource == .pods ? "Pods" : resource == .vcore ? "vCPU (cores)" : "Memory (GiB)"
            return Section(
                id: resource.rawValue, heading: heading,
                note: hasLimit ? "Hourly mean use against guaranteed and max (dashed) of the plan in effect; a dot marks a night whose plan changed them (hover for the old and new value)."
                    : "No plan in effect in these days sets \(resource.label) for this queue; the line is its hourly mean use.",
                // The day bands (hover and drill-down) on the vCPU chart; the others are read against its days.
                chart: Chart.lines(id: "\(resource.rawValue)-chart", label: "\(resource.label) used by \(path) on \(cluster) per hour against guaranteed and max",
                                   count: hours, series: series,
                                   bands: resource == .vcore ? bands : bands.map { Chart.Band(from: $0.from, to: $0.to, label: $0.label, title: nil, href: nil) },
                                   valueText: { Format.number($0, digits: 1) }),
                empty: hasUse || hasLimit ? nil : "\(path) used no \(resource.label) on \(cluster) in these \(range.count) days.")
        }

        // The plans in effect in these days, and tonight's.
        var planTable = DataTable(id: "plans", caption: "Guaranteed and max of \(path) on \(cluster) in each night's plan (in effect from the end of the night's day)",
                                  columns: ["Night", "In effect from", "Guaranteed vCPU", "Max vCPU", "Guaranteed memory (GiB)", "Max memory (GiB)"])
        let firstNight = range.isEmpty ? fleet.nights.count : (fleet.nightOfDay[range.lowerBound] >= 0 ? fleet.nightOfDay[range.lowerBound] : 0)
        for n in fleet.nights.indices where n >= firstNight {
            let limit = fleet.limits[n][q]
            planTable.rows.append([
                fleet.nights[n].isBaseline ? Cell("baseline")
                    : Cell(fleet.nights[n].night, href: linker.href(DashboardView(.allocation, n == fleet.tonight ? [:] : ["night": fleet.nights[n].night]))),
                Cell(fleet.nights[n].effectiveText),
                limit == nil ? Cell("not in plan") : FleetParts.amount(limit?.guaranteed.vcore, .vcore), FleetParts.amount(limit?.max.vcore, .vcore),
                FleetParts.amount(limit?.guaranteed.memory, .memory), FleetParts.amount(limit?.max.memory, .memory),
            ])
        }
        let plans = Section(id: "plans", heading: "Plans", table: planTable.rows.isEmpty ? nil : planTable, tableOpen: true,
                            empty: planTable.rows.isEmpty ? "No plan is archived for these days yet: run bursar nightly." : nil)

        // The hours behind the charts: those with use (the others used nothing, against the limits of the plans above).
        var table = DataTable(id: "hours", caption: "Each hour with use: mean use (resource·seconds ÷ 3,600) against the plan in effect",
                              columns: ["Hour", "vCPU used", "Memory used (GiB)", "Pods", "Guaranteed vCPU", "Max vCPU",
                                        "Guaranteed memory (GiB)", "Max memory (GiB)", "Borrowing", "At max"])
        for (i, d) in range.enumerated() {
            let limit = dayLimits[i]
            var first = true
            for h in 0..<24 where usedHour[i * 24 + h] {
                let index = i * 24 + h
                let v = used[.vcore]![index], m = used[.memory]![index]
                let instant = fleet.dayStart(d) + Int64(h) * FleetHistory.hourMillis
                // Numbers only: this table is the CSV and JSON, which write a cell's value, never its text.
                func datum(_ value: Double?) -> Cell { value.map { Cell("", value: $0) } ?? Cell("–") }
                table.rows.append([
                    Cell(PageParts.minute(instant)), datum(FleetResource.vcore.hourlyMean(v)),
                    datum(FleetResource.memory.hourlyMean(m)), datum(FleetResource.pods.hourlyMean(used[.pods]![index])),
                    datum(limit?.guaranteed.vcore.map(FleetResource.vcore.shown)), datum(limit?.max.vcore.map(FleetResource.vcore.shown)),
                    datum(limit?.guaranteed.memory.map(FleetResource.memory.shown)), datum(limit?.max.memory.map(FleetResource.memory.shown)),
                    FleetParts.flag(limit?.borrowing(vcore: v, memory: m) ?? false, className: "warn"),
                    FleetParts.flag(limit?.atMax(vcore: v, memory: m) ?? false, className: "missed"),
                ])
                table.anchors.append(first ? PageParts.dayAnchor(fleet.dayStart(d)) : nil)
                first = false
            }
        }
        // In the page, a row a day (where the day bands and tiles lead); each hour is in the CSV and JSON.
        var dayTable = DataTable(id: "days", caption: "Each day: mean and peak hourly use against the plan in effect, hours borrowing and at max",
                                 columns: ["Day", "Hours used", "Mean vCPU", "Peak vCPU", "Mean memory (GiB)", "Peak memory (GiB)",
                                           "Guaranteed vCPU", "Max vCPU", "Hours borrowing", "Hours at max"])
        for (i, d) in range.enumerated() {
            let day = dayFigures[i]
            let limit = dayLimits[i]
            let memorySeconds = used[.memory]![(i * 24)..<(i * 24 + 24)].reduce(0, +)
            dayTable.rows.append([
                Cell(Timestamp.formatDate(fleet.dayStart(d))), Cell.count(day.hoursUsed),
                Cell.number(Double(day.vcoreSeconds) / 86_400 / FleetResource.vcore.scale, digits: 2),
                Cell.number(FleetResource.vcore.hourlyMean(day.peakVcore), digits: 2),
                Cell.number(FleetResource.memory.hourlyMean(memorySeconds) / 24, digits: 2),
                Cell.number(FleetResource.memory.hourlyMean(day.peakMemory), digits: 2),
                FleetParts.amount(limit?.guaranteed.vcore, .vcore), FleetParts.amount(limit?.max.vcore, .vcore),
                Cell.count(day.hoursBorrowing, className: day.hoursBorrowing > 0 ? "warn" : nil),
                Cell.count(day.hoursAtMax, className: day.hoursAtMax > 0 ? "missed" : nil),
            ])
            dayTable.anchors.append(PageParts.dayAnchor(fleet.dayStart(d)))
        }
        let daysSection = Section(id: "days", heading: "Days", table: dayTable.rows.isEmpty ? nil : dayTable, tableOpen: true,
                                  empty: dayTable.rows.isEmpty ? "No days in this window." : nil)
        let hoursSection = Section(id: "hours", heading: "Hours with use",
                                   note: table.rows.isEmpty ? nil : "The \(table.rows.count) of the \(hours) hours in which \(path) used anything on \(cluster) (in the others it used nothing), each with its mean use against the plan in effect.",
                                   table: table.rows.isEmpty ? nil : table, tableOpen: true, tableInPage: false,
                                   empty: table.rows.isEmpty ? "\(path) used nothing on \(cluster) in these \(range.count) days." : nil)

        let now = fleet.tonight.flatMap { fleet.limits[$0][q] }
        let tiles = [
            Tile(label: "Hours borrowing", value: String(figures.hoursBorrowing), detail: "mean use above guaranteed (vCPU or memory), of \(figures.hoursUsed) hours used",
                 href: linker.href(view, fragment: "days"), state: figures.hoursBorrowing > 0 ? "warn" : "good"),
            Tile(label: "Hours at max", value: String(figures.hoursAtMax), detail: "mean use at ≥ 99% of max",
                 href: linker.href(view, fragment: "days"), state: figures.hoursAtMax > 0 ? "bad" : "good"),
            Tile(label: "Peak vCPU", value: FleetResource.vcore.text(FleetResource.vcore.hourlyMean(figures.peakVcore)),
                 detail: "peak memory \(FleetResource.memory.text(FleetResource.memory.hourlyMean(figures.peakMemory)))",
                 href: linker.href(view, fragment: "vcore"), state: "none"),
            Tile(label: "Tonight's guaranteed / max vCPU",
                 value: now.map { "\($0.guaranteed.vcore.map { Format.number(FleetResource.vcore.shown($0), digits: 2) } ?? "–") / \($0.max.vcore.map { Format.number(FleetResource.vcore.shown($0), digits: 2) } ?? "–")" } ?? "not planned",
                 detail: fleet.tonight.map { fleet.nights[$0].label } ?? "no plan archived yet",
                 href: linker.href(view, fragment: "plans"), state: now == nil ? "warn" : "none"),
        ]
        var sections = FleetResource.allCases.compactMap(chartSection)
        sections.append(daysSection)
        sections.append(plans)
        sections.append(hoursSection)
        return PageModel(view: view, title: path,
                         subtitle: "On \(cluster), \(firstDay) to \(lastDay) (UTC): hourly use against each night's guaranteed and max.",
                         tiles: tiles, filters: [PageParts.dayChoices(view, current: days, linker: linker)], sections: sections, primaryTable: "hours")
    }
}

/// Tonight's plan (the newest night, or `night=`) against the night before: per queue the change of guaranteed
/// and max, placement moves, and right-sizing against the hourly usage of the 30 days it was sized from.
enum AllocationPage {
    static let rowsPerPage = 100
    static let sizingDays = 30

    /// How a queue's limits compare with its usage: guaranteed above p95 is over-provisioned, max below p95
    /// under-provisioned.
    enum Sizing: Double {
        case under = -1, fine = 0, over = 1

        var word: String {
            switch self {
            case .under: "under-provisioned"
            case .fine: "ok"
            case .over: "over-provisioned"
            }
        }

        /// The verdict for `limits` over the hours' `values` (resource·seconds), nil when either is missing. The
        /// p95 is the `rank`-th smallest value, so it is below guaranteed when at least `rank` values are, and
        /// above max when fewer than `rank` are at most max: counted, not sorted, for thousands of queues.
        static func of(_ limits: QueueLimits?, _ resource: FleetResource, hours values: [Int64]) -> Sizing? {
            guard let limits, !values.isEmpty, limits.guaranteed[resource] != nil || limits.max[resource] != nil else { return nil }
            let rank = Swift.max(1, Int((0.95 * Double(values.count)).rounded(.up)))
            if let guaranteed = limits.guaranteed[resource].map(Double.init),
               values.count(where: { Double($0) / 3600 < guaranteed }) >= rank { return .over }
            if let max = limits.max[resource].map(Double.init),
               values.count(where: { Double($0) / 3600 <= max }) < rank { return .under }
            return .fine
        }
    }

    enum Change: Int, Comparable {
        case moved, new, removed, changed, same

        var word: String {
            switch self {
            case .moved: "moved"
            case .new: "new"
            case .removed: "removed"
            case .changed: "changed"
            case .same: "unchanged"
            }
        }

        static func < (a: Change, b: Change) -> Bool { a.rawValue < b.rawValue }
    }

    /// Right-sizing of every queue in night `n`'s plan: the hours the queue ran in the 30 days the plan was
    /// sized from (as far as the dashboards hold them). Idle hours are left out: a batch queue that runs two hours
    /// a night would otherwise have a p95 of nothing. Worked out once per night and snapshot, for every page of
    /// the night and every cluster filter.
    static func sizingVerdicts(_ fleet: FleetHistory, night n: Int) -> [Int: SizingVerdict] {
        let night = fleet.nights[n]
        let windowEnd = min(night.effective, fleet.dayStart(fleet.days))
        let windowStart = max(night.effective - Int64(sizingDays) * FleetHistory.dayMillis, fleet.start)
        var verdicts: [Int: SizingVerdict] = [:]
        verdicts.reserveCapacity(night.leaves.count)
        for q in night.leaves {
            var active = fleet.activeHours(path: fleet.queues[q].path, from: windowStart, to: windowEnd)
            let now = fleet.limits[n][q]
            var verdict = SizingVerdict(hours: active.vcore.count)
            verdict.sizing[.vcore] = Sizing.of(now, .vcore, hours: active.vcore)
            verdict.sizing[.memory] = Sizing.of(now, .memory, hours: active.memory)
            for (resource, both) in [(FleetResource.vcore, FleetHistory.percentiles(&active.vcore, low: 0.5, high: 0.95)),
                                     (.memory, FleetHistory.percentiles(&active.memory, low: 0.5, high: 0.95))] {
                verdict.p50[resource] = both?.low
                verdict.p95[resource] = both?.high
            }
            verdicts[q] = verdict
        }
        return verdicts
    }

    /// The rows of night `n` (filtered to a cluster) and its placement moves, in the page's order.
    struct Rows: Sendable {
        var shown: [Row]
        var moves: [Row]
        /// Over- and under-provisioned and idle queues of `shown` (the tiles), by night `n`'s right-sizing.
        var over = 0, under = 0, idle = 0
    }

    static func rows(_ fleet: FleetHistory, night n: Int, cluster clusterFilter: String?, sizing: [Int: SizingVerdict]) -> Rows {
        let night = fleet.nights[n]
        let previous = n > 0 ? n - 1 : nil
        // Rows: tonight's leaves, then last night's that are gone.
        let leavesBefore = previous.map { Set(fleet.nights[$0].leaves) } ?? []
        let leavesNow = Set(night.leaves)
        var rows: [Row] = []
        var moves: [Row] = []
        for q in night.leaves {
            let queue = fleet.queues[q]
            let now = fleet.limits[n][q]
            guard let previous else {
                rows.append(Row(queue: q, change: .new, now: now))
                continue
            }
            if leavesBefore.contains(q) {
                let before = fleet.limits[previous][q]
                rows.append(Row(queue: q, change: before == now ? .same : .changed, now: now, before: before))
            } else if let from = (fleet.queuesOfPath[queue.path] ?? []).first(where: { $0 != q && leavesBefore.contains($0) && !leavesNow.contains($0) }) {
                let row = Row(queue: q, change: .moved, now: now, before: fleet.limits[previous][from], from: fleet.queues[from].cluster)
                rows.append(row)
                moves.append(row)
            } else {
                rows.append(Row(queue: q, change: .new, now: now))
            }
        }
        if let previous {
            let moved = Set(moves.map { fleet.queues[$0.queue].path })
            for q in fleet.nights[previous].leaves where !leavesNow.contains(q) && !moved.contains(fleet.queues[q].path) {
                rows.append(Row(queue: q, change: .removed, before: fleet.limits[previous][q]))
            }
        }
        let shown = rows.filter { clusterFilter == nil || fleet.queues[$0.queue].cluster == clusterFilter || $0.from == clusterFilter }
            .sorted { a, b in
                if a.change != b.change { return a.change < b.change }
                return a.queue < b.queue
            }

        var listing = Rows(shown: shown, moves: moves)
        for row in shown where row.change != .removed {
            guard let verdict = sizing[row.queue] else { continue }
            if verdict.sizing.values.contains(.over) { listing.over += 1 }
            if verdict.sizing.values.contains(.under) { listing.under += 1 }
            if verdict.hours == 0 { listing.idle += 1 }
        }
        return listing
    }

    struct Row: Sendable {
        var queue: Int
        var change: Change
        var now: QueueLimits?
        var before: QueueLimits?
        var from: String?
    }

    static func build(_ view: DashboardView, snapshot: DashboardSnapshot, linker: DashboardLinker) throws(DashboardRequestError) -> PageModel {
        let fleet = snapshot.fleet
        let names = fleet.nights.map { $0.isBaseline ? "" : $0.night }
        var n = fleet.tonight
        if let night = view["night"] {
            guard let index = names.firstIndex(of: night), !night.isEmpty else {
                let archived = names.filter { !$0.isEmpty }
                let shown = archived.reversed().prefix(10).joined(separator: ", ")
                throw DashboardRequestError(field: "night", message: Timestamp.parse(night) == nil || night.count != 10
                    ? "must be a night as YYYY-MM-DD (got \"\(night)\")"
                    : archived.isEmpty ? "no plan is archived yet (got \"\(night)\"); run bursar nightly, or drop the filter"
                    : "no plan is archived for night \(night) in the dashboards' days; the nights are \(shown)\(archived.count > 10 ? ", …" : "")")
            }
            n = index
        }
        guard let n else {
            _ = try FleetParts.cluster(view, among: fleet.clusters)
            return PageModel(view: view, title: "Allocation", subtitle: "Tonight's plan against last night's.",
                             sections: [Section(id: "queues", heading: "Queues",
                                                empty: "No plan is archived yet: bursar nightly (or bursar allocate) plans each night and archives the plan in the store.")])
        }
        let night = fleet.nights[n]
        let previous = n > 0 ? n - 1 : nil
        let clusters = Set(night.clusters + (previous.map { fleet.nights[$0].clusters } ?? [])).sorted()
        let clusterFilter = try FleetParts.cluster(view, among: clusters)

        let sizing = try fleet.sizingMemo.value(n) { sizingVerdicts(fleet, night: n) }
        let listing = try fleet.allocationRows.value([String(n), clusterFilter ?? ""]) { rows(fleet, night: n, cluster: clusterFilter, sizing: sizing) }
        let shownRows = listing.shown, moves = listing.moves

        // Right-sizing: the hours the queue ran in the 30 days the plan was sized from (as far as the dashboards
        // hold them). Idle hours are left out: a batch queue that runs two hours a night would otherwise have a p95
        // of nothing. Every queue gets its verdicts; the p50 and p95 themselves only those on this page.
        let pages = max(1, (shownRows.count + rowsPerPage - 1) / rowsPerPage)
        let page = try PageParts.pageNumber(view, pages: pages)
        let onPage = ((page - 1) * rowsPerPage)..<min(shownRows.count, page * rowsPerPage)
        let windowStart = max(night.effective - Int64(sizingDays) * FleetHistory.dayMillis, fleet.start)
        let sizingHours = Int(max(0, min(night.effective, fleet.dayStart(fleet.days)) - windowStart) / FleetHistory.hourMillis)
        let over = listing.over, under = listing.under, idle = listing.idle

        var filters: [FilterChoice] = [FilterChoice(label: "Night", options: names.indices.reversed().filter { !fleet.nights[$0].isBaseline }.prefix(31).map { k in
            PagerLink(label: names[k], href: linker.href(view.with("night", k == fleet.tonight ? nil : names[k]).with("page", nil)), current: k == n)
        })]
        if clusters.count > 1 || clusterFilter != nil {
            filters.append(FilterChoice(label: "Cluster", options: [PagerLink(label: "all", href: linker.href(view.with("cluster", nil).with("page", nil)), current: clusterFilter == nil)]
                + clusters.map { PagerLink(label: $0, href: linker.href(view.with("cluster", $0).with("page", nil)), current: clusterFilter == $0) }))
        }
        let count = { (change: Change) in shownRows.filter { $0.change == change }.count }
        let tiles = [
            Tile(label: "Queues planned", value: String(shownRows.filter { $0.change != .removed }.count), detail: "leaf queues in night \(night.night)'s plan",
                 href: linker.href(view, fragment: "queues"), state: "none"),
            Tile(label: "Changed", value: String(count(.changed)), detail: "guaranteed or max changed since \(previous.map { fleet.nights[$0].label } ?? "(no earlier night)")",
                 href: linker.href(view, fragment: "queues"), state: "none"),
            Tile(label: "Moved", value: String(count(.moved)), detail: "\(count(.new)) new, \(count(.removed)) removed",
                 href: linker.href(view, fragment: "moves"), state: count(.moved) > 0 ? "warn" : "none"),
            Tile(label: "Over-provisioned", value: String(over), detail: "guaranteed above the p95 of hourly use; \(idle) more did not run at all",
                 href: linker.href(view, fragment: "queues"), state: over > 0 ? "warn" : "good"),
            Tile(label: "Under-provisioned", value: String(under), detail: "max below the p95 of hourly use",
                 href: linker.href(view, fragment: "queues"), state: under > 0 ? "bad" : "good"),
        ]

        // Guaranteed and max per cluster, the night before and tonight.
        var totals = DataTable(id: "clusters", caption: "Guaranteed and max summed over each cluster's leaf queues, \(previous.map { fleet.nights[$0].label } ?? "no earlier night") and night \(night.night)",
                               columns: ["Cluster", "Queues before", "Queues", "Guaranteed vCPU before", "Guaranteed vCPU", "Δ guaranteed vCPU",
                                         "Max vCPU", "Guaranteed memory before (GiB)", "Guaranteed memory (GiB)", "Δ guaranteed memory", "Max memory (GiB)"])
        func sums(_ m: Int?, _ cluster: String) -> (queues: Int, amounts: [Int64])? {
            guard let m else { return nil }
            let leaves = fleet.nights[m].leaves.filter { fleet.queues[$0].cluster == cluster }
            var amounts = [Int64](repeating: 0, count: 4)
            for q in leaves {
                let limit = fleet.limits[m][q]
                amounts[0] += limit?.guaranteed.vcore ?? 0
                amounts[1] += limit?.max.vcore ?? 0
                amounts[2] += limit?.guaranteed.memory ?? 0
                amounts[3] += limit?.max.memory ?? 0
            }
            return (leaves.count, amounts)
        }
        for cluster in clusters where clusterFilter == nil || cluster == clusterFilter {
            let before = sums(previous, cluster), now = sums(n, cluster)!
            totals.rows.append([
                Cell(cluster, href: linker.href(view.with("cluster", cluster).with("page", nil))),
                before.map { Cell.count($0.queues) } ?? Cell("–"), Cell.count(now.queues),
                FleetParts.amount(before?.amounts[0], .vcore), FleetParts.amount(now.amounts[0], .vcore), FleetParts.delta(now.amounts[0], before?.amounts[0], .vcore),
                FleetParts.amount(now.amounts[1], .vcore),
                FleetParts.amount(before?.amounts[2], .memory), FleetParts.amount(now.amounts[2], .memory), FleetParts.delta(now.amounts[2], before?.amounts[2], .memory),
                FleetParts.amount(now.amounts[3], .memory),
            ])
        }
        let clusterSection = Section(id: "clusters", heading: "Clusters", table: totals.rows.isEmpty ? nil : totals, tableOpen: true,
                                     empty: totals.rows.isEmpty ? "No cluster has a plan file for night \(night.night)." : nil)

        // Placement moves.
        var moveTable = DataTable(id: "moves", caption: "Project and tier queues placed on another cluster than the night before",
                                  columns: ["Queue", "From", "To", "Guaranteed vCPU before", "Guaranteed vCPU now", "Max vCPU before", "Max vCPU now"])
        for row in moves where clusterFilter == nil || fleet.queues[row.queue].cluster == clusterFilter || row.from == clusterFilter {
            let queue = fleet.queues[row.queue]
            moveTable.rows.append([Cell(queue.path, href: linker.href(DashboardView(.queue, ["cluster": queue.cluster, "queue": queue.path]))),
                                   Cell(row.from ?? ""), Cell(queue.cluster),
                                   FleetParts.amount(row.before?.guaranteed.vcore, .vcore), FleetParts.amount(row.now?.guaranteed.vcore, .vcore),
                                   FleetParts.amount(row.before?.max.vcore, .vcore), FleetParts.amount(row.now?.max.vcore, .vcore)])
        }
        let movesSection = Section(id: "moves", heading: "Placement moves", table: moveTable.rows.isEmpty ? nil : moveTable, tableOpen: true,
                                   empty: moveTable.rows.isEmpty ? (previous == nil ? "No earlier night to compare placements with." : "No queue moved to another cluster.") : nil)

        // Every queue, a page at a time.
        var table = DataTable(id: "queues", caption: "Per leaf queue: night \(night.night)'s guaranteed and max, the change since \(previous.map { fleet.nights[$0].label } ?? "no earlier night"), and the p50 and p95 of its hourly use",
                              columns: ["Queue", "Cluster", "Change", "Guaranteed vCPU", "Δ guaranteed vCPU", "Max vCPU", "Δ max vCPU",
                                        "Guaranteed memory (GiB)", "Δ guaranteed memory", "Max memory (GiB)", "Δ max memory",
                                        "vCPU binding", "Memory binding",
                                        "Hours run", "p50 vCPU", "p95 vCPU", "vCPU sizing", "p50 memory (GiB)", "p95 memory (GiB)", "Memory sizing"])
        let bindings = fleet.bindings(night: n)
        for k in onPage {
            let row = shownRows[k], verdict = row.change == .removed ? nil : sizing[row.queue]
            let queue = fleet.queues[row.queue]
            var cells = [
                Cell(queue.path, href: row.change == .removed ? nil : linker.href(DashboardView(.queue, ["cluster": queue.cluster, "queue": queue.path]))),
                Cell(queue.cluster),
                Cell(row.change == .moved ? "moved from \(row.from ?? "")" : row.change.word, className: row.change == .same ? nil : "warn"),
            ]
            let limits = row.change == .removed ? row.before : row.now
            for (resource, isMax) in [(FleetResource.vcore, false), (.vcore, true), (.memory, false), (.memory, true)] {
                let now = isMax ? limits?.max[resource] : limits?.guaranteed[resource]
                let before = isMax ? row.before?.max[resource] : row.before?.guaranteed[resource]
                cells.append(FleetParts.amount(now, resource))
                cells.append(row.change == .removed || row.change == .new ? Cell("–") : FleetParts.delta(now, before, resource))
            }
            // What held each guaranteed where it is (the allocation report's binding constraint); none for a removed queue.
            for resource in ["vcore", "memory"] {
                let binding = row.change == .removed ? nil : bindings[row.queue]?[resource]
                cells.append(Cell(binding ?? "–", className: binding.map { $0 == "demand met" || $0 == "no demand" ? nil : "warn" } ?? nil))
            }
            cells.append(verdict.map { Cell.count($0.hours) } ?? Cell("–"))
            for resource in [FleetResource.vcore, .memory] {
                cells.append(Cell.number(verdict?.p50[resource].map(resource.hourlyMean), digits: 2))
                cells.append(Cell.number(verdict?.p95[resource].map(resource.hourlyMean), digits: 2))
                if let sizing = verdict?.sizing[resource] {
                    cells.append(Cell(sizing.word, value: sizing.rawValue, className: sizing == .fine ? nil : sizing == .over ? "warn" : "missed"))
                } else {
                    cells.append(Cell(verdict?.hours == 0 ? "did not run" : "–", className: verdict?.hours == 0 ? "warn" : nil))
                }
            }
            table.rows.append(cells)
        }
        let clipped = sizingHours < sizingDays * 24
        let note = "Tonight's plan takes effect when night \(night.night)'s day ends (\(PageParts.minute(night.effective)) UTC). "
            + "Right-sizing: p50 and p95 (nearest rank) of the queue's hourly mean use (on every cluster it ran) over the hours it ran in "
            + (clipped ? "the \(sizingHours / 24) days from \(PageParts.minute(windowStart)) the dashboards hold of the \(sizingDays) days it was sized from" : "the \(sizingDays) days it was sized from")
            + ": over-provisioned when guaranteed is above p95, under-provisioned when max is below it. "
            + (night.bindings.isEmpty ? "This night was archived without its binding constraints (before they were kept), so they show as –. "
                : "Binding: what held guaranteed where it is (demand met, the change limit, the tier's shared shortfall, the tier-3 floor), as the night's allocation report says. ")
            + "Page \(page) of \(pages): moved, new, removed and changed queues first."
        let queuesSection = Section(id: "queues", heading: "Queues", note: shownRows.isEmpty ? nil : note,
                                    table: shownRows.isEmpty ? nil : table, tableOpen: true,
                                    empty: shownRows.isEmpty ? "Night \(night.night)'s plan has no leaf queue\(clusterFilter.map { " on \($0)" } ?? "")." : nil,
                                    pager: PageParts.pager(view, pages: pages, current: page, linker: linker))
        var subtitle = "Night \(night.night), planned \(PageParts.minute(night.plannedAt)) UTC, against \(previous.map { fleet.nights[$0].label } ?? "no earlier night")\(clusterFilter.map { ", cluster \($0)" } ?? "")."
        if !night.unreadable.isEmpty { subtitle += " The archived file of \(night.unreadable.joined(separator: ", ")) does not decode and is left out." }
        return PageModel(view: view, title: "Allocation", subtitle: subtitle, tiles: tiles, filters: filters,
                         sections: [clusterSection, movesSection, queuesSection], primaryTable: "queues")
    }
}
