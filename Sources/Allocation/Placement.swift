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
    /// - Parameter fullModelFallback: when the polished rounding misses `gapTarget`, let GLPK try the whole
    ///   MIP within `timeLimit` (slow beyond a few thousand queues; the better of the two is kept).
    public static func solve(_ problem: PlacementProblem, gapTarget: Double = 0.005, timeLimit: Duration = .seconds(60),
                             fullModelFallback: Bool = true, exportDirectory: String? = nil) throws -> PlacementResult {
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

        // Restricted master: positions into items[i].allowed. Queues that stay start on last night's
        // cluster; new ones (and those whose cluster is no longer allowed) on the two clusters least used by
        // the queues that stay. Pricing adds whatever else pays.
        var utilisation = [Double](repeating: 0, count: problem.clusters.count)
        for item in problem.items {
            guard let previous = item.previous, item.allowed.contains(previous) else { continue }
            for r in problem.resources.indices where problem.usable[previous][r] > 0 {
                utilisation[previous] += item.load(r, on: previous) / problem.usable[previous][r]
            }
        }
        var columns: [[Int]] = problem.items.map { item in
            if let previous = item.previous, let position = item.allowed.firstIndex(of: previous) { return [position] }
            let ranked = item.allowed.indices.sorted { (utilisation[item.allowed[$0]], $0) < (utilisation[item.allowed[$1]], $1) }
            return Array(ranked.prefix(2)).sorted()
        }
        var models: [SolvedModel] = []
        var rounds = 0
        var master: MasterSolution
        var reducedCosts = problem.items.map { [Double](repeating: 0, count: $0.allowed.count) }
        // Round 1 on a small master where items with one column are constants (a cold solve of a few hundred
        // columns); then one master for all further rounds, every item a variable, starting from round 1's
        // basis; columns join it and each re-solve starts from the previous basis.
        var restricted = try MasterModel(problem: problem, costs: costs, columns: columns, integer: false, artificial: true,
                                         constants: true)
        // The Lagrangian (Farley) bound: the master's optimum plus, per item, its most negative reduced cost
        // is a lower bound on the full LP at every round, so pricing may stop once the two meet.
        var lagrangeBound = -Double.infinity
        while true {
            rounds += 1
            let clock = ContinuousClock.now
            let solution = try restricted.program.solve(timeLimit: timeLimit, warmStart: rounds > 1)
            master = restricted.read(solution)
            models.append(SolvedModel(name: "placement-master-lp-\(rounds)", kind: "lp", rows: restricted.program.rowCount,
                                      columns: restricted.program.columnCount, objective: solution.objective,
                                      seconds: (ContinuousClock.now - clock).secondsValue))
            trace("placement: master LP \(rounds): \(restricted.program.columnCount) columns, objective \(solution.objective), \((ContinuousClock.now - clock).secondsValue) s")
            // Price every column: reduced cost = cost − Σ duals·coefficients − the item's own dual; the most
            // negative absent column of each item joins the master (the next round's duals price the rest).
            var added = 0
            var negativeSum = 0.0
            let tolerance = -1e-9 * Swift.max(1, abs(master.objective))
            for i in 0..<n {
                let item = problem.items[i]
                // A constant item's one column is basic in effect: its reduced cost 0 gives its dual.
                let sigma = master.itemDuals[i]
                    ?? costs[i][columns[i][0]] - restricted.dualActivity(of: i, cluster: item.allowed[columns[i][0]], solution: solution)
                var best = 0.0, bestPosition = -1
                for position in item.allowed.indices {
                    let reduced = costs[i][position] - restricted.dualActivity(of: i, cluster: item.allowed[position], solution: solution) - sigma
                    reducedCosts[i][position] = reduced
                    if reduced < best { best = reduced; bestPosition = position }
                }
                negativeSum += best
                if best < tolerance, !columns[i].contains(bestPosition) {
                    columns[i].append(bestPosition)
                    if rounds > 1 { try restricted.appendColumn(i, position: bestPosition, cost: costs[i][bestPosition]) }
                    added += 1
                }
            }
            if rounds == 1 && added > 0 {
                let small = restricted
                restricted = try MasterModel(problem: problem, costs: costs, columns: columns, integer: false, artificial: true,
                                             constants: false)
                try restricted.adoptBasis(of: small)
            }
            lagrangeBound = Swift.max(lagrangeBound, solution.objective + negativeSum)
            trace("placement: pricing added \(added) columns; Lagrangian bound \(lagrangeBound)")
            if added == 0 || solution.objective - lagrangeBound <= 1e-6 * Swift.max(1e-9, abs(solution.objective)) || rounds >= 100 { break }
        }
        var lowerBound = Swift.min(master.objective, lagrangeBound)
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
            // LP rounding: items the LP optimum places whole stay there; branch and bound decides only the
            // few it splits (at most one per binding coupling row in a vertex). The LP optimum is still
            // feasible for this smaller MIP, so its relaxation bound is the full one and GLPK's gap is ours.
            var rounding = columns
            var fractional = 0
            for i in 0..<n where columns[i].count > 1 {
                let values = master.values[i]
                if let whole = values.firstIndex(where: { $0 >= 1 - 1e-7 }) {
                    rounding[i] = [columns[i][whole]]
                } else {
                    rounding[i] = zip(columns[i], values).filter { $0.1 > 1e-9 }.map(\.0)
                    fractional += 1
                }
            }
            trace("placement: LP \(rounds) rounds, bound \(lowerBound), \(fractional) split items")
            let clock = ContinuousClock.now
            let built = try MasterModel(problem: problem, costs: costs, columns: rounding, integer: true, artificial: true)
            let solution = try built.program.solveMIP(timeLimit: timeLimit, relativeGap: gapTarget / 2)
            trace("placement: rounding MIP \(built.program.columnCount) columns, \((ContinuousClock.now - clock).secondsValue) s")
            let read = built.read(solution)
            models.append(SolvedModel(name: "placement-master-mip", kind: "mip", rows: built.program.rowCount,
                                      columns: built.program.columnCount, objective: solution.objective,
                                      seconds: (ContinuousClock.now - clock).secondsValue))
            var polished = solution.objective
            var polishedAssignment = read.assignment
            if read.artificial <= 1e-7 && relativeGap(solution.objective, lowerBound) > gapTarget {
                // Polish: move single items while that lowers the objective. Only columns whose reduced cost
                // is below the current gap can appear in a better solution, so only their items are tried.
                let slack = solution.objective - lowerBound
                // Small problems (coarse items, where the LP bound is loose) get the whole neighbourhood.
                let small = fullColumns <= 20_000
                let positions = (0..<n).map { i in problem.items[i].allowed.indices.filter { small || reducedCosts[i][$0] <= slack } }
                let candidates = (0..<n).filter { positions[$0].count > 1 }
                let searchClock = ContinuousClock.now
                var evaluator = PlacementEvaluator(problem: problem, costs: costs, assignment: read.assignment, positions: positions)
                evaluator.improve(candidates: candidates)
                trace("placement: single moves → \(evaluator.objective) in \((ContinuousClock.now - searchClock).secondsValue) s")
                if relativeGap(evaluator.objective, lowerBound) > gapTarget {
                    // Stop once comfortably inside the target (the gap is computed exactly afterwards).
                    evaluator.improveBySwaps(candidates: candidates, window: small ? n : 8, goodEnough: lowerBound / (1 - 0.9 * gapTarget))
                    trace("placement: pair moves → \(evaluator.objective) in \((ContinuousClock.now - searchClock).secondsValue) s")
                }
                polished = evaluator.objective  // recomputed, not the running total
                polishedAssignment = evaluator.assignment
                trace("placement: local search over \(candidates.count) items: \(solution.objective) → \(polished)")
            }
            let gap = relativeGap(polished, lowerBound)
            if read.artificial > 1e-7 {
                let bound: Double?
                (assignment, objective, bound, models) = try solveFull(problem, costs: costs, gapTarget: gapTarget, timeLimit: timeLimit, models: models)
                if let bound { lowerBound = Swift.max(lowerBound, bound) }
                usedFull = true
            } else if gap > gapTarget && fullModelFallback {
                // GLPK on the whole MIP, keeping the polished placement unless it finds a better one in time.
                assignment = polishedAssignment
                objective = polished
                if let (full, value, bound, solved) = try? solveFull(problem, costs: costs, gapTarget: gapTarget, timeLimit: timeLimit, models: models) {
                    models = solved
                    if let bound { lowerBound = Swift.max(lowerBound, bound) }
                    if value < objective { (assignment, objective) = (full, value) }
                    usedFull = true
                }
            } else {
                assignment = polishedAssignment
                objective = polished
            }
        }
        if let exportDirectory {
            let clock = ContinuousClock.now
            // Every item a variable (even those with one allowed cluster): GLPK writes an objective constant
            // only as a comment, which other solvers skip.
            let full = try MasterModel(problem: problem, costs: costs, columns: problem.items.map { Array($0.allowed.indices) },
                                       integer: true, artificial: false, constants: false)
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
    /// Per item, the value of each of its columns (in `columns[i]` order); `[1]` for constant items.
    var values: [[Double]]
    var itemDuals: [Double?]
    var artificial: Double
}

