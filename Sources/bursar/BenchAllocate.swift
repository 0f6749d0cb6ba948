import Synth
import Platform
import Allocation
import ArgumentParser
import Foundation

/// `bursar bench allocate`: the whole allocation (placement MIP + allocation LPs) on a generated platform.
struct BenchAllocate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allocate",
        abstract: "Time placement and allocation of --queues generated leaf queues over --clusters clusters (vcore, memory, GPU)."
    )

    @Option(help: "Leaf queues to generate.")
    var queues = 5_000

    @Option(help: "Clusters to generate.")
    var clusters = 5

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 42

    @Option(help: "Timed runs (the best and the median are printed).")
    var runs = 3

    @Flag(help: "No previous plan: every queue is new (a new platform, or a re-plan after a capacity change).")
    var firstNight = false

    @Flag(help: "The issue #14 shape: projects with 2-6 daily workflows at fixed hours, tiers 20/30/50%, lognormal sizes (sigma 1), no GPUs, capacity 2:3:4:5:6.")
    var peaky = false

    @Option(help: "Scale capacity so that tier-1 demand plus tier-3 floors is this share of usable capacity (0.85: tight).")
    var hardShare: Double?

    @Option(name: .customLong("export-lp"), help: "After the timed runs, solve once more exporting every model (CPLEX LP, MPS) and models.json here, for HiGHS to solve.")
    var exportLP: String?

    @Flag(help: "Print JSON (figures only).")
    var json = false

    @Flag(inversion: .prefixedNo, help: "Let GLPK try the whole placement MIP when the fast path misses the 0.5% gap (slow on big inputs).")
    var fullModelFallback = false

    func validate() throws {
        if let hardShare, !(hardShare > 0 && hardShare <= 1) { throw ValidationError("--hard-share must be in (0, 1], e.g. 0.85") }
        guard queues >= 1, clusters >= 1 else { throw ValidationError("--queues and --clusters must be at least 1") }
    }

    func run() throws {
        let platform = SyntheticPlatform(queues: queues, clusters: clusters, seed: seed, firstNight: firstNight, peaky: peaky,
                                         hardShare: hardShare)
        var placements: [Double] = [], allocations: [Double] = [], totals: [Double] = []
        var plan: AllocationPlan?
        for _ in 0..<max(1, runs) {
            let start = ContinuousClock.now
            plan = try Planner.plan(clusters: platform.clusters, policy: platform.policy, demands: platform.demands,
                                    previous: platform.previous, fullModelFallback: fullModelFallback)
            totals.append((ContinuousClock.now - start).seconds)
            placements.append(plan!.placementSeconds)
            allocations.append(plan!.allocationSeconds)
        }
        if let exportLP {
            try FileManager.default.createDirectory(atPath: exportLP, withIntermediateDirectories: true)
            let exported = try Planner.plan(clusters: platform.clusters, policy: platform.policy, demands: platform.demands,
                                            previous: platform.previous, exportDirectory: exportLP, fullModelFallback: fullModelFallback)
            try AllocationReport.modelsManifest(exported).write(toFile: "\(exportLP)/models.json", atomically: true, encoding: .utf8)
        }
        let result = plan!
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let lpCount = result.models.filter { $0.name.hasPrefix("allocation") }.count
        let figures: [String: Any] = [
            "queues": queues, "clusters": clusters, "resources": result.resources.count, "seed": seed,
            "total_seconds_best": totals.min()!, "total_seconds_median": median(totals),
            "placement_seconds_best": placements.min()!, "allocation_seconds_best": allocations.min()!,
            "placement_objective": result.placement.objective, "placement_lower_bound": result.placement.lowerBound,
            "placement_gap": result.placement.gap, "pricing_rounds": result.placement.rounds,
            "master_columns": result.placement.columns, "full_columns": result.placement.fullColumns,
            "used_full_model": result.placement.usedFullModel, "moved": result.queues.filter(\.moved).count,
            "new": result.queues.filter { $0.previousCluster == nil }.count, "allocation_lps": lpCount,
            "relaxations": result.relaxations.count, "build": BenchMachine.build, "first_night": firstNight, "peaky": peaky,
            "tier1_share": share(platform, hard: false), "hard_share": share(platform, hard: true), "shape": shape,
        ]
        if json {
            print(jsonText(figures), terminator: "")
            return
        }
        BenchMachine.print()
        print("shape: \(shape); tier-1 demand \(String(format: "%.1f", 100 * share(platform, hard: false)))% of usable capacity, with tier-3 floors \(String(format: "%.1f", 100 * share(platform, hard: true)))%")
        print("input: \(queues) leaf queues (\(platform.demands.filter { $0.amount[ResourceUnits.gpu] != nil }.count) using GPUs), \(clusters) clusters, resources \(result.resources.joined(separator: ", ")), \(platform.policy.pins.count) pins, seed \(seed)")
        print(String(format: "placement: %.3f s best; objective %.6g, LP bound %.6g, gap %.4f%% (target 0.5%%); %d pricing rounds, %d of %d columns%@; %d moved, %d new",
                     placements.min()!, result.placement.objective, result.placement.lowerBound, result.placement.gap * 100,
                     result.placement.rounds, result.placement.columns, result.placement.fullColumns,
                     result.placement.usedFullModel ? ", fell back to the full MIP" : "",
                     result.queues.filter(\.moved).count, result.queues.filter { $0.previousCluster == nil }.count))
        print(String(format: "allocation: %.3f s best; %d stage LPs solved (blocks that fit need none), %d relaxations",
                     allocations.min()!, lpCount, result.relaxations.count))
        print(String(format: "total: %.3f s best, %.3f s median of %d runs", totals.min()!, median(totals), totals.count))
    }

    var shape: String {
        [peaky ? "peaky" : "default", firstNight ? "first night" : "warm night", hardShare.map { "hard share \($0)" }]
            .compactMap { $0 }.joined(separator: ", ")
    }

    /// Tier-1 demand (with tier-3 floors when `hard`) over usable capacity, the largest over resources.
    func share(_ platform: SyntheticPlatform, hard: Bool) -> Double {
        let resources = Set(platform.clusters.flatMap(\.capacity.keys))
        return resources.map { resource in
            let needed = platform.demands.reduce(0) { total, demand in
                let weight = demand.queue.tier == 1 ? 1 : demand.queue.tier == 3 && hard ? platform.policy.tier3Floor : 0
                return total + (demand.amount[resource] ?? 0) * weight
            }
            let usable = platform.clusters.reduce(0) { $0 + ($1.capacity[resource] ?? 0) } * (1 - platform.policy.reserveFraction)
            return usable > 0 ? needed / usable : 0
        }.max() ?? 0
    }
}
