/// Which ready jobs go out now, when there are more than the dispatch budget allows: the scheduler's second
/// decision, pure so every replica (and the what-if simulator) orders alike.
///
/// Tier 1 first; within a tier, scheduled work before backfills; then the run closest to its deadline (the
/// deadline-aware dispatch Airflow lacks: it orders by priority weight and then by when a task became ready);
/// then, among runs with the same deadline, turns: each run's first job before any run's second, counting the
/// jobs it already has in flight (so a wave of runs due at one tick all start, instead of the first runs taking
/// every slot while the rest wait for their first job); then the earlier tick, then the job's place in its
/// workflow's order. A flood of tier-3 or backfill work therefore never delays a ready tier-1 job: the tier-1 job
/// sorts ahead of all of it and takes the next slot.
public enum DispatchOrder {
    /// A job whose dependencies are met, waiting for a slot.
    public struct Candidate: Sendable, Equatable {
        public var runID: String
        public var job: String
        public var tier: Int
        /// Backfills share a pool of their own so they never crowd out scheduled runs.
        public var isBackfill: Bool
        /// The run's deadline, epoch ms.
        public var deadline: Int64
        public var scheduledAt: Int64
        /// The job's position in its workflow's topological order.
        public var position: Int
        /// The YuniKorn queue its work lands in (`root.<org>.<project>.tier<N>`), for the per-queue limit.
        public var queue: String
        /// How many of its run's jobs are in flight now (the run's turns already taken).
        public var runInFlight: Int

        public init(runID: String, job: String, tier: Int, isBackfill: Bool, deadline: Int64, scheduledAt: Int64, position: Int, queue: String,
                    runInFlight: Int = 0) {
            self.runID = runID
            self.job = job
            self.tier = tier
            self.isBackfill = isBackfill
            self.deadline = deadline
            self.scheduledAt = scheduledAt
            self.position = position
            self.queue = queue
            self.runInFlight = runInFlight
        }
    }

    /// How many jobs may be in flight (submitted and not yet ended).
    public struct Limits: Sendable, Equatable {
        /// Across everything the scheduler runs.
        public var global: Int
        /// In any one queue.
        public var perQueue: Int
        /// For all backfill runs together (inside `global`).
        public var backfill: Int

        public init(global: Int, perQueue: Int, backfill: Int) {
            self.global = global
            self.perQueue = perQueue
            self.backfill = backfill
        }
    }

    /// What is in flight now.
    public struct InFlight: Sendable, Equatable {
        public var total: Int
        public var backfill: Int
        public var byQueue: [String: Int]

        public init(total: Int = 0, backfill: Int = 0, byQueue: [String: Int] = [:]) {
            self.total = total
            self.backfill = backfill
            self.byQueue = byQueue
        }
    }

    /// Whether `a` goes before `b`, each with its turn in its run (see `ordered`).
    public static func precedes(_ a: Candidate, turn turnA: Int, _ b: Candidate, turn turnB: Int) -> Bool {
        if a.tier != b.tier { return a.tier < b.tier }
        if a.isBackfill != b.isBackfill { return !a.isBackfill }
        if a.deadline != b.deadline { return a.deadline < b.deadline }
        if turnA != turnB { return turnA < turnB }
        if a.scheduledAt != b.scheduledAt { return a.scheduledAt < b.scheduledAt }
        if a.runID != b.runID { return a.runID < b.runID }
        return a.position < b.position
    }

    /// `candidates` in dispatch order. A candidate's turn is its run's jobs in flight plus the run's candidates
    /// before it in workflow order.
    public static func ordered(_ candidates: [Candidate]) -> [Candidate] {
        var byRun: [String: [Int]] = [:]
        for (index, candidate) in candidates.enumerated() { byRun[candidate.runID, default: []].append(index) }
        var turns = [Int](repeating: 0, count: candidates.count)
        for indices in byRun.values {
            for (rank, index) in indices.sorted(by: { candidates[$0].position < candidates[$1].position }).enumerated() {
                turns[index] = candidates[index].runInFlight + rank
            }
        }
        return candidates.indices.sorted { precedes(candidates[$0], turn: turns[$0], candidates[$1], turn: turns[$1]) }.map { candidates[$0] }
    }

    /// The candidates to dispatch now, in order, and those a limit holds back (with the limit's name), given
    /// what is in flight. A candidate held by its queue's limit does not block the ones behind it.
    public static func select(_ candidates: [Candidate], limits: Limits, inFlight: InFlight)
        -> (dispatch: [Candidate], held: [(candidate: Candidate, limit: String)]) {
        var flight = inFlight
        var dispatch: [Candidate] = []
        var held: [(Candidate, String)] = []
        for candidate in ordered(candidates) {
            if flight.total >= limits.global {
                held.append((candidate, "global"))
                continue
            }
            if candidate.isBackfill && flight.backfill >= limits.backfill {
                held.append((candidate, "backfill"))
                continue
            }
            if flight.byQueue[candidate.queue, default: 0] >= limits.perQueue {
                held.append((candidate, "queue"))
                continue
            }
            dispatch.append(candidate)
            flight.total += 1
            if candidate.isBackfill { flight.backfill += 1 }
            flight.byQueue[candidate.queue, default: 0] += 1
        }
        return (dispatch, held)
    }
}

extension DispatchOrder {
    /// For ready jobs all waiting at once (a wave of runs due at one tick), how many dispatches each run's first
    /// job comes at in dispatch order (its own included), ascending. The k-th value is the least number of
    /// dispatches the router and the clusters must take before k runs have started, whatever the dispatch rate:
    /// the benchmark's bound on TSD2 (tick → a run's first job running).
    public static func firstJobRanks(_ candidates: [Candidate]) -> [Int] {
        var first: [String: Int] = [:]
        for (index, candidate) in ordered(candidates).enumerated() where first[candidate.runID] == nil {
            first[candidate.runID] = index + 1
        }
        return first.values.sorted()
    }
}
