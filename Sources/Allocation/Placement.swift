public import Platform
import LinearSolver
import Foundation
import Diagnostics

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

/// No placement meeting the hard rows was found in time, although the LP relaxation has one (whole
/// queues may still fit: nothing proved otherwise).
public struct PlacementNotFound: Error, Sendable, CustomStringConvertible {
    public var reasons: [String]
    public var timeLimit: Duration
    public var description: String {
        "no placement meeting tier-1 demand and tier-3 floors was found within \(timeLimit) (the LP relaxation has one, so one may exist); the fullest clusters: "
            + reasons.joined(separator: "; ") + "; add capacity or lower the tier-3 floor"
    }
}

/// The placement MIP: each item on exactly one allowed cluster, tier-1 demand and tier-3 floors within
/// every cluster's usable capacity (hard), overflow and crowding penalised (soft), moves penalised.
///
/// Solved in four steps, each cheap whatever the number of queues:
/// 1. a placement to start from: queues stay on last night's cluster, new ones are inserted largest first
///    where they cost least, then single and pair moves (which also repair hard rows a greedy start broke);
/// 2. a lower bound from the LP relaxation's Lagrangian dual over the coupling rows (`LagrangianBound`:
///    a master of a few hundred aggregated columns, never one column per queue), stopped as soon as the
///    placement is proven within `gapTarget`;
/// 3. if not yet proven: the LP optimum made a vertex (`SupportLP`: the LP over the clusters each queue
///    holds in the master's mix, one row per coupling row), its few split queues decided by GLPK's branch
///    and bound, then polished by single and pair moves; else the mix rounded and polished;
/// 4. if still not proven: GLPK's branch and bound on the queues that can still move (reduced-cost fixing
///    against the bound: a queue whose other clusters all cost more than the gap stays put), or on the whole
///    MIP when no placement meets the hard rows yet. The best placement found is kept when a limit is hit,
///    with its honest gap. When the LP relaxation itself cannot meet the hard rows, there is no placement:
///    `PlacementInfeasible` names the binding clusters and resources.
public enum PlacementSolver {
    /// - Parameter fullModelFallback: when the steps above miss `gapTarget`, let GLPK's branch and bound
    ///   try within `timeLimit` on up to 20,000 open columns (without it, up to 2,000); the better result is
    ///   kept. With no placement meeting the hard rows yet it always runs.
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
        var models: [SolvedModel] = []
        let everyone = Array(0..<n)

        // 1. Start: stay where possible, insert the rest largest first, then polish.
        var clock = ContinuousClock.now
        var search = PlacementEvaluator(problem: problem, costs: costs, assignment: construct(problem, costs: costs))
        search.improve(candidates: everyone)
        if search.violation > 0 { search.improveBySwaps(candidates: everyone) }
        var best = Incumbent(search)
        Trace.say("placement: start \(best.objective) (violation \(best.violation)) in \((ContinuousClock.now - clock).secondsValue) s")

