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
///
/// In a data-parallel run each rank holds its slice of the step's answers (rank r: answers
/// r·n ..< (r + 1)·n of all), and the update is the one a single process makes from all of them:
/// whitening and KL statistics over every rank, the same shuffled minibatches of all answers —
/// each rank computes the part it holds, with means over the minibatch's tokens on every rank —
/// and gradients summed before each optimizer step.
public enum PPOUpdate {
    public static func run(
        rollout: Rollout, rewards: [Float], klCoefficient: Double, policy: LlavaModel, valueHead: ValueHead,
        optimizer: any Optimizer, hyperparameters h: PPOHyperparameters, temperature: Double, maxGradNorm: Double,
        rng: inout SplitMix64, parallel: DataParallel = .single
    ) throws -> PPOStatistics {
        let localRows = rollout.rewardBatch.count
        precondition(rewards.count == localRows, "\(rewards.count) rewards for \(localRows) answers")
        let rows = localRows * parallel.worldSize, firstRow = parallel.rank * localRows
        // ppo.minibatch_size is per process, like rollout.prompts.
        let minibatchSize = h.minibatchSize * parallel.worldSize
        let mask = rollout.answerMask
        var statistics = PPOStatistics()
        let difference = rollout.logProbabilities - rollout.referenceLogProbabilities
        if parallel.isDistributed {
            let totals = try parallel.sum([(difference * mask).sum().item(), mask.sum().item()])
            statistics.referenceKL = totals[0] / totals[1]
        } else {
            statistics.referenceKL = PPOMath.maskedMean(difference, mask: mask).item()
        }
        // Answer tokens of every answer of the step (all ranks'), for the minibatches' means.
        let rowTokens = try parallel.isDistributed ? parallel.gather(mask.sum(dims: [1]).to(.cpu, .float32).toArray(of: Float.self)) : []

        // 2. Advantages (and returns for the critic).
        let advantages: Tensor, returns: Tensor
        switch h.mode {
        case .ppo:
            let tokenRewards = PPOMath.tokenRewards(
                scores: rewards, logProbabilities: rollout.logProbabilities,
                referenceLogProbabilities: rollout.referenceLogProbabilities, mask: mask, lastTokens: rollout.lastTokens,
                klCoefficient: klCoefficient)
            let (raw, targets) = PPOMath.generalizedAdvantages(rewards: tokenRewards, values: rollout.values, gamma: h.gamma, lambda: h.lambda)
            advantages = try PPOMath.maskedWhiten(raw, mask: mask, sum: parallel.sumInPlace) * mask
            returns = targets
        case .grpo:
            let group = GroupAdvantages.compute(rewards: rewards, prompts: rollout.rewardBatch.items.map(\.prompt),
                                                scaled: h.groupScale == .deviation)
            advantages = Tensor(group, shape: [localRows, 1]).to(mask.device) * mask
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
            for start in stride(from: 0, to: rows, by: minibatchSize) {
                let minibatch = order[start..<min(rows, start + minibatchSize)]
                // This rank's answers of the minibatch (all of it in one process).
                let held = minibatch.filter { $0 >= firstRow && $0 < firstRow + localRows }.map { $0 - firstRow }
                let tokenCount = parallel.isDistributed ? minibatch.reduce(0.0) { $0 + Double(rowTokens[$1]) } : nil
                statistics.minibatches += 1
                defer { optimizer.zeroGrad() }
                guard !held.isEmpty else {
                    // Nothing of it here: this rank joins the gradient sum with zeros.
                    try parallel.sumGradients(parameters)
                    if maxGradNorm > 0 { _ = clipGradNorm(parameters, maxNorm: maxGradNorm) }
                    optimizer.step()
                    continue
                }
                let picked = Tensor(held, shape: nil).to(mask.device)
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
                    valueCoefficient: h.mode == .ppo ? h.valueCoefficient : 0, entropyCoefficient: h.entropyCoefficient,
                    tokenCount: tokenCount)
                // 5. Backward, (sum over ranks,) clip, step.
                loss.total.backward()
                try parallel.sumGradients(parameters)
                if maxGradNorm > 0 { _ = clipGradNorm(parameters, maxNorm: maxGradNorm) }
                optimizer.step()
                statistics.policyLoss += loss.policy.item()
                statistics.valueLoss += loss.value.item()
                statistics.entropy += loss.entropy.item()
                statistics.approximateKL += loss.approximateKL.item()
                statistics.policyClipFraction += loss.policyClipFraction.item()
                statistics.valueClipFraction += loss.valueClipFraction.item()
            }
        }
        if parallel.isDistributed {
            // Each rank summed its parts of the minibatches' means: together, the means.
            let totals = try parallel.sum([statistics.policyLoss, statistics.valueLoss, statistics.entropy, statistics.approximateKL,
                                           statistics.policyClipFraction, statistics.valueClipFraction])
            (statistics.policyLoss, statistics.valueLoss, statistics.entropy) = (totals[0], totals[1], totals[2])
            (statistics.approximateKL, statistics.policyClipFraction, statistics.valueClipFraction) = (totals[3], totals[4], totals[5])
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
