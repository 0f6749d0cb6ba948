import Foundation
import LinearSolver
import Testing
import TestSupport

/// Real calls into GLPK through `LinearProgram`. Each test is synchronous so a problem's whole life stays
/// on one thread, as GLPK's per-thread environment requires.
@Suite("GLPK")
struct GLPKTests {
    /// max 3x + 2y  s.t.  x + y ≤ 4,  x + 3y ≤ 6,  0 ≤ x ≤ 3,  y ≥ 0  has its optimum 11 at (3, 1).
    @Test func solvesTwoVariableLP() throws {
        let lp = try LinearProgram(direction: .maximize)
        let x = try lp.addColumn(bounds: .range(0, 3), objective: 3, name: "x")
        let y = try lp.addColumn(bounds: .lower(0), objective: 2, name: "y")
        let r0 = try lp.addRow(bounds: .upper(4), name: "sum")
        let r1 = try lp.addRow(bounds: .upper(6), name: "weighted")
        try lp.loadMatrix([
            MatrixEntry(row: r0, column: x, value: 1), MatrixEntry(row: r0, column: y, value: 1),
            MatrixEntry(row: r1, column: x, value: 1), MatrixEntry(row: r1, column: y, value: 3),
        ])
        let solution = try lp.solve(timeLimit: .seconds(10))
        #expect(solution.status == .optimal)
        #expect(abs(solution.objective - 11) < 1e-9)
        #expect(solution.columnValues.count == 2)
        #expect(abs(solution.columnValues[x] - 3) < 1e-9)
        #expect(abs(solution.columnValues[y] - 1) < 1e-9)
    }

    /// A 0/1 knapsack whose LP relaxation is fractional: values 10, 13, 7, weights 5, 6, 4, capacity 10.
    /// The integer optimum takes items 2 and 3 for 20; the relaxation would reach 10 + 13·5/6 ≈ 20.83.
    @Test func solvesTinyMIP() throws {
        let mip = try LinearProgram(direction: .maximize)
        let values: [Double] = [10, 13, 7], weights: [Double] = [5, 6, 4]
        let items = try values.map { value in try mip.addBinaryColumn(objective: value) }
        let capacity = try mip.addRow(bounds: .upper(10))
        try mip.loadMatrix(items.map { MatrixEntry(row: capacity, column: $0, value: weights[$0]) })

        let relaxed = try mip.solve()
        #expect(relaxed.objective > 20.5)

        let solution = try mip.solveMIP(timeLimit: .seconds(10))
        #expect(solution.status == .optimal)
        #expect(abs(solution.objective - 20) < 1e-9)
        #expect(solution.columnValues == [0, 1, 1])
    }

    @Test func reportsInfeasibleAndUnbounded() throws {
        let infeasible = try LinearProgram()
        let x = try infeasible.addColumn(bounds: .lower(0), objective: 1)
        let row = try infeasible.addRow(bounds: .upper(-1))  // x ≤ -1 contradicts x ≥ 0
        try infeasible.loadMatrix([MatrixEntry(row: row, column: x, value: 1)])
        #expect(throws: SolverError.infeasible) { try infeasible.solve() }
        #expect(throws: SolverError.infeasible) { try infeasible.solveMIP() }

        let unbounded = try LinearProgram(direction: .maximize)
        _ = try unbounded.addColumn(bounds: .lower(0), objective: 1)
        let error = #expect(throws: SolverError.self) { try unbounded.solve() }
        #expect(error == .unbounded || error == .infeasibleOrUnbounded)
    }

