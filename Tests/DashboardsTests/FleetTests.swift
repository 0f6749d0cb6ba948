@testable import Dashboards
import Foundation
import InsightStore
import Store
import TestSupport
import Testing

/// The fleet pages against a store whose truth is known: queue hours written hour by hour and three archived
/// nights of plans with known changes, read back through `DashboardSnapshot.load` (the store's SQL on every
/// backend), then every figure checked: hours borrowing and at max, the heatmap's ratios (cells and SVG), the
/// change marks, placement moves, right-sizing flags, and bad filters naming their field.
///
/// The fleet (window 2026-02-12 to 2026-03-13, 30 days):
/// - night 2026-02-01 (in effect from 02-02): east `root.analytics.reports.tier1` g 3 / max 6 cores, 8Gi / 16Gi.
/// - night 2026-03-10 (from 03-11): tier1 g 4 / max 8, 16Gi / 32Gi; east `…reports.tier2` g 2 / max 4;
///   west `root.data.etl.tier1` g 10 / max 20, 64Gi / 128Gi.
/// - night 2026-03-12 (from 03-13): tier1 g 6 / max 8; tier2 unchanged; etl.tier1 moved to east, same limits.
/// Usage of tier1 on east: 03-01 00h 20 cores (borrowing, at max under 02-01's plan); 03-11 00–09h 5 cores
/// (borrowing), 10–11h 8 cores (borrowing, at max), 12h 3 cores; 03-13 00–04h 5 cores, 05h 7 (borrowing),
/// 06h 7.95 (borrowing, at max: ≥ 99% of 8). etl.tier1 on west: every hour 02-12…03-09 at 30 cores and 100Gi
/// (no plan of it in effect), and 03-11 05h 5 cores, 70Gi (borrowing on memory).
@Suite("Fleet pages", .serialized)  // one store at a time: its migrations block a thread of the small cooperative pool the in-process routers of other suites answer on
struct FleetTests {
    static let gi: Int64 = 1 << 30
    static let hour: Int64 = 3_600_000

