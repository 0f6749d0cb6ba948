/// Amounts per resource name in YuniKorn's internal units (vcore in millicores, memory in bytes).
///
/// The comparisons reproduce `pkg/common/resources` so that verdicts match YuniKorn exactly:
/// a type missing from the larger side is unlimited, and sums saturate instead of wrapping.
public struct ResourceVector: Equatable, Sendable {
    /// The amounts by resource name.
    public var amounts: [String: Int64]

    /// A vector with the given amounts.
    public init(_ amounts: [String: Int64] = [:]) { self.amounts = amounts }

    /// True when every amount is 0 (an empty vector is zero).
    public var isZero: Bool { amounts.values.allSatisfy { $0 == 0 } }

    /// At least one amount above 0 and none below (YuniKorn's `StrictlyGreaterThanZero`).
    public var isStrictlyPositive: Bool {
        var positive = false
        for value in amounts.values {
            if value < 0 { return false }
            if value > 0 { positive = true }
        }
        return positive
    }

    /// The resource names of `smaller` that do not fit in `self`, where a name `self` does not
    /// define is unlimited (YuniKorn's `FitInMaxUndef`). Sorted for stable reports.
    public func exceeded(by smaller: ResourceVector) -> [String] {
        smaller.amounts.compactMap { name, value in
            guard let limit = amounts[name] else { return nil }
            return value > max(0, limit) ? name : nil
        }.sorted()
    }

    /// YuniKorn's `FitInMaxUndef`.
    public func fits(_ smaller: ResourceVector) -> Bool {
        for (name, value) in smaller.amounts {
            if let limit = amounts[name], value > max(0, limit) { return false }
        }
        return true
    }

    /// The smaller amount of each name defined on either side (YuniKorn's `ComponentWiseMin`).
    public func componentWiseMin(_ other: ResourceVector) -> ResourceVector {
        var result = amounts
        for (name, value) in other.amounts {
            if let mine = result[name] { result[name] = min(mine, value) } else { result[name] = value }
        }
        return ResourceVector(result)
    }

    /// Adds `other` in place, saturating at the Int64 bounds like YuniKorn's `addVal`.
    public mutating func add(_ other: ResourceVector) {
        for (name, value) in other.amounts {
            let (sum, overflow) = (amounts[name] ?? 0).addingReportingOverflow(value)
            amounts[name] = overflow ? (value > 0 ? Int64.max : Int64.min) : sum
        }
    }

    /// Go's `fmt` rendering of YuniKorn's resource map: `map[memory:10 vcore:1000]`, keys sorted.
    /// It appears verbatim in YuniKorn's error messages.
    public var goDescription: String {
        let body = amounts.keys.sorted(by: goLess).map { "\($0):\(amounts[$0]!)" }.joined(separator: " ")
        return "map[\(body)]"
    }
}

/// Go sorts map keys by bytes when printing; Swift's `<` on String compares Unicode scalars,
/// which agrees for ASCII but not in general.
func goLess(_ left: String, _ right: String) -> Bool {
    left.utf8.lexicographicallyPrecedes(right.utf8)
}
