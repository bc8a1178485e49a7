import Foundation
import UMedNN

/// The fields every ViT image tower reads from config.json, which CLIP and SigLIP share (same keys,
/// same decoding, same validation); each family embeds one as `vit`, states its own defaults for
/// `patch_size`, `hidden_act` and `layer_norm_eps`, and adds its own keys.
public struct ViTConfiguration: Equatable, Sendable {
    public var hiddenSize = 768
    public var intermediateSize = 3072
    public var hiddenLayerCount = 12
    public var attentionHeadCount = 12
    public var channelCount = 3
    public var imageSize = 224
    public var patchSize: Int
    public var hiddenActivation: Activation
    public var layerNormEps: Double
    public var attentionDropout = 0.0

    public init(patchSize: Int, hiddenActivation: Activation, layerNormEps: Double) {
        self.patchSize = patchSize
        self.hiddenActivation = hiddenActivation
        self.layerNormEps = layerNormEps
    }

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case hiddenLayerCount = "num_hidden_layers"
        case attentionHeadCount = "num_attention_heads"
        case channelCount = "num_channels"
        case imageSize = "image_size"
        case patchSize = "patch_size"
        case hiddenActivation = "hidden_act"
        case layerNormEps = "layer_norm_eps"
        case attentionDropout = "attention_dropout"
    }

    /// Checks `model_type` (when present) against `modelType`, then replaces the fields whose keys
    /// are present. The family checks the sizes with `validate(path:)` once its own keys are read.
    mutating func decodeFields(from decoder: Decoder, modelType: String) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try container.expectModelType([modelType])
        try container.decode(.hiddenSize, into: &hiddenSize)
        try container.decode(.intermediateSize, into: &intermediateSize)
        try container.decode(.hiddenLayerCount, into: &hiddenLayerCount)
        try container.decode(.attentionHeadCount, into: &attentionHeadCount)
        try container.decode(.channelCount, into: &channelCount)
        imageSize = try container.decodeSquareSize(.imageSize) ?? imageSize
        patchSize = try container.decodeSquareSize(.patchSize) ?? patchSize
        try container.decode(.hiddenActivation, into: &hiddenActivation)
        try container.decode(.layerNormEps, into: &layerNormEps)
        try container.decode(.attentionDropout, into: &attentionDropout)
    }

    /// Writes `model_type` and the shared fields; the family adds its own keys to the same object.
    func encodeFields(to encoder: Encoder, modelType: String) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(modelType, forKey: .modelType)
        try container.encode(hiddenSize, forKey: .hiddenSize)
        try container.encode(intermediateSize, forKey: .intermediateSize)
        try container.encode(hiddenLayerCount, forKey: .hiddenLayerCount)
        try container.encode(attentionHeadCount, forKey: .attentionHeadCount)
        try container.encode(channelCount, forKey: .channelCount)
        try container.encode(imageSize, forKey: .imageSize)
        try container.encode(patchSize, forKey: .patchSize)
        try container.encode(hiddenActivation, forKey: .hiddenActivation)
        try container.encode(layerNormEps, forKey: .layerNormEps)
        try container.encode(attentionDropout, forKey: .attentionDropout)
    }

    /// Checks what a ViT needs of its sizes: heads divide the width, at least one patch fits the
    /// image (a remainder is dropped, as the strided patch convolution drops it: SigLIP 384/14 → 27×27).
    func validate(path: [CodingKey]) throws {
        var problems: [String] = []
        if attentionHeadCount <= 0 || hiddenSize % attentionHeadCount != 0 {
            problems.append("hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(attentionHeadCount)")
        }
        if patchSize <= 0 || imageSize < patchSize {
            problems.append("patch_size \(patchSize) does not fit image_size \(imageSize)")
        }
        if !problems.isEmpty {
            throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: problems.joined(separator: "; ")))
        }
    }
}

/// A ViT family's configuration (CLIP, SigLIP): the shared `vit` fields read and written as its
/// own (`config.hiddenSize`), plus the family's keys.
@dynamicMemberLookup
public protocol ViTFamilyConfiguration: Codable, Equatable, Sendable {
    /// transformers' `model_type` of the family's vision config.
    static var modelType: String { get }
    /// The fields all ViT families share.
    var vit: ViTConfiguration { get set }
    /// transformers' defaults.
    init()
}

extension ViTFamilyConfiguration {
    public subscript<Value>(dynamicMember field: WritableKeyPath<ViTConfiguration, Value>) -> Value {
        get { vit[keyPath: field] }
        set { vit[keyPath: field] = newValue }
    }

