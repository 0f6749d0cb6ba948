import Foundation

/// SplitMix64 (Steele, Lea, Flood 2014): turns one seed into well-mixed 64-bit words. It seeds the xoshiro
/// streams (so that nearby seeds and stream numbers still give unrelated sequences), and is the small
/// deterministic generator of the generated platforms, queue trees and the tests' random cases.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }
    public init(seed: UInt64) { state = seed }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// exp(σ·N(0,1)) by Box–Muller.
    public mutating func logNormal(sigma: Double) -> Double {
        let u = max(unit(), 1e-12), v = unit()
        return Foundation.exp(sigma * (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v))
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256** (Blackman, Vigna): the generator behind every random choice of Synth.
/// Every helper below is written out here rather than taken from the standard library
/// (`Int.random(in:using:)` and friends), whose algorithms may change between toolchains: the same seed
/// must give the same bytes on any Swift version. Public for tests that need a seeded, stable stream
/// (the ingest fuzz test).
public struct SynthRandom {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// An independent stream for `seed` and a stream label (a day, a cluster, a purpose).
    public init(seed: UInt64, stream: UInt64...) {
        var mixer = SplitMix64(state: seed)
        var key = mixer.next()
        for label in stream {
            var step = SplitMix64(state: key ^ (label &* 0xD1B5_4A32_D192_ED03))
            key = step.next()
        }
        var filler = SplitMix64(state: key)
        s0 = filler.next(); s1 = filler.next(); s2 = filler.next(); s3 = filler.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    @inline(__always) public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always) public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in the range (Lemire's multiply-high; the tiny bias does not matter here, determinism does).
    @inline(__always) public mutating func int(_ range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) &+ 1
        if span == 0 { return Int(bitPattern: UInt(next())) }
        return range.lowerBound + Int(next().multipliedFullWidth(by: span).high)
    }

    @inline(__always) mutating func int64(_ range: ClosedRange<Int64>) -> Int64 {
        let span = UInt64(range.upperBound - range.lowerBound) &+ 1
        return range.lowerBound + Int64(next().multipliedFullWidth(by: span).high)
    }

    @inline(__always) public mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }

    public mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    /// Standard normal by Box–Muller (one of the pair; simplicity over speed).
    mutating func normal() -> Double {
        let u1 = max(unit(), 0x1p-60)
        let u2 = unit()
        return (-2 * Math.log(u1)).squareRoot() * Math.cos(2 * Double.pi * u2)
    }

    /// Lognormal with the given median: runtimes, sizes and waits are skewed like this in practice.
    mutating func logNormal(median: Double, sigma: Double) -> Double { median * Math.exp(sigma * normal()) }

    /// Picks an index by weight.
    mutating func weighted(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var x = unit() * total
        for (index, weight) in weights.enumerated() {
            if x < weight { return index }
            x -= weight
        }
        return weights.count - 1
    }

    mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for index in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(index, int(0...index))
        }
    }
}
