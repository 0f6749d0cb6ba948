@testable import Allocation
import Foundation
import Synth
import Testing
import TestSupport

/// `Solver/allocation.mod` run by glpsol must give the allocation the Swift stage LPs give, on the small
/// case committed as `Solver/small.dat` and on random cases. The glpsol tests need glpsol
/// (`.requires(.glpsol)`: skipped without it, failed under CI).
@Suite("MathProg model")
struct MathProgTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let model = repository.appendingPathComponent("Solver/allocation.mod").path
    static let smallData = repository.appendingPathComponent("Solver/small.dat")

    static func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The small case: two clusters, vcore and memory; on moka-a tier 2 is short of memory (shared in
    /// proportion, tier 3 at its floor) and one queue is held up by the change limit; on moka-b a growing
    /// tier-1 queue and a shrinking tier-2 queue force the change limits off (a relaxation).
    static let small = AllocationCase(
        resources: ["vcore", "memory"],
        clusters: [.init(name: "moka-a", usable: ["vcore": 380, "memory": 1520], capacity: ["vcore": 400, "memory": 1600]),
                   .init(name: "moka-b", usable: ["vcore": 190, "memory": 760], capacity: ["vcore": 200, "memory": 800])],
        queues: [
            .init(name: "root.payments.ledger.tier1", cluster: "moka-a", tier: 1, demand: ["vcore": 120, "memory": 480], previous: ["vcore": 110, "memory": 400]),
            .init(name: "root.payments.ledger.tier2", cluster: "moka-a", tier: 2, demand: ["vcore": 150, "memory": 500]),
            .init(name: "root.search.ranking.tier2", cluster: "moka-a", tier: 2, demand: ["vcore": 50, "memory": 300], previous: ["vcore": 80, "memory": 200]),
            .init(name: "root.payments.ledger.tier3", cluster: "moka-a", tier: 3, demand: ["vcore": 200, "memory": 600]),
            .init(name: "root.search.ranking.tier3", cluster: "moka-a", tier: 3, demand: ["vcore": 20, "memory": 900], previous: ["vcore": 10, "memory": 600]),
            .init(name: "root.ml.training.tier1", cluster: "moka-b", tier: 1, demand: ["vcore": 150, "memory": 600], previous: ["vcore": 100, "memory": 500]),
            .init(name: "root.ml.training.tier2", cluster: "moka-b", tier: 2, demand: ["vcore": 10, "memory": 40], previous: ["vcore": 100, "memory": 100]),
            .init(name: "root.ml.training.tier3", cluster: "moka-b", tier: 3, demand: ["vcore": 30, "memory": 100]),
        ],
        maxChangeFraction: 0.3, tier3Floor: 0.1, maxBurst: 3)

    /// Solver/small.dat is exactly what `AllocationCase.mathProgData` renders for the small case (re-record
    /// with BURSAR_RECORD_GOLDEN=1), so the committed file is the one this suite checks.
    @Test func smallDatIsTheRenderedSmallCase() throws {
        let rendered = Self.small.mathProgData()
        if ProcessInfo.processInfo.environment["BURSAR_RECORD_GOLDEN"] == "1" {
            try rendered.write(to: Self.smallData, atomically: true, encoding: .utf8)
        }
        let committed = try String(contentsOf: Self.smallData, encoding: .utf8)
        #expect(committed == rendered, "Solver/small.dat differs; re-record with BURSAR_RECORD_GOLDEN=1 and review the diff")
    }

    @Test(.requires(.glpsol)) func glpsolReproducesTheSmallCase() throws {
        let swift = try Self.small.solve()
        let glpsol = try Self.glpsol(dataFile: Self.smallData.path)
        try Self.compare(swift, glpsol, Self.small)
        // The case exercises what it claims to: a shortfall shared in tier 2, the floor, a relaxation.
        // moka-b vcore: tier 1 grows 100 → 150 and tier 2 may only fall to 70, 220 > 190 usable.
        #expect(glpsol.relaxed == ["moka-b|vcore"])
        // moka-a memory: tier 1 480 + tier-3 minimums 60 + 420 leave 560 for tier 2's 500 + 260 (limited
        // growth): both tier-2 queues get 560/760 of their targets; tier 3 stays at its floor.
        #expect(swift["root.payments.ledger.tier2"]!["memory"]!.binding == .sharedShortfall)
        #expect(abs(swift["root.payments.ledger.tier2"]!["memory"]!.guaranteed - 500 * 560 / 760) < 1e-6)
        #expect(swift["root.payments.ledger.tier3"]!["memory"]!.binding == .tier3Floor)
        // moka-a vcore: ranking tier 2 wants 50 but may only fall from 80 to 56.
        #expect(swift["root.search.ranking.tier2"]!["vcore"]!.binding == .changeLimitShrink)
    }

    static let randomSeeds: ClosedRange<UInt64> = 1...8
    /// The seeds whose random case has more tier-1 demand on a cluster than it can hold: no allocation exists,
    /// and the solver must say so with its tier-1 message. Every other seed must solve and match glpsol.
    /// (Seed 5: tier 1 on cluster b grows to 66.6 vcore, and with the tier-3 floor needs 18.7 more than 93 usable.)
    static let tierOneOverCapacitySeeds: Set<UInt64> = [5]

    /// Random cases, rendered and solved both ways.
    @Test(.requires(.glpsol), arguments: randomSeeds) func glpsolReproducesRandomCases(seed: UInt64) throws {
        let testCase = Self.randomCase(seed: seed)
        if Self.tierOneOverCapacitySeeds.contains(seed) {
            let error = #expect(throws: AllocationInfeasible.self) { try testCase.solve() }
            #expect(error?.description.hasPrefix("tier-1 demand on ") == true, "\(String(describing: error))")
            return
        }
        let swift = try testCase.solve()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-alloc-\(UUID().uuidString).dat")
        defer { try? FileManager.default.removeItem(at: file) }
        try testCase.mathProgData().write(to: file, atomically: true, encoding: .utf8)
        try Self.compare(swift, try Self.glpsol(dataFile: file.path), testCase)
    }

    /// How many random cases reach the comparison with glpsol, counted without glpsol: exactly the seeds not
    /// listed as infeasible, and most of them, so the generator keeps making cases worth comparing.
    @Test func randomCasesAreMostlyFeasible() throws {
        var compared = 0
        for seed in Self.randomSeeds {
            do {
                _ = try Self.randomCase(seed: seed).solve()
                compared += 1
                #expect(!Self.tierOneOverCapacitySeeds.contains(seed), "seed \(seed) solves; it is listed as infeasible")
            } catch let error as AllocationInfeasible where error.description.hasPrefix("tier-1 demand on ") {
                #expect(Self.tierOneOverCapacitySeeds.contains(seed), "seed \(seed): \(error)")
            }
        }
        #expect(compared == Self.randomSeeds.count - Self.tierOneOverCapacitySeeds.count)
        #expect(compared * 4 >= Self.randomSeeds.count * 3, "only \(compared) of \(Self.randomSeeds.count) random cases are feasible")
    }

    /// A random case of 6 to 15 queues on two clusters; tier 1 gets 1.2 × its demand, the rest a random share.
    static func randomCase(seed: UInt64) -> AllocationCase {
        var random = SplitMix64(seed: seed)
        let clusters = ["a", "b"]
        var queues: [AllocationCase.QueueData] = []
        for i in 0..<(6 + Int(random.next() % 10)) {
            var demand: [String: Double] = [:], previous: [String: Double] = [:]
            for resource in ["vcore", "memory"] {
                demand[resource] = (random.next() % 4 == 0) ? 0 : 1 + Double(random.next() % 2000) / 10
                if random.next() % 2 == 0 { previous[resource] = 1 + Double(random.next() % 2000) / 10 }
            }
            queues.append(.init(name: "root.o.p\(i).tier\(1 + i % 3)", cluster: clusters[Int(random.next() % 2)],
                                tier: 1 + i % 3, demand: demand, previous: previous))
        }
        let data = clusters.map { name -> AllocationCase.ClusterData in
            var usable: [String: Double] = [:]
            for resource in ["vcore", "memory"] {
                let tier1 = queues.filter { $0.cluster == name && $0.tier == 1 }.reduce(0) { $0 + ($1.demand[resource] ?? 0) }
                let all = queues.filter { $0.cluster == name }.reduce(0) { $0 + ($1.demand[resource] ?? 0) }
                usable[resource] = (tier1 * 1.2 + (all - tier1) * random.unit()).rounded() + 10
            }
            return .init(name: name, usable: usable, capacity: usable.mapValues { $0 * 1.05 })
        }
        return AllocationCase(resources: ["vcore", "memory"], clusters: data, queues: queues,
                              maxChangeFraction: 0.3, tier3Floor: 0.1, maxBurst: 3)
    }

    struct GlpsolResult {
        var guaranteed: [String: Double] = [:]
        var max: [String: Double] = [:]
        var relaxed: [String] = []
    }

    static func glpsol(dataFile: String) throws -> GlpsolResult {
        let result = try run("glpsol", ["--math", model, "-d", dataFile])
        #expect(result.status == 0, "glpsol failed:\n\(result.output)")
        var parsed = GlpsolResult()
        for line in result.output.split(separator: "\n") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            if fields.first == "alloc", fields.count == 6 {
                parsed.guaranteed["\(fields[1])|\(fields[2])"] = Double(fields[4])
                parsed.max["\(fields[1])|\(fields[2])"] = Double(fields[5])
            } else if fields.first == "relaxed", fields.count == 3 {
                parsed.relaxed.append("\(fields[1])|\(fields[2])")
            }
        }
        return parsed
    }

    static func compare(_ swift: [String: [String: ResourceAllocation]], _ glpsol: GlpsolResult, _ testCase: AllocationCase) throws {
        #expect(glpsol.guaranteed.count == testCase.queues.count * testCase.resources.count)
        for queue in testCase.queues {
            for resource in testCase.resources {
                let key = "\(queue.name)|\(resource)"
                let ours = try #require(swift[queue.name]?[resource])
                let theirs = try #require(glpsol.guaranteed[key], "glpsol printed no value for \(key)")
                #expect(abs(ours.guaranteed - theirs) <= 1e-6 * Swift.max(1, abs(theirs)), "\(key): swift \(ours.guaranteed), glpsol \(theirs)")
                #expect(abs(ours.max - glpsol.max[key]!) <= 1e-6 * Swift.max(1, abs(ours.max)), "\(key) max")
            }
        }
    }
}
