import Diagnostics
import LinearSolver

/// The placement LP's coupling rows, each divided by its cluster's usable capacity: per cluster and
/// resource it has, the hard row (tier-1 demand and tier-3 floors ≤ 1), the tiers 1–2 row and the all-tiers
/// row (≤ 1, overflow paid by a slack), and one row per crowding step (≤ its threshold, paid by a slack).
/// Normalised, every slack costs its weight and every dual is a price per unit of utilisation.
struct CouplingRows {
    enum Kind: Equatable { case hard, high, all, step }

    let problem: PlacementProblem
    var kind: [Kind] = []
    var cluster: [Int] = []
    var resource: [Int] = []
    /// Right-hand side (normalised).
    var rhs: [Double] = []
    /// Cost of a unit of the row's slack; for hard rows the artificial's (an exact penalty).
    var slackCost: [Double] = []
    /// Per cluster and resource: the first of its rows (hard, high, all, steps), or nil.
    var first: [[Int?]]

    init(problem: PlacementProblem) {
        self.problem = problem
        first = problem.clusters.indices.map { _ in problem.resources.indices.map { _ in nil } }
        for c in problem.clusters.indices {
            for r in problem.resources.indices where problem.usable[c][r] > 0 {
                first[c][r] = kind.count
                append(.hard, c, r, rhs: 1, cost: PlacementProblem.artificialWeight)
                append(.high, c, r, rhs: 1, cost: PlacementProblem.overHighWeight)
                append(.all, c, r, rhs: 1, cost: PlacementProblem.overAllWeight)
                for step in problem.crowdingSteps { append(.step, c, r, rhs: step.threshold, cost: step.weight) }
            }
        }
    }

    private mutating func append(_ kind: Kind, _ c: Int, _ r: Int, rhs: Double, cost: Double) {
        self.kind.append(kind)
        cluster.append(c)
        resource.append(r)
        self.rhs.append(rhs)
        slackCost.append(cost)
    }

    var count: Int { kind.count }

    /// The rows' activities for an assignment (cluster per item), and the assignment's cost.
    func activity(of assignment: [Int], costs: [[Double]]) -> (rows: [Double], cost: Double) {
        var hard = [[Double]](repeating: [Double](repeating: 0, count: problem.resources.count), count: problem.clusters.count)
        var high = hard, all = hard
        var cost = 0.0
        for (i, c) in assignment.enumerated() {
            let item = problem.items[i]
            cost += costs[i][item.allowed.firstIndex(of: c)!]
            let share = problem.hardShare(item.queue.tier)
            for r in problem.resources.indices {
                let load = item.load(r, on: c)
                hard[c][r] += item.demand[r] * share
                if item.queue.tier <= 2 { high[c][r] += load }
                all[c][r] += load
            }
        }
        var rows = [Double](repeating: 0, count: count)
        for row in 0..<count {
            let c = cluster[row], r = resource[row], k = problem.usable[c][r]
            switch kind[row] {
            case .hard: rows[row] = hard[c][r] / k
            case .high: rows[row] = high[c][r] / k
            case .all, .step: rows[row] = all[c][r] / k
            }
        }
        return (rows, cost)
    }
}

/// The Lagrangian dual of the placement LP over the coupling rows, maximised by a stabilised cutting-plane
/// method (Dantzig–Wolfe with one block: each column of the master is a whole assignment, aggregated into
/// its row activities). The master has one row per coupling row, not one per item, so it stays a few
/// hundred columns whatever the number of queues; pricing is a cheap argmin per item. For any prices λ
/// (0 ≤ λ ≤ the row's slack cost), L(λ) = Σ_items min_cluster (cost + λ·load) − λ·rhs is a lower bound on
/// every placement (the items' choice sets are simplices, so its maximum is the LP relaxation's optimum).
struct LagrangianBound {
    let problem: PlacementProblem
    let costs: [[Double]]
    let rows: CouplingRows
    let master: LinearProgram
    /// The master's assignment columns, in order, and the convexity row.
    private(set) var assignments: [[Int]] = []
    private var assignmentColumns: [Int] = []
    private var seen: Set<[Int]> = []
    private let convexity: Int
    private let artificialColumns: [Int]

