/// A token ↔ id table that compares tokens byte for byte.
///
/// Swift's `String` hashes and compares by canonical equivalence, so a `[String: Int]` would
/// merge "é" with "e\u{301}" (two different tokens) and pay for normalization on every non-ASCII
/// lookup. This table keeps all tokens' UTF-8 in one buffer and finds them by FNV-1a hash with
/// open addressing. Immutable once built.
struct Vocabulary: Sendable {
    private var bytes: [UInt8] = []
    private var starts: [Int] = []      // per entry: offset in `bytes`
    private var lengths: [Int] = []
    private var entryIDs: [Int32] = []
    private var slots: [Int32]          // entry index + 1; 0 = empty
    private var tokensByID: [String?] = []

    init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: 0, count: size)
    }

    /// The number of distinct tokens.
    var count: Int { entryIDs.count }

    /// One more than the largest id.
    var idLimit: Int { tokensByID.count }

    /// Adds `token` with `id`; a token already present takes the new id (the last one wins, as
    /// with serde's maps).
    mutating func insert(_ token: String, id: Int) {
        var token = token
        token.withUTF8 { utf8 in
            let hash = Self.hash(utf8)
            if let entry = findEntry(utf8, hash: hash) {
                entryIDs[entry] = Int32(id)
            } else {
                if (entryIDs.count + 1) * 2 > slots.count { grow() }
                starts.append(bytes.count)
                lengths.append(utf8.count)
                bytes.append(contentsOf: utf8)
                entryIDs.append(Int32(id))
                place(entry: entryIDs.count - 1, hash: hash)
            }
        }
        if id >= tokensByID.count { tokensByID.append(contentsOf: repeatElement(nil, count: id + 1 - tokensByID.count)) }
        tokensByID[id] = token
    }

    func id(for token: String) -> Int? {
        var token = token
        return token.withUTF8 { id(forUTF8: $0) }
    }

    func id(forUTF8 utf8: UnsafeBufferPointer<UInt8>) -> Int? {
        findEntry(utf8, hash: Self.hash(utf8)).map { Int(entryIDs[$0]) }
    }

    func token(for id: Int) -> String? {
        guard id >= 0, id < tokensByID.count else { return nil }
        return tokensByID[id]
    }

    /// Every (token, id) pair, in insertion order.
    var entries: [(token: String, id: Int)] {
        (0..<entryIDs.count).map { entry in
            (String(decoding: bytes[starts[entry]..<starts[entry] + lengths[entry]], as: UTF8.self), Int(entryIDs[entry]))
        }
    }

    private static func hash(_ utf8: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash ^ (hash >> 29)
    }

    private func findEntry(_ utf8: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int? {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        return bytes.withUnsafeBufferPointer { stored in
            while true {
                let occupant = Int(slots[slot])
                if occupant == 0 { return nil }
                let entry = occupant - 1
                if lengths[entry] == utf8.count {
                    let start = starts[entry]
                    var equal = true
                    for index in 0..<utf8.count where stored[start + index] != utf8[index] {
                        equal = false
                        break
                    }
                    if equal { return entry }
                }
                slot = (slot + 1) & mask
            }
        }
    }

    private mutating func place(entry: Int, hash: UInt64) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(entry + 1)
    }

    private mutating func grow() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        for entry in 0..<entryIDs.count {
            let hash = bytes.withUnsafeBufferPointer {
                Self.hash(UnsafeBufferPointer(rebasing: $0[starts[entry]..<starts[entry] + lengths[entry]]))
            }
            place(entry: entry, hash: hash)
        }
    }
}
