import Foundation
import UMedData
import UMedTensor
import UMedText

/// How many tokens one image becomes in the prompt: a fixed count per model (LLaVA: the tower's
/// patches), or one per `patchSize`-pixel cell of the processed image after merging `merge`×`merge`
/// cells (a dynamic-resolution family such as Qwen2-VL: 14-pixel patches merged 2×2).
public enum ImageTokenCount: Equatable, Sendable {
    case fixed(Int)
    case perPatch(patchSize: Int, merge: Int)

    /// The count for one processed image.
    public func count(for image: ProcessedImage) -> Int {
        switch self {
        case .fixed(let count): return count
        case .perPatch(let patchSize, let merge):
            let cell = patchSize * merge
            return (image.inputWidth / cell) * (image.inputHeight / cell)
        }
    }
}

/// The one processor that turns conversations and images into model input — for training (whole
/// conversations with answer labels), evaluation and rollouts (a sample's first question) and
/// generation or serving (a question typed by a user). As transformers' LlavaProcessor and the
/// LLaVA repository's `tokenizer_image_token` do: the conversation rendered in the model's chat
/// format, tokenized around each `<image>` placeholder (text between images piece by piece,
/// special tokens such as BOS only on the first piece), each placeholder becoming the image's
/// tokens (`imageTokenIndex` repeated, the positions the VLM fills with patch features); the image
/// preprocessed with its geometric transform recorded, so boxes and attention map back to the
/// original pixels. Labels are −100 except on the answers' tokens (their closing token included).
public struct VisionLanguageProcessor {
    public var tokenizer: Tokenizer
    public var chatFormat: ChatFormat
    public var imageProcessor: ImageProcessor
    public var imageTokenIndex: Int
    public var imageTokens: ImageTokenCount
    /// Whole conversations are cut to this many tokens (prompts never are).
    public var maximumLength: Int
    /// The system prompt (nil: the chat format's default).
    public var system: String?

    public init(tokenizer: Tokenizer, chatFormat: ChatFormat, imageProcessor: ImageProcessor, imageTokenIndex: Int,
                imageTokens: ImageTokenCount, maximumLength: Int = .max, system: String? = nil) {
        self.tokenizer = tokenizer
        self.chatFormat = chatFormat
        self.imageProcessor = imageProcessor
        self.imageTokenIndex = imageTokenIndex
        self.imageTokens = imageTokens
        self.maximumLength = maximumLength
        self.system = system
    }

    /// A processor whose images all become `imageTokensPerImage` tokens.
    public init(tokenizer: Tokenizer, chatFormat: ChatFormat, imageProcessor: ImageProcessor, imageTokenIndex: Int,
                imageTokensPerImage: Int, maximumLength: Int = .max, system: String? = nil) {
        self.init(tokenizer: tokenizer, chatFormat: chatFormat, imageProcessor: imageProcessor, imageTokenIndex: imageTokenIndex,
                  imageTokens: .fixed(imageTokensPerImage), maximumLength: maximumLength, system: system)
    }

    // MARK: - Examples

    /// The training example of `sample` (whole conversation), its image augmented first when
    /// `augmentation` is given (drawing from `rng`).
    public func example(for sample: MAUSample, image: Image, augmentation: BoxAugmentation? = nil,
                        rng: inout SplitMix64) throws -> TrainingExample {
        var sample = sample
        var image = image
        if let augmentation {
            (sample, image) = augmentation.apply(to: sample, image: image, rng: &rng)
        }
        let conversation = try Self.conversation(of: sample, system: system, questionOnly: false)
        guard conversation.messages.contains(where: { $0.role == .gpt }) else {
            throw PipelineError.missingTurn(sample: sample.record.id, role: "gpt")
        }
        let prompt = try chatFormat.render(conversation, addGenerationPrompt: false)
        let processed = imageProcessor.process(image)
        var (ids, isAnswer) = tokenize(prompt, imageTokenCount: imageTokens.count(for: processed))
        var isTruncated = false
        if ids.count > maximumLength {
            if let lastImageToken = ids.lastIndex(of: imageTokenIndex), lastImageToken >= maximumLength {
                throw PipelineError.imageTokensTruncated(sample: sample.record.id, imageEnd: lastImageToken + 1,
                                                         maximumLength: maximumLength)
            }
            ids.removeSubrange(maximumLength...)
            isAnswer.removeSubrange(maximumLength...)
            isTruncated = true
        }
        let labels = zip(ids, isAnswer).map { $1 ? $0 : TrainingExample.ignoredLabel }
        return example(id: sample.record.id, findings: sample.record.findings, image: image, processed: processed, ids: ids,
                       labels: labels, isTruncated: isTruncated, answerTokenCount: isAnswer.filter { $0 }.count)
    }

