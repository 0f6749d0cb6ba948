/// Inline SVG written element by element: names are the writer's own constants, every attribute value and
/// text node is escaped, so no queue, workflow or org name can leave its attribute or open an element.
struct SVGWriter {
    private(set) var text = ""

    init(width: Double, height: Double, label: String, id: String, interactive: Bool) {
        // A chart with links is a group of links (screen readers reach each one); one without is an image.
        text.reserveCapacity(4096)
        // Drawn at its natural size (width and height), shrunk by the stylesheet on a narrow screen, never blown up.
        text += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\""
        text += " role=\"\(interactive ? "group" : "img")\" aria-labelledby=\"\(Self.escaped(id))-title\" data-chart=\"\(Self.escaped(id))\">"
        text += "<title id=\"\(Self.escaped(id))-title\">"
        text += Self.escaped(label)
        text += "</title>"
    }

    /// Opens an element; `attributes` values are escaped.
    mutating func open(_ name: StaticString, _ attributes: KeyValuePairs<StaticString, String> = [:]) {
        text += "<\(name)"
        append(attributes)
        text += ">"
    }

    mutating func close(_ name: StaticString) {
        text += "</\(name)>"
    }

    /// An element with no children but an optional `<title>` (the hover text and the mark's name for screen
    /// readers).
    mutating func element(_ name: StaticString, _ attributes: KeyValuePairs<StaticString, String>, title: String? = nil) {
        text += "<\(name)"
        append(attributes)
        if let title {
            text += "><title>"
            text += Self.escaped(title)
            text += "</title></\(name)>"
        } else {
            text += "/>"
        }
    }

    /// A text element.
    mutating func label(_ content: String, x: Double, y: Double, anchor: String = "start", className: String = "axis") {
        // The anchor is left to the stylesheet when it is the symbol's (middle), which a grid writes thousands of.
        text += "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\""
        if !className.hasPrefix("symbol") { text += " text-anchor=\"\(Self.escaped(anchor))\"" }
        text += " class=\"\(Self.escaped(className))\">"
        text += Self.escaped(content)
        text += "</text>"
    }

    /// A link around what `body` writes, named for screen readers.
    mutating func link(_ href: String?, label: String, _ body: (inout SVGWriter) -> Void) {
        guard let href else {
            body(&self)
            return
        }
        text += "<a href=\"\(Self.escaped(href))\" aria-label=\"\(Self.escaped(label))\">"
        body(&self)
        text += "</a>"
    }

    /// A link whose `<title>` is its name and hover text, around what `body` writes (which then needs no title).
    mutating func markLink(_ href: String?, title: String, _ body: (inout SVGWriter) -> Void) {
        guard let href else {
            body(&self)
            return
        }
        text += "<a href=\"\(Self.escaped(href))\"><title>"
        text += Self.escaped(title)
        text += "</title>"
        body(&self)
        text += "</a>"
    }

    func finished() -> String { text + "</svg>" }

    private mutating func append(_ attributes: KeyValuePairs<StaticString, String>) {
        for (name, value) in attributes {
            text += " \(name)=\""
            text += Self.escaped(value)
            text += "\""
        }
    }

    /// Text made safe inside an attribute value or an element.
    static func escaped(_ value: String) -> String {
        var needs = false
        for byte in value.utf8 where byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "&")
            || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
            needs = true
            break
        }
        guard needs else { return value }
        var out = ""
        out.reserveCapacity(value.utf8.count + 16)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A coordinate with at most two decimals (SVG needs no more, and the page stays small).
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        return Format.fixed(value, digits: 2) ?? "0"
    }
}