    /// The best bound found and the prices that gave it.
    private(set) var bound = -Double.infinity
    private(set) var prices: [Double]
    /// The last master optimum (an upper bound on the LP relaxation's optimum).
    private(set) var masterObjective = Double.infinity
    private(set) var masterValues: [Double] = []
    private(set) var iterations = 0
    private(set) var seconds = 0.0

    init(problem: PlacementProblem, costs: [[Double]], start: [[Int]]) throws {
        self.problem = problem
        self.costs = costs
        rows = CouplingRows(problem: problem)
        master = try LinearProgram(direction: .minimize)
        var artificial: [Int] = []
        for row in 0..<rows.count {
            let index = try master.addRow(bounds: .upper(rows.rhs[row]))
            let slack = try master.addColumn(bounds: .lower(0), objective: rows.slackCost[row])
            try master.setColumnEntries(slack, [(index, -1)])
            if rows.kind[row] == .hard { artificial.append(slack) }
        }
        artificialColumns = artificial
        convexity = try master.addRow(bounds: .fixed(1))
        prices = [Double](repeating: 0, count: rows.count)
        for assignment in start { try add(assignment) }
        // λ = 0 is valid: the cheapest cluster per item, no capacity priced.
        let (value, assignment) = evaluate(prices)
        bound = value
        try add(assignment)
    }

    /// Adds an assignment as a master column (once).
    mutating func add(_ assignment: [Int]) throws {
        guard seen.insert(assignment).inserted else { return }
        let (activity, cost) = rows.activity(of: assignment, costs: costs)
        let column = try master.addColumn(bounds: .lower(0), objective: cost)
        var entries: [(row: Int, value: Double)] = [(convexity, 1)]
        for (row, value) in activity.enumerated() where value != 0 { entries.append((row, value)) }
        try master.setColumnEntries(column, entries)
        assignments.append(assignment)
        assignmentColumns.append(column)
    }

    /// Per cluster and resource, the price under λ of a unit of hard load, of tiers 1–2 load and of any
    /// load, and the constant −λ·rhs.
    private struct UnitPrices {
        var hard: [[Double]], high: [[Double]], all: [[Double]]
        var constant = 0.0
    }

    private func unitPrices(_ lambda: [Double]) -> UnitPrices {
        let zero = [[Double]](repeating: [Double](repeating: 0, count: problem.resources.count), count: problem.clusters.count)
        var prices = UnitPrices(hard: zero, high: zero, all: zero)
        for row in 0..<rows.count {
            let c = rows.cluster[row], r = rows.resource[row]
            let price = lambda[row] / problem.usable[c][r]
            prices.constant -= lambda[row] * rows.rhs[row]
            switch rows.kind[row] {
            case .hard: prices.hard[c][r] += price
            case .high: prices.high[c][r] += price
            case .all, .step: prices.all[c][r] += price
            }
        }
        return prices
    }

    /// Item `i`'s cost at allowed `position` plus its load priced.
    private func priced(_ i: Int, _ position: Int, _ prices: UnitPrices) -> Double {
        let item = problem.items[i]
        let c = item.allowed[position]
        let share = problem.hardShare(item.queue.tier)
        var total = costs[i][position]
        for r in problem.resources.indices {
            let load = item.load(r, on: c)
            total += prices.hard[c][r] * item.demand[r] * share + prices.all[c][r] * load
            if item.queue.tier <= 2 { total += prices.high[c][r] * load }
        }
        return total
    }

    /// L(λ) and the assignment attaining it (each item on its cheapest cluster under λ).
    func evaluate(_ lambda: [Double]) -> (value: Double, assignment: [Int]) {
        let prices = unitPrices(lambda)
        var value = prices.constant
        var assignment = [Int](repeating: 0, count: problem.items.count)
        for (i, item) in problem.items.enumerated() {
            var best = Double.infinity, bestCluster = item.allowed[0]
            for position in item.allowed.indices {
                let total = priced(i, position, prices)
                if total < best { best = total; bestCluster = item.allowed[position] }
            }
            value += best
            assignment[i] = bestCluster
        }
        return (value, assignment)
    }

