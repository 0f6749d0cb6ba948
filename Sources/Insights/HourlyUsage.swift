/// Usage per queue per hour, built from finished applications: each application's resource·seconds are
/// spread over the hours it ran in proportion to its time in each hour, and its running time per hour is
/// kept so the allocator can derive concurrent applications (`app_ms / 3,600,000` = mean apps running).
///
/// Amounts are integers apportioned with cumulative floors, so an application's hourly shares always sum
/// to exactly its total and the tables come out identical whatever order or batches the apps arrive in
/// (a resumed ingest must equal a clean one, bit for bit).
///
/// Sums wrap instead of trapping, so no input can stop a run: adding and then taking away an application is
/// exact even past 64 bits, and the ingester's limits (`SummaryLimits`) keep any real sum far below them.
public struct HourlyUsage: Sendable {
    /// Milliseconds in an hour.
    public static let hourMillis: Int64 = 3_600_000

    /// A (cluster, queue) pair; `queue` is the demand queue (the attributed leaf when there is one).
    public struct QueueKey: Hashable, Sendable {
        public var cluster: String
        public var queue: String
        public init(cluster: String, queue: String) {
            self.cluster = cluster
            self.queue = queue
        }
    }

    /// One (queue, hour, resource) amount in resource·seconds (YuniKorn units).
    public struct Cell: Equatable, Sendable {
        public var queue: QueueKey
        /// Start of the hour, milliseconds since the epoch.
        public var hour: Int64
        public var resource: String
        public var amount: Int64

        public init(queue: QueueKey, hour: Int64, resource: String, amount: Int64) {
            self.queue = queue
            self.hour = hour
            self.resource = resource
            self.amount = amount
        }
    }

    /// One (queue, hour) running time: milliseconds of application run time in the hour and how many
    /// applications started in it.
    public struct Occupancy: Equatable, Sendable {
        public var queue: QueueKey
        public var hour: Int64
        public var appMillis: Int64
        public var appsStarted: Int64
    }

    private var queues: [QueueKey] = []
    private var queueIndex: [QueueKey: UInt32] = [:]
    private var resources: [String] = []
    private var resourceIndex: [String: UInt32] = [:]
    // Packed keys keep the hot dictionaries cheap to hash: a queue hour is queue 32 bits | hour 32 bits, an
    // amount's cell adds the resource. Ids are 32 bits, so no input can run out of them before memory.
    private var amounts: [CellKey: Int64] = [:]
    private var occupancy: [UInt64: (millis: Int64, started: Int64)] = [:]

    private struct CellKey: Hashable {
        /// queue 32 bits | hour 32 bits, as in `occupancy`.
        var queueHour: UInt64
        var resource: UInt32
    }

    public init() {}

    /// True when nothing has been added (or everything added was taken away again).
    public var isEmpty: Bool { amounts.isEmpty && occupancy.isEmpty }

    /// Adds (sign +1) or takes away (sign -1) one application's usage.
    public mutating func add(cluster: String, queue: String, start: Int64, finish: Int64, usage: [String: Int64],
                             sign: Int64 = 1) {
        let q = queueID(QueueKey(cluster: cluster, queue: queue))
        let firstHour = Self.hourIndex(start)
        let lastHour = finish > start ? Self.hourIndex(finish - 1) : firstHour
        let duration = finish - start

        Self.bump(&occupancy, Self.pack(q, firstHour), millis: 0, started: sign)
        if duration > 0 {
            for hour in firstHour...lastHour {
                let overlap = Self.overlap(start, finish, hour)
                Self.bump(&occupancy, Self.pack(q, hour), millis: sign &* overlap, started: 0)
            }
        }

        for (resource, total) in usage where total != 0 {
            let r = resourceID(resource)
            if duration <= 0 || firstHour == lastHour {
                amounts[CellKey(queueHour: Self.pack(q, firstHour), resource: r), default: 0] &+= sign &* total
                continue
            }
            // Cumulative floors: share(h) = ⌊total·elapsed(h)/d⌋ − ⌊total·elapsed(h−1)/d⌋, in 128 bits.
            var previous: Int64 = 0
            var elapsed: Int64 = 0
            for hour in firstHour...lastHour {
                elapsed += Self.overlap(start, finish, hour)
                let cumulative = Self.scaled(total, elapsed, duration)
                amounts[CellKey(queueHour: Self.pack(q, hour), resource: r), default: 0] &+= sign &* (cumulative &- previous)
                previous = cumulative
            }
        }
    }

