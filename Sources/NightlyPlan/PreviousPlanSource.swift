import Parallel
public import Allocation
public import InsightStore
import Foundation
import QueueConfig

/// The previous plan a night is measured against, where it came from, and what to archive with the night.
public struct PreviousPlanChoice: Sendable {
    public var plan: PreviousPlan
    public var previous: PlanContext.Previous
    /// The baseline to archive with the night (per cluster the `queues.yaml` text; empty: no file existed), nil
    /// when none was used.
    public var baseline: [String: String]?
    /// Lines for standard error: clusters without a previous plan, which archived baseline was used.
    public var notes: [String]
}

/// Why the previous plan could not be read: every problem, each naming the file or the archived night and
/// cluster, and what to do. Never a silent change of policy: the run stops (exit 2).
public struct PreviousPlanError: Error, Sendable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}

/// Finds the previous plan of a night:
/// 1. `--ignore-previous`: none;
/// 2. the newest night archived before it;
/// 3. the baseline archived with the night itself, by its first run (so a rerun is measured against the same
///    files, not against its own output);
/// 4. when the archive holds only this night or later ones (the files under `--out` are their output, not
///    what came before this night): the baseline archived with the earliest night that kept one, else none;
/// 5. an empty archive: the baseline files `<out>/<cluster>/queues.yaml` (hand-written, or from before the
///    archive). A missing file is a cluster without a previous plan; one that exists but cannot be read or
///    decoded is an error.
public enum PreviousPlanSource {
    public static func resolve(night: PlanNight, clusters: [String], out: String, store: InsightStore,
                               ignore: Bool) throws -> PreviousPlanChoice {
        if ignore { return PreviousPlanChoice(plan: PreviousPlan(), previous: .ignored, baseline: nil, notes: []) }

        if let earlier = try store.newestArchivedPlan(before: night.description) {
            guard let earlierNight = PlanNight(earlier.night) else {
                throw PreviousPlanError(problems: ["the archive holds a night named \"\(earlier.night)\", which is not a YYYY-MM-DD date; pass --ignore-previous to plan without it"])
            }
            let plan = try decodeArchived(earlier.configs, what: "night \(earlier.night)'s archived plan")
            return PreviousPlanChoice(plan: plan, previous: .night(earlierNight), baseline: nil, notes: [])
        }
        if let own = try store.archivedPlan(night: night.description), let kept = own.baseline {
            let plan = try decodeArchived(kept, what: "the baseline archived with night \(night)")
            return PreviousPlanChoice(plan: plan, previous: previous(kept), baseline: kept,
                                      notes: ["previous plan: the baseline archived with night \(night) by its first run"
                                              + (kept.isEmpty ? " (no files existed then)" : "")])
        }
        if let first = try store.archivedNights().first {
            if let source = try store.earliestArchivedBaseline(), let kept = source.baseline {
                let plan = try decodeArchived(kept, what: "the baseline archived with night \(source.night)")
                return PreviousPlanChoice(plan: plan, previous: previous(kept), baseline: kept,
                                          notes: ["the archive starts at night \(first) and has no night before \(night): previous plan: the baseline archived with night \(source.night)"])
            }
            return PreviousPlanChoice(plan: PreviousPlan(), previous: .none, baseline: [:],
                                      notes: ["the archive starts at night \(first), has no night before \(night) and kept no baseline: no previous plan"])
        }

        var texts: [String: String] = [:]
        var configs: [(cluster: String, config: SchedulerConfig)] = []
        var problems: [String] = []
        var notes: [String] = []
        for cluster in clusters.sorted() {
            let path = "\(out)/\(cluster)/queues.yaml"
            switch readBaseline(path) {
            case .missing:
                notes.append("\(path) does not exist: \(cluster) has no previous plan (a new cluster)")
            case let .unreadable(reason):
                problems.append("\(path): \(reason); fix it, remove it (\(cluster) is then planned as a new cluster), or pass --ignore-previous to plan without any previous plan")
            case let .text(text):
                switch decode(text) {
                case let .success(config):
                    texts[cluster] = text
                    configs.append((cluster, config))
                case let .failure(reason):
                    problems.append("\(path): cannot be read as the previous plan: \(reason); fix it, remove it (\(cluster) is then planned as a new cluster), or pass --ignore-previous to plan without any previous plan")
                }
            }
        }
        guard problems.isEmpty else { throw PreviousPlanError(problems: problems) }
        return PreviousPlanChoice(plan: PreviousPlan.from(configs: configs), previous: previous(texts), baseline: texts, notes: notes)
    }

    static func previous(_ baseline: [String: String]) -> PlanContext.Previous {
        baseline.isEmpty ? .none : .baseline(clusters: baseline.keys.sorted())
    }

    /// Rebuilds a plan from archived texts; a text that no longer decodes names the night and cluster.
    static func decodeArchived(_ texts: [String: String], what: String) throws -> PreviousPlan {
        var configs: [(cluster: String, config: SchedulerConfig)] = []
        var problems: [String] = []
        // Clusters decode independently: in parallel (a 6,000-queue plan is a few tens of milliseconds each).
        let clusters = texts.keys.sorted()
        let decoded = Concurrent.map(clusters) { decode(texts[$0]!) }
        for (cluster, result) in zip(clusters, decoded) {
            switch result {
            case let .success(config): configs.append((cluster, config))
            case let .failure(reason):
                problems.append("\(what), cluster \(cluster): the archived queues.yaml does not decode as a queue configuration (\(reason)); pass --ignore-previous to plan without a previous plan")
            }
        }
        guard problems.isEmpty else { throw PreviousPlanError(problems: problems) }
        return PreviousPlan.from(configs: configs)
    }

    /// A queue configuration as YuniKorn would load it: decoded strictly, with no error.
    static func decode(_ text: String) -> Result<SchedulerConfig, DecodeFailure> {
        let decoded = StrictDecoder.decode(text)
        if let problem = decoded.problems.first(where: { $0.severity == .error }) {
            return .failure(DecodeFailure(description: (problem.location.map { "line \($0.line): " } ?? "") + problem.message))
        }
        guard let config = decoded.config else { return .failure(DecodeFailure(description: "not a queue configuration")) }
        return .success(config)
    }

    struct DecodeFailure: Error, CustomStringConvertible {
        var description: String
    }

    enum Baseline {
        case missing
        case unreadable(String)
        case text(String)
    }

    /// Reads a baseline file: nothing there is `missing`; a folder, a file that cannot be opened or read, or
    /// bytes that are not UTF-8 are `unreadable`, with why.
    static func readBaseline(_ path: String) -> Baseline {
        var info = stat()
        if lstat(path, &info) != 0 {
            return errno == ENOENT ? .missing : .unreadable("cannot be read (\(String(cString: strerror(errno))))")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .unreadable("cannot be opened (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        guard fstat(fd, &info) == 0 else { return .unreadable("cannot be read (\(String(cString: strerror(errno))))") }
        if (info.st_mode & S_IFMT) == S_IFDIR { return .unreadable("is a folder, not a file") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .unreadable("cannot be read (\(String(cString: strerror(errno))))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return .unreadable("is not UTF-8 text") }
        return .text(text)
    }
}