    @Test func validatesInputsBeforeGLPKSeesThem() throws {
        let lp = try LinearProgram()
        let x = try lp.addColumn()
        let row = try lp.addRow(bounds: .fixed(1))
        #expect(throws: SolverError.columnOutOfRange(5, columnCount: 1)) { try lp.setColumnBounds(5, .free) }
        #expect(throws: SolverError.rowOutOfRange(-1, rowCount: 1)) { try lp.setRowBounds(-1, .free) }
        #expect(throws: SolverError.self) { try lp.setColumnBounds(x, .range(2, 1)) }
        #expect(throws: SolverError.self) { try lp.setColumnBounds(x, .upper(.infinity)) }
        #expect(throws: SolverError.self) { try lp.setObjectiveCoefficient(.nan, column: x) }
        #expect(throws: SolverError.self) { try lp.addColumn(name: String(repeating: "n", count: 300)) }
        #expect(throws: SolverError.duplicateMatrixEntry(row: row, column: x)) {
            try lp.loadMatrix([MatrixEntry(row: row, column: x, value: 1), MatrixEntry(row: row, column: x, value: 2)])
        }
        #expect(throws: SolverError.self) { try lp.solve(timeLimit: .zero) }
        // None of the rejected calls reached GLPK, so the problem is still intact and solvable.
        try lp.loadMatrix([MatrixEntry(row: row, column: x, value: 2)])
        let solution = try lp.solve()
        #expect(abs(solution.columnValues[x] - 0.5) < 1e-9)
    }

    /// An out-of-range index that bypasses Swift's validation makes GLPK call glp_error, which would abort
    /// the process; the C guard must turn it into a thrown error. Reaching the later lines proves the
    /// test process survived.
    @Test func glpkFaultBecomesSwiftErrorAndProcessSurvives() throws {
        let doomed = try LinearProgram()
        _ = try doomed.addColumn()
        let error = #expect(throws: SolverError.self) {
            try doomed.setColumnBoundsBypassingValidation(glpkColumn: 99, lower: 0, upper: 1)
        }
        guard case let .glpkFault(message) = error else {
            Issue.record("expected glpkFault, got \(String(describing: error))")
            return
        }
        #expect(message.contains("column number out of range"))

        // The fault freed this thread's GLPK environment: the old problem must refuse to touch freed memory.
        #expect(throws: SolverError.problemInvalidated) { try doomed.solve() }

        // A duplicate (i, j) pair is another fatal GLPK error; it must be caught the same way.
        let second = try LinearProgram()
        _ = try second.addColumn()
        _ = try second.addRow(bounds: .upper(1))
        let duplicate = #expect(throws: SolverError.self) {
            try second.loadMatrixBypassingValidation([(1, 1, 1.0), (1, 1, 2.0)])
        }
        guard case let .glpkFault(duplicateMessage) = duplicate else {
            Issue.record("expected glpkFault, got \(String(describing: duplicate))")
            return
        }
        #expect(duplicateMessage.contains("duplicate"))

        // GLPK works again after the reset.
        let fresh = try LinearProgram(direction: .maximize)
        let x = try fresh.addColumn(bounds: .range(0, 2), objective: 1)
        let solution = try fresh.solve()
        #expect(abs(solution.columnValues[x] - 2) < 1e-9)
    }
}

/// Model export: the files GLPK writes must read back (through glpsol, when installed) to the same optimum.
@Suite("GLPK export")
struct GLPKExportTests {
    private func smallLP() throws -> LinearProgram {
        let lp = try LinearProgram(direction: .maximize)
        let x = try lp.addColumn(bounds: .range(0, 3), objective: 3, name: "x")
        let y = try lp.addColumn(bounds: .lower(0), objective: 2, name: "y")
        let r0 = try lp.addRow(bounds: .upper(4), name: "sum")
        let r1 = try lp.addRow(bounds: .upper(6), name: "weighted")
        try lp.loadMatrix([
            MatrixEntry(row: r0, column: x, value: 1), MatrixEntry(row: r0, column: y, value: 1),
            MatrixEntry(row: r1, column: x, value: 1), MatrixEntry(row: r1, column: y, value: 3),
        ])
        return lp
    }

    /// Writes the small LP as CPLEX LP (m.lp) and free MPS (m.mps) into `directory`.
    private func exportSmallLP(to directory: URL) throws -> (lp: LinearProgram, lpPath: String, mpsPath: String) {
        let lp = try smallLP()
        let lpPath = directory.appendingPathComponent("m.lp").path
        let mpsPath = directory.appendingPathComponent("m.mps").path
        try lp.writeLP(to: lpPath)
        try lp.writeMPS(to: mpsPath)
        return (lp, lpPath, mpsPath)
    }

    @Test func writesLPAndMPSWithTheSameOptimum() throws {
        let directory = try Support.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (lp, lpPath, mpsPath) = try exportSmallLP(to: directory)
        let lpText = try String(contentsOfFile: lpPath, encoding: .utf8)
        #expect(lpText.contains("Maximize"))
        #expect(lpText.contains("weighted"))
        let mpsText = try String(contentsOfFile: mpsPath, encoding: .utf8)
        #expect(mpsText.contains("ROWS"))
        let solution = try lp.solve()
        #expect(abs(solution.objective - 11) < 1e-9)
        // Shadow prices: both rows bind at (3, 1); y's reduced cost 2 − π₀ − 3π₁ is 0 and x's is 3 − π₀ − π₁ ≥ 0.
        #expect(solution.rowDuals.count == 2)
        #expect(abs(2 - solution.rowDuals[0] - 3 * solution.rowDuals[1]) < 1e-9)
    }

