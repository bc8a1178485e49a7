/// Everything that can go wrong in UMedData, with its context (DESIGN.md convention 9: one error
/// enum per module; cases, not types, for the kinds of failure). Each case names the file, line,
/// endpoint or box it is about.
public enum DataError: Error, CustomStringConvertible, Equatable, Sendable {
    // Record files (JSON Lines, synonym tables, templates, prompts, caches).
    /// A line of a file is not a valid value: the file, the 1-based line and the problem.
    case invalidLine(file: String, line: Int, problem: String)
    case unreadable(file: String, problem: String)
    case unwritable(file: String, problem: String)

    // Images. Each names the file (or "<memory>" for data without one).
    /// The file could not be read (missing, unreadable).
    case imageUnreadable(file: String, reason: String)
    /// The data is not a valid image (bad structure, checksum, compressed data; zero width or height).
    case corruptImage(file: String, detail: String)
    /// The data ends before the image does.
    case truncatedImage(file: String, detail: String)
    /// The declared dimensions exceed the pixel limit; nothing was allocated for them.
    case imageTooLarge(file: String, width: Int, height: Int, limit: Int)
    /// Not PNG or JPEG, or a variant UMed does not decode or encode.
    case unsupportedImage(file: String, detail: String)
    /// Encoding or writing failed.
    case imageWriteFailed(file: String, reason: String)

    // Boxes.
    /// A coordinate is NaN or infinite.
    case nonFiniteBox(Box)
    /// x1 ≥ x2 or y1 ≥ y2 (zero or negative width or height).
    case boxNotOrdered(Box)
    /// Part of the box lies outside the image (0, 0, width, height).
    case boxOutsideImage(Box, ImageSize)
    /// The image has zero (or negative) width or height, so no box fits and none converts.
    case emptyImage(ImageSize)

    // Imports: inputs missing or unreadable as a whole (bad rows never throw; they are reported).
    case missingInput(path: String, what: String)
    case unreadableInput(path: String, problem: String)

    // Vision-API endpoints and their requests (the MAU builder, the relevance judge).
    /// The base URL is not an http(s) URL with a host.
    case invalidEndpoint(url: String)
    /// The endpoint is not on this machine and remote endpoints were not allowed.
    case remoteNotAllowed(host: String)
    /// The API key's environment variable is unset or empty.
    case missingAPIKey(variable: String)
    /// A request failed (after its retries, when retried).
    case requestFailed(RequestFailure)
    /// A failed attempt whose reply still reported token usage: billed, so it counts toward
    /// `--max-tokens-total`.
    case billedFailure(RequestFailure, usage: TokenUsage)
    /// `--max-requests` or `--max-tokens-total` is spent.
    case budgetExhausted(String)
    /// A model's reply that cannot be made into an answer.
    case unusableReply(String)

    // The relevance judge.
    /// The judge cannot be set up: a missing API key (naming the setting), a remote endpoint not
    /// allowed, a malformed base URL.
    case judgeSetup(String)
    /// The judge's reply (cut to 200 characters) holds no integer score from 0 to 10.
    case judgeReply(answer: Int, reply: String)
    /// The judge could not be asked: the request failed after its retries, the budget is spent, or
    /// the cache or journal could not be written.
    case judgeUnavailable(answer: Int, problem: String)

    // Fuzzing.
    /// An input broke an invariant (a bug, like a crash, but one the fuzz runner survives).
    case invariantViolated(String)

    /// The image file an image error is about.
    public var imageFile: String? {
        switch self {
        case .imageUnreadable(let file, _), .corruptImage(let file, _), .truncatedImage(let file, _), .imageTooLarge(let file, _, _, _),
             .unsupportedImage(let file, _), .imageWriteFailed(let file, _):
            return file
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .invalidLine(let file, let line, let problem): return "\(file):\(line): \(problem)"
        case .unreadable(let file, let problem): return "\(file): cannot read: \(problem)"
        case .unwritable(let file, let problem): return "\(file): cannot write: \(problem)"
        case .imageUnreadable(let file, let reason): return "\(file): cannot read the image: \(reason)"
        case .corruptImage(let file, let detail): return "\(file): corrupt image: \(detail)"
        case .truncatedImage(let file, let detail): return "\(file): truncated image: \(detail)"
        case .imageTooLarge(let file, let width, let height, let limit):
            return "\(file): image too large: declared \(width)x\(height) pixels, limit \(limit) pixels"
        case .unsupportedImage(let file, let detail): return "\(file): unsupported image: \(detail)"
        case .imageWriteFailed(let file, let reason): return "\(file): cannot write the image: \(reason)"
        case .nonFiniteBox(let box): return "box \(box) has a non-finite coordinate"
        case .boxNotOrdered(let box): return "box \(box) needs x1 < x2 and y1 < y2 (zero or negative area)"
        case .boxOutsideImage(let box, let size): return "box \(box) lies outside the \(size) image"
        case .emptyImage(let size): return "the image size \(size) is empty: width and height must be positive"
        case .missingInput(let path, let what): return "\(path): not found (\(what))"
        case .unreadableInput(let path, let problem): return "\(path): cannot read: \(problem)"
        case .invalidEndpoint(let url): return "the base URL \(url) is not an http(s) URL with a host"
        case .remoteNotAllowed(let host):
            return "refusing to send images to \(host), which is not this machine (loopback); pass --allow-remote "
                + "to send patient images to a remote endpoint"
        case .missingAPIKey(let variable): return "the environment variable \(variable) (--api-key-env) is not set or empty"
        case .requestFailed(let failure): return "\(failure)"
        case .billedFailure(let failure, let usage): return "\(failure) (\(usage.totalTokens) tokens billed)"
        case .budgetExhausted(let problem): return problem
        case .unusableReply(let problem): return problem
        case .judgeSetup(let problem): return "relevance judge: \(problem)"
        case .judgeReply(let answer, let reply):
            return "answer \(answer): the relevance judge replied without a score from 0 to 10: \"\(reply)\""
        case .judgeUnavailable(let answer, let problem):
            return "answer \(answer): the relevance judge could not be asked: \(problem)"
        case .invariantViolated(let problem): return problem
        }
    }
}
