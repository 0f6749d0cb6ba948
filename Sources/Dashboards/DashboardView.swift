/// One view of the dashboards: a page and its filters. Every view is a permalink: on the router it is
/// `/dashboards/<page>?<filters>`, in a static export a file whose name spells the same page and filters, so a
/// link drawn on any page leads to the same view either way.
public struct DashboardView: Hashable, Sendable, Comparable {
    /// The pages.
    public enum Page: String, Sendable, CaseIterable, Comparable {
        case overview
        /// SLO matrix: workflows by org and tier against days.
        case slo
        /// One workflow: its SLO calendar, its runs × jobs, durations against the deadline.
        case workflow
        /// The fleet: queues, the heatmap of used ÷ guaranteed, borrowing and hours at max.
        case queues
        /// One queue on one cluster: hourly usage with guaranteed and max from each night's plan.
        case queue
        /// Tonight's plan against last night's, and right-sizing.
        case allocation
        /// Submissions per hour by cluster and decision source.
        case router

        public static func < (a: Page, b: Page) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }

        /// The page's heading and navigation label.
        public var title: String {
            switch self {
            case .overview: "Overview"
            case .slo: "SLO matrix"
            case .workflow: "Workflow"
            case .queues: "Queues"
            case .queue: "Queue"
            case .allocation: "Allocation"
            case .router: "Router"
            }
        }

        /// The filters the page reads; any other is refused, so a mistyped link fails loudly.
        public var filterNames: Set<String> {
            switch self {
            case .overview: ["days"]
            case .slo: ["days", "org", "tier", "page"]
            case .workflow: ["name", "days"]
            case .queues: ["days", "cluster", "org", "project", "state", "page"]
            case .queue: ["cluster", "queue", "days"]
            case .allocation: ["night", "cluster", "page"]
            case .router: ["days", "cluster"]
            }
        }

        /// Filter values a page takes when none is given: a link never spells them, so each view has one address.
        public var defaults: [String: String] {
            switch self {
            case .router: ["days": "7", "page": "1"]
            default: ["days": "30", "page": "1"]
            }
        }

        /// Filters without which the page has nothing to show.
        public var requiredFilters: [String] {
            switch self {
            case .workflow: ["name"]
            case .queue: ["cluster", "queue"]
            default: []
            }
        }
    }

    public var page: Page
    /// Filter values by name (only names in `page.filterNames`; empty values are dropped).
    public private(set) var filters: [String: String]

    public init(_ page: Page, _ filters: [String: String] = [:]) {
        self.page = page
        let defaults = page.defaults
        self.filters = filters.filter { !$0.value.isEmpty && defaults[$0.key] != $0.value }
    }

    public subscript(_ name: String) -> String? { filters[name] }

    /// The same page with one filter set (nil or empty removes it).
    public func with(_ name: String, _ value: String?) -> DashboardView {
        var copy = self
        if let value, !value.isEmpty, page.defaults[name] != value { copy.filters[name] = value } else { copy.filters[name] = nil }
        return copy
    }

    /// The filters in name order, as a query string's pairs.
    public var sortedFilters: [(name: String, value: String)] {
        filters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    public static func < (a: DashboardView, b: DashboardView) -> Bool {
        if a.page != b.page { return a.page < b.page }
        return a.sortedFilters.lexicographicallyPrecedes(b.sortedFilters) { ($0.name, $0.value) < ($1.name, $1.value) }
    }
}

extension DashboardView {
    /// The filter sets a static export holds for each page: the default windows and the drill-downs (an org's
    /// projects, a project's queues, a workflow, a queue), not every combination of filters, which would make
    /// the export grow with the product of orgs, clusters, states and windows.
    static let exportedFilterSets: [Page: [Set<String>]] = [
        .overview: [[]],
        .slo: [["tier", "org", "page"], ["tier", "page"], ["org", "page"]],
        .workflow: [["name"]],
        .queues: [["org", "project", "page"], ["state", "page"], ["org", "page"], ["page"]],
        .queue: [["cluster", "queue"]],
        .allocation: [["night", "page"], ["page"]],
        .router: [["cluster"]],
    ]

