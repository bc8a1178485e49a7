import UMedNN

// config.json keys and transformers' per-family defaults for absent keys.
extension TextConfiguration {
    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case architectures
        case vocabularySize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers"
        case attentionHeadCount = "num_attention_heads"
        case keyValueHeadCount = "num_key_value_heads"
        case headDimension = "head_dim"
        case hiddenActivation = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case rmsNormEpsilon = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case ropeScaling = "rope_scaling"
        case ropeParameters = "rope_parameters"
        case tieWordEmbeddings = "tie_word_embeddings"
        case attentionBias = "attention_bias"
        case mlpBias = "mlp_bias"
        case slidingWindow = "sliding_window"
        case useSlidingWindow = "use_sliding_window"
        case maxWindowLayers = "max_window_layers"
        case layerTypes = "layer_types"
        case bosTokenId = "bos_token_id"
        case eosTokenId = "eos_token_id"
        case padTokenId = "pad_token_id"
        case torchDType = "torch_dtype"
        case dtype
    }

    /// transformers' defaults for one family (the values its configuration class falls back to).
    private struct FamilyDefaults {
        var vocabularySize = 32000, intermediateSize = 11008, keyValueHeadCount: Int? = nil
        var maxPositionEmbeddings = 2048, slidingWindow: Int? = nil
        var bosTokenId: Int? = 1, eosTokenId: Int? = 2

        init(_ type: ModelType) {
            switch type {
            case .llama: break
            case .mistral:
                intermediateSize = 14336; keyValueHeadCount = 8; maxPositionEmbeddings = 131_072; slidingWindow = 4096
            case .qwen2:
                vocabularySize = 151_936; intermediateSize = 22016; keyValueHeadCount = 32
                maxPositionEmbeddings = 32768; slidingWindow = 4096; bosTokenId = nil; eosTokenId = nil
            }
        }
    }

    /// The theta a transformers 5 `rope_parameters` object may carry.
    private struct RopeTheta: Decodable {
        var value: Double?
        enum CodingKeys: String, CodingKey { case value = "rope_theta" }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(ModelType.self, forKey: .modelType)
        let defaults = FamilyDefaults(type)
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try container.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        let hiddenSize = try value(.hiddenSize, 4096)
        let heads = try value(.attentionHeadCount, 32)
        guard heads > 0 else {
            throw DecodingError.dataCorruptedError(
                forKey: .attentionHeadCount, in: container, debugDescription: "must be positive, got \(heads)")
        }
        // rope_scaling (transformers 4) wins over rope_parameters (transformers 5), as transformers 5
        // itself decides; rope_theta inside rope_parameters wins over the top-level key.
        let scaling = try container.decodeIfPresent(RopeScaling.self, forKey: .ropeScaling)
            ?? container.decodeIfPresent(RopeScaling.self, forKey: .ropeParameters)
        let theta = try container.decodeIfPresent(RopeTheta.self, forKey: .ropeParameters)?.value
            ?? container.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? 10_000
        // sliding_window: absent → the family default; null → none.
        let slidingWindow: Int?
        if container.contains(.slidingWindow) {
            slidingWindow = try container.decodeIfPresent(Int.self, forKey: .slidingWindow)
        } else {
            slidingWindow = defaults.slidingWindow
        }
        let eos: [Int]
        if let list = try? container.decodeIfPresent([Int].self, forKey: .eosTokenId) {
            eos = list
        } else if container.contains(.eosTokenId) {
            eos = try container.decodeIfPresent(Int.self, forKey: .eosTokenId).map { [$0] } ?? []
        } else {
            eos = defaults.eosTokenId.map { [$0] } ?? []
        }
        self.init(
            modelType: type,
            vocabularySize: try value(.vocabularySize, defaults.vocabularySize),
            hiddenSize: hiddenSize,
            intermediateSize: try value(.intermediateSize, defaults.intermediateSize),
            layerCount: try value(.layerCount, 32),
            attentionHeadCount: heads,
            keyValueHeadCount: try container.decodeIfPresent(Int.self, forKey: .keyValueHeadCount)
                ?? defaults.keyValueHeadCount ?? heads,
            headDimension: try container.decodeIfPresent(Int.self, forKey: .headDimension),
            hiddenActivation: try value(.hiddenActivation, Activation.silu),
            maxPositionEmbeddings: try value(.maxPositionEmbeddings, defaults.maxPositionEmbeddings),
            rmsNormEpsilon: try value(.rmsNormEpsilon, 1e-6),
            ropeTheta: theta,
            ropeScaling: scaling?.kind == .default ? nil : scaling,
            tieWordEmbeddings: try value(.tieWordEmbeddings, false),
            attentionBias: try value(.attentionBias, false),
            mlpBias: try value(.mlpBias, false),
            slidingWindow: slidingWindow,
            useSlidingWindow: try value(.useSlidingWindow, false),
            maxWindowLayers: try container.decodeIfPresent(Int.self, forKey: .maxWindowLayers),
            layerTypes: try container.decodeIfPresent([LayerAttentionKind].self, forKey: .layerTypes),
            bosTokenId: container.contains(.bosTokenId)
                ? try container.decodeIfPresent(Int.self, forKey: .bosTokenId) : defaults.bosTokenId,
            eosTokenIds: eos,
            padTokenId: try container.decodeIfPresent(Int.self, forKey: .padTokenId),
            dtypeName: try container.decodeIfPresent(String.self, forKey: .dtype)
                ?? container.decodeIfPresent(String.self, forKey: .torchDType))
        // llama3 falls back to max_position_embeddings for its original length, as transformers does.
        if ropeScaling?.kind == .llama3, ropeScaling?.originalMaxPositionEmbeddings == nil {
            ropeScaling?.originalMaxPositionEmbeddings = maxPositionEmbeddings
        }
    }

    /// Writes the transformers 4 spelling (`rope_theta` + `rope_scaling`), which transformers 5 also
    /// reads.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(modelType, forKey: .modelType)
        try container.encode([modelType.architecture], forKey: .architectures)
        try container.encode(vocabularySize, forKey: .vocabularySize)
        try container.encode(hiddenSize, forKey: .hiddenSize)
        try container.encode(intermediateSize, forKey: .intermediateSize)
        try container.encode(layerCount, forKey: .layerCount)
        try container.encode(attentionHeadCount, forKey: .attentionHeadCount)
        try container.encode(keyValueHeadCount, forKey: .keyValueHeadCount)
        try container.encode(headDimension, forKey: .headDimension)
        try container.encode(hiddenActivation.rawValue, forKey: .hiddenActivation)
        try container.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try container.encode(rmsNormEpsilon, forKey: .rmsNormEpsilon)
        try container.encode(ropeTheta, forKey: .ropeTheta)
        if let ropeScaling {
            try container.encode(ropeScaling, forKey: .ropeScaling)
        } else {
            try container.encodeNil(forKey: .ropeScaling)
        }
        try container.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        if modelType == .llama {
            try container.encode(attentionBias, forKey: .attentionBias)
            try container.encode(mlpBias, forKey: .mlpBias)
        }
        if modelType != .llama {
            if let slidingWindow {
                try container.encode(slidingWindow, forKey: .slidingWindow)
            } else {
                try container.encodeNil(forKey: .slidingWindow)
            }
        }
        if modelType == .qwen2 {
            try container.encode(useSlidingWindow, forKey: .useSlidingWindow)
            try container.encodeIfPresent(maxWindowLayers, forKey: .maxWindowLayers)
            try container.encodeIfPresent(layerTypes, forKey: .layerTypes)
        }
        // null, not absent: an absent id would read back as the family default.
        if let bosTokenId {
            try container.encode(bosTokenId, forKey: .bosTokenId)
        } else {
            try container.encodeNil(forKey: .bosTokenId)
        }
        switch eosTokenIds.count {
        case 0: try container.encodeNil(forKey: .eosTokenId)
        case 1: try container.encode(eosTokenIds[0], forKey: .eosTokenId)
        default: try container.encode(eosTokenIds, forKey: .eosTokenId)
        }
        try container.encodeIfPresent(padTokenId, forKey: .padTokenId)
        try container.encodeIfPresent(dtypeName, forKey: .torchDType)
    }
}
