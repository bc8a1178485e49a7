import UMedNN

/// `training:` — what trains, for how long, and the optimizer and schedule.
public struct SFTTrainingConfiguration: Codable, Equatable, Sendable {
    /// The parts that train (the vision tower stays frozen by default).
    public var trainable: [ModelPart] = [.projector, .lm]
    /// Optimizer steps; exclusive with `epochs`.
    public var maxSteps: Int?
    /// Passes over the training data; exclusive with `max_steps`.
    public var epochs: Int?
    public var batchSize = 8
    public var gradientAccumulation = 1
    /// Each batch runs as up to this many micro-batches of similar length (the same gradient for
    /// fewer padded tokens; `TrainingBatch.groupedByLength`); 1 runs it whole.
    public var lengthGroups = 1
    public var learningRate = 2e-5
    /// Per-part learning rates replacing `learning_rate` for that part.
    public var learningRates = SFTPartLearningRates()
    public var weightDecay = 0.0
    /// Linear warmup steps; exclusive with `warmup_ratio`.
    public var warmupSteps = 0
    /// Warmup as a fraction of the total steps; exclusive with `warmup_steps`.
    public var warmupRatio: Double?
    public var schedule: SFTSchedule = .cosine
    /// The schedule ends at this fraction of each learning rate.
    public var minLearningRateRatio = 0.0
    /// Global gradient-norm clipping; 0 turns it off.
    public var maxGradNorm = 1.0
    public var seed: UInt64 = 0
    /// Stage 1a (LLaVA's alignment idea): for this many first steps only the vision tower and
    /// projector train; then `trainable` does.
    public var alignmentSteps = 0
    /// Stop (with a checkpoint) after this much wall time.
    public var timeLimitSeconds: Double?

    public init(
        trainable: [ModelPart] = [.projector, .lm], maxSteps: Int? = nil, epochs: Int? = nil, batchSize: Int = 8,
        gradientAccumulation: Int = 1, learningRate: Double = 2e-5, learningRates: SFTPartLearningRates = .init(),
        weightDecay: Double = 0, warmupSteps: Int = 0, warmupRatio: Double? = nil, schedule: SFTSchedule = .cosine,
        minLearningRateRatio: Double = 0, maxGradNorm: Double = 1.0, seed: UInt64 = 0, alignmentSteps: Int = 0,
        timeLimitSeconds: Double? = nil
    ) {
        self.trainable = trainable
        self.maxSteps = maxSteps
        self.epochs = epochs
        self.batchSize = batchSize
        self.gradientAccumulation = gradientAccumulation
        self.learningRate = learningRate
        self.learningRates = learningRates
        self.weightDecay = weightDecay
        self.warmupSteps = warmupSteps
        self.warmupRatio = warmupRatio
        self.schedule = schedule
        self.minLearningRateRatio = minLearningRateRatio
        self.maxGradNorm = maxGradNorm
        self.seed = seed
        self.alignmentSteps = alignmentSteps
        self.timeLimitSeconds = timeLimitSeconds
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case trainable, epochs, schedule, seed
        case maxSteps = "max_steps", batchSize = "batch_size", gradientAccumulation = "gradient_accumulation"
        case lengthGroups = "length_groups"
        case learningRate = "learning_rate", learningRates = "learning_rates", weightDecay = "weight_decay"
        case warmupSteps = "warmup_steps", warmupRatio = "warmup_ratio"
        case minLearningRateRatio = "min_learning_rate_ratio", maxGradNorm = "max_grad_norm"
        case alignmentSteps = "alignment_steps", timeLimitSeconds = "time_limit_seconds"
    }

    public init(from decoder: Decoder) throws {
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        let defaults = Self()
        trainable = try section.choices(.trainable, default: defaults.trainable)
        maxSteps = try section(.maxSteps, default: defaults.maxSteps)
        epochs = try section(.epochs, default: defaults.epochs)
        batchSize = try section(.batchSize, default: defaults.batchSize)
        gradientAccumulation = try section(.gradientAccumulation, default: defaults.gradientAccumulation)
        lengthGroups = try section(.lengthGroups, default: defaults.lengthGroups)
        learningRate = try section(.learningRate, default: defaults.learningRate)
        learningRates = try section(.learningRates, default: defaults.learningRates)
        weightDecay = try section(.weightDecay, default: defaults.weightDecay)
        warmupSteps = try section(.warmupSteps, default: defaults.warmupSteps)
        warmupRatio = try section(.warmupRatio, default: defaults.warmupRatio)
        schedule = try section.choice(.schedule, default: defaults.schedule)
        minLearningRateRatio = try section(.minLearningRateRatio, default: defaults.minLearningRateRatio)
        maxGradNorm = try section(.maxGradNorm, default: defaults.maxGradNorm)
        seed = try section(.seed, default: defaults.seed)
        alignmentSteps = try section(.alignmentSteps, default: defaults.alignmentSteps)
        timeLimitSeconds = try section(.timeLimitSeconds, default: defaults.timeLimitSeconds)
    }

