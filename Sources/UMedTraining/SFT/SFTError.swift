/// Why a stage-1 run cannot start or continue.
public enum SFTError: Error, CustomStringConvertible, Equatable {
    case invalidConfiguration(String)
    case noTrainingData(String)
    /// The run directory holds checkpoints of an earlier run and `--resume` was not given.
    case runDirectoryInUse(String)
    case checkpointMismatch(checkpoint: String, problem: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let problem): return "invalid configuration: \(problem)"
        case .noTrainingData(let problem): return "no training data: \(problem)"
        case .runDirectoryInUse(let path):
            return "\(path) already holds checkpoints of a run; pass --resume to continue it, or choose another output.dir"
        case .checkpointMismatch(let checkpoint, let problem):
            return "checkpoint \(checkpoint) does not fit this run: \(problem)"
        }
    }
}
