/// How rotary position embeddings are scaled beyond the pretraining length: `rope_scaling` of a
/// transformers 4 `config.json`, or `rope_parameters` of transformers 5 (which also carries
/// `rope_theta`). Both spellings of the kind key (`rope_type`, the older `type`) are accepted.
public struct RopeScaling: Codable, Equatable, Sendable {
    /// The scaling families implemented (transformers' `ROPE_INIT_FUNCTIONS` names).
    public enum Kind: String, Codable, CaseIterable, Sendable {
        /// Plain RoPE: inv_freq = 1 / θ^(2i/d).
        case `default`
        /// Positions divided by `factor` (inv_freq / factor).
        case linear
        /// Dynamic NTK: θ grows with the sequence length once it passes `max_position_embeddings`.
        case dynamic
        /// Llama 3.1: low frequencies divided by `factor`, high ones kept, a smooth ramp between.
        case llama3
    }

    public var kind: Kind
    /// Scaling factor (linear, dynamic, llama3).
    public var factor: Double?
    /// Llama 3: wavelengths above original_max / low_freq_factor are scaled fully.
    public var lowFrequencyFactor: Double?
    /// Llama 3: wavelengths below original_max / high_freq_factor are kept.
    public var highFrequencyFactor: Double?
    /// Llama 3: the pretraining context length (default: the model's `max_position_embeddings`).
    public var originalMaxPositionEmbeddings: Int?

    public init(
        kind: Kind, factor: Double? = nil, lowFrequencyFactor: Double? = nil, highFrequencyFactor: Double? = nil,
        originalMaxPositionEmbeddings: Int? = nil
    ) {
        self.kind = kind
        self.factor = factor
        self.lowFrequencyFactor = lowFrequencyFactor
        self.highFrequencyFactor = highFrequencyFactor
        self.originalMaxPositionEmbeddings = originalMaxPositionEmbeddings
    }

    public static func linear(factor: Double) -> RopeScaling { RopeScaling(kind: .linear, factor: factor) }

    public static func dynamic(factor: Double) -> RopeScaling { RopeScaling(kind: .dynamic, factor: factor) }

    public static func llama3(
        factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double,
        originalMaxPositionEmbeddings: Int
    ) -> RopeScaling {
        RopeScaling(kind: .llama3, factor: factor, lowFrequencyFactor: lowFrequencyFactor,
                    highFrequencyFactor: highFrequencyFactor,
                    originalMaxPositionEmbeddings: originalMaxPositionEmbeddings)
    }

    enum CodingKeys: String, CodingKey {
        case ropeType = "rope_type"
        case type
        case factor
        case lowFrequencyFactor = "low_freq_factor"
        case highFrequencyFactor = "high_freq_factor"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decodeIfPresent(String.self, forKey: .ropeType)
            ?? container.decodeIfPresent(String.self, forKey: .type) ?? "default"
        guard let kind = Kind(rawValue: name) else {
            throw DecodingError.dataCorruptedError(
                forKey: .ropeType, in: container,
                debugDescription: "rope type \"\(name)\" is not supported; supported: "
                    + Kind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self.kind = kind
        factor = try container.decodeIfPresent(Double.self, forKey: .factor)
        lowFrequencyFactor = try container.decodeIfPresent(Double.self, forKey: .lowFrequencyFactor)
        highFrequencyFactor = try container.decodeIfPresent(Double.self, forKey: .highFrequencyFactor)
        originalMaxPositionEmbeddings = try container.decodeIfPresent(Int.self, forKey: .originalMaxPositionEmbeddings)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        // transformers 4 reads "type" and transformers 5 "rope_type"; both accept either.
        try container.encode(kind.rawValue, forKey: .ropeType)
        try container.encode(kind.rawValue, forKey: .type)
        try container.encodeIfPresent(factor, forKey: .factor)
        try container.encodeIfPresent(lowFrequencyFactor, forKey: .lowFrequencyFactor)
        try container.encodeIfPresent(highFrequencyFactor, forKey: .highFrequencyFactor)
        try container.encodeIfPresent(originalMaxPositionEmbeddings, forKey: .originalMaxPositionEmbeddings)
    }

    /// The problem with the parameters this kind needs, or nil when they are all present and sane.
    func validationProblem() -> String? {
        switch kind {
        case .default:
            return nil
        case .linear, .dynamic:
            guard let factor, factor >= 1 else { return "\(kind.rawValue) rope scaling needs a factor ≥ 1" }
            return nil
        case .llama3:
            guard let factor, factor >= 1 else { return "llama3 rope scaling needs a factor ≥ 1" }
            guard let low = lowFrequencyFactor, let high = highFrequencyFactor else {
                return "llama3 rope scaling needs low_freq_factor and high_freq_factor"
            }
            guard high > low else { return "llama3 rope scaling needs high_freq_factor > low_freq_factor" }
            return nil
        }
    }
}
