/// Usage per queue per hour, built from finished applications: each application's resource·seconds are
/// spread over the hours it ran in proportion to its time in each hour, and its running time per hour is
/// kept so the allocator can derive concurrent applications (`app_ms / 3,600,000` = mean apps running).
///
/// Amounts are integers apportioned with cumulative floors, so an application's hourly shares always sum
/// to exactly its total and the tables come out identical whatever order or batches the apps arrive in
/// (a resumed ingest must equal a clean one, bit for bit).
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
    // Packed keys (queue 24 bits | resource 8 bits | hour 32 bits) keep the hot dictionary cheap to hash.
    private var amounts: [UInt64: Int64] = [:]
    private var occupancy: [UInt64: (millis: Int64, started: Int64)] = [:]

    public init() {}

    /// True when nothing has been added (or everything added was taken away again).
    public var isEmpty: Bool { amounts.isEmpty && occupancy.isEmpty }

    /// Adds (sign +1) or takes away (sign -1) one application's usage.
    public mutating func add(cluster: String, queue: String, start: Int64, finish: Int64, usage: [String: Int64],
                             sign: Int64 = 1) {
        let key = QueueKey(cluster: cluster, queue: queue)
        let q: UInt32
        if let known = queueIndex[key] {
            q = known
        } else {
            q = UInt32(queues.count)
            precondition(q < 1 << 24, "more than 16M queues in one batch")
            queues.append(key)
            queueIndex[key] = q
        }
        let firstHour = Self.hourIndex(start)
        let lastHour = finish > start ? Self.hourIndex(finish - 1) : firstHour
        let duration = finish - start

        Self.bump(&occupancy, Self.pack(q, 0, firstHour), millis: 0, started: sign)
        if duration > 0 {
            for hour in firstHour...lastHour {
                let overlap = Self.overlap(start, finish, hour)
                Self.bump(&occupancy, Self.pack(q, 0, hour), millis: sign * overlap, started: 0)
            }
        }

        for (resource, total) in usage where total != 0 {
            let r = resourceID(resource)
            if duration <= 0 || firstHour == lastHour {
                amounts[Self.pack(q, r, firstHour), default: 0] += sign * total
                continue
            }
            // Cumulative floors: share(h) = ⌊total·elapsed(h)/d⌋ − ⌊total·elapsed(h−1)/d⌋, in 128 bits.
            var previous: Int64 = 0
            var elapsed: Int64 = 0
            for hour in firstHour...lastHour {
                elapsed += Self.overlap(start, finish, hour)
                let cumulative = Self.scaled(total, elapsed, duration)
                amounts[Self.pack(q, r, hour), default: 0] += sign * (cumulative - previous)
                previous = cumulative
            }
        }
    }

    /// The amounts, sorted by cluster, queue, hour and resource; zero cells (after take-aways) left out.
    public var cells: [Cell] {
        unsortedCells.sorted { a, b in
            (a.queue.cluster, a.queue.queue, a.hour, a.resource) < (b.queue.cluster, b.queue.queue, b.hour, b.resource)
        }
    }

    /// The amounts in no particular order (for writers, where order does not matter).
    public var unsortedCells: [Cell] {
        amounts.compactMap { key, amount -> Cell? in
            guard amount != 0 else { return nil }
            let (q, r, hour) = Self.unpack(key)
            return Cell(queue: queues[Int(q)], hour: hour, resource: resources[Int(r)], amount: amount)
        }
    }

    /// The running times, sorted by cluster, queue and hour; all-zero entries left out.
    public var occupancies: [Occupancy] {
        unsortedOccupancies.sorted { a, b in (a.queue.cluster, a.queue.queue, a.hour) < (b.queue.cluster, b.queue.queue, b.hour) }
    }

    /// The running times in no particular order.
    public var unsortedOccupancies: [Occupancy] {
        occupancy.compactMap { key, value -> Occupancy? in
            guard value.millis != 0 || value.started != 0 else { return nil }
            let (q, _, hour) = Self.unpack(key)
            return Occupancy(queue: queues[Int(q)], hour: hour, appMillis: value.millis, appsStarted: value.started)
        }
    }

    private mutating func resourceID(_ resource: String) -> UInt32 {
        if let known = resourceIndex[resource] { return known }
        let r = UInt32(resources.count)
        precondition(r < 255, "more than 255 resource names in one batch")
        resources.append(resource)
        resourceIndex[resource] = r
        return r
    }

    // Static, so calling it does not read `self` while `occupancy` is borrowed inout: an instance method
    // here made Swift copy the whole dictionary on every call.
    private static func bump(_ table: inout [UInt64: (millis: Int64, started: Int64)], _ key: UInt64, millis: Int64,
                             started: Int64) {
        table[key, default: (0, 0)].millis += millis
        table[key, default: (0, 0)].started += started
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

    private static func pack(_ queue: UInt32, _ resource: UInt32, _ hour: Int64) -> UInt64 {
        UInt64(queue) << 40 | UInt64(resource) << 32 | UInt64(UInt32(truncatingIfNeeded: hour))
    }

    private static func unpack(_ key: UInt64) -> (UInt32, UInt32, Int64) {
        (UInt32(key >> 40), UInt32((key >> 32) & 0xFF), Int64(Int32(truncatingIfNeeded: key & 0xFFFF_FFFF)) * hourMillis)
    }
}
