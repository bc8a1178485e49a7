import Foundation

/// What can go wrong in evaluation and reporting (one enum for the module; synonym tables report
/// their lines through UMedData's `DataError`).
public enum EvaluationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The data selects no sample (an empty file, or no sample in the split).
    case noSamples(String)
    /// The captured attention does not cover the model's patch grid.
    case attentionShape(patches: Int, grid: String)
    /// A file that evaluation or comparison reads is missing or not what it should be.
    case unreadable(path: String, problem: String)
    /// A report file could not be written.
    case unwritable(path: String, problem: String)
    /// The judge could not be set up or asked.
    case judge(String)

    public var description: String {
        switch self {
        case .noSamples(let problem): return "nothing to evaluate: \(problem)"
        case .attentionShape(let patches, let grid):
            return "the captured attention covers \(patches) image positions, not the \(grid) patch grid of the model's input"
        case .unreadable(let path, let problem): return "\(path): cannot read: \(problem)"
        case .unwritable(let path, let problem): return "\(path): cannot write: \(problem)"
        case .judge(let problem): return "judge: \(problem)"
        }
    }
}
