import Foundation
import UMedData
import UMedModels
import UMedNN
import UMedTensor

/// What a run starts from: the model with its tokenizer, chat format and image processor — a
/// Hugging Face LLaVA-family checkpoint directory, or a preset built from scratch (`umed-tiny`,
/// whose tokenizer is built from the training texts and kept in the run directory, so a resumed
/// run gets the same ids).
public struct SFTStartPoint {
    public var model: LlavaModel
    public var tokenizer: Tokenizer
    /// The directory holding tokenizer.json (+ tokenizer_config.json).
    public var tokenizerDirectory: URL
    /// Those tokenizer files as they were when the run started, written into every saved model (a
    /// base directory may change or vanish during a long run, as an older checkpoint of a base that
    /// is still training does).
    public var tokenizerFiles: [String: Data]
    public var chatFormat: ChatFormat
    public var imageProcessor: ImageProcessor
    /// Where the weights came from (PEFT's base_model_name_or_path).
    public var name: String

    /// Conversations (or prompts) as this model reads them: its tokenizer, chat format, image
    /// processor and image tokens, with `data`'s sequence length and system prompt.
    func exampleBuilder(_ data: SFTDataConfiguration) -> SFTExampleBuilder {
        exampleBuilder(maximumLength: data.maxLength, system: data.systemPrompt)
    }

    /// Conversations (or prompts) as this model reads them, cut at `maximumLength` tokens.
    public func exampleBuilder(maximumLength: Int, system: String? = nil) -> SFTExampleBuilder {
        SFTExampleBuilder(
            tokenizer: tokenizer, chatFormat: chatFormat, imageProcessor: imageProcessor,
            imageTokenIndex: model.configuration.imageTokenIndex, imageTokensPerImage: model.imageTokenCount,
            maximumLength: maximumLength, system: system)
    }

    /// The padding id of batches: the tokenizer's padding token, else its EOS, else 0.
    public var padTokenId: Int { tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0 }

    /// The ids that end an answer: the tokenizer's EOS and the model's.
    public var eosTokenIds: [Int] { Array(Set([tokenizer.eosTokenID].compactMap { $0 } + model.configuration.text.eosTokenIds)).sorted() }

    /// The special tokens of a tokenizer UMed builds: unknown, BOS, EOS, padding, image.
    public static let builtTokenizerSpecials = ["<unk>", "<s>", "</s>", "<pad>", "<image>"]

    /// Loads or builds the start point of `configuration`. `texts` supplies the training texts
    /// when a preset needs a tokenizer built (called at most once, only then).
    public static func make(
        _ configuration: SFTConfiguration, runDirectory: URL, dtype: DType, device: Device,
        texts: (ChatFormat) throws -> [String]
    ) throws -> SFTStartPoint {
        if let base = configuration.model.base {
            return try load(URL(fileURLWithPath: base), configuration: configuration, dtype: dtype, device: device)
        }
        guard configuration.model.preset == UMedTiny.name else {
            throw TrainingError.invalidConfiguration("model.preset \"\(configuration.model.preset ?? "")\" is not known (known: \(UMedTiny.name))")
        }
        let chatFormat = try configuration.model.chatFormat.map { try ChatFormat(name: $0) } ?? .mistral
        let tokenizerDirectory = try presetTokenizer(configuration, runDirectory: runDirectory) { try texts(chatFormat) }
        let tokenizer = try Tokenizer(directory: tokenizerDirectory)
        func id(_ token: String) throws -> Int {
            guard let id = tokenizer.tokenToID(token) else {
                throw TrainingError.invalidConfiguration("the tokenizer in \(tokenizerDirectory.path) has no \(token) token")
            }
            return id
        }
        var sizes = configuration.model.tiny
        sizes.maxPositions = max(configuration.data.maxLength, 64)
        let llava = UMedTiny.configuration(
            sizes, vocabularySize: tokenizer.vocabularySize, imageTokenIndex: try id("<image>"),
            bosTokenId: tokenizer.bosTokenID, eosTokenId: try tokenizer.eosTokenID ?? id("</s>"),
            padTokenId: tokenizer.padTokenID)
        let model = UMedTiny.makeModel(configuration: llava, seed: configuration.training.seed, positionBase: sizes.positionBase)
        model.move(to: device, dtype: dtype)
        var processor = ImageProcessorConfiguration.clip(resolution: sizes.imageSize)
        processor.resample = .bilinear
        processor.imageMean = [0.5, 0.5, 0.5]
        processor.imageStd = [0.5, 0.5, 0.5]
        return SFTStartPoint(
            model: model, tokenizer: tokenizer, tokenizerDirectory: tokenizerDirectory,
            tokenizerFiles: try tokenizerFiles(in: tokenizerDirectory), chatFormat: chatFormat,
            imageProcessor: ImageProcessor(configuration: processor), name: UMedTiny.name)
    }

