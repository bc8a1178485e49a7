/// One entry of tokenizer.json's `added_tokens`.
public struct AddedToken: Sendable, Equatable {
    public var id: Int
    public var content: String
    /// Special tokens are dropped by `decode(_:skipSpecialTokens: true)`.
    public var isSpecial: Bool
    /// Matches only when not inside a word (no alphanumeric character on either side).
    public var isSingleWord: Bool
    /// Takes the whitespace before it (lstrip) or after it (rstrip) into the token.
    public var stripsLeft: Bool
    public var stripsRight: Bool
    /// Matched on normalized text (true) or on the original text (false).
    public var isNormalized: Bool
}

/// The added tokens and how they are cut out of text before the model sees it: tokens matched on
/// the original text first, then the rest is normalized and tokens matched on normalized text
/// are cut out of it. Matching is leftmost-longest, as the tokenizers library does it.
struct AddedVocabulary: Sendable {
    let tokens: [AddedToken]
    private let contentByID: [Int: String]
    let specialIDs: Set<Int>
    private let idByContent: Vocabulary
    private let rawMatcher: TokenMatcher
    private let normalizedMatcher: TokenMatcher

    enum Segment {
        case token(Int)
        case text(String, isAtStart: Bool, continuesPrevious: Bool)
    }

    init(_ node: JSONNode?, normalizer: Normalizer?) throws(TextError) {
        var tokens: [AddedToken] = []
        for entry in try node?.array() ?? [] {
            let isSpecial = try entry.bool("special", default: false)
            tokens.append(AddedToken(
                id: try entry.required("id").int(),
                content: try entry.required("content").string(),
                isSpecial: isSpecial,
                isSingleWord: try entry.bool("single_word", default: false),
                stripsLeft: try entry.bool("lstrip", default: false),
                stripsRight: try entry.bool("rstrip", default: false),
                isNormalized: try entry.bool("normalized", default: !isSpecial)))
            if tokens.last!.content.isEmpty { throw entry.invalid("an added token cannot be empty") }
        }
        self.tokens = tokens
        var contentByID: [Int: String] = [:]
        var idByContent = Vocabulary(capacity: tokens.count)
        for token in tokens {
            contentByID[token.id] = token.content
            idByContent.insert(token.content, id: token.id)
        }
        self.contentByID = contentByID
        self.idByContent = idByContent
        specialIDs = Set(tokens.filter(\.isSpecial).map(\.id))
        rawMatcher = TokenMatcher(tokens.enumerated().filter { !$0.element.isNormalized }.map { ($0.element.content, $0.offset) })
        normalizedMatcher = TokenMatcher(tokens.enumerated().filter(\.element.isNormalized).map {
            (normalizer?.normalize($0.element.content) ?? $0.element.content, $0.offset)
        })
    }

    func content(for id: Int) -> String? { contentByID[id] }

    func id(for content: String) -> Int? { idByContent.id(for: content) }

    /// Cuts added tokens out of `text`; text segments come back normalized. `continuesPrevious`:
    /// the text goes on from a previous segment's text (see `TextPiece`).
    func split(_ text: String, normalizer: Normalizer?, isAtStart: Bool, continuesPrevious: Bool,
               into segments: inout [Segment]) {
        var rawSegments: [Segment] = []
        cut(text, with: rawMatcher, isAtStart: isAtStart, continuesPrevious: continuesPrevious, into: &rawSegments)
        for segment in rawSegments {
            guard case let .text(raw, segmentIsAtStart, segmentContinues) = segment else {
                segments.append(segment)
                continue
            }
            let normalized = normalizer?.normalize(raw, atPieceStart: !segmentContinues) ?? raw
            cut(normalized, with: normalizedMatcher, isAtStart: segmentIsAtStart, continuesPrevious: segmentContinues,
                into: &segments)
        }
    }

