import Foundation
import QueueConfig
import Synchronization

/// How much headroom a cluster's `root.onboarding` queue has left for a new project: its guaranteed vcore minus
/// what its configured children already hold, from the cluster's `queues.yaml`. New projects go where this is
/// largest. A cluster without the file or the queue has none.
enum OnboardingHeadroom {
    /// Free onboarding vcore (cores) in a queue configuration text.
    static func vcore(in text: String) -> Double {
        let result = Validator.validate(text: text)
        guard let config = result.config else { return 0 }
        for partition in config.partitions {
            for root in partition.queues ?? [] where root.name.lowercased() == "root" {
                guard let onboarding = root.queues.first(where: { $0.name == "onboarding" }) else { continue }
                let own = milli(onboarding.resources.guaranteed)
                let children = onboarding.queues.reduce(Int64(0)) { $0 + milli($1.resources.guaranteed) }
                return Double(max(0, own - children)) / 1000
            }
        }
        return 0
    }

    private static func milli(_ map: QuantityMap?) -> Int64 {
        guard let text = map?.first(where: { $0.name == Quantity.vcore })?.quantity,
              case let .success(value) = Quantity.parse(text, resource: Quantity.vcore) else { return 0 }
        return value
    }
}

/// Each cluster's onboarding headroom, from its `queues.yaml`. The snapshot is reloaded every few seconds but
/// the files change once a night, so a file is read and validated again only when its size or modification
/// time changed.
final class OnboardingHeadroomCache: Sendable {
    private struct Seen: Sendable {
        var size: Int
        var modified: Date
        var vcore: Double
    }

    private let seen = Mutex<[String: Seen]>([:])

    /// Free onboarding vcore for each named cluster, from `<queuesDirectory>/<cluster>/queues.yaml`.
    func read(_ clusters: [String], queuesDirectory: URL) -> [String: Double] {
        var headroom: [String: Double] = [:]
        for cluster in clusters {
            let path = queuesDirectory.appendingPathComponent(cluster).appendingPathComponent("queues.yaml").path
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let size = (attributes[.size] as? NSNumber)?.intValue, let modified = attributes[.modificationDate] as? Date else {
                headroom[cluster] = 0
                continue
            }
            if let known = seen.withLock({ $0[path] }), known.size == size, known.modified == modified {
                headroom[cluster] = known.vcore
                continue
            }
            let vcore = (try? String(contentsOfFile: path, encoding: .utf8)).map(OnboardingHeadroom.vcore(in:)) ?? 0
            seen.withLock { $0[path] = Seen(size: size, modified: modified, vcore: vcore) }
            headroom[cluster] = vcore
        }
        return headroom
    }
}
