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
}
