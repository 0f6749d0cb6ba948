import CGLPK

/// A linear or mixed-integer program held in one GLPK problem object.
///
/// Indices are 0-based here and translated to GLPK's 1-based ones internally. Every input is validated in
/// Swift before it reaches GLPK, because GLPK aborts the process on misuse; the C guard only catches what
/// slips through. GLPK's memory is per thread, so an instance must be created, used and released on one
/// thread (keep it inside one synchronous function, with no `await` in between); other threads get
/// `SolverError.wrongThread`.
public final class LinearProgram {
    /// GLPK rejects longer row and column names with a fatal error.
    private static let maxNameBytes = 255
    /// GLPK's own limit on rows and columns (M_MAX / N_MAX in its sources).
    private static let maxDimension = 100_000_000

    private let problem: OpaquePointer
    private let generation: UInt
    private let threadToken: UnsafeRawPointer?

    /// The number of rows (constraints) added so far.
    public private(set) var rowCount = 0
    /// The number of columns (variables) added so far.
    public private(set) var columnCount = 0

    /// Creates an empty problem on the calling thread.
    public init(direction: OptimizationDirection = .minimize) throws(SolverError) {
        let sense = direction == .minimize ? GLP_MIN : GLP_MAX
        problem = try runGuarded {
            let made = glp_create_prob()!
            glp_set_obj_dir(made, sense)
            return made
        }
        generation = currentGLPKGeneration()
        threadToken = currentGLPKThreadToken()
    }

    deinit {
        // After an environment reset the problem is already freed; on another thread freeing it would
        // corrupt that thread's GLPK allocator. Leaking is the only safe choice there.
        guard currentGLPKThreadToken() == threadToken, currentGLPKGeneration() == generation else { return }
        glp_delete_prob(problem)
    }

    /// Frees the calling thread's whole GLPK environment, which GLPK otherwise keeps until the thread ends.
    ///
    /// Every `LinearProgram` made on this thread becomes invalid (`SolverError.problemInvalidated`).
    public static func releaseThreadEnvironment() {
        freeGLPKEnvironment()
    }

    // MARK: Building

    /// Adds a row (constraint) with the given activity bounds and returns its 0-based index.
    @discardableResult
    public func addRow(bounds: Bounds, name: String? = nil) throws(SolverError) -> Int {
        try checkUsable()
        guard rowCount < Self.maxDimension else { throw .invalidParameter("too many rows") }
        let glpkBounds = try Self.glpkBounds(bounds)
        if let name { try Self.validateName(name) }
        let p = problem
        let index = try runGuarded { () -> Int32 in
            let i = glp_add_rows(p, 1)
            glp_set_row_bnds(p, i, glpkBounds.type, glpkBounds.lower, glpkBounds.upper)
            if let name { glp_set_row_name(p, i, name) }
            return i
        }
        rowCount += 1
        return Int(index) - 1
    }

    /// Adds a column (variable) and returns its 0-based index.
    ///
    /// The default bounds are x ≥ 0, the usual LP convention (GLPK's own default would fix it at zero).
    @discardableResult
    public func addColumn(
        bounds: Bounds = .lower(0), objective: Double = 0, kind: ColumnKind = .continuous, name: String? = nil
    ) throws(SolverError) -> Int {
        try checkUsable()
        guard columnCount < Self.maxDimension else { throw .invalidParameter("too many columns") }
        let glpkBounds = try Self.glpkBounds(bounds)
        try Self.checkFinite(objective, "objective coefficient")
        if let name { try Self.validateName(name) }
        let p = problem
        let columnKind = kind == .integer ? GLP_IV : GLP_CV
        let index = try runGuarded { () -> Int32 in
            let j = glp_add_cols(p, 1)
            glp_set_col_kind(p, j, columnKind)
            glp_set_col_bnds(p, j, glpkBounds.type, glpkBounds.lower, glpkBounds.upper)
            glp_set_obj_coef(p, j, objective)
            if let name { glp_set_col_name(p, j, name) }
            return j
        }
        columnCount += 1
        return Int(index) - 1
    }