    /// The amounts, sorted by cluster, queue, hour and resource; zero cells (after take-aways) left out.
    /// (The store keeps them as `queueHours`; this long form is for inspection and tests.)
    public var cells: [Cell] {
        amounts.compactMap { key, amount -> Cell? in
            guard amount != 0 else { return nil }
            let (q, hour) = Self.unpack(key.queueHour)
            return Cell(queue: queues[Int(q)], hour: hour, resource: resources[Int(key.resource)], amount: amount)
        }.sorted { a, b in
            (a.queue.cluster, a.queue.queue, a.hour, a.resource) < (b.queue.cluster, b.queue.queue, b.hour, b.resource)
        }
    }

    /// The running times, sorted by cluster, queue and hour; all-zero entries left out.
    public var occupancies: [Occupancy] {
        occupancy.compactMap { key, value -> Occupancy? in
            guard value.millis != 0 || value.started != 0 else { return nil }
            let (q, hour) = Self.unpack(key)
            return Occupancy(queue: queues[Int(q)], hour: hour, appMillis: value.millis, appsStarted: value.started)
        }.sorted { a, b in (a.queue.cluster, a.queue.queue, a.hour) < (b.queue.cluster, b.queue.queue, b.hour) }
    }

    /// Adds (sign +1) or takes away (sign -1) everything in `other`, as if its applications had been
    /// added here one by one.
    public mutating func merge(_ other: HourlyUsage, sign: Int64 = 1) {
        let queueMap = other.queues.map { queueID($0) }
        let resourceMap = other.resources.map { resourceID($0) }
        amounts.reserveCapacity(amounts.count + other.amounts.count)
        for (key, amount) in other.amounts {
            let moved = CellKey(queueHour: Self.moved(key.queueHour, queueMap), resource: resourceMap[Int(key.resource)])
            amounts[moved, default: 0] &+= sign &* amount
        }
        for (key, value) in other.occupancy {
            Self.bump(&occupancy, Self.moved(key, queueMap), millis: sign &* value.millis, started: sign &* value.started)
        }
    }

    /// One queue hour with every resource: the shape the store keeps (`vcore`, `memory` and `pods` as
    /// columns, any other resource as its own row).
    public struct QueueHourAmounts: Equatable, Sendable {
        public var queue: QueueKey
        public var hour: Int64
        public var appMillis: Int64
        public var appsStarted: Int64
        public var vcore: Int64
        public var memory: Int64
        public var pods: Int64
        /// Other resources, sorted by name; zero amounts left out.
        public var other: [(resource: String, amount: Int64)]

        public static func == (a: Self, b: Self) -> Bool {
            a.queue == b.queue && (a.hour, a.appMillis, a.appsStarted, a.vcore, a.memory, a.pods) ==
                (b.hour, b.appMillis, b.appsStarted, b.vcore, b.memory, b.pods) && a.other.map(\.resource) == b.other.map(\.resource) && a.other.map(\.amount) == b.other.map(\.amount)
        }
    }

