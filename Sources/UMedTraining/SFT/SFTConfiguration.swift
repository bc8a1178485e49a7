import Foundation
import UMedTensor

/// Everything a stage-1 (SFT) run needs, as read from YAML (`configs/sft-*.yaml`) with snake_case
/// keys. Every key has a default except `output.dir`; unknown keys are errors. `validate()`
/// checks ranges and choices that exclude each other.
public struct SFTConfiguration: Codable, Equatable, Sendable {
    public var model = ModelSection()
    public var data = DataSection()
    public var training = SFTTrainingConfiguration()
    public var lora = LoRASection()
    public var evaluation = EvaluationSection()
    public var checkpoint = CheckpointSection()
    public var output = OutputSection()

    public init(
        model: ModelSection = .init(), data: DataSection = .init(),
        training: SFTTrainingConfiguration = .init(), lora: LoRASection = .init(),
        evaluation: EvaluationSection = .init(), checkpoint: CheckpointSection = .init(),
        output: OutputSection = .init()
    ) {
        self.model = model
        self.data = data
        self.training = training
        self.lora = lora
        self.evaluation = evaluation
        self.checkpoint = checkpoint
        self.output = output
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, data, training, lora, evaluation, checkpoint, output
    }

    public init(from decoder: Decoder) throws {
        let section = try ConfigurationSectionDecoder(decoder, keys: CodingKeys.self)
        let defaults = Self()
        model = try section(.model, default: defaults.model)
        data = try section(.data, default: defaults.data)
        training = try section(.training, default: defaults.training)
        lora = try section(.lora, default: defaults.lora)
        evaluation = try section(.evaluation, default: defaults.evaluation)
        checkpoint = try section(.checkpoint, default: defaults.checkpoint)
        output = try section(.output, default: defaults.output)
    }

    /// Reads a YAML file (relative paths from its folder) and applies `--set` overrides (does not validate).
    public static func load(from url: URL, overrides: [String] = []) throws -> SFTConfiguration {
        try YAMLConfiguration.load(SFTConfiguration.self, from: url, overrides: overrides, pathKeys: pathKeys)
    }

    /// The keys that hold file or folder paths: relative ones in a file are read from its folder.
    public static let pathKeys = ["model.base", "model.tokenizer", "data.train", "data.validation", "data.root",
                                  "data.phantoms.templates", "output.dir"]

    /// The resolved configuration as YAML (saved as `config.yaml` in the run directory).
    public func yaml() throws -> String {
        try YAMLConfiguration.encode(self)
    }

    /// Checks ranges and exclusive choices; the first problem is thrown as a
    /// `TrainingError` naming its dotted path.
    public func validate() throws {
        try model.validate()
        try data.validate()
        try training.validate()
        try lora.validate()
        try evaluation.validate()
        try checkpoint.validate()
        try output.validate()
        if data.phantoms?.count == nil, data.phantoms != nil, training.epochs != nil {
            throw TrainingError.invalidValue(
                path: "training.epochs", problem: "fresh phantoms (data.phantoms without count) have no epochs; use max_steps")
        }
        if let maxSteps = training.maxSteps, training.alignmentSteps >= maxSteps, training.alignmentSteps > 0 {
            throw TrainingError.invalidValue(
                path: "training.alignment_steps", problem: "\(training.alignmentSteps) leaves no step of max_steps \(maxSteps)")
        }
    }
}

// MARK: Validation helpers

/// Throws `invalidValue(path:problem:)` unless `condition` holds.
func require(_ condition: Bool, _ path: String, _ problem: @autoclosure () -> String) throws {
    if !condition { throw TrainingError.invalidValue(path: path, problem: problem()) }
}

/// Throws unless exactly one (or, with `allowingNone`, at most one) of the named values is set.
func requireOne(_ values: [(String, Bool)], allowingNone: Bool = false) throws {
    let set = values.filter(\.1).map(\.0)
    let names = values.map(\.0).joined(separator: " or ")
    if set.count > 1 {
        throw TrainingError.invalidValue(path: set[1], problem: "set only one of \(names) (also set: \(set[0]))")
    }
    if set.isEmpty && !allowingNone {
        throw TrainingError.missingValue(path: values[0].0, problem: "set one of \(names)")
    }
}
