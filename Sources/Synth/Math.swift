#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The libm functions the generator needs, in one place so the rest stays free of platform imports.
enum Math {
    @inline(__always) static func log(_ x: Double) -> Double { libmLog(x) }
    @inline(__always) static func exp(_ x: Double) -> Double { libmExp(x) }
    @inline(__always) static func cos(_ x: Double) -> Double { libmCos(x) }
}

// Module-level shims: inside `enum Math` the names log/exp/cos would refer to the members themselves.
@inline(__always) private func libmLog(_ x: Double) -> Double { log(x) }
@inline(__always) private func libmExp(_ x: Double) -> Double { exp(x) }
@inline(__always) private func libmCos(_ x: Double) -> Double { cos(x) }
