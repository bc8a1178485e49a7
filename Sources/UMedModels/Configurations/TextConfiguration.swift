import Foundation
import UMedNN

/// The configuration of a Llama-family decoder, mirroring a Hugging Face `config.json` (or the
/// `text_config` of a LLaVA one) for `model_type` `llama`, `mistral` and `qwen2`, with
/// transformers' defaults for every absent key.
///
/// Family differences: Qwen2 always has biases on q/k/v (and none on o_proj) and uses a sliding
/// window only when `use_sliding_window` is true (on layers from `max_window_layers` on, or as
/// `layer_types` says); Mistral applies `sliding_window` (null = none) to every layer; Llama has
/// `attention_bias` (all four projections) and `mlp_bias`.
public struct TextConfiguration: Codable, Equatable, Sendable {
    public enum ModelType: String, Codable, CaseIterable, Sendable {
        case llama, mistral, qwen2

        /// The transformers class a checkpoint of this family is saved from.
        public var architecture: String {
            switch self {
            case .llama: return "LlamaForCausalLM"
            case .mistral: return "MistralForCausalLM"
            case .qwen2: return "Qwen2ForCausalLM"
            }
        }
    }

    /// Which attention a layer uses (transformers' `layer_types`).
    public enum LayerAttentionKind: String, Codable, Sendable {
        case full = "full_attention"
        case sliding = "sliding_attention"
    }

    public var modelType: ModelType
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var attentionHeadCount: Int
    public var keyValueHeadCount: Int
    public var headDimension: Int
    public var hiddenActivation: Activation
    public var maxPositionEmbeddings: Int
    public var rmsNormEpsilon: Double
    public var ropeTheta: Double
    /// nil: plain RoPE.
    public var ropeScaling: RopeScaling?
    public var tieWordEmbeddings: Bool
    /// Llama: bias on q/k/v/o projections.
    public var attentionBias: Bool
    /// Llama: bias on gate/up/down projections.
    public var mlpBias: Bool
    /// The window in tokens for sliding layers; nil: none.
    public var slidingWindow: Int?
    /// Qwen2: whether `slidingWindow` is used at all.
    public var useSlidingWindow: Bool
    /// Qwen2: layers below this index use full attention when sliding is on.
    public var maxWindowLayers: Int?
    /// Explicit per-layer attention kinds (transformers 5 writes these for Qwen2).
    public var layerTypes: [LayerAttentionKind]?
    public var bosTokenId: Int?
    public var eosTokenIds: [Int]
    public var padTokenId: Int?
    /// The checkpoint's dtype name ("float32", "bfloat16", …), as written; informational.
    public var dtypeName: String?

    public init(
        modelType: ModelType, vocabularySize: Int, hiddenSize: Int, intermediateSize: Int, layerCount: Int,
        attentionHeadCount: Int, keyValueHeadCount: Int? = nil, headDimension: Int? = nil,
        hiddenActivation: Activation = .silu, maxPositionEmbeddings: Int = 2048, rmsNormEpsilon: Double = 1e-6,
        ropeTheta: Double = 10_000, ropeScaling: RopeScaling? = nil, tieWordEmbeddings: Bool = false,
        attentionBias: Bool = false, mlpBias: Bool = false, slidingWindow: Int? = nil,
        useSlidingWindow: Bool = false, maxWindowLayers: Int? = nil, layerTypes: [LayerAttentionKind]? = nil,
        bosTokenId: Int? = nil, eosTokenIds: [Int] = [], padTokenId: Int? = nil, dtypeName: String? = nil
    ) {
        self.modelType = modelType
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.attentionHeadCount = attentionHeadCount
        self.keyValueHeadCount = keyValueHeadCount ?? attentionHeadCount
        self.headDimension = headDimension ?? hiddenSize / attentionHeadCount
        self.hiddenActivation = hiddenActivation
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.rmsNormEpsilon = rmsNormEpsilon
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        self.tieWordEmbeddings = tieWordEmbeddings
        self.attentionBias = attentionBias
        self.mlpBias = mlpBias
        self.slidingWindow = slidingWindow
        self.useSlidingWindow = useSlidingWindow
        self.maxWindowLayers = maxWindowLayers
        self.layerTypes = layerTypes
        self.bosTokenId = bosTokenId
        self.eosTokenIds = eosTokenIds
        self.padTokenId = padTokenId
        self.dtypeName = dtypeName
    }

    // MARK: derived

    /// Whether q/k/v projections carry a bias (always for Qwen2).
    public var hasQueryKeyValueBias: Bool { modelType == .qwen2 || attentionBias }

