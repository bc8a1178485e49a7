/// A tokenizer.json `decoder`: turns token strings back into text. Each step maps a list of
/// strings to a list of strings (the tokenizers library's `decode_chain`); the result is joined.
indirect enum TokenDecoder: Sendable {
    case sequence([TokenDecoder])
    /// Byte-level alphabet back to bytes, then UTF-8 with invalid sequences replaced by U+FFFD.
    case byteLevel
    case metaspace(replacement: Unicode.Scalar, prependScheme: PreTokenizer.PrependScheme)
    case wordPiece(prefix: String, cleanup: Bool)
    case bpe(suffix: String)
    case replace(TextPattern, content: String)
    /// Runs of `<0xNN>` tokens back to UTF-8 (one U+FFFD per byte when invalid).
    case byteFallback
    case fuse
    case strip(content: Unicode.Scalar, start: Int, stop: Int)

    static let supportedTypes = ["Sequence", "ByteLevel", "Metaspace", "WordPiece", "BPEDecoder", "Replace",
                                 "ByteFallback", "Fuse", "Strip"]

    static func parse(_ node: JSONNode) throws(TextError) -> TokenDecoder {
        let type = try node.typeName()
        switch type {
        case "Sequence":
            var steps: [TokenDecoder] = []
            for step in try node.required("decoders").array() { steps.append(try parse(step)) }
            return .sequence(steps)
        case "ByteLevel": return .byteLevel
        case "Metaspace":
            return .metaspace(replacement: try node.scalar("replacement") ?? "\u{2581}",
                              prependScheme: try PreTokenizer.parsePrependScheme(node))
        case "WordPiece":
            return .wordPiece(prefix: try node.string("prefix") ?? "##", cleanup: try node.bool("cleanup", default: true))
        case "BPEDecoder":
            return .bpe(suffix: try node.string("suffix") ?? "</w>")
        case "Replace":
            return .replace(try TextPattern.parse(try node.required("pattern")), content: try node.required("content").string())
        case "ByteFallback": return .byteFallback
        case "Fuse": return .fuse
        case "Strip":
            return .strip(content: try node.scalar("content") ?? " ",
                          start: try node.int("start") ?? 0, stop: try node.int("stop") ?? 0)
        default:
            throw node.member("type")!.unsupported(type, supported: supportedTypes)
        }
    }

    func decode(_ tokens: [String]) -> String {
        decodeChain(tokens).joined()
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        switch self {
        case .sequence(let steps):
            return steps.reduce(tokens) { $1.decodeChain($0) }
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens {
                bytes.append(contentsOf: ByteLevelAlphabet.decode(token) ?? Array(token.utf8))
            }
            return [String(decoding: bytes, as: UTF8.self)]
        case let .metaspace(replacement, prependScheme):
            return tokens.enumerated().map { index, token in
                var scalars = String.UnicodeScalarView()
                for scalar in token.unicodeScalars {
                    if scalar != replacement {
                        scalars.append(scalar)
                    } else if index != 0 || prependScheme == .never {
                        scalars.append(" ")
                    }
                }
                return String(scalars)
            }
        case let .wordPiece(prefix, cleanup):
            return tokens.enumerated().map { index, token in
                var text = token
                if index != 0 {
                    if text.utf8.starts(with: prefix.utf8) {
                        text = String(decoding: text.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
                    } else {
                        text = " " + text
                    }
                }
                return cleanup ? Self.cleanedUp(text) : text
            }
        case .bpe(let suffix):
            let pattern = TextPattern.literal(Array(suffix.unicodeScalars))
            return tokens.enumerated().map { index, token in
                pattern.replacingMatches(in: token, with: index == tokens.count - 1 ? "" : " ")
            }
        case let .replace(pattern, content):
            return tokens.map { pattern.replacingMatches(in: $0, with: content) }
        case .byteFallback:
            return Self.decodingByteTokens(tokens)
        case .fuse:
            return [tokens.joined()]
        case let .strip(content, start, stop):
            return tokens.map { token in
                let scalars = Array(token.unicodeScalars)
                var lower = 0
                while lower < min(start, scalars.count), scalars[lower] == content { lower += 1 }
                var upper = scalars.count
                while scalars.count - upper < stop, upper > lower, scalars[upper - 1] == content { upper -= 1 }
                return String(scalars: scalars[lower..<upper])
            }
        }
    }

    /// BERT's clean-up of spaces before punctuation and contractions.
    private static let cleanupReplacements: [(TextPattern, String)] = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ].map { (TextPattern.literal(Array($0.0.unicodeScalars)), $0.1) }

    private static func cleanedUp(_ text: String) -> String {
        cleanupReplacements.reduce(text) { $1.0.replacingMatches(in: $0, with: $1.1) }
    }

    private static func byteValue(ofByteToken token: String) -> UInt8? {
        let utf8 = Array(token.utf8)
        guard utf8.count == 6, utf8.starts(with: Array("<0x".utf8)), utf8[5] == UInt8(ascii: ">") else { return nil }
        return UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16)
    }

    private static func decodingByteTokens(_ tokens: [String]) -> [String] {
        var output: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if let text = UTF8Scalars.validString(pending) {
                output.append(text)
            } else {
                output.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for token in tokens {
            if let byte = byteValue(ofByteToken: token) {
                pending.append(byte)
            } else {
                flush()
                output.append(token)
            }
        }
        flush()
        return output
    }
}

extension UTF8Scalars {
    /// The text of `bytes` when they are valid UTF-8, else nil.
    static func validString(_ bytes: [UInt8]) -> String? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var scalars = String.UnicodeScalarView()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .emptyInput: return String(scalars)
            case .error: return nil
            }
        }
    }
}
