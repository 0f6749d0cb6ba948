import Foundation
public import InsightStore
import Mustache
import Timestamps

/// What one view renders to.
public struct RenderedView: Sendable {
    public var body: [UInt8]
    public var contentType: String
}

/// Per-workflow facts a page reads beyond the snapshot (the runs × jobs grid), fetched on demand.
public protocol WorkflowDetailSource: Sendable {
    func jobAttempts(workflow: String, from: Int64, to: Int64) throws -> [JobAttempt]
}

/// Workflow details read straight from a store (an export, or a caller on the store's own thread).
public struct StoreWorkflowDetails: WorkflowDetailSource, @unchecked Sendable {
    private let store: InsightStore

    public init(_ store: InsightStore) { self.store = store }

    public func jobAttempts(workflow: String, from: Int64, to: Int64) throws -> [JobAttempt] {
        try store.jobAttempts(workflow: workflow, from: from, to: to)
    }
}

/// HTML escaping for the templates' `{{…}}`: `<`, `>`, `&`, `"` and `'` as Mustache's HTML content type escapes
/// them, written a byte at a time (Mustache's own looks every character up in a dictionary).
struct HTMLEscaping: MustacheContentType {
    static let name = "BURSAR_HTML"

    func escapeText(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x3C || $0 == 0x3E || $0 == 0x26 || $0 == 0x22 || $0 == 0x27 }) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 16)
        HTMLTable.escape(text, into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// The dashboards: a view and a snapshot in, HTML, CSV or JSON out. The router serves it under `/dashboards/`
/// and `bursar dashboards export` writes every view the pages link to; both go through `render`.
public struct DashboardSite: Sendable {
    private let library: MustacheLibrary

    public init() {
        MustacheContentTypes.register(HTMLEscaping(), named: HTMLEscaping.name)
        var library = MustacheLibrary()
        // The templates are constants of this module; a parse error is a bug caught by every test that renders.
        try! library.register(Templates.head, named: "head")
        try! library.register(Templates.layout, named: "layout")
        try! library.register(Templates.login, named: "login")
        try! library.register(Templates.problem, named: "problem")
        self.library = library
    }

    /// The signed-in caller, for the sign-out button (nil in an export).
    public struct Session: Sendable {
        public var principal: String
        public var logoutHref: String

        public init(principal: String, logoutHref: String) {
            self.principal = principal
            self.logoutHref = logoutHref
        }
    }

    /// The page model of `view`.
    public func page(_ view: DashboardView, snapshot: DashboardSnapshot, details: any WorkflowDetailSource,
                     linker: DashboardLinker) throws -> PageModel {
        switch view.page {
        case .overview: try OverviewPage.build(view, snapshot: snapshot, linker: linker)
        case .slo: try SLOMatrixPage.build(view, snapshot: snapshot, linker: linker)
        case .workflow: try WorkflowPage.build(view, snapshot: snapshot, details: details, linker: linker)
        case .queues: try QueuesPage.build(view, snapshot: snapshot, linker: linker)
        case .queue: try QueuePage.build(view, snapshot: snapshot, linker: linker)
        case .allocation: try AllocationPage.build(view, snapshot: snapshot, linker: linker)
        case .router: try RouterPage.build(view, snapshot: snapshot, linker: linker)
        }
    }

    /// `view` in `format`.
    public func render(_ view: DashboardView, format: DashboardFormat, snapshot: DashboardSnapshot,
                       details: any WorkflowDetailSource, linker: DashboardLinker, session: Session? = nil) throws -> RenderedView {
        let model = try page(view, snapshot: snapshot, details: details, linker: linker)
        let body: [UInt8]
        switch format {
        case .html: body = Array(html(model, snapshot: snapshot, linker: linker, session: session).utf8)
        case .csv: body = model.csvBytes()
        case .json: body = model.jsonBytes()
        }
        return RenderedView(body: body, contentType: format.contentType)
    }

    /// The page as HTML through the layout template (which escapes every value but the charts' SVG).
    public func html(_ model: PageModel, snapshot: DashboardSnapshot, linker: DashboardLinker, session: Session?) -> String {
        layout(layoutContext(model, snapshot: snapshot, linker: linker, session: session))
    }

    /// The layout template's values for the page (its tables already written as escaped HTML).
    func layoutContext(_ model: PageModel, snapshot: DashboardSnapshot, linker: DashboardLinker, session: Session?) -> [String: Any] {
        let navigation: [DashboardView.Page] = [.overview, .slo, .queues, .allocation, .router]
        var context: [String: Any] = [
            "title": model.title,
            "pageTitle": model.title,
            "subtitle": model.subtitle,
            "style": Templates.style,
            "nav": navigation.map { page -> [String: Any] in
                ["href": linker.href(DashboardView(page)), "label": page.title,
                 "current": page == model.view.page || (model.view.page == .workflow && page == .slo)
                    || (model.view.page == .queue && page == .queues)]
            },
            "hasFilters": !model.filters.isEmpty,
            "filters": model.filters.map { filter -> [String: Any] in
                ["label": filter.label, "options": filter.options.map(Self.context)]
            },
            "hasTiles": !model.tiles.isEmpty,
            "tiles": model.tiles.map { tile -> [String: Any] in
                ["label": tile.label, "value": tile.value, "detail": tile.detail, "href": tile.href, "state": tile.state]
            },
            "sections": model.sections.map { section -> [String: Any] in
                var fields: [String: Any] = ["id": section.id, "heading": section.heading, "open": section.tableOpen,
                                             "hasPager": !section.pager.isEmpty, "pager": section.pager.map(Self.context)]
                if let note = section.note { fields["note"] = note }
                if let chart = section.chart { fields["chart"] = chart }
                if let empty = section.empty { fields["empty"] = empty }
                if let table = section.table {
                    if section.tableInPage {
                        fields["table"] = HTMLTable.html(table)
                    } else {
                        fields["dataOnly"] = ["rows": String(table.rows.count), "csv": linker.href(model.view, format: .csv),
                                              "json": linker.href(model.view, format: .json),
                                              "inCSV": model.csvTable?.id == table.id]
                    }
                }
                return fields
            },
            "csv": linker.href(model.view, format: .csv),
            "json": linker.href(model.view, format: .json),
            "asOf": asOfLine(snapshot),
        ]
        if let session {
            context["logout"] = session.logoutHref
            context["principal"] = session.principal
        }
        return context
    }

    /// The layout template rendered with `context`.
    func layout(_ context: [String: Any]) -> String {
        library.render(context, withTemplate: "layout") ?? ""
    }

    /// The sign-in page, with an optional message (a failed attempt) and where to go after.
    public func loginPage(message: String?, next: String) -> String {
        var context: [String: Any] = ["style": Templates.style, "next": next, "pageTitle": "Sign in"]
        if let message { context["message"] = message }
        return library.render(context, withTemplate: "login") ?? ""
    }

    /// A page saying why a view cannot be shown.
    public func problemPage(_ message: String) -> String {
        library.render(["style": Templates.style, "message": message, "pageTitle": "Not shown"] as [String: Any], withTemplate: "problem") ?? ""
    }

    private func asOfLine(_ snapshot: DashboardSnapshot) -> String {
        var parts = ["read \(Timestamp.format(snapshot.asOf))"]
        parts.append(snapshot.newestFinish.map { "newest application finish \(Timestamp.format($0))" } ?? "nothing ingested yet")
        parts.append(snapshot.lastPlan.map { "last plan \($0.night)" } ?? "no plan yet")
        return parts.joined(separator: " · ")
    }

    private static func context(_ link: PagerLink) -> [String: Any] {
        var fields: [String: Any] = ["label": link.label, "current": link.current]
        if let href = link.href { fields["href"] = href }
        return fields
    }
}
