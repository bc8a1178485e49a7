import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedModels

/// `rollout:` — how answers are sampled for each step (METHOD.md §4: k answers per prompt).
public struct AARRolloutConfiguration: Codable, Equatable, Sendable {
    /// Prompts drawn from the training data per step.
    public var prompts = 8
    /// k: answers sampled per prompt (the per-prompt maxima of the total reward are over these).
    public var answersPerPrompt = 4
    /// Sampling temperature; the PPO update reads the log-probabilities at the same temperature.
    public var temperature = 1.0
    public var topP = 1.0
    public var topK: Int?
    public var maxNewTokens = 96

    public init(prompts: Int = 8, answersPerPrompt: Int = 4, temperature: Double = 1, topP: Double = 1, topK: Int? = nil,
                maxNewTokens: Int = 96) {
        self.prompts = prompts
        self.answersPerPrompt = answersPerPrompt
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.maxNewTokens = maxNewTokens
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case prompts, temperature
        case answersPerPrompt = "answers_per_prompt", topP = "top_p", topK = "top_k", maxNewTokens = "max_new_tokens"
    }

    public init(from decoder: Decoder) throws {
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        let defaults = Self()
        prompts = try section(.prompts, default: defaults.prompts)
        answersPerPrompt = try section(.answersPerPrompt, default: defaults.answersPerPrompt)
        temperature = try section(.temperature, default: defaults.temperature)
        topP = try section(.topP, default: defaults.topP)
        topK = try section(.topK, default: defaults.topK)
        maxNewTokens = try section(.maxNewTokens, default: defaults.maxNewTokens)
    }

    /// The sampler's settings for step `step` of a run seeded `seed` (a seed per step, so a resumed
    /// run samples what the uninterrupted one would have).
    func generation(seed: UInt64, step: Int, eosTokenIds: [Int]) -> GenerationConfiguration {
        var rng = SplitMix64(seed: seed ^ 0x0A_A4_5A_4D, stream: UInt64(step))
        return .sampling(maxNewTokens: maxNewTokens, temperature: temperature, topK: topK, topP: topP, seed: rng.next(),
                         eosTokenIds: eosTokenIds)
    }

    func validate() throws {
        try require(prompts > 0, "rollout.prompts", "must be positive, got \(prompts)")
        try require(answersPerPrompt > 0, "rollout.answers_per_prompt", "must be positive, got \(answersPerPrompt)")
        try require(temperature > 0, "rollout.temperature", "must be positive, got \(temperature)")
        try require(topP > 0 && topP <= 1, "rollout.top_p", "must be in (0, 1], got \(topP)")
        if let topK { try require(topK > 0, "rollout.top_k", "must be positive, got \(topK)") }
        try require(maxNewTokens > 0, "rollout.max_new_tokens", "must be positive, got \(maxNewTokens)")
    }
}

/// `ppo:` — how the policy learns from a rollout (METHOD.md §4 (U) defaults), and the KL penalty
/// to the frozen Stage-1 model.
public struct PPOHyperparameters: Codable, Equatable, Sendable {
    public enum Advantages: String, Codable, CaseIterable, Sendable {
        /// GAE over token rewards (sequence reward on the last token, KL penalty on every token)
        /// with a value head.
        case ppo
        /// GRPO: each answer's total reward normalized within its prompt's group, on every
        /// token; no critic and no KL term (the KL to the reference is only reported).
        case grpo
    }

    /// How GRPO scales an answer's reward minus its group's mean.
    public enum GroupScale: String, Codable, CaseIterable, Sendable {
        /// Divided by the group's standard deviation (GRPO as published).
        case deviation
        /// Not divided (Dr. GRPO): small differences stay small.
        case none
    }

