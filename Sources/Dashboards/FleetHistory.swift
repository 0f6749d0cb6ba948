public import InsightStore
import Parallel
import QueueConfig
import Timestamps

/// A resource the fleet pages show, with the unit people read it in.
enum FleetResource: String, CaseIterable, Sendable {
    case vcore, memory, pods

    /// YuniKorn units (millicores, bytes, pods) per display unit (cores, GiB, pods).
    var scale: Double {
        switch self {
        case .vcore: 1000
        case .memory: 1_073_741_824
        case .pods: 1
        }
    }

    var label: String {
        switch self {
        case .vcore: "vCPU"
        case .memory: "memory"
        case .pods: "pods"
        }
    }

    var unit: String {
        switch self {
        case .vcore: "cores"
        case .memory: "GiB"
        case .pods: "pods"
        }
    }

    /// An amount in YuniKorn units, in display units.
    func shown(_ amount: Int64) -> Double { Double(amount) / scale }
    /// A usage in resource·seconds over an hour, as the hour's mean in display units.
    func hourlyMean(_ seconds: Int64) -> Double { Double(seconds) / 3600 / scale }
    /// Text with the unit.
    func text(_ value: Double) -> String { Format.number(value, digits: value < 10 ? 2 : 1) + " " + unit }
}

/// Amounts per resource in YuniKorn's units (vcore millicores, memory bytes, pods); nil where a plan sets none.
struct ResourceAmounts: Sendable, Equatable {
    var vcore: Int64?
    var memory: Int64?
    var pods: Int64?

    subscript(_ resource: FleetResource) -> Int64? {
        switch resource {
        case .vcore: vcore
        case .memory: memory
        case .pods: pods
        }
    }
}

/// Guaranteed and max of one queue in one night's plan.
struct QueueLimits: Sendable, Equatable {
    var guaranteed = ResourceAmounts()
    var max = ResourceAmounts()

    /// Whether an hour that used `vcore` and `memory` resource·seconds used more than guaranteed on average
    /// (either resource; one the plan leaves unset is not compared).
    func borrowing(vcore: Int64, memory: Int64) -> Bool {
        if let limit = guaranteed.vcore, Double(vcore) / 3600 > Double(limit) { return true }
        if let limit = guaranteed.memory, Double(memory) / 3600 > Double(limit) { return true }
        return false
    }

    /// Whether an hour's mean use reached 99% of max (either resource; an unset or zero max is not compared).
    func atMax(vcore: Int64, memory: Int64) -> Bool {
        if let limit = max.vcore, limit > 0, Double(vcore) / 3600 >= FleetHistory.atMaxShare * Double(limit) { return true }
        if let limit = max.memory, limit > 0, Double(memory) / 3600 >= FleetHistory.atMaxShare * Double(limit) { return true }
        return false
    }
}

/// A queue on a cluster, with the parts of its path the fleet pages group by.
struct FleetQueue: Sendable, Equatable {
    var cluster: String
    /// The full path, `root.<org>.<project>.<leaf>` for the platform's queues.
    var path: String
    /// The second, third and last parts of the path ("" when the path is shorter).
    var org: String
    var project: String
    var leaf: String

    init(cluster: String, path: String) {
        self.cluster = cluster
        self.path = path
        let parts = path.split(separator: ".", omittingEmptySubsequences: false)
        org = parts.count > 1 ? String(parts[1]) : ""
        project = parts.count > 2 ? String(parts[2]) : ""
        leaf = String(parts.last ?? "")
    }
}

/// One archived night's plan as the fleet pages read it, or the baseline: the files that were deployed before
/// the archive's first night (archived with it), in effect until that night's plan takes over.
struct FleetNight: Sendable {
    var night: String
    var isBaseline = false
    /// Days since 1970-01-01 of the night's date (`Int64.min` for the baseline).
    var day: Int64
    var plannedAt: Int64
    var previousNight: String?
    /// Clusters the plan wrote a file for.
    var clusters: [String]
    /// Leaf queues of the plan (indexes into the history's queues).
    var leaves: [Int] = []
    /// Clusters whose archived file did not decode.
    var unreadable: [String] = []
    /// Per cluster, the binding constraints as archived (`queue<TAB>resource<TAB>binding` lines); empty for a
    /// night archived before they were kept, and for the baseline.
    var bindings: [String: String] = [:]

