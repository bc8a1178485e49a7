import Foundation
import UMedNN

/// A LLaVA-family VLM's configuration: vision tower, projector and decoder, read from either
/// transformers' `llava` config.json or the original LLaVA / LLaVA-Med repository's
/// (`llava_llama`, `llava_mistral`, `llava_qwen`: decoder fields at the top level plus `mm_*` keys,
/// the vision tower in a separate CLIP checkpoint named by `mm_vision_tower`).
public struct LlavaConfiguration: Sendable {
    /// Where the checkpoint's weights are and how they are named.
    public enum Layout: Equatable, Sendable {
        /// transformers' `LlavaForConditionalGeneration` (any of its saved key layouts).
        case huggingFace
        /// The LLaVA repository's: `model.mm_projector.*`, decoder under `model.*`, the vision tower
        /// in its own checkpoint directory.
        case original(visionTower: URL)
    }

    public var vision: VisionTowerConfig
    public var text: TextConfiguration
    /// The token id whose positions take the projected image features. transformers' llava
    /// configs name a vocabulary token (`<image>`); original LLaVA uses −200, outside the vocabulary.
    public var imageTokenIndex: Int
    public var visionFeatureLayer: VisionFeatureLayer
    public var visionFeatureSelectStrategy: VisionFeatureSelectStrategy
    public var projectorKind: MultimodalProjector.Kind
    public var projectorActivation: Activation
    public var projectorHasBias: Bool
    /// LLaVA pads images to a square before the CLIP steps (`image_aspect_ratio: pad`).
    public var padsImagesToSquare: Bool
    public var layout: Layout

    /// The original LLaVA repository's image placeholder id (`IMAGE_TOKEN_INDEX`).
    public static let originalImageTokenIndex = -200
    /// `model_type` values of original LLaVA checkpoints and the decoder family each wraps.
    public static let originalModelTypes = ["llava_llama": "llama", "llava": "llama", "llava_mistral": "mistral",
                                            "llava_qwen": "qwen2", "llava_qwen2": "qwen2"]

    public init(
        vision: VisionTowerConfig, text: TextConfiguration, imageTokenIndex: Int,
        visionFeatureLayer: VisionFeatureLayer = .single(-2), visionFeatureSelectStrategy: VisionFeatureSelectStrategy = .default,
        projectorKind: MultimodalProjector.Kind = .twoLayerMLP, projectorActivation: Activation = .gelu,
        projectorHasBias: Bool = true, padsImagesToSquare: Bool = false, layout: Layout = .huggingFace
    ) {
        self.vision = vision
        self.text = text
        self.imageTokenIndex = imageTokenIndex
        self.visionFeatureLayer = visionFeatureLayer
        self.visionFeatureSelectStrategy = visionFeatureSelectStrategy
        self.projectorKind = projectorKind
        self.projectorActivation = projectorActivation
        self.projectorHasBias = projectorHasBias
        self.padsImagesToSquare = padsImagesToSquare
        self.layout = layout
    }

    /// Reads `config.json` of a checkpoint directory. For the original layout the vision tower is
    /// `visionTower` when given, else `mm_vision_tower` resolved against the directory (an absolute
    /// path, or a folder beside the weights); a Hub name that is not a local folder is an error
    /// asking for the tower's directory.
    public static func load(from directory: URL, visionTower: URL? = nil) throws -> LlavaConfiguration {
        let file = ConfigurationFile.fileURL(directory)
        let object = try ConfigurationFile.readObject(directory)
        let modelType = object["model_type"] as? String ?? "(none)"
        if modelType == "llava", object["text_config"] != nil {
            return try huggingFace(object, file: file.path)
        }
        if let family = originalModelTypes[modelType], object["mm_vision_tower"] != nil || visionTower != nil {
            return try original(object, family: family, directory: directory, visionTower: visionTower, file: file.path)
        }
        throw ModelError.unsupportedModelType(
            found: modelType, supported: Set(["llava"] + originalModelTypes.keys).sorted(), file: file.path)
    }

