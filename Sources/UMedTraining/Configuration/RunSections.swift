import UMedNN

/// `lora:` — low-rank adapters on chosen linear layers (PEFT's meaning of each field).
public struct LoRASection: Codable, Equatable, Sendable {
    public var enabled = false
    public var rank = 8
    public var alpha = 16.0
    public var dropout = 0.05
    /// Names of the linear layers that get adapters (the last component of their module path).
    public var targetModules = ["q_proj", "v_proj"]
    /// Saved models have the adapters merged into their weights (the adapter alone is saved too).
    public var mergeOnSave = true

    public init(enabled: Bool = false, rank: Int = 8, alpha: Double = 16, dropout: Double = 0.05,
                targetModules: [String] = ["q_proj", "v_proj"], mergeOnSave: Bool = true) {
        self.enabled = enabled
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targetModules = targetModules
        self.mergeOnSave = mergeOnSave
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, rank, alpha, dropout
        case targetModules = "target_modules", mergeOnSave = "merge_on_save"
    }

    public init(from decoder: Decoder) throws {
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        let defaults = Self()
        enabled = try section(.enabled, default: defaults.enabled)
        rank = try section(.rank, default: defaults.rank)
        alpha = try section(.alpha, default: defaults.alpha)
        dropout = try section(.dropout, default: defaults.dropout)
        targetModules = try section(.targetModules, default: defaults.targetModules)
        mergeOnSave = try section(.mergeOnSave, default: defaults.mergeOnSave)
    }

    /// The adapter's settings for UMedNN's `LoRA`.
    public var adapterConfiguration: LoRAConfiguration {
        LoRAConfiguration(rank: rank, alpha: alpha, dropout: dropout, targetModules: targetModules)
    }

    func validate() throws {
        guard enabled else { return }
        try require(rank > 0, "lora.rank", "must be positive, got \(rank)")
        try require(alpha > 0, "lora.alpha", "must be positive, got \(alpha)")
        try require((0..<1).contains(dropout), "lora.dropout", "must be in [0, 1), got \(dropout)")
        try require(!targetModules.isEmpty, "lora.target_modules", "name at least one linear layer")
    }
}

/// `evaluation:` — validation loss and generation scored by IoU and category accuracy.
public struct EvaluationSection: Codable, Equatable, Sendable {
    /// Evaluate every this many steps; 0: only at the end.
    public var every = 0
    /// Validation batches for the validation loss.
    public var batches = 4
    /// Validation items to generate answers for and score.
    public var generate = 16
    public var maxNewTokens = 96
    /// Also evaluate before the first step: the starting model's numbers, by the same code.
    public var atStart = false

    public init(every: Int = 0, batches: Int = 4, generate: Int = 16, maxNewTokens: Int = 96, atStart: Bool = false) {
        self.every = every
        self.batches = batches
        self.generate = generate
        self.maxNewTokens = maxNewTokens
        self.atStart = atStart
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case every, batches, generate
        case maxNewTokens = "max_new_tokens", atStart = "at_start"
    }

    public init(from decoder: Decoder) throws {
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        let defaults = Self()
        every = try section(.every, default: defaults.every)
        batches = try section(.batches, default: defaults.batches)
        generate = try section(.generate, default: defaults.generate)
        maxNewTokens = try section(.maxNewTokens, default: defaults.maxNewTokens)
        atStart = try section(.atStart, default: defaults.atStart)
    }

    func validate() throws {
        try require(every >= 0, "evaluation.every", "must not be negative, got \(every)")
        try require(batches >= 0, "evaluation.batches", "must not be negative, got \(batches)")
        try require(generate >= 0, "evaluation.generate", "must not be negative, got \(generate)")
        try require(maxNewTokens > 0, "evaluation.max_new_tokens", "must be positive, got \(maxNewTokens)")
    }
}

/// `checkpoint:` — how often to save and how many to keep.
public struct CheckpointSection: Codable, Equatable, Sendable {
    /// Save every this many steps; 0: only at the end.
    public var every = 0
    public var keepLast = 2

    public init(every: Int = 0, keepLast: Int = 2) {
        self.every = every
        self.keepLast = keepLast
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case every
        case keepLast = "keep_last"
    }

    public init(from decoder: Decoder) throws {
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        let defaults = Self()
        every = try section(.every, default: defaults.every)
        keepLast = try section(.keepLast, default: defaults.keepLast)
    }

    func validate() throws {
        try require(every >= 0, "checkpoint.every", "must not be negative, got \(every)")
        try require(keepLast >= 1, "checkpoint.keep_last", "must be at least 1, got \(keepLast)")
    }
}

/// `output:` — the run directory (checkpoints, metrics.jsonl, config.yaml, the final model).
public struct OutputSection: Codable, Equatable, Sendable {
    /// The run directory; required.
    public var dir = ""

    public init(dir: String = "") {
        self.dir = dir
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dir
    }

    public init(from decoder: Decoder) throws {
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        dir = try section(.dir, default: Self().dir)
    }

    func validate() throws {
        if dir.isEmpty {
            throw TrainingError.missingValue(path: "output.dir", problem: "the run directory is required")
        }
    }
}
