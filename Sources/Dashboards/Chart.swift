/// Charts drawn on the server as inline SVG: no script, no library, no network. Every mark carries a `<title>`
/// (hover and screen readers) and a `data-value` (the number it stands for, which the browser tests read back),
/// and its drill-down link where it has one. Colours come from CSS classes, so light, dark and print themes
/// and the colour-blind-safe palette live in one stylesheet.
public enum Chart {
    // MARK: Bars

    /// One bar: its label on the x axis, its segments bottom to top, and where clicking it leads.
    public struct Bar: Sendable, Equatable {
        public var label: String
        public var segments: [Segment]
        public var href: String?

        public init(label: String, segments: [Segment], href: String? = nil) {
            self.label = label
            self.segments = segments
            self.href = href
        }
    }

    /// A part of a bar: its value, its series (a CSS class `s0`…`s7` or a state) and its hover text.
    public struct Segment: Sendable, Equatable {
        public var value: Double
        public var className: String
        public var title: String

        public init(value: Double, className: String, title: String) {
            self.value = value
            self.className = className
            self.title = title
        }
    }

    /// A legend entry.
    public struct Key: Sendable, Equatable {
        public var label: String
        public var className: String

        public init(label: String, className: String) {
            self.label = label
            self.className = className
        }
    }

    /// Stacked bars, with an optional goal line (a dashed rule at `goal`, labelled).
    public static func bars(id: String, label: String, bars: [Bar], keys: [Key] = [], yMax: Double? = nil,
                            goal: (value: Double, label: String)? = nil, valueText: (Double) -> String) -> String {
        let left = 48.0, bottom = 28.0, top = 12.0
        let slot = bars.count > 60 ? 8.0 : bars.count > 24 ? 14.0 : 32.0
        let plotWidth = max(240, Double(bars.count) * slot)
        let legendHeight = keys.isEmpty ? 0.0 : 20.0
        let height = 180.0 + legendHeight
        let plotHeight = height - bottom - top - legendHeight
        let width = max(left + plotWidth + 12, left + legendWidth(keys) + 8)
        let highest = max(yMax ?? 0, bars.map { $0.segments.reduce(0) { $0 + max(0, $1.value) } }.max() ?? 0, goal?.value ?? 0)
        let scaleMax = highest > 0 ? highest : 1
        func y(_ value: Double) -> Double { top + plotHeight - value / scaleMax * plotHeight }

        var svg = SVGWriter(width: width, height: height, label: label, id: id, interactive: bars.contains { $0.href != nil })
        axes(&svg, left: left, top: top, plotWidth: plotWidth, plotHeight: plotHeight, maxValue: scaleMax, valueText: valueText)
        let labelEvery = max(1, Int((Double(bars.count) * 60 / plotWidth).rounded(.up)))
        for (index, bar) in bars.enumerated() {
            let x = left + Double(index) * slot + slot * 0.15
            let barWidth = slot * 0.7
            let total = bar.segments.reduce(0) { $0 + max(0, $1.value) }
            svg.link(bar.href, label: "\(bar.label): \(valueText(total))") { svg in
                var base = 0.0
                for segment in bar.segments where segment.value > 0 {
                    let yTop = y(base + segment.value), yBottom = y(base)
                    svg.element("rect", ["x": SVGWriter.number(x), "y": SVGWriter.number(yTop), "width": SVGWriter.number(barWidth),
                                         "height": SVGWriter.number(max(0.5, yBottom - yTop)), "class": segment.className,
                                         "data-value": Format.exact(segment.value), "data-label": bar.label],
                                title: segment.title)
                    base += segment.value
                }
            }
            if index % labelEvery == 0 {
                svg.label(bar.label, x: x + barWidth / 2, y: top + plotHeight + 16, anchor: "middle")
            }
        }
        if let goal {
            let gy = y(goal.value)
            svg.element("line", ["x1": SVGWriter.number(left), "x2": SVGWriter.number(left + plotWidth), "y1": SVGWriter.number(gy),
                                 "y2": SVGWriter.number(gy), "class": "goal", "data-value": Format.exact(goal.value)], title: goal.label)
            svg.label(goal.label, x: left + plotWidth - 2, y: gy - 4, anchor: "end", className: "goal-label")
        }
        legend(&svg, keys, x: left, y: height - 6)
        return svg.finished()
    }

    // MARK: Lines

    /// A series over time: used (a line) or a limit (a step line, with a mark at each change).
    public struct Series: Sendable, Equatable {
        public var name: String
        public var className: String
        /// Values at `Chart.lines`' instants; nil where the series has no value.
        public var values: [Double?]
        public var step: Bool
        /// Instants (indexes) where a step line changes, marked with a dot and a title.
        public var changes: [(index: Int, title: String)]

        public init(name: String, className: String, values: [Double?], step: Bool = false, changes: [(index: Int, title: String)] = []) {
            self.name = name
            self.className = className
            self.values = values
            self.step = step
            self.changes = changes
        }