    /// Adds a 0/1 integer column and returns its 0-based index.
    @discardableResult
    public func addBinaryColumn(objective: Double = 0, name: String? = nil) throws(SolverError) -> Int {
        try addColumn(bounds: .range(0, 1), objective: objective, kind: .integer, name: name)
    }

    /// Replaces a row's bounds.
    public func setRowBounds(_ row: Int, _ bounds: Bounds) throws(SolverError) {
        try checkUsable()
        let i = try glpkRow(row)
        let b = try Self.glpkBounds(bounds)
        let p = problem
        try runGuarded { glp_set_row_bnds(p, i, b.type, b.lower, b.upper) }
    }

    /// Replaces a column's bounds.
    public func setColumnBounds(_ column: Int, _ bounds: Bounds) throws(SolverError) {
        try checkUsable()
        let j = try glpkColumn(column)
        let b = try Self.glpkBounds(bounds)
        let p = problem
        try runGuarded { glp_set_col_bnds(p, j, b.type, b.lower, b.upper) }
    }

    /// Sets a column's objective coefficient.
    public func setObjectiveCoefficient(_ value: Double, column: Int) throws(SolverError) {
        try checkUsable()
        let j = try glpkColumn(column)
        try Self.checkFinite(value, "objective coefficient")
        let p = problem
        try runGuarded { glp_set_obj_coef(p, j, value) }
    }

    /// Sets the objective's constant term (GLPK's column 0).
    public func setObjectiveConstant(_ value: Double) throws(SolverError) {
        try checkUsable()
        try Self.checkFinite(value, "objective constant")
        let p = problem
        try runGuarded { glp_set_obj_coef(p, 0, value) }
    }

    /// Marks a row's auxiliary variable basic or non-basic, to hand `solve(warmStart: true)` a starting basis.
    public func setRowStatus(_ row: Int, _ status: BasisStatus) throws(SolverError) {
        try checkUsable()
        let i = try glpkRow(row)
        let p = problem
        let code = status.glpk
        try runGuarded { glp_set_row_stat(p, i, code) }
    }

    /// Marks a column basic or non-basic, to hand `solve(warmStart: true)` a starting basis.
    public func setColumnStatus(_ column: Int, _ status: BasisStatus) throws(SolverError) {
        try checkUsable()
        let j = try glpkColumn(column)
        let p = problem
        let code = status.glpk
        try runGuarded { glp_set_col_stat(p, j, code) }
    }

    /// A row's status in the basis the last simplex solve left.
    public func rowStatus(_ row: Int) throws(SolverError) -> BasisStatus {
        try checkUsable()
        let i = try glpkRow(row)
        let p = problem
        return BasisStatus(glpk: try runGuarded { glp_get_row_stat(p, i) })
    }

    /// A column's status in the basis the last simplex solve left.
    public func columnStatus(_ column: Int) throws(SolverError) -> BasisStatus {
        try checkUsable()
        let j = try glpkColumn(column)
        let p = problem
        return BasisStatus(glpk: try runGuarded { glp_get_col_stat(p, j) })
    }

    /// Replaces the entries of one column (the rest of the matrix is kept): how a column joins a problem
    /// that is already loaded, e.g. in column generation.
    public func setColumnEntries(_ column: Int, _ entries: [(row: Int, value: Double)]) throws(SolverError) {
        try checkUsable()
        let j = try glpkColumn(column)
        var seen = Set<Int>(minimumCapacity: entries.count)
        var ind: [Int32] = [0], val: [Double] = [0]
        for entry in entries {
            let i = try glpkRow(entry.row)
            try Self.checkFinite(entry.value, "matrix entry (\(entry.row), \(column))")
            guard seen.insert(entry.row).inserted else { throw .duplicateMatrixEntry(row: entry.row, column: column) }
            ind.append(i)
            val.append(entry.value)
        }
        let p = problem
        let count = Int32(entries.count)
        try runGuarded {
            ind.withUnsafeBufferPointer { ind in
                val.withUnsafeBufferPointer { val in glp_set_mat_col(p, j, count, ind.baseAddress, val.baseAddress) }
            }
        }
    }

