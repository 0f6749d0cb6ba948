@testable import Allocation
@testable import Platform
import QueueConfig
import Testing

@Suite("Policy, clusters and demand")
struct InputsAndDemandTests {
    @Test func readsTheRepositoryStylePolicy() throws {
        let policy = try AllocationPolicy.parse("""
            window_days: 7
            percentile: {tier1: 99, tier2: 90, tier3: 50}
            headroom: 1.2
            onboarding: {reserve_fraction: 0.1, default: {vcore: 2, memory: 8Gi}}
            max_burst: 2
            max_change_fraction: 0.25
            pins:
              - {project: ledger, cluster: moka-a}
              - {project: ranking, tier: 1, cluster: moka-b}
            """, file: "policy.yaml")
        #expect(policy.windowDays == 7)
        #expect(policy.percentile == [1: 99, 2: 90, 3: 50])
        #expect(policy.onboardingDefault == ["vcore": 2, "memory": 8])
        #expect(policy.pins.count == 2)
        #expect(policy.pin(for: LeafQueue(org: "s", project: "ranking", tier: 1))?.cluster == "moka-b")
        #expect(policy.pin(for: LeafQueue(org: "s", project: "ranking", tier: 2)) == nil)
        #expect(policy.pin(for: LeafQueue(org: "p", project: "ledger", tier: 3))?.cluster == "moka-a")
    }

    struct BadPolicy: Sendable, CustomTestStringConvertible {
        var text: String
        var line: Int
        var field: String
        var testDescription: String { field }
    }

    /// Every mistake is reported with its line and field, all at once.
    @Test(arguments: [
        BadPolicy(text: "window_days: 14\nheadrom: 1.1\n", line: 2, field: "headrom"),
        BadPolicy(text: "window_days: two\n", line: 1, field: "window_days"),
        BadPolicy(text: "percentile: {tier1: 95, tier2: 190, tier3: 75}\n", line: 1, field: "percentile.tier2"),
        BadPolicy(text: "max_burst: 3\npins:\n  - {project: x}\n", line: 3, field: "pins[0]"),
        BadPolicy(text: "onboarding: {default: {memory: 10GB}}\n", line: 1, field: "onboarding.default.memory"),
    ])
    func reportsPolicyMistakesWithLineAndField(_ bad: BadPolicy) throws {
        let error = #expect(throws: InputError.self) { try AllocationPolicy.parse(bad.text, file: "policy.yaml") }
        let problem = error?.problems.first
        #expect(problem?.field == bad.field)
        #expect(problem?.line == bad.line)
        #expect(problem?.description.hasPrefix("policy.yaml:\(bad.line):") == true)
    }

    @Test func readsTheClusterRegistry() throws {
        let clusters = try ClusterRegistry.parse("""
            clusters:
              - name: moka-a
                capacity: {vcore: 4000, memory: 16Ti, nvidia.com/gpu: 64}
                labels: [general, gpu]
              - name: moka-b
                capacity: {vcore: 2000, memory: 8Ti}
                labels: [general]
            """, file: "clusters.yaml")
        #expect(clusters.map(\.name) == ["moka-a", "moka-b"])
        #expect(clusters[0].capacity == ["vcore": 4000, "memory": 16384, ResourceUnits.gpu: 64])
        #expect(clusters[0].takesGPUWork)
        #expect(!clusters[1].takesGPUWork)
    }