    /// `ppo` (GAE with a value head) or `grpo` (group-normalized advantages, no critic).
    public var mode = Advantages.ppo
    /// GRPO only: `deviation` or `none`.
    public var groupScale = GroupScale.deviation
    public var epochs = 4
    /// Answers per minibatch.
    public var minibatchSize = 8
    public var clipRange = 0.2
    public var valueClipRange = 0.2
    public var valueCoefficient = 0.5
    public var entropyCoefficient = 0.01
    /// Dropout before the value head's linear layer (trl's 0.1). Its masks are drawn per process,
    /// so a data-parallel run equals one process exactly only with 0.
    public var valueHeadDropout = 0.1
    public var gamma = 1.0
    public var lambda = 0.95
    /// β of the per-token KL penalty (the starting value when adaptive).
    public var klCoefficient = 0.05
    /// A target KL per answer makes β adaptive (Ziegler et al.); absent: fixed.
    public var klTarget: Double?
    public var klHorizon = 10_000.0

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case mode, epochs, gamma, lambda
        case groupScale = "group_scale", minibatchSize = "minibatch_size", clipRange = "clip_range", valueClipRange = "value_clip_range"
        case valueCoefficient = "value_coefficient", entropyCoefficient = "entropy_coefficient"
        case valueHeadDropout = "value_head_dropout"
        case klCoefficient = "kl_coefficient", klTarget = "kl_target", klHorizon = "kl_horizon"
    }

    public init(from decoder: Decoder) throws {
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        let defaults = Self()
        mode = try section.choice(.mode, default: defaults.mode)
        groupScale = try section.choice(.groupScale, default: defaults.groupScale)
        epochs = try section(.epochs, default: defaults.epochs)
        minibatchSize = try section(.minibatchSize, default: defaults.minibatchSize)
        clipRange = try section(.clipRange, default: defaults.clipRange)
        valueClipRange = try section(.valueClipRange, default: defaults.valueClipRange)
        valueCoefficient = try section(.valueCoefficient, default: defaults.valueCoefficient)
        entropyCoefficient = try section(.entropyCoefficient, default: defaults.entropyCoefficient)
        valueHeadDropout = try section(.valueHeadDropout, default: defaults.valueHeadDropout)
        gamma = try section(.gamma, default: defaults.gamma)
        lambda = try section(.lambda, default: defaults.lambda)
        klCoefficient = try section(.klCoefficient, default: defaults.klCoefficient)
        klTarget = try section(.klTarget, default: defaults.klTarget)
        klHorizon = try section(.klHorizon, default: defaults.klHorizon)
    }

    var klController: KLController { KLController(coefficient: klCoefficient, target: klTarget, horizon: klHorizon) }

    func validate() throws {
        try require(epochs > 0, "ppo.epochs", "must be positive, got \(epochs)")
        try require(minibatchSize > 0, "ppo.minibatch_size", "must be positive, got \(minibatchSize)")
        try require(clipRange > 0, "ppo.clip_range", "must be positive, got \(clipRange)")
        try require(valueClipRange > 0, "ppo.value_clip_range", "must be positive, got \(valueClipRange)")
        try require(valueCoefficient >= 0, "ppo.value_coefficient", "must not be negative, got \(valueCoefficient)")
        try require(entropyCoefficient >= 0, "ppo.entropy_coefficient", "must not be negative, got \(entropyCoefficient)")
        try require((0..<1).contains(valueHeadDropout), "ppo.value_head_dropout", "must be in [0, 1), got \(valueHeadDropout)")
        try require((0...1).contains(gamma), "ppo.gamma", "must be in [0, 1], got \(gamma)")
        try require((0...1).contains(lambda), "ppo.lambda", "must be in [0, 1], got \(lambda)")
        try require(klCoefficient >= 0, "ppo.kl_coefficient", "must not be negative, got \(klCoefficient)")
        if let klTarget { try require(klTarget > 0, "ppo.kl_target", "must be positive, got \(klTarget)") }
        try require(klHorizon > 0, "ppo.kl_horizon", "must be positive, got \(klHorizon)")
    }
}

/// `training:` — what trains, for how long, and the optimizer.
public struct AARTrainingConfiguration: Codable, Equatable, Sendable {
    /// The parts of the policy that train (with LoRA: the adapters, plus any part listed besides lm).
    public var trainable: [ModelPart] = [.projector, .lm]
    /// PPO steps (each: one rollout, then `ppo.epochs` over its minibatches).
    public var maxSteps = 100
    /// The policy's learning rate (constant).
    public var learningRate = 1e-5
    /// The value head's own learning rate.
    public var valueLearningRate = 1e-4
    public var weightDecay = 0.0
    /// Global gradient-norm clipping over policy and value head; 0 turns it off.
    public var maxGradNorm = 1.0
    public var seed: UInt64 = 0
    /// Stop (with a checkpoint) after this much wall time.
    public var timeLimitSeconds: Double?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case trainable, seed
        case maxSteps = "max_steps", learningRate = "learning_rate", valueLearningRate = "value_learning_rate"
        case weightDecay = "weight_decay", maxGradNorm = "max_grad_norm", timeLimitSeconds = "time_limit_seconds"
    }

    public init(from decoder: Decoder) throws {
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        let defaults = Self()
        trainable = try section.choices(.trainable, default: defaults.trainable)
        maxSteps = try section(.maxSteps, default: defaults.maxSteps)
        learningRate = try section(.learningRate, default: defaults.learningRate)
        valueLearningRate = try section(.valueLearningRate, default: defaults.valueLearningRate)
        weightDecay = try section(.weightDecay, default: defaults.weightDecay)
        maxGradNorm = try section(.maxGradNorm, default: defaults.maxGradNorm)
        seed = try section(.seed, default: defaults.seed)
        timeLimitSeconds = try section(.timeLimitSeconds, default: defaults.timeLimitSeconds)
    }

    func validate() throws {
        try require(!trainable.isEmpty, "training.trainable", "name at least one of vision, projector, lm")
        try require(Set(trainable).count == trainable.count, "training.trainable", "names a part twice")
        try require(maxSteps > 0, "training.max_steps", "must be positive, got \(maxSteps)")
        try require(learningRate > 0, "training.learning_rate", "must be positive, got \(learningRate)")
        try require(valueLearningRate >= 0, "training.value_learning_rate", "must not be negative, got \(valueLearningRate)")
        try require(weightDecay >= 0, "training.weight_decay", "must not be negative, got \(weightDecay)")
        try require(maxGradNorm >= 0, "training.max_grad_norm", "must not be negative (0 turns clipping off), got \(maxGradNorm)")
        if let timeLimitSeconds {
            try require(timeLimitSeconds > 0, "training.time_limit_seconds", "must be positive, got \(timeLimitSeconds)")
        }
    }
}
