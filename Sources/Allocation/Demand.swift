import Parallel
public import Platform
public import QueueConfig

/// One hour of one queue on one cluster, as the insight tables hold it (see `InsightStore.QueueHour`):
/// resource·seconds in YuniKorn units and application run time in milliseconds.
public struct UsageHour: Sendable, Equatable {
    public var cluster: String
    public var queue: String
    /// Start of the hour, milliseconds since the epoch.
    public var hour: Int64
    public var usage: [String: Int64]
    public var appMillis: Int64

    public init(cluster: String, queue: String, hour: Int64, usage: [String: Int64], appMillis: Int64) {
        self.cluster = cluster
        self.queue = queue
        self.hour = hour
        self.usage = usage
        self.appMillis = appMillis
    }
}

/// The hours of one queue on one cluster as columns aligned by index (see `InsightStore.QueueHourSeries`):
/// how the estimator reads a window of hundreds of thousands of hours.
public struct UsageSeries: Sendable, Equatable {
    public var cluster: String
    public var queue: String
    /// Start of each hour, milliseconds since the epoch.
    public var hours: [Int64]
    /// Application run time in each hour, milliseconds.
    public var appMillis: [Int64]
    /// Per resource, resource·seconds in each hour (0 where none).
    public var usage: [String: [Int64]]

    public init(cluster: String, queue: String, hours: [Int64], appMillis: [Int64], usage: [String: [Int64]]) {
        precondition(appMillis.count == hours.count && usage.values.allSatisfy { $0.count == hours.count },
                     "every column of a usage series has one value per hour")
        self.cluster = cluster
        self.queue = queue
        self.hours = hours
        self.appMillis = appMillis
        self.usage = usage
    }

    /// Hours grouped into series by cluster and queue (in the order each pair first appears).
    public static func grouping(_ hours: [UsageHour]) -> [UsageSeries] {
        var index: [String: Int] = [:]
        var series: [UsageSeries] = []
        for hour in hours {
            let key = "\(hour.cluster)\u{0}\(hour.queue)"
            let k: Int
            if let known = index[key] {
                k = known
            } else {
                k = series.count
                index[key] = k
                series.append(UsageSeries(cluster: hour.cluster, queue: hour.queue, hours: [], appMillis: [], usage: [:]))
            }
            let i = series[k].hours.count
            series[k].hours.append(hour.hour)
            series[k].appMillis.append(hour.appMillis)
            for resource in hour.usage.keys where series[k].usage[resource] == nil {
                series[k].usage[resource] = [Int64](repeating: 0, count: i)
            }
            for resource in series[k].usage.keys { series[k].usage[resource]!.append(hour.usage[resource] ?? 0) }
        }
        return series
    }
}

/// Where a queue's demand came from.
public enum DemandSource: String, Sendable, Equatable {
    /// The tier's percentile of its own hourly usage.
    case history
    /// Too little history: last night's guaranteed is kept.
    case lastNight = "last-night"
    /// Too little history and nothing last night: the onboarding default.
    case onboardingDefault = "onboarding-default"
}

/// What one leaf queue needs.
public struct QueueDemand: Sendable, Equatable {
    public var queue: LeafQueue
    /// Per resource, in model units, headroom included.
    public var amount: [String: Double]
    /// Concurrent applications to allow (`maxapplications`).
    public var maxApplications: Int
    public var source: DemandSource
    /// Hours with usage the percentile was taken over (0 unless `source == .history`).
    public var hours: Int
    /// Resources the queue used at all in the window (or was given last night): it may only run where
    /// every one of them has capacity.
    public var usedResources: Set<String>

    public init(queue: LeafQueue, amount: [String: Double], maxApplications: Int, source: DemandSource,
                hours: Int = 0, usedResources: Set<String>? = nil) {
        self.queue = queue
        self.amount = amount
        self.maxApplications = maxApplications
        self.source = source
        self.hours = hours
        self.usedResources = usedResources ?? Set(amount.filter { $0.value > 0 }.keys)
    }
}

/// Demand from hourly usage: per leaf queue and resource, the tier's percentile of the hourly averages over
/// the hours of the window in which the queue ran, times the headroom.
public enum DemandEstimator {
    static let hourMillis: Int64 = 3_600_000

