public import Allocation
public import Platform
import Foundation

/// A generated platform for benchmarks: clusters, per-queue demand and last night's plan, deterministic
/// for a seed. Shaped like a real one: lognormal queue sizes, memory-to-vcore ratios between 2 and 8 GiB,
/// a tenth of the projects using GPUs (on every third cluster), most queues placed last night with
/// demand drifting ±40% since, a tenth new, and last night's placement crowding the first cluster (5% of
/// all queues on top of its share) so the placement has real work to do.
///
/// The shapes of issue #14, a parameter each:
/// - `firstNight`: no previous plan at all (a new platform, or a re-plan after a capacity change);
/// - `peaky`: projects running 2–6 daily workflows at fixed hours, tiers 20/30/50% of the workflows,
///   lognormal job sizes (σ = 1), a queue's demand its busiest hour, no GPUs, capacity 2:3:4:5:6;
/// - `hardShare`: capacity scaled so that what must fit (tier-1 demand and the tier-3 floors) is this share
///   of usable capacity (after the onboarding reserve) for every resource: 0.85 is a tight platform.
public struct SyntheticPlatform: Sendable {
    public var clusters: [Cluster]
    public var demands: [QueueDemand]
    public var previous: PreviousPlan
    public var policy: AllocationPolicy

    public init(queues: Int, clusters clusterCount: Int, seed: UInt64 = 42, load: Double = 0.97,
                firstNight: Bool = false, peaky: Bool = false, hardShare: Double? = nil) {
        if peaky {
            self.init(peakyQueues: queues, clusters: clusterCount, seed: seed, load: load, firstNight: firstNight, hardShare: hardShare)
        } else {
            self.init(standardQueues: queues, clusters: clusterCount, seed: seed, load: load, firstNight: firstNight, hardShare: hardShare)
        }
    }

    private init(standardQueues queues: Int, clusters clusterCount: Int, seed: UInt64, load: Double, firstNight: Bool,
                 hardShare: Double?) {
        var random = SplitMix64(seed: seed)
        var clusters: [Cluster] = []
        for c in 0..<clusterCount {
            let vcore = Double(4000 + 2000 * (c % 4))
            var capacity = ["vcore": vcore, "memory": vcore * 5]
            var labels = ["general"]
            if c % 3 == 0 {
                capacity[ResourceUnits.gpu] = Double(64 << (c % 2))
                labels.append(ResourceUnits.gpuLabel)
            }
            clusters.append(Cluster(name: "c\(c)", capacity: capacity, labels: labels))
        }
        let gpuClusters = clusters.indices.filter { clusters[$0].takesGPUWork }
        let totalVcore = clusters.reduce(0) { $0 + ($1.capacity["vcore"] ?? 0) }
        let totalGPU = clusters.reduce(0) { $0 + ($1.capacity[ResourceUnits.gpu] ?? 0) }

        // Raw lognormal sizes, scaled afterwards so that total demand is `load` × capacity.
        let projects = max(1, queues / 3)
        var raw: [(queue: LeafQueue, vcore: Double, ratio: Double, gpu: Bool)] = []
        for p in 0..<projects {
            let org = "org\(p / 20)"
            let gpu = !gpuClusters.isEmpty && random.unit() < 0.1
            let size = random.logNormal(sigma: 1.2)
            for tier in 1...3 where raw.count < queues {
                let share = tier == 1 ? 0.6 : tier == 2 ? 1.0 : 1.4
                raw.append((LeafQueue(org: org, project: "p\(p)", tier: tier), size * share * random.logNormal(sigma: 0.3),
                            2 + 6 * random.unit(), gpu))
            }
        }
        let scale = load * totalVcore / raw.reduce(0) { $0 + $1.vcore }
        let gpuQueues = raw.filter(\.gpu).count
        var demands: [QueueDemand] = []
        var previous = PreviousPlan()
        for item in raw {
            let vcore = item.vcore * scale
            var amount = ["vcore": vcore, "memory": vcore * item.ratio]
            if item.gpu { amount[ResourceUnits.gpu] = 0.5 * totalGPU / Double(max(1, gpuQueues)) * (0.5 + random.unit()) }
            demands.append(QueueDemand(queue: item.queue, amount: amount, maxApplications: 1 + Int(vcore / 20),
                                       source: .history, hours: 300))
            guard random.unit() >= 0.1 else { continue }  // a tenth is new tonight
            // Last night: GPU work on a GPU cluster; the rest spread by capacity, with cluster 0 crowded.
            let cluster: Int
            if item.gpu {
                cluster = gpuClusters[Int(random.next() % UInt64(gpuClusters.count))]
            } else if random.unit() < 0.05 {
                cluster = 0
            } else {
                // In proportion to capacity: a platform that was roughly balanced yesterday.
                var pick = random.unit() * totalVcore
                var chosen = clusters.count - 1
                for (index, candidate) in clusters.enumerated() {
                    pick -= candidate.capacity["vcore"] ?? 0
                    if pick < 0 { chosen = index; break }
                }
                cluster = chosen
            }
            previous.cluster[item.queue] = clusters[cluster].name
            var before: [String: Double] = [:]
            // Sorted: a dictionary's order changes between processes, and the random draws must not.
            for resource in amount.keys.sorted() { before[resource] = amount[resource]! * (0.7 + 0.7 * random.unit()) }
            previous.guaranteed[item.queue] = before
        }
        if firstNight { previous = PreviousPlan() }
        if let hardShare {
            clusters = Self.scaled(clusters, toHardShare: hardShare, of: demands, reserve: AllocationPolicy().reserveFraction)
        }
        var policy = AllocationPolicy()
        // One pin in a hundred projects, to a cluster that can take it.
        for p in stride(from: 7, to: projects, by: 100) {
            let usesGPU = demands.first { $0.queue.project == "p\(p)" }?.amount[ResourceUnits.gpu] != nil
            let choices = usesGPU ? gpuClusters : Array(clusters.indices)
            policy.pins.append(Pin(project: "p\(p)", cluster: clusters[choices[p % choices.count]].name))
        }
        self.clusters = clusters
        self.demands = demands
        self.previous = previous
        self.policy = policy
    }
}

