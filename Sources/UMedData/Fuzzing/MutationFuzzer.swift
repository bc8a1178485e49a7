import Foundation

/// A small seeded random number generator (SplitMix64): the same seed gives the same inputs on
/// every machine.
public struct FuzzRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A seeded mutation fuzzer: each input is one of the seed inputs with one to a few mutations —
/// bit flips, byte inserts and deletes, splices with another seed, truncation, and "interesting"
/// values (0, 0xFF, 0x7F, 0x80, boundary integers) written over a field.
public struct MutationFuzzer {
    public enum Mutation: CaseIterable, Sendable {
        case bitFlip, insertByte, deleteBytes, splice, truncate, interestingValue
    }

    static let interestingBytes: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, 0x10, 0x20, 0x40]
    static let interestingWords: [UInt32] = [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFFFF, 0x1_0000, 0x100]

    public let seeds: [[UInt8]]
    public let maxLength: Int
    private var random: FuzzRandom

    /// `seeds` must not be empty; generated inputs never exceed `maxLength` bytes.
    public init(seeds: [[UInt8]], seed: UInt64, maxLength: Int = 1 << 20) {
        precondition(!seeds.isEmpty, "the fuzzer needs at least one seed input")
        self.seeds = seeds
        self.maxLength = maxLength
        self.random = FuzzRandom(seed: seed)
    }

    /// The next mutated input.
    public mutating func next() -> [UInt8] {
        var input = seeds[Int.random(in: 0..<seeds.count, using: &random)]
        let mutations = 1 + Int(random.next() % 4)
        for _ in 0..<mutations {
            apply(Mutation.allCases.randomElement(using: &random)!, to: &input)
        }
        if input.count > maxLength { input.removeLast(input.count - maxLength) }
        return input
    }

    private mutating func position(in input: [UInt8], allowingEnd: Bool = false) -> Int {
        let upper = input.count + (allowingEnd ? 1 : 0)
        return upper == 0 ? 0 : Int.random(in: 0..<upper, using: &random)
    }

    mutating func apply(_ mutation: Mutation, to input: inout [UInt8]) {
        switch mutation {
        case .bitFlip:
            guard !input.isEmpty else { return }
            input[position(in: input)] ^= 1 << UInt8(random.next() % 8)
        case .insertByte:
            let byte = random.next() % 2 == 0 ? Self.interestingBytes.randomElement(using: &random)! : UInt8.random(in: 0...255, using: &random)
            input.insert(byte, at: position(in: input, allowingEnd: true))
        case .deleteBytes:
            guard !input.isEmpty else { return }
            let start = position(in: input)
            let count = min(input.count - start, 1 + Int(random.next() % 16))
            input.removeSubrange(start..<start + count)
        case .splice:
            let other = seeds[Int.random(in: 0..<seeds.count, using: &random)]
            let cut = position(in: input, allowingEnd: true)
            let otherCut = position(in: other, allowingEnd: true)
            input = Array(input[..<cut]) + other[otherCut...]
        case .truncate:
            input.removeSubrange(position(in: input, allowingEnd: true)...)
        case .interestingValue:
            guard !input.isEmpty else { return }
            let start = position(in: input)
            if random.next() % 2 == 0 {
                input[start] = Self.interestingBytes.randomElement(using: &random)!
            } else {
                let word = Self.interestingWords.randomElement(using: &random)!
                for offset in 0..<min(4, input.count - start) {   // big-endian, like PNG and JPEG fields
                    input[start + offset] = UInt8(truncatingIfNeeded: word >> (24 - 8 * offset))
                }
            }
        }
    }
}