        // 2. The bound, stopped once the incumbent is proven; 3. rounding between epochs.
        var lagrangian = try LagrangianBound(problem: problem, costs: costs, start: [best.assignment])
        var converged = false
        for epoch in 0..<6 {
            let upper = best.feasible ? best.objective : .infinity
            converged = try lagrangian.improve(upper: upper, stop: gapTarget * abs(upper), maxIterations: epoch == 0 ? 150 : 100)
            Trace.say("placement: bound \(lagrangian.bound) after \(lagrangian.iterations) master LPs (\(lagrangian.assignments.count) columns, \(lagrangian.seconds) s), master \(lagrangian.masterObjective)\(converged ? ", converged" : "")")
            if best.feasible && relativeGap(best.objective, lagrangian.bound) <= gapTarget { break }
            if converged && !lagrangian.artificialRows.isEmpty {
                throw PlacementInfeasible(reasons: lpReasons(problem, lagrangian) + diagnose(problem))
            }
            // Until the master converges, more master LPs are cheaper than rounding a mix.
            if !converged && epoch < 5 { continue }
            clock = ContinuousClock.now
            // Roundings of the LP, each polished by the same moves; the best counts. At convergence the
            // vertex rounding is nearly always within the target; the rounded mix is the fallback.
            let goodEnough = lagrangian.bound / (1 - 0.9 * gapTarget)
            // Two routes to an optimal vertex; each shape has a quicker one: GLPK's presolve on warm nights,
            // the all-stay basis without it on first nights (measured in Benchmarks/allocate.sh).
            let warm = problem.items.filter { $0.previous != nil }.count * 2 > n
            for presolve in converged ? (warm ? [true, false] : [false, true]) : [] {
                guard let vertex = try vertexRounding(problem, costs: costs, lagrangian: lagrangian, presolve: presolve,
                                                      timeLimit: timeLimit) else { continue }
                var exact = PlacementEvaluator(problem: problem, costs: costs, assignment: vertex)
                exact.improve(candidates: everyone)
                if relativeGap(exact.objective, lagrangian.bound) > gapTarget {
                    // Pair moves, among the positions a better placement can use at all: a position whose
                    // least possible cost (bound + reduced cost) exceeds this placement's is never in one.
                    let limit = exact.objective
                    let bounds = lagrangian.positionBounds()
                    let positions = (0..<n).map { i in problem.items[i].allowed.indices.filter { bounds[i][$0] <= limit } }
                    let candidates = (0..<n).filter { positions[$0].count > 1 }
                    var pairs = PlacementEvaluator(problem: problem, costs: costs, assignment: exact.assignment, positions: positions)
                    pairs.improveBySwaps(candidates: candidates, goodEnough: goodEnough)
                    if Incumbent(pairs).better(than: Incumbent(exact)) { exact = pairs }
                }
                let candidate = Incumbent(exact)
                Trace.say("placement: the LP's vertex rounded by branch and bound and polished → \(candidate.objective) (violation \(candidate.violation)) in \((ContinuousClock.now - clock).secondsValue) s")
                if candidate.better(than: best) { best = candidate }
                if best.feasible && relativeGap(best.objective, lagrangian.bound) <= gapTarget { break }
            }
            if best.feasible && relativeGap(best.objective, lagrangian.bound) <= gapTarget { break }
            if converged && best.feasible {
                // Wider pairs: every queue, every cluster (rarely needed; a few passes).
                clock = ContinuousClock.now
                var wide = PlacementEvaluator(problem: problem, costs: costs, assignment: best.assignment)
                wide.improveBySwaps(candidates: everyone, window: 16, passes: 5, goodEnough: goodEnough)
                let candidate = Incumbent(wide)
                Trace.say("placement: wide pair moves → \(candidate.objective) in \((ContinuousClock.now - clock).secondsValue) s")
                if candidate.better(than: best) { best = candidate }
                if relativeGap(best.objective, lagrangian.bound) <= gapTarget { break }
            }
            clock = ContinuousClock.now
            let weights = lagrangian.fractional()
            let rounded = (0..<n).map { i in
                problem.items[i].allowed.max { (weights[i][$0], $0 == best.assignment[i] ? 1 : 0) < (weights[i][$1], $1 == best.assignment[i] ? 1 : 0) }!
            }
            var polish = PlacementEvaluator(problem: problem, costs: costs, assignment: rounded)
            polish.improve(candidates: everyone)
            polish.improveBySwaps(candidates: everyone, passes: 3, goodEnough: goodEnough)
            let candidate = Incumbent(polish)
            Trace.say("placement: the LP's mix rounded → \(candidate.objective) (violation \(candidate.violation)) in \((ContinuousClock.now - clock).secondsValue) s")
            if candidate.better(than: best) { best = candidate }
            if converged { break }
        }
        models.append(SolvedModel(name: "placement-lagrangian-master", kind: "lp", rows: lagrangian.rows.count + 1,
                                  columns: lagrangian.master.columnCount, objective: lagrangian.masterObjective,
                                  seconds: lagrangian.seconds))
        var lowerBound = lagrangian.bound
        var usedFull = false