    /// Replaces the whole constraint matrix with `entries`; absent pairs are zero.
    public func loadMatrix(_ entries: [MatrixEntry]) throws(SolverError) {
        try checkUsable()
        var seen = Set<Int64>(minimumCapacity: entries.count)
        // GLPK ignores element 0 of each array.
        var ia: [Int32] = [0], ja: [Int32] = [0], ar: [Double] = [0]
        ia.reserveCapacity(entries.count + 1)
        ja.reserveCapacity(entries.count + 1)
        ar.reserveCapacity(entries.count + 1)
        for entry in entries {
            let i = try glpkRow(entry.row)
            let j = try glpkColumn(entry.column)
            try Self.checkFinite(entry.value, "matrix entry (\(entry.row), \(entry.column))")
            guard seen.insert(Int64(i) << 32 | Int64(j)).inserted else {
                throw .duplicateMatrixEntry(row: entry.row, column: entry.column)
            }
            ia.append(i)
            ja.append(j)
            ar.append(entry.value)
        }
        try loadGLPKMatrix(ia: ia, ja: ja, ar: ar)
    }

    // MARK: Solving

    /// Solves the LP relaxation (integrality ignored) with the simplex method and presolver.
    ///
    /// - Parameter timeLimit: wall-clock budget; when it expires before optimality the call throws
    ///   `SolverError.timeLimitReached`, since GLPK leaves no usable point behind.
    ///   - warmStart: start from the basis the previous solve left (presolve off, primal simplex): after
    ///     adding columns to a solved problem that basis is still primal feasible, so a re-solve takes a few
    ///     pivots instead of a fresh start. Without a usable basis it falls back to a cold solve.
    public func solve(timeLimit: Duration? = nil, warmStart: Bool = false) throws(SolverError) -> Solution {
        try checkUsable()
        let limit = try Self.milliseconds(timeLimit)
        let p = problem
        let n = Int32(columnCount)
        let raw = try runGuarded { () -> RawOutcome in
            // Terminal and message level are per thread and per call; set both every time.
            glp_term_out(GLP_OFF)
            var parameters = glp_smcp()
            glp_init_smcp(&parameters)
            parameters.msg_lev = GLP_MSG_OFF
            parameters.presolve = GLP_ON
            parameters.tm_lim = limit
            var code: Int32
            if warmStart {
                parameters.presolve = GLP_OFF
                parameters.meth = GLP_PRIMAL
                code = glp_simplex(p, &parameters)
                if code == GLP_EBADB || code == GLP_ESING || code == GLP_ECOND {
                    // Presolve builds its own starting basis, so an unusable one no longer matters.
                    parameters.presolve = GLP_ON
                    code = glp_simplex(p, &parameters)
                }
            } else {
                code = glp_simplex(p, &parameters)
            }
            let status = glp_get_status(p)
            guard status == GLP_OPT || status == GLP_FEAS else {
                return RawOutcome(code: code, status: status, objective: .nan, values: [])
            }
            let values = n == 0 ? [] : (1...n).map { glp_get_col_prim(p, $0) }
            let m = glp_get_num_rows(p)
            let duals = m == 0 ? [] : (1...m).map { glp_get_row_dual(p, $0) }
            return RawOutcome(code: code, status: status, objective: glp_get_obj_val(p), values: values, duals: duals)
        }
        return try Self.interpretLP(raw)
    }

