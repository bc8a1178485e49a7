import UMedNN
import UMedTensor

/// Self-attention of a Llama-family layer (keys "q_proj", "k_proj", "v_proj", "o_proj"):
/// grouped-query heads, RoPE on queries and keys, optional biases (Qwen2's q/k/v, Llama's
/// `attention_bias`), keys and values appended to the KV cache, eager float32 softmax.
public final class DecoderAttention: Module {
    public let queryProjection: Linear
    public let keyProjection: Linear
    public let valueProjection: Linear
    public let outputProjection: Linear
    public let headCount: Int
    public let keyValueHeadCount: Int
    public let headDimension: Int
    /// This layer's window in tokens, or nil for full causal attention.
    public let slidingWindow: Int?

    public init(
        configuration: TextConfiguration, layerIndex: Int, initialization: WeightInitialization = .random(nil),
        dtype: DType = .float32, device: Device = .cpu
    ) {
        let hidden = configuration.hiddenSize, dimension = configuration.headDimension
        headCount = configuration.attentionHeadCount
        keyValueHeadCount = configuration.keyValueHeadCount
        headDimension = dimension
        slidingWindow = configuration.slidingWindow(ofLayer: layerIndex)
        let inputBias = configuration.hasQueryKeyValueBias
        queryProjection = initialization.linear(hidden, headCount * dimension, bias: inputBias, dtype: dtype, device: device)
        keyProjection = initialization.linear(hidden, keyValueHeadCount * dimension, bias: inputBias, dtype: dtype,
                                              device: device)
        valueProjection = initialization.linear(hidden, keyValueHeadCount * dimension, bias: inputBias, dtype: dtype,
                                                device: device)
        outputProjection = initialization.linear(headCount * dimension, hidden,
                                                 bias: configuration.hasOutputProjectionBias, dtype: dtype, device: device)
    }

    public override var namedChildren: [(String, Module)] {
        [("q_proj", queryProjection), ("k_proj", keyProjection), ("v_proj", valueProjection),
         ("o_proj", outputProjection)]
    }

    /// hidden [b, t, hidden] → ([b, t, hidden], probabilities [b, heads, t, keys] when asked).
    /// Appends this call's keys and values to `cache` under `layerIndex`.
    func callAsFunction(
        _ hidden: Tensor, rotary: (cos: Tensor, sin: Tensor), mask: Tensor?, cache: inout KVCache,
        layerIndex: Int, returnProbabilities: Bool
    ) -> (output: Tensor, probabilities: Tensor?) {
        let batch = hidden.size(0), length = hidden.size(1)
        func heads(_ projection: Linear, _ count: Int) -> Tensor {
            projection(hidden).view([batch, length, count, headDimension]).transposed(1, 2)
        }
        let query = RotaryEmbedding.apply(heads(queryProjection, headCount), cos: rotary.cos, sin: rotary.sin)
        let key = RotaryEmbedding.apply(heads(keyProjection, keyValueHeadCount), cos: rotary.cos, sin: rotary.sin)
        let held = cache.append(layer: layerIndex, keys: key, values: heads(valueProjection, keyValueHeadCount))
        let (attended, probabilities) = scaledDotProductAttention(
            query: query, key: held.keys, value: held.values, mask: mask, returnProbabilities: returnProbabilities)
        let merged = attended.transposed(1, 2).reshaped([batch, length, headCount * headDimension])
        return (outputProjection(merged), probabilities)
    }
}