    /// Whether o_proj carries a bias (Llama's `attention_bias` only).
    public var hasOutputProjectionBias: Bool { modelType == .llama && attentionBias }

    /// Whether the MLP projections carry a bias (Llama's `mlp_bias` only).
    public var hasMLPBias: Bool { modelType == .llama && mlpBias }

    /// The attention kind of layer `index`, as transformers decides it.
    public func attentionKind(ofLayer index: Int) -> LayerAttentionKind {
        switch modelType {
        case .llama: return .full
        case .mistral: return slidingWindow == nil ? .full : .sliding
        case .qwen2:
            guard effectiveSlidingWindow != nil else { return .full }
            if let layerTypes, index < layerTypes.count { return layerTypes[index] }
            return index >= (maxWindowLayers ?? 28) ? .sliding : .full
        }
    }

    /// The window of layer `index` in tokens, or nil for full causal attention.
    public func slidingWindow(ofLayer index: Int) -> Int? {
        attentionKind(ofLayer: index) == .sliding ? effectiveSlidingWindow : nil
    }

    private var effectiveSlidingWindow: Int? {
        switch modelType {
        case .llama: return nil
        case .mistral: return slidingWindow
        case .qwen2: return useSlidingWindow ? slidingWindow : nil
        }
    }

    /// The problem that makes this configuration unusable, or nil.
    public func validationProblem() -> String? {
        let positive = [("vocab_size", vocabularySize), ("hidden_size", hiddenSize),
                        ("intermediate_size", intermediateSize), ("num_hidden_layers", layerCount),
                        ("num_attention_heads", attentionHeadCount), ("num_key_value_heads", keyValueHeadCount),
                        ("head_dim", headDimension), ("max_position_embeddings", maxPositionEmbeddings)]
        for (name, value) in positive where value <= 0 { return "\(name) must be positive, got \(value)" }
        if attentionHeadCount % keyValueHeadCount != 0 {
            return "num_attention_heads (\(attentionHeadCount)) must be a multiple of num_key_value_heads "
                + "(\(keyValueHeadCount))"
        }
        if headDimension % 2 != 0 { return "head_dim must be even for rotary embeddings, got \(headDimension)" }
        if let slidingWindow, slidingWindow <= 0 { return "sliding_window must be positive, got \(slidingWindow)" }
        if ropeTheta <= 0 { return "rope_theta must be positive, got \(ropeTheta)" }
        if let layerTypes, layerTypes.count != layerCount {
            return "layer_types has \(layerTypes.count) entries for \(layerCount) layers"
        }
        return ropeScaling?.validationProblem()
    }
}

// MARK: reading and writing config.json

extension TextConfiguration {
    /// The `model_type` values this type reads.
    public static var supportedModelTypes: [String] { ModelType.allCases.map(\.rawValue) }

    /// Reads `config.json` (a file, or a checkpoint directory holding one).
    public static func load(from url: URL) throws -> TextConfiguration {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelError.missingFile(path: url.path)
        }
        let file = isDirectory.boolValue ? url.appendingPathComponent("config.json") : url
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ModelError.missingFile(path: file.path)
        }
        return try decode(data, file: file.path)
    }

    /// Decodes a `config.json` text (or a LLaVA `text_config` object); `file` names it in errors.
    public static func decode(_ data: Data, file: String = "config.json") throws -> TextConfiguration {
        struct Header: Decodable {
            let modelType: String?
            enum CodingKeys: String, CodingKey { case modelType = "model_type" }
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data)
        } catch {
            throw ModelError.invalidConfiguration(file: file, problem: describe(error))
        }
        guard let name = header.modelType, ModelType(rawValue: name) != nil else {
            throw ModelError.unsupportedModelType(
                found: header.modelType ?? "(none)", supported: supportedModelTypes, file: file)
        }
        let configuration: TextConfiguration
        do {
            configuration = try JSONDecoder().decode(TextConfiguration.self, from: data)
        } catch {
            throw ModelError.invalidConfiguration(file: file, problem: describe(error))
        }
        if let problem = configuration.validationProblem() {
            throw ModelError.invalidConfiguration(file: file, problem: problem)
        }
        return configuration
    }

    /// The configuration as `config.json` text that transformers (4 and 5) reads back.
    public func encodedJSON() throws -> Data {
        ConfigurationFile.serialize(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(self)))
    }

    static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing key \"\(path(context.codingPath + [key]))\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let location = context.codingPath.isEmpty ? "" : "at \"\(path(context.codingPath))\": "
            return location + context.debugDescription
        @unknown default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}
