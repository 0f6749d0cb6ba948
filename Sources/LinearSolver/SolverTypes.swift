/// Whether the objective is minimised or maximised.
public enum OptimizationDirection: Sendable, Equatable {
    /// Smallest objective value wins.
    case minimize
    /// Largest objective value wins.
    case maximize
}

/// The admissible interval of a row (constraint activity) or a column (variable).
///
/// Infinite sides are expressed by the case, never by `±infinity` values, because GLPK keys the bound type
/// off the case and treats huge numbers as real bounds.
public enum Bounds: Sendable, Equatable {
    /// −∞ < x < +∞.
    case free
    /// x ≥ lower.
    case lower(Double)
    /// x ≤ upper.
    case upper(Double)
    /// lower ≤ x ≤ upper (equal sides make it fixed).
    case range(Double, Double)
    /// x = value.
    case fixed(Double)
}

/// Whether a column may take any real value or only integers (in `solveMIP`).
public enum ColumnKind: Sendable, Equatable {
    /// Any real value within the bounds.
    case continuous
    /// Integer values only; `solve()` relaxes this, `solveMIP()` enforces it.
    case integer
}

/// One non-zero of the constraint matrix, with 0-based row and column indices.
public struct MatrixEntry: Sendable, Equatable {
    /// 0-based row index, as returned by `LinearProgram.addRow`.
    public var row: Int
    /// 0-based column index, as returned by `LinearProgram.addColumn`.
    public var column: Int
    /// The coefficient; must be finite.
    public var value: Double

    /// Makes an entry; validation happens when the matrix is loaded, where the problem's size is known.
    public init(row: Int, column: Int, value: Double) {
        self.row = row
        self.column = column
        self.value = value
    }
}

/// How good the returned point is. Anything worse than `.feasible` is thrown as a `SolverError` instead,
/// so callers can never read values GLPK left undefined.
public enum SolutionStatus: Sendable, Equatable {
    /// Proven optimal (within GLPK's tolerances and, for a MIP, the requested gap).
    case optimal
    /// Feasible but not proven optimal: a MIP stopped by its time limit or relative gap.
    case feasible
}

/// A solved problem's outcome.
public struct Solution: Sendable, Equatable {
    /// Whether optimality was proven.
    public let status: SolutionStatus
    /// The objective value at `columnValues`, including the constant term.
    public let objective: Double
    /// One value per column, in column-index order.
    public let columnValues: [Double]
    /// One dual value (shadow price) per row, in row-index order, for LP solutions: the reduced cost of a
    /// column j is `c_j − Σ_i rowDuals[i]·a_ij`. Empty for MIP solutions.
    public let rowDuals: [Double]
    /// For a MIP: the relative gap to the best bound that branch and bound proved (0 when optimal, the
    /// requested gap when it stopped on reaching it), nil when it stopped for another reason (time limit).
    public let provenGap: Double?

    init(status: SolutionStatus, objective: Double, columnValues: [Double], rowDuals: [Double] = [], provenGap: Double? = nil) {
        self.status = status
        self.objective = objective
        self.columnValues = columnValues
        self.rowDuals = rowDuals
        self.provenGap = provenGap ?? (status == .optimal ? 0 : nil)
    }
}

/// Every way building or solving a `LinearProgram` can fail.
public enum SolverError: Error, Equatable, CustomStringConvertible {
    /// A row index outside `0..<rowCount`.
    case rowOutOfRange(Int, rowCount: Int)
    /// A column index outside `0..<columnCount`.
    case columnOutOfRange(Int, columnCount: Int)
    /// Bounds that are not finite or whose lower side exceeds the upper side.
    case invalidBounds(String)
    /// A NaN or infinite coefficient.
    case invalidCoefficient(String)
    /// The same (row, column) pair given twice to `loadMatrix`; GLPK aborts on this, so it is caught first.
    case duplicateMatrixEntry(row: Int, column: Int)
    /// A name GLPK would reject (longer than 255 bytes or with control characters).
    case invalidName(String)
    /// A non-positive or otherwise unusable parameter such as the time limit or the gap.
    case invalidParameter(String)
    /// The problem has no feasible point.
    case infeasible
    /// The objective is unbounded over the feasible set.
    case unbounded
    /// GLPK proved that the problem is either infeasible or unbounded, without telling which.
    case infeasibleOrUnbounded
    /// The time limit expired before any usable solution was found.
    case timeLimitReached
    /// The simplex iteration limit expired before a solution was found.
    case iterationLimitReached
    /// GLPK returned a failure code (singular basis, numerical trouble, ...).
    case solverFailed(code: Int32, reason: String)
    /// GLPK raised an internal error that would have aborted the process; its message is kept here.
    /// The thread's GLPK environment was reset, so every `LinearProgram` made on this thread is now invalid.
    case glpkFault(message: String)
    /// The problem was freed by a GLPK environment reset on its thread (after a `glpkFault` or an explicit
    /// `LinearProgram.releaseThreadEnvironment()`).
    case problemInvalidated
    /// The problem is used on a thread other than the one that created it; GLPK's memory is per thread.
    case wrongThread
    /// `writeLP` / `writeMPS` could not write the file; `reason` is GLPK's own message.
    case exportFailed(path: String, format: String, reason: String)

    /// A one-line explanation for logs and CLI output.
    public var description: String {
        switch self {
        case let .rowOutOfRange(index, count): "row index \(index) out of range 0..<\(count)"
        case let .columnOutOfRange(index, count): "column index \(index) out of range 0..<\(count)"
        case let .invalidBounds(detail): "invalid bounds: \(detail)"
        case let .invalidCoefficient(detail): "invalid coefficient: \(detail)"
        case let .duplicateMatrixEntry(row, column): "duplicate matrix entry at row \(row), column \(column)"
        case let .invalidName(detail): "invalid name: \(detail)"
        case let .invalidParameter(detail): "invalid parameter: \(detail)"
        case .infeasible: "problem is infeasible"
        case .unbounded: "problem is unbounded"
        case .infeasibleOrUnbounded: "problem is infeasible or unbounded"
        case .timeLimitReached: "time limit reached before a solution was found"
        case .iterationLimitReached: "iteration limit reached before a solution was found"
        case let .solverFailed(code, reason): "GLPK failed (code \(code)): \(reason)"
        case let .glpkFault(message): "GLPK internal error: \(message)"
        case .problemInvalidated: "problem was freed by a GLPK environment reset on its thread"
        case .wrongThread: "problem used on a thread other than the one that created it"
        case let .exportFailed(path, format, reason): "cannot write the \(format) model to \(path): \(reason)"
        }
    }
}
