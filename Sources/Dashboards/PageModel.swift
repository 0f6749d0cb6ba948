import Foundation
public import JSONText

/// One cell of a table behind a chart: the text shown, the number it stands for (read by tests and by the CSV
/// and JSON), an optional drill-down link and a style class (`met`, `missed`, `warn`…).
public struct Cell: Sendable, Equatable {
    public var text: String
    public var value: Double?
    public var href: String?
    public var className: String?

    public init(_ text: String, value: Double? = nil, href: String? = nil, className: String? = nil) {
        self.text = text
        self.value = value
        self.href = href
        self.className = className
    }

    /// A number shown with `format`'s rounding, keeping the exact value.
    public static func number(_ value: Double?, digits: Int = 1, href: String? = nil, className: String? = nil) -> Cell {
        guard let value else { return Cell("–", href: href, className: className) }
        return Cell(Format.number(value, digits: digits), value: value, href: href, className: className)
    }

    public static func percent(_ fraction: Double?, href: String? = nil, className: String? = nil) -> Cell {
        guard let fraction else { return Cell("–", href: href, className: className) }
        return Cell(Format.percent(fraction), value: fraction, href: href, className: className)
    }

    public static func count(_ value: Int, href: String? = nil, className: String? = nil) -> Cell {
        Cell(String(value), value: Double(value), href: href, className: className)
    }
}

/// A table: the numbers behind a chart, or a list. Rendered as an HTML table, and as the page's CSV and JSON.
public struct DataTable: Sendable, Equatable {
    public var id: String
    public var caption: String
    public var columns: [String]
    public var rows: [[Cell]]
    /// Per row, an optional element id (a link's `#fragment` lands on it).
    public var anchors: [String?]

    public init(id: String, caption: String, columns: [String], rows: [[Cell]] = [], anchors: [String?] = []) {
        self.anchors = anchors
        self.id = id
        self.caption = caption
        self.columns = columns
        self.rows = rows
    }

    /// RFC 4180 CSV: a header row, then one line per row, the exact values where a cell has one.
    public func csv() -> String { String(decoding: csvBytes(), as: UTF8.self) }