    /// Milliseconds of `date` (YYYY-MM-DD) plus `hour` hours, UTC.
    static func at(_ date: String, _ hour: Int = 0) -> Int64 {
        let parts = date.split(separator: "-").map { Int($0)! }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let day = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))!
        return Int64(day.timeIntervalSince1970) * 1000 + Int64(hour) * Self.hour
    }

    struct Leaf {
        var org: String, project: String, tier: String
        var guaranteed: (vcore: String, memory: String)
        var max: (vcore: String, memory: String)
    }

    /// A queues.yaml of `leaves`, grouped into orgs and projects as the allocator writes them.
    static func yaml(_ leaves: [Leaf]) -> String {
        var text = "partitions:\n  - name: default\n    queues:\n      - name: root\n"
        guard !leaves.isEmpty else { return text }
        text += "        queues:\n"
        var orgs: [String] = []
        for leaf in leaves where !orgs.contains(leaf.org) { orgs.append(leaf.org) }
        for org in orgs {
            text += "          - name: \(org)\n            queues:\n"
            var projects: [String] = []
            for leaf in leaves where leaf.org == org && !projects.contains(leaf.project) { projects.append(leaf.project) }
            for project in projects {
                text += "              - name: \(project)\n                queues:\n"
                for leaf in leaves where leaf.org == org && leaf.project == project {
                    let pad = String(repeating: " ", count: 20)
                    text += "                  - name: \(leaf.tier)\n"
                    text += pad + "resources:\n" + pad + "  guaranteed:\n"
                    text += pad + "    vcore: \(leaf.guaranteed.vcore)\n" + pad + "    memory: \(leaf.guaranteed.memory)\n"
                    text += pad + "  max:\n"
                    text += pad + "    vcore: \(leaf.max.vcore)\n" + pad + "    memory: \(leaf.max.memory)\n"
                }
            }
        }
        return text
    }

    static let tier1 = "root.analytics.reports.tier1", tier2 = "root.analytics.reports.tier2", etl = "root.data.etl.tier1"

    /// The store described above.
    static func fleetStore(_ backend: Backend) throws -> InsightStore {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-fleet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try backend.freshStore(in: folder)
        let insert = try store.connection.prepareStatement("""
            INSERT INTO queue_hours (cluster, queue, hour, app_ms, apps_started, vcore, memory, pods) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        func use(_ cluster: String, _ queue: String, _ date: String, _ hour: Int, cores: Double, gib: Double) throws {
            _ = try insert.run([.text(cluster), .text(queue), .integer(at(date, hour)), .integer(3_600_000), .integer(1),
                                .integer(Int64((cores * 1000 * 3600).rounded())), .integer(Int64((gib * Double(gi) * 3600).rounded())),
                                .integer(2 * 3600)])
        }
        try store.connection.transaction {
            try use("east", tier1, "2026-03-01", 0, cores: 20, gib: 1)
            for h in 0..<10 { try use("east", tier1, "2026-03-11", h, cores: 5, gib: 1) }
            for h in 10..<12 { try use("east", tier1, "2026-03-11", h, cores: 8, gib: 1) }
            try use("east", tier1, "2026-03-11", 12, cores: 3, gib: 1)
            for h in 0..<5 { try use("east", tier1, "2026-03-13", h, cores: 5, gib: 1) }
            try use("east", tier1, "2026-03-13", 5, cores: 7, gib: 1)
            try use("east", tier1, "2026-03-13", 6, cores: 7.95, gib: 1)
            var day = at("2026-02-12")
            while day < at("2026-03-10") {
                for h in 0..<24 {
                    _ = try insert.run([.text("west"), .text(etl), .integer(day + Int64(h) * Self.hour), .integer(3_600_000), .integer(1),
                                        .integer(30_000 * 3600), .integer(100 * gi * 3600), .integer(0)])
                }
                day += 24 * Self.hour
            }
            try use("west", etl, "2026-03-11", 5, cores: 5, gib: 70)
        }
        let reports1 = Leaf(org: "analytics", project: "reports", tier: "tier1", guaranteed: ("3", "8Gi"), max: ("6000m", "16Gi"))
        var reports2 = reports1
        reports2.guaranteed = ("4000m", "16Gi")
        reports2.max = ("8", "32Gi")
        var reports3 = reports2
        reports3.guaranteed.vcore = "6"
        let other = Leaf(org: "analytics", project: "reports", tier: "tier2", guaranteed: ("2", "4Gi"), max: ("4", "8Gi"))
        let etlLeaf = Leaf(org: "data", project: "etl", tier: "tier1", guaranteed: ("10", "64Gi"), max: ("20", "128Gi"))
        let nights: [(String, [String: String], String?)] = [
            ("2026-02-01", ["east": yaml([reports1])], nil),
            ("2026-03-10", ["east": yaml([reports2, other]), "west": yaml([etlLeaf])], "2026-02-01"),
            ("2026-03-12", ["east": yaml([reports3, other, etlLeaf]), "west": yaml([])], "2026-03-10"),
        ]
        for (k, (night, configs, previous)) in nights.enumerated() {
            try store.commitPlan(ArchivedPlan(night: night, planID: "plan-\(k)", plannedAt: at(night, 23), windowStart: at(night) - 29 * 24 * Self.hour,
                                              windowEnd: at(night, 24), previousSource: previous == nil ? "none" : "night",
                                              previousNight: previous, configs: configs,
                                              // The newest night keeps its binding constraints; the earlier ones predate them.
                                              bindings: k == 2 ? ["east": "\(Self.tier1)\tmemory\tdemand met\n\(Self.tier1)\tvcore\tchange limit (growth)\nroot.gone.queue\tvcore\tdemand met\nbad line\n"] : [:]),
                                  routing: [])
        }
        return store
    }

    static func snapshot(_ store: InsightStore) throws -> DashboardSnapshot {
        try DashboardSnapshot.load(from: store, days: 30, now: at("2026-03-20"))
    }

    static func page(_ path: String, _ query: String?, _ snapshot: DashboardSnapshot) throws -> PageModel {
        let (view, _) = try DashboardView.parse(path: path, query: query)
        return try DashboardSite().page(view, snapshot: snapshot, details: PrefetchedWorkflowDetails([:], from: 0), linker: .server)
    }

    /// The row of `table` whose first cells read `key`.
    static func row(_ table: DataTable?, _ key: String...) -> [Cell]? {
        table?.rows.first { row in zip(row, key).allSatisfy { $0.text == $1 } }
    }

    static func column(_ table: DataTable?, _ name: String) -> Int? { table?.columns.firstIndex(of: name) }

    static func close(_ a: Double?, _ b: Double) -> Bool { a.map { abs($0 - b) < 1e-9 } ?? false }

    /// `(data-value, data-column)` of every grid cell of an SVG.
    static func gridValues(_ svg: String) -> [(value: Double, column: String)] {
        let regex = /class="cell h\d" data-value="([^"]*)" data-column="([^"]*)"/
        return svg.matches(of: regex).compactMap { match in Double(String(match.1)).map { ($0, String(match.2)) } }
    }

    @Test(arguments: Backend.available)
    func queuesPageCountsBorrowingAndMaxHours(_ backend: Backend) throws {
        let snapshot = try Self.snapshot(try Self.fleetStore(backend))
        #expect(snapshot.windowEnd == Self.at("2026-03-14"))
        let overview = snapshot.fleet.overview
        #expect(overview.queues == 1 && overview.aboveGuaranteed == 1 && overview.atMax == 1, "only tier1 ran on 03-13, borrowing and at max")

        let page = try Self.page("queues", nil, snapshot)
        let table = page.sections.first { $0.id == "queues" }?.table
        let borrowing = Self.column(table, "Hours borrowing")!, atMax = Self.column(table, "Hours at max")!, used = Self.column(table, "Hours used")!
        let tier1 = try #require(Self.row(table, "east", Self.tier1))
        #expect(tier1[borrowing].value == 15)
        #expect(tier1[atMax].value == 4)
        #expect(tier1[used].value == 21)
        #expect(tier1[Self.column(table, "Guaranteed vCPU")!].value == 6, "tonight's plan, night 2026-03-12")
        #expect(tier1[Self.column(table, "Max memory (GiB)")!].value == 32)
        #expect(tier1[Self.column(table, "Peak vCPU")!].value == 20)
        #expect(tier1[1].href == "queue?cluster=east&queue=root.analytics.reports.tier1")
        let etlWest = try #require(Self.row(table, "west", Self.etl))
        #expect(etlWest[borrowing].value == 1, "70Gi above 64Gi on 03-11; the 30-core hours had no plan of it in effect")
        #expect(etlWest[atMax].value == 0)
        #expect(etlWest[used].value == Double(26 * 24 + 1))
        #expect(etlWest[Self.column(table, "Guaranteed vCPU")!].value == nil, "no longer on west tonight")
        #expect(Self.row(table, "east", Self.etl)?[borrowing].value == 0)
        #expect(Self.row(table, "east", Self.tier2)?[used].value == 0)
        #expect(table?.rows.first?[1].text == Self.tier1, "most hours at max first")

        // The state filter, and the last 7 days only.
        let atMaxPage = try Self.page("queues", "state=at-max", snapshot)
        #expect(atMaxPage.sections.first { $0.id == "queues" }?.table?.rows.map { $0[1].text } == [Self.tier1])
        let week = try Self.page("queues", "days=7&cluster=east", snapshot)
        let weekRow = try #require(Self.row(week.sections.first { $0.id == "queues" }?.table, "east", Self.tier1))
        #expect(weekRow[borrowing].value == 14 && weekRow[atMax].value == 3, "03-01 is outside the last 7 days")
    }

    @Test(arguments: Backend.available)
    func heatmapIsUsedOverGuaranteedPerDay(_ backend: Backend) throws {
        let snapshot = try Self.snapshot(try Self.fleetStore(backend))
        let page = try Self.page("queues", nil, snapshot)
        let heatmap = try #require(page.sections.first { $0.id == "heatmap" })
        let table = heatmap.table
        let march11 = try #require(Self.column(table, "2026-03-11")), march13 = Self.column(table, "2026-03-13")!, march1 = Self.column(table, "2026-03-01")!
        let analytics = try #require(Self.row(table, "analytics", "east"))
        #expect(Self.close(analytics[march11].value, (69.0 / 24) / 6), "tier1's mean over tier1 4 + tier2 2 cores")
        #expect(Self.close(analytics[march13].value, (39.95 / 24) / 8))
        #expect(Self.close(analytics[march1].value, (20.0 / 24) / 3), "02-01's plan is in effect from the window's start")
        #expect(analytics[Self.column(table, "2026-03-05")!].value == 0, "planned, idle")
        #expect(analytics[0].href == "queues?org=analytics")
        let dataWest = try #require(Self.row(table, "data", "west"))
        #expect(Self.close(dataWest[march11].value, (5.0 / 24) / 10))
        #expect(dataWest[Self.column(table, "2026-03-05")!].value == nil, "no plan guaranteed etl anything before 03-11")
        #expect(Self.row(table, "data", "east")?[march11].value == nil, "etl reached east from 03-13 only")

        // The SVG carries the same numbers.
        let svg = try #require(heatmap.chart)
        let cells = Self.gridValues(svg)
        #expect(cells.contains { $0.column == "2026-03-11" && Self.close($0.value, (69.0 / 24) / 6) })
        #expect(cells.contains { $0.column == "2026-03-13" && Self.close($0.value, (39.95 / 24) / 8) })
        #expect(svg.contains("class=\"cell h1\" data-value=\"\(Format.exact((69.0 / 24) / 6))\""), "under half of guaranteed: h1")

        // Drilling down: an org's projects, then a project's queues linking to their pages.
        let org = try Self.page("queues", "org=analytics", snapshot)
        let projects = org.sections.first { $0.id == "heatmap" }?.table
        #expect(projects?.rows.map { $0[0].text } == ["reports"])
        #expect(Self.close(projects?.rows.first?[march11].value, (69.0 / 24) / 6))
        let project = try Self.page("queues", "org=analytics&project=reports", snapshot)
        let leaves = project.sections.first { $0.id == "heatmap" }?.table
        #expect(leaves?.rows.map { $0[0].text } == [Self.tier1, Self.tier2])
        #expect(Self.close(leaves?.rows.first?[march11].value, (69.0 / 24) / 4))
        #expect(leaves?.rows.last?[march11].value == 0)
        #expect(leaves?.rows.first?[0].href == "queue?cluster=east&queue=root.analytics.reports.tier1")
    }

    @Test(arguments: Backend.available)
    func queuePageMarksEachPlanChange(_ backend: Backend) throws {
        let snapshot = try Self.snapshot(try Self.fleetStore(backend))
        let page = try Self.page("queue", "cluster=east&queue=root.analytics.reports.tier1", snapshot)
        #expect(page.tiles[0].value == "15" && page.tiles[1].value == "4")
        let vcore = try #require(page.sections.first { $0.id == "vcore" }?.chart)
        let marks = vcore.matches(of: /<circle [^>]*class="change ([^"]*)" data-value="([^"]*)"><title>([^<]*)<\/title>/)
            .map { (String($0.1), String($0.2), String($0.3)) }
        #expect(marks.count == 3, "guaranteed 3 → 4 → 6, max 6 → 8")
        #expect(marks.contains { $0.0 == "s2" && $0.1 == "4" && $0.2.contains("3 cores → 4 cores") && $0.2.contains("night 2026-03-10") && $0.2.contains("from 2026-03-11") })
        #expect(marks.contains { $0.0 == "s2" && $0.1 == "6" && $0.2.contains("4 cores → 6 cores") && $0.2.contains("night 2026-03-12") })
        #expect(marks.contains { $0.0 == "s5 limit" && $0.1 == "8" && $0.2.contains("6 cores → 8 cores") })
        #expect(vcore.matches(of: /class="band"/).count == 30, "one hover band per day")
        #expect(vcore.matches(of: /<polyline\s/).count == 3, "used, guaranteed and max: one polyline each")

        let hours = try #require(page.sections.first { $0.id == "hours" }?.table)
        #expect(hours.rows.count == 21, "the hours with use")
        #expect(hours.anchors.compactMap { $0 } == ["day-2026-03-01", "day-2026-03-11", "day-2026-03-13"])
        let ten = try #require(Self.row(hours, "2026-03-11 10:00"))
        #expect(ten[1].value == 8 && ten[4].value == 4 && ten[5].value == 8)
        #expect(ten[Self.column(hours, "Borrowing")!].value == 1 && ten[Self.column(hours, "At max")!].value == 1)
        let twelve = try #require(Self.row(hours, "2026-03-11 12:00"))
        #expect(twelve[Self.column(hours, "Borrowing")!].value == 0)
        #expect(Self.row(hours, "2026-03-11 13:00") == nil, "idle")
        #expect(hours.rows.reduce(0) { $0 + ($1[Self.column(hours, "Borrowing")!].value ?? 0) } == 15)
        // The hours are the page's CSV and JSON; the page itself has a row a day, where the day bands lead.
        #expect(page.sections.first { $0.id == "hours" }?.tableInPage == false)
        #expect(page.csv().hasPrefix("Hour,vCPU used") && page.csv().contains("2026-03-11 10:00,8,"))
        let days = try #require(page.sections.first { $0.id == "days" }?.table)
        #expect(days.rows.count == 30 && days.anchors.compactMap { $0 }.count == 30)
        let eleventh = try #require(Self.row(days, "2026-03-11"))
        #expect(eleventh[Self.column(days, "Hours borrowing")!].value == Double(hours.rows.filter { $0[0].text.hasPrefix("2026-03-11") && $0[Self.column(hours, "Borrowing")!].value == 1 }.count))
        #expect(eleventh[Self.column(days, "Peak vCPU")!].value == hours.rows.filter { $0[0].text.hasPrefix("2026-03-11") }.compactMap { $0[1].value }.max())
        #expect(days.rows.reduce(0) { $0 + ($1[Self.column(days, "Hours borrowing")!].value ?? 0) } == 15)
        let html = DashboardSite().html(page, snapshot: snapshot, linker: .server, session: nil)
        #expect(html.contains("data-table=\"days\"") && !html.contains("data-table=\"hours\""))
        #expect(html.contains("The 21 rows are in this page's <a href=\"queue.csv?cluster=east&amp;queue=root.analytics.reports.tier1\">CSV</a>"), "the hours are linked")
        // A plan's limit is a step line of a point per change, not two an hour.
        let guaranteedLine = try #require(vcore.firstMatch(of: /<polyline points="([^"]*)" class="line s2"/)?.1)
        #expect(guaranteedLine.split(separator: " ").count <= 8)

        let plans = try #require(page.sections.first { $0.id == "plans" }?.table)
        #expect(plans.rows.map { $0[0].text } == ["2026-02-01", "2026-03-10", "2026-03-12"])
        #expect(plans.rows.map { $0[2].value } == [3, 4, 6])

        // The moved queue on its new cluster: planned, never used there.
        let moved = try Self.page("queue", "cluster=east&queue=root.data.etl.tier1", snapshot)
        #expect(moved.tiles[0].value == "0")
    }

    @Test(arguments: Backend.available)
    func allocationComparesNightsAndFlagsSizing(_ backend: Backend) throws {
        let snapshot = try Self.snapshot(try Self.fleetStore(backend))
        let page = try Self.page("allocation", nil, snapshot)
        #expect(page.subtitle.contains("Night 2026-03-12") && page.subtitle.contains("night 2026-03-10"))
        let table = try #require(page.sections.first { $0.id == "queues" }?.table)
        let tier1 = try #require(Self.row(table, Self.tier1, "east"))
        #expect(tier1[2].text == "changed")
        #expect(tier1[Self.column(table, "Δ guaranteed vCPU")!].value == 2)
        #expect(tier1[Self.column(table, "Δ max vCPU")!].value == 0)
        #expect(tier1[Self.column(table, "Hours run")!].value == 14, "03-01 and 03-11; 03-13 is after the night")
        #expect(tier1[Self.column(table, "p50 vCPU")!].value == 5 && tier1[Self.column(table, "p95 vCPU")!].value == 20)
        #expect(tier1[Self.column(table, "vCPU sizing")!].value == -1, "max 8 below p95 20")
        #expect(tier1[Self.column(table, "Memory sizing")!].value == 1, "guaranteed 16Gi above p95 1Gi")
        let tier2 = try #require(Self.row(table, Self.tier2, "east"))
        #expect(tier2[2].text == "unchanged")
        #expect(tier2[Self.column(table, "vCPU sizing")!].text == "did not run" && tier2[Self.column(table, "vCPU sizing")!].value == nil)
        let etl = try #require(Self.row(table, Self.etl, "east"))
        #expect(etl[2].text == "moved from west")
        #expect(etl[Self.column(table, "p95 vCPU")!].value == 30)
        #expect(etl[Self.column(table, "p50 vCPU")!].value == 30)
        #expect(etl[Self.column(table, "vCPU sizing")!].value == -1, "max 20 below p95 30")
        #expect(etl[Self.column(table, "p95 memory (GiB)")!].value == 100)
        #expect(etl[Self.column(table, "Memory sizing")!].value == 0, "guaranteed 64 ≤ p95 100 ≤ max 128")
        #expect(table.rows.first?[0].text == Self.etl, "moves first")
        let clusters = try #require(page.sections.first { $0.id == "clusters" }?.table)
        let east = try #require(Self.row(clusters, "east"))
        #expect(east[Self.column(clusters, "Guaranteed vCPU")!].value == 18 && east[Self.column(clusters, "Δ guaranteed vCPU")!].value == 12,
                "tier1 6 + tier2 2 + etl 10, against 4 + 2")
        #expect(Self.row(clusters, "west")?[Self.column(clusters, "Queues")!].value == 0)
        let moves = try #require(page.sections.first { $0.id == "moves" }?.table)
        #expect(moves.rows.map { [$0[0].text, $0[1].text, $0[2].text] } == [[Self.etl, "west", "east"]])
        #expect(etl[Self.column(table, "Hours run")!].value == 625)
        #expect(page.tiles.first { $0.label == "Under-provisioned" }?.value == "2")
        #expect(page.tiles.first { $0.label == "Over-provisioned" }?.value == "1")
        #expect(tier1[Self.column(table, "vCPU binding")!].text == "change limit (growth)" && tier1[Self.column(table, "vCPU binding")!].className == "warn")
        #expect(tier1[Self.column(table, "Memory binding")!].text == "demand met")
        #expect(tier2[Self.column(table, "vCPU binding")!].text == "–", "no line for it")
        #expect(page.sections.first { $0.id == "queues" }?.note?.contains("Binding: what held guaranteed") == true)

        // An older night against the one before it.
        let older = try Self.page("allocation", "night=2026-03-10", snapshot)
        let olderTable = older.sections.first { $0.id == "queues" }?.table
        #expect(Self.row(olderTable, Self.tier1, "east")?[Self.column(olderTable, "Δ guaranteed vCPU")!].value == 1)
        #expect(Self.row(olderTable, Self.tier2, "east")?[2].text == "new")
        #expect(Self.row(olderTable, Self.tier1, "east")?[Self.column(olderTable, "vCPU binding")!].text == "–")
        #expect(older.sections.first { $0.id == "queues" }?.note?.contains("archived without its binding constraints") == true)
        #expect(Self.row(olderTable, Self.etl, "west")?[2].text == "new")
    }

    @Test(arguments: Backend.available)
    func lateRunSectionShowsTheQueueWhileItRan(_ backend: Backend) throws {
        let fleet = try Self.snapshot(try Self.fleetStore(backend)).fleet
        let section = try #require(fleet.lateRunSection(id: "late", queue: Self.tier1, from: Self.at("2026-03-11", 9) + 1_800_000,
                                                         to: Self.at("2026-03-11", 11) + 600_000, linker: .server))
        let table = try #require(section.table)
        #expect(table.rows.map { $0[1].text } == ["2026-03-11 09:00", "2026-03-11 10:00", "2026-03-11 11:00"])
        #expect(table.rows.map { $0[Self.column(table, "At max")!].value } == [0, 1, 1])
        #expect(table.rows.map { $0[Self.column(table, "Guaranteed vCPU")!].value } == [4, 4, 4])
        #expect(fleet.lateRunSection(id: "late", queue: Self.tier1, from: Self.at("2026-03-05"), to: Self.at("2026-03-05", 3), linker: .server) == nil)
    }

    /// When the archive begins inside the window, the baseline archived with its first night (the files deployed
    /// before it) holds until that night's plan takes effect, and is what the first night is compared with.
    @Test(arguments: Backend.available)
    func theBaselineHoldsBeforeTheFirstNight(_ backend: Backend) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-fleet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try backend.freshStore(in: folder)
        try store.connection.prepareStatement("""
            INSERT INTO queue_hours (cluster, queue, hour, app_ms, apps_started, vcore, memory, pods) VALUES (?, ?, ?, 0, 0, ?, 0, 0)
            """).run([.text("east"), .text(Self.tier1), .integer(Self.at("2026-03-01", 4)), .integer(20_000 * 3600)])
        let before = Leaf(org: "analytics", project: "reports", tier: "tier1", guaranteed: ("3", "8Gi"), max: ("6", "16Gi"))
        var after = before
        after.guaranteed.vcore = "5"
        try store.commitPlan(ArchivedPlan(night: "2026-03-10", planID: "p", plannedAt: Self.at("2026-03-10", 23), windowStart: 0, windowEnd: 0,
                                          previousSource: "baseline", configs: ["east": Self.yaml([after])],
                                          baseline: ["east": Self.yaml([before])]), routing: [])
        let snapshot = try DashboardSnapshot.load(from: store, days: 30, now: Self.at("2026-03-20"))
        #expect(snapshot.windowEnd == Self.at("2026-03-02"), "the newest usage; tonight's plan is for a later night")
        let queues = try Self.page("queues", nil, snapshot).sections.first { $0.id == "queues" }?.table
        let tier1 = try #require(Self.row(queues, "east", Self.tier1))
        #expect(tier1[Self.column(queues, "Hours borrowing")!].value == 1 && tier1[Self.column(queues, "Hours at max")!].value == 1)
        #expect(tier1[Self.column(queues, "Guaranteed vCPU")!].value == 5, "tonight's plan")
        let queue = try Self.page("queue", "cluster=east&queue=root.analytics.reports.tier1", snapshot)
        #expect(queue.sections.first { $0.id == "plans" }?.table?.rows.map { $0[0].text } == ["baseline", "2026-03-10"])
        let allocation = try Self.page("allocation", nil, snapshot)
        let table = allocation.sections.first { $0.id == "queues" }?.table
        #expect(Self.row(table, Self.tier1, "east")?[Self.column(table, "Δ guaranteed vCPU")!].value == 2)
        #expect(allocation.filters.first?.options.map(\.label) == ["2026-03-10"], "the baseline is not a night to choose")
    }

    /// The linear-time percentiles agree with the nearest rank of a sorted copy, duplicates and all, and so do
    /// the right-sizing verdicts counted from the hours.
    @Test func percentilesAreNearestRank() {
        var generator = SystemRandomNumberGenerator()
        for count in [1, 2, 3, 7, 20, 100, 719] {
            for _ in 0..<20 {
                var values = (0..<count).map { _ in Int64.random(in: 0...(count > 10 ? 9 : 12), using: &generator) }
                let sorted = values.sorted()
                func rank(_ share: Double) -> Int64 { sorted[min(count, max(1, Int((share * Double(count)).rounded(.up)))) - 1] }
                let both = FleetHistory.percentiles(&values, low: 0.5, high: 0.95)
                #expect(both?.low == rank(0.5) && both?.high == rank(0.95), "\(sorted)")
                // The sizing verdict, counted without sorting, is the one the p95 gives (hours of `value` seconds).
                let hours = sorted.map { $0 * 3600 }
                let guaranteed = Int64.random(in: 0...10, using: &generator), maximum = guaranteed + Int64.random(in: 0...10, using: &generator)
                let limits = QueueLimits(guaranteed: ResourceAmounts(vcore: guaranteed), max: ResourceAmounts(vcore: maximum))
                let expected: AllocationPage.Sizing = guaranteed > rank(0.95) ? .over : maximum < rank(0.95) ? .under : .fine
                #expect(AllocationPage.Sizing.of(limits, .vcore, hours: hours.shuffled()) == expected)
            }
        }
        var none: [Int64] = []
        #expect(FleetHistory.percentiles(&none, low: 0.5, high: 0.95) == nil)
    }

    struct BadFilter: Sendable, CustomTestStringConvertible {
        var path: String
        var query: String
        var field: String
        var testDescription: String { "\(path)?\(query)" }
    }

    @Test(arguments: [
        BadFilter(path: "queues", query: "cluster=north", field: "cluster"),
        BadFilter(path: "queues", query: "state=hot", field: "state"),
        BadFilter(path: "queues", query: "org=sales", field: "org"),
        BadFilter(path: "queues", query: "org=analytics&project=etl", field: "project"),
        BadFilter(path: "queues", query: "page=2", field: "page"),
        BadFilter(path: "queues", query: "days=3", field: "days"),
        BadFilter(path: "queue", query: "cluster=north&queue=root.data.etl.tier1", field: "cluster"),
        BadFilter(path: "queue", query: "cluster=west&queue=root.analytics.reports.tier1", field: "queue"),
        BadFilter(path: "allocation", query: "night=2026-03-11", field: "night"),
        BadFilter(path: "allocation", query: "night=last", field: "night"),
        BadFilter(path: "allocation", query: "cluster=north", field: "cluster"),
    ])
    func badFiltersNameTheirField(_ bad: BadFilter) throws {
        let snapshot = try Self.snapshot(try Self.fleetStore(.sqlite))
        do {
            _ = try Self.page(bad.path, bad.query, snapshot)
            Issue.record("\(bad.testDescription) was accepted")
        } catch let error as DashboardRequestError {
            #expect(error.field == bad.field, "\(error)")
        }
    }

    @Test func anEmptyStoreSaysSoOnEveryPage() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-fleet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let snapshot = try Self.snapshot(try Backend.sqlite.freshStore(in: folder))
        #expect(snapshot.fleet.overview == (0, 0, 0))
        let queues = try Self.page("queues", nil, snapshot)
        #expect(queues.sections.allSatisfy { $0.empty?.contains("bursar") == true })
        let allocation = try Self.page("allocation", nil, snapshot)
        #expect(allocation.sections.first?.empty?.contains("No plan is archived yet") == true)
        #expect(throws: DashboardRequestError.self) { try Self.page("queue", "cluster=east&queue=root.a.b.tier1", snapshot) }
        // The pages render to HTML saying so.
        let html = DashboardSite().html(queues, snapshot: snapshot, linker: .server, session: nil)
        #expect(html.contains("class=\"empty\""))
    }

    @Test func pagesRenderAsHTML() throws {
        let snapshot = try Self.snapshot(try Self.fleetStore(.sqlite))
        for (path, query) in [("queues", "org=analytics"), ("queue", "cluster=east&queue=root.analytics.reports.tier1"), ("allocation", "")] {
            let (view, _) = try DashboardView.parse(path: path, query: query)
            let rendered = try DashboardSite().render(view, format: .html, snapshot: snapshot, details: PrefetchedWorkflowDetails([:], from: 0), linker: .server)
            let html = String(decoding: rendered.body, as: UTF8.self)
            #expect(html.contains("<svg") == (path != "allocation"), "\(path)")
            #expect(html.contains("<table"), "\(path)")
            #expect(!html.contains("{{"), "\(path)")
        }
    }
}