        public static func == (a: Series, b: Series) -> Bool {
            a.name == b.name && a.className == b.className && a.values == b.values && a.step == b.step
                && a.changes.map(\.index) == b.changes.map(\.index) && a.changes.map(\.title) == b.changes.map(\.title)
        }
    }

    /// A hover band: a stretch of the x axis (a day) with its summary, linked where it leads somewhere.
    public struct Band: Sendable, Equatable {
        public var from: Int
        public var to: Int
        public var label: String
        /// The hover text; nil: only the label is drawn (a chart that shares the days of one above it).
        public var title: String?
        public var href: String?

        public init(from: Int, to: Int, label: String, title: String?, href: String? = nil) {
            self.from = from
            self.to = to
            self.label = label
            self.title = title
            self.href = href
        }
    }

    /// Lines over `count` evenly spaced instants, with hover bands (days) and their labels below the axis.
    public static func lines(id: String, label: String, count: Int, series: [Series], bands: [Band],
                             valueText: (Double) -> String) -> String {
        let left = 64.0, bottom = 28.0, top = 12.0, legendHeight = 20.0
        let plotWidth = 720.0
        let height = 200.0 + legendHeight
        let plotHeight = height - bottom - top - legendHeight
        let width = max(left + plotWidth + 12, left + legendWidth(series.map { Key(label: $0.name, className: $0.className) }) + 8)
        let highest = series.flatMap { $0.values.compactMap { $0 } }.max() ?? 0
        let scaleMax = highest > 0 ? highest * 1.05 : 1
        let step = count > 1 ? plotWidth / Double(count) : plotWidth
        func x(_ index: Int) -> Double { left + Double(index) * step }
        func y(_ value: Double) -> Double { top + plotHeight - value / scaleMax * plotHeight }

        var svg = SVGWriter(width: width, height: height, label: label, id: id, interactive: bands.contains { $0.href != nil })
        axes(&svg, left: left, top: top, plotWidth: plotWidth, plotHeight: plotHeight, maxValue: scaleMax, valueText: valueText)
        let labelEvery = max(1, Int((Double(bands.count) * 48 / plotWidth).rounded(.up)))
        for (index, band) in bands.enumerated() {
            if let title = band.title {
                svg.link(band.href, label: title) { svg in
                    svg.element("rect", ["x": SVGWriter.number(x(band.from)), "y": SVGWriter.number(top),
                                         "width": SVGWriter.number(Double(band.to - band.from) * step), "height": SVGWriter.number(plotHeight),
                                         "class": "band", "data-label": band.label], title: title)
                }
            }
            if index % labelEvery == 0 {
                svg.label(band.label, x: x(band.from) + 2, y: top + plotHeight + 16)
            }
        }
        for one in series {
            // Points as bytes: an hourly line over 30 days is 720 of them.
            var points: [UInt8] = []
            points.reserveCapacity(one.values.count * 12)
            var previous: Double?
            func point(_ px: Double, _ py: Double) {
                SVGWriter.appendNumber(px, into: &points)
                points.append(UInt8(ascii: ","))
                SVGWriter.appendNumber(py, into: &points)
                points.append(UInt8(ascii: " "))
            }
            func flush() {
                if !points.isEmpty {
                    svg.element("polyline", ["points": String(decoding: points, as: UTF8.self), "class": "line \(one.className)", "data-series": one.name], title: one.name)
                }
                points.removeAll(keepingCapacity: true)
            }
            for (index, value) in one.values.enumerated() {
                guard let value else {
                    flush()
                    previous = nil
                    continue
                }
                if one.step {
                    // A step line is a point where its value changes and one where it ends: a plan's limit
                    // holds for days, so this is a few points, not two an hour.
                    if previous != value {
                        if let previous { point(x(index), y(previous)) }
                        point(x(index), y(value))
                    }
                    if index + 1 == one.values.count || one.values[index + 1] != value {
                        point(x(index + 1), y(value))
                    }
                } else {
                    point(x(index) + step / 2, y(value))
                }
                previous = value
            }
            flush()
            for change in one.changes where change.index < one.values.count {
                guard let value = one.values[change.index] else { continue }
                svg.element("circle", ["cx": SVGWriter.number(x(change.index)), "cy": SVGWriter.number(y(value)), "r": "3.5",
                                       "class": "change \(one.className)", "data-value": Format.exact(value)], title: change.title)
            }
        }
        legend(&svg, series.map { Key(label: $0.name, className: $0.className) }, x: left, y: height - 6)
        return svg.finished()
    }

    // MARK: Grids

    /// A cell of a calendar, matrix or heatmap: its class (an outcome, or a heat step `h0`…`h5`), a short
    /// symbol drawn inside it (so the outcome reads without colour), its hover text and link.
    public struct GridCell: Sendable, Equatable {
        public var className: String
        public var symbol: String
        public var title: String
        public var value: Double?
        public var href: String?

