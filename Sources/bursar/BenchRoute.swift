import ArgumentParser
import Dispatch
import Foundation
import Routing

/// `bursar bench route`: the routing decision alone, in process.
struct BenchRoute: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Time the router's decision (rules, splits, fallbacks, routing table, onboarding) on a generated snapshot."
    )

    @Option(help: "Routing rules in the snapshot.")
    var rules = 200

    @Option(help: "Projects in the routing table (each with 3 tiers).")
    var projects = 10_000

    @Option(help: "Decisions to time.")
    var decisions = 1_000_000

    @Option(help: "Runs; the best is reported.")
    var runs = 3

    func run() throws {
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; one thread")
        var best: RouterBenchmark.Report?
        for _ in 0..<max(1, runs) {
            let report = RouterBenchmark.run(rules: rules, projects: projects, decisions: decisions) {
                DispatchTime.now().uptimeNanoseconds
            }
            if best == nil || report.decisionsPerSecond > best!.decisionsPerSecond { best = report }
        }
        print(best!.description)
    }
}
