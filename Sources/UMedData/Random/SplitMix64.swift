import Foundation

/// SplitMix64 (Steele, Lea and Flood 2014): a small, fast generator whose output depends only on
/// its seed, so seeded data (phantoms, template phrasing, splits) is identical on every platform
/// and every libtorch version. Not for cryptography.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for item `index` of a seeded stream: independent of how many items come before.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: SplitMix64.mix(seed ^ SplitMix64.mix(stream &+ 0x632B_E59B_D9B4_E019)))
    }

    /// A generator keyed by a string (e.g. a record id), independent of file order.
    public init(seed: UInt64, key: String) {
        self.init(seed: seed, stream: SplitMix64.hash(key))
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// The SplitMix64 finalizer: a bijective 64-bit mix.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// FNV-1a over the UTF-8 bytes, then mixed: a stable string hash (Swift's `Hasher` is seeded
    /// per process, so it cannot be used for anything written to disk).
    public static func hash(_ text: String) -> UInt64 {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01B3
        }
        return mix(value)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }

    /// Uniform integer in 0..<count (count > 0), without modulo bias worth noticing for small counts.
    public mutating func index(_ count: Int) -> Int {
        precondition(count > 0, "index needs a positive count")
        return Int((next() >> 11) % UInt64(count))
    }

    /// True with probability `probability`.
    public mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    /// One element of a non-empty array.
    public mutating func pick<Element>(_ elements: [Element]) -> Element { elements[index(elements.count)] }

    /// Approximately standard normal: the Irwin–Hall sum of four uniforms, rescaled (no libm, so
    /// the value is bit-identical everywhere; tails end at ±3.46, which suits image noise).
    public mutating func normal() -> Double {
        (unit() + unit() + unit() + unit() - 2) * 1.7320508075688772
    }
}
