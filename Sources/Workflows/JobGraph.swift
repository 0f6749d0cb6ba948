/// A workflow's jobs as a directed acyclic graph over their positions in `Workflow.jobs`.
public struct JobGraph: Sendable, Equatable {
    /// For each job, the jobs it depends on (indices), in the order written.
    public let upstream: [[Int]]
    /// For each job, the jobs that depend on it.
    public let downstream: [[Int]]
    /// Every job once, each after all it depends on (ties in file order).
    public let order: [Int]

    /// What stops a set of dependencies from being a DAG.
    public enum Problem: Sendable, Equatable {
        /// `job` depends on `dependency`, which is not a job of the workflow.
        case unknownDependency(job: Int, dependency: String)
        /// `job` lists itself.
        case selfDependency(job: Int)
        /// `job` lists `dependency` more than once.
        case repeatedDependency(job: Int, dependency: String)
        /// The jobs of a cycle, in dependency order, starting and ending with the same job.
        case cycle([Int])
    }

    /// The graph of `names` (unique) and their `dependsOn` lists, or the problems found (all of them; at most
    /// one cycle per strongly connected group of jobs).
    public static func build(names: [String], dependsOn: [[String]]) -> Result<JobGraph, ProblemList> {
        var index: [String: Int] = [:]
        index.reserveCapacity(names.count)
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        return build(count: names.count, dependsOn: dependsOn, index: index)
    }

    /// `build(names:dependsOn:)` with each name's first position already known (the reader has it from its
    /// check for repeated names).
    static func build(count: Int, dependsOn: [[String]], index: [String: Int]) -> Result<JobGraph, ProblemList> {
        var problems: [Problem] = []
        var upstream = Array(repeating: [Int](), count: count)
        var downstream = Array(repeating: [Int](), count: count)
        for (job, dependencies) in dependsOn.enumerated() {
            for dependency in dependencies {
                guard let target = index[dependency] else {
                    problems.append(.unknownDependency(job: job, dependency: dependency))
                    continue
                }
                if target == job {
                    problems.append(.selfDependency(job: job))
                    continue
                }
                // A job lists a few dependencies: a scan of those kept so far beats hashing them.
                guard !upstream[job].contains(target) else {
                    problems.append(.repeatedDependency(job: job, dependency: dependency))
                    continue
                }
                upstream[job].append(target)
                downstream[target].append(job)
            }
        }
        // Kahn's algorithm in file order; what is left over lies on or behind a cycle.
        var waiting = upstream.map(\.count)
        var ready = Heap()
        for job in 0..<count where waiting[job] == 0 { ready.push(job) }
        var order: [Int] = []
        order.reserveCapacity(count)
        while let job = ready.pop() {
            order.append(job)
            for next in downstream[job] {
                waiting[next] -= 1
                if waiting[next] == 0 { ready.push(next) }
            }
        }
        if order.count < count {
            problems += cycles(upstream: upstream, among: Set((0..<count).filter { waiting[$0] > 0 })).map { .cycle($0) }
        }
        guard problems.isEmpty else { return .failure(ProblemList(problems: problems)) }
        return .success(JobGraph(upstream: upstream, downstream: downstream, order: order))
    }

    /// The problems `build` found.
    public struct ProblemList: Error, Sendable, Equatable {
        public var problems: [Problem]
    }

    /// One cycle through each strongly connected group of `candidates` (Tarjan's algorithm, iterative so a
    /// long chain cannot overflow the stack), each as a path that returns to its first job.
    static func cycles(upstream: [[Int]], among candidates: Set<Int>) -> [[Int]] {
        var indexOf: [Int: Int] = [:]
        var lowLink: [Int: Int] = [:]
        var onStack: Set<Int> = []
        var stack: [Int] = []
        var counter = 0
        var components: [[Int]] = []
        for start in candidates.sorted() where indexOf[start] == nil {
            var work: [(node: Int, next: Int)] = [(start, 0)]
            indexOf[start] = counter; lowLink[start] = counter; counter += 1
            stack.append(start); onStack.insert(start)
            while var frame = work.popLast() {
                let edges = upstream[frame.node].filter { candidates.contains($0) }
                if frame.next < edges.count {
                    let target = edges[frame.next]
                    frame.next += 1
                    work.append(frame)
                    if indexOf[target] == nil {
                        indexOf[target] = counter; lowLink[target] = counter; counter += 1
                        stack.append(target); onStack.insert(target)
                        work.append((target, 0))
                    } else if onStack.contains(target) {
                        lowLink[frame.node] = min(lowLink[frame.node]!, indexOf[target]!)
                    }
                    continue
                }
                if let parent = work.last {
                    lowLink[parent.node] = min(lowLink[parent.node]!, lowLink[frame.node]!)
                }
                if lowLink[frame.node] == indexOf[frame.node] {
                    var component: [Int] = []
                    while let top = stack.popLast() {
                        onStack.remove(top)
                        component.append(top)
                        if top == frame.node { break }
                    }
                    if component.count > 1 { components.append(component) }
                }
            }
        }
        // In each group, walk from its first job along dependencies inside the group until a job repeats.
        return components.map { component in
            let members = Set(component)
            var path = [component.min()!]
            var position: [Int: Int] = [path[0]: 0]
            while true {
                let next = upstream[path.last!].filter { members.contains($0) }.min()!
                if let seen = position[next] { return Array(path[seen...]) + [next] }
                position[next] = path.count
                path.append(next)
            }
        }.sorted { $0[0] < $1[0] }
    }

    /// The longest chain of `seconds` through the graph (each job's runtime; missing ones count 0): the least
    /// time a run can take with unlimited slots.
    public func criticalPath(seconds: [Double]) -> (seconds: Double, jobs: [Int]) {
        var finish = Array(repeating: 0.0, count: upstream.count)
        var via = Array(repeating: -1, count: upstream.count)
        for job in order {
            var start = 0.0
            for dependency in upstream[job] where via[job] < 0 || finish[dependency] > start {
                start = finish[dependency]
                via[job] = dependency
            }
            finish[job] = start + (job < seconds.count ? seconds[job] : 0)
        }
        guard let last = finish.indices.max(by: { finish[$0] < finish[$1] }) else { return (0, []) }
        var path = [last]
        while via[path.last!] >= 0 { path.append(via[path.last!]) }
        return (finish[last], path.reversed())
    }
}

/// A min-heap of job indices, so ties in Kahn's order go in file order.
private struct Heap {
    private var items: [Int] = []
    mutating func push(_ item: Int) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }
    mutating func pop() -> Int? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count, items[left] < items[smallest] { smallest = left }
            if right < items.count, items[right] < items[smallest] { smallest = right }
            guard smallest != parent else { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