    /// When the plan takes effect: at the end of its day (it is sized from usage up to then); the baseline
    /// since before any day shown.
    var effective: Int64 { isBaseline ? Int64.min : (day + 1) * FleetHistory.dayMillis }

    /// How the pages name it: `night 2026-11-20`, or `the baseline`.
    var label: String { isBaseline ? "the baseline" : "night \(night)" }

    /// When it took effect, as text.
    var effectiveText: String { isBaseline ? "before the first archived night" : PageParts.minute(effective) }
}

/// Queues over the window: hourly usage of every queue on every cluster, with guaranteed and max from each
/// night's plan. A night's plan is sized from usage up to the end of its day and takes effect then, so the
/// limits of day D are those of the newest night before D.
///
/// Usage stays in the store's flat columns; per queue and day the load works out the few figures the pages
/// sum over any window (hours used, borrowing, at max, vcore·seconds, peaks), so a page over thousands of
/// queues adds up days, not hours.
public struct FleetHistory: Sendable {
    /// Each night's right-sizing, worked out by the first page that needs it (shared by the copies of this
    /// history, which never changes once read).
    let sizingMemo = Memo<Int, [Int: SizingVerdict]>()
    /// The Allocation page's rows by night and cluster filter, shared by the pages of one listing.
    let allocationRows = Memo<[String], AllocationPage.Rows>()
    /// The Queues page's listing by filters (all but the page number), shared by its pages.
    let queueListings = Memo<[String], QueuesPage.Listing>()
    /// Each night's binding constraints by queue and resource, read from its archived lines once.
    let bindingMemo = Memo<Int, [Int: [String: String]]>()

    /// Night `n`'s binding constraint of each queue, per resource (`vcore`, `memory`); lines naming a queue the
    /// history does not hold, or not of three fields, are skipped.
    func bindings(night n: Int) -> [Int: [String: String]] {
        (try? bindingMemo.value(n) {
            var byQueue: [Int: [String: String]] = [:]
            for (cluster, text) in nights[n].bindings {
                for line in text.split(separator: "\n") {
                    let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                    guard fields.count == 3, let q = queue(cluster: cluster, path: String(fields[0])) else { continue }
                    byQueue[q, default: [:]][String(fields[1])] = String(fields[2])
                }
            }
            return byQueue
        }) ?? [:]
    }
    static let dayMillis: Int64 = 86_400_000
    static let hourMillis: Int64 = 3_600_000
    /// Share of max at or above which an hour counts as at max.
    static let atMaxShare = 0.99

    /// The window: `days` UTC days from `start`.
    let start: Int64
    let days: Int
    /// Every queue with usage in the window or a leaf in a loaded plan, by cluster then path.
    let queues: [FleetQueue]
    let queueIndex: [String: Int]
    /// Clusters with usage or a plan, sorted.
    let clusters: [String]
    /// Per path, its queues (one per cluster it is on).
    let queuesOfPath: [String: [Int]]
    let usage: FleetUsageColumns
    /// Per queue, its entry in `usage` (-1: no usage in the window).
    let usageOfQueue: [Int]
    /// Loaded nights, oldest first: the one in effect when the window begins and every later one.
    let nights: [FleetNight]
    /// Per day of the window, the night in effect (-1: none).
    let nightOfDay: [Int]
    /// Per night, per queue, its limits in that night's plan.
    let limits: [[QueueLimits?]]
    /// Per queue and day (`queue * days + day`).
    let hoursUsed: [Int32]
    let hoursBorrowing: [Int32]
    let hoursAtMax: [Int32]
    let vcoreSeconds: [Int64]
    let peakVcore: [Int64]
    let peakMemory: [Int64]

    /// An empty history.
    public init() {
        self.init(start: 0, days: 0, usage: FleetUsageColumns(), plans: [])
    }

