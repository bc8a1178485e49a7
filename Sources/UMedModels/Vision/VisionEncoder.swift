import UMedNN
import UMedTensor

/// Multi-head self-attention of CLIP's and SigLIP's ViT (keys "q_proj", "k_proj", "v_proj",
/// "out_proj", each with bias), over [batch, tokens, width] without a mask.
public final class VisionSelfAttention: Module {
    public let queryProjection: Linear
    public let keyProjection: Linear
    public let valueProjection: Linear
    public let outputProjection: Linear
    public let headCount: Int
    public let dropout: Double

    public init(
        hiddenSize: Int, headCount: Int, dropout: Double = 0, dtype: DType = .float32, device: Device = .cpu,
        generator: Generator? = nil
    ) {
        precondition(hiddenSize % headCount == 0, "width \(hiddenSize) must be a multiple of \(headCount) heads")
        func projection() -> Linear {
            Linear(inputSize: hiddenSize, outputSize: hiddenSize, dtype: dtype, device: device, generator: generator)
        }
        queryProjection = projection()
        keyProjection = projection()
        valueProjection = projection()
        outputProjection = projection()
        self.headCount = headCount
        self.dropout = dropout
    }

    public override var namedChildren: [(String, Module)] {
        [("q_proj", queryProjection), ("k_proj", keyProjection), ("v_proj", valueProjection),
         ("out_proj", outputProjection)]
    }

    public func callAsFunction(_ hiddenStates: Tensor) -> Tensor {
        let shape = hiddenStates.shape
        let (batch, tokens, width) = (shape[0], shape[1], shape[2])
        func heads(_ projected: Tensor) -> Tensor {
            projected.reshaped([batch, tokens, headCount, width / headCount]).transposed(1, 2)
        }
        let attended = scaledDotProductAttention(
            query: heads(queryProjection(hiddenStates)), key: heads(keyProjection(hiddenStates)),
            value: heads(valueProjection(hiddenStates)), dropout: dropout, training: isTraining
        ).output
        return outputProjection(attended.transposed(1, 2).reshaped([batch, tokens, width]))
    }
}

/// One pre-norm transformer block of CLIP's and SigLIP's ViT: x + attn(LN1(x)), then + MLP(LN2(·))
/// (keys "layer_norm1", "self_attn", "layer_norm2", "mlp.fc1", "mlp.fc2").
public final class VisionEncoderLayer: Module, UnaryLayer {
    public let layerNorm1: LayerNorm
    public let selfAttention: VisionSelfAttention
    public let layerNorm2: LayerNorm
    public let mlp: MLP

    public init(
        hiddenSize: Int, intermediateSize: Int, headCount: Int, activation: Activation, layerNormEps: Double,
        attentionDropout: Double = 0, dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil
    ) {
        layerNorm1 = LayerNorm(dimensions: hiddenSize, eps: layerNormEps, dtype: dtype, device: device)
        selfAttention = VisionSelfAttention(hiddenSize: hiddenSize, headCount: headCount, dropout: attentionDropout,
                                            dtype: dtype, device: device, generator: generator)
        layerNorm2 = LayerNorm(dimensions: hiddenSize, eps: layerNormEps, dtype: dtype, device: device)
        mlp = MLP(hiddenSize: hiddenSize, intermediateSize: intermediateSize, activation: activation, dtype: dtype,
                  device: device, generator: generator)
    }

    public override var namedChildren: [(String, Module)] {
        [("layer_norm1", layerNorm1), ("self_attn", selfAttention), ("layer_norm2", layerNorm2), ("mlp", mlp)]
    }

    public func callAsFunction(_ hiddenStates: Tensor) -> Tensor {
        let attended = hiddenStates + selfAttention(layerNorm1(hiddenStates))
        return attended + mlp(layerNorm2(attended))
    }
}

/// The stack of ViT blocks (key "layers.N").
public final class VisionEncoder: Module {
    public let layers: ModuleList<VisionEncoderLayer>
    /// Whether each layer runs as a gradient checkpoint while gradients are recorded: its
    /// activations are recomputed in backward instead of kept (less memory, one more forward).
    public var usesGradientCheckpointing = false

