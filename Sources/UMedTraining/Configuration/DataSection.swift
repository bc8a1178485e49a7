import UMedData
import UMedPipeline
import UMedText

/// `data:` — MAU JSONL files (with an image root and split filters) or generated phantoms, the
/// sequence length, augmentation and an optional system prompt.
public struct DataSection: Codable, Equatable, Sendable {
    /// The training MAU JSONL; exclusive with `phantoms`.
    public var train: String?
    /// The validation MAU JSONL (optional; with `train`, the split `validation_split` of `train` when absent).
    public var validation: String?
    /// The image root; the JSONL's folder when absent.
    public var root: String?
    /// Records of `train` whose split is this are used for training.
    public var trainSplit = "train"
    /// Records whose split is this are used for validation.
    public var validationSplit = "val"
    /// Generated phantoms instead of files.
    public var phantoms: PhantomDataSection?
    /// Sequences longer than this are truncated (and counted in a warning).
    public var maxLength = 512
    public var augmentation = AugmentationSection()
    /// A system prompt put in every conversation.
    public var systemPrompt: String?

    public init(
        train: String? = nil, validation: String? = nil, root: String? = nil, trainSplit: String = "train",
        validationSplit: String = "val", phantoms: PhantomDataSection? = nil, maxLength: Int = 512,
        augmentation: AugmentationSection = AugmentationSection(), systemPrompt: String? = nil
    ) {
        self.train = train
        self.validation = validation
        self.root = root
        self.trainSplit = trainSplit
        self.validationSplit = validationSplit
        self.phantoms = phantoms
        self.maxLength = maxLength
        self.augmentation = augmentation
        self.systemPrompt = systemPrompt
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case train, validation, root, phantoms, augmentation
        case trainSplit = "train_split", validationSplit = "validation_split"
        case maxLength = "max_length", systemPrompt = "system_prompt"
    }

    public init(from decoder: Decoder) throws {
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        let defaults = Self()
        train = try section(.train, default: defaults.train)
        validation = try section(.validation, default: defaults.validation)
        root = try section(.root, default: defaults.root)
        trainSplit = try section(.trainSplit, default: defaults.trainSplit)
        validationSplit = try section(.validationSplit, default: defaults.validationSplit)
        phantoms = try section(.phantoms, default: defaults.phantoms)
        maxLength = try section(.maxLength, default: defaults.maxLength)
        augmentation = try section(.augmentation, default: defaults.augmentation)
        systemPrompt = try section(.systemPrompt, default: defaults.systemPrompt)
    }

    func validate() throws {
        try requireOne([("data.train", train != nil), ("data.phantoms", phantoms != nil)])
        if phantoms != nil {
            try require(validation == nil, "data.validation", "phantom runs generate their validation set (data.phantoms.validation_count)")
        }
        try require(maxLength >= 16, "data.max_length", "must be at least 16, got \(maxLength)")
        try phantoms?.validate()
        try augmentation.validate()
    }
}

/// `data.phantoms:` — synthetic images with known findings (UMedData's PhantomGenerator).
public struct PhantomDataSection: Codable, Equatable, Sendable {
    public var seed: UInt64 = 0
    /// Image side in pixels.
    public var size = 64
    /// The training stream's length; absent: a fresh phantom for every sample, without end.
    public var count: Int?
    public var validationCount = 300
    /// The validation generator's seed (must differ from `seed`).
    public var validationSeed: UInt64 = 1
    /// A template directory for the answers (as `umed mau build --templates`); absent: the
    /// built-in narrative templates.
    public var templates: String?
    /// The named difficulty (`PhantomDifficulty.named`: realistic, demo).
    public var difficulty = "realistic"
    /// What the images show: `medical` (the modalities with lesions) or `shapes` (a base model's pretraining).
    public var scene = PhantomScene.medical
    /// Overrides of the named difficulty's values.
    public var minimumLesionRadius: Double?
    public var faintFraction: Double?
    public var normalFraction: Double?
    public var secondFindingFraction: Double?
    public var clutter: Double?
    /// A curriculum: the first `ramp_steps` optimizer steps' phantoms go linearly from the
    /// `ramp_from` difficulty (a name of `PhantomDifficulty.named`, default easy) to the one above.
    public var rampSteps = 0
    public var rampFrom = "easy"

    public init(seed: UInt64 = 0, size: Int = 64, count: Int? = nil, validationCount: Int = 300, validationSeed: UInt64 = 1,
                templates: String? = nil, difficulty: String = "realistic") {
        self.templates = templates
        self.difficulty = difficulty
        self.seed = seed
        self.size = size
        self.count = count
        self.validationCount = validationCount
        self.validationSeed = validationSeed
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case seed, size, count, templates, difficulty, scene
        case validationCount = "validation_count", validationSeed = "validation_seed"
        case minimumLesionRadius = "minimum_lesion_radius", faintFraction = "faint_fraction", normalFraction = "normal_fraction"
        case secondFindingFraction = "second_finding_fraction", clutter
        case rampSteps = "ramp_steps", rampFrom = "ramp_from"
    }