    /// Solves the problem with integrality constraints by branch and bound (`glp_intopt` with presolve).
    ///
    /// - Parameters:
    ///   - timeLimit: wall-clock budget; if it expires with an incumbent, that incumbent is returned as
    ///     `.feasible`, otherwise `SolverError.timeLimitReached` is thrown.
    ///   - relativeGap: stop once the incumbent is proven within this relative gap of the bound (0 = exact).
    public func solveMIP(timeLimit: Duration? = nil, relativeGap: Double = 0) throws(SolverError) -> Solution {
        try checkUsable()
        let limit = try Self.milliseconds(timeLimit)
        guard relativeGap.isFinite, relativeGap >= 0 else {
            throw .invalidParameter("relative gap must be finite and non-negative, got \(relativeGap)")
        }
        let p = problem
        let n = Int32(columnCount)
        let raw = try runGuarded { () -> RawOutcome in
            glp_term_out(GLP_OFF)
            var parameters = glp_iocp()
            glp_init_iocp(&parameters)
            parameters.msg_lev = GLP_MSG_OFF
            // Without presolve, glp_intopt demands an optimal LP relaxation beforehand (else GLP_EROOT).
            parameters.presolve = GLP_ON
            parameters.tm_lim = limit
            parameters.mip_gap = relativeGap
            let code = glp_intopt(p, &parameters)
            let status = glp_mip_status(p)
            guard status == GLP_OPT || status == GLP_FEAS else {
                return RawOutcome(code: code, status: status, objective: .nan, values: [])
            }
            let values = n == 0 ? [] : (1...n).map { glp_mip_col_val(p, $0) }
            return RawOutcome(code: code, status: status, objective: glp_mip_obj_val(p), values: values)
        }
        return try Self.interpretMIP(raw, requestedGap: relativeGap)
    }

    // MARK: Export

    /// Writes the problem in CPLEX LP format (`glp_write_lp`), for review and for cross-checking with another
    /// solver. Rows and columns without a name, or with one the format cannot carry, get GLPK's generic
    /// names (`r_1`, `x_1`).
    public func writeLP(to path: String) throws(SolverError) {
        try write(path, format: "CPLEX LP") { p, file in glp_write_lp(p, nil, file) }
    }

    /// Writes the problem in free MPS format (`glp_write_mps` with `GLP_MPS_FILE`).
    public func writeMPS(to path: String) throws(SolverError) {
        try write(path, format: "MPS") { p, file in glp_write_mps(p, GLP_MPS_FILE, nil, file) }
    }

    private func write(
        _ path: String, format: String, _ call: @escaping (OpaquePointer, UnsafePointer<CChar>) -> Int32
    ) throws(SolverError) {
        try checkUsable()
        guard !path.isEmpty, !path.utf8.contains(0) else { throw .invalidParameter("empty or invalid export path") }
        let p = problem
        // GLPK reports why a write failed (cannot create the file, ...) on its terminal, which the guard
        // captures; keep that text for the error.
        let code = try runGuarded { () -> Int32 in
            glp_term_out(GLP_OFF)
            return path.withCString { call(p, $0) }
        }
        guard code == 0 else {
            let detail = lastGLPKOutput().split(whereSeparator: \.isNewline).joined(separator: "; ")
            throw .exportFailed(path: path, format: format, reason: detail.isEmpty ? "glpk returned \(code)" : detail)
        }
    }

    // MARK: Test hooks

    /// Calls `glp_set_col_bnds` with a raw 1-based GLPK index and no Swift validation, so tests can prove
    /// that a GLPK fault becomes `SolverError.glpkFault` and the process survives.
    package func setColumnBoundsBypassingValidation(glpkColumn: Int32, lower: Double, upper: Double)
        throws(SolverError)
    {
        try checkUsable()
        let p = problem
        try runGuarded { glp_set_col_bnds(p, glpkColumn, GLP_DB, lower, upper) }
    }

    /// Loads raw 1-based triplets without validation (duplicates included) for the same purpose.
    package func loadMatrixBypassingValidation(_ triplets: [(row: Int32, column: Int32, value: Double)])
        throws(SolverError)
    {
        try checkUsable()
        try loadGLPKMatrix(
            ia: [0] + triplets.map(\.row), ja: [0] + triplets.map(\.column), ar: [0] + triplets.map(\.value))
    }

