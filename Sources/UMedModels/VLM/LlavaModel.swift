import UMedNN
import UMedTensor

/// A LLaVA-family VLM: vision tower → projector → decoder. Positions of the prompt holding the
/// image token take the projected patch features, in order; the decoder attends to every patch.
///
/// Checkpoint keys (our canonical layout, the one the Hugging Face Hub's llava checkpoints use):
/// `vision_tower.vision_model.*`, `multi_modal_projector.linear_{1,2}.*`, `language_model.model.*`,
/// `language_model.lm_head.weight`. Other layouts are renamed on load (`LlavaWeights`).
public final class LlavaModel: Module, CausalModel {
    public let configuration: LlavaConfiguration
    public let visionTower: any VisionTower
    public let projector: MultimodalProjector
    public let languageModel: CausalLanguageModel

    public init(
        configuration: LlavaConfiguration, initialization: WeightInitialization = .random(nil),
        dtype: DType = .float32, device: Device = .cpu
    ) {
        self.configuration = configuration
        visionTower = makeVisionTower(configuration.vision, dtype: dtype, device: device)
        projector = MultimodalProjector(
            kind: configuration.projectorKind, inputSize: visionTower.featureSize(layer: configuration.visionFeatureLayer),
            outputSize: configuration.text.hiddenSize, activation: configuration.projectorActivation,
            bias: configuration.projectorHasBias, dtype: dtype, device: device)
        languageModel = CausalLanguageModel(
            configuration: configuration.text, initialization: initialization, dtype: dtype, device: device)
    }

    public override var namedChildren: [(String, Module)] {
        [("vision_tower", visionTower), ("multi_modal_projector", projector), ("language_model", languageModel)]
    }

    /// Image-token positions each image fills.
    public var imageTokenCount: Int {
        visionTower.featureTokenCount(strategy: configuration.visionFeatureSelectStrategy)
    }

    /// Which of an image's tokens hold its patches, in patch order — where attention to the image
    /// is read: all of them, except the class token the `full` strategy keeps first.
    public var patchTokenRange: Range<Int> {
        let first = visionTower.classTokenCount - (configuration.visionFeatureSelectStrategy == .default ? 1 : 0)
        return max(0, first)..<imageTokenCount
    }

    /// Projected features [images, imageTokenCount, hidden] of preprocessed pixels [images, 3, S, S].
    public func imageFeatures(_ pixelValues: Tensor) -> Tensor {
        let features = visionTower.features(
            pixelValues.to(projector.linear1.weight.value.dtype), layer: configuration.visionFeatureLayer,
            strategy: configuration.visionFeatureSelectStrategy)
        return projector(features)
    }

    /// Prompt embeddings [b, t, hidden] with the image-token positions replaced by the features of
    /// `pixelValues` (one image per run of `imageTokenCount` image tokens, in reading order).
    /// Throws when the prompt's image-token count does not match the images.
    public func embed(inputIds: Tensor, pixelValues: Tensor?) throws -> Tensor {
        let isImage = inputIds.eq(.integer(Int64(configuration.imageTokenIndex)))
        let found = isImage.sum().itemInt()
        let images = pixelValues?.size(0) ?? 0
        guard found == images * imageTokenCount else {
            throw ModelError.imageTokenMismatch(
                imageTokens: found, images: images, tokensPerImage: imageTokenCount, imageTokenIndex: configuration.imageTokenIndex)
        }
        // The image token may lie outside the vocabulary (original LLaVA's −200): look up 0 there.
        let ids = inputIds.maskedFill(isImage, 0)
        let embeddings = languageModel.model.embed(ids)
        guard let pixelValues, found > 0 else { return embeddings }
        let hidden = embeddings.size(-1)
        let features = imageFeatures(pixelValues).reshaped([-1, hidden]).to(embeddings.dtype)
        // Row k of `features` goes to the k-th image position in reading order.
        let flatMask = isImage.reshaped([-1])
        let rank = flatMask.to(.int64).cumsum(dim: 0) - 1
        let order = rank.maskedFill(rank.lt(0), 0)
        let spread = features.indexSelect(dim: 0, index: order)
        let merged = Tensor.where(flatMask.unsqueezed(dim: 1), spread, embeddings.reshaped([-1, hidden]))
        return merged.reshaped(embeddings.shape)
    }

    public func makeCache(growth: KVCache.Growth = .concatenation) -> KVCache {
        languageModel.makeCache(growth: growth)
    }

    /// The decoder's forward pass (token ids are embedded by the decoder; an image prompt comes in
    /// as embeddings from `embed(inputIds:pixelValues:)`).
    public func forward(
        _ input: DecoderInput, attentionMask: Tensor?, positionIds: Tensor?, cache: inout KVCache,
        options: ForwardOptions
    ) -> DecoderOutput {
        languageModel.forward(input, attentionMask: attentionMask, positionIds: positionIds, cache: &cache, options: options)
    }

    /// Logits for a prompt with images, without decode state (training, scoring, `umed forward`).
    public func forward(
        inputIds: Tensor, pixelValues: Tensor?, attentionMask: Tensor? = nil, options: ForwardOptions = ForwardOptions()
    ) throws -> DecoderOutput {
        let embeddings = try embed(inputIds: inputIds, pixelValues: pixelValues)
        return languageModel.forward(.embeddings(embeddings), attentionMask: attentionMask, options: options)
    }

    /// Generates answers for (left-padded) prompts with images. `attentionCapture` with key
    /// positions of the image tokens returns the answer's attention over the patches.
    public func generate(
        inputIds: Tensor, pixelValues: Tensor?, attentionMask: Tensor? = nil, configuration: GenerationConfiguration,
        attentionCapture: AttentionCapture? = nil, decodeText: (([Int]) -> String)? = nil
    ) throws -> GenerationResult {
        let embeddings = try Tensor.withoutGrad { try embed(inputIds: inputIds, pixelValues: pixelValues) }
        let prompt = GenerationPrompt(input: .tokens(inputIds), attentionMask: attentionMask)
        return try generate(
            GenerationPrompt(input: .embeddings(embeddings), attentionMask: attentionMask, tokenIds: prompt.tokenIds),
            configuration: configuration, attentionCapture: attentionCapture, decodeText: decodeText)
    }
}
