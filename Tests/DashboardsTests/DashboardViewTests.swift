@testable import Dashboards
import JSONText
import Testing

/// Views are permalinks: parsed strictly from a path and query, linked the same way on the router and in an
/// export, with defaults never spelled, so each view has one address.
struct DashboardViewTests {
    @Test func aPathAndQueryNameOneView() throws {
        let (view, format) = try DashboardView.parse(path: "slo.csv", query: "tier=1&org=data%20eng&days=30")
        #expect(view.page == .slo)
        #expect(format == .csv)
        #expect(view.filters == ["tier": "1", "org": "data eng"], "days=30 is the default and is dropped")
        #expect(DashboardLinker.server.href(view) == "slo?org=data%20eng&tier=1")
        #expect(DashboardLinker.export().href(view, format: .json) == "slo~org=data_20eng~tier=1.json")
    }

    struct BadRequest: Sendable, CustomTestStringConvertible {
        var path: String
        var query: String?
        var field: String
        var testDescription: String { "\(path)?\(query ?? "")" }
    }

    @Test(arguments: [
        BadRequest(path: "nope", query: nil, field: "path"),
        BadRequest(path: "slo", query: "color=red", field: "color"),
        BadRequest(path: "slo", query: "tier=1&tier=2", field: "tier"),
        BadRequest(path: "workflow", query: nil, field: "name"),
        BadRequest(path: "queue", query: "cluster=a", field: "queue"),
        BadRequest(path: "slo", query: "org=%ZZ", field: "query"),
        BadRequest(path: "slo", query: String(repeating: "a", count: 5000), field: "query"),
    ])
    func badRequestsNameTheirField(_ bad: BadRequest) {
        #expect(throws: DashboardRequestError.self) { try DashboardView.parse(path: bad.path, query: bad.query) }
        do {
            _ = try DashboardView.parse(path: bad.path, query: bad.query)
        } catch {
            #expect(error.field == bad.field)
        }
    }

    @Test func anExportLinksTheNearestViewItHolds() {
        let export = DashboardLinker.export()
        #expect(export.href(DashboardView(.queues, ["cluster": "c0", "org": "o1"])) == "queues~org=o1.html")
        #expect(export.href(DashboardView(.queues, ["org": "o1", "project": "p1", "page": "2"])) == "queues~org=o1~page=2~project=p1.html")
        #expect(export.href(DashboardView(.queues, ["cluster": "c0"])) == "queues.html")
        #expect(export.href(DashboardView(.slo, ["days": "7", "tier": "1"])) == "slo~tier=1.html")
        #expect(export.href(DashboardView(.router, ["days": "1"])) == "router.html")
        #expect(export.href(DashboardView(.workflow, ["name": "w", "days": "7"]), fragment: "day-1") == "workflow~name=w.html#day-1")
        #expect(DashboardLinker.server.href(DashboardView(.slo, ["days": "7", "tier": "1"])) == "slo?days=7&tier=1", "the router serves them all")
    }

    @Test func anExportFollowsOnlyTheLinksAPageShows() {
        let linked = LinkedViews()
        let export = DashboardLinker.export(recordingInto: linked)
        let shown = export.href(DashboardView(.queues, ["org": "o1"]), fragment: "heatmap")
        _ = export.href(DashboardView(.queues, ["org": "o2"]))  // made for a table the page then left out
        let tile = export.href(DashboardView(.allocation))
        let html = Array("<a href=\"\(shown)\">o1</a><svg><a href=\"\(tile)\"><rect/></a></svg><a href=\"queue~x.html\">".utf8)
        #expect(linked.shown(in: html) == [DashboardView(.queues, ["org": "o1"]), DashboardView(.allocation)])
        #expect(linked.shown(in: Array("<p>no links</p>".utf8)).isEmpty)
        #expect(linked.shown(in: Array("<a href=\"queues~org=o1.html".utf8)) == [DashboardView(.queues, ["org": "o1"])], "a torn page")
    }

    @Test func numbersAreRoundedAndTrimmed() {
        let cases: [(Double, Int, String)] = [
            (3.789, 2, "3.79"), (3.8, 2, "3.8"), (3.0, 2, "3"), (0.004, 2, "0"), (0.005, 2, "0.01"), (-0.5, 1, "-0.5"),
            (-0.04, 1, "0"), (1234567.891, 1, "1234567.9"), (0.0625, 3, "0.063"), (12.05, 0, "12"), (99.999, 2, "100"),
            (1e20, 1, "1e+20"), (2.5e-7, 2, "0"), (0.101, 2, "0.1"), (0.07, 2, "0.07"),
        ]
        for (value, digits, text) in cases {
            #expect(Format.number(value, digits: digits) == text, "\(value) to \(digits)")
            // The byte writer the charts use writes the same text.
            var bytes: [UInt8] = [0x3C]
            Format.appendFixed(value, digits: digits, into: &bytes)
            #expect(bytes == [0x3C] + Array(text.utf8), "\(value) to \(digits), as bytes")
        }
        #expect(Format.number(.nan) == "–" && Format.number(.infinity) == "–")
        // Exact values, as the CSV and JSON write them, with integers written digit by digit.
        for value in [0.0, -0.0, 7, -7, 10, 99, 100, 1234567890123, -999_999_999_999_999, 2.5, -0.125, 1e20, 0.1] {
            var bytes: [UInt8] = []
            Format.appendExact(value, into: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == Format.exact(value), "\(value)")
        }
        #expect(SVGWriter.number(12.345) == "12.35" && SVGWriter.number(-3) == "-3" && SVGWriter.number(.nan) == "0")
    }

