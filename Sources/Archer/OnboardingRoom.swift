import QueueConfig

/// How much room a cluster's `root.onboarding` queue has left for a new project: its guaranteed vcore minus
/// what its configured children already hold, from the cluster's `queues.yaml`. New projects go where this is
/// largest. A cluster without the file or the queue has no room.
enum OnboardingRoom {
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