    /// Reads the queues' hours in `[from, to)` and the plans in effect in those days and since; when the archive
    /// begins inside the window, the baseline archived with its first night covers the days before it. The plans'
    /// files are decoded on other threads while this one reads the hours.
    public static func load(from store: InsightStore, from: Int64, to: Int64) throws -> FleetHistory {
        let firstDay = Timestamp.formatDate(from)
        let plans = try store.plansInEffect(fromDay: firstDay)
        var baseline: [String: String]?
        if let first = plans.first, first.night >= firstDay, let kept = try store.earliestArchivedBaseline()?.baseline, !kept.isEmpty {
            baseline = kept
        }
        let reader = HoursReader(store: store), kept = baseline
        let (decoded, usage) = Concurrent.both({ DecodedPlans(plans, baseline: kept) },
                                               { Result { try reader.store.fleetUsage(from: from, to: to) } })
        return FleetHistory(start: from, days: Int(max(0, to - from) / dayMillis), usage: try usage.get(), plans: decoded)
    }

    /// The store, for the one closure that reads it while `load` waits for both of its halves.
    private struct HoursReader: @unchecked Sendable {
        let store: InsightStore
    }

    /// The plans, the baseline first when there is one, with each distinct file decoded once (an unchanged
    /// cluster's file is the same text night after night).
    struct DecodedPlans: Sendable {
        var plans: [ArchivedNightPlan]
        var hasBaseline: Bool
        var textIndex: [String: Int] = [:]
        var decoded: [PlanQueues?] = []

        init(_ plans: [ArchivedNightPlan], baseline: [String: String]?) {
            self.plans = (baseline.map { [ArchivedNightPlan(night: "baseline", plannedAt: 0, previousNight: nil, configs: $0)] } ?? []) + plans
            hasBaseline = baseline != nil
            var texts: [String] = []
            for plan in self.plans {
                for text in plan.configs.values where textIndex[text] == nil {
                    textIndex[text] = texts.count
                    texts.append(text)
                }
            }
            decoded = Concurrent.map(texts) { FleetHistory.planQueues($0) }
        }

        /// The decoded file of a plan's cluster; nil when it does not decode.
        func queues(_ plan: ArchivedNightPlan, _ cluster: String) -> PlanQueues? {
            plan.configs[cluster].flatMap { textIndex[$0] }.flatMap { decoded[$0] }
        }
    }

    /// The history of `usage` and `plans` over `days` days from `start` (UTC midnight), with `baseline` (per
    /// cluster the files deployed before the first plan) in effect before the first plan.
    init(start: Int64, days: Int, usage: FleetUsageColumns, plans: [ArchivedNightPlan], baseline: [String: String]? = nil) {
        self.init(start: start, days: days, usage: usage, plans: DecodedPlans(plans, baseline: baseline))
    }

