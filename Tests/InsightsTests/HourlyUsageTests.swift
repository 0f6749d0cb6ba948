import Insights
import Testing

/// Spreading application usage over hours: exact integer shares, any arrival order.
struct HourlyUsageTests {
    static let h = HourlyUsage.hourMillis

    @Test func spreadsInProportionToTimeInEachHourAndSumsExactly() {
        var usage = HourlyUsage()
        // 02:30 → 04:15: 30 min, 60 min, 15 min of 105.
        usage.add(cluster: "c", queue: "q", start: 2 * Self.h + Self.h / 2, finish: 4 * Self.h + Self.h / 4,
                  usage: ["vcore": 105_000, "memory": 7])
        let vcore = usage.cells.filter { $0.resource == "vcore" }
        #expect(vcore.map(\.hour) == [2 * Self.h, 3 * Self.h, 4 * Self.h])
        #expect(vcore.map(\.amount) == [30_000, 60_000, 15_000])
        let memory = usage.cells.filter { $0.resource == "memory" }
        #expect(memory.map(\.amount).reduce(0, +) == 7)  // cumulative floors: no unit lost to rounding
        #expect(usage.occupancies.map(\.appMillis) == [Self.h / 2, Self.h, Self.h / 4])
        #expect(usage.occupancies.map(\.appsStarted) == [1, 0, 0])
    }

    @Test func zeroLengthAppsCountInTheirStartHour() {
        var usage = HourlyUsage()
        usage.add(cluster: "c", queue: "q", start: 5 * Self.h + 10, finish: 5 * Self.h + 10, usage: ["vcore": 3])
        #expect(usage.cells.map(\.hour) == [5 * Self.h])
        #expect(usage.cells.map(\.amount) == [3])
        #expect(usage.occupancies.first?.appsStarted == 1)
    }

    @Test func hugeAmountsDoNotOverflow() {
        var usage = HourlyUsage()
        let total = Int64.max / 2
        usage.add(cluster: "c", queue: "q", start: 0, finish: 10 * Self.h, usage: ["memory": total])
        #expect(usage.cells.map(\.amount).reduce(0, +) == total)
    }

    @Test func takingAnAppAwayUndoesItExactly() {
        var usage = HourlyUsage()
        usage.add(cluster: "c", queue: "q", start: 100, finish: 3 * Self.h + 7, usage: ["vcore": 999_999])
        usage.add(cluster: "c", queue: "other", start: 100, finish: 200, usage: ["vcore": 1])
        usage.add(cluster: "c", queue: "q", start: 100, finish: 3 * Self.h + 7, usage: ["vcore": 999_999], sign: -1)
        #expect(usage.cells.map(\.queue.queue) == ["other"])
        #expect(usage.occupancies.map(\.queue.queue) == ["other"])
    }

    @Test func orderOfArrivalDoesNotMatter() {
        var apps: [(Int64, Int64, Int64)] = []
        for i in Int64(0)..<50 {
            let start = i * 1_234_567
            apps.append((start, start + i * i * 77_777 + 1, i * 1_000_003))
        }
        var forward = HourlyUsage(), backward = HourlyUsage()
        for (start, finish, amount) in apps {
            forward.add(cluster: "c", queue: "q\(start % 3)", start: start, finish: finish, usage: ["vcore": amount])
        }
        for (start, finish, amount) in apps.reversed() {
            backward.add(cluster: "c", queue: "q\(start % 3)", start: start, finish: finish, usage: ["vcore": amount])
        }
        #expect(forward.cells == backward.cells)
        #expect(forward.occupancies == backward.occupancies)
        #expect(forward.cells.map(\.amount).reduce(0, +) == apps.map(\.2).reduce(0, +))
    }

    /// Applications on two clusters and three queues, with a GPU resource on some.
    static func apps() -> [(cluster: String, queue: String, start: Int64, finish: Int64, usage: [String: Int64])] {
        (Int64(0)..<40).map { i in
            let start = i * 2_345_678
            var usage: [String: Int64] = ["vcore": i * 1_000 + 7, "memory": i << 30, "pods": i % 5]
            if i % 7 == 0 { usage["nvidia.com/gpu"] = i * 3 }
            return (i % 2 == 0 ? "moka-a" : "moka-b", "root.q\(i % 3)", start, start + i * 654_321 + 1, usage)
        }
    }

    /// Sums built in separate batches and merged equal one sum built app by app; merging with sign -1
    /// takes a batch away again (how duplicates are undone).
    @Test func mergingBatchesEqualsAddingEveryApp() {
        var whole = HourlyUsage(), first = HourlyUsage(), second = HourlyUsage()
        for (index, app) in Self.apps().enumerated() {
            whole.add(cluster: app.cluster, queue: app.queue, start: app.start, finish: app.finish, usage: app.usage)
            if index % 3 == 0 {
                first.add(cluster: app.cluster, queue: app.queue, start: app.start, finish: app.finish, usage: app.usage)
            } else {
                second.add(cluster: app.cluster, queue: app.queue, start: app.start, finish: app.finish, usage: app.usage)
            }
        }
        var merged = HourlyUsage()
        merged.merge(second)
        merged.merge(first)
        #expect(merged.cells == whole.cells)
        #expect(merged.occupancies == whole.occupancies)
        merged.merge(second, sign: -1)
        #expect(merged.cells == first.cells)
        #expect(merged.occupancies == first.occupancies)
    }

    /// The wide rows the store keeps carry exactly the long cells and running times, in key order.
    @Test func queueHoursHoldEveryCellInKeyOrder() {
        var usage = HourlyUsage()
        for app in Self.apps() {
            usage.add(cluster: app.cluster, queue: app.queue, start: app.start, finish: app.finish, usage: app.usage)
        }
        let rows = usage.queueHours
        var cells: [HourlyUsage.Cell] = []
        for row in rows {
            let named = [("memory", row.memory), ("pods", row.pods), ("vcore", row.vcore)] + row.other.map { ($0.resource, $0.amount) }
            for (resource, amount) in named.sorted(by: { $0.0 < $1.0 }) where amount != 0 {
                cells.append(HourlyUsage.Cell(queue: row.queue, hour: row.hour, resource: resource, amount: amount))
            }
        }
        #expect(cells == usage.cells)
        #expect(rows.filter { $0.appMillis != 0 || $0.appsStarted != 0 }.map { [$0.hour, $0.appMillis, $0.appsStarted] }
            == usage.occupancies.map { [$0.hour, $0.appMillis, $0.appsStarted] })
        #expect(rows.contains { !$0.other.isEmpty })
        let keys = rows.map { ($0.queue.cluster, $0.queue.queue, $0.hour) }
        #expect(zip(keys, keys.dropFirst()).allSatisfy { $0 < $1 })
    }
}
