public import Platform
import LinearSolver
import Foundation

/// What decided a queue's guaranteed amount of one resource.
public enum Binding: String, Sendable, Equatable {
    /// Guaranteed equals demand.
    case demandMet = "demand met"
    /// Demand grew more than `max_change_fraction` allows in one night.
    case changeLimitGrowth = "change limit (growth)"
    /// Demand fell more than `max_change_fraction` allows in one night: guaranteed is held up.
    case changeLimitShrink = "change limit (shrink)"
    /// The cluster is short: the tier's queues share the shortfall in proportion to demand.
    case sharedShortfall = "capacity (shortfall shared in the tier)"
    /// Tier 3 gets its floor only; tiers 1 and 2 take the rest.
    case tier3Floor = "tier-3 floor (tiers 1-2 take the rest)"
    /// No demand for this resource.
    case noDemand = "no demand"
}

/// One queue's input to an allocation block (one cluster, one resource).
public struct BlockQueue: Sendable, Equatable {
    public var tier: Int
    /// Demand in model units.
    public var demand: Double
    /// Last night's guaranteed on this cluster; nil when the queue is new here (new, or moved).
    public var previous: Double?

    public init(tier: Int, demand: Double, previous: Double?) {
        self.tier = tier
        self.demand = demand
        self.previous = previous
    }
}

/// One queue's outcome in a block.
public struct ResourceAllocation: Sendable, Equatable {
    public var demand: Double
    /// Demand clamped into the change limits: what the queue can be given tonight at most (and, when demand
    /// fell, at least).
    public var target: Double
    public var lower: Double
    public var guaranteed: Double
    public var max: Double
    public var binding: Binding
    /// guaranteed / demand (1 when there is no demand).
    public var coverage: Double { demand > 0 ? guaranteed / demand : 1 }
}

/// The allocation of one resource on one cluster.
public struct BlockResult: Sendable {
    public var cluster: String
    public var resource: String
    /// Capacity minus the onboarding reserve.
    public var usable: Double
    public var capacity: Double
    /// Whether the change limits had to be dropped to fit tier-1 demand and the tier-3 floor.
    public var relaxed: Bool
    /// Common coverage level per tier (1, 2, 3): every queue of the tier gets at least this share of its target.
    public var level: [Int: Double]
    public var queues: [ResourceAllocation]
    public var models: [SolvedModel]
    /// Usable capacity left over.
    public var headroom: Double { usable - queues.reduce(0) { $0 + $1.guaranteed } }
}

