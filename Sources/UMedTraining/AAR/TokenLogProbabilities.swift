import UMedTensor

/// Log-probabilities of chosen tokens: log_softmax(logits / temperature) gathered at `tokens` —
/// the per-token log π(a_t | …) of a rollout under the policy or the reference model (trl's
/// `logits /= temperature + 1e-7` keeps sampling and scoring on the same distribution).
public enum TokenLogProbabilities {
    /// `logits` [batch, T, vocabulary] predicting the tokens `tokens` [batch, T] (int64) → [batch, T].
    public static func of(_ tokens: Tensor, logits: Tensor, temperature: Double = 1) -> Tensor {
        precondition(logits.shape.count == 3 && tokens.shape == Array(logits.shape.prefix(2)),
                     "logits [batch, T, vocabulary] and tokens [batch, T], got \(logits.shape) and \(tokens.shape)")
        let scaled = temperature == 1 ? logits : logits / (temperature + 1e-7)
        return scaled.to(.float32).logSoftmax(dim: -1).gather(dim: -1, index: tokens.unsqueezed(dim: -1)).squeezed(dim: -1)
    }
}
