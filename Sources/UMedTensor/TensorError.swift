/// Errors of UMedTensor: backend failures caught by `Tensor.checked`, and I/O problems.
public enum TensorError: Error, CustomStringConvertible, Equatable {
    /// libtorch refused an operation; the text is libtorch's own message.
    case backend(String)
    /// A safetensors file is malformed or does not match what was asked of it.
    case invalidSafetensors(file: String, problem: String)
    /// A file could not be read or written.
    case io(file: String, problem: String)
    /// A process group could not form, or a collective failed (a peer died, a timeout passed).
    case distributed(String)

    public var description: String {
        switch self {
        case .backend(let message): return "libtorch: \(message)"
        case .invalidSafetensors(let file, let problem): return "\(file): invalid safetensors file: \(problem)"
        case .io(let file, let problem): return "\(file): \(problem)"
        case .distributed(let message): return "distributed: \(message)"
        }
    }
}
