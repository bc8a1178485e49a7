import Foundation
import UMedTensor

/// Everything a stage-2 (AAR) run needs, as read from YAML (`configs/aar-*.yaml`) with snake_case
/// keys: the Stage-1 model it starts from (`model.base`), the prompts (`data`, as Stage 1 reads
/// them), the reward terms that are on (`rewards`) and how they score (`scoring`), sampling
/// (`rollout`), the update (`ppo`, `training`, `lora`), evaluation, checkpoints and the run
/// directory. Unknown keys are errors; `validate()` checks ranges and exclusive choices.
public struct AARConfiguration: Codable, Equatable, Sendable {
    /// `model.base` (required) is the Stage-1 model directory; the rest as in Stage 1.
    public var model = ModelSection()
    public var data = DataSection()
    /// The reward terms that are on; leaving one out is the paper's ablation
    /// (`--set rewards=relevance,localization`).
    public var rewards: [RewardTerm] = RewardTerm.allCases
    public var scoring = AARScoringConfiguration()
    public var rollout = AARRolloutConfiguration()
    public var ppo = PPOHyperparameters()
    public var training = AARTrainingConfiguration()
    public var lora = LoRASection()
    public var evaluation = EvaluationSection()
    public var checkpoint = CheckpointSection()
    public var output = OutputSection()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, data, rewards, scoring, rollout, ppo, training, lora, evaluation, checkpoint, output
    }

    public init(from decoder: Decoder) throws {
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        let defaults = Self()
        model = try section(.model, default: defaults.model)
        data = try section(.data, default: defaults.data)
        rewards = try section.choices(.rewards, default: defaults.rewards)
        scoring = try section(.scoring, default: defaults.scoring)
        rollout = try section(.rollout, default: defaults.rollout)
        ppo = try section(.ppo, default: defaults.ppo)
        training = try section(.training, default: defaults.training)
        lora = try section(.lora, default: defaults.lora)
        evaluation = try section(.evaluation, default: defaults.evaluation)
        checkpoint = try section(.checkpoint, default: defaults.checkpoint)
        output = try section(.output, default: defaults.output)
    }

    /// Reads a YAML file (relative paths from its folder) and applies `--set` overrides (does not validate).
    public static func load(from url: URL, overrides: [String] = []) throws -> AARConfiguration {
        try YAMLConfiguration.load(AARConfiguration.self, from: url, overrides: overrides, pathKeys: pathKeys)
    }

    /// The keys that hold file or folder paths: relative ones in a file are read from its folder.
    public static let pathKeys = ["model.base", "model.tokenizer", "data.train", "data.validation", "data.root",
                                  "data.phantoms.templates", "output.dir", "scoring.embedding_model", "scoring.judge.cache"]

    /// The resolved configuration as YAML (saved as `config.yaml` in the run directory).
    public func yaml() throws -> String {
        try YAMLConfiguration.encode(self)
    }

    public func validate() throws {
        guard model.base != nil else {
            throw TrainingError.missingValue(path: "model.base", problem: "Stage 2 starts from a Stage-1 model directory (umed train sft writes <run>/model)")
        }
        try require(model.preset == nil, "model.preset", "Stage 2 starts from a trained model (model.base), not a preset")
        try model.validate()
        try data.validate()
        try require(!rewards.isEmpty, "rewards", "switch on at least one of \(RewardTerm.allCases.map(\.rawValue).joined(separator: ", "))")
        try require(Set(rewards).count == rewards.count, "rewards", "names a term twice")
        try scoring.validate(usesRelevance: rewards.contains(.relevance))
        try rollout.validate()
        try ppo.validate()
        try training.validate()
        try lora.validate()
        try evaluation.validate()
        try checkpoint.validate()
        try output.validate()
        if ppo.mode == .grpo {
            try require(rollout.answersPerPrompt > 1, "rollout.answers_per_prompt", "GRPO compares answers within a prompt: needs at least 2")
        }
    }
}

/// `scoring:` — how each reward term scores (METHOD.md §4).
public struct AARScoringConfiguration: Codable, Equatable, Sendable {
    public enum RelevanceScorer: String, Codable, CaseIterable, Sendable {
        case embedding, lexical, judge
    }

