import UMedTensor

/// Why a sequence stopped.
public enum StopReason: Equatable, Sendable {
    /// It generated this end-of-sequence token (kept as its last token).
    case endOfSequence(token: Int)
    /// Its decoded text came to contain this stop string (the tokens that completed it are kept).
    case stopString(String)
    /// It reached the configured maximum number of new tokens.
    case maxNewTokens
}

/// One generated continuation.
public struct GeneratedSequence {
    /// The new tokens, prompt excluded, EOS included when it stopped on one.
    public var tokens: [Int]
    /// log p(token) under the model's raw next-token distribution — log-softmax of the logits
    /// before any processor, at temperature 1 — one per token. This is the behaviour policy's
    /// log-probability PPO starts from; the sampling distribution itself (after temperature,
    /// top-k, top-p, repetition penalty) may differ when those are set.
    public var logProbabilities: [Float]
    public var stopReason: StopReason
    /// The decoded text of `tokens`, when the call was given a text decoder.
    public var text: String?
    /// With an attention capture: per captured layer, [heads or 1, tokens.count, keys], row i the
    /// attention of generated token i (as a query, at its own position) — the rows for the
    /// prompt are not included. Keys: the requested span, or every position held at the end
    /// (prompt padding included; keys later than a row's own position are 0).
    public var attentions: [CapturedAttention]
}

/// The result of one generation call: one sequence per prompt, in prompt order.
public struct GenerationResult {
    public var sequences: [GeneratedSequence]
}