    /// The exported files read back through glpsol to the same optimum (skipped without glpsol, failed under CI).
    @Test(.requires(.glpsol)) func glpsolSolvesTheWrittenLPAndMPSToTheSameOptimum() throws {
        let directory = try Support.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (_, lpPath, mpsPath) = try exportSmallLP(to: directory)
        for (flag, path) in [("--lp", lpPath), ("--freemps", mpsPath)] {
            let output = directory.appendingPathComponent("out.txt").path
            let run = try Support.run("glpsol", [flag, path, "--max", "-w", output])
            #expect(run.status == 0)
            let written = try String(contentsOfFile: output, encoding: .utf8)
            // glpsol's -w solution file: a line "s bas ROWS COLS p d OBJ" carries the objective.
            let objective = written.split(separator: "\n").first { $0.hasPrefix("s ") }?.split(separator: " ").last
            #expect(objective.flatMap { Double($0) }.map { abs($0 - 11) < 1e-9 } == true, "\(flag): \(written)")
        }
    }

    @Test func unwritablePathIsASwiftError() throws {
        let lp = try smallLP()
        let error = #expect(throws: SolverError.self) { try lp.writeLP(to: "/nonexistent-dir/x/m.lp") }
        guard case let .exportFailed(path, format, reason)? = error else {
            Issue.record("expected exportFailed, got \(String(describing: error))")
            return
        }
        #expect(path == "/nonexistent-dir/x/m.lp")
        #expect(format == "CPLEX LP")
        #expect(!reason.isEmpty)
        // The problem is still usable after the failed write.
        #expect(abs(try lp.solve().objective - 11) < 1e-9)
    }
}

/// Column generation's needs: a column added to a solved problem, a warm re-solve from the kept basis, and
/// a basis handed over by status.
@Suite("GLPK warm starts")
struct GLPKWarmStartTests {
    /// min x + 2y + 0.5z with x + y + z = 1 (z arrives later): 1 first, 0.5 once z exists; the warm and the
    /// cold re-solve must agree, and so must a problem given the optimal basis by status.
    @Test func addedColumnAndWarmStartMatchAColdSolve() throws {
        let lp = try LinearProgram()
        let x = try lp.addColumn(objective: 1), y = try lp.addColumn(objective: 2)
        let row = try lp.addRow(bounds: .fixed(1))
        try lp.loadMatrix([MatrixEntry(row: row, column: x, value: 1), MatrixEntry(row: row, column: y, value: 1)])
        let first = try lp.solve()
        #expect(abs(first.objective - 1) < 1e-9)
        // The dual of the row prices z: reduced cost 0.5 − π = 0.5 − 1 < 0, so z should join.
        #expect(abs(first.rowDuals[row] - 1) < 1e-9)
        let z = try lp.addColumn(objective: 0.5)
        try lp.setColumnEntries(z, [(row: row, value: 1)])
        let warm = try lp.solve(warmStart: true)
        #expect(abs(warm.objective - 0.5) < 1e-9)
        #expect(abs(warm.columnValues[z] - 1) < 1e-9)
        #expect(try lp.columnStatus(z) == .basic)
        #expect(try lp.rowStatus(row) == .fixed)
        #expect(throws: SolverError.duplicateMatrixEntry(row: row, column: z)) {
            try lp.setColumnEntries(z, [(row: row, value: 1), (row: row, value: 2)])
        }

        let copy = try LinearProgram()
        for cost in [1.0, 2.0, 0.5] { _ = try copy.addColumn(objective: cost) }
        let copyRow = try copy.addRow(bounds: .fixed(1))
        try copy.loadMatrix((0..<3).map { MatrixEntry(row: copyRow, column: $0, value: 1) })
        try copy.setRowStatus(copyRow, .fixed)
        try copy.setColumnStatus(2, .basic)
        let started = try copy.solve(warmStart: true)
        #expect(abs(started.objective - 0.5) < 1e-9)
    }
}
