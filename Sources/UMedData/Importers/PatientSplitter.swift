import Foundation

/// A deterministic patient-level split for sources without an official one: a patient's split
/// depends only on the seed and the patient id (64-bit FNV-1a of "seed:patient" through the
/// SplitMix64 finalizer; its top 53 bits make a fraction in [0, 1)), so it is stable across runs,
/// machines and platforms, and every image of a patient lands in the same split.
public struct PatientSplitter: Equatable, Sendable {
    public var seed: UInt64
    public var trainFraction: Double
    public var valFraction: Double

    /// Fractions for train and val; test gets the rest (default 0.8 / 0.1 / 0.1).
    public init(seed: UInt64 = 0, trainFraction: Double = 0.8, valFraction: Double = 0.1) {
        precondition(trainFraction >= 0 && valFraction >= 0 && trainFraction + valFraction <= 1,
                     "split fractions must be non-negative and sum to at most 1")
        self.seed = seed
        self.trainFraction = trainFraction
        self.valFraction = valFraction
    }

    public func split(forPatient patient: String) -> Split {
        let position = Self.unitHash("\(seed):\(patient)")
        if position < trainFraction { return .train }
        if position < trainFraction + valFraction { return .val }
        return .test
    }

    /// FNV-1a (64-bit) of the UTF-8 bytes, then SplitMix64's finalizer (FNV's high bits alone
    /// are poorly mixed for short, similar ids), mapped to [0, 1).
    static func unitHash(_ text: String) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        hash = (hash ^ (hash >> 30)) &* 0xbf58_476d_1ce4_e5b9
        hash = (hash ^ (hash >> 27)) &* 0x94d0_49bb_1331_11eb
        hash ^= hash >> 31
        return Double(hash >> 11) / Double(UInt64(1) << 53)
    }
}
