/// Everything that can go wrong in UMedPipeline, with its context (DESIGN.md convention 9: one
/// error enum per module): loading a model bundle, turning samples into examples and batches.
public enum PipelineError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A preprocessor_config.json that UMed cannot read or use.
    case invalidProcessorConfiguration(file: String, problem: String)
    /// The checkpoint holds a text-only model where a vision-language model is needed.
    case notVisionLanguage(model: String)
    /// A conversation turn's `from` is neither human/user nor gpt/assistant.
    case unknownRole(sample: String, role: String)
    /// The sample has no answer to train on (or no question to prompt with).
    case missingTurn(sample: String, role: String)
    /// Truncating to the maximum length would cut the image tokens.
    case imageTokensTruncated(sample: String, imageEnd: Int, maximumLength: Int)
    /// The source has fewer samples than one batch.
    case tooFewSamples(count: Int, batchSize: Int)
    /// A batch's prompts put their image tokens at different positions (a rollout or an attention
    /// capture needs them aligned).
    case imageTokensNotAligned(starts: [Int])
    /// A wrong setting (batch size, lengths, augmentation ranges).
    case invalidSetting(String)

    public var description: String {
        switch self {
        case .invalidProcessorConfiguration(let file, let problem):
            return "\(file): invalid image processor configuration: \(problem)"
        case .notVisionLanguage(let model):
            return "\(model) is a text-only model; a vision-language model is needed"
        case let .unknownRole(sample, role):
            return "\(sample): conversation turn from \"\(role)\" (expected human/user or gpt/assistant)"
        case let .missingTurn(sample, role):
            return "\(sample): the conversation has no \(role) turn"
        case let .imageTokensTruncated(sample, imageEnd, maximumLength):
            return "\(sample): the image tokens end at position \(imageEnd), past the maximum length \(maximumLength); "
                + "raise the maximum length"
        case let .tooFewSamples(count, batchSize):
            return "the data has \(count) samples, fewer than one batch of \(batchSize)"
        case .imageTokensNotAligned(let starts):
            return "the prompts' image tokens start at different positions (\(starts)); they must be aligned"
        case .invalidSetting(let problem):
            return "invalid data setting: \(problem)"
        }
    }
}
