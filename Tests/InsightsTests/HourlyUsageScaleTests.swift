import Testing
@testable import Insights

/// HourlyUsage has no small id space a log can exhaust: before, the 256th distinct resource name of a run
/// stopped the process (and every later run, on the same line).
struct HourlyUsageScaleTests {
    @Test func thousandsOfResourceNamesAndQueuesAreKept() {
        var usage = HourlyUsage()
        let hour = HourlyUsage.hourMillis, start = 490_000 * hour
        for app in 0..<2_000 {
            let names = (0..<8).map { "vendor.example/r\(app * 8 + $0)" }
            usage.add(cluster: "moka-a", queue: "root.q\(app)", start: start, finish: start + 2 * hour,
                      usage: Dictionary(uniqueKeysWithValues: names.map { ($0, Int64(7_200)) }))
        }
        let cells = usage.cells
        #expect(cells.count == 2_000 * 8 * 2)
        #expect(cells.allSatisfy { $0.amount == 3_600 })
        #expect(Set(cells.map(\.resource)).count == 16_000)

        // Merging renumbers both spaces and keeps every cell.
        var merged = HourlyUsage()
        merged.add(cluster: "moka-b", queue: "root.other", start: start, finish: start + hour, usage: ["vcore": 5])
        merged.merge(usage)
        #expect(merged.cells.count == cells.count + 1)
        merged.merge(usage, sign: -1)
        #expect(merged.cells.map(\.amount) == [5])
    }

    @Test func sumsPastSixtyFourBitsWrapAndUndoExactly() {
        var usage = HourlyUsage()
        let start = 490_000 * HourlyUsage.hourMillis
        usage.add(cluster: "c", queue: "root.q", start: start, finish: start + 1_000, usage: ["memory": .max])
        usage.add(cluster: "c", queue: "root.q", start: start, finish: start + 1_000, usage: ["memory": .max])
        usage.add(cluster: "c", queue: "root.q", start: start, finish: start + 1_000, usage: ["memory": .max], sign: -1)
        #expect(usage.cells.map(\.amount) == [.max])
    }
}
