import Foundation
import UMedNN
import UMedTensor

// LLaVA checkpoints: read → rename to our canonical keys → apply strictly (DESIGN.md convention 5).
extension LlavaModel {
    /// Loads a LLaVA checkpoint directory: transformers' llava (any of its key layouts) or the
    /// original LLaVA / LLaVA-Med layout with its separate vision-tower checkpoint (`visionTower`
    /// overrides the one named in config.json). Evaluation mode; weights cast to `dtype` (default:
    /// the checkpoint's embedding dtype).
    public static func load(
        from directory: URL, visionTower: URL? = nil, dtype: DType? = nil, device: Device = .cpu
    ) throws -> LlavaModel {
        let configuration = try LlavaConfiguration.load(from: directory, visionTower: visionTower)
        let checkpoint = try CausalLanguageModel.openCheckpoint(directory)
        var tensors: [String: Tensor] = [:]
        switch configuration.layout {
        case .huggingFace:
            try collect(checkpoint, into: &tensors, rename: LlavaKeys.fromHuggingFace)
        case .original(let towerURL):
            try collect(checkpoint, into: &tensors) { LlavaKeys.fromOriginal($0, projector: configuration.projectorKind) }
            let tower = try CausalLanguageModel.openCheckpoint(towerURL)
            try collect(tower, into: &tensors, rename: LlavaKeys.fromVisionCheckpoint)
        }
        let embeddingKey = "language_model.model.embed_tokens.weight"
        let dtype = dtype ?? tensors[embeddingKey]?.dtype ?? .float32
        let model = LlavaModel(configuration: configuration, initialization: .uninitialized, dtype: dtype, device: device)
        do {
            try model.loadStateDict(tensors)
        } catch NNError.stateDictMismatch(let missing, let unexpected, let mismatches) {
            throw ModelError.weightsDoNotMatch(
                checkpoint: directory.path, missing: missing, unexpected: unexpected, shapeMismatches: mismatches)
        }
        model.eval()
        return model
    }

    private static func collect(
        _ checkpoint: SafetensorsCheckpoint, into tensors: inout [String: Tensor], rename: (String) -> String?
    ) throws {
        do {
            for name in checkpoint.names {
                guard let key = rename(name) else { continue }
                tensors[key] = try checkpoint.tensor(name)
            }
        } catch {
            throw ModelError.unreadableWeights(checkpoint: checkpoint.url.path, problem: "\(error)")
        }
    }

    /// Writes config.json and safetensors in transformers' llava layout (the Hub's keys), so
    /// `LlavaForConditionalGeneration.from_pretrained` reads the directory (a tied head once).
    public func save(to directory: URL) throws {
        var tensors: [String: Tensor] = [:]
        for (name, parameter) in namedParameters() { tensors[name] = parameter.value.detached() }
        try save(to: directory, tensors: tensors)
    }

    /// Writes `tensors` in place of the model's own parameters (e.g. this model's state with LoRA
    /// adapters merged, made without touching the live model) with this model's config.json.
    public func save(to directory: URL, tensors: [String: Tensor]) throws {
        let dtype = languageModel.model.embedTokens.weight.dtype.description
        do {
            try SafetensorsCheckpoint.write(tensors, metadata: ["format": "pt"], to: directory)
            try configuration.huggingFaceJSON(dtype: dtype, imageSequenceLength: imageTokenCount)
                .write(to: directory.appendingPathComponent("config.json"), options: .atomic)
        } catch {
            throw ModelError.unwritableCheckpoint(path: directory.path, problem: "\(error)")
        }
    }
}

/// The key maps from each known checkpoint layout to `LlavaModel`'s keys; nil skips a tensor that
/// is not a parameter (RoPE buffers, position ids, the text half of a CLIP checkpoint).
public enum LlavaKeys {
    static func isBuffer(_ name: String) -> Bool {
        name.hasSuffix("rotary_emb.inv_freq") || name.hasSuffix("embeddings.position_ids")
    }

    /// transformers' llava, as saved by 4.x (`language_model.model.*`, `vision_tower.vision_model.*`)
    /// or 5.x (`model.language_model.*`, `model.vision_tower.*`, top-level `lm_head.*`), and
    /// transformers 5's vision towers without the `vision_model.` level.
    public static func fromHuggingFace(_ name: String) -> String? {
        if isBuffer(name) { return nil }
        let moves: [(String, String)] = [
            ("model.language_model.", "language_model.model."),
            ("model.vision_tower.", "vision_tower."),
            ("model.multi_modal_projector.", "multi_modal_projector."),
            ("lm_head.", "language_model.lm_head."),
        ]
        var key = name
        for (old, new) in moves where key.hasPrefix(old) {
            key = new + key.dropFirst(old.count)
            break
        }
        if key.hasPrefix("vision_tower.") {
            return "vision_tower." + canonicalVisionTowerKey(String(key.dropFirst("vision_tower.".count)))
        }
        return key
    }

    /// The LLaVA repository's decoder checkpoint: `model.mm_projector.{0,2}` (or the bare linear
    /// `model.mm_projector.*`), the decoder under `model.*`, `lm_head.*`; a vision tower stored
    /// inside (`model.vision_tower.vision_tower.*`) is taken from there.
    public static func fromOriginal(_ name: String, projector: MultimodalProjector.Kind) -> String? {
        if isBuffer(name) { return nil }
        let projectorPrefix = "model.mm_projector."
        if name.hasPrefix(projectorPrefix) {
            let rest = name.dropFirst(projectorPrefix.count)
            switch projector {
            case .linear: return "multi_modal_projector.linear_1." + rest
            case .twoLayerMLP:
                if rest.hasPrefix("0.") { return "multi_modal_projector.linear_1." + rest.dropFirst(2) }
                if rest.hasPrefix("2.") { return "multi_modal_projector.linear_2." + rest.dropFirst(2) }
                return "multi_modal_projector.unknown." + rest
            }
        }
        let embeddedTower = "model.vision_tower.vision_tower."
        if name.hasPrefix(embeddedTower) {
            return fromVisionCheckpoint(String(name.dropFirst(embeddedTower.count)))
        }
        if name.hasPrefix("model.") { return "language_model." + name }
        if name.hasPrefix("lm_head.") { return "language_model." + name }
        return name
    }

    /// A CLIP / SigLIP checkpoint used as the tower: its vision half only.
    public static func fromVisionCheckpoint(_ name: String) -> String? {
        if isBuffer(name) { return nil }
        let isVision = name.hasPrefix("vision_model.") || name.hasPrefix("embeddings.") || name.hasPrefix("encoder.")
            || name.hasPrefix("pre_layrnorm.") || name.hasPrefix("post_layernorm.")
        return isVision ? "vision_tower." + canonicalVisionTowerKey(name) : nil
    }
}
