import UMedTensor

/// The small pure tensor helpers of PPO (DESIGN.md convention 7), written after trl's PPO trainer
/// (`masked_mean`, `masked_var`, `masked_whiten` and its GAE loop) and checked against a committed
/// PyTorch script (scripts/fixtures/make_ppo_fixtures.py). Masks are float tensors of 1 (a real
/// answer token) and 0 (padding), shaped like the values.
public enum PPOMath {
    /// Σ values·mask / Σ mask over every element.
    public static func maskedMean(_ values: Tensor, mask: Tensor) -> Tensor {
        (values * mask).sum() / mask.sum()
    }

    /// The masked variance around the masked mean; `unbiased` applies Bessel's n / (n − 1).
    public static func maskedVariance(_ values: Tensor, mask: Tensor, unbiased: Bool = true) -> Tensor {
        let centered = values - maskedMean(values, mask: mask)
        let variance = maskedMean(centered.square(), mask: mask)
        guard unbiased else { return variance }
        let count = mask.sum()
        return variance * (count / (count - 1))
    }

    /// (values − mean) / √(variance + 1e-8) with masked statistics; `keepsMean` adds the mean back
    /// (trl's `shift_mean=False`), as for rewards. `sum` adds tensors up over the processes of a
    /// data-parallel run (in place), so the statistics are those of all ranks' values together;
    /// without it one process's.
    public static func maskedWhiten(_ values: Tensor, mask: Tensor, keepsMean: Bool = false) -> Tensor {
        maskedWhiten(values, mask: mask, keepsMean: keepsMean, sum: { _ in })
    }

    public static func maskedWhiten(_ values: Tensor, mask: Tensor, keepsMean: Bool = false,
                                    sum: ([Tensor]) throws -> Void) rethrows -> Tensor {
        let totals = [(values * mask).sum(), mask.sum()]
        try sum(totals)
        let (total, count) = (totals[0], totals[1])
        let mean = total / count
        let squares = ((values - mean).square() * mask).sum()
        try sum([squares])
        let variance = squares / count * (count / (count - 1))
        let whitened = (values - mean) * (variance + 1e-8).rsqrt()
        return keepsMean ? whitened + mean : whitened
    }

    /// Generalized advantage estimation over [batch, T] token rewards and values:
    /// δ_t = r_t + γ·V_{t+1} − V_t (V_T = 0), A_t = δ_t + γλ·A_{t+1}; returns = A + V.
    /// Padding must already hold reward and value 0 (as the rollout writes them).
    public static func generalizedAdvantages(rewards: Tensor, values: Tensor, gamma: Double, lambda: Double)
        -> (advantages: Tensor, returns: Tensor)
    {
        precondition(rewards.shape == values.shape && rewards.shape.count == 2, "rewards and values must both be [batch, T]")
        let length = rewards.shape[1]
        var reversed: [Tensor] = []
        var last = Tensor.zeros([rewards.shape[0], 1], dtype: rewards.dtype, device: rewards.device)
        for t in stride(from: length - 1, through: 0, by: -1) {
            let value = values.narrow(dim: 1, start: t, length: 1)
            var delta = rewards.narrow(dim: 1, start: t, length: 1) - value
            if t < length - 1 { delta = delta + values.narrow(dim: 1, start: t + 1, length: 1) * gamma }
            last = delta + last * (gamma * lambda)
            reversed.append(last)
        }
        let advantages = Tensor.cat(reversed.reversed(), dim: 1)
        return (advantages, advantages + values)
    }

    /// Token rewards of a rollout: −β·(log π − log π_ref) at every answer token (the KL penalty to
    /// the frozen Stage-1 policy), plus the sequence reward on each answer's last token.
    /// `lastTokens[i]` is the index of answer i's last real token.
    public static func tokenRewards(scores: [Float], logProbabilities: Tensor, referenceLogProbabilities: Tensor,
                                    mask: Tensor, lastTokens: [Int], klCoefficient: Double) -> Tensor {
        precondition(scores.count == logProbabilities.shape[0] && lastTokens.count == scores.count,
                     "one score and one last token per answer")
        let penalty = (logProbabilities - referenceLogProbabilities) * mask * -klCoefficient
        var bonus = [Float](repeating: 0, count: logProbabilities.count)
        let length = logProbabilities.shape[1]
        for (row, (score, last)) in zip(scores, lastTokens).enumerated() { bonus[row * length + last] = score }
        let sequence = Tensor(bonus, shape: logProbabilities.shape).to(logProbabilities.device, logProbabilities.dtype)
        return penalty + sequence
    }
}