        // 4. Branch and bound on what can still move.
        if !best.feasible || relativeGap(best.objective, lowerBound) > gapTarget {
            let slack = best.feasible ? best.objective - lowerBound : .infinity
            let bounds = lagrangian.positionBounds()
            let positions = (0..<n).map { i -> [Int] in
                let open = problem.items[i].allowed.indices.filter { bounds[i][$0] <= lowerBound + slack * (1 + 1e-9) + 1e-12 }
                return open.isEmpty ? [problem.items[i].allowed.firstIndex(of: best.assignment[i])!] : open
            }
            let free = positions.reduce(0) { $0 + ($1.count > 1 ? $1.count : 0) }
            Trace.say("placement: branch and bound over \(free) of \(fullColumns) columns")
            if free <= 2_000 || (fullModelFallback && free <= 20_000) || !best.feasible {
                clock = ContinuousClock.now
                let model = try MasterModel(problem: problem, costs: costs, columns: positions, artificial: false)
                do {
                    let solution = try model.program.solveMIP(timeLimit: timeLimit, relativeGap: gapTarget / 2)
                    let read = model.read(solution)
                    models.append(SolvedModel(name: "placement-mip", kind: "mip", rows: model.program.rowCount,
                                              columns: model.program.columnCount, objective: solution.objective,
                                              seconds: (ContinuousClock.now - clock).secondsValue))
                    usedFull = true
                    var candidate = PlacementEvaluator(problem: problem, costs: costs, assignment: read)
                    candidate.improve(candidates: everyone)
                    let found = Incumbent(candidate)
                    // Every placement cheaper than the incumbent is in this model, so its bound is global.
                    if let gap = solution.provenGap {
                        let proven = solution.objective - gap * abs(solution.objective)
                        lowerBound = Swift.max(lowerBound, best.feasible ? Swift.min(best.objective, proven) : proven)
                    }
                    if found.better(than: best) { best = found }
                    Trace.say("placement: branch and bound → \(found.objective) in \((ContinuousClock.now - clock).secondsValue) s")
                } catch {
                    if error == .infeasible || error == .infeasibleOrUnbounded {
                        if !best.feasible { throw PlacementInfeasible(reasons: diagnose(problem)) }
                        // Nothing cheaper than the incumbent: it is optimal.
                        lowerBound = best.objective
                    } else if error != .timeLimitReached {
                        throw error
                    }
                }
            }
        }
        guard best.feasible else {
            throw PlacementNotFound(reasons: tightRows(problem, best.assignment), timeLimit: timeLimit)
        }
        if let exportDirectory {
            let clock = ContinuousClock.now
            // Every item a variable (even those with one allowed cluster): GLPK writes an objective constant
            // only as a comment, which other solvers skip.
            let full = try MasterModel(problem: problem, costs: costs, columns: problem.items.map { Array($0.allowed.indices) },
                                       artificial: false, constants: false)
            try full.program.writeLP(to: exportDirectory + "/placement.lp")
            try full.program.writeMPS(to: exportDirectory + "/placement.mps")
            models.append(SolvedModel(name: "placement", kind: "mip", rows: full.program.rowCount, columns: full.program.columnCount,
                                      objective: best.objective, seconds: (ContinuousClock.now - clock).secondsValue, file: "placement.lp"))
        }
        return PlacementResult(assignment: best.assignment, objective: best.objective, lowerBound: min(lowerBound, best.objective),
                               gap: relativeGap(best.objective, lowerBound), rounds: lagrangian.iterations,
                               columns: lagrangian.assignments.count, fullColumns: fullColumns, usedFullModel: usedFull,
                               models: models)
    }

    /// A placement and what it costs; `violation` is how far it breaks the hard rows (0 when it meets them).
    struct Incumbent {
        var assignment: [Int]
        var objective: Double
        var violation: Double
        var feasible: Bool { violation == 0 }

        init(_ evaluator: PlacementEvaluator) {
            assignment = evaluator.assignment
            violation = evaluator.violation
            objective = evaluator.objective
        }

        func better(than other: Incumbent) -> Bool {
            violation != other.violation ? violation < other.violation : objective < other.objective - 1e-12
        }
    }

    /// The LP optimum made a vertex, then rounded exactly: the Lagrangian master's optimum is a mix of
    /// whole assignments, so many queues are split in it. Re-solving the LP over only the clusters each
    /// queue has in that mix (the others fixed) gives a vertex, where at most one queue per binding coupling
    /// row is split; GLPK's branch and bound then decides just those. Nil when too many queues are split
    /// for that to be quick, or when the small MIP has no solution.
    static func vertexRounding(_ problem: PlacementProblem, costs: [[Double]], lagrangian: LagrangianBound,
                               presolve: Bool, timeLimit: Duration) throws -> [Int]? {
        let weights = lagrangian.fractional()
        // Each queue's heaviest cluster in the mix and any other holding at least 2% of it: the many
        // slivers a first night's mix spreads over every cluster only slow the simplex down (the LP over
        // what is left still meets the bound on every benchmark shape; its vertex is checked like any
        // placement).
        let floor = 0.02
        let support = problem.items.enumerated().map { i, item in
            let heaviest = item.allowed.indices.max { (weights[i][item.allowed[$0]], -$0) < (weights[i][item.allowed[$1]], -$1) }!
            return item.allowed.indices.filter { $0 == heaviest || weights[i][item.allowed[$0]] > floor }
        }
        let split = support.filter { $0.count > 1 }.count
        Trace.say("placement: \(split) queues split in the LP's mix")
        guard !support.contains(where: \.isEmpty) else { return nil }
        let clock = ContinuousClock.now
        defer { Trace.say("placement: vertex rounding \((ContinuousClock.now - clock).secondsValue) s") }
        do {
            let base = problem.items.indices.map { i in
                support[i].max { (weights[i][problem.items[i].allowed[$0]], -$0) < (weights[i][problem.items[i].allowed[$1]], -$1) }!
            }
            let values = try SupportLP.vertex(problem, costs: costs, rows: lagrangian.rows, positions: support, base: base,
                                              presolve: presolve, timeLimit: Swift.min(timeLimit, .seconds(10)))
            var positions = support
            for i in support.indices where support[i].count > 1 {
                if let whole = support[i].first(where: { values[i][$0] >= 1 - 1e-7 }) {
                    positions[i] = [whole]
                } else {
                    positions[i] = support[i].filter { values[i][$0] > 1e-9 }
                }
            }
            Trace.say("placement: \(positions.filter { $0.count > 1 }.count) queues split at the vertex, \((ContinuousClock.now - clock).secondsValue) s")
            let rounding = try MasterModel(problem: problem, costs: costs, columns: positions, artificial: true)
            let solution = try rounding.program.solveMIP(timeLimit: Swift.min(timeLimit, .seconds(5)), relativeGap: 0)
            return rounding.read(solution)
        } catch let error as SolverError {
            let expected: [SolverError] = [.infeasible, .infeasibleOrUnbounded, .timeLimitReached]
            if expected.contains(error) { return nil }
            throw error
        }
    }

    /// The start: queues that may stay on last night's cluster stay; the others are inserted, the largest
    /// hard demand first, where they add least to the objective.
    static func construct(_ problem: PlacementProblem, costs: [[Double]]) -> [Int] {
        let n = problem.items.count
        var assignment = problem.items.map { item -> Int in
            if let previous = item.previous, item.allowed.contains(previous) { return previous }
            return item.allowed.count == 1 ? item.allowed[0] : -1
        }
        var largest = [Double](repeating: 0, count: problem.resources.count)
        for r in problem.resources.indices { largest[r] = problem.usable.map { $0[r] }.max() ?? 0 }
        func size(_ i: Int, hard: Bool) -> Double {
            let item = problem.items[i]
            let share = hard ? problem.hardShare(item.queue.tier) : 1
            return problem.resources.indices.reduce(0) { $0 + (largest[$1] > 0 ? item.demand[$1] * share / largest[$1] : 0) }
        }
        let order = (0..<n).filter { assignment[$0] < 0 }
            .map { ($0, size($0, hard: true), size($0, hard: false)) }
            .sorted { ($0.1, $0.2, -$0.0) > ($1.1, $1.2, -$1.0) }
            .map(\.0)
        var evaluator = PlacementEvaluator(problem: problem, costs: costs, assignment: assignment)
        for i in order {
            var bestPosition = 0, bestDelta = Double.infinity
            for position in problem.items[i].allowed.indices {
                let delta = evaluator.delta(i, to: position)
                if delta < bestDelta { bestDelta = delta; bestPosition = position }
            }
            evaluator.move(i, to: bestPosition)
        }
        assignment = evaluator.assignment
        return assignment
    }

    /// The LP relaxation's evidence: per cluster and resource, the hard demand it could not fit.
    static func lpReasons(_ problem: PlacementProblem, _ lagrangian: LagrangianBound) -> [String] {
        var shortBy: [String: Double] = [:]
        var clusters: [String: [String]] = [:]
        for (row, amount) in lagrangian.artificialRows {
            let c = lagrangian.rows.cluster[row], r = lagrangian.rows.resource[row]
            let resource = problem.resources[r]
            shortBy[resource, default: 0] += amount * problem.usable[c][r]
            clusters[resource, default: []].append(problem.clusters[c])
        }
        return shortBy.keys.sorted().map { resource in
            "even split fractionally, tier-1 demand and tier-3 floors need \(ResourceUnits.describe(shortBy[resource]!, resource: resource)) more than the usable capacity (binding on \(clusters[resource]!.joined(separator: ", ")))"
        }
    }

    /// The hard rows a placement breaks or fills most, for the message when no placement was found.
    static func tightRows(_ problem: PlacementProblem, _ assignment: [Int]) -> [String] {
        let evaluator = PlacementEvaluator(problem: problem, costs: problem.items.map { [Double](repeating: 0, count: $0.allowed.count) },
                                           assignment: assignment)
        var rows: [(Double, String)] = []
        for c in problem.clusters.indices {
            for (r, resource) in problem.resources.enumerated() where problem.usable[c][r] > 0 {
                let used = evaluator.hard[c][r] / problem.usable[c][r]
                rows.append((used, "\(problem.clusters[c]) \(resource): tier-1 demand and tier-3 floors \(String(format: "%.1f", used * 100))% of usable \(ResourceUnits.describe(problem.usable[c][r], resource: resource))"))
            }
        }
        return rows.sorted { $0.0 > $1.0 }.prefix(5).map(\.1)
    }

    static func relativeGap(_ upper: Double, _ lower: Double) -> Double {
        let difference = upper - lower
        if difference <= 1e-9 * max(1, abs(upper)) { return 0 }
        return difference / max(abs(upper), 1e-12)
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

/// The placement MIP in GLPK over given positions per item (all of them, or those branch and bound still
/// needs): binaries only for items with a choice; items with one position are constants moved to the
/// right-hand sides (unless `constants` is false, as for the exported model).
struct MasterModel {
    let program: LinearProgram
    let problem: PlacementProblem
    private(set) var columns: [[Int]]
    /// Per item: its GLPK column per position in `columns[i]` (none for constant items).
    var itemColumns: [[Int]] = []
    /// Per cluster and resource: the rows (hard, high, all, then one per crowding step), or nil when the
    /// cluster has none of it.
    var rows: [[[Int]?]] = []

    init(problem: PlacementProblem, costs: [[Double]], columns: [[Int]], artificial: Bool, constants: Bool = true) throws {
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
                }
            }
        }
        itemColumns = Array(repeating: [], count: items.count)
        for (i, item) in items.enumerated() {
            let positions = columns[i]
            guard positions.count > 1 || !constants else { continue }
            let row = try lp.addRow(bounds: .fixed(1))
            for position in positions {
                let c = item.allowed[position]
                let column = try lp.addBinaryColumn(objective: costs[i][position])
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

    /// The cluster per item: the column at 1 (the largest value, should a solution be inexact).
    func read(_ solution: Solution) -> [Int] {
        problem.items.enumerated().map { i, item in
            guard !itemColumns[i].isEmpty else { return item.allowed[columns[i][0]] }
            let best = itemColumns[i].indices.max { solution.columnValues[itemColumns[i][$0]] < solution.columnValues[itemColumns[i][$1]] }!
            return item.allowed[columns[i][best]]
        }
    }
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
        guard c >= 0 else { return }  // not placed yet (construction)
        let item = problem.items[i]
        for r in problem.resources.indices {
            hard[c][r] += sign * item.demand[r] * problem.hardShare(item.queue.tier)
            let load = item.load(r, on: c)
            if item.queue.tier <= 2 { high[c][r] += sign * load }
            all[c][r] += sign * load
        }
    }

    /// The cost of one (cluster, resource) at the given loads: the soft rows' slacks, and the hard row's
    /// overflow at the artificial weight (the LP's exact penalty), so moves repair a broken hard row first.
    func rowCost(_ c: Int, _ r: Int, hard h: Double, high hi: Double, all a: Double) -> Double {
        let k = problem.usable[c][r]
        guard k > 0 else { return (h > 1e-9 || a > 1e-9) ? .infinity : 0 }
        var cost = PlacementProblem.overHighWeight * Swift.max(0, hi - k) + PlacementProblem.overAllWeight * Swift.max(0, a - k)
        if Self.breaks(h, k) { cost += PlacementProblem.artificialWeight * (h - k) }
        for step in steps { cost += step.weight * Swift.max(0, a - step.threshold * k) }
        return cost / k
    }

    static func breaks(_ h: Double, _ k: Double) -> Bool { h > k * (1 + 1e-9) + 1e-9 }

    /// The objective of the placement (hard-row overflow included; see `violation`).
    var objective: Double {
        var total = 0.0
        for (i, c) in assignment.enumerated() where c >= 0 { total += costs[i][problem.items[i].allowed.firstIndex(of: c)!] }
        for c in problem.clusters.indices {
            for r in problem.resources.indices { total += rowCost(c, r, hard: hard[c][r], high: high[c][r], all: all[c][r]) }
        }
        return total
    }

    /// How far the placement breaks the hard rows (in units of usable capacity); 0 when it meets them all.
    var violation: Double {
        var total = 0.0
        for c in problem.clusters.indices {
            for r in problem.resources.indices where Self.breaks(hard[c][r], problem.usable[c][r]) {
                total += (hard[c][r] - problem.usable[c][r]) / Swift.max(problem.usable[c][r], 1e-12)
            }
        }
        return total
    }

    /// The change of the objective if item `i` moved to allowed position `position`.
    func delta(_ i: Int, to position: Int) -> Double {
        let item = problem.items[i]
        let from = assignment[i], to = item.allowed[position]
        guard from != to else { return 0 }
        var change = costs[i][position] - (from >= 0 ? costs[i][item.allowed.firstIndex(of: from)!] : 0)
        let share = problem.hardShare(item.queue.tier)
        for r in problem.resources.indices {
            let inLoad = item.load(r, on: to)
            let highIn = item.queue.tier <= 2 ? inLoad : 0
            if from >= 0 {
                let outLoad = item.load(r, on: from)
                let highOut = item.queue.tier <= 2 ? outLoad : 0
                change += rowCost(from, r, hard: hard[from][r] - item.demand[r] * share, high: high[from][r] - highOut, all: all[from][r] - outLoad)
                    - rowCost(from, r, hard: hard[from][r], high: high[from][r], all: all[from][r])
            }
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
