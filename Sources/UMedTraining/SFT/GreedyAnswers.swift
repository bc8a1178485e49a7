import Foundation
import UMedData
import UMedModels
import UMedTensor

/// Greedy answers to a batch of prompts, as both evaluators ask them (Stage 1/2 validation and
/// `umed eval`): the prompts left-padded into one batch with their images, never the image token,
/// each answer decoded without special tokens and trimmed.
public struct GreedyAnswers {
    public var tokenizer: Tokenizer
    public var padTokenId: Int
    public var eosTokenIds: [Int]
    public var maxNewTokens: Int
    public var device: Device

    public init(tokenizer: Tokenizer, padTokenId: Int, eosTokenIds: [Int], maxNewTokens: Int, device: Device) {
        self.tokenizer = tokenizer
        self.padTokenId = padTokenId
        self.eosTokenIds = eosTokenIds
        self.maxNewTokens = maxNewTokens
        self.device = device
    }

    /// The answers to `prompts`, in order, with their generated sequences (tokens, log-probabilities
    /// and, with `attentionCapture`, attention).
    public func answer(_ prompts: [SFTExample], model: LlavaModel, attentionCapture: AttentionCapture? = nil) throws
        -> [(text: String, sequence: GeneratedSequence)] {
        let (ids, mask) = GenerationPrompt.leftPad(prompts.map(\.inputIds), padTokenId: padTokenId)
        let pixels = Tensor.stack(prompts.map(\.pixelValues), dim: 0).to(device)
        var configuration = GenerationConfiguration.greedy(maxNewTokens: maxNewTokens, eosTokenIds: eosTokenIds)
        configuration.suppressedTokenIds = [model.configuration.imageTokenIndex]
        let result = try model.generate(inputIds: ids.to(device), pixelValues: pixels, attentionMask: mask.to(device),
                                        configuration: configuration, attentionCapture: attentionCapture)
        return result.sequences.map { sequence in
            (tokenizer.decode(sequence.tokens, skipSpecialTokens: true).trimmingCharacters(in: .whitespacesAndNewlines), sequence)
        }
    }
}