    /// Per item and allowed position: the least any placement putting the item there can cost, given the
    /// best prices (the bound plus the position's reduced cost).
    func positionBounds() -> [[Double]] {
        let prices = unitPrices(self.prices)
        return problem.items.indices.map { i in
            let values = problem.items[i].allowed.indices.map { priced(i, $0, prices) }
            let least = values.min()!
            return values.map { bound + ($0 - least) }
        }
    }

    /// Raises the bound until it is within `stop` of `upper` (a known placement's cost), the master
    /// converges, or `maxIterations` pass. Returns whether the master converged (the bound is then the LP
    /// relaxation's optimum).
    mutating func improve(upper: Double, stop: Double, maxIterations: Int = 400) throws -> Bool {
        let clock = ContinuousClock.now
        defer { seconds += (ContinuousClock.now - clock).secondsValue }
        var smoothing = 0.5
        for _ in 0..<maxIterations {
            iterations += 1
            let solution = try master.solve(warmStart: iterations > 1)
            masterObjective = solution.objective
            masterValues = solution.columnValues
            // A ≤ row's dual is ≤ 0 when minimising; the price is its negation, within the slack's cost.
            let masterPrices = (0..<rows.count).map { Swift.min(rows.slackCost[$0], Swift.max(0, -solution.rowDuals[$0])) }
            let sigma = solution.rowDuals[convexity]
            if converged || (upper.isFinite && upper - bound <= stop) { return converged }
            // Wentges smoothing: query between the best prices and the master's; on a mispricing (no column
            // that prices out at the master's prices) step fully to the master's.
            var query = zip(prices, masterPrices).map { smoothing * $0 + (1 - smoothing) * $1 }
            var (value, assignment) = evaluate(query)
            if value > bound { bound = value; prices = query }
            if reducedCost(of: assignment, prices: masterPrices, sigma: sigma) >= -1e-9 * Swift.max(1, abs(masterObjective)) {
                smoothing = Swift.max(0, smoothing - 0.25)
                query = masterPrices
                (value, assignment) = evaluate(query)
                if value > bound { bound = value; prices = query }
            } else {
                smoothing = Swift.min(0.9, smoothing + 0.1)
            }
            let before = assignments.count
            try add(assignment)
            if assignments.count == before && !converged {
                // Nothing new at the master's own prices: the master is optimal for the full LP.
                bound = Swift.max(bound, masterObjective)
                return true
            }
        }
        return converged
    }

    var converged: Bool { masterObjective - bound <= 1e-7 * Swift.max(1, abs(masterObjective)) }

    /// The hard rows the master could only meet with artificial capacity, with how much (normalised).
    var artificialRows: [(row: Int, amount: Double)] {
        var result: [(Int, Double)] = []
        var hardRows = (0..<rows.count).filter { rows.kind[$0] == .hard }.makeIterator()
        for column in artificialColumns {
            guard let row = hardRows.next() else { break }
            let value = column < masterValues.count ? masterValues[column] : 0
            if value > 1e-7 { result.append((row, value)) }
        }
        return result
    }

    /// The master's fractional solution per item: the weight of each cluster (sums to 1).
    func fractional() -> [[Double]] {
        var weights = [[Double]](repeating: [Double](repeating: 0, count: problem.clusters.count), count: problem.items.count)
        for (j, column) in assignmentColumns.enumerated() where column < masterValues.count && masterValues[column] > 1e-9 {
            for (i, c) in assignments[j].enumerated() { weights[i][c] += masterValues[column] }
        }
        return weights
    }

    private func reducedCost(of assignment: [Int], prices: [Double], sigma: Double) -> Double {
        let (activity, cost) = rows.activity(of: assignment, costs: costs)
        var reduced = cost - sigma
        for row in 0..<rows.count { reduced += prices[row] * activity[row] }
        return reduced
    }
}