    @Test func aPageJSONIsTheTreeItDescribes() {
        var table = DataTable(id: "t\"1", caption: "cap <tion>", columns: ["A", "B\n", "C"])
        table.rows = [[Cell("x", value: 1.5, href: "q.html#a"), Cell("–"), Cell.count(7)], [Cell("y\u{1}"), Cell.number(0.1, digits: 2), Cell("", href: "r")],
                      [Cell("n", value: .nan), Cell("i", value: .infinity, href: "s"), Cell("", value: 1e20)]]
        let page = PageModel(view: DashboardView(.queues, ["org": "o\"1"]), title: "T", subtitle: "S",
                             tiles: [Tile(label: "L", value: "3", detail: "d", href: "h", state: "good")],
                             sections: [Section(id: "s", heading: "H", table: table), Section(id: "e", heading: "E", empty: "none")])
        let tree = JSON.object([
            "page": .string("queues"), "filters": .strings(["org": "o\"1"]), "title": .string("T"), "subtitle": .string("S"),
            "tiles": .array([.object(["label": .string("L"), "value": .string("3"), "detail": .string("d"), "state": .string("good")])]),
            "tables": .array([table.json()]),
        ])
        #expect(page.json() == tree.compact() + "\n")
    }

    @Test func theExportsCSVAndJSONAreThePagesOwn() {
        // The export formats the CSV table's numbers once for both files: the same bytes as each alone, whichever
        // table is the CSV's, with numbers JSON cannot hold (null there) and linked cells with values.
        var first = DataTable(id: "a", caption: "A", columns: ["x", "y"])
        first.rows = [[Cell("1", value: 1), Cell("n", value: .nan)], [Cell("i", value: -.infinity, href: "q.html"), Cell("t")]]
        var second = DataTable(id: "b", caption: "B", columns: ["p", "q", "r"])
        second.rows = [[Cell("", value: 0.1 + 0.2), Cell("k", value: 2.5, href: "r.html#d"), Cell("w")], [Cell("", value: 1e20), Cell("–"), Cell("", value: -3)]]
        for primary in [nil, "a", "b", "missing"] {
            let page = PageModel(view: DashboardView(.queues), title: "T", subtitle: "S",
                                 sections: [Section(id: "s1", heading: "1", table: first), Section(id: "s2", heading: "2", table: second)],
                                 primaryTable: primary)
            let both = page.csvAndJSONBytes()
            #expect(both.csv == page.csvBytes(), "CSV with primary \(primary ?? "nil")")
            #expect(both.json == page.jsonBytes(), "JSON with primary \(primary ?? "nil")")
            #expect(String(decoding: both.json, as: UTF8.self).contains("null"))
        }
        let empty = PageModel(view: DashboardView(.queues), title: "T", subtitle: "S", sections: [Section(id: "e", heading: "E", empty: "none")])
        #expect(empty.csvAndJSONBytes().csv == empty.csvBytes() && empty.csvAndJSONBytes().json == empty.jsonBytes())
    }

    @Test func minutesAreWrittenInUTC() {
        let midnight: Int64 = 1_794_268_800_000  // 2026-11-10
        #expect(PageParts.minute(0) == "1970-01-01 00:00")
        #expect(PageParts.minute(midnight + 13 * 3_600_000 + 5 * 60_000 + 59_999) == "2026-11-10 13:05")
        #expect(PageParts.minute(midnight - 60_000) == "2026-11-09 23:59")
        #expect(PageParts.minute(-1) == "1969-12-31 23:59")
    }

    @Test func exportFileNamesAreSafeAndDistinct() {
        let hostile = DashboardView(.workflow, ["name": "../../etc/passwd<script>\"'"])
        let name = DashboardLinker.fileName(hostile, format: .html)
        #expect(!name.contains("/") && !name.contains("<") && !name.contains("\"") && !name.contains("%"))
        #expect(name != DashboardLinker.fileName(DashboardView(.workflow, ["name": "../../etc/passwd<script>\"`"]), format: .html))
        let long = DashboardView(.workflow, ["name": String(repeating: "x", count: 400)])
        #expect(DashboardLinker.fileName(long, format: .html).utf8.count < 200)
        #expect(DashboardLinker.fileName(DashboardView(.overview), format: .html) == "index.html")
    }

    @Test func svgTextAndAttributesAreEscaped() {
        var svg = SVGWriter(width: 10, height: 10, label: "a <b> & \"c\"", id: "x\"y", interactive: false)
        svg.element("rect", ["class": "\"><script>"], title: "</title><script>alert(1)</script>")
        svg.label("<tspan>", x: 0, y: 0)
        let text = svg.finished()
        #expect(!text.contains("<script>"))
        #expect(!text.contains("<tspan>"))
        #expect(text.contains("&lt;/title&gt;&lt;script&gt;"))
        #expect(text.contains("class=\"&quot;&gt;&lt;script&gt;\""))
    }

    @Test func csvQuotesAndDefusesFormulas() {
        let table = DataTable(id: "t", caption: "", columns: ["a", "b"], rows: [[Cell("=SUM(A1)"), Cell("x,\"y\"")], [Cell.number(1.25), Cell("-3", value: -3)]])
        #expect(table.csv() == "a,b\r\n'=SUM(A1),\"x,\"\"y\"\"\"\r\n1.25,-3\r\n")
    }
}
