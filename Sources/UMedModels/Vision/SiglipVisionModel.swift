import UMedNN
import UMedTensor

/// SigLIP's patch embedding: a strided convolution with bias and learned absolute positions, no
/// class token (keys "patch_embedding.*", "position_embedding.weight").
public final class SiglipVisionEmbeddings: Module {
    public let patchEmbedding: Conv2d
    public let positionEmbedding: Embedding

    public init(_ config: SiglipVisionConfig, dtype: DType = .float32, device: Device = .cpu,
                generator: Generator? = nil) {
        patchEmbedding = config.vit.patchConvolution(bias: true, dtype: dtype, device: device, generator: generator)
        positionEmbedding = config.vit.positionEmbedding(
            count: config.vit.patchCount, dtype: dtype, device: device, generator: generator)
    }

    public override var namedChildren: [(String, Module)] {
        [("patch_embedding", patchEmbedding), ("position_embedding", positionEmbedding)]
    }

    /// [batch, channels, size, size] pixels → [batch, patches, width].
    public func callAsFunction(_ pixelValues: Tensor) -> Tensor {
        patchEmbeddings(pixelValues, patchEmbedding) + positionEmbedding.weight.value.unsqueezed(dim: 0)
    }
}

/// SigLIP's attention-pooling head: a learned probe attends over the tokens through
/// torch.nn.MultiheadAttention, then a residual MLP (keys "probe", "attention.in_proj_weight",
/// "attention.in_proj_bias", "attention.out_proj.*", "layernorm.*", "mlp.fc1.*", "mlp.fc2.*").
public final class SiglipAttentionPoolingHead: Module {
    public let probe: Parameter
    public let inputProjectionWeight: Parameter
    public let inputProjectionBias: Parameter
    public let outputProjection: Linear
    public let layerNorm: LayerNorm
    public let mlp: MLP
    public let headCount: Int

    public init(_ config: SiglipVisionConfig, dtype: DType = .float32, device: Device = .cpu,
                generator: Generator? = nil) {
        let width = config.hiddenSize
        probe = Parameter(Tensor.randn([1, 1, width], dtype: dtype, device: device, generator: generator))
        let packed = Linear(inputSize: width, outputSize: 3 * width, dtype: dtype, device: device, generator: generator)
        inputProjectionWeight = packed.weight
        inputProjectionBias = packed.bias!
        outputProjection = Linear(inputSize: width, outputSize: width, dtype: dtype, device: device, generator: generator)
        layerNorm = config.vit.layerNorm(dtype: dtype, device: device)
        mlp = MLP(hiddenSize: width, intermediateSize: config.intermediateSize, activation: config.hiddenActivation,
                  dtype: dtype, device: device, generator: generator)
        headCount = config.attentionHeadCount
    }

    public override var namedOwnParameters: [(String, Parameter)] {
        [("probe", probe), ("attention.in_proj_weight", inputProjectionWeight),
         ("attention.in_proj_bias", inputProjectionBias)]
    }

    public override var namedChildren: [(String, Module)] {
        [("attention.out_proj", outputProjection), ("layernorm", layerNorm), ("mlp", mlp)]
    }

    /// [batch, tokens, width] → [batch, width].
    public func callAsFunction(_ hiddenStates: Tensor) -> Tensor {
        let batch = hiddenStates.size(0), tokens = hiddenStates.size(1), width = hiddenStates.size(2)
        let weights = inputProjectionWeight.value.chunked(3, dim: 0)
        let biases = inputProjectionBias.value.chunked(3, dim: 0)
        func heads(_ input: Tensor, _ part: Int, length: Int) -> Tensor {
            input.linear(weight: weights[part], bias: biases[part])
                .reshaped([batch, length, headCount, width / headCount]).transposed(1, 2)
        }
        let query = heads(probe.value.expanded(to: [batch, 1, width]), 0, length: 1)
        let attended = scaledDotProductAttention(
            query: query, key: heads(hiddenStates, 1, length: tokens), value: heads(hiddenStates, 2, length: tokens)
        ).output
        let pooled = outputProjection(attended.transposed(1, 2).reshaped([batch, 1, width]))
        return (pooled + mlp(layerNorm(pooled))).selected(dim: 1, index: 0)
    }
}

/// The body of transformers' SiglipVisionModel (checkpoint prefix "vision_model"): embeddings, the
/// encoder, "post_layernorm", and the optional pooling "head".
public final class SiglipVisionTransformer: Module {
    public let embeddings: SiglipVisionEmbeddings
    public let encoder: VisionEncoder
    public let postLayerNorm: LayerNorm
    public let head: SiglipAttentionPoolingHead?

    public init(_ config: SiglipVisionConfig, dtype: DType = .float32, device: Device = .cpu,
                generator: Generator? = nil) {
        embeddings = SiglipVisionEmbeddings(config, dtype: dtype, device: device, generator: generator)
        encoder = VisionEncoder(config.vit, dtype: dtype, device: device, generator: generator)
        postLayerNorm = config.vit.layerNorm(dtype: dtype, device: device)
        head = config.usesHead
            ? SiglipAttentionPoolingHead(config, dtype: dtype, device: device, generator: generator) : nil
    }

    public override var namedChildren: [(String, Module)] {
        [("embeddings", embeddings), ("encoder", encoder), ("post_layernorm", postLayerNorm)]
            + (head.map { [("head", $0 as Module)] } ?? [])
    }
}

/// transformers' `SiglipVisionModel`: the SigLIP ViT image tower (keys
/// "vision_model.embeddings.patch_embedding.weight", "vision_model.encoder.layers.0.mlp.fc1.weight", …).
public final class SiglipVisionModel: Module, ViTTowerModel {
    public let config: SiglipVisionConfig
    public let visionModel: SiglipVisionTransformer

    public init(_ config: SiglipVisionConfig, dtype: DType = .float32, device: Device = .cpu,
                generator: Generator? = nil) {
        self.config = config
        visionModel = SiglipVisionTransformer(config, dtype: dtype, device: device, generator: generator)
    }

    public override var namedChildren: [(String, Module)] { [("vision_model", visionModel)] }

    public var classTokenCount: Int { 0 }

    public func hiddenStates(_ pixelValues: Tensor, layerLimit: Int?) -> [Tensor] {
        checkImageSize(pixelValues)
        return visionModel.encoder.hiddenStates(visionModel.embeddings(pixelValues), layerLimit: layerLimit)
    }

    /// transformers' `last_hidden_state`: `post_layernorm` of the last layer's output.
    public func lastHiddenState(_ pixelValues: Tensor) -> Tensor {
        visionModel.postLayerNorm(hiddenStates(pixelValues, layerLimit: nil).last!)
    }

    /// transformers' `pooler_output` ([batch, width]); nil without the head (`vision_use_head`).
    public func pooledOutput(_ pixelValues: Tensor) -> Tensor? {
        visionModel.head.map { $0(lastHiddenState(pixelValues)) }
    }
}
