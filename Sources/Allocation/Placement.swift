import LinearSolver
import Foundation

/// One (project, tier) to place: its demand and where it may run.
public struct PlacementItem: Sendable, Equatable {
    public var queue: LeafQueue
    /// Demand per resource, indexed like `PlacementProblem.resources` (model units).
    public var demand: [Double]
    /// Indices of the clusters it may run on (labels, capacity for what it uses, pins), ascending.
    public var allowed: [Int]
    /// Last night's cluster, if it ran anywhere.
    public var previous: Int?
    /// What staying on `previous` would take: demand clamped into the change limits around last night's
    /// guaranteed (a queue whose demand fell keeps more). Soft rows count this on `previous`; the hard rows
    /// count demand, since the allocation drops the limits rather than fail.
    public var stay: [Double]?

    public init(queue: LeafQueue, demand: [Double], allowed: [Int], previous: Int?, stay: [Double]? = nil) {
        self.queue = queue
        self.demand = demand
        self.allowed = allowed
        self.previous = previous
        self.stay = stay
    }

    /// The load the soft rows see on cluster `c` for resource `r`.
    func load(_ r: Int, on c: Int) -> Double {
        if c == previous, let stay { return stay[r] }
        return demand[r]
    }
}

/// The placement MIP's data.
public struct PlacementProblem: Sendable {
    public var clusters: [String]
    public var resources: [String]
    /// Capacity minus the onboarding reserve, per cluster and resource (model units).
    public var usable: [[Double]]
    public var items: [PlacementItem]
    public var tier3Floor: Double
    public var movePenalty: Double
    public var targetUtilization: Double

    public init(clusters: [String], resources: [String], usable: [[Double]], items: [PlacementItem],
                tier3Floor: Double, movePenalty: Double, targetUtilization: Double) {
        self.clusters = clusters
        self.resources = resources
        self.usable = usable
        self.items = items
        self.tier3Floor = tier3Floor
        self.movePenalty = movePenalty
        self.targetUtilization = targetUtilization
    }

    /// Penalty per unit of demand (as a fraction of the cluster's usable capacity) over capacity in tiers
    /// 1–2, over capacity in any tier, and over the target utilisation.
    static let overHighWeight = 5.0
    static let overAllWeight = 1.0

    /// Crowding: a convex piecewise-linear cost of utilisation, (threshold, marginal weight) per step, so
    /// new queues spread over the clusters instead of piling onto one. The marginal weights (0.175 in all
    /// above the target) stay below the move penalty, so crowding alone never moves a queue.
    var crowdingSteps: [(threshold: Double, weight: Double)] {
        [(0, 0.005), (0.25, 0.01), (0.5, 0.02), (0.7, 0.04)].filter { $0.0 < targetUtilization } + [(targetUtilization, 0.1)]
    }
    /// Cost of a unit of hard-row violation in the restricted master (an exact penalty: never used when
    /// the hard rows can be met).
    static let artificialWeight = 1e4

    /// The part of an item's demand that must fit (hard row): all of tier 1, the floor of tier 3.
    func hardShare(_ tier: Int) -> Double { tier == 1 ? 1 : tier == 3 ? tier3Floor : 0 }

    /// The cost of running item `i` on cluster `c`: moving it off last night's cluster costs
    /// `movePenalty` × its size (mean over its resources of demand / mean usable capacity).
    func cost(_ i: Int, _ c: Int, meanUsable: [Double]) -> Double {
        let item = items[i]
        guard let previous = item.previous, previous != c else { return 0 }
        var size = 0.0, count = 0
        // A queue held up by the change limit weighs what it holds, so moving it is never a way to escape
        // the limit cheaply.
        for r in resources.indices {
            let amount = Swift.max(item.demand[r], item.stay?[r] ?? 0)
            guard amount > 0, meanUsable[r] > 0 else { continue }
            size += amount / meanUsable[r]
            count += 1
        }
        return count == 0 ? movePenalty * 1e-6 : movePenalty * size / Double(count)
    }
}

/// A model handed to GLPK, for the report and the cross-check with another solver.
public struct SolvedModel: Sendable, Equatable {
    /// e.g. `placement-master-lp-3`, `placement-mip`, `allocation moka-a vcore tier2`.
    public var name: String
    /// `lp` or `mip`.
    public var kind: String
    public var rows: Int
    public var columns: Int
    public var objective: Double
    public var seconds: Double
    /// The exported file (relative to the export folder), when exported.
    public var file: String?
    /// Column names → values for the exported models (what another solver's answer is compared with).
    public var values: [String: Double]