    @Test func reportsRegistryMistakesTogether() throws {
        let error = #expect(throws: InputError.self) {
            try ClusterRegistry.parse("""
                clusters:
                  - name: moka-a
                    capacity: {vcore: 4.5k, memory: 16Ti}
                  - name: moka-a
                    capacity: {vcore: 10}
                    colour: blue
                """, file: "clusters.yaml")
        }
        let fields = error?.problems.map(\.field) ?? []
        #expect(fields.contains("clusters[0].capacity.vcore"))
        #expect(fields.contains("clusters[1].name"))
        #expect(fields.contains("clusters[1].colour"))
    }

    /// Nearest rank: of 1…10, the 90th percentile is 9 and the 95th is 10.
    @Test func percentileIsNearestRank() {
        let samples = (1...10).map(Double.init)
        #expect(DemandEstimator.percentile(samples, 90) == 9)
        #expect(DemandEstimator.percentile(samples, 95) == 10)
        #expect(DemandEstimator.percentile(samples, 50) == 5)
    }

    /// Twenty days of history, five busy hours a day: 2 cores (1 on each of two clusters, which add up)
    /// in four of them and 4 cores in the fifth. Idle hours have no rows and are not samples; only the
    /// last 14 days count. Tier 3 (75th percentile) sizes for 2 cores, tier 1 (95th) for 4, × headroom 1.1.
    @Test func demandIsThePercentileOfHourlyAveragesTimesHeadroom() throws {
        let hour: Int64 = 3_600_000
        let end: Int64 = 1_000 * 24 * hour
        var hours: [UsageHour] = []
        for day in 0..<20 {
            for h in 0..<5 {
                let start = end - Int64(20 - day) * 24 * hour + Int64(h) * hour
                let cores: Int64 = h == 4 ? 2 : 1
                for tier in [1, 3] {
                    for cluster in ["a", "b"] {
                        // cores × 1000 millicores × 3600 s; cores GiB × 3600 s; one app running all hour.
                        hours.append(UsageHour(cluster: cluster, queue: "root.o.p.tier\(tier)", hour: start,
                                               usage: ["vcore": cores * 3_600_000, "memory": cores * (3600 << 30)], appMillis: 3_600_000))
                    }
                }
            }
        }
        // Outside the window: a huge hour that must not count.
        hours.append(UsageHour(cluster: "a", queue: "root.o.p.tier1", hour: end - 15 * 24 * hour, usage: ["vcore": 1 << 40], appMillis: 0))
        hours.append(UsageHour(cluster: "a", queue: "root.default", hour: end - hour, usage: ["vcore": 1], appMillis: 1))
        var policy = AllocationPolicy()
        policy.windowDays = 14
        let (demands, ignored) = DemandEstimator.estimate(hours: hours, windowEnd: end, policy: policy, previous: PreviousPlan(),
                                                          resources: ["vcore", "memory"])
        #expect(ignored == ["root.default"])
        let tier1 = demands.first { $0.queue.tier == 1 }!
        let tier3 = demands.first { $0.queue.tier == 3 }!
        #expect(abs(tier1.amount["vcore"]! - 4 * 1.1) < 1e-9)
        #expect(abs(tier1.amount["memory"]! - 4 * 1.1) < 1e-9)
        #expect(abs(tier3.amount["vcore"]! - 2 * 1.1) < 1e-9)
        #expect(tier1.source == .history)
        #expect(tier1.hours == 14 * 5)
        // 2 concurrent apps (one per cluster) at p95, × headroom 1.1 × burst 3 = 6.6 → 7.
        #expect(tier1.maxApplications == 7)
    }

    /// Two days of history (less than min_history_days = 3): last night's guaranteed, else the default.
    @Test func shortHistoryKeepsLastNightOrTheOnboardingDefault() throws {
        let hour: Int64 = 3_600_000
        let end: Int64 = 1_000 * 24 * hour
        let hours = [UsageHour(cluster: "a", queue: "root.o.new.tier2", hour: end - 48 * hour, usage: ["vcore": 36_000_000], appMillis: 0),
                     UsageHour(cluster: "a", queue: "root.o.kept.tier2", hour: end - 48 * hour, usage: ["vcore": 36_000_000], appMillis: 0)]
        var previous = PreviousPlan()
        let kept = LeafQueue(path: "root.o.kept.tier2")!
        previous.cluster[kept] = "a"
        previous.guaranteed[kept] = ["vcore": 40, "memory": 160]
        let (demands, _) = DemandEstimator.estimate(hours: hours, windowEnd: end, policy: AllocationPolicy(), previous: previous,
                                                    resources: ["vcore", "memory"])
        let byName = Dictionary(uniqueKeysWithValues: demands.map { ($0.queue.project, $0) })
        #expect(byName["kept"]?.source == .lastNight)
        #expect(byName["kept"]?.amount["vcore"] == 40)
        #expect(byName["new"]?.source == .onboardingDefault)
        #expect(byName["new"]?.amount == AllocationPolicy().onboardingDefault)
    }

    /// A night's window ends at midnight after it, hours past the newest data: those hours are empty, and a
    /// queue's history is counted to the end of the data, so the demands are those of a window ending just
    /// after the newest hour. (Here a queue seen 61 hours before the newest data stays below
    /// min_history_days = 3 although the window ends 84 hours after its first hour.)
    @Test func hoursAfterTheNewestDataAreEmpty() throws {
        let hour: Int64 = 3_600_000
        let midnight: Int64 = 1_000 * 24 * hour
        let newest = midnight + hour
        var hours: [UsageHour] = []
        for h in stride(from: Int64(0), through: 100, by: 5) {
            hours.append(UsageHour(cluster: "a", queue: "root.o.old.tier1", hour: newest - h * hour,
                                   usage: ["vcore": (1 + h % 7) * 3_600_000], appMillis: 3_600_000))
        }
        hours.append(UsageHour(cluster: "a", queue: "root.o.young.tier2", hour: newest - 60 * hour, usage: ["vcore": 36_000_000], appMillis: 0))
        hours.append(UsageHour(cluster: "a", queue: "root.o.young.tier2", hour: newest, usage: ["vcore": 36_000_000], appMillis: 0))
        let policy = AllocationPolicy()
        let nightEnd = midnight + 24 * hour
        let atData = DemandEstimator.estimate(hours: hours, windowEnd: newest + hour, policy: policy, previous: PreviousPlan(),
                                              resources: ["vcore", "memory"])
        let atNight = DemandEstimator.estimate(hours: hours, windowEnd: nightEnd, policy: policy, previous: PreviousPlan(),
                                               resources: ["vcore", "memory"])
        #expect(atNight.demands == atData.demands)
        let byName = Dictionary(uniqueKeysWithValues: atNight.demands.map { ($0.queue.project, $0) })
        #expect(byName["young"]?.source == .onboardingDefault)
        #expect(byName["old"]?.source == .history)
        #expect(byName["old"]?.hours == 21)
    }

    /// Last night's plan is read back from the emitted configuration, units included.
    @Test func previousPlanReadsLeafGuarantees() throws {
        let text = """
            partitions:
              - name: default
                queues:
                  - name: root
                    queues:
                      - name: pay
                        queues:
                          - name: ledger
                            queues:
                              - name: tier1
                                resources:
                                  guaranteed: {vcore: 1500m, memory: 6Gi}
            """
        let config = try #require(StrictDecoder.decode(text).config)
        let plan = PreviousPlan.from(configs: [(cluster: "moka-a", config: config)])
        let queue = LeafQueue(path: "root.pay.ledger.tier1")!
        #expect(plan.cluster[queue] == "moka-a")
        #expect(plan.guaranteed[queue] == ["vcore": 1.5, "memory": 6])
    }
}