    private static func huggingFace(_ object: [String: Any], file: String) throws -> LlavaConfiguration {
        func value<T>(_ key: String, _ fallback: T) -> T { object[key] as? T ?? fallback }
        guard let visionObject = object["vision_config"] as? [String: Any],
              let textObject = object["text_config"] as? [String: Any]
        else { throw ModelError.invalidConfiguration(file: file, problem: "needs vision_config and text_config") }
        var visionObjectTyped = visionObject
        if visionObjectTyped["model_type"] == nil { visionObjectTyped["model_type"] = CLIPVisionConfig.modelType }
        let vision = try ConfigurationFile.decode(VisionTowerConfig.self, fromObject: visionObjectTyped, file: file + " (vision_config)")
        var textObjectTyped = textObject
        if textObjectTyped["model_type"] == nil { textObjectTyped["model_type"] = "llama" }
        let text = try TextConfiguration.decode(
            try JSONSerialization.data(withJSONObject: textObjectTyped), file: file + " (text_config)")
        let layer: VisionFeatureLayer
        if let list = object["vision_feature_layer"] as? [Int] { layer = .multiple(list) }
        else { layer = .single(value("vision_feature_layer", -2)) }
        let strategyName: String = value("vision_feature_select_strategy", "default")
        guard let strategy = VisionFeatureSelectStrategy(rawValue: strategyName) else {
            throw ModelError.invalidConfiguration(
                file: file, problem: "vision_feature_select_strategy \"\(strategyName)\" is not default or full")
        }
        let activationName: String = value("projector_hidden_act", "gelu")
        guard let activation = Activation(huggingFaceName: activationName) else {
            throw ModelError.invalidConfiguration(file: file, problem: "unknown projector_hidden_act \"\(activationName)\"")
        }
        let imageToken = object["image_token_index"] as? Int ?? object["image_token_id"] as? Int ?? 32000
        return LlavaConfiguration(
            vision: vision, text: text, imageTokenIndex: imageToken, visionFeatureLayer: layer,
            visionFeatureSelectStrategy: strategy, projectorKind: .twoLayerMLP, projectorActivation: activation,
            projectorHasBias: value("multimodal_projector_bias", true))
    }

    private static func original(
        _ object: [String: Any], family: String, directory: URL, visionTower: URL?, file: String
    ) throws -> LlavaConfiguration {
        var textObject = object
        textObject["model_type"] = family
        let text = try TextConfiguration.decode(try JSONSerialization.data(withJSONObject: textObject), file: file)
        let towerURL = try visionTower ?? resolveTower(object["mm_vision_tower"] as? String ?? "", directory: directory, file: file)
        let vision = try VisionTowerConfig.load(from: towerURL)
        let projectorName = object["mm_projector_type"] as? String ?? "linear"
        guard let kind = MultimodalProjector.Kind(originalLLaVAName: projectorName) else {
            throw ModelError.invalidConfiguration(
                file: file, problem: "mm_projector_type \"\(projectorName)\" is not supported (linear, mlp2x_gelu)")
        }
        let select = object["mm_vision_select_feature"] as? String ?? "patch"
        guard select == "patch" || select == "cls_patch" else {
            throw ModelError.invalidConfiguration(
                file: file, problem: "mm_vision_select_feature \"\(select)\" is not patch or cls_patch")
        }
        if object["mm_use_im_start_end"] as? Bool == true {
            throw ModelError.invalidConfiguration(
                file: file, problem: "mm_use_im_start_end (image start/end tokens) is not supported")
        }
        return LlavaConfiguration(
            vision: vision, text: text, imageTokenIndex: originalImageTokenIndex,
            visionFeatureLayer: .single(object["mm_vision_select_layer"] as? Int ?? -2),
            visionFeatureSelectStrategy: select == "patch" ? .default : .full, projectorKind: kind,
            projectorActivation: .gelu, projectorHasBias: true,
            padsImagesToSquare: (object["image_aspect_ratio"] as? String) == "pad",
            layout: .original(visionTower: towerURL))
    }

    private static func resolveTower(_ name: String, directory: URL, file: String) throws -> URL {
        let candidates = name.hasPrefix("/")
            ? [URL(fileURLWithPath: name)]
            : [directory.appendingPathComponent(name), directory.appendingPathComponent((name as NSString).lastPathComponent)]
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("config.json").path) {
            return candidate
        }
        throw ModelError.invalidConfiguration(
            file: file, problem: "mm_vision_tower \"\(name)\" is not a local checkpoint directory (looked in "
                + candidates.map(\.path).joined(separator: ", ") + "); pass the CLIP tower's directory with --vision-tower")
    }

    /// transformers' llava config.json for this configuration (our checkpoints save in HF layout).
    public func huggingFaceJSON(dtype: String, imageSequenceLength: Int) throws -> Data {
        func object(_ data: Data) throws -> Any { try JSONSerialization.jsonObject(with: data) }
        var text = try object(try text.encodedJSON()) as? [String: Any] ?? [:]
        text.removeValue(forKey: "architectures")
        var top: [String: Any] = [
            "architectures": ["LlavaForConditionalGeneration"], "model_type": "llava",
            "vision_config": try object(try JSONEncoder().encode(vision)),
            "text_config": text,
            "image_token_index": imageTokenIndex,
            "vision_feature_select_strategy": visionFeatureSelectStrategy.rawValue,
            "projector_hidden_act": projectorActivation.rawValue,
            "multimodal_projector_bias": projectorHasBias,
            "torch_dtype": dtype,
            "image_seq_length": imageSequenceLength,
        ]
        switch visionFeatureLayer {
        case .single(let index): top["vision_feature_layer"] = index
        case .multiple(let indices): top["vision_feature_layer"] = indices
        }
        return ConfigurationFile.serialize(top)
    }
}
