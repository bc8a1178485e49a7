import UMedTensor

/// What a decoder reads: token ids, or embeddings already looked up (a VLM splices projected image
/// features into the embeddings of its prompt).
public enum DecoderInput {
    /// int64 [batch, length].
    case tokens(Tensor)
    /// [batch, length, hidden], in the model's dtype.
    case embeddings(Tensor)

    public var batchSize: Int {
        switch self {
        case .tokens(let ids): return ids.size(0)
        case .embeddings(let embeddings): return embeddings.size(0)
        }
    }

    public var length: Int {
        switch self {
        case .tokens(let ids): return ids.size(1)
        case .embeddings(let embeddings): return embeddings.size(1)
        }
    }
}

/// Which positions get logits.
public enum LogitsSelection: Equatable, Sendable {
    /// Every position fed: [batch, length, vocabulary].
    case all
    /// Only the last position fed: [batch, 1, vocabulary] (what generation needs; skips the
    /// vocabulary projection everywhere else, and — when neither hidden states nor attention are
    /// asked for — the last layer's attention output and MLP at the other positions).
    case last
    /// None (e.g. a value head reads only hidden states).
    case none
}

/// What a forward call returns besides updating the cache.
public struct ForwardOptions: Equatable, Sendable {
    public var logits: LogitsSelection
    /// Also return the final hidden states (after the last norm) [batch, length, hidden] — what
    /// transformers returns as `hidden_states[-1]` and a value head reads.
    public var returnsHiddenStates: Bool
    /// Attention probabilities to return; nil keeps none.
    public var attentionCapture: AttentionCapture?

    public init(logits: LogitsSelection = .all, returnsHiddenStates: Bool = false,
                attentionCapture: AttentionCapture? = nil) {
        self.logits = logits
        self.returnsHiddenStates = returnsHiddenStates
        self.attentionCapture = attentionCapture
    }
}

/// The result of a decoder forward call.
public struct DecoderOutput {
    /// [batch, length or 1, vocabulary] in the model's dtype; nil for `LogitsSelection.none`.
    public var logits: Tensor?
    /// [batch, length, hidden] after the final norm, when asked.
    public var hiddenStates: Tensor?
    /// One entry per captured layer, ascending; empty without a capture request.
    public var attentions: [CapturedAttention]

    public init(logits: Tensor?, hiddenStates: Tensor? = nil, attentions: [CapturedAttention] = []) {
        self.logits = logits
        self.hiddenStates = hiddenStates
        self.attentions = attentions
    }
}