/// An allocation that cannot meet its hard constraints even without the change limits.
public struct AllocationInfeasible: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// The allocation model of one (cluster, resource) block, solved as the lexicographic sequence it
/// encodes (see Solver/README.md, where the same model is one weighted LP in MathProg):
///
/// - targets: τ_q = clamp(d_q, lo_q, hi_q) with lo/hi = (1 ∓ m)·g0_q when the queue ran here last night;
/// - tier 1 gets its target (hard); tier 3 at least φ·τ (hard); tier 2 at least lo;
/// - if those minimums exceed the usable capacity, the change limits are dropped for the block (reported);
///   if tier 1 plus the tier-3 floor still does not fit, the block is infeasible;
/// - tier 2 then maximises its common level κ₂ within what tiers 1 and 3 leave (g_q ≥ κ₂·τ_q), and tier 3
///   maximises κ₃ (≥ φ) within the rest. Each stage is a small LP solved by GLPK.
public enum AllocationSolver {
    public static func solve(cluster: String, resource: String, usable: Double, capacity: Double, queues: [BlockQueue],
                             policy: AllocationPolicy, exportDirectory: String? = nil) throws -> BlockResult {
        let m = policy.maxChangeFraction, floor = policy.tier3Floor
        func bounds(_ q: BlockQueue, relaxed: Bool) -> (lo: Double, hi: Double, target: Double) {
            guard !relaxed, let previous = q.previous, previous > 0 else { return (0, .infinity, Swift.max(q.demand, 0)) }
            let lo = previous * Swift.max(0, 1 - m), hi = previous * (1 + m)
            return (lo, hi, Swift.min(Swift.max(q.demand, lo), hi))
        }
        func minimums(_ b: [(lo: Double, hi: Double, target: Double)]) -> (tier1: Double, tier2: Double, tier3: Double) {
            var sums = (0.0, 0.0, 0.0)
            for (q, v) in zip(queues, b) {
                switch q.tier {
                case 1: sums.0 += v.target
                case 2: sums.1 += v.lo
                default: sums.2 += Swift.max(v.lo, floor * v.target)
                }
            }
            return sums
        }
        let tolerance = 1e-9 * Swift.max(1, usable)
        var relaxed = false
        var b = queues.map { bounds($0, relaxed: false) }
        var mins = minimums(b)
        if mins.tier1 + mins.tier2 + mins.tier3 > usable + tolerance {
            relaxed = true
            b = queues.map { bounds($0, relaxed: true) }
            mins = minimums(b)
            if mins.tier1 + mins.tier3 > usable + tolerance {
                let over = ResourceUnits.describe(mins.tier1 + mins.tier3 - usable, resource: resource)
                let floorText = mins.tier3 > 0 ? " (with the tier-3 floor of \(ResourceUnits.describe(mins.tier3, resource: resource)))" : ""
                throw AllocationInfeasible(description: "tier-1 demand on \(cluster) exceeds its capacity by \(over)\(floorText): tier-1 demand \(ResourceUnits.describe(mins.tier1, resource: resource)), usable capacity after the onboarding reserve \(ResourceUnits.describe(usable, resource: resource)); raise the capacity, move or pin tier-1 work elsewhere")
            }
        }
        var guaranteed = [Double](repeating: 0, count: queues.count)
        var level: [Int: Double] = [1: 1, 2: 1, 3: 1]
        var models: [SolvedModel] = []
        for (i, q) in queues.enumerated() where q.tier == 1 { guaranteed[i] = b[i].target }

        var remaining = usable - mins.tier1
        for tier in [2, 3] {
            let members = queues.indices.filter { queues[$0].tier == tier }
            let tierFloor = tier == 3 ? floor : 0
            // What the later tiers must keep: tier 3's minimums while tier 2 is sized.
            let reserved = tier == 2 ? mins.tier3 : 0
            let budget = remaining - reserved
            let stage = try solveStage(name: "allocation \(cluster) \(resource) tier\(tier)", tier: tier,
                                       members: members, bounds: b, floor: tierFloor, budget: budget,
                                       exportDirectory: exportDirectory, fileStem: "alloc-\(cluster)-\(fileSafe(resource))-tier\(tier)")
            level[tier] = stage.level
            for (k, i) in members.enumerated() { guaranteed[i] = stage.values[k] }
            if let model = stage.model { models.append(model) }
            remaining -= members.reduce(0) { $0 + guaranteed[$1] }
        }

        var results: [ResourceAllocation] = []
        for (i, q) in queues.enumerated() {
            let g = guaranteed[i]
            let (lo, hi, target) = b[i]
            let eps = 1e-7 * Swift.max(1, target)
            let binding: Binding
            if q.demand <= 0 && target <= 0 {
                binding = .noDemand
            } else if g >= target - eps {
                binding = target < q.demand - eps && hi.isFinite ? .changeLimitGrowth
                    : target > q.demand + eps && lo > 0 ? .changeLimitShrink : .demandMet
            } else if g <= lo + eps && lo > (level[q.tier] ?? 1) * target + eps {
                binding = .changeLimitShrink
            } else if q.tier == 3 && (level[3] ?? 1) <= floor + 1e-9 {
                binding = .tier3Floor
            } else {
                binding = .sharedShortfall
            }
            results.append(ResourceAllocation(demand: q.demand, target: target, lower: lo, guaranteed: g,
                                              max: Swift.min(capacity, policy.maxBurst * g), binding: binding))
        }
        return BlockResult(cluster: cluster, resource: resource, usable: usable, capacity: capacity, relaxed: relaxed,
                           level: level, queues: results, models: models)
    }