    /// The family's defaults with these sizes.
    public init(hiddenSize: Int, intermediateSize: Int, hiddenLayerCount: Int, attentionHeadCount: Int, imageSize: Int,
         patchSize: Int) {
        self.init()
        (vit.hiddenSize, vit.intermediateSize, vit.hiddenLayerCount) = (hiddenSize, intermediateSize, hiddenLayerCount)
        (vit.attentionHeadCount, vit.imageSize, vit.patchSize) = (attentionHeadCount, imageSize, patchSize)
    }

    /// Decodes the family from config.json: checks `model_type`, reads the shared fields, then the
    /// family's own keys with `decodeOwn`, and validates the sizes.
    init<OwnKeys: CodingKey>(
        from decoder: Decoder, ownKeys: OwnKeys.Type,
        _ decodeOwn: (inout Self, KeyedDecodingContainer<OwnKeys>) throws -> Void
    ) throws {
        self.init()
        try vit.decodeFields(from: decoder, modelType: Self.modelType)
        let container = try decoder.container(keyedBy: OwnKeys.self)
        try decodeOwn(&self, container)
        try vit.validate(path: container.codingPath)
    }

    /// Encodes the family as config.json: `model_type`, the shared fields, then the family's own
    /// keys with `encodeOwn`.
    func encode<OwnKeys: CodingKey>(
        to encoder: Encoder, ownKeys: OwnKeys.Type, _ encodeOwn: (inout KeyedEncodingContainer<OwnKeys>) throws -> Void
    ) throws {
        try vit.encodeFields(to: encoder, modelType: Self.modelType)
        var container = encoder.container(keyedBy: OwnKeys.self)
        try encodeOwn(&container)
    }

    /// Reads a standalone vision config.json of the family, the `vision_config` of its full model's
    /// ("clip", "siglip") or of a llava config.json, or a directory holding one of them.
    public static func load(from url: URL) throws -> Self {
        try ConfigurationFile.decode(Self.self, from: url, modelTypes: [modelType], nestedKey: "vision_config")
    }
}

/// transformers' `CLIPVisionConfig` (`model_type` "clip_vision_model"): the CLIP ViT image encoder.
/// Keys missing from config.json take transformers' defaults.
public struct CLIPVisionConfig: ViTFamilyConfiguration {
    public static let modelType = "clip_vision_model"

    public var vit = ViTConfiguration(patchSize: 32, hiddenActivation: .quickGELU, layerNormEps: 1e-5)
    public var projectionDimensions = 512
    public var initializerRange = 0.02
    public var initializerFactor = 1.0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case projectionDimensions = "projection_dim"
        case initializerRange = "initializer_range"
        case initializerFactor = "initializer_factor"
    }

    public init(from decoder: Decoder) throws {
        try self.init(from: decoder, ownKeys: CodingKeys.self) { config, container in
            try container.decode(.projectionDimensions, into: &config.projectionDimensions)
            try container.decode(.initializerRange, into: &config.initializerRange)
            try container.decode(.initializerFactor, into: &config.initializerFactor)
        }
    }

    public func encode(to encoder: Encoder) throws {
        try encode(to: encoder, ownKeys: CodingKeys.self) { container in
            try container.encode(projectionDimensions, forKey: .projectionDimensions)
            try container.encode(initializerRange, forKey: .initializerRange)
            try container.encode(initializerFactor, forKey: .initializerFactor)
        }
    }

    /// The tiny tower of the test fixtures: 32×32 images, 8×8 patches, width 32, 2 layers, 4 heads.
    public static let tiny: CLIPVisionConfig = {
        var config = CLIPVisionConfig(hiddenSize: 32, intermediateSize: 64, hiddenLayerCount: 2,
                                      attentionHeadCount: 4, imageSize: 32, patchSize: 8)
        config.projectionDimensions = 16
        return config
    }()

    /// openai/clip-vit-large-patch14-336, the tower of LLaVA-1.5 and LLaVA-Med v1.5.
    public static let vitLarge336: CLIPVisionConfig = {
        var config = CLIPVisionConfig(hiddenSize: 1024, intermediateSize: 4096, hiddenLayerCount: 24,
                                      attentionHeadCount: 16, imageSize: 336, patchSize: 14)
        config.projectionDimensions = 768
        return config
    }()
}

/// transformers' `SiglipVisionConfig` (`model_type` "siglip_vision_model"): the SigLIP ViT image
/// encoder. Keys missing from config.json take transformers' defaults.
public struct SiglipVisionConfig: ViTFamilyConfiguration {
    public static let modelType = "siglip_vision_model"

