/// Everything that can go wrong in UMedText (DESIGN.md convention 9: one error enum per module).
/// Tokenizer cases name the file and, where the problem is inside it, the JSON path
/// (`$.model.merges[12]`), so a bad tokenizer.json can be fixed by hand.
public enum TextError: Error, Equatable, CustomStringConvertible, Sendable {
    // Tokenizer files.
    /// The file could not be read (missing, unreadable, a directory without tokenizer.json).
    case unreadableFile(file: String, reason: String)
    /// The file is not valid JSON; `offset` is the byte where parsing stopped.
    case malformedJSON(file: String, offset: Int, reason: String)
    /// A value is missing, has the wrong type, or is not allowed (a merge naming an unknown token).
    case invalidValue(file: String, path: String, reason: String)
    /// A component (model, normalizer, pre-tokenizer, post-processor, decoder) this library does
    /// not implement, with the ones it does.
    case unsupportedComponent(file: String, path: String, type: String, supported: [String])

    // Building a tokenizer.
    case invalidSpecialTokens(String)
    case unserializable(String)

    // Chat formats.
    case unknownFormat(name: String, supported: [String])
    case invalidConversation(String)
    case unreadableCheckpointFile(file: String, reason: String)

    // The JSON reader.
    /// Bytes that are not JSON (as the reader's options read it): where and why.
    case invalidJSON(StrictJSON.ParseFailure)

    public var description: String {
        switch self {
        case let .unreadableFile(file, reason):
            return "cannot read tokenizer file \(file): \(reason)"
        case let .malformedJSON(file, offset, reason):
            return "\(file) is not valid JSON: \(reason) at byte \(offset)"
        case let .invalidValue(file, path, reason):
            return "\(file): \(path): \(reason)"
        case let .unsupportedComponent(file, path, type, supported):
            return "\(file): \(path): unsupported type \"\(type)\" (supported: \(supported.joined(separator: ", ")))"
        case .invalidSpecialTokens(let problem): return "cannot build a tokenizer: \(problem)"
        case .unserializable(let problem): return "cannot write tokenizer.json: \(problem)"
        case let .unknownFormat(name, supported):
            return "unknown chat format \"\(name)\" (supported: \(supported.joined(separator: ", ")))"
        case .invalidConversation(let reason):
            return "invalid conversation: \(reason)"
        case let .unreadableCheckpointFile(file, reason):
            return "cannot read \(file) to choose a chat format: \(reason)"
        case .invalidJSON(let failure): return failure.description
        }
    }
}