    /// The `p`-th percentile by nearest rank (the smallest sample with at least p% of samples at or below it).
    public static func percentile(_ samples: [Double], _ p: Double) -> Double {
        guard !samples.isEmpty else { return 0 }
        let sorted = samples.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// Demand of every leaf queue seen in `hours` (see `estimate(series:…)`).
    public static func estimate(hours: [UsageHour], windowEnd: Int64, policy: AllocationPolicy,
                                previous: PreviousPlan, resources: [String]) -> (demands: [QueueDemand], ignored: [String]) {
        estimate(series: UsageSeries.grouping(hours), windowEnd: windowEnd, policy: policy, previous: previous, resources: resources)
    }

    /// Demand of every leaf queue seen in `series` (any cluster: a queue's usage on all clusters is summed per
    /// hour, since it will run on one) or present last night.
    ///
    /// - Parameters:
    ///   - windowEnd: the end of the window (exclusive), ms; the window is `policy.windowDays` before it. Hours
    ///     after the newest one in `series` are simply empty: they neither count as samples nor as history.
    ///   - resources: the resources to size (those the clusters have capacity for).
    /// - Returns: demands sorted by queue, and the queue names that are not `root.<org>.<project>.tier<N>`.
    public static func estimate(series input: [UsageSeries], windowEnd: Int64, policy: AllocationPolicy,
                                previous: PreviousPlan, resources: [String]) -> (demands: [QueueDemand], ignored: [String]) {
        let windowStart = windowEnd - Int64(policy.windowDays) * 24 * hourMillis
        // Per queue, its hours as slots: a slot per hour with usage per resource (indexed like `resources`,
        // `usage[r][slot]`) and concurrent applications. A queue on one cluster (the usual case) takes its
        // columns as they are; only a queue seen on several clusters merges hours by dictionary.
        struct Series {
            var hours: [Int64] = []
            var usage: [[Double]]
            var apps: [Double] = []
            var first = Int64.max
            var last = Int64.min
            var used: Set<String> = []
        }
        var ignored: Set<String> = []
        var partsOfQueue: [LeafQueue: [Int]] = [:]
        for (k, one) in input.enumerated() {
            guard one.hours.contains(where: { $0 >= windowStart && $0 < windowEnd }) else { continue }
            if let queue = LeafQueue(path: one.queue) {
                partsOfQueue[queue, default: []].append(k)
            } else {
                ignored.insert(one.queue)
            }
        }
        let columns = resources.map { (resource: $0, scale: ResourceUnits.scale($0)) }
        func add(_ part: UsageSeries, to entry: inout Series, slotOfHour: inout [Int64: Int]?) {
            let usage = columns.map { part.usage[$0.resource] }
            var used = [Bool](repeating: false, count: columns.count)
            defer { for (r, column) in columns.enumerated() where used[r] { entry.used.insert(column.resource) } }
            for i in part.hours.indices where part.hours[i] >= windowStart && part.hours[i] < windowEnd {
                let hour = part.hours[i]
                let slot: Int
                if let known = slotOfHour?[hour] {
                    slot = known
                } else {
                    slot = entry.hours.count
                    slotOfHour?[hour] = slot
                    entry.hours.append(hour)
                    entry.apps.append(0)
                    for r in columns.indices { entry.usage[r].append(0) }
                }
                for (r, column) in usage.enumerated() {
                    // resource·seconds in one hour / 3600 = the average amount held in that hour.
                    if let column, column[i] > 0 {
                        entry.usage[r][slot] += Double(column[i]) / 3600 / columns[r].scale
                        used[r] = true
                    }
                }
                entry.apps[slot] += Double(part.appMillis[i]) / Double(hourMillis)
                entry.first = min(entry.first, hour)
                entry.last = max(entry.last, hour)
            }
        }
        var series: [LeafQueue: Series] = [:]
        series.reserveCapacity(partsOfQueue.count)
        for (queue, parts) in partsOfQueue {
            var entry = Series(usage: Array(repeating: [], count: columns.count))
            // Several parts (clusters, or two spellings of one queue), or hours out of order, are merged by hour.
            let ascending = parts.count == 1 && zip(input[parts[0]].hours, input[parts[0]].hours.dropFirst()).allSatisfy { $0 < $1 }
            var slotOfHour: [Int64: Int]? = ascending ? nil : [:]
            for k in parts { add(input[k], to: &entry, slotOfHour: &slotOfHour) }
            series[queue] = entry
        }

        var demands: [QueueDemand] = []
        let minimumHistory = Int64(policy.minHistoryDays * 24 * Double(hourMillis))
        // A queue's history runs from its first hour to the end of the data, not to the end of the window: a
        // night's window ends at midnight after it, and the hours after the newest data are only not there yet.
        let newest = series.values.lazy.map(\.last).max()
        let dataEnd = newest.map { Swift.min(windowEnd, $0 + hourMillis) } ?? windowEnd
        for queue in Set(series.keys).union(previous.guaranteed.keys).sorted() {
            let percentile = policy.percentile[queue.tier] ?? 90
            if let entry = series[queue], dataEnd - entry.first >= minimumHistory {
                // The samples are the hours in which the queue ran: the tables hold no row for idle hours,
                // and an idle queue holds nothing in YuniKorn (others borrow its guarantee), so guaranteed is
                // sized for the hours it asks. Counting idle hours as zeros would size a daily job at 0.
                let count = entry.apps.count
                var amount: [String: Double] = [:]
                for (r, resource) in resources.enumerated() where entry.used.contains(resource) {
                    amount[resource] = Self.percentile(entry.usage[r], percentile) * policy.headroom
                }
                let concurrent = Self.percentile(entry.apps, percentile) * policy.headroom
                let maxApplications = max(1, Int((concurrent * policy.maxBurst).rounded(.up)))
                demands.append(QueueDemand(queue: queue, amount: amount, maxApplications: maxApplications,
                                           source: .history, hours: count, usedResources: entry.used))
            } else if let kept = previous.guaranteed[queue] {
                let used = Set(kept.filter { $0.value > 0 }.keys).union(series[queue]?.used ?? [])
                demands.append(QueueDemand(queue: queue, amount: kept.filter { resources.contains($0.key) },
                                           maxApplications: previous.maxApplications[queue] ?? policy.onboardingMaxApplications,
                                           source: .lastNight, usedResources: used))
            } else {
                let used = Set(policy.onboardingDefault.keys).union(series[queue]?.used ?? [])
                var amount = policy.onboardingDefault.filter { resources.contains($0.key) }
                // A new queue that already used a resource the default does not cover (a GPU) gets one unit of it.
                for resource in used where amount[resource] == nil && resources.contains(resource) { amount[resource] = 1 }
                demands.append(QueueDemand(queue: queue, amount: amount, maxApplications: policy.onboardingMaxApplications,
                                           source: .onboardingDefault, usedResources: used))
            }
        }
        return (demands, ignored.sorted())
    }
}

/// Last night's plan, read back from the queue configurations it produced: where each leaf queue ran and
/// what it was guaranteed there.
public struct PreviousPlan: Sendable, Equatable {
    public var cluster: [LeafQueue: String] = [:]
    /// Guaranteed per resource in model units, on `cluster[queue]`.
    public var guaranteed: [LeafQueue: [String: Double]] = [:]
    public var maxApplications: [LeafQueue: Int] = [:]