    public var vit = ViTConfiguration(patchSize: 16, hiddenActivation: .geluTanh, layerNormEps: 1e-6)
    /// Whether the model has the attention-pooling head (`vision_model.head.*`).
    public var usesHead = true

    public init() {}

    enum CodingKeys: String, CodingKey {
        case usesHead = "vision_use_head"
    }

    public init(from decoder: Decoder) throws {
        try self.init(from: decoder, ownKeys: CodingKeys.self) { config, container in
            try container.decode(.usesHead, into: &config.usesHead)
        }
    }

    public func encode(to encoder: Encoder) throws {
        try encode(to: encoder, ownKeys: CodingKeys.self) { container in
            try container.encode(usesHead, forKey: .usesHead)
        }
    }

    /// The tiny tower of the test fixtures: 32×32 images, 8×8 patches, width 32, 2 layers, 4 heads,
    /// with the pooling head.
    public static let tiny = SiglipVisionConfig(hiddenSize: 32, intermediateSize: 64, hiddenLayerCount: 2,
                                                attentionHeadCount: 4, imageSize: 32, patchSize: 8)
}

/// The vision configuration of a VLM, chosen by its `model_type` (absent means CLIP, as
/// transformers' LlavaConfig assumes).
public enum VisionTowerConfig: Codable, Equatable, Sendable {
    case clip(CLIPVisionConfig)
    case siglip(SiglipVisionConfig)

    public static let supportedModelTypes = [CLIPVisionConfig.modelType, SiglipVisionConfig.modelType]

    enum CodingKeys: String, CodingKey { case modelType = "model_type" }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decodeIfPresent(String.self, forKey: .modelType) ?? CLIPVisionConfig.modelType {
        case CLIPVisionConfig.modelType: self = .clip(try CLIPVisionConfig(from: decoder))
        case SiglipVisionConfig.modelType: self = .siglip(try SiglipVisionConfig(from: decoder))
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .modelType, in: container,
                debugDescription: "unsupported vision model_type \"\(other)\"; supported: "
                    + Self.supportedModelTypes.joined(separator: ", "))
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .clip(let config): try config.encode(to: encoder)
        case .siglip(let config): try config.encode(to: encoder)
        }
    }

    /// Reads a standalone vision config.json or the `vision_config` of a llava, CLIP or SigLIP
    /// config.json (or a directory holding one).
    public static func load(from url: URL) throws -> VisionTowerConfig {
        let file = ConfigurationFile.fileURL(url)
        var object = try ConfigurationFile.readObject(url)
        if let type = object["model_type"] as? String, !supportedModelTypes.contains(type) {
            guard let nested = object["vision_config"] as? [String: Any] else {
                throw ModelError.unsupportedModelType(found: type, supported: supportedModelTypes, file: file.path)
            }
            object = nested
            if let nestedType = object["model_type"] as? String, !supportedModelTypes.contains(nestedType) {
                throw ModelError.unsupportedModelType(
                    found: nestedType, supported: supportedModelTypes, file: file.path + " (vision_config)")
            }
            if object["model_type"] == nil, type == "siglip" { object["model_type"] = SiglipVisionConfig.modelType }
        }
        return try ConfigurationFile.decode(Self.self, fromObject: object, file: file.path)
    }
}

// MARK: decoding helpers shared by the configurations of this module

extension KeyedDecodingContainer {
    /// Replaces `value` with the decoded one when the key is present and not null.
    func decode<Value: Decodable>(_ key: Key, into value: inout Value) throws {
        if let decoded = try decodeIfPresent(Value.self, forKey: key) { value = decoded }
    }

    /// A size given as an integer or as a list of equal integers ([336, 336]); nil when absent.
    func decodeSquareSize(_ key: Key) throws -> Int? {
        if let size = try? decodeIfPresent(Int.self, forKey: key) { return size }
        guard let sizes = try decodeIfPresent([Int].self, forKey: key) else { return nil }
        guard let first = sizes.first, sizes.allSatisfy({ $0 == first }) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "only square sizes are supported, got \(sizes)")
        }
        return first
    }

    /// Throws when a `model_type` key is present and is none of `types`.
    func expectModelType(_ types: [String]) throws where Key: CodingKey {
        guard let typeKey = Key(stringValue: "model_type"),
              let type = try decodeIfPresent(String.self, forKey: typeKey) else { return }
        if !types.contains(type) {
            throw DecodingError.dataCorruptedError(
                forKey: typeKey, in: self,
                debugDescription: "model_type is \"\(type)\", expected \(types.joined(separator: " or "))")
        }
    }
}
