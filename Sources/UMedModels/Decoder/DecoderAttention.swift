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

    /// hidden [b, t, hidden] → ([b, t − queryStart, hidden], probabilities [b, heads, t − queryStart, keys]
    /// when asked). Appends this call's keys and values (all t positions) to `cache` under
    /// `layerIndex`; only positions queryStart..<t query them (a prefill whose earlier positions'
    /// outputs nobody reads computes its last layer for the last position alone).
    func callAsFunction(
        _ hidden: Tensor, rotary: (cos: Tensor, sin: Tensor), mask: Tensor?, cache: inout KVCache,
        layerIndex: Int, returnProbabilities: Bool, queryStart: Int = 0
    ) -> (output: Tensor, probabilities: Tensor?) {
        let batch = hidden.size(0), length = hidden.size(1), queries = length - queryStart
        func heads(_ projection: Linear, _ input: Tensor, _ count: Int) -> Tensor {
            projection(input).view([batch, input.size(1), count, headDimension]).transposed(1, 2)
        }
        func fromStart(_ tensor: Tensor) -> Tensor {
            queryStart == 0 ? tensor : tensor.narrow(dim: 2, start: queryStart, length: queries)
        }
        let queryInput = queryStart == 0 ? hidden : hidden.narrow(dim: 1, start: queryStart, length: queries)
        let query = RotaryEmbedding.apply(
            heads(queryProjection, queryInput, headCount), cos: fromStart(rotary.cos), sin: fromStart(rotary.sin))
        let key = RotaryEmbedding.apply(heads(keyProjection, hidden, keyValueHeadCount), cos: rotary.cos, sin: rotary.sin)
        let held = cache.append(layer: layerIndex, keys: key, values: heads(valueProjection, hidden, keyValueHeadCount))
        let (attended, probabilities) = scaledDotProductAttention(
            query: query, key: held.keys, value: held.values, mask: mask.map(fromStart),
            returnProbabilities: returnProbabilities)
        let merged = attended.transposed(1, 2).reshaped([batch, queries, headCount * headDimension])
        return (outputProjection(merged), probabilities)
    }
}
