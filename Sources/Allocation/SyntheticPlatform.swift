import Foundation

/// A generated platform for benchmarks: clusters, per-queue demand and last night's plan, deterministic
/// for a seed. Shaped like a real one: lognormal queue sizes, memory-to-vcore ratios between 2 and 8 GiB,
/// a tenth of the projects using GPUs (on every third cluster), most queues placed last night with
/// demand drifting ±40% since, a tenth new, and last night's placement crowding the first cluster (5% of
/// all queues on top of its share) so the placement has real work to do.
public struct SyntheticPlatform: Sendable {
    public var clusters: [Cluster]
    public var demands: [QueueDemand]
    public var previous: PreviousPlan
    public var policy: AllocationPolicy

    public init(queues: Int, clusters clusterCount: Int, seed: UInt64 = 42, load: Double = 0.97) {
        var random = SeededRandom(seed: seed)
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

/// SplitMix64: small, fast, deterministic.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// exp(σ·N(0,1)) by Box–Muller.
    mutating func logNormal(sigma: Double) -> Double {
        let u = max(unit(), 1e-12), v = unit()
        return Foundation.exp(sigma * (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v))
    }
}