    init(start: Int64, days: Int, usage: FleetUsageColumns, plans decodedPlans: DecodedPlans) {
        self.start = start
        self.days = days
        self.usage = usage
        let plans = decodedPlans.plans

        // The queues: those that used anything, and every leaf of a loaded plan.
        var keys = Set<String>()
        var list: [FleetQueue] = []
        func add(_ cluster: String, _ path: String) {
            if keys.insert(cluster + "\u{0}" + path).inserted { list.append(FleetQueue(cluster: cluster, path: path)) }
        }
        for k in usage.queues.indices { add(usage.clusters[k], usage.queues[k]) }
        for plan in plans {
            for cluster in plan.configs.keys {
                for leaf in decodedPlans.queues(plan, cluster)?.leaves ?? [] { add(cluster, leaf) }
            }
        }
        list.sort { ($0.cluster, $0.path) < ($1.cluster, $1.path) }
        var index: [String: Int] = [:]
        for (q, queue) in list.enumerated() { index[queue.cluster + "\u{0}" + queue.path] = q }
        queues = list
        queueIndex = index
        var ofPath: [String: [Int]] = [:]
        for (q, queue) in list.enumerated() { ofPath[queue.path, default: []].append(q) }
        queuesOfPath = ofPath
        var ofQueue = [Int](repeating: -1, count: list.count)
        for k in usage.queues.indices { ofQueue[index[usage.clusters[k] + "\u{0}" + usage.queues[k]]!] = k }
        usageOfQueue = ofQueue

        // Each night's limits and leaves by queue.
        var nightList: [FleetNight] = []
        var nightLimits: [[QueueLimits?]] = []
        for (k, plan) in plans.enumerated() {
            let isBaseline = k == 0 && decodedPlans.hasBaseline
            // Nights are YYYY-MM-DD (the archive refuses others); one that is not sorts first and never takes effect.
            let dayStart = isBaseline ? Int64.min : Timestamp.parse(plan.night).map { Timestamp.floorDiv($0, Self.dayMillis) } ?? Int64.min
            var night = FleetNight(night: plan.night, isBaseline: isBaseline, day: dayStart, plannedAt: plan.plannedAt,
                                   previousNight: plan.previousNight, clusters: plan.configs.keys.sorted())
            night.bindings = plan.bindings
            var row = [QueueLimits?](repeating: nil, count: list.count)
            for cluster in night.clusters {
                guard let parsed = decodedPlans.queues(plan, cluster) else {
                    night.unreadable.append(cluster)
                    continue
                }
                for (path, one) in parsed.limits {
                    if let q = index[cluster + "\u{0}" + path] { row[q] = one }
                }
                for leaf in parsed.leaves { night.leaves.append(index[cluster + "\u{0}" + leaf]!) }
            }
            night.leaves.sort()
            nightList.append(night)
            nightLimits.append(row)
        }
        nights = nightList
        limits = nightLimits
        clusters = Set(list.map(\.cluster) + nightList.flatMap(\.clusters)).sorted()
        let firstDay = Timestamp.floorDiv(start, Self.dayMillis)
        nightOfDay = (0..<days).map { d in nightList.lastIndex { $0.day < firstDay + Int64(d) } ?? -1 }

        // Per queue and day: the figures every window sums.
        let cells = list.count * days
        var used = [Int32](repeating: 0, count: cells), borrowing = used, atMax = used
        var seconds = [Int64](repeating: 0, count: cells), peakV = seconds, peakM = seconds
        for (q, k) in ofQueue.enumerated() where k >= 0 {
            for i in usage.rows(k) {
                let offset = usage.hours[i] - start
                guard offset >= 0 else { continue }
                let d = Int(offset / Self.dayMillis)
                guard d < days else { continue }
                let v = usage.vcore[i], m = usage.memory[i]
                guard v > 0 || m > 0 || usage.pods[i] > 0 else { continue }
                let cell = q * days + d
                used[cell] += 1
                seconds[cell] += v
                peakV[cell] = Swift.max(peakV[cell], v)
                peakM[cell] = Swift.max(peakM[cell], m)
                let n = nightOfDay[d]
                if n >= 0, let one = nightLimits[n][q] {
                    if one.borrowing(vcore: v, memory: m) { borrowing[cell] += 1 }
                    if one.atMax(vcore: v, memory: m) { atMax[cell] += 1 }
                }
            }
        }
        hoursUsed = used
        hoursBorrowing = borrowing
        hoursAtMax = atMax
        vcoreSeconds = seconds
        peakVcore = peakV
        peakMemory = peakM
    }

    // MARK: Plans

    /// What a plan file says about its queues: limits of every queue by path, and the leaves.
    struct PlanQueues: Sendable {
        var limits: [String: QueueLimits] = [:]
        var leaves: [String] = []
    }

    /// The queues of a `queues.yaml` (the `default` partition, else the first); nil when it does not decode.
    static func planQueues(_ text: String) -> PlanQueues? {
        let decoded = StrictDecoder.decode(text)
        guard let config = decoded.config, !decoded.problems.contains(where: { $0.severity == .error }) else { return nil }
        guard let partition = config.partitions.first(where: { $0.name == "default" }) ?? config.partitions.first else { return PlanQueues() }
        var result = PlanQueues()
        func amounts(_ map: QuantityMap?) -> ResourceAmounts {
            var amounts = ResourceAmounts()
            for (name, text) in map ?? [] {
                guard case let .success(value) = Quantity.parse(text, resource: name) else { continue }
                switch name {
                case "vcore": amounts.vcore = value
                case "memory": amounts.memory = value
                case "pods": amounts.pods = value
                default: break
                }
            }
            return amounts
        }
        func walk(_ queue: QueueConfig, _ prefix: String) {
            let path = prefix.isEmpty ? queue.name : prefix + "." + queue.name
            result.limits[path] = QueueLimits(guaranteed: amounts(queue.resources.guaranteed), max: amounts(queue.resources.max))
            // A root without children is an empty cluster, not a queue.
            if queue.queues.isEmpty && !queue.parent && !prefix.isEmpty { result.leaves.append(path) }
            for child in queue.queues { walk(child, path) }
        }
        for root in partition.queues ?? [] { walk(root, "") }
        return result
    }

