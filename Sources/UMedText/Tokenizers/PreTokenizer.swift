/// A tokenizer.json `pre_tokenizer`: splits normalized text into the words the model sees.
indirect enum PreTokenizer: Sendable {
    case sequence([PreTokenizer])
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme, split: Bool)
    case split(TextPattern, behavior: SplitBehavior, invert: Bool)
    /// `\w+|[^\w\s]+`, dropping the rest.
    case whitespace
    case whitespaceSplit
    case bert
    case punctuation(SplitBehavior)
    case digits(individually: Bool)
    case characterDelimiter(Unicode.Scalar)

    enum PrependScheme: String, Sendable {
        case always, first, never
    }

    static let supportedTypes = ["Sequence", "ByteLevel", "Metaspace", "Split", "Whitespace", "WhitespaceSplit",
                                 "BertPreTokenizer", "Punctuation", "Digits", "CharDelimiterSplit"]

    static func parse(_ node: JSONNode) throws(TextError) -> PreTokenizer {
        let type = try node.typeName()
        switch type {
        case "Sequence":
            var steps: [PreTokenizer] = []
            for step in try node.required("pretokenizers").array() { steps.append(try parse(step)) }
            return .sequence(steps)
        case "ByteLevel":
            return .byteLevel(addPrefixSpace: try node.bool("add_prefix_space", default: true),
                              useRegex: try node.bool("use_regex", default: true))
        case "Metaspace":
            return .metaspace(replacement: try node.scalar("replacement") ?? "\u{2581}",
                              prependScheme: try parsePrependScheme(node),
                              split: try node.bool("split", default: true))
        case "Split":
            return .split(try TextPattern.parse(try node.required("pattern")),
                          behavior: try SplitBehavior.parse(try node.required("behavior")),
                          invert: try node.bool("invert", default: false))
        case "Whitespace": return .whitespace
        case "WhitespaceSplit": return .whitespaceSplit
        case "BertPreTokenizer": return .bert
        case "Punctuation":
            let behavior = try node.member("behavior").map { node throws(TextError) in try SplitBehavior.parse(node) }
            return .punctuation(behavior ?? .isolated)
        case "Digits":
            return .digits(individually: try node.bool("individual_digits", default: false))
        case "CharDelimiterSplit":
            guard let delimiter = try node.scalar("delimiter") else { throw try node.required("delimiter").invalid("missing") }
            return .characterDelimiter(delimiter)
        default:
            throw node.member("type")!.unsupported(type, supported: supportedTypes)
        }
    }

    /// Metaspace's `prepend_scheme`, or the older `add_prefix_space` flag.
    static func parsePrependScheme(_ node: JSONNode) throws(TextError) -> PrependScheme {
        if let schemeNode = node.member("prepend_scheme") {
            let name = try schemeNode.string()
            guard let scheme = PrependScheme(rawValue: name) else {
                throw schemeNode.invalid("unknown prepend_scheme \"\(name)\" (expected always, first or never)")
            }
            return scheme
        }
        return try node.bool("add_prefix_space", default: true) ? .always : .never
    }

    func split(_ pieces: [TextPiece]) -> [TextPiece] {
        if case .sequence(let steps) = self {
            return steps.reduce(pieces) { $1.split($0) }
        }
        var output: [TextPiece] = []
        output.reserveCapacity(pieces.count * 4)
        for piece in pieces { split(piece, into: &output) }
        return output
    }

    private func split(_ piece: TextPiece, into output: inout [TextPiece]) {
        switch self {
        case .sequence:
            output.append(contentsOf: split([piece]))
        case let .byteLevel(addPrefixSpace, useRegex):
            var text = piece.text
            if addPrefixSpace && !piece.continuesPrevious && !text.isEmpty && text.unicodeScalars.first != " " {
                text = " " + text
            }
            guard !text.isEmpty else { return }
            guard useRegex else {
                output.append(TextPiece(text: ByteLevelAlphabet.encode(text.utf8[...]), isAtStart: piece.isAtStart,
                                        continuesPrevious: piece.continuesPrevious))
                return
            }
            let scalarText = ScalarText(text)
            let words = PatternScanner.gpt2.matches(in: scalarText.scalars)
            for part in SplitBehavior.isolated.parts(count: scalarText.count, matches: words) {
                output.append(TextPiece(text: ByteLevelAlphabet.encode(scalarText.bytes(part)),
                                        isAtStart: piece.isAtStart && part.lowerBound == 0,
                                        continuesPrevious: piece.continuesPrevious && part.lowerBound == 0))
            }
        case let .metaspace(replacement, prependScheme, splitWords):
            var scalars = piece.text.unicodeScalars.map { $0 == " " ? replacement : $0 }
            if !scalars.isEmpty && scalars[0] != replacement && !piece.continuesPrevious
                && (prependScheme == .always || (prependScheme == .first && piece.isAtStart)) {
                scalars.insert(replacement, at: 0)
            }
            var replaced = piece
            replaced.text = String(scalars: scalars)
            if splitWords {
                let matches = scalars.indices.filter { scalars[$0] == replacement }.map { $0..<$0 + 1 }
                SplitBehavior.mergedWithNext.split(replaced, text: ScalarText(replaced.text), matches: matches, into: &output)
            } else if !scalars.isEmpty {
                output.append(replaced)
            }
        case let .split(pattern, behavior, invert):
            let text = ScalarText(piece.text)
            behavior.split(piece, text: text, matches: pattern.matches(in: text.scalars), invert: invert, into: &output)
        case .whitespace:
            let text = ScalarText(piece.text)
            SplitBehavior.removed.split(piece, text: text, matches: Self.wordAndSymbolRuns(text.scalars), invert: true,
                                        into: &output)
        case .whitespaceSplit:
            Self.splitEach(piece, where: { $0.isTokenizerWhitespace }, behavior: .removed, into: &output)
        case .bert:
            var words: [TextPiece] = []
            Self.splitEach(piece, where: { $0.isTokenizerWhitespace }, behavior: .removed, into: &words)
            for word in words {
                Self.splitEach(word, where: { $0.isTokenizerPunctuation }, behavior: .isolated, into: &output)
            }
        case .punctuation(let behavior):
            Self.splitEach(piece, where: { $0.isTokenizerPunctuation }, behavior: behavior, into: &output)
        case .digits(let individually):
            Self.splitEach(piece, where: { $0.isNumber }, behavior: individually ? .isolated : .contiguous, into: &output)
        case .characterDelimiter(let delimiter):
            Self.splitEach(piece, where: { $0 == delimiter }, behavior: .removed, into: &output)
        }
    }

    /// Splits where single scalars satisfy `predicate`: each such scalar is its own match.
    private static func splitEach(_ piece: TextPiece, where predicate: (Unicode.Scalar) -> Bool,
                                  behavior: SplitBehavior, into output: inout [TextPiece]) {
        let text = ScalarText(piece.text)
        let matches = text.scalars.indices.filter { predicate(text.scalars[$0]) }.map { $0..<$0 + 1 }
        behavior.split(piece, text: text, matches: matches, into: &output)
    }

    /// The matches of `\w+|[^\w\s]+` (Oniguruma's `\w` and `\s`).
    private static func wordAndSymbolRuns(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar.isTokenizerWhitespace && !scalar.isWordCharacter {
                index += 1
                continue
            }
            let isWord = scalar.isWordCharacter
            let start = index
            while index < scalars.count {
                let next = scalars[index]
                let sameKind = isWord ? next.isWordCharacter : (!next.isWordCharacter && !next.isTokenizerWhitespace)
                if !sameKind { break }
                index += 1
            }
            runs.append(start..<index)
        }
        return runs
    }
}
