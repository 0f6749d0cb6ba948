import Foundation
import Testing

/// `bursar synth` → `bursar ingest` → `bursar slo report`, checked against the truth synth writes
/// (manifest.json): every count the ingester prints and the SLO totals must equal what was generated.
struct SynthIngestTests {
    let cli = ValidateCommandTests()

    @Test func ingestCountsAndSLOTotalsEqualTheGeneratedTruth() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-synth-\(UUID().uuidString)")
        let store = "sqlite:" + folder.path + "-store.sqlite"
        let synth = try cli.run(["synth", folder.path, "--days", "10", "--apps-per-day", "200", "--seed", "7",
                                 "--malformed-ratio", "0.01", "--duplicate-ratio", "0.01", "--gzip"])
        #expect(synth.status == 0, "\(synth.stderr)")
        let manifest = try JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("manifest.json"))) as? [String: Any] ?? [:]

        let ingest = try cli.run(["ingest", folder.appendingPathComponent("logs").path,
                                  folder.appendingPathComponent("yarn").path,
                                  "--mappings", folder.appendingPathComponent("mappings").path,
                                  "--store", store, "--format", "json"])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let counts = try JSONSerialization.jsonObject(with: Data(ingest.stdout.utf8)) as? [String: Any] ?? [:]
        let summaryLines = manifest["summary_lines"] as? Int ?? -1
        #expect(counts["lines"] as? Int == manifest["lines"] as? Int)
        #expect(counts["summaries"] as? Int == summaryLines)
        #expect(counts["duplicates"] as? Int == manifest["duplicate_lines"] as? Int)
        #expect(counts["rejects"] as? Int == manifest["malformed_lines"] as? Int)
        #expect(counts["skipped"] as? Int == manifest["noise_lines"] as? Int)
        #expect(counts["unattributed"] as? Int == manifest["unattributed_apps"] as? Int)
        #expect(counts["new_apps"] as? Int == manifest["apps"] as? Int)
        #expect((counts["rejects"] as? Int ?? 0) > 0)

        let report = try cli.run(["slo", "report", "--store", store, "--format", "json"])
        #expect(report.status == 0, "\(report.stderr)")
        let slo = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any] ?? [:]
        let totals = slo["totals"] as? [String: Any] ?? [:]
        let met = (manifest["runs_met_by_tier"] as? [Int] ?? []).reduce(0, +)
        let missed = (manifest["runs_missed_by_tier"] as? [Int] ?? []).reduce(0, +)
        #expect(totals["runs"] as? Int == met + missed)
        #expect(totals["runs_met"] as? Int == met)
        let worst = (slo["worst_offenders"] as? [[String: Any]] ?? []).compactMap { $0["workflow"] as? String }
        for late in manifest["late_workflows"] as? [String] ?? [] {
            #expect(worst.contains(late), "chronically late \(late) is not among the worst offenders \(worst)")
        }

        // Ingesting the same folders again reads nothing new and changes nothing.
        let again = try cli.run(["ingest", folder.appendingPathComponent("logs").path,
                                 folder.appendingPathComponent("yarn").path, "--store", store, "--format", "json"])
        let second = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(second["summaries"] as? Int == 0)
        #expect(second["unchanged_files"] as? Int == counts["files"] as? Int)
    }
}