/// One restricted (or full) master problem in GLPK: variables only for items with a choice; items with one
/// column are constants moved to the right-hand sides.
struct MasterModel {
    let program: LinearProgram
    let problem: PlacementProblem
    private(set) var columns: [[Int]]
    /// Per item: its GLPK column per position in `columns[i]` (nil for constant items), and its assignment row.
    var itemColumns: [[Int]] = []
    var itemRow: [Int?] = []
    /// Per cluster and resource: the rows (hard, high, all, then one per crowding step), or nil when the
    /// cluster has none of it.
    var rows: [[[Int]?]] = []
    var artificialColumns: [Int] = []
    /// Rows and columns before the first item's: the coupling rows and their slack columns, built in the
    /// same order whatever the item columns, so a basis can be carried from one master to another.
    var couplingRows = 0
    var slackColumns = 0

    init(problem: PlacementProblem, costs: [[Double]], columns: [[Int]], integer: Bool, artificial: Bool, constants: Bool = true) throws {
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
        for (i, item) in items.enumerated() where columns[i].count == 1 && constants {
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
        couplingRows = lp.rowCount
        slackColumns = lp.columnCount
        itemColumns = Array(repeating: [], count: items.count)
        itemRow = Array(repeating: nil, count: items.count)
        for (i, item) in items.enumerated() {
            let positions = columns[i]
            guard positions.count > 1 || !constants else { continue }
            let row = try lp.addRow(bounds: .fixed(1))
            itemRow[i] = row
            if !constants && !integer {
                // Starting basis: the item's first column carries its row (the row itself is non-basic),
                // so the first solve starts from "everything where it is" rather than from nothing.
                try lp.setRowStatus(row, .fixed)
            }
            for position in positions {
                let c = item.allowed[position]
                let column = integer
                    ? try lp.addBinaryColumn(objective: costs[i][position])
                    // x ≤ 1 follows from the assignment row; as a bound it would give columns at 1 negative
                    // reduced costs and spoil pricing.
                    : try lp.addColumn(bounds: .lower(0), objective: costs[i][position])
                if !constants && !integer && itemColumns[i].isEmpty { try lp.setColumnStatus(column, .basic) }
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

    /// Takes over the final basis of `other` (a master over the same problem, possibly with constant items
    /// and fewer columns): shared rows and columns keep their status; items constant there keep the
    /// starting basis; columns `other` lacks start non-basic. The result is a valid basis that is optimal
    /// but for the new columns, so the next solve takes a few pivots.
    func adoptBasis(of other: MasterModel) throws {
        for row in 0..<couplingRows { try program.setRowStatus(row, try other.program.rowStatus(row)) }
        for column in 0..<slackColumns { try program.setColumnStatus(column, try other.program.columnStatus(column)) }
        for i in problem.items.indices where !other.itemColumns[i].isEmpty {
            guard let row = itemRow[i], let otherRow = other.itemRow[i] else { continue }
            try program.setRowStatus(row, try other.program.rowStatus(otherRow))
            for (k, column) in itemColumns[i].enumerated() {
                let status: BasisStatus
                if let index = other.columns[i].firstIndex(of: columns[i][k]) {
                    status = try other.program.columnStatus(other.itemColumns[i][index])
                } else {
                    status = .atLower
                }
                try program.setColumnStatus(column, status)
            }
        }
    }

    /// Adds item `i`'s column for `allowed[position]` to a model built with `constants: false`.
    mutating func appendColumn(_ i: Int, position: Int, cost: Double) throws {
        guard let row = itemRow[i] else { return }
        let item = problem.items[i]
        let c = item.allowed[position]
        let column = try program.addColumn(bounds: .lower(0), objective: cost)
        var entries: [(row: Int, value: Double)] = [(row, 1)]
        for r in problem.resources.indices {
            guard let rowSet = rows[c][r] else { continue }
            let hard = item.demand[r] * problem.hardShare(item.queue.tier)
            if hard > 0 { entries.append((rowSet[0], hard)) }
            let d = item.load(r, on: c)
            guard d > 0 else { continue }
            if item.queue.tier <= 2 { entries.append((rowSet[1], d)) }
            for other in rowSet[2...] { entries.append((other, d)) }
        }
        try program.setColumnEntries(column, entries)
        columns[i].append(position)
        itemColumns[i].append(column)
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
        var values = [[Double]](repeating: [1], count: problem.items.count)
        for (i, item) in problem.items.enumerated() {
            if itemColumns[i].isEmpty {
                assignment[i] = item.allowed[columns[i][0]]
                continue
            }
            values[i] = itemColumns[i].map { solution.columnValues[$0] }
            // The largest value wins (exactly 1 in a MIP solution; the LP's choice otherwise).
            var best = 0
            for k in itemColumns[i].indices where solution.columnValues[itemColumns[i][k]] > solution.columnValues[itemColumns[i][best]] {
                best = k
            }
            assignment[i] = item.allowed[columns[i][best]]
            if let row = itemRow[i], !solution.rowDuals.isEmpty { duals[i] = solution.rowDuals[row] }
        }
        let artificial = artificialColumns.reduce(0) { $0 + solution.columnValues[$1] }
        return MasterSolution(objective: solution.objective, assignment: assignment, values: values, itemDuals: duals, artificial: artificial)
    }
}

/// Phase timings on standard error when BURSAR_TRACE is set (as the ingest pipeline does).
func trace(_ message: @autoclosure () -> String) {
    guard ProcessInfo.processInfo.environment["BURSAR_TRACE"] != nil else { return }
    FileHandle.standardError.write(Data(("trace: " + message() + "\n").utf8))
}

extension Duration {
    /// The duration in seconds.
    var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// The placement objective evaluated directly on an assignment (what the MIP's slack columns settle to),
/// with cheap deltas for moving one item: the local search that polishes the LP rounding.
struct PlacementEvaluator {
    let problem: PlacementProblem
    let costs: [[Double]]
    var assignment: [Int]
    /// Per cluster and resource: hard, high (tiers 1–2) and all load.
    var hard: [[Double]], high: [[Double]], all: [[Double]]
    let steps: [(threshold: Double, weight: Double)]

    /// Per item, the positions (into `allowed`) worth trying; all of them by default.
    let positions: [[Int]]

    init(problem: PlacementProblem, costs: [[Double]], assignment: [Int], positions: [[Int]]? = nil) {
        self.problem = problem
        self.costs = costs
        self.assignment = assignment
        self.positions = positions ?? problem.items.map { Array($0.allowed.indices) }
        steps = problem.crowdingSteps
        let zero = [[Double]](repeating: [Double](repeating: 0, count: problem.resources.count), count: problem.clusters.count)
        hard = zero
        high = zero
        all = zero
        for (i, c) in assignment.enumerated() { add(i, c, sign: 1) }
        value = objective
    }

    /// The objective of the current assignment, kept up to date by `move`.
    private(set) var value = 0.0

    private mutating func add(_ i: Int, _ c: Int, sign: Double) {
        let item = problem.items[i]
        for r in problem.resources.indices {
            hard[c][r] += sign * item.demand[r] * problem.hardShare(item.queue.tier)
            let load = item.load(r, on: c)
            if item.queue.tier <= 2 { high[c][r] += sign * load }
            all[c][r] += sign * load
        }
    }

    /// The soft cost of one (cluster, resource) at the given loads; infinity when the hard row is broken.
    func rowCost(_ c: Int, _ r: Int, hard h: Double, high hi: Double, all a: Double) -> Double {
        let k = problem.usable[c][r]
        guard k > 0 else { return (h > 1e-9 || a > 1e-9) ? .infinity : 0 }
        if h > k * (1 + 1e-9) + 1e-9 { return .infinity }
        var cost = PlacementProblem.overHighWeight * Swift.max(0, hi - k) + PlacementProblem.overAllWeight * Swift.max(0, a - k)
        for step in steps { cost += step.weight * Swift.max(0, a - step.threshold * k) }
        return cost / k
    }

    var objective: Double {
        var total = 0.0
        for (i, c) in assignment.enumerated() { total += costs[i][problem.items[i].allowed.firstIndex(of: c)!] }
        for c in problem.clusters.indices {
            for r in problem.resources.indices { total += rowCost(c, r, hard: hard[c][r], high: high[c][r], all: all[c][r]) }
        }
        return total
    }

    /// The change of the objective if item `i` moved to allowed position `position`.
    func delta(_ i: Int, to position: Int) -> Double {
        let item = problem.items[i]
        let from = assignment[i], to = item.allowed[position]
        guard from != to else { return 0 }
        var change = costs[i][position] - costs[i][item.allowed.firstIndex(of: from)!]
        let share = problem.hardShare(item.queue.tier)
        for r in problem.resources.indices {
            let outLoad = item.load(r, on: from), inLoad = item.load(r, on: to)
            let highOut = item.queue.tier <= 2 ? outLoad : 0, highIn = item.queue.tier <= 2 ? inLoad : 0
            change += rowCost(from, r, hard: hard[from][r] - item.demand[r] * share, high: high[from][r] - highOut, all: all[from][r] - outLoad)
                - rowCost(from, r, hard: hard[from][r], high: high[from][r], all: all[from][r])
            change += rowCost(to, r, hard: hard[to][r] + item.demand[r] * share, high: high[to][r] + highIn, all: all[to][r] + inLoad)
                - rowCost(to, r, hard: hard[to][r], high: high[to][r], all: all[to][r])
        }
        return change
    }

    mutating func move(_ i: Int, to position: Int) {
        value += delta(i, to: position)
        add(i, assignment[i], sign: -1)
        assignment[i] = problem.items[i].allowed[position]
        add(i, assignment[i], sign: 1)
    }

    /// Pair moves: item i from a to b together with an item j of similar size from b to a, for the packing
    /// single moves cannot fix (a cluster just over a threshold with nothing small enough to leave alone).
    mutating func improveBySwaps(candidates: [Int], window: Int = 8, passes: Int = 10, goodEnough: Double = -.infinity) {
        let isCandidate = Set(candidates)
        var largest = [Double](repeating: 1, count: problem.resources.count)
        for r in problem.resources.indices {
            for c in problem.clusters.indices { largest[r] = Swift.max(largest[r], problem.usable[c][r]) }
        }
        var size = [Double](repeating: 0, count: problem.items.count)
        for (i, item) in problem.items.enumerated() {
            for r in problem.resources.indices { size[i] += item.demand[r] / largest[r] }
        }
        for _ in 0..<passes {
            var improved = false
            var byCluster = [[Int]](repeating: [], count: problem.clusters.count)
            for i in candidates { byCluster[assignment[i]].append(i) }
            for c in byCluster.indices { byCluster[c].sort { size[$0] < size[$1] } }
            for i in candidates {
                let a = assignment[i]
                let item = problem.items[i]
                guard let home = item.allowed.firstIndex(of: a) else { continue }
                for position in positions[i] where item.allowed[position] != a {
                    let b = item.allowed[position]
                    let first = delta(i, to: position)
                    if first < -1e-12 {
                        move(i, to: position)
                        improved = true
                        break
                    }
                    guard first.isFinite else { continue }
                    let list = byCluster[b]
                    // Items on b around i's size.
                    var low = 0, high = list.count
                    while low < high { let mid = (low + high) / 2; if size[list[mid]] < size[i] { low = mid + 1 } else { high = mid } }
                    move(i, to: position)
                    var done = false
                    for k in Swift.max(0, low - window)..<Swift.min(list.count, low + window) {
                        let j = list[k]
                        guard j != i, isCandidate.contains(j), assignment[j] == b,
                              let back = problem.items[j].allowed.firstIndex(of: a) else { continue }
                        if first + delta(j, to: back) < -1e-12 {
                            move(j, to: back)
                            done = true
                            break
                        }
                    }
                    if done { improved = true; break }
                    move(i, to: home)
                }
                if value <= goodEnough { return }
            }
            if !improved { return }
            improve(candidates: candidates, passes: 5)
        }
    }

    /// First-improvement moves of single items among `candidates` until none improves (or `passes` run out).
    mutating func improve(candidates: [Int], passes: Int = 50) {
        for _ in 0..<passes {
            var improved = false
            for i in candidates {
                var best = -1e-12, bestPosition = -1
                for position in positions[i] {
                    let change = delta(i, to: position)
                    if change < best { best = change; bestPosition = position }
                }
                if bestPosition >= 0 { move(i, to: bestPosition); improved = true }
            }
            if !improved { return }
        }
    }
}