        public init(className: String, symbol: String = "", title: String, value: Double? = nil, href: String? = nil) {
            self.className = className
            self.symbol = symbol
            self.title = title
            self.value = value
            self.href = href
        }
    }

    /// A grid: rows (with labels and links) against columns (labelled every few), nil where a row has no cell.
    public static func grid(id: String, label: String, rowLabels: [(text: String, href: String?)], columnLabels: [String],
                            cells: [[GridCell?]], keys: [Key]) -> String {
        let cell = 16.0, gap = 2.0
        let left = min(260.0, max(60.0, Double(rowLabels.map(\.text.count).max() ?? 8) * 6.6 + 8))
        let top = 22.0, legendHeight = keys.isEmpty ? 0.0 : 24.0
        // Room on the right for the last column's label, written from the column's left edge.
        let width = max(left + Double(columnLabels.count) * (cell + gap) + 72, left + legendWidth(keys) + 8)
        let height = top + Double(rowLabels.count) * (cell + gap) + legendHeight + 6
        var svg = SVGWriter(width: max(width, 280), height: height, label: label, id: id,
                            interactive: true)
        let labelEvery = columnLabels.count > 14 ? 7 : 1
        for (index, text) in columnLabels.enumerated() where index % labelEvery == 0 {
            svg.label(text, x: left + Double(index) * (cell + gap), y: top - 8)
        }
        for (r, row) in rowLabels.enumerated() {
            let y = top + Double(r) * (cell + gap)
            let shown = row.text.count > 38 ? String(row.text.prefix(37)) + "…" : row.text
            svg.link(row.href, label: row.text) { svg in
                svg.label(shown, x: left - 6, y: y + cell - 4, anchor: "end", className: "row-label")
            }
            guard r < cells.count else { continue }
            for (c, one) in cells[r].enumerated() {
                guard let one else { continue }
                let x = left + Double(c) * (cell + gap)
                // The title names the link (and the mark, without one) once; the symbol says the outcome without colour.
                svg.markLink(one.href, title: one.title) { svg in
                    svg.element("rect", ["x": SVGWriter.number(x), "y": SVGWriter.number(y), "width": "16", "height": "16",
                                         "class": "cell \(one.className)", "data-value": one.value.map(Format.exact) ?? "",
                                         "data-column": columnLabels[c]],
                                title: one.href == nil ? one.title : nil)
                    if !one.symbol.isEmpty {
                        // Dark on the light fills (orange, yellow), white on the dark ones: 4.5:1 or better either way.
                        let dark = ["missed", "pending", "h1", "h2", "h4", "h5"].contains(one.className)
                        svg.label(one.symbol, x: x + cell / 2, y: y + cell - 4.5, anchor: "middle", className: dark ? "symbol sym-dark" : "symbol")
                    }
                }
            }
        }
        legend(&svg, keys, x: left, y: height - 8)
        return svg.finished()
    }

    // MARK: Parts

    private static func axes(_ svg: inout SVGWriter, left: Double, top: Double, plotWidth: Double, plotHeight: Double,
                             maxValue: Double, valueText: (Double) -> String) {
        svg.element("line", ["x1": SVGWriter.number(left), "x2": SVGWriter.number(left), "y1": SVGWriter.number(top),
                             "y2": SVGWriter.number(top + plotHeight), "class": "axis-line"])
        svg.element("line", ["x1": SVGWriter.number(left), "x2": SVGWriter.number(left + plotWidth), "y1": SVGWriter.number(top + plotHeight),
                             "y2": SVGWriter.number(top + plotHeight), "class": "axis-line"])
        for tick in 0...4 {
            let value = maxValue * Double(tick) / 4
            let y = top + plotHeight - Double(tick) / 4 * plotHeight
            if tick > 0 {
                svg.element("line", ["x1": SVGWriter.number(left), "x2": SVGWriter.number(left + plotWidth), "y1": SVGWriter.number(y),
                                     "y2": SVGWriter.number(y), "class": "grid-line"])
            }
            svg.label(valueText(value), x: left - 4, y: y + 4, anchor: "end")
        }
    }

    /// The width `legend` takes for `keys`.
    static func legendWidth(_ keys: [Key]) -> Double {
        keys.reduce(0) { $0 + 24 + Double($1.label.count) * 6.5 }
    }

    private static func legend(_ svg: inout SVGWriter, _ keys: [Key], x: Double, y: Double) {
        var position = x
        for key in keys {
            svg.element("rect", ["x": SVGWriter.number(position), "y": SVGWriter.number(y - 10), "width": "10", "height": "10",
                                 "class": "key \(key.className)"])
            svg.label(key.label, x: position + 14, y: y - 1, className: "legend")
            position += 24 + Double(key.label.count) * 6.5
        }
    }
}