    // MARK: Internals

    private struct RawOutcome {
        var code: Int32
        var status: Int32
        var objective: Double
        var values: [Double]
        var duals: [Double] = []
    }

    private func loadGLPKMatrix(ia: [Int32], ja: [Int32], ar: [Double]) throws(SolverError) {
        let p = problem
        let count = Int32(ia.count - 1)
        try runGuarded {
            ia.withUnsafeBufferPointer { ia in
                ja.withUnsafeBufferPointer { ja in
                    ar.withUnsafeBufferPointer { ar in
                        glp_load_matrix(p, count, ia.baseAddress, ja.baseAddress, ar.baseAddress)
                    }
                }
            }
        }
    }

    private func checkUsable() throws(SolverError) {
        guard currentGLPKThreadToken() == threadToken else { throw .wrongThread }
        guard currentGLPKGeneration() == generation else { throw .problemInvalidated }
    }

    private func glpkRow(_ row: Int) throws(SolverError) -> Int32 {
        guard row >= 0, row < rowCount else { throw .rowOutOfRange(row, rowCount: rowCount) }
        return Int32(row + 1)
    }

    private func glpkColumn(_ column: Int) throws(SolverError) -> Int32 {
        guard column >= 0, column < columnCount else {
            throw .columnOutOfRange(column, columnCount: columnCount)
        }
        return Int32(column + 1)
    }

    private static func checkFinite(_ value: Double, _ what: String) throws(SolverError) {
        guard value.isFinite else { throw .invalidCoefficient("\(what) is \(value)") }
    }

    private static func glpkBounds(_ bounds: Bounds) throws(SolverError) -> (type: Int32, lower: Double, upper: Double) {
        func finite(_ value: Double) throws(SolverError) -> Double {
            guard value.isFinite else {
                throw .invalidBounds("\(value) is not finite; use .free, .lower or .upper for open sides")
            }
            return value
        }
        switch bounds {
        case .free:
            return (GLP_FR, 0, 0)
        case let .lower(lower):
            return (GLP_LO, try finite(lower), 0)
        case let .upper(upper):
            return (GLP_UP, 0, try finite(upper))
        case let .fixed(value):
            let value = try finite(value)
            return (GLP_FX, value, value)
        case let .range(lower, upper):
            let lower = try finite(lower), upper = try finite(upper)
            guard lower <= upper else { throw .invalidBounds("lower \(lower) exceeds upper \(upper)") }
            // GLPK wants GLP_FX rather than a degenerate double bound.
            return (lower == upper ? GLP_FX : GLP_DB, lower, upper)
        }
    }