extension SyntheticPlatform {
    /// The reporter's shape (see the type's documentation).
    private init(peakyQueues queues: Int, clusters clusterCount: Int, seed: UInt64, load: Double, firstNight: Bool,
                 hardShare: Double?) {
        var random = SplitMix64(seed: seed)
        var demands: [QueueDemand] = []
        var p = 0
        while demands.count < queues {
            let org = "org\(p / 20)"
            // Workflows: (hour, tier, vcore); a tier's queue needs its busiest hour.
            var byTier: [Int: [Int: Double]] = [:]
            var memoryRatio: [Int: Double] = [:]
            for _ in 0..<(2 + Int(random.next() % 5)) {
                let draw = random.unit()
                let tier = draw < 0.2 ? 1 : draw < 0.5 ? 2 : 3
                let hour = Int(random.next() % 24)
                byTier[tier, default: [:]][hour, default: 0] += 8 * random.logNormal(sigma: 1)
                memoryRatio[tier] = memoryRatio[tier] ?? (2 + 6 * random.unit())
            }
            for tier in byTier.keys.sorted() where demands.count < queues {
                let vcore = byTier[tier]!.values.max()! * 1.1
                demands.append(QueueDemand(queue: LeafQueue(org: org, project: "p\(p)", tier: tier),
                                           amount: ["vcore": vcore, "memory": vcore * memoryRatio[tier]!],
                                           maxApplications: 1 + Int(vcore / 20), source: .history, hours: 60))
            }
            p += 1
        }
        // Capacity 2:3:4:5:6 (repeating past five clusters), sized for `load` × total demand unless a tier-1
        // share is asked for.
        let weights = (0..<clusterCount).map { Double(2 + $0 % 5) }
        let totalVcore = demands.reduce(0) { $0 + $1.amount["vcore"]! } / load
        let totalMemory = demands.reduce(0) { $0 + $1.amount["memory"]! } / load
        var clusters = weights.enumerated().map { c, weight in
            Cluster(name: "c\(c)", capacity: ["vcore": totalVcore * weight / weights.reduce(0, +),
                                              "memory": totalMemory * weight / weights.reduce(0, +)], labels: ["general"])
        }
        if let hardShare {
            clusters = Self.scaled(clusters, toHardShare: hardShare, of: demands, reserve: AllocationPolicy().reserveFraction)
        }
        var previous = PreviousPlan()
        if !firstNight {
            // Last night: in proportion to capacity, demand drifted ±30% since, a tenth new.
            for demand in demands where random.unit() >= 0.1 {
                var pick = random.unit() * weights.reduce(0, +)
                var chosen = clusters.count - 1
                for (index, weight) in weights.enumerated() {
                    pick -= weight
                    if pick < 0 { chosen = index; break }
                }
                previous.cluster[demand.queue] = clusters[chosen].name
                var before: [String: Double] = [:]
                for resource in demand.amount.keys.sorted() { before[resource] = demand.amount[resource]! * (0.7 + 0.6 * random.unit()) }
                previous.guaranteed[demand.queue] = before
            }
        }
        self.clusters = clusters
        self.demands = demands
        self.previous = previous
        self.policy = AllocationPolicy()
    }

    /// The clusters with every resource's capacity scaled (keeping their ratios) so that tier-1 demand and
    /// tier-3 floors are `share` of the usable capacity.
    static func scaled(_ clusters: [Cluster], toHardShare share: Double, of demands: [QueueDemand], reserve: Double) -> [Cluster] {
        var clusters = clusters
        let resources = Set(clusters.flatMap(\.capacity.keys))
        for resource in resources {
            let floor = AllocationPolicy().tier3Floor
            let tier1 = demands.reduce(0) { $0 + ($1.amount[resource] ?? 0) * ($1.queue.tier == 1 ? 1 : $1.queue.tier == 3 ? floor : 0) }
            let capacity = clusters.reduce(0) { $0 + ($1.capacity[resource] ?? 0) }
            guard tier1 > 0, capacity > 0 else { continue }
            let factor = tier1 / (share * (1 - reserve)) / capacity
            for c in clusters.indices where clusters[c].capacity[resource] != nil { clusters[c].capacity[resource]! *= factor }
        }
        return clusters
    }
}

