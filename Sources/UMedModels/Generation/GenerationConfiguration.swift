/// How to generate: length, greedy or sampling, the logits processors, when to stop, the seed.
/// Names and semantics follow transformers' `GenerationConfig` (`max_new_tokens`, `do_sample`,
/// `temperature`, `top_k`, `top_p`, `repetition_penalty`, `stop_strings`, `eos_token_id`,
/// `pad_token_id`); like transformers 5, no top-k filter unless one is asked for.
public struct GenerationConfiguration: Codable, Equatable, Sendable {
    public var maxNewTokens: Int
    /// Sample from the processed distribution (transformers' `do_sample`); false: greedy (argmax).
    public var usesSampling: Bool
    /// Sampling only: logits are divided by it.
    public var temperature: Double
    /// Sampling only: keep the k most likely tokens (ties with the k-th kept); nil or 0: off.
    public var topK: Int?
    /// Sampling only: keep the smallest set of most likely tokens whose probability reaches p; 1: off.
    public var topP: Double
    /// > 1 discourages tokens already in the prompt (padding excluded) or generated: positive
    /// logits are divided by it, negative ones multiplied. Applies to greedy decoding too.
    public var repetitionPenalty: Double
    /// A sequence stops once its decoded text contains one of these (needs a text decoder).
    public var stopStrings: [String]
    /// A sequence stops after generating one of these.
    public var eosTokenIds: [Int]
    /// Fed for sequences that have finished while others go on (default: the first EOS id, else 0).
    public var padTokenId: Int?
    /// Seeds a private generator for sampling; nil uses the global one.
    public var seed: UInt64?
    /// Tokens never generated (transformers' `suppress_tokens`: their logits become -inf), e.g.
    /// the image token, which an answer must not contain.
    public var suppressedTokenIds: [Int] = []
    /// Sequences generated per prompt (transformers' `num_return_sequences`): each prompt is
    /// prefilled once and its keys and values copied to its samples, which come out next to each
    /// other (prompt 0's first, then prompt 1's…).
    public var samplesPerPrompt = 1
    /// Sampling only: one seed per generated sequence (after `samplesPerPrompt`), each drawing from
    /// a private generator, so that a sequence's tokens do not depend on which sequences share its
    /// batch — how the ranks of a data-parallel rollout sample exactly what one process would.
    /// Overrides `seed`. Not part of a generation_config.json.
    public var sequenceSeeds: [UInt64]?

    public init(
        maxNewTokens: Int = 32, usesSampling: Bool = false, temperature: Double = 1, topK: Int? = nil,
        topP: Double = 1, repetitionPenalty: Double = 1, stopStrings: [String] = [], eosTokenIds: [Int] = [],
        padTokenId: Int? = nil, seed: UInt64? = nil
    ) {
        self.maxNewTokens = maxNewTokens
        self.usesSampling = usesSampling
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.repetitionPenalty = repetitionPenalty
        self.stopStrings = stopStrings
        self.eosTokenIds = eosTokenIds
        self.padTokenId = padTokenId
        self.seed = seed
    }

    /// Greedy decoding of up to `maxNewTokens`, stopping at `eosTokenIds`.
    public static func greedy(maxNewTokens: Int, eosTokenIds: [Int] = []) -> GenerationConfiguration {
        GenerationConfiguration(maxNewTokens: maxNewTokens, eosTokenIds: eosTokenIds)
    }

    /// Sampling with temperature and nucleus filtering, seeded.
    public static func sampling(
        maxNewTokens: Int, temperature: Double = 1, topK: Int? = nil, topP: Double = 1, seed: UInt64? = nil,
        eosTokenIds: [Int] = []
    ) -> GenerationConfiguration {
        GenerationConfiguration(maxNewTokens: maxNewTokens, usesSampling: true, temperature: temperature, topK: topK,
                                topP: topP, eosTokenIds: eosTokenIds, seed: seed)
    }

    /// The problem that makes this configuration unusable, or nil.
    public func validationProblem() -> String? {
        if maxNewTokens < 1 { return "max new tokens must be at least 1, got \(maxNewTokens)" }
        if usesSampling && !(temperature > 0) { return "sampling needs a temperature > 0, got \(temperature)" }
        if let topK, topK < 0 { return "top-k must not be negative, got \(topK)" }
        if !(topP > 0 && topP <= 1) { return "top-p must be in (0, 1], got \(topP)" }
        if !(repetitionPenalty > 0) { return "the repetition penalty must be > 0, got \(repetitionPenalty)" }
        if stopStrings.contains("") { return "stop strings must not be empty" }
        if samplesPerPrompt < 1 { return "samples per prompt must be at least 1, got \(samplesPerPrompt)" }
        if let sequenceSeeds, sequenceSeeds.isEmpty { return "sequence seeds must not be empty when given" }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case maxNewTokens = "max_new_tokens"
        case usesSampling = "do_sample"
        case temperature
        case topK = "top_k"
        case topP = "top_p"
        case repetitionPenalty = "repetition_penalty"
        case stopStrings = "stop_strings"
        case eosTokenIds = "eos_token_id"
        case padTokenId = "pad_token_id"
        case seed
        case suppressedTokenIds = "suppress_tokens"
        case samplesPerPrompt = "num_return_sequences"
    }

    public init(from decoder: Decoder) throws {
        let defaults = GenerationConfiguration()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try container.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        maxNewTokens = try value(.maxNewTokens, defaults.maxNewTokens)
        usesSampling = try value(.usesSampling, defaults.usesSampling)
        temperature = try value(.temperature, defaults.temperature)
        topK = try container.decodeIfPresent(Int.self, forKey: .topK)
        topP = try value(.topP, defaults.topP)
        repetitionPenalty = try value(.repetitionPenalty, defaults.repetitionPenalty)
        if let list = try? container.decodeIfPresent([String].self, forKey: .stopStrings) {
            stopStrings = list
        } else {
            stopStrings = try container.decodeIfPresent(String.self, forKey: .stopStrings).map { [$0] } ?? []
        }
        if let list = try? container.decodeIfPresent([Int].self, forKey: .eosTokenIds) {
            eosTokenIds = list
        } else {
            eosTokenIds = try container.decodeIfPresent(Int.self, forKey: .eosTokenIds).map { [$0] } ?? []
        }
        padTokenId = try container.decodeIfPresent(Int.self, forKey: .padTokenId)
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed)
        suppressedTokenIds = try value(.suppressedTokenIds, defaults.suppressedTokenIds)
        samplesPerPrompt = try value(.samplesPerPrompt, defaults.samplesPerPrompt)
    }
}