    /// The view an export links instead: this one when the export holds it, else the same page with the filters
    /// of the largest set the export holds (`page` only with the filters it pages).
    public var exported: DashboardView {
        let keys = Set(filters.keys)
        let sets = Self.exportedFilterSets[page] ?? [[]]
        if sets.contains(where: { keys.isSubset(of: $0) }) { return self }
        // A page number belongs to the filters it pages, so it goes with any of them.
        for allowed in sets.sorted(by: { $0.count > $1.count }) {
            let kept = filters.filter { allowed.contains($0.key) && $0.key != "page" }
            if Set(kept.keys) == allowed.subtracting(["page"]) { return DashboardView(page, kept) }
        }
        return DashboardView(page)
    }
}

/// A request for a view that cannot be served: which part of it, and what to do instead.
public struct DashboardRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// What a view is rendered as: the page, or the data behind it.
public enum DashboardFormat: String, Sendable, CaseIterable {
    case html
    case csv
    case json

    public var contentType: String {
        switch self {
        case .html: "text/html; charset=utf-8"
        case .csv: "text/csv; charset=utf-8"
        case .json: "application/json"
        }
    }

    public var fileExtension: String { rawValue }
}

extension DashboardView {
    /// Bounds on what a caller can ask for: a query is short, a value is a name or a number.
    public static let maxQueryBytes = 4096
    public static let maxValueBytes = 512

    /// The view and format of a path below `/dashboards/` (`""`, `queues`, `queues.csv`, `queue.json`) and a
    /// query string, or what is wrong with them.
    public static func parse(path: String, query: String?) throws(DashboardRequestError) -> (DashboardView, DashboardFormat) {
        var name = Substring(path)
        while name.hasPrefix("/") { name = name.dropFirst() }
        var format = DashboardFormat.html
        for candidate in DashboardFormat.allCases where name.hasSuffix(".\(candidate.fileExtension)") {
            format = candidate
            name = name.dropLast(candidate.fileExtension.count + 1)
        }
        if name.isEmpty || name == "index" { name = "overview" }
        guard let page = Page(rawValue: String(name)) else {
            throw DashboardRequestError(field: "path", message: "no dashboard page is called \"\(name)\"; the pages are \(Page.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var filters: [String: String] = [:]
        if let query, !query.isEmpty {
            guard query.utf8.count <= maxQueryBytes else {
                throw DashboardRequestError(field: "query", message: "longer than \(maxQueryBytes) bytes; filters are short names and numbers")
            }
            for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let key = percentDecoded(parts[0]), let value = percentDecoded(parts.count > 1 ? parts[1] : "") else {
                    throw DashboardRequestError(field: "query", message: "\"\(pair)\" is not percent-encoded UTF-8")
                }
                guard page.filterNames.contains(key) else {
                    throw DashboardRequestError(field: key, message: "is not a filter of the \(page.rawValue) page; its filters are \(page.filterNames.sorted().joined(separator: ", "))")
                }
                guard value.utf8.count <= maxValueBytes else {
                    throw DashboardRequestError(field: key, message: "longer than \(maxValueBytes) bytes")
                }
                guard filters[key] == nil else {
                    throw DashboardRequestError(field: key, message: "given twice; give each filter once")
                }
                filters[key] = value
            }
        }
        for required in page.requiredFilters where (filters[required] ?? "").isEmpty {
            throw DashboardRequestError(field: required, message: "the \(page.rawValue) page needs it (for example \(page.rawValue)?\(page.requiredFilters.map { "\($0)=…" }.joined(separator: "&")))")
        }
        return (DashboardView(page, filters), format)
    }

    /// `+` as space and `%XX` escapes decoded; nil when the bytes are not UTF-8 or an escape is broken.
    public static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// The views a page links to, gathered while an export renders it (so the export writes every view that any
/// exported page links to, and no link leads nowhere). A page may make a link it then does not show (a table
/// left out for its empty state), so the export keeps only the views whose files the written page names.
public final class LinkedViews: @unchecked Sendable {
    // Touched by one rendering at a time: each page of an export gets its own.
    /// Each linked view by the file name its links use.
    public private(set) var byFileName: [String: DashboardView] = [:]

    public init() {}

    func add(_ view: DashboardView, fileName: String) { byFileName[fileName] = view }

    /// The linked views whose file the page's HTML links to (`href="NAME"` or `href="NAME#…"`).
    public func shown(in html: [UInt8]) -> Set<DashboardView> {
        var shown = Set<DashboardView>()
        for name in Self.hrefs(in: html) {
            if let view = byFileName[name] { shown.insert(view) }
        }
        return shown
    }

    /// Every `href="…"` value in `html`, without its fragment. One pass over the bytes (every exported page is
    /// scanned): a candidate starts only at an `h`.
    static func hrefs(in html: [UInt8]) -> Set<String> {
        var names = Set<String>()
        html.withUnsafeBufferPointer { bytes in
            let count = bytes.count
            var i = 0
            while i + 6 <= count {
                guard bytes[i] == 0x68, bytes[i + 1] == 0x72, bytes[i + 2] == 0x65, bytes[i + 3] == 0x66,  // href
                      bytes[i + 4] == 0x3D, bytes[i + 5] == 0x22 else {  // ="
                    i += 1
                    continue
                }
                let start = i + 6
                var j = start
                while j < count, bytes[j] != 0x22, bytes[j] != 0x23 { j += 1 }  // up to " or #
                names.insert(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<j]), as: UTF8.self))
                i = j
            }
        }
        return names
    }
}

