import Foundation
import UMedNN

/// transformers' `BertConfig` (`model_type` "bert"): the BERT encoder, as all-MiniLM-L6-v2 uses it.
/// Keys missing from config.json take transformers' defaults. Only the bidirectional encoder with
/// absolute positions is supported (not `is_decoder`, cross-attention or relative positions).
public struct BertConfig: Codable, Equatable, Sendable {
    public static let modelType = "bert"

    public var vocabularySize = 30522
    public var hiddenSize = 768
    public var hiddenLayerCount = 12
    public var attentionHeadCount = 12
    public var intermediateSize = 3072
    public var hiddenActivation = Activation.gelu
    public var hiddenDropout = 0.1
    public var attentionDropout = 0.1
    public var maximumPositions = 512
    public var typeVocabularySize = 2
    public var initializerRange = 0.02
    public var layerNormEps = 1e-12
    public var padTokenID: Int? = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case vocabularySize = "vocab_size"
        case hiddenSize = "hidden_size"
        case hiddenLayerCount = "num_hidden_layers"
        case attentionHeadCount = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case hiddenActivation = "hidden_act"
        case hiddenDropout = "hidden_dropout_prob"
        case attentionDropout = "attention_probs_dropout_prob"
        case maximumPositions = "max_position_embeddings"
        case typeVocabularySize = "type_vocab_size"
        case initializerRange = "initializer_range"
        case layerNormEps = "layer_norm_eps"
        case padTokenID = "pad_token_id"
        case positionEmbeddingType = "position_embedding_type"
        case isDecoder = "is_decoder"
        case addsCrossAttention = "add_cross_attention"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try container.expectModelType([Self.modelType])
        try container.decode(.vocabularySize, into: &vocabularySize)
        try container.decode(.hiddenSize, into: &hiddenSize)
        try container.decode(.hiddenLayerCount, into: &hiddenLayerCount)
        try container.decode(.attentionHeadCount, into: &attentionHeadCount)
        try container.decode(.intermediateSize, into: &intermediateSize)
        try container.decode(.hiddenActivation, into: &hiddenActivation)
        try container.decode(.hiddenDropout, into: &hiddenDropout)
        try container.decode(.attentionDropout, into: &attentionDropout)
        try container.decode(.maximumPositions, into: &maximumPositions)
        try container.decode(.typeVocabularySize, into: &typeVocabularySize)
        try container.decode(.initializerRange, into: &initializerRange)
        try container.decode(.layerNormEps, into: &layerNormEps)
        if container.contains(.padTokenID) {
            padTokenID = try container.decodeIfPresent(Int.self, forKey: .padTokenID)
        }
        let positions = try container.decodeIfPresent(String.self, forKey: .positionEmbeddingType) ?? "absolute"
        if positions != "absolute" {
            throw DecodingError.dataCorruptedError(
                forKey: .positionEmbeddingType, in: container,
                debugDescription: "position_embedding_type \"\(positions)\" is not supported (only \"absolute\")")
        }
        if try container.decodeIfPresent(Bool.self, forKey: .isDecoder) == true
            || container.decodeIfPresent(Bool.self, forKey: .addsCrossAttention) == true {
            throw DecodingError.dataCorruptedError(
                forKey: .isDecoder, in: container,
                debugDescription: "BERT as a decoder or with cross-attention is not supported")
        }
        if attentionHeadCount <= 0 || hiddenSize % attentionHeadCount != 0 {
            throw DecodingError.dataCorruptedError(
                forKey: .attentionHeadCount, in: container,
                debugDescription: "hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(attentionHeadCount)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.modelType, forKey: .modelType)
        try container.encode(vocabularySize, forKey: .vocabularySize)
        try container.encode(hiddenSize, forKey: .hiddenSize)
        try container.encode(hiddenLayerCount, forKey: .hiddenLayerCount)
        try container.encode(attentionHeadCount, forKey: .attentionHeadCount)
        try container.encode(intermediateSize, forKey: .intermediateSize)
        try container.encode(hiddenActivation, forKey: .hiddenActivation)
        try container.encode(hiddenDropout, forKey: .hiddenDropout)
        try container.encode(attentionDropout, forKey: .attentionDropout)
        try container.encode(maximumPositions, forKey: .maximumPositions)
        try container.encode(typeVocabularySize, forKey: .typeVocabularySize)
        try container.encode(initializerRange, forKey: .initializerRange)
        try container.encode(layerNormEps, forKey: .layerNormEps)
        try container.encode(padTokenID, forKey: .padTokenID)
        try container.encode("absolute", forKey: .positionEmbeddingType)
    }

    /// Reads a BERT config.json (or the one in a directory).
    public static func load(from url: URL) throws -> BertConfig {
        try ConfigurationFile.decode(Self.self, from: url, modelTypes: [modelType])
    }

    /// The tiny encoder of the test fixtures: vocabulary 100, width 32, 2 layers, 4 heads.
    public static let tiny: BertConfig = {
        var config = BertConfig()
        config.vocabularySize = 100
        config.hiddenSize = 32
        config.hiddenLayerCount = 2
        config.attentionHeadCount = 4
        config.intermediateSize = 64
        config.maximumPositions = 64
        return config
    }()

    /// nreimers/MiniLM-L6-H384-uncased, the encoder of sentence-transformers' all-MiniLM-L6-v2.
    public static let miniLML6: BertConfig = {
        var config = BertConfig()
        config.hiddenSize = 384
        config.hiddenLayerCount = 6
        config.intermediateSize = 1536
        return config
    }()
}
