/// A data table as HTML, written cell by cell into bytes: the element names are this writer's constants and
/// every caption, column, cell text, value, link and class is escaped, as `SVGWriter` does for the charts.
/// The layout goes through the Mustache templates; the tables (a page can hold tens of thousands of cells)
/// come here, where a cell costs a few appends instead of a template context of its own.
enum HTMLTable {
    static func html(_ table: DataTable) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256 + table.rows.count * max(1, table.columns.count) * 48)
        out += #"<div class="table-wrap" tabindex="0" role="region" aria-label=""#.utf8
        escape(table.caption, into: &out)
        out += #""><table id=""#.utf8
        escape(table.id, into: &out)
        out += #"" data-table=""#.utf8
        escape(table.id, into: &out)
        out += "\">\n<caption>".utf8
        escape(table.caption, into: &out)
        out += "</caption>\n<thead><tr>".utf8
        for column in table.columns {
            out += #"<th scope="col">"#.utf8
            escape(column, into: &out)
            out += "</th>".utf8
        }
        out += "</tr></thead>\n<tbody>\n".utf8
        // By index, reading each field in place (a copy of every cell would retain its strings).
        let rows = table.rows
        for index in rows.indices {
            out += "<tr".utf8
            if index < table.anchors.count, let anchor = table.anchors[index] {
                out += #" id=""#.utf8
                escape(anchor, into: &out)
                out.append(UInt8(ascii: "\""))
            }
            out.append(UInt8(ascii: ">"))
            for c in rows[index].indices {
                out += "<td".utf8
                if let className = rows[index][c].className {
                    out += #" class=""#.utf8
                    escape(className, into: &out)
                    out.append(UInt8(ascii: "\""))
                }
                if let value = rows[index][c].value {
                    // A number's text needs no escaping.
                    out += #" data-value=""#.utf8
                    Format.appendExact(value, into: &out)
                    out.append(UInt8(ascii: "\""))
                }
                out.append(UInt8(ascii: ">"))
                if let href = rows[index][c].href {
                    out += #"<a href=""#.utf8
                    escape(href, into: &out)
                    out += "\">".utf8
                    escape(rows[index][c].text, into: &out)
                    out += "</a>".utf8
                } else {
                    escape(rows[index][c].text, into: &out)
                }
                out += "</td>".utf8
            }
            out += "</tr>\n".utf8
        }
        out += "</tbody>\n</table></div>".utf8
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `text` with `<`, `>`, `&`, `"` and `'` as entities (safe in an element or a quoted attribute),
    /// copying the runs between them whole.
    static func escape(_ text: String, into out: inout [UInt8]) {
        // A native string's bytes are read where they are; only a bridged one is copied first.
        if text.utf8.withContiguousStorageIfAvailable({ escape(bytes: $0, into: &out) }) != nil { return }
        var copy = text
        copy.withUTF8 { escape(bytes: $0, into: &out) }
    }

    private static func escape(bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var runStart = 0
        for index in 0..<bytes.count {
            let entity: StaticString
            switch bytes[index] {
            case UInt8(ascii: "<"): entity = "&lt;"
            case UInt8(ascii: ">"): entity = "&gt;"
            case UInt8(ascii: "&"): entity = "&amp;"
            case UInt8(ascii: "\""): entity = "&quot;"
            case UInt8(ascii: "'"): entity = "&#39;"
            default: continue
            }
            if index > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
            entity.withUTF8Buffer { out.append(contentsOf: $0) }
            runStart = index + 1
        }
        if bytes.count > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
    }
}
