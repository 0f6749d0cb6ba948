import Platform
import Allocation
import Foundation
import InsightStore
import NightlyPlan
import Testing
import TestSupport

/// Which plan a night is measured against: the archive's newest earlier night, else the baseline kept with the
/// night, else the files; unreadable ones are errors naming what to fix.
@Suite("Previous plan of a night")
struct PreviousPlanTests {
    let night = PlanNight("2025-11-20")!

    func archive(_ store: InsightStore, night: String, id: String, vcore: String, baseline: [String: String]? = nil) throws {
        try store.commitPlan(ArchivedPlan(night: night, planID: id, plannedAt: 1, windowStart: 0, windowEnd: 1,
                                          previousSource: "none", configs: ["a": queuesYAML(vcore: vcore)], baseline: baseline),
                             routing: [])
    }

    let ledger = LeafQueue(path: "root.payments.ledger.tier1")!

    @Test(arguments: Backend.available)
    func emptyArchiveReadsTheBaselineFiles(_ backend: Backend) throws {
        let folder = try scratchFolder()
        let store = try backend.freshStore(in: folder)
        let out = folder.appendingPathComponent("Queues").path
        try write(queuesYAML(vcore: "12"), "\(out)/a/queues.yaml")
        let choice = try PreviousPlanSource.resolve(night: night, clusters: ["a", "b"], out: out, store: store, ignore: false)
        #expect(choice.previous == .baseline(clusters: ["a"]))
        #expect(choice.plan.cluster[ledger] == "a")
        #expect(choice.plan.guaranteed[ledger]?["vcore"] == 12)
        #expect(choice.baseline == ["a": queuesYAML(vcore: "12")])
        #expect(choice.notes == ["\(out)/b/queues.yaml does not exist: b has no previous plan (a new cluster)"])
    }

    /// A rerun of a night uses the baseline archived by its first run, not the files it wrote since; the next
    /// night uses the night's plan; a night before every archived one uses the earliest baseline.
    @Test(arguments: Backend.available)
    func archivedNightsAndBaselines(_ backend: Backend) throws {
        let folder = try scratchFolder()
        let store = try backend.freshStore(in: folder)
        let out = folder.appendingPathComponent("Queues").path
        try write(queuesYAML(vcore: "12"), "\(out)/a/queues.yaml")
        let first = try PreviousPlanSource.resolve(night: night, clusters: ["a"], out: out, store: store, ignore: false)
        try archive(store, night: "2025-11-20", id: "p1", vcore: "30", baseline: first.baseline)
        try write(queuesYAML(vcore: "30"), "\(out)/a/queues.yaml")

        let rerun = try PreviousPlanSource.resolve(night: night, clusters: ["a"], out: out, store: store, ignore: false)
        #expect(rerun.previous == .baseline(clusters: ["a"]))
        #expect(rerun.plan == first.plan)
        #expect(rerun.baseline == first.baseline)

        // Replacing the night's plan without a baseline keeps the one it had.
        try archive(store, night: "2025-11-20", id: "p2", vcore: "31")
        #expect(try store.archivedPlan(night: "2025-11-20")?.baseline == ["a": queuesYAML(vcore: "12")])
        #expect(try store.isPlanCommitted("p1") && store.isPlanCommitted("p2"))

        let next = try PreviousPlanSource.resolve(night: PlanNight("2025-11-21")!, clusters: ["a"], out: out, store: store, ignore: false)
        #expect(next.previous == .night(night))
        #expect(next.plan.guaranteed[ledger]?["vcore"] == 31)
        #expect(next.baseline == nil)

        let earlier = try PreviousPlanSource.resolve(night: PlanNight("2025-11-18")!, clusters: ["a"], out: out, store: store, ignore: false)
        #expect(earlier.previous == .baseline(clusters: ["a"]))
        #expect(earlier.plan.guaranteed[ledger]?["vcore"] == 12)

        let ignored = try PreviousPlanSource.resolve(night: PlanNight("2025-11-21")!, clusters: ["a"], out: out, store: store, ignore: true)
        #expect(ignored.previous == .ignored)
        #expect(ignored.plan == PreviousPlan())
    }

    /// A night first planned with no files at all keeps "none" for its reruns, though files exist by then.
    @Test func noBaselineStaysNone() throws {
        let folder = try scratchFolder()
        let store = try Backend.sqlite.freshStore(in: folder)
        let out = folder.appendingPathComponent("Queues").path
        let first = try PreviousPlanSource.resolve(night: night, clusters: ["a"], out: out, store: store, ignore: false)
        #expect(first.previous == .none)
        #expect(first.baseline == [:])
        try archive(store, night: "2025-11-20", id: "p1", vcore: "30", baseline: first.baseline)
        try write(queuesYAML(vcore: "30"), "\(out)/a/queues.yaml")
        let rerun = try PreviousPlanSource.resolve(night: night, clusters: ["a"], out: out, store: store, ignore: false)
        #expect(rerun.previous == .none)
        #expect(rerun.plan == PreviousPlan())
    }

