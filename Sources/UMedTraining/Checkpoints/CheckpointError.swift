/// Errors reading or writing checkpoints and run files.
public enum CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A file-system operation failed.
    case io(path: String, problem: String)
    /// A checkpoint file is missing or does not hold what it should.
    case malformed(file: String, problem: String)

    public var description: String {
        switch self {
        case .io(let path, let problem): return "\(path): \(problem)"
        case .malformed(let file, let problem): return "\(file): \(problem)"
        }
    }
}