    /// One stage: maximise κ subject to Σ g ≤ budget, g_q ≥ κ·τ_q, lo_q ≤ g_q ≤ τ_q, floor ≤ κ ≤ 1.
    private static func solveStage(name: String, tier: Int, members: [Int], bounds: [(lo: Double, hi: Double, target: Double)],
                                   floor: Double, budget: Double, exportDirectory: String?, fileStem: String)
        throws -> (level: Double, values: [Double], model: SolvedModel?)
    {
        let active = members.filter { bounds[$0].target > 0 }
        let total = active.reduce(0) { $0 + bounds[$1].target }
        // Nothing to share, or everything fits: no LP needed, the answer is every target.
        if active.isEmpty || total <= budget * (1 + 1e-12) {
            return (1, members.map { bounds[$0].target }, nil)
        }
        let clock = ContinuousClock.now
        let lp = try LinearProgram(direction: .maximize)
        let kappa = try lp.addColumn(bounds: .range(floor, 1), objective: 1, name: "k")
        let sumLower = active.reduce(0) { $0 + bounds[$1].lo }
        let budgetRow = try lp.addRow(bounds: .upper(Swift.max(budget, sumLower)), name: "budget")
        var entries: [MatrixEntry] = []
        var columns: [Int] = []
        var shareRows: [Int] = []
        for (k, i) in active.enumerated() {
            let (lo, _, target) = bounds[i]
            let g = try lp.addColumn(bounds: lo >= target ? .fixed(target) : .range(lo, target), name: "g_\(k)")
            columns.append(g)
            let share = try lp.addRow(bounds: .lower(0), name: "share_\(k)")
            shareRows.append(share)
            entries.append(MatrixEntry(row: budgetRow, column: g, value: 1))
            entries.append(MatrixEntry(row: share, column: g, value: 1))
            entries.append(MatrixEntry(row: share, column: kappa, value: -target))
        }
        try lp.loadMatrix(entries)
        // The optimum has a closed form (water-filling: g_q = max(lo_q, κ·τ_q) with the largest κ that fits the
        // budget), so GLPK starts from that vertex's basis and only proves it optimal; from the slack basis a
        // stage of 2,500 queues took 0.25 s. A basis GLPK cannot use falls back to a cold solve.
        let warm = try Self.setWaterFillingBasis(lp, kappa: kappa, budgetRow: budgetRow, columns: columns, shareRows: shareRows,
                                                 bounds: active.map { bounds[$0] }, floor: floor, budget: Swift.max(budget, sumLower))
        let solution = try lp.solve(warmStart: warm)
        var file: String?
        if let exportDirectory {
            try lp.writeLP(to: "\(exportDirectory)/\(fileStem).lp")
            file = "\(fileStem).lp"
        }
        var values: [Double] = []
        var byName: [String: Double] = ["k": solution.columnValues[kappa]]
        var position = 0
        for i in members {
            if bounds[i].target > 0 {
                let (lo, _, target) = bounds[i]
                let value = Swift.min(Swift.max(solution.columnValues[columns[position]], lo), target)
                values.append(value)
                byName["g_\(position)"] = solution.columnValues[columns[position]]
                position += 1
            } else {
                values.append(0)
            }
        }
        let model = SolvedModel(name: name, kind: "lp", rows: lp.rowCount, columns: lp.columnCount, objective: solution.objective,
                                seconds: (ContinuousClock.now - clock).secondsValue, file: file, values: byName)
        return (solution.columnValues[kappa], values, model)
    }

    /// The largest κ in [floor, 1] with Σ max(lo_q, κ·τ_q) ≤ budget, nil when even κ = floor does not fit.
    static func waterLevel(bounds: [(lo: Double, hi: Double, target: Double)], floor: Double, budget: Double) -> Double? {
        func needed(_ kappa: Double) -> Double { bounds.reduce(0) { $0 + Swift.max($1.lo, kappa * $1.target) } }
        guard needed(floor) <= budget else { return nil }
        if needed(1) <= budget { return 1 }
        // Above its breakpoint lo/τ a queue grows with κ: walk the breakpoints upwards, keeping Σ lo of the
        // queues still at lo and Σ τ of those already growing.
        let order = bounds.indices.filter { bounds[$0].target > 0 }.sorted { bounds[$0].lo / bounds[$0].target < bounds[$1].lo / bounds[$1].target }
        var atLower = bounds.reduce(0) { $0 + $1.lo }, growing = 0.0
        var kappa = floor
        var next = 0
        while next < order.count, bounds[order[next]].lo / bounds[order[next]].target <= floor {
            atLower -= bounds[order[next]].lo
            growing += bounds[order[next]].target
            next += 1
        }
        while true {
            let breakpoint = next < order.count ? Swift.min(1, bounds[order[next]].lo / bounds[order[next]].target) : 1
            // On [kappa, breakpoint] the need is atLower + κ·growing.
            if growing > 0, atLower + breakpoint * growing > budget {
                return Swift.max(kappa, Swift.min(breakpoint, (budget - atLower) / growing))
            }
            kappa = breakpoint
            guard next < order.count, breakpoint < 1 else { return kappa }
            atLower -= bounds[order[next]].lo
            growing += bounds[order[next]].target
            next += 1
        }
    }

    /// Sets the basis of the water-filling vertex on a stage LP; false (nothing set) when there is none.
    private static func setWaterFillingBasis(_ lp: LinearProgram, kappa: Int, budgetRow: Int, columns: [Int], shareRows: [Int],
                                             bounds: [(lo: Double, hi: Double, target: Double)], floor: Double, budget: Double) throws -> Bool {
        guard let level = waterLevel(bounds: bounds, floor: floor, budget: budget) else { return false }
        let budgetTight = level > floor
        try lp.setColumnStatus(kappa, budgetTight ? .basic : .atLower)
        try lp.setRowStatus(budgetRow, budgetTight ? .atUpper : .basic)
        for (k, column) in columns.enumerated() {
            let (lo, _, target) = bounds[k]
            let share = shareRows[k]
            if lo >= target {
                try lp.setColumnStatus(column, .fixed)
                try lp.setRowStatus(share, .basic)
            } else if lo < level * target {
                try lp.setColumnStatus(column, .basic)
                try lp.setRowStatus(share, .atLower)
            } else {
                try lp.setColumnStatus(column, .atLower)
                try lp.setRowStatus(share, .basic)
            }
        }
        return true
    }

    /// A resource name usable in a file name (`nvidia.com/gpu` → `nvidia.com_gpu`).
    static func fileSafe(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" })
    }
}