    /// `csv()`'s bytes, with the numbers' texts from `numbers` when given (worked out once for the CSV and the JSON).
    func csvBytes(numbers given: NumberTexts? = nil) -> [UInt8] {
        let numbers = given ?? NumberTexts(self)
        var next = 0
        var out: [UInt8] = []
        out.reserveCapacity(64 + rows.count * max(1, columns.count) * 10)
        for (index, column) in columns.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            Self.appendField(column, into: &out)
        }
        out += "\r\n".utf8
        // By index, reading each field in place: a copy of every cell would retain its strings (a queue's hours are
        // thousands of cells).
        for r in rows.indices {
            for c in rows[r].indices {
                if c > 0 { out.append(UInt8(ascii: ",")) }
                // A number is written as it is: no quote, no formula guard (it is not text a spreadsheet runs).
                if rows[r][c].value != nil {
                    numbers.append(next, into: &out)
                    next += 1
                } else {
                    Self.appendField(rows[r][c].text, into: &out)
                }
            }
            out += "\r\n".utf8
        }
        return out
    }

    /// `csvField(text)`, without building a new string for the common field that needs neither quotes nor a
    /// formula guard.
    private static let quoted: Set<UInt8> = [UInt8(ascii: ","), UInt8(ascii: "\""), UInt8(ascii: "\n"), UInt8(ascii: "\r")]
    private static let guarded: Set<UInt8> = [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@")]

    private static func appendField(_ text: String, into out: inout [UInt8]) {
        if let first = text.utf8.first, !guarded.contains(first), !text.utf8.contains(where: quoted.contains) {
            out += text.utf8
        } else {
            out += csvField(text).utf8
        }
    }

    /// The table as JSON: columns, and rows of cells, each its exact number when it has one, else its text,
    /// and `{text, value?, href}` when it links somewhere (compact: a queue's hours are thousands of cells).
    public func json() -> JSON {
        .object([
            "id": .string(id),
            "caption": .string(caption),
            "columns": .strings(columns),
            "rows": .array(rows.map { row in
                .array(row.map { cell in
                    guard let href = cell.href else { return cell.value.map { .number($0) } ?? .string(cell.text) }
                    var fields: [String: JSON] = ["text": .string(cell.text), "href": .string(href)]
                    if let value = cell.value { fields["value"] = .number(value) }
                    return .object(fields)
                })
            }),
        ])
    }

    /// Appends `json()`'s compact text, cell by cell, with the numbers' texts from `numbers` when given.
    func appendJSON(into out: inout [UInt8], numbers given: NumberTexts? = nil) {
        let numbers = given ?? NumberTexts(self)
        var next = 0
        // A finite number's JSON is its exact text; JSON has no NaN or infinity, so those are null.
        func number(_ value: Double) {
            if value.isFinite { numbers.append(next, into: &out) } else { out += "null".utf8 }
            next += 1
        }
        out += #"{"caption":"#.utf8
        JSON.quote(caption, into: &out)
        out += #","columns":"#.utf8
        JSON.strings(columns).appendCompact(into: &out)
        out += #","id":"#.utf8
        JSON.quote(id, into: &out)
        out += #","rows":["#.utf8
        for r in rows.indices {
            out += r > 0 ? ",[".utf8 : "[".utf8
            for c in rows[r].indices {
                if c > 0 { out.append(UInt8(ascii: ",")) }
                if let href = rows[r][c].href {
                    out += #"{"href":"#.utf8
                    JSON.quote(href, into: &out)
                    out += #","text":"#.utf8
                    JSON.quote(rows[r][c].text, into: &out)
                    if let value = rows[r][c].value {
                        out += #","value":"#.utf8
                        number(value)
                    }
                    out.append(UInt8(ascii: "}"))
                } else if let value = rows[r][c].value {
                    number(value)
                } else {
                    JSON.quote(rows[r][c].text, into: &out)
                }
            }
            out.append(UInt8(ascii: "]"))
        }
        out += "]}".utf8
    }

    /// Each value cell's exact text (`Format.exact`), in row order: the numbers are the most of a page's CSV and
    /// JSON, so each is formatted once for both.
    struct NumberTexts {
        private var bytes: [UInt8] = []
        private var ends: [Int] = []

        init(_ table: DataTable) {
            bytes.reserveCapacity(table.rows.count * max(1, table.columns.count) * 8)
            for r in table.rows.indices {
                for c in table.rows[r].indices {
                    guard let value = table.rows[r][c].value else { continue }
                    Format.appendExact(value, into: &bytes)
                    ends.append(bytes.count)
                }
            }
        }

        /// Appends the text of the `index`-th value cell.
        func append(_ index: Int, into out: inout [UInt8]) {
            out.append(contentsOf: bytes[(index == 0 ? 0 : ends[index - 1])..<ends[index]])
        }
    }

    /// A field quoted when it holds a comma, quote or line break; a leading `=`, `+`, `-` or `@` of text is
    /// prefixed with `'` so a spreadsheet does not run it as a formula.
    static func csvField(_ text: String) -> String {
        var field = text
        if let first = field.first, "=+-@".contains(first), Double(field) == nil { field = "'" + field }
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A tile of the overview: a figure, what it means, and the filtered view it links to.
public struct Tile: Sendable, Equatable {
    public var label: String
    public var value: String
    public var detail: String
    public var href: String
    /// `good`, `bad`, `warn` or `none`: the tile's colour and the word that says the same for those who cannot
    /// see it.
    public var state: String

    public init(label: String, value: String, detail: String, href: String, state: String) {
        self.label = label
        self.value = value
        self.detail = detail
        self.href = href
        self.state = state
    }
}

/// A section of a page: a heading, a chart (inline SVG written by `Chart`) with its table behind it, or a
/// table alone, or the empty state saying why there is nothing.
public struct Section: Sendable, Equatable {
    public var id: String
    public var heading: String
    public var note: String?
    public var chart: String?
    public var table: DataTable?
    /// Whether the table is shown open (a list) or folded under the chart (the numbers behind it).
    public var tableOpen: Bool
    /// Whether the table is in the HTML page; when not (thousands of rows a day table sums up), it is only in
    /// the page's CSV and JSON, and the page links them.
    public var tableInPage: Bool
    /// Said instead of the chart and table when there is no data.
    public var empty: String?
    /// Links to other pages of a long table.
    public var pager: [PagerLink]

    public init(id: String, heading: String, note: String? = nil, chart: String? = nil, table: DataTable? = nil,
                tableOpen: Bool = false, tableInPage: Bool = true, empty: String? = nil, pager: [PagerLink] = []) {
        self.id = id
        self.tableInPage = tableInPage
        self.heading = heading
        self.note = note
        self.chart = chart
        self.table = table
        self.tableOpen = tableOpen
        self.empty = empty
        self.pager = pager
    }
}

/// One link of a pager.
public struct PagerLink: Sendable, Equatable {
    public var label: String
    public var href: String?
    public var current: Bool

    public init(label: String, href: String?, current: Bool) {
        self.label = label
        self.href = href
        self.current = current
    }
}

/// A filter choice shown above a page: the options as links (so they work in a static export too).
public struct FilterChoice: Sendable, Equatable {
    public var label: String
    public var options: [PagerLink]

    public init(label: String, options: [PagerLink]) {
        self.label = label
        self.options = options
    }
}

/// A page ready to render: its sections, tiles and filters, with every link already resolved.
public struct PageModel: Sendable, Equatable {
    public var view: DashboardView
    public var title: String
    public var subtitle: String
    public var tiles: [Tile]
    public var filters: [FilterChoice]
    public var sections: [Section]
    /// The table the page's CSV holds (by id); nil: the first section's table.
    public var primaryTable: String?

    public init(view: DashboardView, title: String, subtitle: String, tiles: [Tile] = [], filters: [FilterChoice] = [],
                sections: [Section], primaryTable: String? = nil) {
        self.view = view
        self.title = title
        self.subtitle = subtitle
        self.tiles = tiles
        self.filters = filters
        self.sections = sections
        self.primaryTable = primaryTable
    }

    /// The tables of the page, in order.
    public var tables: [DataTable] { sections.compactMap(\.table) }

    /// The table the page's CSV holds: the primary one, else the first.
    public var csvTable: DataTable? { csvTableIndex.map { tables[$0] } }

    /// Where `csvTable` is in `tables`: the primary table, else the first; nil when the page has none.
    private var csvTableIndex: Int? {
        primaryTable.flatMap { id in tables.firstIndex { $0.id == id } } ?? (tables.isEmpty ? nil : 0)
    }

    /// The page's CSV: its primary table.
    public func csv() -> String { String(decoding: csvBytes(), as: UTF8.self) }

    /// `csv()`'s bytes.
    public func csvBytes() -> [UInt8] { csvTable?.csvBytes() ?? Array("\r\n".utf8) }

    /// `csvBytes()` and `jsonBytes()` together, each number of the CSV's table formatted once for both.
    public func csvAndJSONBytes() -> (csv: [UInt8], json: [UInt8]) {
        guard let index = csvTableIndex else { return (Array("\r\n".utf8), jsonBytes()) }
        let numbers = DataTable.NumberTexts(tables[index])
        return (tables[index].csvBytes(numbers: numbers), jsonBytes(numbers: (index, numbers)))
    }

    /// The page's JSON: the view, the tiles and every table (keys in byte order, as `JSON` writes them; the
    /// tables written cell by cell, not built as a tree first).
    public func json() -> String { String(decoding: jsonBytes(), as: UTF8.self) }

    /// `json()`'s bytes.
    public func jsonBytes() -> [UInt8] { jsonBytes(numbers: nil) }

    /// `jsonBytes()`, with the numbers of the `numbers.table`-th table from `numbers.texts`.
    private func jsonBytes(numbers: (table: Int, texts: DataTable.NumberTexts)?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096 + tables.reduce(0) { $0 + $1.rows.count * max(1, $1.columns.count) * 8 })
        out += #"{"filters":"#.utf8
        JSON.strings(view.filters).appendCompact(into: &out)
        out += #","page":"#.utf8
        JSON.quote(view.page.rawValue, into: &out)
        out += #","subtitle":"#.utf8
        JSON.quote(subtitle, into: &out)
        out += #","tables":["#.utf8
        for (index, table) in tables.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            table.appendJSON(into: &out, numbers: numbers.flatMap { $0.table == index ? $0.texts : nil })
        }
        out += #"],"tiles":"#.utf8
        JSON.array(tiles.map { .object(["label": .string($0.label), "value": .string($0.value),
                                        "detail": .string($0.detail), "state": .string($0.state)]) }).appendCompact(into: &out)
        out += #","title":"#.utf8
        JSON.quote(title, into: &out)
        out += "}\n".utf8
        return out
    }
}

