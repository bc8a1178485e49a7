/// Errors of turning samples into training examples and batches.
public enum CollationError: Error, Equatable, CustomStringConvertible {
    /// A conversation turn's `from` is neither human/user nor gpt/assistant.
    case unknownRole(sample: String, role: String)
    /// The sample has no answer to train on (or no question to prompt with).
    case missingTurn(sample: String, role: String)
    /// Truncating to the maximum length would cut the image tokens.
    case imageTokensTruncated(sample: String, imageEnd: Int, maximumLength: Int)
    /// The source has fewer samples than one batch.
    case tooFewSamples(count: Int, batchSize: Int)
    /// A wrong setting (batch size, lengths, augmentation ranges).
    case invalidSetting(String)

    public var description: String {
        switch self {
        case let .unknownRole(sample, role):
            return "\(sample): conversation turn from \"\(role)\" (expected human/user or gpt/assistant)"
        case let .missingTurn(sample, role):
            return "\(sample): the conversation has no \(role) turn"
        case let .imageTokensTruncated(sample, imageEnd, maximumLength):
            return "\(sample): the image tokens end at position \(imageEnd), past the maximum length \(maximumLength); "
                + "raise the maximum length"
        case let .tooFewSamples(count, batchSize):
            return "the data has \(count) samples, fewer than one batch of \(batchSize)"
        case .invalidSetting(let problem):
            return "invalid data setting: \(problem)"
        }
    }
}
