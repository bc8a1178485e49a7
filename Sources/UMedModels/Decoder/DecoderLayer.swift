import UMedNN
import UMedTensor

/// One pre-norm block of a Llama-family decoder (keys "input_layernorm", "self_attn",
/// "post_attention_layernorm", "mlp"): x + attention(norm(x)), then x + SwiGLU(norm(x)).
public final class DecoderLayer: Module {
    public let inputNorm: RMSNorm
    public let selfAttention: DecoderAttention
    public let postAttentionNorm: RMSNorm
    public let mlp: SwiGLUMLP

    public init(
        configuration: TextConfiguration, layerIndex: Int, initialization: WeightInitialization = .random(nil),
        dtype: DType = .float32, device: Device = .cpu
    ) {
        let hidden = configuration.hiddenSize
        inputNorm = RMSNorm(dimensions: hidden, eps: configuration.rmsNormEpsilon, dtype: dtype, device: device)
        selfAttention = DecoderAttention(
            configuration: configuration, layerIndex: layerIndex, initialization: initialization, dtype: dtype,
            device: device)
        postAttentionNorm = RMSNorm(dimensions: hidden, eps: configuration.rmsNormEpsilon, dtype: dtype, device: device)
        let generator: Generator? = if case .random(let generator) = initialization { generator } else { nil }
        mlp = SwiGLUMLP(
            hiddenSize: hidden, intermediateSize: configuration.intermediateSize,
            activation: configuration.hiddenActivation, bias: configuration.hasMLPBias, dtype: dtype, device: device,
            generator: generator)
    }

    public override var namedChildren: [(String, Module)] {
        [("input_layernorm", inputNorm), ("self_attn", selfAttention),
         ("post_attention_layernorm", postAttentionNorm), ("mlp", mlp)]
    }

    /// hidden [b, t, hidden] → [b, t − queryStart, hidden]: every position's keys and values go into
    /// the cache, the outputs only from `queryStart` on.
    func callAsFunction(
        _ hidden: Tensor, rotary: (cos: Tensor, sin: Tensor), mask: Tensor?, cache: inout KVCache,
        layerIndex: Int, returnProbabilities: Bool, queryStart: Int = 0
    ) -> (output: Tensor, probabilities: Tensor?) {
        let (attended, probabilities) = selfAttention(
            inputNorm(hidden), rotary: rotary, mask: mask, cache: &cache, layerIndex: layerIndex,
            returnProbabilities: returnProbabilities, queryStart: queryStart)
        let residual = queryStart == 0
            ? hidden : hidden.narrow(dim: 1, start: queryStart, length: hidden.size(1) - queryStart)
        let afterAttention = residual + attended
        return (afterAttention + mlp(postAttentionNorm(afterAttention)), probabilities)
    }
}