    /// The curriculum's first difficulty, or nil without a ramp.
    public func rampStart() throws -> PhantomDifficulty? {
        rampSteps > 0 ? try Self.namedDifficulty(rampFrom, path: "data.phantoms.ramp_from") : nil
    }

    /// The difficulty called `name` in `PhantomDifficulty.named`, or an error naming `path`.
    private static func namedDifficulty(_ name: String, path: String) throws -> PhantomDifficulty {
        guard let difficulty = PhantomDifficulty.named[name] else {
            throw TrainingError.invalidValue(path: path,
                                             problem: "\"\(name)\" is not one of \(PhantomDifficulty.named.keys.sorted().joined(separator: ", "))")
        }
        return difficulty
    }

    /// The named difficulty with this section's overrides.
    public func resolvedDifficulty() throws -> PhantomDifficulty {
        var resolved = try Self.namedDifficulty(difficulty, path: "data.phantoms.difficulty")
        if let minimumLesionRadius { resolved.minimumLesionRadius = minimumLesionRadius }
        if let faintFraction { resolved.faintFraction = faintFraction }
        if let normalFraction { resolved.normalFraction = normalFraction }
        if let secondFindingFraction { resolved.secondFindingFraction = secondFindingFraction }
        if let clutter { resolved.clutter = clutter }
        if let problem = resolved.problem { throw TrainingError.invalidValue(path: "data.phantoms", problem: problem) }
        return resolved
    }

    public init(from decoder: Decoder) throws {
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        let defaults = Self()
        seed = try section(.seed, default: defaults.seed)
        size = try section(.size, default: defaults.size)
        count = try section(.count, default: defaults.count)
        validationCount = try section(.validationCount, default: defaults.validationCount)
        validationSeed = try section(.validationSeed, default: defaults.validationSeed)
        templates = try section(.templates, default: defaults.templates)
        difficulty = try section(.difficulty, default: defaults.difficulty)
        scene = try section.choice(.scene, default: defaults.scene)
        minimumLesionRadius = try section(.minimumLesionRadius, default: defaults.minimumLesionRadius)
        faintFraction = try section(.faintFraction, default: defaults.faintFraction)
        normalFraction = try section(.normalFraction, default: defaults.normalFraction)
        secondFindingFraction = try section(.secondFindingFraction, default: defaults.secondFindingFraction)
        clutter = try section(.clutter, default: defaults.clutter)
        rampSteps = try section(.rampSteps, default: defaults.rampSteps)
        rampFrom = try section(.rampFrom, default: defaults.rampFrom)
    }

    func validate() throws {
        try require(size >= 16, "data.phantoms.size", "must be at least 16, got \(size)")
        if let count { try require(count > 0, "data.phantoms.count", "must be positive, got \(count)") }
        try require(rampSteps >= 0, "data.phantoms.ramp_steps", "must not be negative, got \(rampSteps)")
        try require(validationCount >= 0, "data.phantoms.validation_count", "must not be negative, got \(validationCount)")
        try require(validationSeed != seed, "data.phantoms.validation_seed", "must differ from seed (\(seed))")
        _ = try resolvedDifficulty()
    }
}

/// `data.augmentation:` — box-consistent augmentation of training images; `false`/`true` stand
/// for the section with `enabled` set so.
public struct AugmentationSection: Codable, Equatable, Sendable {
    public var enabled = false
    /// A random crop keeps at least this fraction of each side (1 = no cropping).
    public var minCropScale = 0.8
    /// The largest random shift, as a fraction of the image side.
    public var maxTranslation = 0.05
    /// The largest brightness change (fraction of the intensity range).
    public var brightness = 0.1
    /// The largest contrast change (fraction).
    public var contrast = 0.1

    public init(enabled: Bool = false, minCropScale: Double = 0.8, maxTranslation: Double = 0.05,
                brightness: Double = 0.1, contrast: Double = 0.1) {
        self.enabled = enabled
        self.minCropScale = minCropScale
        self.maxTranslation = maxTranslation
        self.brightness = brightness
        self.contrast = contrast
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, brightness, contrast
        case minCropScale = "min_crop_scale", maxTranslation = "max_translation"
    }

    public init(from decoder: Decoder) throws {
        if let enabled = try? decoder.singleValueContainer().decode(Bool.self) {
            self.init(enabled: enabled)
            return
        }
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        let defaults = Self()
        self.init(
            enabled: try section(.enabled, default: true),
            minCropScale: try section(.minCropScale, default: defaults.minCropScale),
            maxTranslation: try section(.maxTranslation, default: defaults.maxTranslation),
            brightness: try section(.brightness, default: defaults.brightness),
            contrast: try section(.contrast, default: defaults.contrast))
    }

    func validate() throws {
        try require(minCropScale > 0 && minCropScale <= 1, "data.augmentation.min_crop_scale", "must be in (0, 1], got \(minCropScale)")
        try require((0..<0.5).contains(maxTranslation), "data.augmentation.max_translation", "must be in [0, 0.5), got \(maxTranslation)")
        try require((0..<1).contains(brightness), "data.augmentation.brightness", "must be in [0, 1), got \(brightness)")
        try require((0..<1).contains(contrast), "data.augmentation.contrast", "must be in [0, 1), got \(contrast)")
    }
}
