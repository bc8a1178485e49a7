import Foundation
import UMedTensor

/// One training example: the conversation tokenized in the model's chat format, `<image>`
/// expanded to `imageTokensPerImage` copies of `imageTokenIndex`, labels −100 everywhere except
/// the assistant answers' tokens (their closing token — EOS, end-of-turn — included, so the model
/// learns to stop), truncated to the builder's maximum length.
public struct SFTExample {
    /// The sample's id.
    public var id: String
    public var inputIds: [Int]
    /// One per input id: the id where trained, `SFTExample.ignoredLabel` elsewhere; empty for a prompt.
    public var labels: [Int]
    /// [3, S, S] float32, from the image processor (its box-aware transform in `transform`).
    public var pixelValues: Tensor
    /// Pixels of the image the example was made from → model-input pixels.
    public var transform: GeometricTransform
    /// Ground truth in pixels of the image the example was made from (after augmentation, when
    /// augmented: then the answer's boxes and these findings both describe the augmented image).
    public var findings: [Finding]
    /// The size of the image the example was made from.
    public var imageSize: ImageSize
    /// Whether tokens were cut off at the maximum length.
    public var isTruncated: Bool
    /// How many labels are trained (not −100).
    public var answerTokenCount: Int

    /// The label of positions the loss ignores (PyTorch's cross-entropy default).
    public static let ignoredLabel = -100
}

/// Makes `SFTExample`s from MAU samples: renders the conversation in the chat format, tokenizes it
/// with the answer tokens marked (`ChatPrompt.tokenized(with:)`'s segments), expands `<image>`
/// the way `VisionLanguageProcessor` does at generation time (text between images tokenized piece
/// by piece, special tokens such as BOS only on the first piece), and preprocesses the image.
public struct SFTExampleBuilder {
    public var tokenizer: Tokenizer
    public var chatFormat: ChatFormat
    public var imageProcessor: ImageProcessor
    public var imageTokenIndex: Int
    public var imageTokensPerImage: Int
    public var maximumLength: Int
    /// The system prompt (nil: the chat format's default).
    public var system: String?

    public init(tokenizer: Tokenizer, chatFormat: ChatFormat, imageProcessor: ImageProcessor,
                imageTokenIndex: Int, imageTokensPerImage: Int, maximumLength: Int, system: String? = nil) {
        self.tokenizer = tokenizer
        self.chatFormat = chatFormat
        self.imageProcessor = imageProcessor
        self.imageTokenIndex = imageTokenIndex
        self.imageTokensPerImage = imageTokensPerImage
        self.maximumLength = maximumLength
        self.system = system
    }

    /// The training example of `sample` (whole conversation), its image augmented first when
    /// `augmentation` is given (drawing from `rng`).
    public func example(for sample: MAUSample, image: Image, augmentation: BoxAugmentation? = nil,
                        rng: inout SplitMix64) throws -> SFTExample {
        var sample = sample
        var image = image
        if let augmentation {
            (sample, image) = augmentation.apply(to: sample, image: image, rng: &rng)
        }
        let conversation = try self.conversation(of: sample, questionOnly: false)
        guard conversation.messages.contains(where: { $0.role == .gpt }) else {
            throw CollationError.missingTurn(sample: sample.record.id, role: "gpt")
        }
        let prompt = try chatFormat.render(conversation, addGenerationPrompt: false)
        var (ids, isAnswer) = tokenize(prompt)
        var isTruncated = false
        if ids.count > maximumLength {
            if let lastImageToken = ids.lastIndex(of: imageTokenIndex), lastImageToken >= maximumLength {
                throw CollationError.imageTokensTruncated(sample: sample.record.id, imageEnd: lastImageToken + 1,
                                                          maximumLength: maximumLength)
            }
            ids.removeSubrange(maximumLength...)
            isAnswer.removeSubrange(maximumLength...)
            isTruncated = true
        }
        let labels = zip(ids, isAnswer).map { $1 ? $0 : SFTExample.ignoredLabel }
        return makeExample(sample: sample, image: image, ids: ids, labels: labels, isTruncated: isTruncated,
                           answerTokenCount: isAnswer.filter { $0 }.count)
    }

