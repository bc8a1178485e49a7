/// Errors of UMed's imaging: decoding, encoding, files and image-processor configurations. Each
/// names the file (or "<memory>" for data without one) and the problem.
public enum ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be read (missing, unreadable).
    case unreadable(file: String, reason: String)
    /// The data is not a valid image (bad structure, checksum, compressed data; zero width or height).
    case corrupt(file: String, detail: String)
    /// The data ends before the image does.
    case truncated(file: String, detail: String)
    /// The declared dimensions exceed the pixel limit; nothing was allocated for them.
    case tooLarge(file: String, width: Int, height: Int, limit: Int)
    /// Not PNG or JPEG, or a variant UMed does not decode or encode.
    case unsupported(file: String, detail: String)
    /// Encoding or writing failed.
    case writeFailed(file: String, reason: String)
    /// A preprocessor_config.json that UMed cannot use.
    case invalidProcessorConfiguration(file: String, problem: String)

    /// The file the error is about.
    public var file: String {
        switch self {
        case .unreadable(let file, _), .corrupt(let file, _), .truncated(let file, _), .tooLarge(let file, _, _, _),
             .unsupported(let file, _), .writeFailed(let file, _), .invalidProcessorConfiguration(let file, _):
            return file
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): cannot read the image: \(reason)"
        case .corrupt(let file, let detail): return "\(file): corrupt image: \(detail)"
        case .truncated(let file, let detail): return "\(file): truncated image: \(detail)"
        case .tooLarge(let file, let width, let height, let limit):
            return "\(file): image too large: declared \(width)x\(height) pixels, limit \(limit) pixels"
        case .unsupported(let file, let detail): return "\(file): unsupported image: \(detail)"
        case .writeFailed(let file, let reason): return "\(file): cannot write the image: \(reason)"
        case .invalidProcessorConfiguration(let file, let problem):
            return "\(file): invalid image processor configuration: \(problem)"
        }
    }
}