    public init(name: String, kind: String, rows: Int, columns: Int, objective: Double, seconds: Double,
                file: String? = nil, values: [String: Double] = [:]) {
        self.name = name
        self.kind = kind
        self.rows = rows
        self.columns = columns
        self.objective = objective
        self.seconds = seconds
        self.file = file
        self.values = values
    }
}

/// Where each (project, tier) runs, and how close to optimal that is.
public struct PlacementResult: Sendable {
    /// Cluster index per item.
    public var assignment: [Int]
    /// Objective of the chosen placement.
    public var objective: Double
    /// The LP relaxation's optimum over every column: no placement can cost less.
    public var lowerBound: Double
    /// (objective − lowerBound) / objective, 0 when both are 0.
    public var gap: Double
    /// Column-generation rounds until no column priced out.
    public var rounds: Int
    /// Columns in the final restricted master (out of `fullColumns`).
    public var columns: Int
    public var fullColumns: Int
    /// Whether the restricted approach fell back to GLPK on the whole MIP.
    public var usedFullModel: Bool
    public var models: [SolvedModel]
}

/// Why no placement exists: each reason names the cluster, the resource and by how much.
public struct PlacementInfeasible: Error, Sendable, CustomStringConvertible {
    public var reasons: [String]
    public var description: String { reasons.joined(separator: "\n") }
}

/// The placement MIP: each item on exactly one allowed cluster, tier-1 demand and tier-3 floors within
/// every cluster's usable capacity (hard), overflow and crowding penalised (soft), moves penalised.
///
/// Solved by column generation: the restricted master starts with each item on last night's cluster (all
/// allowed clusters for new items) and gains the columns whose reduced cost under the LP duals is
/// negative; at convergence its LP optimum is the full LP relaxation's, a lower bound on the MIP. GLPK's
/// branch and bound then solves the restricted MIP; the gap to the bound is reported (and is the proof of
/// optimality within `gapTarget`). If that fails, GLPK solves the whole MIP.
public enum PlacementSolver {
    public static func solve(_ problem: PlacementProblem, gapTarget: Double = 0.005, timeLimit: Duration = .seconds(60),
                             exportDirectory: String? = nil) throws -> PlacementResult {
        try diagnoseStructure(problem)
        let meanUsable = problem.resources.indices.map { r in
            let values = problem.usable.map { $0[r] }.filter { $0 > 0 }
            return values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
        }
        let n = problem.items.count
        let costs: [[Double]] = (0..<n).map { i in problem.items[i].allowed.map { problem.cost(i, $0, meanUsable: meanUsable) } }
        let fullColumns = problem.items.reduce(0) { $0 + $1.allowed.count }
        if n == 0 {
            return PlacementResult(assignment: [], objective: 0, lowerBound: 0, gap: 0, rounds: 0, columns: 0,
                                   fullColumns: 0, usedFullModel: false, models: [])
        }

        // Restricted master: positions into items[i].allowed.
        var columns: [[Int]] = problem.items.map { item in
            if let previous = item.previous, let position = item.allowed.firstIndex(of: previous) { return [position] }
            return Array(item.allowed.indices)
        }
        var models: [SolvedModel] = []
        var rounds = 0
        var master: MasterSolution
        while true {
            rounds += 1
            let clock = ContinuousClock.now
            let built = try MasterModel(problem: problem, costs: costs, columns: columns, integer: false, artificial: true)
            let solution = try built.program.solve(timeLimit: timeLimit)
            master = built.read(solution)
            models.append(SolvedModel(name: "placement-master-lp-\(rounds)", kind: "lp", rows: built.program.rowCount,
                                      columns: built.program.columnCount, objective: solution.objective,
                                      seconds: (ContinuousClock.now - clock).secondsValue))
            // Price every absent column: reduced cost = cost − Σ duals·coefficients − the item's own dual.
            var added = 0
            for i in 0..<n {
                let item = problem.items[i]
                guard columns[i].count < item.allowed.count else { continue }
                let sigma: Double
                if let dual = master.itemDuals[i] {
                    sigma = dual
                } else {
                    let position = columns[i][0]
                    sigma = costs[i][position] - built.dualActivity(of: i, cluster: item.allowed[position], solution: solution)
                }
                for position in item.allowed.indices where !columns[i].contains(position) {
                    let reduced = costs[i][position] - built.dualActivity(of: i, cluster: item.allowed[position], solution: solution) - sigma
                    if reduced < -1e-9 {
                        columns[i].append(position)
                        added += 1
                    }
                }
            }
            if added == 0 || rounds >= 100 { break }
        }
        var lowerBound = master.objective
        var usedFull = false
        var assignment: [Int]
        var objective: Double
        let generated = columns.reduce(0) { $0 + $1.count }

        if master.artificial > 1e-7 || rounds >= 100 {
            // Either the hard rows cannot be met (confirm on the full model) or pricing did not settle.
            let bound: Double?
            (assignment, objective, bound, models) = try solveFull(problem, costs: costs, gapTarget: gapTarget, timeLimit: timeLimit, models: models)
            if let bound { lowerBound = Swift.max(lowerBound, bound) }
            usedFull = true
        } else {
            let clock = ContinuousClock.now
            let built = try MasterModel(problem: problem, costs: costs, columns: columns, integer: true, artificial: true)
            let solution = try built.program.solveMIP(timeLimit: timeLimit, relativeGap: gapTarget / 5)
            let read = built.read(solution)
            models.append(SolvedModel(name: "placement-master-mip", kind: "mip", rows: built.program.rowCount,
                                      columns: built.program.columnCount, objective: solution.objective,
                                      seconds: (ContinuousClock.now - clock).secondsValue))
            let gap = relativeGap(solution.objective, lowerBound)
            if read.artificial > 1e-7 || gap > gapTarget {
                let bound: Double?
                (assignment, objective, bound, models) = try solveFull(problem, costs: costs, gapTarget: gapTarget, timeLimit: timeLimit, models: models)
                if let bound { lowerBound = Swift.max(lowerBound, bound) }
                usedFull = true
            } else {
                assignment = read.assignment
                objective = solution.objective
            }
        }
        if let exportDirectory {
            let clock = ContinuousClock.now
            let full = try MasterModel(problem: problem, costs: costs, columns: problem.items.map { Array($0.allowed.indices) },
                                       integer: true, artificial: false)
            try full.program.writeLP(to: exportDirectory + "/placement.lp")
            try full.program.writeMPS(to: exportDirectory + "/placement.mps")
            models.append(SolvedModel(name: "placement", kind: "mip", rows: full.program.rowCount, columns: full.program.columnCount,
                                      objective: objective, seconds: (ContinuousClock.now - clock).secondsValue, file: "placement.lp"))
        }
        return PlacementResult(assignment: assignment, objective: objective, lowerBound: min(lowerBound, objective),
                               gap: relativeGap(objective, lowerBound), rounds: rounds, columns: generated,
                               fullColumns: fullColumns, usedFullModel: usedFull, models: models)
    }

