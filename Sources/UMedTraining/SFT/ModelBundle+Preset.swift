import Foundation
import UMedData
import UMedModels
import UMedPipeline
import UMedTensor
import UMedText

/// Stage 1's start point: the `model.base` checkpoint, or a preset built from scratch (`umed-tiny`,
/// whose tokenizer is built from the training texts and kept in the run directory, so a resumed
/// run gets the same ids).
extension ModelBundle {
    /// The special tokens of a tokenizer UMed builds: unknown, BOS, EOS, padding, image.
    public static let builtTokenizerSpecials = ["<unk>", "<s>", "</s>", "<pad>", "<image>"]

    /// Loads or builds the start point of `configuration`. `texts` supplies the training texts
    /// when a preset needs a tokenizer built (called at most once, only then).
    public static func make(
        _ configuration: SFTConfiguration, runDirectory: URL, dtype: DType, device: Device,
        texts: (ChatFormat) throws -> [String]
    ) throws -> ModelBundle {
        if let base = configuration.model.base {
            return try load(URL(fileURLWithPath: base), model: configuration.model, dtype: dtype, device: device)
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
        return ModelBundle(
            model: model, tokenizer: tokenizer, tokenizerDirectory: tokenizerDirectory,
            tokenizerFiles: try tokenizerFiles(in: tokenizerDirectory), chatFormat: chatFormat,
            imageProcessor: ImageProcessor(configuration: processor), name: UMedTiny.name)
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
}
