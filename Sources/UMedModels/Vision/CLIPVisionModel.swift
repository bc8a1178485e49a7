import UMedNN
import UMedTensor

/// CLIP's patch embedding: a strided convolution without bias, a learned class token in front, and
/// learned absolute positions (keys "class_embedding", "patch_embedding.weight",
/// "position_embedding.weight").
public final class CLIPVisionEmbeddings: Module {
    public let classEmbedding: Parameter
    public let patchEmbedding: Conv2d
    public let positionEmbedding: Embedding

    public init(_ config: CLIPVisionConfig, dtype: DType = .float32, device: Device = .cpu,
                generator: Generator? = nil) {
        classEmbedding = Parameter(Tensor.randn([config.hiddenSize], dtype: dtype, device: device, generator: generator))
        patchEmbedding = Conv2d(
            inputChannels: config.channelCount, outputChannels: config.hiddenSize, kernelSize: config.patchSize,
            stride: config.patchSize, bias: false, dtype: dtype, device: device, generator: generator)
        let patches = (config.imageSize / config.patchSize) * (config.imageSize / config.patchSize)
        positionEmbedding = Embedding(count: patches + 1, dimensions: config.hiddenSize, dtype: dtype, device: device,
                                      generator: generator)
    }

    public override var namedOwnParameters: [(String, Parameter)] { [("class_embedding", classEmbedding)] }

    public override var namedChildren: [(String, Module)] {
        [("patch_embedding", patchEmbedding), ("position_embedding", positionEmbedding)]
    }

    /// [batch, channels, size, size] pixels → [batch, 1 + patches, width].
    public func callAsFunction(_ pixelValues: Tensor) -> Tensor {
        let patches = patchEmbeddings(pixelValues, patchEmbedding)
        let batch = patches.size(0), width = patches.size(2)
        let classToken = classEmbedding.value.reshaped([1, 1, width]).expanded(to: [batch, 1, width])
        return Tensor.cat([classToken, patches], dim: 1) + positionEmbedding.weight.value.unsqueezed(dim: 0)
    }
}

/// The body of transformers' CLIPVisionModel (checkpoint prefix "vision_model"): embeddings,
/// "pre_layrnorm" (sic), the encoder, and "post_layernorm" for the pooled output.
public final class CLIPVisionTransformer: Module {
    public let embeddings: CLIPVisionEmbeddings
    public let preLayerNorm: LayerNorm
    public let encoder: VisionEncoder
    public let postLayerNorm: LayerNorm

    public init(_ config: CLIPVisionConfig, dtype: DType = .float32, device: Device = .cpu,
                generator: Generator? = nil) {
        embeddings = CLIPVisionEmbeddings(config, dtype: dtype, device: device, generator: generator)
        preLayerNorm = LayerNorm(dimensions: config.hiddenSize, eps: config.layerNormEps, dtype: dtype, device: device)
        encoder = VisionEncoder(
            layerCount: config.hiddenLayerCount, hiddenSize: config.hiddenSize,
            intermediateSize: config.intermediateSize, headCount: config.attentionHeadCount,
            activation: config.hiddenActivation, layerNormEps: config.layerNormEps,
            attentionDropout: config.attentionDropout, dtype: dtype, device: device, generator: generator)
        postLayerNorm = LayerNorm(dimensions: config.hiddenSize, eps: config.layerNormEps, dtype: dtype, device: device)
    }

    public override var namedChildren: [(String, Module)] {
        [("embeddings", embeddings), ("pre_layrnorm", preLayerNorm), ("encoder", encoder),
         ("post_layernorm", postLayerNorm)]
    }
}

/// transformers' `CLIPVisionModel`: the CLIP ViT image tower of LLaVA-1.5 and LLaVA-Med (keys
/// "vision_model.embeddings.patch_embedding.weight", "vision_model.encoder.layers.0.self_attn.q_proj.weight", …).
public final class CLIPVisionModel: Module, VisionTower {
    public let config: CLIPVisionConfig
    public let visionModel: CLIPVisionTransformer

    public init(_ config: CLIPVisionConfig, dtype: DType = .float32, device: Device = .cpu,
                generator: Generator? = nil) {
        self.config = config
        visionModel = CLIPVisionTransformer(config, dtype: dtype, device: device, generator: generator)
    }

    public override var namedChildren: [(String, Module)] { [("vision_model", visionModel)] }

    public var imageSize: Int { config.imageSize }
    public var patchSize: Int { config.patchSize }
    public var hiddenSize: Int { config.hiddenSize }
    public var layerCount: Int { config.hiddenLayerCount }
    public var classTokenCount: Int { 1 }

    public func hiddenStates(_ pixelValues: Tensor, layerLimit: Int?) -> [Tensor] {
        checkImageSize(pixelValues, config.imageSize)
        let embedded = visionModel.preLayerNorm(visionModel.embeddings(pixelValues))
        return visionModel.encoder.hiddenStates(embedded, layerLimit: layerLimit)
    }

    /// transformers' `last_hidden_state`: the last layer's output (before `post_layernorm`).
    public func lastHiddenState(_ pixelValues: Tensor) -> Tensor {
        hiddenStates(pixelValues, layerLimit: nil).last!
    }

    /// transformers' `pooler_output`: `post_layernorm` of the class token of the last layer,
    /// [batch, width].
    public func pooledOutput(_ pixelValues: Tensor) -> Tensor {
        visionModel.postLayerNorm(lastHiddenState(pixelValues).selected(dim: 1, index: 0))
    }
}

/// Stops unless `pixelValues` is [batch, channels, size, size] (no position interpolation).
func checkImageSize(_ pixelValues: Tensor, _ size: Int) {
    let shape = pixelValues.shape
    precondition(shape.count == 4 && shape[2] == size && shape[3] == size,
                 "pixel values must be [batch, channels, \(size), \(size)], got \(shape)")
}

/// [batch, channels, h, w] → [batch, patches, width]: the patch convolution in the weights' dtype,
/// flattened row-major.
func patchEmbeddings(_ pixelValues: Tensor, _ convolution: Conv2d) -> Tensor {
    let weightType = convolution.weight.dtype
    let input = pixelValues.dtype == weightType ? pixelValues : pixelValues.to(weightType)
    return convolution(input).flattened(from: 2).transposed(1, 2)
}