    static func relativeGap(_ upper: Double, _ lower: Double) -> Double {
        let difference = upper - lower
        if difference <= 1e-9 * max(1, abs(upper)) { return 0 }
        return difference / max(abs(upper), 1e-12)
    }

    private static func solveFull(_ problem: PlacementProblem, costs: [[Double]], gapTarget: Double, timeLimit: Duration,
                                  models: [SolvedModel]) throws -> ([Int], Double, Double?, [SolvedModel]) {
        var models = models
        let clock = ContinuousClock.now
        let full = try MasterModel(problem: problem, costs: costs, columns: problem.items.map { Array($0.allowed.indices) },
                                   integer: true, artificial: false)
        let solution: Solution
        do {
            solution = try full.program.solveMIP(timeLimit: timeLimit, relativeGap: gapTarget)
        } catch {
            // (Matching `catch SolverError.infeasible` on a typed throw crashes the 6.3 compiler.)
            if error == .infeasible || error == .infeasibleOrUnbounded { throw PlacementInfeasible(reasons: diagnose(problem)) }
            throw error
        }
        models.append(SolvedModel(name: "placement-full-mip", kind: "mip", rows: full.program.rowCount,
                                  columns: full.program.columnCount, objective: solution.objective,
                                  seconds: (ContinuousClock.now - clock).secondsValue))
        // Branch and bound's own bound (implied by the gap it proved) beats the root LP's.
        let bound = solution.provenGap.map { solution.objective - $0 * abs(solution.objective) }
        return (full.read(solution).assignment, solution.objective, bound, models)
    }

    /// Items with no cluster at all, and pins to clusters the item cannot use, are reported before any solve.
    static func diagnoseStructure(_ problem: PlacementProblem) throws {
        let reasons = problem.items.filter { $0.allowed.isEmpty }.map {
            "\($0.queue.path) has no cluster it may run on (it needs capacity for every resource it used, the gpu label for GPU work, and its pin)"
        }
        if !reasons.isEmpty { throw PlacementInfeasible(reasons: reasons) }
    }