    // MARK: Reading

    /// The index of a queue, if the history has it.
    func queue(cluster: String, path: String) -> Int? { queueIndex[cluster + "\u{0}" + path] }

    /// The limits of queue `q` on day `d` of the window (the plan in effect then).
    func limits(_ q: Int, day d: Int) -> QueueLimits? {
        guard d >= 0, d < days else { return nil }
        let n = nightOfDay[d]
        return n >= 0 ? limits[n][q] : nil
    }

    /// The newest loaded night (tonight's plan), if any.
    var tonight: Int? { nights.last?.isBaseline == false ? nights.count - 1 : nil }


    /// A queue's figures summed over days `range` of the window.
    struct Figures: Equatable {
        var hoursUsed = 0
        var hoursBorrowing = 0
        var hoursAtMax = 0
        var vcoreSeconds: Int64 = 0
        var peakVcore: Int64 = 0
        var peakMemory: Int64 = 0
    }

    func figures(_ q: Int, days range: Range<Int>) -> Figures {
        var figures = Figures()
        for d in range {
            let cell = q * days + d
            figures.hoursUsed += Int(hoursUsed[cell])
            figures.hoursBorrowing += Int(hoursBorrowing[cell])
            figures.hoursAtMax += Int(hoursAtMax[cell])
            figures.vcoreSeconds += vcoreSeconds[cell]
            figures.peakVcore = Swift.max(figures.peakVcore, peakVcore[cell])
            figures.peakMemory = Swift.max(figures.peakMemory, peakMemory[cell])
        }
        return figures
    }

    /// The days of the window of the last `count` days (all of it when shorter).
    func lastDays(_ count: Int) -> Range<Int> { Swift.max(0, days - count)..<days }

    /// Start of day `d` of the window.
    func dayStart(_ d: Int) -> Int64 { start + Int64(d) * Self.dayMillis }

    /// Queue `q`'s use of `resource` in each hour of days `range`, in resource·seconds (0 where none).
    func hourly(_ q: Int, _ resource: FleetResource, days range: Range<Int>) -> [Int64] {
        var values = [Int64](repeating: 0, count: range.count * 24)
        let k = usageOfQueue[q]
        guard k >= 0 else { return values }
        let column: [Int64] = switch resource {
        case .vcore: usage.vcore
        case .memory: usage.memory
        case .pods: usage.pods
        }
        let from = dayStart(range.lowerBound)
        for i in usage.rows(k) {
            let offset = usage.hours[i] - from
            guard offset >= 0 else { continue }
            let h = Int(offset / Self.hourMillis)
            if h < values.count { values[h] += column[i] }
        }
        return values
    }

    /// The hours in `[from, to)` in which `path` used anything on any cluster: per hour its vcore and memory
    /// resource·seconds, summed over the clusters (in no particular order).
    func activeHours(path: String, from: Int64, to: Int64) -> (vcore: [Int64], memory: [Int64]) {
        let used = (queuesOfPath[path] ?? []).filter { usageOfQueue[$0] >= 0 }
        if used.count == 1 {
            // One cluster (the common case): its rows are distinct hours already.
            var vcore: [Int64] = [], memory: [Int64] = []
            vcore.reserveCapacity(usage.rows(usageOfQueue[used[0]]).count)
            memory.reserveCapacity(vcore.capacity)
            for i in usage.rows(usageOfQueue[used[0]]) where usage.hours[i] >= from && usage.hours[i] < to
                && (usage.vcore[i] > 0 || usage.memory[i] > 0 || usage.pods[i] > 0) {
                vcore.append(usage.vcore[i])
                memory.append(usage.memory[i])
            }
            return (vcore, memory)
        }
        var byHour: [Int64: (vcore: Int64, memory: Int64)] = [:]
        for q in used {
            for i in usage.rows(usageOfQueue[q]) where usage.hours[i] >= from && usage.hours[i] < to
                && (usage.vcore[i] > 0 || usage.memory[i] > 0 || usage.pods[i] > 0) {
                let sum = byHour[usage.hours[i]] ?? (0, 0)
                byHour[usage.hours[i]] = (sum.vcore + usage.vcore[i], sum.memory + usage.memory[i])
            }
        }
        return (byHour.values.map(\.vcore), byHour.values.map(\.memory))
    }

