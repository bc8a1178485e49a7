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
        patchEmbedding = config.vit.patchConvolution(bias: false, dtype: dtype, device: device, generator: generator)
        positionEmbedding = config.vit.positionEmbedding(
            count: config.vit.patchCount + 1, dtype: dtype, device: device, generator: generator)
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
        preLayerNorm = config.vit.layerNorm(dtype: dtype, device: device)
        encoder = VisionEncoder(config.vit, dtype: dtype, device: device, generator: generator)
        postLayerNorm = config.vit.layerNorm(dtype: dtype, device: device)
    }

    public override var namedChildren: [(String, Module)] {
        [("embeddings", embeddings), ("pre_layrnorm", preLayerNorm), ("encoder", encoder),
         ("post_layernorm", postLayerNorm)]
    }
}

/// transformers' `CLIPVisionModel`: the CLIP ViT image tower of LLaVA-1.5 and LLaVA-Med (keys
/// "vision_model.embeddings.patch_embedding.weight", "vision_model.encoder.layers.0.self_attn.q_proj.weight", …).
public final class CLIPVisionModel: Module, ViTTowerModel {
    public let config: CLIPVisionConfig
    public let visionModel: CLIPVisionTransformer

    public init(_ config: CLIPVisionConfig, dtype: DType = .float32, device: Device = .cpu,
                generator: Generator? = nil) {
        self.config = config
        visionModel = CLIPVisionTransformer(config, dtype: dtype, device: device, generator: generator)
    }

    public override var namedChildren: [(String, Module)] { [("vision_model", visionModel)] }

    public var classTokenCount: Int { 1 }

    public func hiddenStates(_ pixelValues: Tensor, layerLimit: Int?) -> [Tensor] {
        checkImageSize(pixelValues)
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
