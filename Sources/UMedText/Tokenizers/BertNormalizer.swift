/// BERT's normalizer: drop control characters and map whitespace to spaces (clean_text), put
/// spaces around CJK ideographs (handle_chinese_chars), strip accents (NFD, then drop Mn; by
/// default whenever lowercasing), lowercase.
struct BertNormalizer: Sendable {
    var cleanText: Bool
    var handleChineseCharacters: Bool
    var stripAccents: Bool
    var lowercase: Bool

    init(_ node: JSONNode) throws(TextError) {
        cleanText = try node.bool("clean_text", default: true)
        handleChineseCharacters = try node.bool("handle_chinese_chars", default: true)
        lowercase = try node.bool("lowercase", default: true)
        stripAccents = try node.member("strip_accents")?.bool() ?? lowercase
    }

    func normalize(_ text: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if scalar.value < 0x80 {
                let byte = UInt8(scalar.value)
                if cleanText && (byte < 0x20 || byte == 0x7F) {
                    // Tab, newline and carriage return become spaces; other controls go.
                    if byte == 0x09 || byte == 0x0A || byte == 0x0D { bytes.append(0x20) }
                    continue
                }
                bytes.append(byte)
                continue
            }
            if cleanText {
                if scalar.value == 0xFFFD || scalar.isOtherCategory { continue }
                if scalar.isTokenizerWhitespace {
                    bytes.append(0x20)
                    continue
                }
            }
            let isIdeograph = handleChineseCharacters && Self.isChineseCharacter(scalar)
            if isIdeograph { bytes.append(0x20) }
            bytes.append(contentsOf: UTF8.encode(scalar)!)
            if isIdeograph { bytes.append(0x20) }
        }
        var result = String(decoding: bytes, as: UTF8.self)
        if stripAccents && !Normalizer.isASCII(result) {
            result = Normalizer.stripAccents.normalize(Normalizer.nfd.normalize(result))
        }
        if lowercase {
            result = Normalizer.lowercased(result)
        }
        return result
    }

    /// The CJK Unified Ideographs blocks BERT treats as words of their own.
    static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