    /// The prompt alone — the first question, with the chat format's generation cue — for
    /// evaluation and generation: ids, pixels and transform; `labels` empty, never truncated.
    public func prompt(for sample: MAUSample, image: Image) throws -> SFTExample {
        let conversation = try self.conversation(of: sample, questionOnly: true)
        let prompt = try chatFormat.render(conversation, addGenerationPrompt: true)
        return makeExample(sample: sample, image: image, ids: tokenize(prompt).ids, labels: [], isTruncated: false,
                           answerTokenCount: 0)
    }

    /// Token ids of a rendered conversation and, per id, whether it is an answer token. Each
    /// `<image>` becomes `imageTokensPerImage` copies of `imageTokenIndex`.
    public func tokenize(_ prompt: ChatPrompt) -> (ids: [Int], isAnswer: [Bool]) {
        // Pieces between images, each a list of (text, isAnswer) segments.
        var pieces: [[ChatPrompt.Segment]] = [[]]
        for segment in prompt.segments {
            for (index, part) in segment.text.components(separatedBy: Conversation.imagePlaceholder).enumerated() {
                if index > 0 { pieces.append([]) }
                pieces[pieces.count - 1].append(ChatPrompt.Segment(text: part, isAnswer: segment.isAnswer))
            }
        }
        var ids: [Int] = []
        var isAnswer: [Bool] = []
        for (index, piece) in pieces.enumerated() {
            if index > 0 {
                ids += Array(repeating: imageTokenIndex, count: imageTokensPerImage)
                isAnswer += Array(repeating: false, count: imageTokensPerImage)
            }
            let encoded = tokenizer.encode(segments: piece.map(\.text), addSpecialTokens: index == 0)
            var flags = [Bool](repeating: false, count: encoded.ids.count)
            for (segment, range) in zip(piece, encoded.segmentRanges) where segment.isAnswer {
                for position in range { flags[position] = true }
            }
            ids += encoded.ids
            isAnswer += flags
        }
        return (ids, isAnswer)
    }

    /// The texts a tokenizer built for this data must cover (`TokenizerBuilder.wordLevel`): each
    /// sample's whole conversation rendered in `chatFormat` (system prompt, role markers, answers
    /// and end-of-turn markers; `<image>` kept as it is), then its generation prompt.
    public static func renderedTexts(of samples: [MAUSample], chatFormat: ChatFormat, system: String? = nil) throws -> [String] {
        var texts: [String] = []
        for sample in samples {
            for questionOnly in [false, true] {
                let conversation = try conversation(of: sample, system: system, questionOnly: questionOnly)
                texts.append(try chatFormat.render(conversation, addGenerationPrompt: true).text)
            }
        }
        return texts
    }

    func conversation(of sample: MAUSample, questionOnly: Bool) throws -> Conversation {
        try Self.conversation(of: sample, system: system, questionOnly: questionOnly)
    }

    /// The sample's turns as a conversation (only the first question when `questionOnly`).
    static func conversation(of sample: MAUSample, system: String?, questionOnly: Bool) throws -> Conversation {
        var messages: [ChatMessage] = []
        for turn in sample.conversations {
            guard let role = ChatMessage.Role(name: turn.from) else {
                throw CollationError.unknownRole(sample: sample.record.id, role: turn.from)
            }
            messages.append(ChatMessage(role, turn.value))
        }
        if questionOnly {
            guard let question = messages.first(where: { $0.role == .human }) else {
                throw CollationError.missingTurn(sample: sample.record.id, role: "human")
            }
            messages = [question]
        }
        return Conversation(system: system, messages: messages)
    }

    private func makeExample(sample: MAUSample, image: Image, ids: [Int], labels: [Int], isTruncated: Bool,
                             answerTokenCount: Int) -> SFTExample {
        let processed = imageProcessor.process(image)
        return SFTExample(
            id: sample.record.id, inputIds: ids, labels: labels, pixelValues: processed.pixelValues.squeezed(dim: 0),
            transform: processed.transform, findings: sample.record.findings,
            imageSize: ImageSize(width: image.width, height: image.height), isTruncated: isTruncated,
            answerTokenCount: answerTokenCount)
    }
}
