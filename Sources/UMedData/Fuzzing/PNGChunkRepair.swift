import Foundation

/// Rewrites the CRC of every complete PNG chunk so mutated headers and chunk fields reach the
/// decoder's deeper checks instead of all stopping at the checksum.
enum PNGChunkRepair {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    /// The CRC-32 (ISO-HDLC, as in PNG and zlib) of `bytes`.
    static func crc32<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UInt32 {
        ~bytes.reduce(~UInt32(0)) { table[Int(($0 ^ UInt32($1)) & 0xFF)] ^ ($0 >> 8) }
    }

    /// `input` with each chunk's CRC recomputed (chunks after the 8-byte signature, while they fit).
    static func repaired(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        var offset = 8
        while offset + 12 <= bytes.count {
            let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let crcOffset = offset + 8 + length
            guard crcOffset + 4 <= bytes.count else { break }
            let crc = crc32(bytes[(offset + 4)..<crcOffset])
            for index in 0..<4 { bytes[crcOffset + index] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * index)) }
            offset = crcOffset + 4
        }
        return bytes
    }
}
