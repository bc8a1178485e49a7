import Foundation

/// A tokenizer.json `normalizer`: rewrites text before pre-tokenization.
indirect enum Normalizer: Sendable {
    case sequence([Normalizer])
    case bert(BertNormalizer)
    case nfc, nfd, nfkc, nfkd
    case lowercase
    case strip(left: Bool, right: Bool)
    case stripAccents
    case replace(TextPattern, content: String)
    case prepend(String)
    case byteLevel

    static let supportedTypes = ["Sequence", "BertNormalizer", "NFC", "NFD", "NFKC", "NFKD", "Lowercase",
                                 "Strip", "StripAccents", "Replace", "Prepend", "ByteLevel"]

    static func parse(_ node: JSONNode) throws(TextError) -> Normalizer {
        let type = try node.typeName()
        switch type {
        case "Sequence":
            var steps: [Normalizer] = []
            for step in try node.required("normalizers").array() { steps.append(try parse(step)) }
            return .sequence(steps)
        case "BertNormalizer":
            return .bert(try BertNormalizer(node))
        case "NFC": return .nfc
        case "NFD": return .nfd
        case "NFKC": return .nfkc
        case "NFKD": return .nfkd
        case "Lowercase": return .lowercase
        case "Strip":
            return .strip(left: try node.bool("strip_left", default: true), right: try node.bool("strip_right", default: true))
        case "StripAccents": return .stripAccents
        case "Replace":
            return .replace(try TextPattern.parse(try node.required("pattern")), content: try node.required("content").string())
        case "Prepend":
            return .prepend(try node.required("prepend").string())
        case "ByteLevel":
            return .byteLevel
        default:
            throw node.member("type")!.unsupported(type, supported: supportedTypes)
        }
    }

    /// `atPieceStart` is false for text continuing a previous segment (`Tokenizer.encode(segments:)`):
    /// Prepend and the left side of Strip then leave it alone.
    func normalize(_ text: String, atPieceStart: Bool = true) -> String {
        switch self {
        case .sequence(let steps):
            return steps.reduce(text) { $1.normalize($0, atPieceStart: atPieceStart) }
        case .bert(let bert):
            return bert.normalize(text)
        case .nfc: return Self.isNFCInert(text) ? text : text.precomposedStringWithCanonicalMapping
        case .nfd: return Self.isASCII(text) ? text : text.decomposedStringWithCanonicalMapping
        case .nfkc: return Self.isASCII(text) ? text : text.precomposedStringWithCompatibilityMapping
        case .nfkd: return Self.isASCII(text) ? text : text.decomposedStringWithCompatibilityMapping
        case .lowercase:
            return Self.lowercased(text)
        case let .strip(left, right):
            return Self.strippingWhitespace(text, left: left && atPieceStart, right: right)
        case .stripAccents:
            if Self.isASCII(text) { return text }
            return String(scalars: text.unicodeScalars.filter { !$0.isNonspacingMark })
        case let .replace(pattern, content):
            return pattern.replacingMatches(in: text, with: content)
        case .prepend(let prefix):
            return text.isEmpty || !atPieceStart ? text : prefix + text
        case .byteLevel:
            return ByteLevelAlphabet.encode(text)
        }
    }

    static func isASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 < 0x80 }
    }

    /// Whether NFC leaves `text` unchanged because every scalar is in a range whose characters
    /// are all NFC_Quick_Check=Yes and compose with nothing that follows: below U+0300 (where
    /// combining marks begin), CJK ideographs, Hangul syllables, kana, emoji. Anything else goes to
    /// Foundation's normalization.
    static func isNFCInert(_ text: String) -> Bool {
        if isASCII(text) { return true }
        return text.unicodeScalars.allSatisfy { scalar in
            switch scalar.value {
            case ..<0x300, 0x3041...0x3096, 0x30A1...0x30FA, 0x4E00...0x9FFF, 0xAC00...0xD7A3, 0x1F300...0x1FAFF: return true
            default: return false
            }
        }
    }

    /// Each scalar's full lowercase mapping, without context (Rust's `char::to_lowercase`).
    static func lowercased(_ text: String) -> String {
        if isASCII(text) { return text.lowercased() }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if scalar.value < 0x80 {
                let byte = UInt8(scalar.value)
                bytes.append(byte >= 0x41 && byte <= 0x5A ? byte + 32 : byte)
            } else if scalar.properties.changesWhenLowercased {
                bytes.append(contentsOf: scalar.properties.lowercaseMapping.utf8)
            } else {
                bytes.append(contentsOf: UTF8.encode(scalar)!)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func strippingWhitespace(_ text: String, left: Bool, right: Bool) -> String {
        let scalars = Array(text.unicodeScalars)
        var lower = 0
        var upper = scalars.count
        if left { while lower < upper, scalars[lower].isTokenizerWhitespace { lower += 1 } }
        if right { while upper > lower, scalars[upper - 1].isTokenizerWhitespace { upper -= 1 } }
        if lower == 0 && upper == scalars.count { return text }
        return String(scalars: scalars[lower..<upper])
    }
}