    public init() {}

    /// Reads the leaf queues `root.<org>.<project>.tier<N>` of each cluster's configuration. A queue found on
    /// two clusters (hand-edited files) counts where its guaranteed vcore is larger.
    public static func from(configs: [(cluster: String, config: SchedulerConfig)]) -> PreviousPlan {
        var plan = PreviousPlan()
        for (cluster, config) in configs.sorted(by: { $0.cluster < $1.cluster }) {
            guard let root = config.partitions.first(where: { $0.name == "default" })?.queues?.first(where: { $0.name == "root" })
            else { continue }
            for org in root.queues {
                for project in org.queues {
                    for leaf in project.queues {
                        guard let queue = LeafQueue(path: "root.\(org.name).\(project.name).\(leaf.name)") else { continue }
                        var guaranteed: [String: Double] = [:]
                        for (name, text) in leaf.resources.guaranteed ?? [] {
                            if case let .success(amount) = Quantity.parse(text, resource: name) {
                                guaranteed[name] = Double(amount) / ResourceUnits.scale(name)
                            }
                        }
                        if let existing = plan.guaranteed[queue], (existing["vcore"] ?? 0) >= (guaranteed["vcore"] ?? 0) { continue }
                        plan.cluster[queue] = cluster
                        plan.guaranteed[queue] = guaranteed
                        if leaf.maxApplications > 0 { plan.maxApplications[queue] = Int(clamping: leaf.maxApplications) }
                    }
                }
            }
        }
        return plan
    }
}