    public init(
        layerCount: Int, hiddenSize: Int, intermediateSize: Int, headCount: Int, activation: Activation,
        layerNormEps: Double, attentionDropout: Double = 0, dtype: DType = .float32, device: Device = .cpu,
        generator: Generator? = nil
    ) {
        layers = ModuleList((0..<layerCount).map { _ in
            VisionEncoderLayer(
                hiddenSize: hiddenSize, intermediateSize: intermediateSize, headCount: headCount,
                activation: activation, layerNormEps: layerNormEps, attentionDropout: attentionDropout,
                dtype: dtype, device: device, generator: generator)
        })
    }

    public override var namedChildren: [(String, Module)] { [("layers", layers)] }

    /// The input followed by the output of each of the first `layerLimit` layers (all by default):
    /// transformers' `hidden_states` with `output_hidden_states=True`.
    public func hiddenStates(_ input: Tensor, layerLimit: Int? = nil) -> [Tensor] {
        let limit = Swift.min(layerLimit ?? layers.count, layers.count)
        var states = [input]
        states.reserveCapacity(limit + 1)
        let checkpointing = usesGradientCheckpointing && Tensor.isGradEnabled
        for layer in layers.prefix(limit) {
            let input = states[states.count - 1]
            states.append(checkpointing ? Tensor.checkpointed(input) { layer($0) } : layer(input))
        }
        return states
    }
}

// MARK: the parts of a ViT tower that CLIP and SigLIP build alike from their configuration

extension VisionEncoder {
    /// The encoder `config` describes.
    public convenience init(_ config: ViTConfiguration, dtype: DType = .float32, device: Device = .cpu,
                            generator: Generator? = nil) {
        self.init(
            layerCount: config.hiddenLayerCount, hiddenSize: config.hiddenSize,
            intermediateSize: config.intermediateSize, headCount: config.attentionHeadCount,
            activation: config.hiddenActivation, layerNormEps: config.layerNormEps,
            attentionDropout: config.attentionDropout, dtype: dtype, device: device, generator: generator)
    }
}

extension ViTConfiguration {
    /// Patch tokens per image: (image_size / patch_size)², a remainder dropped.
    var patchCount: Int { (imageSize / patchSize) * (imageSize / patchSize) }

    /// The strided patch convolution ("patch_embedding").
    func patchConvolution(bias: Bool, dtype: DType, device: Device, generator: Generator?) -> Conv2d {
        Conv2d(inputChannels: channelCount, outputChannels: hiddenSize, kernelSize: patchSize, stride: patchSize,
               bias: bias, dtype: dtype, device: device, generator: generator)
    }

    /// Learned absolute positions for `count` tokens ("position_embedding").
    func positionEmbedding(count: Int, dtype: DType, device: Device, generator: Generator?) -> Embedding {
        Embedding(count: count, dimensions: hiddenSize, dtype: dtype, device: device, generator: generator)
    }

    /// A layer norm over the hidden width ("pre_layrnorm", "post_layernorm").
    func layerNorm(dtype: DType, device: Device) -> LayerNorm {
        LayerNorm(dimensions: hiddenSize, eps: layerNormEps, dtype: dtype, device: device)
    }
}

/// A ViT image tower model (CLIP, SigLIP): its `VisionTower` sizes are those of its configuration.
public protocol ViTTowerModel: VisionTower {
    associatedtype Configuration: ViTFamilyConfiguration
    var config: Configuration { get }
}

extension ViTTowerModel {
    public var imageSize: Int { config.imageSize }
    public var patchSize: Int { config.patchSize }
    public var hiddenSize: Int { config.hiddenSize }
    public var layerCount: Int { config.hiddenLayerCount }

    /// Stops unless `pixelValues` is [batch, channels, image_size, image_size] (no position
    /// interpolation).
    func checkImageSize(_ pixelValues: Tensor) {
        let shape = pixelValues.shape
        precondition(shape.count == 4 && shape[2] == imageSize && shape[3] == imageSize,
                     "pixel values must be [batch, channels, \(imageSize), \(imageSize)], got \(shape)")
    }
}

/// [batch, channels, h, w] → [batch, patches, width]: the patch convolution in the weights' dtype,
/// flattened row-major.
func patchEmbeddings(_ pixelValues: Tensor, _ convolution: Conv2d) -> Tensor {
    let weightType = convolution.weight.dtype
    let input = pixelValues.dtype == weightType ? pixelValues : pixelValues.to(weightType)
    return convolution(input).flattened(from: 2).transposed(1, 2)
}