    /// Names the conflicting constraints of an infeasible placement: a set of clusters whose usable capacity
    /// is smaller than the tier-1 demand (plus tier-3 floors) that can only run there.
    static func diagnose(_ problem: PlacementProblem) -> [String] {
        var reasons: [String] = []
        let sets = Set(problem.items.map(\.allowed)).union([Array(problem.clusters.indices)])
            .sorted { $0.count != $1.count ? $0.count < $1.count : $0.lexicographicallyPrecedes($1) }
        for set in sets {
            let members = Set(set)
            let bound = problem.items.filter { Set($0.allowed).isSubset(of: members) }
            for (r, resource) in problem.resources.enumerated() {
                let tier1 = bound.filter { $0.queue.tier == 1 }.reduce(0) { $0 + $1.demand[r] }
                let floor = bound.filter { $0.queue.tier == 3 }.reduce(0) { $0 + $1.demand[r] * problem.tier3Floor }
                let capacity = set.reduce(0) { $0 + problem.usable[$1][r] }
                guard tier1 + floor > capacity * (1 + 1e-9) + 1e-9 else { continue }
                let names = set.map { problem.clusters[$0] }.joined(separator: " + ")
                let over = ResourceUnits.describe(tier1 + floor - capacity, resource: resource)
                let detail = "\(ResourceUnits.describe(tier1, resource: resource)) of tier-1 demand"
                    + (floor > 0 ? " and \(ResourceUnits.describe(floor, resource: resource)) of tier-3 floor" : "")
                    + " can only run there; usable capacity after the onboarding reserve is \(ResourceUnits.describe(capacity, resource: resource))"
                reasons.append("tier-1 demand on \(names) exceeds its capacity by \(over) (\(detail)); raise the capacity, unpin or lower the demand")
            }
            if !reasons.isEmpty { break }  // the smallest conflicting set explains it
        }
        if reasons.isEmpty {
            for item in problem.items {
                for (r, resource) in problem.resources.enumerated() {
                    let hard = item.demand[r] * problem.hardShare(item.queue.tier)
                    let largest = item.allowed.map { problem.usable[$0][r] }.max() ?? 0
                    if hard > largest * (1 + 1e-9) + 1e-9 {
                        reasons.append("\(item.queue.path): tier-\(item.queue.tier) demand \(ResourceUnits.describe(hard, resource: resource)) exceeds the usable capacity of every cluster it may run on (largest \(ResourceUnits.describe(largest, resource: resource)))")
                    }
                }
            }
        }
        if reasons.isEmpty {
            reasons.append("tier-1 demand and tier-3 floors cannot be packed onto the clusters: every cluster's total fits, but not with whole (project, tier) placements; add capacity or split the largest projects")
        }
        return reasons
    }
}

/// The outcome of one master solve, read back per item.
struct MasterSolution {
    var objective: Double
    var assignment: [Int]
    var itemDuals: [Double?]
    var artificial: Double
}

/// One restricted (or full) master problem in GLPK: variables only for items with a choice; items with one
/// column are constants moved to the right-hand sides.
struct MasterModel {
    let program: LinearProgram
    let problem: PlacementProblem
    let columns: [[Int]]
    /// Per item: its GLPK column per position in `columns[i]` (nil for constant items), and its assignment row.
    var itemColumns: [[Int]] = []
    var itemRow: [Int?] = []
    /// Per cluster and resource: the rows (hard, high, all, then one per crowding step), or nil when the
    /// cluster has none of it.
    var rows: [[[Int]?]] = []
    var artificialColumns: [Int] = []

