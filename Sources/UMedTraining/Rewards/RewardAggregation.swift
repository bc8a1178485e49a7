/// Weights of the reward terms in the total (METHOD.md §4 (U): configurable, 1 each by default).
public struct RewardWeights: Codable, Equatable, Sendable {
    public var relevance = 1.0
    public var localization = 1.0
    public var vision = 1.0

    public init(relevance: Double = 1, localization: Double = 1, vision: Double = 1) {
        self.relevance = relevance
        self.localization = localization
        self.vision = vision
    }

    public func weight(of term: RewardTerm) -> Double {
        switch term {
        case .relevance: return relevance
        case .localization: return localization
        case .vision: return vision
        }
    }
}

/// The paper's total reward: r = r_rel + r_loc / max_k r_loc + r_att / max_k r_att, the maxima over
/// the k answers of the same prompt (a zero maximum gives 0), each term weighted.
public enum RewardAggregation {
    /// Terms divided by their per-prompt maximum; relevance is used as it is.
    public static func isNormalizedByPromptMaximum(_ term: RewardTerm) -> Bool { term != .relevance }

    /// The total per answer from the scores of the terms that are on (a term absent from `scores`
    /// is off, for ablations); `prompts[i]` is answer i's prompt.
    public static func total(_ scores: [RewardTerm: [Float]], prompts: [Int], weights: RewardWeights = RewardWeights()) -> [Float] {
        var total = [Double](repeating: 0, count: prompts.count)
        for term in RewardTerm.allCases {
            guard let values = scores[term] else { continue }
            precondition(values.count == prompts.count, "\(term): \(values.count) scores for \(prompts.count) answers")
            let used = isNormalizedByPromptMaximum(term) ? dividedByPromptMaximum(values, prompts: prompts) : values
            for index in total.indices { total[index] += weights.weight(of: term) * Double(used[index]) }
        }
        return total.map { Float($0) }
    }

    /// Each value divided by the largest value among the answers of its prompt; 0 where that
    /// largest value is not positive.
    public static func dividedByPromptMaximum(_ values: [Float], prompts: [Int]) -> [Float] {
        precondition(values.count == prompts.count, "\(values.count) values for \(prompts.count) answers")
        var maxima: [Int: Float] = [:]
        for (value, prompt) in zip(values, prompts) { maxima[prompt] = max(maxima[prompt] ?? -.infinity, value) }
        return zip(values, prompts).map { value, prompt in
            let maximum = maxima[prompt]!
            return maximum > 0 ? value / maximum : 0
        }
    }
}
