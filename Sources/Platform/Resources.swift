import QueueConfig

/// The units the allocator works in, one per resource, chosen so LP coefficients stay within a few orders
/// of magnitude: `vcore` in cores, `memory` in GiB, anything else (e.g. `nvidia.com/gpu`) in its own unit.
/// YuniKorn counts `vcore` in millicores and `memory` in bytes; `scale` converts.
public enum ResourceUnits {
    /// The GPU resource name Kubernetes uses; a project that used it needs a cluster labelled `gpu`.
    public static let gpu = "nvidia.com/gpu"
    /// The label a cluster must carry to take GPU work.
    public static let gpuLabel = "gpu"

    /// YuniKorn's internal units per model unit.
    public static func scale(_ resource: String) -> Double {
        switch resource {
        case Quantity.vcore: 1000
        case "memory": Double(1 << 30)
        default: 1
        }
    }

    /// How the model unit is written in reports.
    public static func unitName(_ resource: String) -> String {
        switch resource {
        case Quantity.vcore: "vcore"
        case "memory": "GiB"
        default: resource
        }
    }

    /// The granule an emitted quantity is rounded down to, in internal units: a millicore, a MiB, one unit.
    static func granule(_ resource: String) -> Int64 {
        resource == "memory" ? 1 << 20 : 1
    }

    /// A model amount in YuniKorn's internal units, rounded down to the granule (so sums of rounded leaves
    /// never exceed what the model allocated).
    public static func internalAmount(_ value: Double, resource: String) -> Int64 {
        guard value.isFinite, value > 0 else { return 0 }
        // Round down, except that solver noise just below a whole unit (49999.9999999 for 50000) is noise.
        let exact = value * scale(resource)
        let nearest = exact.rounded()
        let raw = abs(exact - nearest) <= 1e-9 * Swift.max(1, exact) ? nearest : exact.rounded(.down)
        let clamped = raw >= Double(Int64.max) ? Int64.max : Int64(raw)
        let granule = granule(resource)
        return clamped / granule * granule
    }

    /// An internal amount as the quantity text written to `queues.yaml`: vcore in cores or millicores,
    /// memory in the largest exact binary unit (at least Mi), others as integers.
    public static func quantityText(_ amount: Int64, resource: String) -> String {
        Quantity.describe(amount, resource: resource)
    }

    /// A model amount for reports: `1,234.5 vcore`, `812 GiB`, `3 nvidia.com/gpu`.
    public static func describe(_ value: Double, resource: String) -> String {
        let rounded = abs(value) >= 100 ? (value).rounded() : (value * 10).rounded() / 10
        return "\(formatNumber(rounded)) \(unitName(resource))"
    }

    /// A number with thousands separators and at most one decimal.
    public static func formatNumber(_ value: Double) -> String {
        let negative = value < 0
        let magnitude = abs(value)
        let whole = Int64(magnitude.rounded(.down))
        let tenth = Int64(((magnitude - Double(whole)) * 10).rounded())
        var digits = String(whole + (tenth == 10 ? 1 : 0))
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        grouped = digits + grouped
        let fraction = (tenth == 0 || tenth == 10) ? "" : ".\(tenth)"
        return (negative ? "-" : "") + grouped + fraction
    }

    /// Resources in a stable order: vcore, memory, then the rest alphabetically.
    public static func sorted<S: Sequence<String>>(_ names: S) -> [String] {
        func rank(_ name: String) -> Int { name == Quantity.vcore ? 0 : name == "memory" ? 1 : 2 }
        return Set(names).sorted { (rank($0), $0) < (rank($1), $1) }
    }
}

/// A leaf queue of the org-based scheme, `root.<org>.<project>.tier<N>`: the unit that is placed on one
/// cluster and sized.
public struct LeafQueue: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var org: String
    public var project: String
    public var tier: Int

    public init(org: String, project: String, tier: Int) {
        self.org = org
        self.project = project
        self.tier = tier
    }

    /// Reads `root.<org>.<project>.tier<N>` with N in 1...3; anything else is not a sized queue.
    public init?(path: String) {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "root", !parts[1].isEmpty, !parts[2].isEmpty,
              parts[1] != "onboarding", parts[3].hasPrefix("tier"),
              let tier = Int(parts[3].dropFirst(4)), (1...3).contains(tier), parts[3] == "tier\(tier)" else {
            return nil
        }
        self.init(org: String(parts[1]), project: String(parts[2]), tier: tier)
    }

    /// The full queue path.
    public var path: String { "root.\(org).\(project).tier\(tier)" }
    public var description: String { path }

    public static func < (lhs: LeafQueue, rhs: LeafQueue) -> Bool {
        (lhs.org, lhs.project, lhs.tier) < (rhs.org, rhs.project, rhs.tier)
    }
}
