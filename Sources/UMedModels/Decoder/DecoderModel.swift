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
    /// Whether each layer runs as a gradient checkpoint while gradients are recorded and the
    /// forward starts from an empty KV cache without attention capture (training): its activations
    /// are recomputed in backward instead of kept (less memory, one more forward per layer).
    public var usesGradientCheckpointing = false

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
    /// With `lastPositionOnly` the hidden states are [b, 1, hidden], the last position's: the last
    /// layer then computes its keys and values for every position (the cache needs them) but its
    /// attention, projection and MLP for the last position alone — the same numbers for that
    /// position, a layer's worth less work over a long prompt (generation's prefill).
    public func forward(
        _ input: DecoderInput, attentionMask: Tensor? = nil, positionIds: Tensor? = nil, cache: inout KVCache,
        attentionCapture: AttentionCapture? = nil, lastPositionOnly: Bool = false
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
        let checkpointing = usesGradientCheckpointing && Tensor.isGradEnabled && cache.isEmpty && captured.isEmpty
        for (index, layer) in layers.enumerated() {
            let mask = step.additiveMask(slidingWindow: layer.selfAttention.slidingWindow)
            if checkpointing {
                hidden = checkpointedLayer(index, hidden, rotary: rotary, mask: mask, newCount: step.newCount,
                                           cache: &cache)
                continue
            }
            let trimmed = lastPositionOnly && index == layers.count - 1 && step.newCount > 1
            let (output, probabilities) = layer(
                hidden, rotary: rotary, mask: mask, cache: &cache, layerIndex: index,
                returnProbabilities: captured.contains(index), queryStart: trimmed ? step.newCount - 1 : 0)
            hidden = output
            if let probabilities, let attentionCapture {
                attentions.append(CapturedAttention(
                    layer: index, probabilities: attentionCapture.select(probabilities, paddingMask: step.paddingMask)))
            }
        }
        cache.commit(count: step.newCount, paddingMask: step.paddingMask)
        if lastPositionOnly && hidden.size(1) > 1 {
            hidden = hidden.narrow(dim: 1, start: hidden.size(1) - 1, length: 1)
        }
        return (norm(hidden), attentions)
    }

    /// Layer `index` as a gradient checkpoint. Inside, the layer writes into a scratch cache of its
    /// own (the body runs again in backward); its keys and values come out as outputs and go into
    /// `cache` as the plain layer would have put them.
    private func checkpointedLayer(
        _ index: Int, _ hidden: Tensor, rotary: (cos: Tensor, sin: Tensor), mask: Tensor?, newCount: Int,
        cache: inout KVCache
    ) -> Tensor {
        let layer = layers[index], layerCount = layers.count
        let outputs = Tensor.checkpointed([hidden]) { inputs in
            var scratch = KVCache(layerCount: layerCount)
            let (output, _) = layer(
                inputs[0], rotary: rotary, mask: mask, cache: &scratch, layerIndex: index, returnProbabilities: false)
            scratch.commit(count: newCount, paddingMask: nil)
            return [output, scratch.keys(layer: index)!, scratch.values(layer: index)!]
        }
        _ = cache.append(layer: index, keys: outputs[1], values: outputs[2])
        return outputs[0]
    }
}
