import UMedNN
import UMedTensor

/// The body of a Llama-family decoder (keys "embed_tokens", "layers.N", "norm"; transformers'
/// `LlamaModel`): embeddings → layers → final RMSNorm.
public final class DecoderModel: Module {
    public let configuration: TextConfiguration
    public let embedTokens: Embedding
    public let layers: ModuleList<DecoderLayer>
    public let norm: RMSNorm
    public let rotaryEmbedding: RotaryEmbedding

    public init(
        configuration: TextConfiguration, initialization: WeightInitialization = .random(nil),
        dtype: DType = .float32, device: Device = .cpu
    ) {
        self.configuration = configuration
        embedTokens = initialization.embedding(
            configuration.vocabularySize, configuration.hiddenSize, dtype: dtype, device: device)
        layers = ModuleList((0..<configuration.layerCount).map {
            DecoderLayer(configuration: configuration, layerIndex: $0, initialization: initialization, dtype: dtype,
                         device: device)
        })
        norm = RMSNorm(dimensions: configuration.hiddenSize, eps: configuration.rmsNormEpsilon, dtype: dtype,
                       device: device)
        rotaryEmbedding = RotaryEmbedding(configuration: configuration, device: device)
    }

    public override var namedChildren: [(String, Module)] {
        [("embed_tokens", embedTokens), ("layers", layers), ("norm", norm)]
    }

    /// Embeddings of int64 token ids [b, t] → [b, t, hidden].
    public func embed(_ tokens: Tensor) -> Tensor {
        embedTokens(tokens)
    }

    /// Runs the layers over the new positions, appending their keys and values to `cache`.
    /// Returns the final hidden states [b, t, hidden] (after the norm) and the captured attention.
    public func forward(
        _ input: DecoderInput, attentionMask: Tensor? = nil, positionIds: Tensor? = nil, cache: inout KVCache,
        attentionCapture: AttentionCapture? = nil
    ) -> (hiddenStates: Tensor, attentions: [CapturedAttention]) {
        precondition(cache.layerCount == layers.count,
                     "a KV cache for \(cache.layerCount) layers given to a \(layers.count)-layer decoder")
        var hidden: Tensor
        switch input {
        case .tokens(let ids): hidden = embed(ids)
        case .embeddings(let embeddings): hidden = embeddings
        }
        let step = DecoderStep(
            cache: cache, batchSize: input.batchSize, newCount: input.length, attentionMask: attentionMask,
            positionIds: positionIds, dtype: hidden.dtype, device: hidden.device)
        let rotary = rotaryEmbedding.cosineAndSine(positions: step.positions, dtype: hidden.dtype)
        let captured = Set(attentionCapture?.layerIndices(layerCount: layers.count) ?? [])
        var attentions: [CapturedAttention] = []
        for (index, layer) in layers.enumerated() {
            let (output, probabilities) = layer(
                hidden, rotary: rotary, mask: step.additiveMask(slidingWindow: layer.selfAttention.slidingWindow),
                cache: &cache, layerIndex: index, returnProbabilities: captured.contains(index))
            hidden = output
            if let probabilities, let attentionCapture {
                attentions.append(CapturedAttention(
                    layer: index, probabilities: attentionCapture.select(probabilities, paddingMask: step.paddingMask)))
            }
        }
        cache.commit(count: step.newCount, paddingMask: step.paddingMask)
        return (norm(hidden), attentions)
    }
}