    private static func validateName(_ name: String) throws(SolverError) {
        guard name.utf8.count <= maxNameBytes else {
            throw .invalidName("\(name.prefix(32))… is longer than \(maxNameBytes) bytes")
        }
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .invalidName("\(name.debugDescription) contains control characters")
        }
    }

    private static func milliseconds(_ limit: Duration?) throws(SolverError) -> Int32 {
        guard let limit else { return Int32.max }  // GLPK reads INT_MAX as "no limit"
        let (seconds, attoseconds) = limit.components
        guard seconds > 0 || (seconds == 0 && attoseconds > 0) else {
            throw .invalidParameter("time limit must be positive, got \(limit)")
        }
        let ms = seconds.multipliedReportingOverflow(by: 1000)
        guard !ms.overflow else { return Int32.max }
        // Round sub-millisecond limits up so a tiny positive limit never becomes GLPK's 0.
        let total = ms.partialValue + max(seconds == 0 ? 1 : 0, attoseconds / 1_000_000_000_000_000)
        return Int32(clamping: total)
    }

    private static func describe(_ code: Int32) -> String {
        switch code {
        case GLP_EBADB: "invalid initial basis"
        case GLP_ESING: "singular basis matrix"
        case GLP_ECOND: "basis matrix is ill-conditioned"
        case GLP_EBOUND: "incorrect bounds (an integer column with non-integer bounds?)"
        case GLP_EFAIL: "solver failure"
        case GLP_EOBJLL: "objective lower limit reached"
        case GLP_EOBJUL: "objective upper limit reached"
        case GLP_EITLIM: "iteration limit exceeded"
        case GLP_ETMLIM: "time limit exceeded"
        case GLP_ENOPFS: "no primal feasible solution"
        case GLP_ENODFS: "no dual feasible solution"
        case GLP_EROOT: "root LP optimum not provided"
        case GLP_ESTOP: "search terminated by application"
        case GLP_EMIPGAP: "relative MIP gap tolerance reached"
        default: "unexpected return code"
        }
    }

    private static func interpretLP(_ raw: RawOutcome) throws(SolverError) -> Solution {
        switch raw.code {
        case 0, GLP_ETMLIM, GLP_EITLIM:
            switch raw.status {
            case GLP_OPT where raw.code == 0:
                return Solution(status: .optimal, objective: raw.objective, columnValues: raw.values, rowDuals: raw.duals)
            case GLP_OPT, GLP_FEAS:
                return Solution(status: .feasible, objective: raw.objective, columnValues: raw.values, rowDuals: raw.duals)
            case GLP_NOFEAS: throw .infeasible
            case GLP_UNBND: throw .unbounded
            default:
                if raw.code == GLP_ETMLIM { throw .timeLimitReached }
                if raw.code == GLP_EITLIM { throw .iterationLimitReached }
                throw .solverFailed(code: raw.code, reason: "simplex ended with status \(raw.status)")
            }
        case GLP_ENOPFS: throw .infeasible
        case GLP_ENODFS: throw .infeasibleOrUnbounded
        default: throw .solverFailed(code: raw.code, reason: describe(raw.code))
        }
    }

    private static func interpretMIP(_ raw: RawOutcome, requestedGap: Double) throws(SolverError) -> Solution {
        switch raw.code {
        case 0, GLP_ETMLIM, GLP_EMIPGAP, GLP_ESTOP:
            switch raw.status {
            case GLP_OPT where raw.code == 0:
                return Solution(status: .optimal, objective: raw.objective, columnValues: raw.values, provenGap: 0)
            case GLP_OPT, GLP_FEAS:
                return Solution(status: .feasible, objective: raw.objective, columnValues: raw.values,
                                provenGap: raw.code == GLP_EMIPGAP ? requestedGap : nil)
            case GLP_NOFEAS: throw .infeasible
            default:
                if raw.code == GLP_ETMLIM { throw .timeLimitReached }
                throw .solverFailed(code: raw.code, reason: "branch and bound ended with status \(raw.status)")
            }
        case GLP_ENOPFS: throw .infeasible
        case GLP_ENODFS: throw .infeasibleOrUnbounded
        case GLP_EBOUND: throw .invalidBounds(describe(raw.code))
        default: throw .solverFailed(code: raw.code, reason: describe(raw.code))
        }
    }
}

/// A variable's place in a simplex basis (a starting basis for `solve(warmStart: true)`).
public enum BasisStatus: Sendable, Equatable {
    /// In the basis.
    case basic
    /// Non-basic at its lower bound.
    case atLower
    /// Non-basic at its upper bound.
    case atUpper
    /// Non-basic and fixed (an equality row or fixed column).
    case fixed

    init(glpk: Int32) {
        switch glpk {
        case GLP_BS: self = .basic
        case GLP_NU: self = .atUpper
        case GLP_NS: self = .fixed
        default: self = .atLower  // GLP_NL, and GLP_NF (free non-basic) which our bounds never produce
        }
    }

    var glpk: Int32 {
        switch self {
        case .basic: GLP_BS
        case .atLower: GLP_NL
        case .atUpper: GLP_NU
        case .fixed: GLP_NS
        }
    }
}