/// Numbers as the pages show them.
public enum Format {
    /// `value` with at most `digits` decimals, no trailing zeros.
    public static func number(_ value: Double, digits: Int = 1) -> String {
        guard value.isFinite else { return "–" }
        return fixed(value, digits: digits)
    }

    /// `value` rounded to `digits` decimals (half away from zero), trailing zeros and a bare point dropped,
    /// written from integers (pages write hundreds of thousands of numbers; `Double.description` is the slow
    /// part of that). A value too large for 16 digits at that scale is written whole.
    static func fixed(_ value: Double, digits: Int) -> String {
        guard let parts = FixedParts(value, digits: digits) else {
            return abs(value) < 9e15 ? String(Int64(value.rounded())) : value.description
        }
        return String(unsafeUninitializedCapacity: FixedParts.maxBytes) { parts.write(into: $0) }
    }

    /// Appends `fixed(value, digits:)`; a value that is not finite as `0`.
    static func appendFixed(_ value: Double, digits: Int, into out: inout [UInt8]) {
        guard value.isFinite else {
            out.append(UInt8(ascii: "0"))
            return
        }
        guard let parts = FixedParts(value, digits: digits) else {
            out += fixed(value, digits: digits).utf8
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: FixedParts.maxBytes) { buffer in
            let count = parts.write(into: buffer)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// A rounded number as its sign, whole part and trimmed decimals, written from integers.
    private struct FixedParts {
        /// A sign, 16 whole digits, a point and 6 decimals.
        static let maxBytes = 24
        var negative = false
        var whole: Int64 = 0
        var fraction: Int64 = 0
        var places = 0

        /// Nil when the value does not fit in 16 digits at this scale.
        init?(_ value: Double, digits: Int) {
            var scale: Int64 = 1
            for _ in 0..<min(digits, 6) { scale *= 10 }
            let scaled = (value * Double(scale)).rounded()
            guard abs(scaled) < 9e15 else { return nil }
            var units = Int64(scaled)
            negative = units < 0
            if negative { units = -units }
            whole = units / scale
            fraction = units % scale
            places = min(digits, 6)
            if fraction != 0 {
                while fraction % 10 == 0 {
                    fraction /= 10
                    places -= 1
                }
            }
        }

        /// Writes the text into `buffer` (at least `maxBytes` long); returns its length. Zero is "0".
        func write(into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
            var end = 0
            if negative && (whole != 0 || fraction != 0) {
                buffer[end] = UInt8(ascii: "-")
                end += 1
            }
            end = JSON.writeDigits(UInt64(whole), into: buffer, at: end)
            if fraction != 0 {
                buffer[end] = UInt8(ascii: ".")
                end = JSON.writeDigits(UInt64(fraction), minimumWidth: places, into: buffer, at: end + 1)
            }
            return end
        }
    }

    /// A fraction as a percentage with one decimal.
    public static func percent(_ fraction: Double) -> String { number(fraction * 100, digits: 1) + "%" }

    /// Appends `exact(value)`.
    static func appendExact(_ value: Double, into out: inout [UInt8]) {
        // A finite value is written as JSON writes numbers; JSON's null for the others is not this text.
        if value.isFinite { JSON.appendNumber(value, into: &out) } else { out += String(value).utf8 }
    }

    /// The exact value, as the CSV keeps it.
    public static func exact(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// A large count of bytes or resource units, in binary or decimal steps.
    public static func quantity(_ value: Double, unit: String) -> String {
        switch unit {
        case "bytes":
            let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
            var scaled = value
            var index = 0
            while abs(scaled) >= 1024 && index < units.count - 1 {
                scaled /= 1024
                index += 1
            }
            return number(scaled, digits: 1) + " " + units[index]
        default:
            return number(value, digits: 1) + (unit.isEmpty ? "" : " " + unit)
        }
    }
}
