@testable import Allocation
import Foundation
import Synth
import Testing
import TestSupport

/// The models GLPK solved, exported and solved again by HiGHS (Benchmarks/highs_check.py): the allocation
/// must equal HiGHS's optimum to 1e-6; the placement's bound must be a real bound and its reported gap an
/// honest one. Needs python3 with highspy (`.requires(.highspy)`: skipped without it, failed under CI).
@Suite("HiGHS cross-check")
struct HiGHSCrossCheckTests {
    @Test(.requires(.highspy), arguments: [(UInt64(3), 90, 3), (UInt64(11), 150, 4)])
    func exportedModelsAgreeWithHiGHS(seed: UInt64, queues: Int, clusters: Int) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-highs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Load 1.05: some blocks are short, so allocation LPs are really solved (blocks that fit need none).
        let platform = SyntheticPlatform(queues: queues, clusters: clusters, seed: seed, load: 1.05)
        let plan = try Planner.plan(clusters: platform.clusters, policy: platform.policy, demands: platform.demands,
                                    previous: platform.previous, exportDirectory: directory.path, fullModelFallback: false)
        try AllocationReport.modelsManifest(plan).write(to: directory.appendingPathComponent("models.json"), atomically: true, encoding: .utf8)
        let lps = plan.models.filter { $0.file?.hasPrefix("alloc-") == true }
        #expect(!lps.isEmpty, "the case should make the allocation solve LPs")
        let script = MathProgTests.repository.appendingPathComponent("Benchmarks/highs_check.py").path
        let result = try MathProgTests.run("python3", [script, directory.path, "--mip-gap", "1e-4", "--time-limit", "30"])
        let report = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        let failures = report?["failures"] as? [String] ?? ["no report: \(result.output)"]
        // Allocation failures are ours to fix; the placement's distance to optimal is checked below against the
        // gap the plan itself reports (small cases have coarse queues and may miss the 0.5% target).
        #expect(failures.filter { !$0.hasPrefix("placement: Bursar's objective") }.isEmpty, "\(failures)")
        let allocation = report?["allocation"] as? [String: Any]
        #expect(allocation?["lps"] as? Int == lps.count)
        #expect((allocation?["worst_value_difference"] as? Double).map { $0 <= 1e-6 } == true)
        // The bound Bursar proved is never above a placement HiGHS found.
        let placement = report?["placement"] as? [String: Any]
        let highsObjective = try #require(placement?["highs_objective"] as? Double)
        #expect(plan.placement.lowerBound <= highsObjective * (1 + 1e-6) + 1e-9)
        // The reported gap is an upper bound on the real one: HiGHS's solution is no better than it allows.
        #expect((plan.placement.objective - highsObjective) / plan.placement.objective <= plan.placement.gap + 1e-6)
    }
}