    /// Two percentiles (nearest rank: the smallest value with at least `share` of them at or below it) of
    /// `values`, `low` ≤ `high`; nil for none. Selected in linear time, not sorted: the allocation page takes
    /// them for thousands of queues of hundreds of hours each.
    /// `values` is reordered.
    static func percentiles(_ values: inout [Int64], low: Double, high: Double) -> (low: Int64, high: Int64)? {
        guard !values.isEmpty else { return nil }
        let count = values.count
        func index(_ share: Double) -> Int { Swift.min(count, Swift.max(1, Int((share * Double(count)).rounded(.up)))) - 1 }
        let upper = index(high), lower = index(low)
        select(&values, upper, in: 0..<count)
        // Everything before `upper` is at most values[upper], so the lower rank lies among them.
        if lower < upper { select(&values, lower, in: 0..<upper) }
        return (values[lower], values[upper])
    }

    /// Reorders `values[range]` so that `values[k]` is the value a sort would put there, nothing before it larger
    /// and nothing after it smaller (Hoare's quickselect, median-of-three pivots).
    static func select(_ values: inout [Int64], _ k: Int, in range: Range<Int>) {
        // On the buffer: no copy-on-write check per swap (most of the time, with the array's).
        values.withUnsafeMutableBufferPointer { a in
            var low = range.lowerBound, high = range.upperBound - 1
            while low < high {
                let middle = low + (high - low) / 2
                if a[middle] < a[low] { a.swapAt(middle, low) }
                if a[high] < a[low] { a.swapAt(high, low) }
                if a[high] < a[middle] { a.swapAt(high, middle) }
                let pivot = a[middle]
                var i = low, j = high
                while i <= j {
                    while a[i] < pivot { i += 1 }
                    while a[j] > pivot { j -= 1 }
                    if i <= j {
                        a.swapAt(i, j)
                        i += 1
                        j -= 1
                    }
                }
                if k <= j { high = j } else if k >= i { low = i } else { return }
            }
        }
    }

    // MARK: For other pages

    /// For the overview: queues with usage in the newest day, those above guaranteed in it and those at max.
    public var overview: (queues: Int, aboveGuaranteed: Int, atMax: Int) {
        guard days > 0 else { return (0, 0, 0) }
        var result = (queues: 0, aboveGuaranteed: 0, atMax: 0)
        for q in queues.indices {
            let cell = q * days + days - 1
            if hoursUsed[cell] > 0 { result.queues += 1 }
            if hoursBorrowing[cell] > 0 { result.aboveGuaranteed += 1 }
            if hoursAtMax[cell] > 0 { result.atMax += 1 }
        }
        return result
    }

