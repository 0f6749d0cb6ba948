import Synth
import Testing
@testable import QueueConfig

/// parse(emit(x)) == x over many generated configurations, including values that need quoting.
struct RoundTripTests {
    /// Synth's SplitMix64, so failures reproduce from the seed.
    struct Generator {
        var random: SplitMix64
        init(state: UInt64) { random = SplitMix64(seed: state) }
        mutating func next() -> UInt64 { random.next() }
        mutating func int(_ upper: Int) -> Int { Int(next() % UInt64(upper)) }
        mutating func bool() -> Bool { next() & 1 == 1 }
        mutating func pick<T>(_ values: [T]) -> T { values[int(values.count)] }

        mutating func string() -> String {
            pick(["a", "root", "tier1", "org-1", "null", "~", "yes", "No", "true", "*", " lead", "trail ",
                  "a: b", "x #y", "it's", "quote\"d", "10", "0x1F", "1e3", "-dash", "[x]", "{y}", "a,b",
                  "ünïcode", "tab\there", "line\nbreak", "", "users groups", "@at", "%pct", "&amp", "!bang"])
        }
        mutating func quantityMap() -> QuantityMap? {
            guard bool() else { return nil }
            var seen = Set<String>()
            return (0..<int(3)).compactMap { _ in
                let name = pick(["vcore", "memory", "nvidia.com/gpu", string()])
                guard seen.insert(name).inserted else { return nil }
                return (name: name, quantity: pick(["10", "16Gi", "500m", "", "1.5", string()]))
            }
        }
        mutating func limits() -> [Limit] {
            (0..<int(2)).map { _ in
                Limit(limit: string(), users: (0..<int(3)).map { _ in string() }, groups: (0..<int(2)).map { _ in string() },
                      maxResources: quantityMap() ?? [], maxApplications: UInt64(int(3)) * 7)
            }
        }
        mutating func queue(depth: Int) -> QueueConfig {
            QueueConfig(name: string(), parent: bool(),
                        resources: QueueResources(guaranteed: quantityMap(), max: quantityMap()),
                        maxApplications: UInt64(int(4)) * 5,
                        properties: int(2) == 0 ? [] : [(key: pick(["application.sort.policy", string()]), value: string())],
                        adminACL: bool() ? string() : "", submitACL: bool() ? string() : "",
                        childTemplate: ChildTemplate(maxApplications: UInt64(int(2)), properties: [],
                                                     resources: QueueResources(guaranteed: nil, max: quantityMap())),
                        queues: depth > 0 ? (0..<int(3)).map { _ in queue(depth: depth - 1) } : [],
                        limits: limits())
        }
        mutating func rule(depth: Int) -> PlacementRule {
            PlacementRule(name: pick(["provided", "user", "fixed", "tag", string()]), create: bool(),
                          filter: bool() ? PlacementFilter(type: pick(["allow", "deny", ""]), users: [string()], groups: []) : PlacementFilter(),
                          parent: depth > 0 && bool() ? rule(depth: depth - 1) : nil, value: bool() ? string() : "")
        }
        mutating func config() -> SchedulerConfig {
            SchedulerConfig(partitions: (0..<(1 + int(2))).map { _ in
                PartitionConfig(name: string(), queues: bool() || true ? (0..<int(3)).map { _ in queue(depth: 2) } : nil,
                                placementRules: (0..<int(3)).map { _ in rule(depth: 2) }, limits: limits(),
                                preemption: PartitionPreemption(enabled: bool() ? bool() : nil, quotaPreemptionEnabled: bool() ? true : nil),
                                nodeSortPolicy: bool() ? NodeSortPolicy(type: pick(["fair", "binpacking"]),
                                                                        resourceWeights: [("vcore", 1.5), ("memory", 0)]) : NodeSortPolicy(),
                                userGroupResolver: UserGroupResolver(type: bool() ? "ldap" : ""))
            })
        }
    }

    @Test("parse(emit(x)) == x", arguments: 0..<300)
    func roundTrip(seed: Int) {
        var generator = Generator(state: UInt64(seed))
        let config = generator.config()
        let text = Emitter.yaml(config)
        let decoded = StrictDecoder.decode(text)
        #expect(decoded.problems.isEmpty, "seed \(seed): \(decoded.problems.map(\.message))\n\(text)")
        #expect(decoded.config == config, "seed \(seed):\n\(text)")
    }

    @Test("generated org trees are valid and canonical", arguments: [1, 10, 100, 1_000])
    func synthetic(count: Int) {
        let config = SyntheticQueues.orgTree(queueCount: count)
        let text = Emitter.yaml(config)
        let result = Validator.validate(text: text)
        #expect(result.isValid, "\(result.yunikornError ?? "")")
        #expect(result.problems.isEmpty)
        #expect(Emitter.yaml(result.config!) == text)
    }
}