    struct Unreadable: CustomTestStringConvertible, Sendable {
        var name: String
        var make: @Sendable (String) throws -> Void
        var reason: String
        var testDescription: String { name }
    }

    static let unreadable: [Unreadable] = [
        Unreadable(name: "a folder", make: { try FileManager.default.createDirectory(atPath: $0, withIntermediateDirectories: true) },
                   reason: "is a folder, not a file"),
        Unreadable(name: "invalid UTF-8", make: { try Data([0x70, 0x61, 0xFF, 0xFE, 0x3A, 0x0A]).write(to: URL(fileURLWithPath: $0)) },
                   reason: "is not UTF-8 text"),
        Unreadable(name: "garbage YAML", make: { try Data("partitions: [[[\n".utf8).write(to: URL(fileURLWithPath: $0)) },
                   reason: "cannot be read as the previous plan"),
        Unreadable(name: "not a queue configuration", make: { try Data("clusters:\n  - name: a\n".utf8).write(to: URL(fileURLWithPath: $0)) },
                   reason: "cannot be read as the previous plan"),
    ]

    @Test(arguments: unreadable)
    func unreadableBaselineIsAnErrorNamingTheFile(_ file: Unreadable) throws {
        let folder = try scratchFolder()
        let store = try Backend.sqlite.freshStore(in: folder)
        let out = folder.appendingPathComponent("Queues").path
        try FileManager.default.createDirectory(atPath: "\(out)/a", withIntermediateDirectories: true)
        try file.make("\(out)/a/queues.yaml")
        try write(queuesYAML(vcore: "12"), "\(out)/b/queues.yaml")
        #expect {
            _ = try PreviousPlanSource.resolve(night: night, clusters: ["a", "b"], out: out, store: store, ignore: false)
        } throws: { error in
            guard let error = error as? PreviousPlanError, error.problems.count == 1 else { return false }
            let problem = error.problems[0]
            return problem.hasPrefix("\(out)/a/queues.yaml: ") && problem.contains(file.reason)
                && problem.contains("fix it, remove it") && problem.contains("--ignore-previous")
        }
        // --ignore-previous does not read it.
        #expect(try PreviousPlanSource.resolve(night: night, clusters: ["a", "b"], out: out, store: store, ignore: true).previous == .ignored)
    }

    @Test(arguments: Backend.available)
    func undecodableArchivedNightNamesNightAndCluster(_ backend: Backend) throws {
        let folder = try scratchFolder()
        let store = try backend.freshStore(in: folder)
        try store.commitPlan(ArchivedPlan(night: "2025-11-19", planID: "p0", plannedAt: 1, windowStart: 0, windowEnd: 1,
                                          previousSource: "none", configs: ["moka-b": "partitions: {{{"]), routing: [])
        #expect {
            _ = try PreviousPlanSource.resolve(night: night, clusters: ["moka-b"], out: folder.path, store: store, ignore: false)
        } throws: { error in
            "\(error)".hasPrefix("night 2025-11-19's archived plan, cluster moka-b: the archived queues.yaml does not decode")
        }
    }
}

/// Nights: UTC dates, their windows.
struct PlanNightTests {
    @Test func parsesPrintsAndWindows() throws {
        let night = try #require(PlanNight("2025-11-20"))
        #expect(night.description == "2025-11-20")
        #expect(night.start == 1_763_596_800_000)
        #expect(night.end == 1_763_683_200_000)
        #expect(night.window(days: 14).start == 1_763_683_200_000 - 14 * 86_400_000)
        #expect(PlanNight(containing: night.end - 1) == night)
        #expect(PlanNight(containing: night.end).description == "2025-11-21")
        #expect(PlanNight("2024-02-29")?.description == "2024-02-29")
        #expect(PlanNight("1970-01-01")?.day == 0)
        #expect(PlanNight("2000-03-01")!.day - PlanNight("2000-02-28")!.day == 2)
        for bad in ["2025-02-29", "2025-13-01", "2025-11-31", "2025-1-20", "20251120", "2025-11-20T00:00", "", "abcd-ef-gh", "1969-12-31"] {
            #expect(PlanNight(bad) == nil, "\(bad)")
        }
        // Every day of four centuries prints back to itself.
        for day in stride(from: Int64(0), to: 146_097 * 2, by: 1) {
            let text = PlanNight(day: day).description
            guard PlanNight(text)?.day == day else {
                Issue.record("day \(day) prints as \(text)")
                break
            }
        }
    }
}