/// How a view becomes a link: a query URL relative to `/dashboards/` on the router, a file name in a static
/// export (so the export works from `file://` with no server).
public struct DashboardLinker: Sendable {
    public enum Mode: Sendable { case server, export }

    public let mode: Mode
    private let linked: LinkedViews?

    /// Links for the router's pages.
    public static let server = DashboardLinker(mode: .server, linked: nil)
    /// Links between exported files, recording each view linked in `linked`.
    public static func export(recordingInto linked: LinkedViews? = nil) -> DashboardLinker { DashboardLinker(mode: .export, linked: linked) }

    private init(mode: Mode, linked: LinkedViews?) {
        self.mode = mode
        self.linked = linked
    }

    /// The link to `view` in `format`, relative to the folder every page lives in.
    public func href(_ view: DashboardView, format: DashboardFormat = .html, fragment: String? = nil) -> String {
        var link: String
        switch mode {
        case .server:
            link = view.page == .overview && format == .html ? "./" : view.page.rawValue + (format == .html ? "" : ".\(format.fileExtension)")
            let query = view.sortedFilters.map { "\(Self.queryEscaped($0.name))=\(Self.queryEscaped($0.value))" }
            if !query.isEmpty {
                if link == "./" { link = "overview" }
                link += "?" + query.joined(separator: "&")
            }
        case .export:
            let exported = view.exported
            link = Self.fileName(exported, format: format)
            if format == .html { linked?.add(exported, fileName: link) }
        }
        if let fragment { link += "#" + Self.fragmentEscaped(fragment) }
        return link
    }

    /// The export's file name of a view: the page, then each filter as `~name=value` in name order, with every
    /// byte outside `[A-Za-z0-9.-]` written `_XX`, so a name needs no escaping in a link or on any file
    /// system; a name too long for one is shortened with a digest of the whole.
    public static func fileName(_ view: DashboardView, format: DashboardFormat) -> String {
        if view.page == .overview && view.filters.isEmpty && format == .html { return "index.html" }
        var bytes = Array(view.page.rawValue.utf8)
        for (key, value) in view.sortedFilters {
            bytes.append(UInt8(ascii: "~"))
            appendSafe(key, into: &bytes)
            bytes.append(UInt8(ascii: "="))
            appendSafe(value, into: &bytes)
        }
        var name = String(decoding: bytes, as: UTF8.self)
        if bytes.count > 180 {
            name = String(name.prefix(120)) + "~" + digest(name)
        }
        return name + "." + format.fileExtension
    }

    private static func appendSafe(_ text: String, into out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "-"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "_"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            }
        }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// FNV-1a, 64 bits, as hex: stable across runs and machines (Swift's `Hasher` is seeded per process).
    private static func digest(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
    }

    static func queryEscaped(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            default:
                out += "%" + hex(byte)
            }
        }
        return out
    }

    static func fragmentEscaped(_ text: String) -> String { queryEscaped(text) }
}