    /// A checkpoint directory as `umed generate` reads it.
    static func load(_ directory: URL, configuration: SFTConfiguration, dtype: DType, device: Device) throws -> SFTStartPoint {
        try load(directory, tokenizerDirectory: configuration.model.tokenizer.map { URL(fileURLWithPath: $0) },
                 chatFormat: try configuration.model.chatFormat.map { try ChatFormat(name: $0) }, dtype: dtype, device: device)
    }

    /// A saved model directory (a run's `model/`, a Hugging Face LLaVA checkpoint) with its tokenizer
    /// (`tokenizerDirectory`, else the model's), chat format (else detected), and image processor
    /// (preprocessor_config.json, else CLIP's at the tower's size).
    public static func load(_ directory: URL, tokenizerDirectory: URL? = nil, chatFormat: ChatFormat? = nil,
                            dtype: DType, device: Device) throws -> SFTStartPoint {
        let model = try LlavaModel.load(from: directory, dtype: dtype, device: device)
        let tokenizerDirectory = tokenizerDirectory ?? directory
        let tokenizer = try Tokenizer(directory: tokenizerDirectory)
        let chatFormat = try chatFormat ?? ChatFormat.detect(checkpoint: directory)
        let processorFile = directory.appendingPathComponent("preprocessor_config.json")
        let imageProcessor = FileManager.default.fileExists(atPath: processorFile.path)
            ? try ImageProcessor(contentsOf: processorFile)
            : ImageProcessor(configuration: .clip(resolution: model.visionTower.imageSize))
        return SFTStartPoint(
            model: model, tokenizer: tokenizer, tokenizerDirectory: tokenizerDirectory,
            tokenizerFiles: try tokenizerFiles(in: tokenizerDirectory), chatFormat: chatFormat,
            imageProcessor: imageProcessor, name: directory.path)
    }

    /// The preset's tokenizer directory: `model.tokenizer` when set, else `<run>/tokenizer`, built
    /// from the training texts the first time.
    static func presetTokenizer(_ configuration: SFTConfiguration, runDirectory: URL, texts: () throws -> [String]) throws -> URL {
        if let path = configuration.model.tokenizer {
            let url = URL(fileURLWithPath: path)
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            return isDirectory.boolValue ? url : url.deletingLastPathComponent()
        }
        let directory = runDirectory.appendingPathComponent("tokenizer")
        let file = directory.appendingPathComponent("tokenizer.json")
        if FileManager.default.fileExists(atPath: file.path) { return directory }
        let json = try TokenizerBuilder.wordLevel(
            texts: try texts(), specialTokens: builtTokenizerSpecials, bosToken: "<s>")
        let staging = runDirectory.appendingPathComponent(".tokenizer-staging")
        try? FileManager.default.removeItem(at: staging)
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        try Data(json.utf8).write(to: staging.appendingPathComponent("tokenizer.json"))
        try tokenizerConfigurationJSON().write(to: staging.appendingPathComponent("tokenizer_config.json"))
        try FileManager.default.moveItem(at: staging, to: directory)
        return directory
    }

    /// The tokenizer files present in `directory`, read now.
    static func tokenizerFiles(in directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"] {
            let source = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: source.path) else { continue }
            files[name] = try Data(contentsOf: source)
        }
        return files
    }

    /// tokenizer_config.json for a built tokenizer: its special tokens, and a Mistral-style chat
    /// template (what `ChatFormat.detect` reads back as `mistral`).
    static func tokenizerConfigurationJSON() throws -> Data {
        let roles = try TokenizerBuilder.configuration(
            bosToken: "<s>", eosToken: "</s>", padToken: "<pad>", unknownToken: "<unk>", modelMaximumLength: 4096)
        guard var object = try JSONSerialization.jsonObject(with: Data(roles.utf8)) as? [String: Any] else {
            throw TrainingError.invalidConfiguration("the tokenizer builder wrote a configuration that is not an object")
        }
        object["add_bos_token"] = true
        object["add_eos_token"] = false
        object["chat_template"] = "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
            + "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token }}"
            + "{% endif %}{% endfor %}"
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// Writes the model in Hugging Face layout (`tensors` replacing its own parameters, e.g. merged
    /// LoRA weights) with its tokenizer files and preprocessor_config.json: a directory that
    /// `umed generate` and transformers' LlavaForConditionalGeneration read.
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

