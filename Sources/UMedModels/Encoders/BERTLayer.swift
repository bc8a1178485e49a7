import UMedNN
import UMedTensor

/// BERT's self-attention projections (keys "query", "key", "value", each with bias).
public final class BertSelfAttention: Module {
    public let query: Linear
    public let key: Linear
    public let value: Linear
    public let headCount: Int
    public let dropout: Double

    public init(_ config: BertConfig, dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil) {
        func projection() -> Linear {
            Linear(inputSize: config.hiddenSize, outputSize: config.hiddenSize, dtype: dtype, device: device,
                   generator: generator)
        }
        query = projection()
        key = projection()
        value = projection()
        headCount = config.attentionHeadCount
        dropout = config.attentionDropout
    }

    public override var namedChildren: [(String, Module)] { [("query", query), ("key", key), ("value", value)] }

    /// [batch, tokens, width] → [batch, tokens, width] (heads merged, before the output dense).
    /// `mask` is additive, [batch, 1, 1, tokens] (see `AttentionMask.padding`).
    public func callAsFunction(_ hiddenStates: Tensor, mask: Tensor?) -> Tensor {
        let shape = hiddenStates.shape
        let (batch, tokens, width) = (shape[0], shape[1], shape[2])
        func heads(_ projected: Tensor) -> Tensor {
            projected.reshaped([batch, tokens, headCount, width / headCount]).transposed(1, 2)
        }
        let attended = scaledDotProductAttention(
            query: heads(query(hiddenStates)), key: heads(key(hiddenStates)), value: heads(value(hiddenStates)),
            mask: mask, dropout: dropout, training: isTraining
        ).output
        return attended.transposed(1, 2).reshaped([batch, tokens, width])
    }
}

/// A dense layer, dropout, then LayerNorm of the sum with the block's input: BERT's
/// `BertSelfOutput` and `BertOutput` (keys "dense", "LayerNorm").
public final class BertResidualOutput: Module {
    public let dense: Linear
    public let layerNorm: LayerNorm
    public let dropout: Double

    public init(inputSize: Int, _ config: BertConfig, dtype: DType = .float32, device: Device = .cpu,
                generator: Generator? = nil) {
        dense = Linear(inputSize: inputSize, outputSize: config.hiddenSize, dtype: dtype, device: device,
                       generator: generator)
        layerNorm = LayerNorm(dimensions: config.hiddenSize, eps: config.layerNormEps, dtype: dtype, device: device)
        dropout = config.hiddenDropout
    }

    public override var namedChildren: [(String, Module)] { [("dense", dense), ("LayerNorm", layerNorm)] }

    public func callAsFunction(_ hiddenStates: Tensor, residual: Tensor) -> Tensor {
        layerNorm(dense(hiddenStates).dropout(dropout, training: isTraining) + residual)
    }
}

/// BERT's attention block: self-attention then the residual output (keys "self", "output").
public final class BertAttention: Module {
    public let selfAttention: BertSelfAttention
    public let output: BertResidualOutput

    public init(_ config: BertConfig, dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil) {
        selfAttention = BertSelfAttention(config, dtype: dtype, device: device, generator: generator)
        output = BertResidualOutput(inputSize: config.hiddenSize, config, dtype: dtype, device: device,
                                    generator: generator)
    }

    public override var namedChildren: [(String, Module)] { [("self", selfAttention), ("output", output)] }

    public func callAsFunction(_ hiddenStates: Tensor, mask: Tensor?) -> Tensor {
        output(selfAttention(hiddenStates, mask: mask), residual: hiddenStates)
    }
}

/// One post-norm BERT layer: attention, then intermediate.dense + activation, then the residual
/// output (keys "attention", "intermediate.dense", "output").
public final class BertLayer: Module {
    public let attention: BertAttention
    public let intermediate: Linear
    public let output: BertResidualOutput
    public let activation: Activation

    public init(_ config: BertConfig, dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil) {
        attention = BertAttention(config, dtype: dtype, device: device, generator: generator)
        intermediate = Linear(inputSize: config.hiddenSize, outputSize: config.intermediateSize, dtype: dtype,
                              device: device, generator: generator)
        output = BertResidualOutput(inputSize: config.intermediateSize, config, dtype: dtype, device: device,
                                    generator: generator)
        activation = config.hiddenActivation
    }

    public override var namedChildren: [(String, Module)] {
        [("attention", attention), ("intermediate.dense", intermediate), ("output", output)]
    }

    public func callAsFunction(_ hiddenStates: Tensor, mask: Tensor?) -> Tensor {
        let attended = attention(hiddenStates, mask: mask)
        return output(activation(intermediate(attended)), residual: attended)
    }
}
