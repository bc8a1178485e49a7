/// Everything that can go wrong in UMedTraining, with its context (DESIGN.md convention 9: one
/// error enum per module). Configuration paths are dotted YAML paths ("training.learning_rate",
/// "lora.target_modules[1]").
public enum TrainingError: Error, CustomStringConvertible, Equatable, Sendable {
    // Configuration files, keys, values and `--set` overrides.
    /// A key that the schema does not have, with the keys that section knows.
    case unknownKey(path: String, known: [String])
    /// A value of the wrong type, out of range, or in conflict with another value.
    case invalidValue(path: String, problem: String)
    /// A required value that is missing.
    case missingValue(path: String, problem: String)
    /// The file cannot be read.
    case unreadable(file: String, problem: String)
    /// The file is not YAML: where the parser stopped (1-based line and column) and why.
    case invalidYAML(file: String, line: Int, column: Int, problem: String)
    /// A key or value error (`unknownKey`, `invalidValue`, `missingValue`) in a configuration file,
    /// at the key's line and column when known.
    indirect case located(file: String, line: Int?, column: Int?, error: TrainingError)
    /// A `key=value` override that cannot be applied.
    case badOverride(String, problem: String)

    // Starting and continuing a run.
    case invalidConfiguration(String)
    case noTrainingData(String)
    /// The run directory holds checkpoints of an earlier run and `--resume` was not given.
    case runDirectoryInUse(String)
    case checkpointMismatch(checkpoint: String, problem: String)

    // Checkpoints and run files.
    /// A file-system operation failed.
    case io(path: String, problem: String)
    /// A checkpoint file is missing or does not hold what it should.
    case malformed(file: String, problem: String)

    // Stage 2: rewards and rollouts.
    /// The vision-relevance reward needs the answer's category attention; the rollout did not record it.
    case missingAttention(answer: Int)
    /// The attention's sizes do not agree with its values or with the patch grid.
    case malformedAttention(answer: Int, problem: String)
    /// The model returned no hidden states for a rollout's scoring pass.
    case missingHiddenStates

    public var description: String {
        switch self {
        case .unknownKey(let path, let known):
            return "\(path): unknown key (known: \(known.joined(separator: ", ")))"
        case .invalidValue(let path, let problem):
            return "\(path.isEmpty ? "<root>" : path): \(problem)"
        case .missingValue(let path, let problem):
            return "\(path): missing (\(problem))"
        case .unreadable(let file, let problem):
            return "\(file): \(problem)"
        case .invalidYAML(let file, let line, let column, let problem):
            return "\(file):\(line):\(column): not valid YAML: \(problem)"
        case .located(let file, let line, let column, let error):
            return [file, line.map(String.init), column.map(String.init)].compactMap { $0 }.joined(separator: ":") + ": \(error)"
        case .badOverride(let text, let problem):
            return "--set \(text): \(problem)"
        case .invalidConfiguration(let problem): return "invalid configuration: \(problem)"
        case .noTrainingData(let problem): return "no training data: \(problem)"
        case .runDirectoryInUse(let path):
            return "\(path) already holds checkpoints of a run; pass --resume to continue it, or choose another output.dir"
        case .checkpointMismatch(let checkpoint, let problem):
            return "checkpoint \(checkpoint) does not fit this run: \(problem)"
        case .io(let path, let problem): return "\(path): \(problem)"
        case .malformed(let file, let problem): return "\(file): \(problem)"
        case .missingAttention(let answer):
            return "answer \(answer): the vision-relevance reward needs its category-token attention, which was not recorded"
        case .malformedAttention(let answer, let problem):
            return "answer \(answer): malformed category-token attention: \(problem)"
        case .missingHiddenStates:
            return "the model returned no hidden states for the rollout's scoring pass"
        }
    }
}
