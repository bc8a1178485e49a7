import ArgumentParser
import UMedModels
import UMedTraining

/// The models `umed bench sft-step` trains (random weights): the 26M-parameter model of the
/// comparison with PyTorch + transformers, and LLaVA-1.5-shaped models for GPUs — CLIP ViT-L/14 at
/// 336 px (577 tokens, features of the second-last layer) with a two-layer projector and a Llama
/// decoder: TinyLlama's shape (1.1B; 1.4B in all) or Llama-2-7B's (7B; trained through LoRA).
enum BenchTrainingModel: String, ExpressibleByArgument, CaseIterable {
    case bench
    case llava1B = "1b"
    case llava7B = "7b"

    var imageSize: Int { self == .bench ? 112 : 336 }
    var patchSize: Int { self == .bench ? 16 : 14 }

    /// LoRA rank unless --lora-rank says otherwise (0: every trained part fully).
    var defaultLoRARank: Int { self == .llava7B ? 64 : 0 }

    /// What trains: everything for the comparison model (as its peer); LLaVA's fine-tuning recipe
    /// (projector and decoder, the vision tower frozen) for the others.
    var trainedParts: Set<ModelPart> { self == .bench ? Set(ModelPart.allCases) : [.projector, .lm] }

    var configuration: LlavaConfiguration {
        switch self {
        case .bench:
            var vision = CLIPVisionConfig(hiddenSize: 256, intermediateSize: 1024, hiddenLayerCount: 4, attentionHeadCount: 4,
                                          imageSize: imageSize, patchSize: patchSize)
            vision.vit.hiddenActivation = .gelu
            let text = TextConfiguration.benchmarkLlama()
            return LlavaConfiguration(
                vision: .clip(vision), text: text, imageTokenIndex: text.vocabularySize - 1, visionFeatureLayer: .single(-1),
                visionFeatureSelectStrategy: .default, projectorKind: .twoLayerMLP, projectorActivation: .gelu)
        case .llava1B, .llava7B:
            var vision = CLIPVisionConfig(hiddenSize: 1024, intermediateSize: 4096, hiddenLayerCount: 24, attentionHeadCount: 16,
                                          imageSize: imageSize, patchSize: patchSize)
            vision.vit.hiddenActivation = .gelu
            let text = self == .llava1B
                ? TextConfiguration(modelType: .llama, vocabularySize: 32000, hiddenSize: 2048, intermediateSize: 5632, layerCount: 22,
                                    attentionHeadCount: 32, keyValueHeadCount: 4, maxPositionEmbeddings: 4096, bosTokenId: 1, eosTokenIds: [2])
                : TextConfiguration(modelType: .llama, vocabularySize: 32000, hiddenSize: 4096, intermediateSize: 11008, layerCount: 32,
                                    attentionHeadCount: 32, maxPositionEmbeddings: 4096, bosTokenId: 1, eosTokenIds: [2])
            return LlavaConfiguration(
                vision: .clip(vision), text: text, imageTokenIndex: text.vocabularySize - 1, visionFeatureLayer: .single(-2),
                visionFeatureSelectStrategy: .default, projectorKind: .twoLayerMLP, projectorActivation: .gelu)
        }
    }
}

/// Model FLOPs of one training step (matrix products and attention scores; what MFU divides by the
/// step time and the device's peak — recomputation by gradient checkpointing not counted, as in
/// PaLM's MFU). Each part's forward costs 2 FLOPs per weight per token it processes; its backward 2
/// more for the gradients of its inputs when anything below it trains, and 2 more for its weights
/// when it trains (LoRA: only the adapters' small products).
struct TrainingFLOPs {
    let configuration: LlavaConfiguration
    var visionWidth: Int
    var visionIntermediate: Int
    var visionLayers: Int
    var visionTokens: Int
    var patchSize: Int

    init(configuration: LlavaConfiguration, imageSize: Int, patchSize: Int, visionWidth: Int, visionIntermediate: Int, visionLayers: Int) {
        self.configuration = configuration
        self.patchSize = patchSize
        self.visionWidth = visionWidth
        self.visionIntermediate = visionIntermediate
        self.visionLayers = visionLayers
        visionTokens = (imageSize / patchSize) * (imageSize / patchSize) + 1
    }

    /// FLOPs of a step over `batch` sequences of `length` tokens, each holding one image and
    /// `answerTokens` trained tokens (only those go through the output head).
    func perStep(batch: Int, length: Int, answerTokens: Int, trained: Set<ModelPart>, loraRank: Int) -> Double {
        let text = configuration.text
        let (h, layers) = (Double(text.hiddenSize), Double(text.layerCount))
        let queryWidth = Double(text.attentionHeadCount * text.headDimension)
        let keyValueWidth = Double(text.keyValueHeadCount * text.headDimension)
        let decoderWeights = layers * (h * queryWidth * 2 + h * keyValueWidth * 2 + 3 * h * Double(text.intermediateSize))
        let decoderAttention = layers * 4 * Double(length) * queryWidth  // per token: QKᵀ and AV
        let v = Double(visionWidth)
        let visionWeights = Double(visionLayers) * (4 * v * v + 2 * v * Double(visionIntermediate)) + Double(3 * patchSize * patchSize) * v
        let visionAttention = Double(visionLayers) * 4 * Double(visionTokens) * v
        let projectorWeights = v * h + h * h
        let imageTokens = Double(visionTokens - 1)

        // Backward multipliers, bottom (vision) to top (head): inputs' gradients flow through a part
        // when anything below it trains.
        let visionTrains = trained.contains(.vision), projectorTrains = trained.contains(.projector)
        let decoderTrains = trained.contains(.lm)
        let lora = loraRank > 0
        func multiplier(trains: Bool, below: Bool) -> Double { 1 + (below ? 1 : 0) + (trains ? 1 : 0) }
        let visionFactor = multiplier(trains: visionTrains, below: false)
        let projectorFactor = multiplier(trains: projectorTrains, below: visionTrains)
        let belowDecoder = visionTrains || projectorTrains
        let decoderFactor = multiplier(trains: decoderTrains && !lora, below: belowDecoder || (decoderTrains && lora))
        let attentionFactor: Double = (belowDecoder || decoderTrains) ? 3 : 1
        let headFactor = multiplier(trains: decoderTrains && !lora, below: belowDecoder || decoderTrains)

        let images = Double(batch), tokens = Double(batch * length)
        var flops = 2 * visionWeights * Double(visionTokens) * images * visionFactor
            + visionAttention * Double(visionTokens) * images * (visionTrains ? 3 : 1)
            + 2 * projectorWeights * imageTokens * images * projectorFactor
            + 2 * decoderWeights * tokens * decoderFactor
            + decoderAttention * tokens * attentionFactor
            + 2 * Double(text.vocabularySize) * h * Double(batch * answerTokens) * headFactor
        if lora && decoderTrains {
            // Adapters on every projection: rank × (in + out) weights each, forward and both gradients.
            let adapterWeights = layers * Double(loraRank) * (2 * (h + queryWidth) + 2 * (h + keyValueWidth)
                + 3 * (h + Double(text.intermediateSize)))
            flops += 2 * adapterWeights * tokens * 3
        }
        return flops
    }
}