    /// The prompt of `sample` — its first question, with the chat format's generation cue — for
    /// evaluation and rollouts: ids, pixels, transform and the sample's findings; `labels` empty.
    public func prompt(for sample: MAUSample, image: Image) throws -> TrainingExample {
        let conversation = try Self.conversation(of: sample, system: system, questionOnly: true)
        return try prompt(conversation, id: sample.record.id, findings: sample.record.findings, image: image)
    }

    /// The prompt of a question about `image` asked by a user (`umed generate`, a server): one human
    /// turn, the image placed before the question as LLaVA does — the turn a MAU sample's first
    /// question is, so the same question gets the same ids here and in `prompt(for:image:)`.
    public func prompt(question: String, image: Image, id: String = "prompt") throws -> TrainingExample {
        let conversation = Conversation(system: system, messages: [.human(Conversation.imagePlaceholder + "\n" + question)])
        return try prompt(conversation, id: id, findings: [], image: image)
    }

    private func prompt(_ conversation: Conversation, id: String, findings: [Finding], image: Image) throws -> TrainingExample {
        let prompt = try chatFormat.render(conversation, addGenerationPrompt: true)
        let processed = imageProcessor.process(image)
        let ids = tokenize(prompt, imageTokenCount: imageTokens.count(for: processed)).ids
        return example(id: id, findings: findings, image: image, processed: processed, ids: ids, labels: [], isTruncated: false,
                       answerTokenCount: 0)
    }

    private func example(id: String, findings: [Finding], image: Image, processed: ProcessedImage, ids: [Int], labels: [Int],
                         isTruncated: Bool, answerTokenCount: Int) -> TrainingExample {
        TrainingExample(
            id: id, inputIds: ids, labels: labels, pixelValues: processed.pixelValues.squeezed(dim: 0),
            transform: processed.transform, findings: findings, imageSize: ImageSize(width: image.width, height: image.height),
            isTruncated: isTruncated, answerTokenCount: answerTokenCount)
    }

    // MARK: - Tokens

    /// Token ids of a rendered conversation and, per id, whether it is an answer token. Each
    /// `<image>` becomes `imageTokenCount` copies of `imageTokenIndex`.
    public func tokenize(_ prompt: ChatPrompt, imageTokenCount: Int) -> (ids: [Int], isAnswer: [Bool]) {
        tokenize(segments: prompt.segments, imageTokenCount: imageTokenCount)
    }

    /// Token ids of a prompt text (no answer marked), each `<image>` becoming `imageTokenCount` tokens.
    public func tokenize(_ text: String, imageTokenCount: Int) -> [Int] {
        tokenize(segments: [ChatPrompt.Segment(text: text, isAnswer: false)], imageTokenCount: imageTokenCount).ids
    }

    private func tokenize(segments: [ChatPrompt.Segment], imageTokenCount: Int) -> (ids: [Int], isAnswer: [Bool]) {
        // Pieces between images, each a list of (text, isAnswer) segments.
        var pieces: [[ChatPrompt.Segment]] = [[]]
        for segment in segments {
            for (index, part) in segment.text.components(separatedBy: Conversation.imagePlaceholder).enumerated() {
                if index > 0 { pieces.append([]) }
                pieces[pieces.count - 1].append(ChatPrompt.Segment(text: part, isAnswer: segment.isAnswer))
            }
        }
        var ids: [Int] = []
        var isAnswer: [Bool] = []
        for (index, piece) in pieces.enumerated() {
            if index > 0 {
                ids += Array(repeating: imageTokenIndex, count: imageTokenCount)
                isAnswer += Array(repeating: false, count: imageTokenCount)
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

    // MARK: - Conversations

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

    /// The sample's turns as a conversation (only the first question when `questionOnly`).
    static func conversation(of sample: MAUSample, system: String?, questionOnly: Bool) throws -> Conversation {
        var messages: [ChatMessage] = []
        for turn in sample.conversations {
            guard let role = ChatMessage.Role(name: turn.from) else {
                throw PipelineError.unknownRole(sample: sample.record.id, role: turn.from)
            }
            messages.append(ChatMessage(role, turn.value))
        }
        if questionOnly {
            guard let question = messages.first(where: { $0.role == .human }) else {
                throw PipelineError.missingTurn(sample: sample.record.id, role: "human")
            }
            messages = [question]
        }
        return Conversation(system: system, messages: messages)
    }
}
