import Foundation
import UMedTensor

/// Turns a question about an image into model inputs, as transformers' LlavaProcessor and the
/// LLaVA repository's `tokenizer_image_token` do: the conversation rendered in the model's chat
/// format, tokenized around each `<image>` placeholder, which becomes `imageTokensPerImage` copies
/// of `imageTokenIndex` (the positions the VLM fills with patch features); the image preprocessed
/// with its geometric transform recorded (so boxes map back to the original pixels).
public struct VisionLanguageProcessor {
    public var tokenizer: Tokenizer
    public var imageProcessor: ImageProcessor
    public var chatFormat: ChatFormat
    public var imageTokenIndex: Int
    public var imageTokensPerImage: Int

    public init(
        tokenizer: Tokenizer, imageProcessor: ImageProcessor, chatFormat: ChatFormat, imageTokenIndex: Int,
        imageTokensPerImage: Int
    ) {
        self.tokenizer = tokenizer
        self.imageProcessor = imageProcessor
        self.chatFormat = chatFormat
        self.imageTokenIndex = imageTokenIndex
        self.imageTokensPerImage = imageTokensPerImage
    }

    /// Model inputs for one question: the prompt ids [1, t], the pixels [1, 3, H, W] and the
    /// image's transform.
    public struct Inputs {
        public var inputIds: [Int]
        public var pixelValues: Tensor
        public var image: ProcessedImage
    }

    /// Inputs for `question` about `image` (one image, placed before the question as LLaVA does).
    public func inputs(question: String, image: Image, system: String? = nil) throws -> Inputs {
        let conversation = Conversation(
            system: system, messages: [.human(Conversation.imagePlaceholder + "\n" + question)])
        let prompt = try chatFormat.render(conversation, addGenerationPrompt: true)
        let processed = imageProcessor.process(image)
        return Inputs(inputIds: tokenize(prompt.text), pixelValues: processed.pixelValues, image: processed)
    }

    /// Token ids of a prompt text: each `<image>` becomes `imageTokensPerImage` image tokens; the
    /// text between is tokenized piece by piece (special tokens such as BOS only on the first).
    public func tokenize(_ text: String) -> [Int] {
        let pieces = text.components(separatedBy: Conversation.imagePlaceholder)
        var ids: [Int] = []
        for (index, piece) in pieces.enumerated() {
            if index > 0 { ids += Array(repeating: imageTokenIndex, count: imageTokensPerImage) }
            if !piece.isEmpty || index == 0 { ids += tokenizer.encode(piece, addSpecialTokens: index == 0) }
        }
        return ids
    }
}
