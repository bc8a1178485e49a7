import UMedTensor

/// The PPO loss of one minibatch and its diagnostics, from trl's PPO trainer: clipped policy
/// surrogate, clipped value loss, entropy of the policy's token distributions, and the
/// approximate KL and clip fractions it reports. Tensors are [batch, T] over answer tokens with a
/// float mask (1 = answer token); `logits` is [batch, T, vocabulary].
public struct PPOLoss {
    /// Clipped surrogate: masked mean of max(−A·ρ, −A·clip(ρ, 1 − ε, 1 + ε)), ρ = exp(log π − log π_old).
    public var policy: Tensor
    /// 0.5 · masked mean of max((V − R)², (clip(V, V_old ± ε_v) − R)²).
    public var value: Tensor
    /// Masked mean token entropy: logsumexp(z) − Σ softmax(z)·z.
    public var entropy: Tensor
    /// policy + valueCoefficient · value − entropyCoefficient · entropy.
    public var total: Tensor
    /// Share of tokens where the clipped policy term was the larger.
    public var policyClipFraction: Tensor
    /// Share of tokens where the clipped value term was the larger.
    public var valueClipFraction: Tensor
    /// 0.5 · masked mean of (log π − log π_old)².
    public var approximateKL: Tensor

    public init(logProbabilities: Tensor, oldLogProbabilities: Tensor, advantages: Tensor,
                values: Tensor, oldValues: Tensor, returns: Tensor, logits: Tensor, mask: Tensor,
                clipRange: Double = 0.2, valueClipRange: Double = 0.2,
                valueCoefficient: Double = 0.5, entropyCoefficient: Double = 0.01, tokenCount: Double? = nil) {
        // Masked means over the minibatch's answer tokens — over `tokenCount` of them when given: a
        // data-parallel rank holds part of a minibatch and divides by the tokens of all its parts.
        func maskedMean(_ values: Tensor, mask: Tensor) -> Tensor {
            guard let tokenCount else { return PPOMath.maskedMean(values, mask: mask) }
            return (values * mask).sum() / tokenCount
        }
        // 1. Probability ratio of the new policy to the rollout's.
        let difference = logProbabilities - oldLogProbabilities
        let ratio = difference.exp()
        // 2. Clipped surrogate (a loss: the negative objective).
        let unclipped = advantages * ratio * -1
        let clipped = advantages * ratio.clamped(min: 1 - clipRange, max: 1 + clipRange) * -1
        policy = maskedMean(unclipped.maximum(clipped), mask: mask)
        policyClipFraction = maskedMean(clipped.gt(unclipped).to(mask.dtype), mask: mask)
        // 3. Clipped value loss around the rollout's values.
        let clippedValues = oldValues + (values - oldValues).clamped(min: -valueClipRange, max: valueClipRange)
        let valueLoss = (values - returns).square(), clippedValueLoss = (clippedValues - returns).square()
        value = maskedMean(valueLoss.maximum(clippedValueLoss), mask: mask) * 0.5
        valueClipFraction = maskedMean(clippedValueLoss.gt(valueLoss).to(mask.dtype), mask: mask)
        // 4. Entropy of each token's distribution.
        let tokenEntropy = logits.logsumexp(dims: [-1]) - (logits.softmax(dim: -1) * logits).sum(dims: [-1])
        entropy = maskedMean(tokenEntropy, mask: mask)
        // 5. The total, and the approximate KL to the rollout policy.
        total = policy + value * valueCoefficient - entropy * entropyCoefficient
        approximateKL = maskedMean(difference.square(), mask: mask) * 0.5
    }
}