    init(problem: PlacementProblem, costs: [[Double]], columns: [[Int]], integer: Bool, artificial: Bool) throws {
        self.problem = problem
        self.columns = columns
        let lp = try LinearProgram(direction: .minimize)
        program = lp
        let items = problem.items
        let resourceCount = problem.resources.count
        // Constant items contribute to the rows' right-hand sides and to the objective.
        let steps = problem.crowdingSteps
        var fixedLoad = [[[Double]]](repeating: [[Double]](repeating: [0, 0, 0], count: resourceCount), count: problem.clusters.count)
        var constant = 0.0
        for (i, item) in items.enumerated() where columns[i].count == 1 {
            let c = item.allowed[columns[i][0]]
            constant += costs[i][columns[i][0]]
            for r in 0..<resourceCount {
                let load = item.load(r, on: c)
                fixedLoad[c][r][0] += item.demand[r] * problem.hardShare(item.queue.tier)
                if item.queue.tier <= 2 { fixedLoad[c][r][1] += load }
                fixedLoad[c][r][2] += load
            }
        }
        try lp.setObjectiveConstant(constant)
        var entries: [MatrixEntry] = []
        rows = problem.clusters.indices.map { c in problem.resources.indices.map { _ in nil } }
        for c in problem.clusters.indices {
            for r in 0..<resourceCount where problem.usable[c][r] > 0 {
                let k = problem.usable[c][r]
                let load = fixedLoad[c][r]
                let hard = try lp.addRow(bounds: .upper(k - load[0]))
                let high = try lp.addRow(bounds: .upper(k - load[1]))
                let all = try lp.addRow(bounds: .upper(k - load[2]))
                var rowSet = [hard, high, all]
                let sHigh = try lp.addColumn(bounds: .lower(0), objective: PlacementProblem.overHighWeight / k)
                let sAll = try lp.addColumn(bounds: .lower(0), objective: PlacementProblem.overAllWeight / k)
                entries.append(MatrixEntry(row: high, column: sHigh, value: -1))
                entries.append(MatrixEntry(row: all, column: sAll, value: -1))
                for step in steps {
                    let crowd = try lp.addRow(bounds: .upper(step.threshold * k - load[2]))
                    let slack = try lp.addColumn(bounds: .lower(0), objective: step.weight / k)
                    entries.append(MatrixEntry(row: crowd, column: slack, value: -1))
                    rowSet.append(crowd)
                }
                rows[c][r] = rowSet
                if artificial {
                    let a = try lp.addColumn(bounds: .lower(0), objective: PlacementProblem.artificialWeight / k)
                    entries.append(MatrixEntry(row: hard, column: a, value: -1))
                    artificialColumns.append(a)
                }
            }
        }
        itemColumns = Array(repeating: [], count: items.count)
        itemRow = Array(repeating: nil, count: items.count)
        for (i, item) in items.enumerated() {
            let positions = columns[i]
            guard positions.count > 1 else { continue }
            let row = try lp.addRow(bounds: .fixed(1))
            itemRow[i] = row
            for position in positions {
                let c = item.allowed[position]
                let column = integer
                    ? try lp.addBinaryColumn(objective: costs[i][position])
                    : try lp.addColumn(bounds: .range(0, 1), objective: costs[i][position])
                itemColumns[i].append(column)
                entries.append(MatrixEntry(row: row, column: column, value: 1))
                for r in 0..<resourceCount {
                    let d = item.load(r, on: c)
                    guard let rowSet = rows[c][r] else { continue }
                    let hard = item.demand[r] * problem.hardShare(item.queue.tier)
                    if hard > 0 { entries.append(MatrixEntry(row: rowSet[0], column: column, value: hard)) }
                    guard d > 0 else { continue }
                    if item.queue.tier <= 2 { entries.append(MatrixEntry(row: rowSet[1], column: column, value: d)) }
                    for row in rowSet[2...] { entries.append(MatrixEntry(row: row, column: column, value: d)) }
                }
            }
        }
        try lp.loadMatrix(entries)
    }

    /// Σ over the coupling rows of dual × the coefficient item `i` would have on `cluster`.
    func dualActivity(of i: Int, cluster c: Int, solution: Solution) -> Double {
        let item = problem.items[i]
        var total = 0.0
        for r in problem.resources.indices {
            let d = item.load(r, on: c)
            guard let rowSet = rows[c][r] else { continue }
            total += solution.rowDuals[rowSet[0]] * item.demand[r] * problem.hardShare(item.queue.tier)
            if item.queue.tier <= 2 { total += solution.rowDuals[rowSet[1]] * d }
            for row in rowSet[2...] { total += solution.rowDuals[row] * d }
        }
        return total
    }

    func read(_ solution: Solution) -> MasterSolution {
        var assignment = [Int](repeating: 0, count: problem.items.count)
        var duals = [Double?](repeating: nil, count: problem.items.count)
        for (i, item) in problem.items.enumerated() {
            if itemColumns[i].isEmpty {
                assignment[i] = item.allowed[columns[i][0]]
                continue
            }
            // The largest value wins (exactly 1 in a MIP solution; the LP's choice otherwise).
            var best = 0
            for k in itemColumns[i].indices where solution.columnValues[itemColumns[i][k]] > solution.columnValues[itemColumns[i][best]] {
                best = k
            }
            assignment[i] = item.allowed[columns[i][best]]
            if let row = itemRow[i], !solution.rowDuals.isEmpty { duals[i] = solution.rowDuals[row] }
        }
        let artificial = artificialColumns.reduce(0) { $0 + solution.columnValues[$1] }
        return MasterSolution(objective: solution.objective, assignment: assignment, itemDuals: duals, artificial: artificial)
    }
}

extension Duration {
    /// The duration in seconds.
    var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