    /// The usage of `queue` (on every cluster it ran) against guaranteed and max over `[from, to)`, for a late
    /// run; nil when the window holds no hour of it.
    public func lateRunSection(id: String, queue: String, from: Int64, to: Int64, linker: DashboardLinker) -> Section? {
        let first = Swift.max(start, Timestamp.floorDiv(from, Self.hourMillis) * Self.hourMillis)
        let last = Swift.min(dayStart(days), Timestamp.floorDiv(to + Self.hourMillis - 1, Self.hourMillis) * Self.hourMillis)
        guard last > first else { return nil }
        let count = Int((last - first) / Self.hourMillis)
        let ran = (queuesOfPath[queue] ?? []).filter { q in
            usageOfQueue[q] >= 0 && usage.rows(usageOfQueue[q]).contains { usage.hours[$0] >= first && usage.hours[$0] < last }
        }
        guard !ran.isEmpty else { return nil }
        let firstDay = Int((first - start) / Self.dayMillis)
        let lastDay = Int((last - 1 - start) / Self.dayMillis)
        var series: [Chart.Series] = []
        var table = DataTable(id: "\(id)-hours", caption: "\(queue) per hour while the run ran: vCPU used against guaranteed and max (cores), memory (GiB)",
                              columns: ["Cluster", "Hour", "vCPU used", "Guaranteed vCPU", "Max vCPU", "Memory used", "Guaranteed memory", "Max memory", "Borrowing", "At max"])
        for (k, q) in ran.enumerated() {
            let one = queues[q]
            let vcore = hourly(q, .vcore, days: firstDay..<(lastDay + 1)), memory = hourly(q, .memory, days: firstDay..<(lastDay + 1))
            let skip = Int((first - dayStart(firstDay)) / Self.hourMillis)
            var used: [Double?] = [], guaranteed: [Double?] = [], max: [Double?] = []
            let href = linker.href(DashboardView(.queue, ["cluster": one.cluster, "queue": one.path]))
            for h in 0..<count {
                let instant = first + Int64(h) * Self.hourMillis
                let limit = limits(q, day: Int((instant - start) / Self.dayMillis))
                let v = vcore[skip + h], m = memory[skip + h]
                used.append(FleetResource.vcore.hourlyMean(v))
                guaranteed.append(limit?.guaranteed.vcore.map(FleetResource.vcore.shown))
                max.append(limit?.max.vcore.map(FleetResource.vcore.shown))
                let borrowing = limit?.borrowing(vcore: v, memory: m) ?? false, atMax = limit?.atMax(vcore: v, memory: m) ?? false
                table.rows.append([
                    Cell(one.cluster, href: href), Cell(PageParts.minute(instant)),
                    Cell.number(FleetResource.vcore.hourlyMean(v), digits: 2), Cell.number(limit?.guaranteed.vcore.map(FleetResource.vcore.shown), digits: 2),
                    Cell.number(limit?.max.vcore.map(FleetResource.vcore.shown), digits: 2),
                    Cell.number(FleetResource.memory.hourlyMean(m), digits: 2), Cell.number(limit?.guaranteed.memory.map(FleetResource.memory.shown), digits: 2),
                    Cell.number(limit?.max.memory.map(FleetResource.memory.shown), digits: 2),
                    Cell(borrowing ? "yes" : "no", value: borrowing ? 1 : 0, className: borrowing ? "warn" : nil),
                    Cell(atMax ? "yes" : "no", value: atMax ? 1 : 0, className: atMax ? "missed" : nil),
                ])
            }
            let prefix = ran.count > 1 ? "\(one.cluster): " : ""
            series.append(Chart.Series(name: prefix + "vCPU used", className: "s\((k * 3) % 8)", values: used))
            series.append(Chart.Series(name: prefix + "guaranteed", className: "s\((k * 3 + 2) % 8)", values: guaranteed, step: true))
            series.append(Chart.Series(name: prefix + "max", className: "s\((k * 3 + 5) % 8) limit", values: max, step: true))
        }
        let bands = (0..<count).map { h in
            let instant = first + Int64(h) * Self.hourMillis
            return Chart.Band(from: h, to: h + 1, label: String(PageParts.minute(instant).suffix(5)), title: PageParts.minute(instant))
        }
        return Section(
            id: id, heading: "The queue while the run ran",
            note: "\(queue) on \(ran.map { queues[$0].cluster }.joined(separator: ", ")): hourly mean vCPU used against guaranteed and max (dashed) from the plan in effect; the table has memory too.",
            chart: Chart.lines(id: "\(id)-chart", label: "vCPU used by \(queue) against guaranteed and max while the run ran", count: count,
                               series: series, bands: bands, valueText: { Format.number($0, digits: 1) }),
            table: table)
    }
}

/// One queue's right-sizing over the hours its plan was sized from.
struct SizingVerdict: Sendable {
    var hours = 0
    var sizing: [FleetResource: AllocationPage.Sizing] = [:]
    var p50: [FleetResource: Int64] = [:]
    var p95: [FleetResource: Int64] = [:]
}
