import Foundation
import UMedModels
import UMedTensor
import UMedText

/// Answers to a batch of prompts, as every caller asks them (`umed generate`, `umed eval`, Stage
/// 1/2 validation): the prompts left-padded into one batch with their images, the model's
/// end-of-answer ids as stop tokens, never the image token, each answer decoded without special
/// tokens and trimmed. Greedy unless `configuration` says to sample.
public struct AnswerGenerator {
    public var tokenizer: Tokenizer
    public var padTokenId: Int
    /// Stop ids, length and sampling (`suppressedTokenIds` gets the model's image token added).
    public var configuration: GenerationConfiguration
    public var device: Device

    public init(tokenizer: Tokenizer, padTokenId: Int, configuration: GenerationConfiguration, device: Device) {
        self.tokenizer = tokenizer
        self.padTokenId = padTokenId
        self.configuration = configuration
        self.device = device
    }

    /// Greedy answers of at most `maxNewTokens` tokens, stopping at any of `eosTokenIds`.
    public init(tokenizer: Tokenizer, padTokenId: Int, eosTokenIds: [Int], maxNewTokens: Int, device: Device) {
        self.init(tokenizer: tokenizer, padTokenId: padTokenId,
                  configuration: .greedy(maxNewTokens: maxNewTokens, eosTokenIds: eosTokenIds), device: device)
    }

    /// The answers to `prompts`, in order, with their generated sequences (tokens, log-probabilities
    /// and, with `attentionCapture`, attention).
    public func answer(_ prompts: [TrainingExample], model: LlavaModel, attentionCapture: AttentionCapture? = nil) throws
        -> [(text: String, sequence: GeneratedSequence)] {
        let (ids, mask) = GenerationPrompt.leftPad(prompts.map(\.inputIds), padTokenId: padTokenId)
        let pixels = Tensor.stack(prompts.map(\.pixelValues), dim: 0).to(device)
        var configuration = configuration
        configuration.suppressedTokenIds.append(model.configuration.imageTokenIndex)
        let result = try model.generate(inputIds: ids.to(device), pixelValues: pixels, attentionMask: mask.to(device),
                                        configuration: configuration, attentionCapture: attentionCapture)
        return result.sequences.map { sequence in
            (tokenizer.decode(sequence.tokens, skipSpecialTokens: true).trimmingCharacters(in: .whitespacesAndNewlines), sequence)
        }
    }
}
