/// GPT-2's reversible map between bytes and printable characters: the printable Latin-1 bytes
/// ('!'…'~', '¡'…'¬', '®'…'ÿ') stand for themselves, the other 68 bytes for U+0100, U+0101, … in
/// byte order. Byte-level BPE vocabularies are written in these characters ("Ġ" is the space).
enum ByteLevelAlphabet {
    /// The character standing for each byte.
    static let scalarForByte: [Unicode.Scalar] = {
        var scalars = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                scalars[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                scalars[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return scalars
    }()

    /// The byte each alphabet character stands for, indexed by scalar value; -1 outside the alphabet.
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (byte, scalar) in scalarForByte.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    /// The UTF-8 spelling of each byte's character (one or two bytes).
    private static let utf8ForByte: [[UInt8]] = scalarForByte.map { Array(String(Character($0)).utf8) }

    /// The alphabet spelling of UTF-8 bytes.
    static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var spelled: [UInt8] = []
        spelled.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes { spelled.append(contentsOf: utf8ForByte[Int(byte)]) }
        return String(decoding: spelled, as: UTF8.self)
    }

    static func encode(_ text: String) -> String {
        encode(text.utf8)
    }

    /// The bytes an alphabet token stands for, or nil when a character is outside the alphabet.
    static func decode(_ token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            guard scalar.value < 324 else { return nil }
            let byte = byteForScalar[Int(scalar.value)]
            guard byte >= 0 else { return nil }
            bytes.append(UInt8(byte))
        }
        return bytes
    }
}
