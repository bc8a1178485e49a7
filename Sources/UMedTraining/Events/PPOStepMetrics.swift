/// One Stage-2 step's numbers (issue 6's observability list): each reward term's mean and spread
/// and the total's, the box-parse rate, the KL to the reference and its coefficient, the update's
/// losses, entropy, clip fractions and approximate KL, the answers' length, and where the time went.
public struct PPOStepMetrics: Codable, Equatable, Sendable {
    public var step: Int
    public var totalSteps: Int
    public var rewards: RewardStatistics
    /// Mean over answer tokens of log π − log π_ref at the rollout.
    public var referenceKL: Double
    /// β used for this step's penalty.
    public var klCoefficient: Double
    public var policyLoss: Double
    public var valueLoss: Double
    public var entropy: Double
    public var approximateKL: Double
    public var policyClipFraction: Double
    public var valueClipFraction: Double
    /// Mean answer length in tokens (EOS included).
    public var answerLength: Double
    /// Answers of the step (all processes'), and their prompts' mean length in tokens (image
    /// tokens included): with `answerLength`, the tokens a step processes.
    public var answers: Int?
    public var promptLength: Double?
    public var learningRate: Double
    public var seconds: PPOStepTimes
    public var elapsedSeconds: Double
    public var etaSeconds: Double?

    public init(step: Int, totalSteps: Int, rewards: RewardStatistics, referenceKL: Double, klCoefficient: Double,
                update: PPOStatistics, answerLength: Double, learningRate: Double, seconds: PPOStepTimes,
                elapsedSeconds: Double, etaSeconds: Double?) {
        self.step = step
        self.totalSteps = totalSteps
        self.rewards = rewards
        self.referenceKL = referenceKL
        self.klCoefficient = klCoefficient
        policyLoss = update.policyLoss
        valueLoss = update.valueLoss
        entropy = update.entropy
        approximateKL = update.approximateKL
        policyClipFraction = update.policyClipFraction
        valueClipFraction = update.valueClipFraction
        self.answerLength = answerLength
        self.learningRate = learningRate
        self.seconds = seconds
        self.elapsedSeconds = elapsedSeconds
        self.etaSeconds = etaSeconds
    }

    enum CodingKeys: String, CodingKey {
        case step, rewards, entropy, seconds
        case totalSteps = "total_steps", referenceKL = "kl", klCoefficient = "kl_coefficient"
        case policyLoss = "policy_loss", valueLoss = "value_loss", approximateKL = "approx_kl"
        case policyClipFraction = "policy_clip_fraction", valueClipFraction = "value_clip_fraction"
        case answerLength = "answer_length", learningRate = "learning_rate", answers, promptLength = "prompt_length"
        case elapsedSeconds = "elapsed_seconds", etaSeconds = "eta_seconds"
    }
}

/// Where a PPO step's wall time went.
public struct PPOStepTimes: Codable, Equatable, Sendable {
    /// Sampling the answers (with attention capture).
    public var generation: Double
    /// The teacher-forced passes under the policy (+ value head) and the reference.
    public var scoring: Double
    /// Each reward term, by its name.
    public var rewards: [String: Double]
    /// The PPO epochs over minibatches.
    public var update: Double
    public var total: Double

    public init(generation: Double, scoring: Double, rewards: [String: Double], update: Double, total: Double) {
        self.generation = generation
        self.scoring = scoring
        self.rewards = rewards
        self.update = update
        self.total = total
    }
}
