import Foundation
import UMedData
import UMedModels
import UMedTensor
import UMedText

/// A loaded model with everything that reads and writes its inputs: tokenizer, chat format and
/// image processor. The family's own parts come from its configuration — the image token and how
/// many tokens an image becomes, padding to square (original LLaVA's `image_aspect_ratio: pad`),
/// the ids that end an answer — so every caller (both trainers, `umed generate`, `umed eval`, a
/// server) turns the same question and image into the same ids and pixels, and stops at the same
/// tokens.
public struct ModelBundle {
    public var model: LlavaModel
    public var tokenizer: Tokenizer
    /// The directory holding tokenizer.json (+ tokenizer_config.json).
    public var tokenizerDirectory: URL
    /// Those tokenizer files as they were when the bundle was made, written into every exported
    /// model (a base directory may change or vanish during a long run, as an older checkpoint of a
    /// base that is still training does).
    public var tokenizerFiles: [String: Data]
    public var chatFormat: ChatFormat
    public var imageProcessor: ImageProcessor
    /// Where the weights came from (PEFT's base_model_name_or_path).
    public var name: String

    public init(model: LlavaModel, tokenizer: Tokenizer, tokenizerDirectory: URL, tokenizerFiles: [String: Data],
                chatFormat: ChatFormat, imageProcessor: ImageProcessor, name: String) {
        self.model = model
        self.tokenizer = tokenizer
        self.tokenizerDirectory = tokenizerDirectory
        self.tokenizerFiles = tokenizerFiles
        self.chatFormat = chatFormat
        self.imageProcessor = imageProcessor
        self.name = name
    }

    /// The processor of this model: conversations cut at `maximumLength` tokens (default: the
    /// decoder's positions), `system` as the system prompt (nil: the chat format's default).
    public func processor(maximumLength: Int? = nil, system: String? = nil) -> VisionLanguageProcessor {
        VisionLanguageProcessor(
            tokenizer: tokenizer, chatFormat: chatFormat, imageProcessor: imageProcessor,
            imageTokenIndex: model.configuration.imageTokenIndex, imageTokens: .fixed(model.imageTokenCount),
            maximumLength: maximumLength ?? model.configuration.text.maxPositionEmbeddings, system: system)
    }

    /// The padding id of batches: the tokenizer's padding token, else its EOS, else 0.
    public var padTokenId: Int { tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0 }

    /// The ids that end an answer: the tokenizer's EOS and every one of the model's.
    public var eosTokenIds: [Int] { Array(Set([tokenizer.eosTokenID].compactMap { $0 } + model.configuration.text.eosTokenIds)).sorted() }

    /// Answers of at most `maxNewTokens` tokens: greedy when `temperature` is 0, else sampled with
    /// nucleus `topP` from `seed`.
    public func answerGenerator(maxNewTokens: Int, temperature: Double = 0, topP: Double = 1, seed: UInt64 = 0,
                                device: Device) -> AnswerGenerator {
        let configuration = temperature == 0
            ? GenerationConfiguration.greedy(maxNewTokens: maxNewTokens, eosTokenIds: eosTokenIds)
            : GenerationConfiguration.sampling(maxNewTokens: maxNewTokens, temperature: temperature, topP: topP, seed: seed,
                                               eosTokenIds: eosTokenIds)
        return AnswerGenerator(tokenizer: tokenizer, padTokenId: padTokenId, configuration: configuration, device: device)
    }

    // MARK: - Loading

    /// A saved model directory — a run's `model/`, a Hugging Face LLaVA checkpoint, an original
    /// LLaVA / LLaVA-Med one (its vision tower from `visionTower`, else `mm_vision_tower`) — with
    /// its tokenizer (`tokenizerDirectory`, else the model's), chat format (else detected) and image
    /// processor (preprocessor_config.json, else CLIP's at the tower's size, padded to a square
    /// when the checkpoint says so). A text-only checkpoint is `PipelineError.notVisionLanguage`.
    public static func load(_ directory: URL, tokenizerDirectory: URL? = nil, chatFormat: ChatFormat? = nil,
                            visionTower: URL? = nil, dtype: DType? = nil, device: Device = .cpu) throws -> ModelBundle {
        guard case .llava(let model) = try PretrainedModel.load(from: directory, visionTower: visionTower, dtype: dtype, device: device)
        else { throw PipelineError.notVisionLanguage(model: directory.path) }
        let tokenizerDirectory = tokenizerDirectory ?? directory
        let tokenizer = try Tokenizer(directory: tokenizerDirectory)
        let chatFormat = try chatFormat ?? ChatFormat.detect(checkpoint: directory)
        return ModelBundle(
            model: model, tokenizer: tokenizer, tokenizerDirectory: tokenizerDirectory,
            tokenizerFiles: try tokenizerFiles(in: tokenizerDirectory), chatFormat: chatFormat,
            imageProcessor: try imageProcessor(for: model, in: directory), name: directory.path)
    }

    /// preprocessor_config.json beside the model, else LLaVA-1.5's CLIP steps at the tower's size
    /// (padded to a square when the checkpoint says so).
    static func imageProcessor(for model: LlavaModel, in directory: URL) throws -> ImageProcessor {
        let file = directory.appendingPathComponent("preprocessor_config.json")
        if FileManager.default.fileExists(atPath: file.path) { return try ImageProcessor(contentsOf: file) }
        var configuration = ImageProcessorConfiguration.clip(resolution: model.visionTower.imageSize)
        configuration.doPad = model.configuration.padsImagesToSquare
        return ImageProcessor(configuration: configuration)
    }

    /// The tokenizer files present in `directory`, read now.
    public static func tokenizerFiles(in directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"] {
            let source = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: source.path) else { continue }
            files[name] = try Data(contentsOf: source)
        }
        return files
    }

    // MARK: - Saving

    /// Writes the model in Hugging Face layout (`tensors` replacing its own parameters, e.g. merged
    /// LoRA weights) with its tokenizer files and preprocessor_config.json: a directory that
    /// `ModelBundle.load` and transformers' LlavaForConditionalGeneration read.
    public func exportModel(to directory: URL, tensors: [String: Tensor]? = nil) throws {
        if let tensors { try model.save(to: directory, tensors: tensors) } else { try model.save(to: directory) }
        for (name, contents) in tokenizerFiles {
            try contents.write(to: directory.appendingPathComponent(name), options: .atomic)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(imageProcessor.configuration)
            .write(to: directory.appendingPathComponent("preprocessor_config.json"), options: .atomic)
    }
}