/// The placement LP over given positions per item, written with one row per coupling row only: each item's
/// heaviest position is its base, and a variable 0 ≤ y ≤ 1 per other position moves a share of it there
/// (an item with three or more positions adds one row, Σ y ≤ 1). With no row per item the simplex works
/// on a basis of the coupling rows' size, so a vertex of thousands of split items takes milliseconds.
struct SupportLP {
    /// Per item, its positions and the LP's value of each (summing to 1).
    static func vertex(_ problem: PlacementProblem, costs: [[Double]], rows: CouplingRows, positions: [[Int]],
                       base: [Int], presolve: Bool, timeLimit: Duration) throws(SolverError) -> [[Double]] {
        let lp = try LinearProgram(direction: .minimize)
        // Per item and position: (row, coefficient) of its normalised activity.
        func activity(_ i: Int, _ position: Int) -> [(Int, Double)] {
            let item = problem.items[i]
            let c = item.allowed[position]
            var entries: [(Int, Double)] = []
            for r in problem.resources.indices {
                guard let first = rows.first[c][r] else { continue }
                let k = problem.usable[c][r]
                let load = item.load(r, on: c) / k
                let hard = item.demand[r] * problem.hardShare(item.queue.tier) / k
                if hard != 0 { entries.append((first, hard)) }
                guard load != 0 else { continue }
                if item.queue.tier <= 2 { entries.append((first + 1, load)) }
                // The all-tiers row and one row per crowding step follow.
                for row in (first + 2)...(first + 2 + problem.crowdingSteps.count) { entries.append((row, load)) }
            }
            return entries
        }
        var fixed = [Double](repeating: 0, count: rows.count)
        var constant = 0.0
        for i in problem.items.indices {
            constant += costs[i][base[i]]
            for (row, value) in activity(i, base[i]) { fixed[row] += value }
        }
        try lp.setObjectiveConstant(constant)
        for row in 0..<rows.count {
            _ = try lp.addRow(bounds: .upper(rows.rhs[row] - fixed[row]))
            let slack = try lp.addColumn(bounds: .lower(0), objective: rows.slackCost[row])
            try lp.setColumnEntries(slack, [(row, -1)])
        }
        var columns: [[(position: Int, column: Int)]] = Array(repeating: [], count: problem.items.count)
        var entriesOf: [Int: [(row: Int, value: Double)]] = [:]
        for i in problem.items.indices {
            let others = positions[i].filter { $0 != base[i] }
            guard !others.isEmpty else { continue }
            var baseEntries: [Int: Double] = [:]
            for (row, value) in activity(i, base[i]) { baseEntries[row, default: 0] += value }
            for position in others {
                let column = try lp.addColumn(bounds: .range(0, 1), objective: costs[i][position] - costs[i][base[i]])
                var entries = baseEntries.mapValues { -$0 }
                for (row, value) in activity(i, position) { entries[row, default: 0] += value }
                let list = entries.filter { $0.value != 0 }.sorted { $0.key < $1.key }.map { (row: $0.key, value: $0.value) }
                try lp.setColumnEntries(column, list)
                entriesOf[column] = list
                columns[i].append((position, column))
            }
        }
        // Σ y ≤ 1 per item only where a solution breaks it (rarely: at a vertex few y are positive), added
        // and re-solved from the last basis.
        // From the all-slack basis (every queue on its base), primal simplex without presolve: GLPK's
        // presolve and its own starting basis cost more here than they save (0.77 s → 0.51 s on 6,000 queues).
        // With presolve it reaches another optimal vertex, which the caller tries when the first one's
        // rounding misses the gap.
        var solution = try lp.solve(timeLimit: timeLimit, warmStart: !presolve)
        for round in 0..<50 {
            Trace.say("placement: support LP round \(round): \(lp.columnCount) columns, \(lp.rowCount) rows, objective \(solution.objective)")
            let broken = problem.items.indices.filter { i in
                columns[i].count > 1 && columns[i].reduce(0) { $0 + solution.columnValues[$1.column] } > 1 + 1e-9
            }
            guard !broken.isEmpty else { break }
            for i in broken {
                let row = try lp.addRow(bounds: .upper(1))
                for (_, column) in columns[i] {
                    entriesOf[column]!.append((row, 1))
                    try lp.setColumnEntries(column, entriesOf[column]!)
                }
            }
            solution = try lp.solve(timeLimit: timeLimit, warmStart: true)
        }
        return problem.items.indices.map { i in
            var values = [Double](repeating: 0, count: problem.items[i].allowed.count)
            var moved = 0.0
            for (position, column) in columns[i] {
                let y = Swift.min(1, Swift.max(0, solution.columnValues[column]))
                values[position] = y
                moved += y
            }
            values[base[i]] = Swift.max(0, 1 - moved)
            return values
        }
    }
}
