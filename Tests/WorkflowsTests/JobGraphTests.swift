import Testing
@testable import Workflows

@Suite("Jobs as a DAG")
struct JobGraphTests {
    func build(_ jobs: [(String, [String])]) -> Result<JobGraph, JobGraph.ProblemList> {
        JobGraph.build(names: jobs.map(\.0), dependsOn: jobs.map(\.1))
    }

    @Test func orderPutsEachJobAfterItsDependenciesTiesInFileOrder() throws {
        let graph = try build([("load", ["extract"]), ("extract", []), ("report", ["load", "audit"]), ("audit", [])]).get()
        #expect(graph.order == [1, 0, 3, 2])
        #expect(graph.upstream[2] == [0, 3])
        #expect(graph.downstream[1] == [0])
    }

    @Test func aCycleIsNamedInDependencyOrder() {
        guard case .failure(let list) = build([("a", ["c"]), ("b", ["a"]), ("c", ["b"]), ("d", [])]) else {
            Issue.record("a cycle was accepted")
            return
        }
        // a depends on c, c on b, b on a.
        #expect(list.problems == [.cycle([0, 2, 1, 0])])
    }

    @Test func everyProblemIsReportedAtOnce() {
        guard case .failure(let list) = build([("a", ["a"]), ("b", ["ghost", "a", "a"]), ("c", ["d"]), ("d", ["c"])]) else {
            Issue.record("accepted")
            return
        }
        #expect(list.problems.contains(.selfDependency(job: 0)))
        #expect(list.problems.contains(.unknownDependency(job: 1, dependency: "ghost")))
        #expect(list.problems.contains(.repeatedDependency(job: 1, dependency: "a")))
        #expect(list.problems.contains(.cycle([2, 3, 2])))
    }

    @Test func aLongChainNeitherOverflowsNorIsCalledACycle() throws {
        let count = 50_000
        let jobs = (0..<count).map { ("j\($0)", $0 == 0 ? [] : ["j\($0 - 1)"]) }
        let graph = try build(jobs).get()
        #expect(graph.order.count == count)
        var cyclic = jobs
        cyclic[0].1 = ["j\(count - 1)"]
        guard case .failure(let list) = build(cyclic), case .cycle(let cycle) = list.problems.first else {
            Issue.record("a 50,000-job cycle was not found")
            return
        }
        #expect(cycle.count == count + 1)
    }

    @Test func theCriticalPathIsTheLongestChainOfRuntimes() throws {
        // extract(10) → {fast(5), slow(30)} → report(1)
        let graph = try build([("extract", []), ("fast", ["extract"]), ("slow", ["extract"]), ("report", ["fast", "slow"])]).get()
        let path = graph.criticalPath(seconds: [10, 5, 30, 1])
        #expect(path.seconds == 41)
        #expect(path.jobs == [0, 2, 3])
    }
}
