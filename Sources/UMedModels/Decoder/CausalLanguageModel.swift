import UMedNN
import UMedTensor

/// A Llama-family decoder with its language-model head — transformers' `LlamaForCausalLM`,
/// `MistralForCausalLM`, `Qwen2ForCausalLM` — under their checkpoint keys: `model.embed_tokens.weight`,
/// `model.layers.N.…`, `model.norm.weight`, `lm_head.weight`. With tied embeddings the head shares
/// the embedding table's `Parameter` (one tensor, saved once under `model.embed_tokens.weight`).
///
/// The model holds no decode state: positions and keys/values live in the `KVCache` passed to
/// `forward`.
public final class CausalLanguageModel: Module, CausalModel {
    public let configuration: TextConfiguration
    public let model: DecoderModel
    public let lmHead: Linear

    public init(
        configuration: TextConfiguration, initialization: WeightInitialization = .random(nil),
        dtype: DType = .float32, device: Device = .cpu
    ) {
        self.configuration = configuration
        model = DecoderModel(configuration: configuration, initialization: initialization, dtype: dtype, device: device)
        lmHead = configuration.tieWordEmbeddings
            ? Linear(sharing: model.embedTokens.weight)
            : initialization.linear(configuration.hiddenSize, configuration.vocabularySize, bias: false, dtype: dtype,
                                    device: device)
    }

    public override var namedChildren: [(String, Module)] {
        [("model", model), ("lm_head", lmHead)]
    }

    public var layerCount: Int { model.layers.count }

    /// An empty cache for this model.
    public func makeCache(growth: KVCache.Growth = .concatenation) -> KVCache {
        KVCache(layerCount: layerCount, growth: growth)
    }

    /// Runs the new positions through the decoder, appending their keys and values to `cache`.
    ///
    /// - input: token ids [b, t] or embeddings [b, t, hidden].
    /// - attentionMask: 1 = token, 0 = (left) padding; either for the new positions [b, t] or for
    ///   everything held after the call [b, cache.length + t]. nil: no padding among the new ones
    ///   (earlier padding is remembered by the cache).
    /// - positionIds: [b or 1, t]; default transformers' (mask cumsum − 1, so left padding does not
    ///   shift positions).
    public func forward(
        _ input: DecoderInput, attentionMask: Tensor? = nil, positionIds: Tensor? = nil, cache: inout KVCache,
        options: ForwardOptions = ForwardOptions()
    ) -> DecoderOutput {
        // Only the last position's output is read: the last layer skips the others' (nothing captured).
        let lastOnly = options.logits == .last && !options.returnsHiddenStates && options.attentionCapture == nil
        let (hidden, attentions) = model.forward(
            input, attentionMask: attentionMask, positionIds: positionIds, cache: &cache,
            attentionCapture: options.attentionCapture, lastPositionOnly: lastOnly)
        let logits: Tensor?
        switch options.logits {
        case .all: logits = lmHead(hidden)
        case .last: logits = lmHead(hidden.narrow(dim: 1, start: hidden.size(1) - 1, length: 1))
        case .none: logits = nil
        }
        return DecoderOutput(
            logits: logits, hiddenStates: options.returnsHiddenStates ? hidden : nil, attentions: attentions)
    }

    /// A forward pass over a whole sequence without keeping decode state (training, scoring).
    public func forward(
        _ input: DecoderInput, attentionMask: Tensor? = nil, positionIds: Tensor? = nil,
        options: ForwardOptions = ForwardOptions()
    ) -> DecoderOutput {
        var cache = makeCache()
        return forward(input, attentionMask: attentionMask, positionIds: positionIds, cache: &cache, options: options)
    }
}
