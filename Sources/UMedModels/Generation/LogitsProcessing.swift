import UMedTensor

/// The logits processors of generation as small pure functions over float logits [batch,
/// vocabulary], each doing what its transformers counterpart does (filtered entries become -inf).
/// `process` chains them in transformers' order: suppressed tokens, repetition penalty, then —
/// when sampling — temperature, top-k, top-p.
public enum LogitsProcessing {
    /// A bool [batch, vocabulary] mask of the tokens each row has seen.
    public static func presenceMask(_ tokens: [[Int]], vocabularySize: Int, device: Device = .cpu) -> Tensor {
        var flags = [Bool](repeating: false, count: tokens.count * vocabularySize)
        for (row, ids) in tokens.enumerated() {
            for id in ids where (0..<vocabularySize).contains(id) { flags[row * vocabularySize + id] = true }
        }
        return Tensor(flags, shape: [tokens.count, vocabularySize]).to(device)
    }

    /// The presence mask with `tokens` (one per row, int64 [batch]) marked as seen.
    public static func marking(_ presence: Tensor, tokens: Tensor) -> Tensor {
        let index = tokens.reshaped([-1, 1])
        return presence.scatter(dim: 1, index: index, source: Tensor.ones(index.shape, dtype: .bool, device: index.device))
    }

    /// transformers' `RepetitionPenaltyLogitsProcessor`: for tokens marked in `presence`, positive
    /// logits are divided by `penalty` and negative ones multiplied by it.
    public static func applyRepetitionPenalty(_ logits: Tensor, penalty: Double, presence: Tensor) -> Tensor {
        guard penalty != 1 else { return logits }
        let penalized = Tensor.where(logits.lt(0), logits * penalty, logits / penalty)
        return Tensor.where(presence, penalized, logits)
    }

    /// transformers' `TemperatureLogitsWarper`: logits / temperature.
    public static func applyTemperature(_ logits: Tensor, _ temperature: Double) -> Tensor {
        temperature == 1 ? logits : logits / temperature
    }

    /// transformers' `TopKLogitsWarper`: entries below the k-th largest of their row become -inf
    /// (ties with it are kept).
    public static func applyTopK(_ logits: Tensor, _ k: Int, minTokensToKeep: Int = 1) -> Tensor {
        let k = Swift.min(Swift.max(k, minTokensToKeep), logits.size(-1))
        let threshold = logits.topk(k, dim: -1).values.narrow(dim: -1, start: k - 1, length: 1)
        return logits.maskedFill(logits.lt(threshold), .floating(-.infinity))
    }

    /// transformers' `TopPLogitsWarper`: sorting ascending, entries whose cumulative probability
    /// stays ≤ 1 − p become -inf; the `minTokensToKeep` most likely always stay.
    public static func applyTopP(_ logits: Tensor, _ p: Double, minTokensToKeep: Int = 1) -> Tensor {
        guard p < 1 else { return logits }
        let (sortedLogits, sortedIndices) = logits.sorted(dim: -1, descending: false)
        let cumulative = sortedLogits.softmax(dim: -1).cumsum(dim: -1)
        let vocabulary = logits.size(-1)
        let keepCount = Swift.min(minTokensToKeep, vocabulary)
        let ranks = Tensor.arange(vocabulary, device: logits.device).reshaped([1, vocabulary])
        let sortedRemove = cumulative.le(.floating(1 - p)).logicalAnd(ranks.lt(.integer(Int64(vocabulary - keepCount))))
        let remove = sortedRemove.scatter(dim: 1, index: sortedIndices, source: sortedRemove)
        return logits.maskedFill(remove, .floating(-.infinity))
    }

    /// transformers' `SuppressTokensLogitsProcessor`: the logits of `tokens` become -inf.
    public static func suppress(_ logits: Tensor, tokens: [Int]) -> Tensor {
        let vocabulary = logits.size(-1)
        let valid = tokens.filter { (0..<vocabulary).contains($0) }
        guard !valid.isEmpty else { return logits }
        var flags = [Bool](repeating: false, count: vocabulary)
        for token in valid { flags[token] = true }
        return logits.maskedFill(Tensor(flags, shape: [1, vocabulary]).to(logits.device), .floating(-.infinity))
    }

    /// The whole chain for one step. `presence` is needed only with a repetition penalty ≠ 1.
    public static func process(_ logits: Tensor, configuration: GenerationConfiguration, presence: Tensor?) -> Tensor {
        var scores = suppress(logits, tokens: configuration.suppressedTokenIds)
        if configuration.repetitionPenalty != 1, let presence {
            scores = applyRepetitionPenalty(scores, penalty: configuration.repetitionPenalty, presence: presence)
        }
        guard configuration.usesSampling else { return scores }
        scores = applyTemperature(scores, configuration.temperature)
        if let k = configuration.topK, k > 0 { scores = applyTopK(scores, k) }
        return applyTopP(scores, configuration.topP)
    }

    /// The next token per row: argmax of the processed scores when greedy, else a draw from their
    /// softmax with `generator`. int64 [batch].
    public static func chooseTokens(_ scores: Tensor, usesSampling: Bool, generator: Generator?) -> Tensor {
        guard usesSampling else { return scores.argmax(dim: -1) }
        return scores.softmax(dim: -1).multinomial(samples: 1, generator: generator).reshaped([-1])
    }

    /// A draw per row from its softmax, row i with `generators[i]`: what row i gets does not depend
    /// on the other rows. int64 [batch].
    public static func chooseTokens(_ scores: Tensor, generators: [Generator]) -> Tensor {
        precondition(generators.count == scores.size(0), "\(generators.count) generators for \(scores.size(0)) rows")
        let probabilities = scores.softmax(dim: -1)
        let rows = generators.enumerated().map { row, generator in
            probabilities.narrow(dim: 0, start: row, length: 1).multinomial(samples: 1, generator: generator)
        }
        return Tensor.cat(rows, dim: 0).reshaped([-1])
    }
}
