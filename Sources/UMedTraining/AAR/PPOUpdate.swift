import UMedData
import UMedPipeline
import UMedText
import UMedModels
import UMedNN
import UMedTensor

/// Means over the minibatches of an update.
public struct PPOStatistics: Equatable, Sendable {
    public var policyLoss = 0.0
    public var valueLoss = 0.0
    public var entropy = 0.0
    public var approximateKL = 0.0
    public var policyClipFraction = 0.0
    public var valueClipFraction = 0.0
    /// Mean over answer tokens of log π − log π_ref at the rollout.
    public var referenceKL = 0.0
    public var minibatches = 0
}

/// Steps 2–5 of a PPO step, given the rollout (step 1) and each answer's total reward;
/// `temperature` must be the rollout's sampling temperature.
public enum PPOUpdate {
    public static func run(
        rollout: Rollout, rewards: [Float], klCoefficient: Double, policy: LlavaModel, valueHead: ValueHead,
        optimizer: any Optimizer, hyperparameters h: PPOHyperparameters, temperature: Double, maxGradNorm: Double,
        rng: inout SplitMix64
    ) throws -> PPOStatistics {
        let rows = rollout.rewardBatch.count
        precondition(rewards.count == rows, "\(rewards.count) rewards for \(rows) answers")
        let mask = rollout.answerMask
        var statistics = PPOStatistics()
        statistics.referenceKL = PPOMath.maskedMean(rollout.logProbabilities - rollout.referenceLogProbabilities, mask: mask).item()

        // 2. Advantages (and returns for the critic).
        let advantages: Tensor, returns: Tensor
        switch h.mode {
        case .ppo:
            let tokenRewards = PPOMath.tokenRewards(
                scores: rewards, logProbabilities: rollout.logProbabilities,
                referenceLogProbabilities: rollout.referenceLogProbabilities, mask: mask, lastTokens: rollout.lastTokens,
                klCoefficient: klCoefficient)
            let (raw, targets) = PPOMath.generalizedAdvantages(rewards: tokenRewards, values: rollout.values, gamma: h.gamma, lambda: h.lambda)
            advantages = PPOMath.maskedWhiten(raw, mask: mask) * mask
            returns = targets
        case .grpo:
            let group = GroupAdvantages.compute(rewards: rewards, prompts: rollout.rewardBatch.items.map(\.prompt),
                                                scaled: h.groupScale == .deviation)
            advantages = Tensor(group, shape: [rows, 1]).to(mask.device) * mask
            returns = rollout.values
        }

        // 3. Epochs over shuffled minibatches of answers.
        let (policyWasTraining, headWasTraining) = (policy.isTraining, valueHead.isTraining)
        policy.train()
        valueHead.train()
        defer {
            policy.train(policyWasTraining)
            valueHead.train(headWasTraining)
        }
        let parameters = optimizer.parameterGroups.flatMap(\.parameters)
        for _ in 0..<h.epochs {
            var order = Array(0..<rows)
            order.shuffle(using: &rng)
            for start in stride(from: 0, to: rows, by: h.minibatchSize) {
                let picked = Tensor(order[start..<min(rows, start + h.minibatchSize)].map { $0 }, shape: nil).to(mask.device)
                func take(_ tensor: Tensor) -> Tensor { tensor.indexSelect(dim: 0, index: picked) }
                // 4. Forward the minibatch with gradients: new log-probabilities, values, logits.
                let (hidden, logits) = try RolloutMaker.answerOutputs(
                    model: policy, sequences: take(rollout.sequences), attentionMask: take(rollout.attentionMask),
                    pixels: take(rollout.pixelValues), promptLength: rollout.promptLength,
                    answerLength: rollout.answerTokens.shape[1], temperature: temperature)
                let logProbabilities = TokenLogProbabilities.of(take(rollout.answerTokens), logits: logits)
                let values = h.mode == .ppo ? valueHead(hidden) : take(rollout.values)
                let loss = PPOLoss(
                    logProbabilities: logProbabilities, oldLogProbabilities: take(rollout.logProbabilities),
                    advantages: take(advantages), values: values, oldValues: take(rollout.values), returns: take(returns),
                    logits: logits, mask: take(mask), clipRange: h.clipRange, valueClipRange: h.valueClipRange,
                    valueCoefficient: h.mode == .ppo ? h.valueCoefficient : 0, entropyCoefficient: h.entropyCoefficient)
                // 5. Backward, clip, step.
                loss.total.backward()
                if maxGradNorm > 0 { _ = clipGradNorm(parameters, maxNorm: maxGradNorm) }
                optimizer.step()
                optimizer.zeroGrad()
                statistics.policyLoss += loss.policy.item()
                statistics.valueLoss += loss.value.item()
                statistics.entropy += loss.entropy.item()
                statistics.approximateKL += loss.approximateKL.item()
                statistics.policyClipFraction += loss.policyClipFraction.item()
                statistics.valueClipFraction += loss.valueClipFraction.item()
                statistics.minibatches += 1
            }
        }
        let count = Double(max(1, statistics.minibatches))
        statistics.policyLoss /= count
        statistics.valueLoss /= count
        statistics.entropy /= count
        statistics.approximateKL /= count
        statistics.policyClipFraction /= count
        statistics.valueClipFraction /= count
        return statistics
    }
}