    /// The learning rate of `part`: its override, else `learning_rate`.
    public func learningRate(for part: ModelPart) -> Double {
        switch part {
        case .vision: return learningRates.vision ?? learningRate
        case .projector: return learningRates.projector ?? learningRate
        case .lm: return learningRates.lm ?? learningRate
        }
    }

    /// Warmup steps for a run of `totalSteps` (from `warmup_steps` or `warmup_ratio`).
    public func warmupSteps(totalSteps: Int) -> Int {
        if let warmupRatio { return Int((warmupRatio * Double(totalSteps)).rounded()) }
        return warmupSteps
    }

    /// The learning-rate multiplier over a run of `totalSteps` optimizer steps: linear warmup,
    /// then `schedule` (cosine and linear decay to `min_learning_rate_ratio`; cosine only).
    public func schedule(totalSteps: Int) -> LearningRateSchedule {
        let warmup = warmupSteps(totalSteps: totalSteps)
        switch schedule {
        case .cosine: return .cosine(warmupSteps: warmup, totalSteps: totalSteps, minimumRate: minLearningRateRatio)
        case .linear: return .linear(warmupSteps: warmup, totalSteps: totalSteps)
        case .constant: return warmup > 0 ? .constantWithWarmup(warmupSteps: warmup) : .constant
        }
    }

    func validate() throws {
        let path = "training."
        try require(!trainable.isEmpty, path + "trainable", "name at least one of vision, projector, lm")
        try require(Set(trainable).count == trainable.count, path + "trainable", "names a part twice")
        try requireOne([(path + "max_steps", maxSteps != nil), (path + "epochs", epochs != nil)])
        if let maxSteps { try require(maxSteps > 0, path + "max_steps", "must be positive, got \(maxSteps)") }
        if let epochs { try require(epochs > 0, path + "epochs", "must be positive, got \(epochs)") }
        try require(batchSize > 0, path + "batch_size", "must be positive, got \(batchSize)")
        try require(gradientAccumulation > 0, path + "gradient_accumulation", "must be positive, got \(gradientAccumulation)")
        try require(lengthGroups > 0, path + "length_groups", "must be positive, got \(lengthGroups)")
        try require(learningRate > 0, path + "learning_rate", "must be positive, got \(learningRate)")
        for (name, rate) in [("vision", learningRates.vision), ("projector", learningRates.projector), ("lm", learningRates.lm)] {
            if let rate { try require(rate >= 0, path + "learning_rates." + name, "must not be negative, got \(rate)") }
        }
        try require(weightDecay >= 0, path + "weight_decay", "must not be negative, got \(weightDecay)")
        try require(warmupSteps >= 0, path + "warmup_steps", "must not be negative, got \(warmupSteps)")
        if let warmupRatio {
            try require(warmupSteps == 0, path + "warmup_ratio", "set only one of warmup_steps or warmup_ratio")
            try require((0..<1).contains(warmupRatio), path + "warmup_ratio", "must be in [0, 1), got \(warmupRatio)")
        }
        try require((0...1).contains(minLearningRateRatio), path + "min_learning_rate_ratio",
                    "must be in [0, 1], got \(minLearningRateRatio)")
        try require(minLearningRateRatio == 0 || schedule == .cosine, path + "min_learning_rate_ratio",
                    "applies to the cosine schedule only (schedule: \(schedule.rawValue))")
        try require(maxGradNorm >= 0, path + "max_grad_norm", "must not be negative (0 turns clipping off), got \(maxGradNorm)")
        try require(alignmentSteps >= 0, path + "alignment_steps", "must not be negative, got \(alignmentSteps)")
        if let timeLimitSeconds {
            try require(timeLimitSeconds > 0, path + "time_limit_seconds", "must be positive, got \(timeLimitSeconds)")
        }
    }
}

/// `training.schedule`: the learning-rate curve after warmup.
extension SFTTrainingConfiguration {
    /// Optimizer steps of the run: `max_steps`, else `epochs` × batches per epoch / accumulation.
    func totalSteps(trainingSamples: Int, batchesPerEpoch: Int) throws -> Int {
        if let maxSteps { return maxSteps }
        let steps = (epochs ?? 1) * batchesPerEpoch / gradientAccumulation
        guard steps > 0 else {
            throw TrainingError.noTrainingData(
                "\(trainingSamples) training samples make no full step of batch_size \(batchSize) × gradient_accumulation \(gradientAccumulation)")
        }
        return steps
    }
}

public enum SFTSchedule: String, Codable, CaseIterable, Sendable {
    case cosine, linear, constant
}

/// `training.learning_rates:` — per-part learning rates (absent: `training.learning_rate`).
public struct SFTPartLearningRates: Codable, Equatable, Sendable {
    public var vision: Double?
    public var projector: Double?
    public var lm: Double?

    public init(vision: Double? = nil, projector: Double? = nil, lm: Double? = nil) {
        self.vision = vision
        self.projector = projector
        self.lm = lm
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case vision, projector, lm
    }

    public init(from decoder: Decoder) throws {
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        vision = try section(.vision, default: nil)
        projector = try section(.projector, default: nil)
        lm = try section(.lm, default: nil)
    }
}