    /// r_rel's scorer: MiniLM cosine (default), token F1, or an LLM judge.
    public var relevance = RelevanceScorer.embedding
    /// The sentence-transformers model directory for `embedding` (absent: the installed all-MiniLM-L6-v2).
    public var embeddingModel: String?
    /// Weights of the terms in the total.
    public var weights = RewardWeights()
    /// Decoder layers whose attention r_att reads, from 0 (negative: from the end, -1 the last); absent: all.
    public var visionLayers: [Int]?
    /// The judge for `relevance: judge`.
    public var judge = AARJudgeConfiguration()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case relevance, weights, judge
        case embeddingModel = "embedding_model", visionLayers = "vision_layers"
    }

    public init(from decoder: Decoder) throws {
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        let defaults = Self()
        relevance = try section.choice(.relevance, default: defaults.relevance)
        embeddingModel = try section(.embeddingModel, default: defaults.embeddingModel)
        weights = try section(.weights, default: defaults.weights)
        visionLayers = try section(.visionLayers, default: defaults.visionLayers)
        judge = try section(.judge, default: defaults.judge)
    }

    func validate(usesRelevance: Bool) throws {
        for (name, weight) in [("relevance", weights.relevance), ("localization", weights.localization), ("vision", weights.vision)] {
            try require(weight >= 0, "scoring.weights." + name, "must not be negative, got \(weight)")
        }
        if let visionLayers {
            try require(!visionLayers.isEmpty, "scoring.vision_layers", "name at least one layer (or leave it out for all)")
        }
        if usesRelevance && relevance == .judge { try judge.validate() }
    }
}

/// `scoring.judge:` — an OpenAI-compatible chat endpoint that scores relevance 0–10 (text only:
/// no image is sent). Calls are cached in `cache` (answered again for free) and retried.
public struct AARJudgeConfiguration: Codable, Equatable, Sendable {
    public var baseURL: String?
    public var model: String?
    /// The environment variable holding the API key (the key itself never goes in a file).
    public var apiKeyEnv = "OPENAI_API_KEY"
    /// A non-loopback endpoint must be allowed explicitly.
    public var allowRemote = false
    /// The response cache directory (absent: `<run>/judge-cache`).
    public var cache: String?
    /// Paid requests at most over the run (absent: no limit).
    public var maxRequests: Int?
    /// Requests in flight at once.
    public var concurrency = 4

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, cache, concurrency
        case baseURL = "base_url", apiKeyEnv = "api_key_env", allowRemote = "allow_remote", maxRequests = "max_requests"
    }

    public init(from decoder: Decoder) throws {
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        let defaults = Self()
        baseURL = try section(.baseURL, default: defaults.baseURL)
        model = try section(.model, default: defaults.model)
        apiKeyEnv = try section(.apiKeyEnv, default: defaults.apiKeyEnv)
        allowRemote = try section(.allowRemote, default: defaults.allowRemote)
        cache = try section(.cache, default: defaults.cache)
        maxRequests = try section(.maxRequests, default: defaults.maxRequests)
        concurrency = try section(.concurrency, default: defaults.concurrency)
    }

    func validate() throws {
        if baseURL == nil { throw TrainingError.missingValue(path: "scoring.judge.base_url", problem: "the judge's endpoint, e.g. http://127.0.0.1:8000/v1") }
        if model == nil { throw TrainingError.missingValue(path: "scoring.judge.model", problem: "the judge model's name") }
        if let maxRequests { try require(maxRequests > 0, "scoring.judge.max_requests", "must be positive, got \(maxRequests)") }
        try require(concurrency > 0, "scoring.judge.concurrency", "must be positive, got \(concurrency)")
    }
}

extension RewardWeights {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case relevance, localization, vision
    }

    public init(from decoder: Decoder) throws {
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        self.init(relevance: try section(.relevance, default: 1.0), localization: try section(.localization, default: 1.0),
                  vision: try section(.vision, default: 1.0))
    }
}