    /// Every queue hour with anything in it, sorted by cluster, queue and hour (the order of the store's
    /// key, so writing them appends to its index instead of jumping around it).
    public var queueHours: [QueueHourAmounts] {
        let hourBits: UInt64 = 0xFFFF_FFFF
        var rows: [QueueHourAmounts] = []
        var rowIndex: [UInt64: Int] = [:]
        rowIndex.reserveCapacity(occupancy.count)
        func row(_ rowKey: UInt64) -> Int {
            if let known = rowIndex[rowKey] { return known }
            let (q, hour) = Self.unpack(rowKey)
            rowIndex[rowKey] = rows.count
            rows.append(QueueHourAmounts(queue: queues[Int(q)], hour: hour, appMillis: 0, appsStarted: 0, vcore: 0,
                                         memory: 0, pods: 0, other: []))
            return rows.count - 1
        }
        for (key, value) in occupancy where value.millis != 0 || value.started != 0 {
            let index = row(key)
            rows[index].appMillis = value.millis
            rows[index].appsStarted = value.started
        }
        for (key, amount) in amounts where amount != 0 {
            let index = row(key.queueHour)
            switch resources[Int(key.resource)] {
            case "vcore": rows[index].vcore = amount
            case "memory": rows[index].memory = amount
            case "pods": rows[index].pods = amount
            case let other: rows[index].other.append((other, amount))
            }
        }
        let rank = Self.ranks(of: queues)
        var order = Array(rowIndex)
        order.sort { a, b in
            let (qa, qb) = (rank[Int(a.key >> 32)], rank[Int(b.key >> 32)])
            return qa != qb ? qa < qb : Int32(truncatingIfNeeded: a.key & hourBits) < Int32(truncatingIfNeeded: b.key & hourBits)
        }
        return order.map { entry in
            var row = rows[entry.value]
            if row.other.count > 1 { row.other.sort { $0.resource < $1.resource } }
            return row
        }
    }

    /// Each queue's position when sorted by cluster, then queue.
    private static func ranks(of queues: [QueueKey]) -> [Int] {
        let sorted = queues.indices.sorted { (queues[$0].cluster, queues[$0].queue) < (queues[$1].cluster, queues[$1].queue) }
        var rank = Array(repeating: 0, count: queues.count)
        for (position, index) in sorted.enumerated() { rank[index] = position }
        return rank
    }

    private mutating func queueID(_ key: QueueKey) -> UInt32 {
        if let known = queueIndex[key] { return known }
        let q = UInt32(queues.count)
        queues.append(key)
        queueIndex[key] = q
        return q
    }

    private mutating func resourceID(_ resource: String) -> UInt32 {
        if let known = resourceIndex[resource] { return known }
        let r = UInt32(resources.count)
        resources.append(resource)
        resourceIndex[resource] = r
        return r
    }

    // Static, so calling it does not read `self` while `occupancy` is borrowed inout: an instance method
    // here made Swift copy the whole dictionary on every call.
    private static func bump(_ table: inout [UInt64: (millis: Int64, started: Int64)], _ key: UInt64, millis: Int64,
                             started: Int64) {
        table[key, default: (0, 0)].millis &+= millis
        table[key, default: (0, 0)].started &+= started
    }

    /// Hours since the epoch (floor, also for times before 1970).
    static func hourIndex(_ millis: Int64) -> Int64 {
        millis >= 0 ? millis / hourMillis : -((-millis + hourMillis - 1) / hourMillis)
    }

    static func overlap(_ start: Int64, _ finish: Int64, _ hour: Int64) -> Int64 {
        let from = max(start, hour * hourMillis)
        let to = min(finish, (hour + 1) * hourMillis)
        return max(0, to - from)
    }

    /// ⌊total × part / whole⌋ without overflow (total·part may exceed 64 bits).
    static func scaled(_ total: Int64, _ part: Int64, _ whole: Int64) -> Int64 {
        let product = total.multipliedFullWidth(by: part)
        return whole.dividingFullWidth(product).quotient
    }

    /// A queue hour's key; hours are kept in 32 bits (±245,000 years), the hours of times the ingester accepts
    /// (2000 to 2100) with room to spare.
    private static func pack(_ queue: UInt32, _ hour: Int64) -> UInt64 {
        UInt64(queue) << 32 | UInt64(UInt32(truncatingIfNeeded: hour))
    }

    private static func unpack(_ key: UInt64) -> (UInt32, Int64) {
        (UInt32(key >> 32), Int64(Int32(truncatingIfNeeded: key & 0xFFFF_FFFF)) * hourMillis)
    }

    /// The same queue hour with the queue renumbered through `queueMap`.
    private static func moved(_ key: UInt64, _ queueMap: [UInt32]) -> UInt64 {
        UInt64(queueMap[Int(key >> 32)]) << 32 | key & 0xFFFF_FFFF
    }
}
