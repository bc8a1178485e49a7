/// A rendered conversation: the prompt text as consecutive segments, each either prompt text or
/// part of an assistant answer. Answer segments start at the separator before the answer (the
/// space that tokenizers fold into the answer's first token) and end with the end-of-turn marker
/// (`</s>`, `<|im_end|>`) the model must learn to emit; everything else is prompt.
public struct ChatPrompt: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        public var text: String
        public var isAnswer: Bool

        public init(text: String, isAnswer: Bool) {
            self.text = text
            self.isAnswer = isAnswer
        }
    }

    public private(set) var segments: [Segment] = []

    /// The whole prompt.
    public var text: String { segments.map(\.text).joined() }

    /// The character ranges of the answers in `text`.
    public var answerRanges: [Range<String.Index>] {
        let text = self.text
        var ranges: [Range<String.Index>] = []
        var offset = 0
        for segment in segments {
            let length = segment.text.utf8.count
            if segment.isAnswer {
                let lower = text.utf8.index(text.startIndex, offsetBy: offset)
                ranges.append(lower..<text.utf8.index(lower, offsetBy: length))
            }
            offset += length
        }
        return ranges
    }

    /// The answers' texts (with their separators and end-of-turn markers).
    public var answers: [String] { segments.filter(\.isAnswer).map(\.text) }

    mutating func appendPrompt(_ text: String) { append(text, isAnswer: false) }

    mutating func appendAnswer(_ text: String) { append(text, isAnswer: true) }

    private mutating func append(_ text: String, isAnswer: Bool) {
        guard !text.isEmpty else { return }
        if let last = segments.last, last.isAnswer == isAnswer {
            segments[segments.count - 1].text += text
        } else {
            segments.append(Segment(text: text, isAnswer: isAnswer))
        }
    }

    /// Token ids of the prompt (with the tokenizer's special tokens unless told otherwise) and,
    /// for each id, whether it belongs to an answer: the training labels are the answer tokens.
    ///
    /// Each segment is tokenized as a continuation of the previous one, so no token spans a
    /// prompt/answer boundary; with the formats' boundaries (before a space, after `:`, `]` or an
    /// added token) the ids equal those of `tokenizer.encode(text)`.
    public func tokenized(with tokenizer: Tokenizer, addSpecialTokens: Bool = true) -> (ids: [Int], isAnswer: [Bool]) {
        let encoded = tokenizer.encode(segments: segments.map(\.text), addSpecialTokens: addSpecialTokens)
        var isAnswer = [Bool](repeating: false, count: encoded.ids.count)
        for (segment, range) in zip(segments, encoded.segmentRanges) where segment.isAnswer {
            for index in range { isAnswer[index] = true }
        }
        return (encoded.ids, isAnswer)
    }
}
