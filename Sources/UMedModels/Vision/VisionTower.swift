import Foundation
import UMedNN
import UMedTensor

/// An image encoder of a VLM: a ViT whose hidden states the projector reads (CLIP, SigLIP).
public protocol VisionTower: Module {
    /// Side of the square model-input image in pixels (`image_size`).
    var imageSize: Int { get }
    /// Side of a patch in pixels (`patch_size`). The patch tokens follow the
    /// `patchRows` × `patchColumns` grid row-major (UMedData's `PatchGrid` maps boxes onto it).
    var patchSize: Int { get }
    /// Width of the hidden states.
    var hiddenSize: Int { get }
    /// Number of transformer layers (hidden states hold one more: the embeddings).
    var layerCount: Int { get }
    /// Tokens before the patch tokens: 1 for CLIP's class token, 0 for SigLIP.
    var classTokenCount: Int { get }

    /// The embeddings output followed by the output of each of the first `layerLimit` layers (all
    /// when nil), each [batch, classTokenCount + patchCount, hiddenSize] — transformers'
    /// `hidden_states` with `output_hidden_states=True`. `pixelValues` is [batch, channels, size,
    /// size], already preprocessed.
    func hiddenStates(_ pixelValues: Tensor, layerLimit: Int?) -> [Tensor]
}

extension VisionTower {
    /// Patches down the image: image_size / patch_size (a remainder is not covered).
    public var patchRows: Int { imageSize / patchSize }
    /// Patches across the image.
    public var patchColumns: Int { imageSize / patchSize }
    /// Number of patch tokens (576 for CLIP ViT-L/14 at 336 pixels).
    public var patchCount: Int { patchRows * patchColumns }

    /// Every hidden state: the embeddings output, then each layer's output.
    public func callAsFunction(_ pixelValues: Tensor) -> [Tensor] {
        hiddenStates(pixelValues, layerLimit: nil)
    }

    /// The image features a LLaVA projector reads, exactly as transformers'
    /// `LlavaModel.get_image_features` selects them: the hidden state(s) of `layer` (negative
    /// indices count from the end of the `layerCount + 1` hidden states), without the first token
    /// under the `default` strategy, several layers concatenated on the last dimension.
    /// Only the layers up to the deepest selected one run. The layer must be valid
    /// (`layer.validate(layerCount:)`); result [batch, featureTokenCount(strategy), featureSize(layer)].
    public func features(
        _ pixelValues: Tensor, layer: VisionFeatureLayer, strategy: VisionFeatureSelectStrategy
    ) -> Tensor {
        let indices = layer.resolvedIndices(layerCount: layerCount)
        let states = hiddenStates(pixelValues, layerLimit: indices.max() ?? 0)
        let selected = indices.map { index -> Tensor in
            strategy == .default ? states[index].sliced(dim: 1, start: 1) : states[index]
        }
        return selected.count == 1 ? selected[0] : Tensor.cat(selected, dim: -1)
    }

    /// Number of feature tokens per image under `strategy` (the image-token count of the prompt).
    public func featureTokenCount(strategy: VisionFeatureSelectStrategy) -> Int {
        classTokenCount + patchCount - (strategy == .default ? 1 : 0)
    }

    /// Width of the features of `layer`: the hidden size times the number of layers selected (the
    /// projector's input size).
    public func featureSize(layer: VisionFeatureLayer) -> Int {
        hiddenSize * layer.indices.count
    }
}

/// Which hidden state(s) a VLM feeds its projector (`vision_feature_layer`: an int or a list).
public enum VisionFeatureLayer: Codable, Equatable, Sendable {
    case single(Int)
    case multiple([Int])

    /// The indices as written (negative ones count from the end).
    public var indices: [Int] {
        switch self {
        case .single(let index): return [index]
        case .multiple(let indices): return indices
        }
    }

    /// Indices into the `layerCount + 1` hidden states, negative ones resolved.
    public func resolvedIndices(layerCount: Int) -> [Int] {
        indices.map { index in
            let resolved = index < 0 ? layerCount + 1 + index : index
            precondition(resolved >= 0 && resolved <= layerCount,
                         "vision feature layer \(index) is out of range for \(layerCount) layers")
            return resolved
        }
    }

    /// Throws when an index is outside the hidden states of a tower with `layerCount` layers, or the
    /// list is empty.
    public func validate(layerCount: Int) throws {
        let states = layerCount + 1
        let bad = indices.filter { $0 < -states || $0 >= states }
        if indices.isEmpty || !bad.isEmpty {
            throw ModelError.invalidConfiguration(
                file: "vision_feature_layer",
                problem: indices.isEmpty ? "the list of layers is empty"
                    : "\(bad) outside the \(states) hidden states (-\(states)...\(states - 1)) of a \(layerCount)-layer tower")
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let index = try? container.decode(Int.self) {
            self = .single(index)
        } else {
            self = .multiple(try container.decode([Int].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .single(let index): try container.encode(index)
        case .multiple(let indices): try container.encode(indices)
        }
    }
}

/// `vision_feature_select_strategy`: "default" drops the first token (CLIP's class token), "full"
/// keeps every token.
public enum VisionFeatureSelectStrategy: String, Codable, CaseIterable, Sendable {
    case `default`
    case full
}

/// A tower for `config`, randomly initialized (load weights with `loadPretrained`).
public func makeVisionTower(
    _ config: VisionTowerConfig, dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil
) -> any VisionTower {
    switch config {
    case .clip(let config): return CLIPVisionModel(config, dtype: dtype, device: device, generator: generator)
    case .siglip(let config): return SiglipVisionModel(config, dtype: dtype, device: device, generator: generator)
    }
}

/// The name a tower parameter has in this module for a checkpoint name relative to the tower:
/// transformers 4 and the Hub's checkpoints write "vision_model.encoder…", transformers 5 saves
/// CLIPVisionModel / SiglipVisionModel (and a llava's "vision_tower.") without the "vision_model."
/// level; both load.
public func canonicalVisionTowerKey(_ name: String) -> String {
    name.hasPrefix("vision_model.") ? name : "vision_model." + name
}

/// A vision tower from a Hugging Face directory: config.json + safetensors of a CLIPVisionModel or
/// SiglipVisionModel (saved by transformers 4 or 5), or of a full CLIP or SigLIP model
/// (`model_type` "clip"/"siglip"; its text half is skipped), loaded strictly, in evaluation mode.
/// Buffers older checkpoints saved (`position_ids`) are dropped.
public func loadVisionTower(from directory: URL, dtype: DType = .float32, device: Device = .cpu) throws
    -> any VisionTower
{
    let config = try VisionTowerConfig.load(from: directory)
    let topType = try ConfigurationFile.readObject(directory)["model_type"] as? String
    let isFullModel = !VisionTowerConfig.supportedModelTypes.contains(topType ?? CLIPVisionConfig.modelType)
    let tower = makeVisionTower(config, dtype: dtype, device: device)
    try tower.loadPretrained(from: directory) { name in
        if isFullModel && !name.hasPrefix("vision_model.") { return nil }
        let key = canonicalVisionTowerKey(name)
        return key == "vision_model.embeddings.position_ids" ? nil : key
    }
    tower.eval()
    return tower
}