    private func cut(_ text: String, with matcher: TokenMatcher, isAtStart: Bool, continuesPrevious: Bool,
                     into segments: inout [Segment]) {
        if text.isEmpty { return }
        let bytes = Array(text.utf8)
        if matcher.isEmpty {
            segments.append(.text(text, isAtStart: isAtStart, continuesPrevious: continuesPrevious))
            return
        }
        var emitted = 0
        func emitText(upTo end: Int) {
            guard emitted < end else { return }
            segments.append(.text(String(decoding: bytes[emitted..<end], as: UTF8.self), isAtStart: isAtStart && emitted == 0,
                                  continuesPrevious: continuesPrevious && emitted == 0))
        }
        for match in matcher.matches(in: bytes) {
            let token = tokens[match.token]
            var start = match.range.lowerBound
            var end = match.range.upperBound
            if token.isSingleWord {
                let wordBefore = UTF8Scalars.scalar(endingAt: start, in: bytes)?.isAlphanumeric ?? false
                let wordAfter = UTF8Scalars.scalar(startingAt: end, in: bytes)?.isAlphanumeric ?? false
                if wordBefore || wordAfter { continue }
            }
            if token.stripsLeft {
                while start > emitted, let scalar = UTF8Scalars.scalar(endingAt: start, in: bytes), scalar.isTokenizerWhitespace {
                    start -= UTF8.width(scalar)
                }
                start = max(start, emitted)
            }
            if token.stripsRight {
                while let scalar = UTF8Scalars.scalar(startingAt: end, in: bytes), scalar.isTokenizerWhitespace {
                    end += UTF8.width(scalar)
                }
            }
            emitText(upTo: start)
            segments.append(.token(token.id))
            emitted = end
        }
        emitText(upTo: bytes.count)
    }
}

/// Decoding single scalars next to a byte offset of UTF-8 text.
enum UTF8Scalars {
    static func scalar(startingAt offset: Int, in bytes: [UInt8]) -> Unicode.Scalar? {
        guard offset < bytes.count else { return nil }
        var iterator = bytes[offset...].makeIterator()
        var decoder = UTF8()
        if case .scalarValue(let scalar) = decoder.decode(&iterator) { return scalar }
        return nil
    }

    static func scalar(endingAt offset: Int, in bytes: [UInt8]) -> Unicode.Scalar? {
        guard offset > 0 else { return nil }
        var start = offset - 1
        while start > 0 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
        return scalar(startingAt: start, in: bytes)
    }
}

/// Leftmost-longest matching of a fixed set of strings over UTF-8 bytes (a byte trie).
struct TokenMatcher: Sendable {
    private var children: [[UInt8: Int32]] = [[:]]
    private var terminals: [Int32] = [-1]
    /// The root's children by byte (-1: no pattern starts with it), the hot path of a scan.
    private var firstByteNodes = [Int32](repeating: -1, count: 256)

    init(_ patterns: [(text: String, token: Int)]) {
        for (text, token) in patterns where !text.isEmpty {
            var node = 0
            for byte in text.utf8 {
                if let child = children[node][byte] {
                    node = Int(child)
                } else {
                    children.append([:])
                    terminals.append(-1)
                    children[node][byte] = Int32(children.count - 1)
                    node = children.count - 1
                }
            }
            terminals[node] = Int32(token)  // a later token with the same text wins
        }
        for (byte, child) in children[0] { firstByteNodes[Int(byte)] = child }
    }

    var isEmpty: Bool { children[0].isEmpty }

    /// Non-overlapping matches: at the leftmost position where one starts, the longest.
    func matches(in bytes: [UInt8]) -> [(range: Range<Int>, token: Int)] {
        var found: [(range: Range<Int>, token: Int)] = []
        var position = 0
        while position < bytes.count {
            let first = firstByteNodes[Int(bytes[position])]
            if first < 0 {
                position += 1
                continue
            }
            var node = Int(first)
            var longest: (end: Int, token: Int)? = terminals[node] >= 0 ? (position + 1, Int(terminals[node])) : nil
            var index = position + 1
            while index < bytes.count, let child = children[node][bytes[index]] {
                node = Int(child)
                index += 1
                if terminals[node] >= 0 { longest = (index, Int(terminals[node])) }
            }
            if let longest {
                found.append((position..<longest.end, longest.token))
                position = longest.end
            } else {
                position += 1
            }
        }
        return found
    }
}
