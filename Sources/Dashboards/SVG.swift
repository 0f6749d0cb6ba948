/// Inline SVG written element by element: names are the writer's own constants, every attribute value and
/// text node is escaped, so no queue, workflow or org name can leave its attribute or open an element.
struct SVGWriter {
    private var bytes: [UInt8] = []

    init(width: Double, height: Double, label: String, id: String, interactive: Bool) {
        // A chart with links is a group of links (screen readers reach each one); one without is an image.
        bytes.reserveCapacity(16_384)
        // Drawn at its natural size (width and height), shrunk by the stylesheet on a narrow screen, never blown up.
        raw("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"")
        formatted(Self.number(width))
        raw("\" height=\"")
        formatted(Self.number(height))
        raw("\" viewBox=\"0 0 ")
        formatted(Self.number(width))
        raw(" ")
        formatted(Self.number(height))
        raw(interactive ? "\" role=\"group\" aria-labelledby=\"" : "\" role=\"img\" aria-labelledby=\"")
        escape(id)
        raw("-title\" data-chart=\"")
        escape(id)
        raw("\"><title id=\"")
        escape(id)
        raw("-title\">")
        escape(label)
        raw("</title>")
    }

    /// Opens an element; `attributes` values are escaped.
    mutating func open(_ name: StaticString, _ attributes: KeyValuePairs<StaticString, String> = [:]) {
        raw("<")
        raw(name)
        append(attributes)
        raw(">")
    }

    mutating func close(_ name: StaticString) {
        raw("</")
        raw(name)
        raw(">")
    }

    /// An element with no children but an optional `<title>` (the hover text and the mark's name for screen
    /// readers).
    mutating func element(_ name: StaticString, _ attributes: KeyValuePairs<StaticString, String>, title: String? = nil) {
        raw("<")
        raw(name)
        append(attributes)
        if let title {
            raw("><title>")
            escape(title)
            raw("</title></")
            raw(name)
            raw(">")
        } else {
            raw("/>")
        }
    }

    /// A text element.
    mutating func label(_ content: String, x: Double, y: Double, anchor: String = "start", className: String = "axis") {
        raw("<text x=\"")
        formatted(Self.number(x))
        raw("\" y=\"")
        formatted(Self.number(y))
        raw("\"")
        // The anchor is left to the stylesheet when it is the symbol's (middle), which a grid writes thousands of.
        if !className.hasPrefix("symbol") {
            raw(" text-anchor=\"")
            escape(anchor)
            raw("\"")
        }
        raw(" class=\"")
        escape(className)
        raw("\">")
        escape(content)
        raw("</text>")
    }

    /// A link around what `body` writes, named for screen readers.
    mutating func link(_ href: String?, label: String, _ body: (inout SVGWriter) -> Void) {
        around(href, body) { svg in
            svg.raw("\" aria-label=\"")
            svg.escape(label)
            svg.raw("\">")
        }
    }

    /// A link whose `<title>` is its name and hover text, around what `body` writes (which then needs no title).
    mutating func markLink(_ href: String?, title: String, _ body: (inout SVGWriter) -> Void) {
        around(href, body) { svg in
            svg.raw("\"><title>")
            svg.escape(title)
            svg.raw("</title>")
        }
    }

    /// `<a href="…` + what `name` writes to close the tag and name the link, then `body`, then `</a>`; only
    /// `body` without a link.
    private mutating func around(_ href: String?, _ body: (inout SVGWriter) -> Void, name: (inout SVGWriter) -> Void) {
        guard let href else {
            body(&self)
            return
        }
        raw("<a href=\"")
        escape(href)
        name(&self)
        body(&self)
        raw("</a>")
    }

    func finished() -> String { String(decoding: bytes + Array("</svg>".utf8), as: UTF8.self) }

    private mutating func append(_ attributes: KeyValuePairs<StaticString, String>) {
        for (name, value) in attributes {
            raw(" ")
            raw(name)
            raw("=\"")
            escape(value)
            raw("\"")
        }
    }

    /// The writer's own constant text (element and attribute names, punctuation): never escaped.
    private mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A number the writer formatted (digits, a sign, a point): nothing to escape.
    private mutating func formatted(_ number: String) {
        bytes.append(contentsOf: number.utf8)
    }

    /// Anything else, escaped.
    private mutating func escape(_ text: String) {
        HTMLTable.escape(text, into: &bytes)
    }

    /// A coordinate with at most two decimals (SVG needs no more, and the page stays small).
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        return Format.fixed(value, digits: 2)
    }

    /// Appends `number(value)`.
    static func appendNumber(_ value: Double, into out: inout [UInt8]) {
        Format.appendFixed(value, digits: 2, into: &out)
    }
}
