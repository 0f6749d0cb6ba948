public import InsightStore

/// Queues over the window: hourly usage of every queue on every cluster, with guaranteed and max from each
/// night's plan. (Being built: issue #18's Queues and Allocation pages.)
public struct FleetHistory: Sendable {
    /// Queue-hour series and plans, once loaded.
    public init() {}

    /// Reads the queues' hours in `[from, to)` and the plans of those nights.
    public static func load(from store: InsightStore, from: Int64, to: Int64) throws -> FleetHistory {
        FleetHistory()
    }

    /// For the overview: queues with usage in the newest day, those above guaranteed in it and those at max.
    public var overview: (queues: Int, aboveGuaranteed: Int, atMax: Int) { (0, 0, 0) }

    /// The usage of `queue` (on every cluster it ran) against guaranteed and max over `[from, to)`, for a late
    /// run; nil when the window holds no hour of it.
    public func lateRunSection(id: String, queue: String, from: Int64, to: Int64, linker: DashboardLinker) -> Section? { nil }
}
