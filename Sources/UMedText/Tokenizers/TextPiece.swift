/// A piece of normalized text on its way to the model.
struct TextPiece {
    var text: String
    /// Whether the piece begins at the start of the original text (Metaspace's
    /// `prepend_scheme: first` adds its space only then).
    var isAtStart: Bool
    /// Whether the piece continues the text of a previous segment (`Tokenizer.encode(segments:)`)
    /// rather than starting a piece of its own: prefixes (Prepend, Metaspace, ByteLevel's
    /// add_prefix_space) are only added at the start of a piece.
    var continuesPrevious = false
}

/// How a split treats the matched delimiters (tokenizers' SplitDelimiterBehavior).
enum SplitBehavior: String, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    static func parse(_ node: JSONNode) throws(TextError) -> SplitBehavior {
        let name = try node.string()
        guard let behavior = SplitBehavior(rawValue: name) else {
            throw node.invalid("unknown split behavior \"\(name)\" "
                               + "(expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)")
        }
        return behavior
    }

    /// Splits `piece` (spelled by `text`) at `matches`, sorted non-overlapping scalar ranges,
    /// keeping the non-empty parts.
    func split(_ piece: TextPiece, text: ScalarText, matches: [Range<Int>], invert: Bool = false,
               into output: inout [TextPiece]) {
        if matches.isEmpty && !invert {
            if !text.isEmpty { output.append(piece) }
            return
        }
        for part in parts(count: text.count, matches: matches, invert: invert) {
            output.append(TextPiece(text: text.string(part), isAtStart: piece.isAtStart && part.lowerBound == 0,
                                    continuesPrevious: piece.continuesPrevious && part.lowerBound == 0))
        }
    }

    /// The non-empty parts of `0..<count` split at `matches` with this behavior.
    func parts(count: Int, matches: [Range<Int>], invert: Bool = false) -> [Range<Int>] {
        // The whole text as alternating (range, isMatch) segments.
        var segments: [(range: Range<Int>, isMatch: Bool)] = []
        segments.reserveCapacity(matches.count * 2 + 1)
        var position = 0
        for match in matches {
            if position < match.lowerBound { segments.append((position..<match.lowerBound, invert)) }
            segments.append((match, !invert))
            position = match.upperBound
        }
        if position < count { segments.append((position..<count, invert)) }

        var parts: [Range<Int>] = []
        parts.reserveCapacity(segments.count)
        switch self {
        case .removed:
            for segment in segments where !segment.isMatch { parts.append(segment.range) }
        case .isolated:
            for segment in segments { parts.append(segment.range) }
        case .contiguous:
            var previousWasMatch = false
            for (index, segment) in segments.enumerated() {
                if index > 0 && segment.isMatch == previousWasMatch {
                    parts[parts.count - 1] = parts[parts.count - 1].lowerBound..<segment.range.upperBound
                } else {
                    parts.append(segment.range)
                }
                previousWasMatch = segment.isMatch
            }
        case .mergedWithPrevious:
            var previousWasMatch = false
            for segment in segments {
                if segment.isMatch && !previousWasMatch && !parts.isEmpty {
                    parts[parts.count - 1] = parts[parts.count - 1].lowerBound..<segment.range.upperBound
                } else {
                    parts.append(segment.range)
                }
                previousWasMatch = segment.isMatch
            }
        case .mergedWithNext:
            var previousWasMatch = false
            for segment in segments.reversed() {
                if segment.isMatch && !previousWasMatch && !parts.isEmpty {
                    parts[parts.count - 1] = segment.range.lowerBound..<parts[parts.count - 1].upperBound
                } else {
                    parts.append(segment.range)
                }
                previousWasMatch = segment.isMatch
            }
            parts.reverse()
        }
        return parts.filter { !$0.isEmpty }
    }
}

/// A text as Unicode scalars with each one's UTF-8 offset, so pieces are cut by copying bytes.
struct ScalarText {
    let scalars: [Unicode.Scalar]
    let utf8: [UInt8]
    /// The UTF-8 offset of each scalar, then the total length.
    let offsets: [Int]

    init(_ text: String) {
        utf8 = Array(text.utf8)
        var scalars: [Unicode.Scalar] = []
        var offsets: [Int] = []
        scalars.reserveCapacity(utf8.count)
        offsets.reserveCapacity(utf8.count + 1)
        var offset = 0
        for scalar in text.unicodeScalars {
            scalars.append(scalar)
            offsets.append(offset)
            offset += UTF8.width(scalar)
        }
        offsets.append(offset)
        self.scalars = scalars
        self.offsets = offsets
    }

    var count: Int { scalars.count }
    var isEmpty: Bool { scalars.isEmpty }

    /// The UTF-8 bytes of the scalars in `range`.
    func bytes(_ range: Range<Int>) -> ArraySlice<UInt8> {
        utf8[offsets[range.lowerBound]..<offsets[range.upperBound]]
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: bytes(range), as: UTF8.self)
    }
}
