/// GRPO's critic-free advantages (METHOD.md §4, option): each answer's total reward minus the mean
/// of its prompt's k answers, divided by their standard deviation (the unbiased one, as
/// torch.std) plus `epsilon`; every token of the answer gets it. A prompt whose answers all score
/// the same gets 0. With `scaled: false` the difference is not divided (Dr. GRPO, Liu et al. 2025):
/// a group whose answers differ by little then moves the policy by little, instead of having its
/// small differences — often noise in a reward — blown up to ±1.
public enum GroupAdvantages {
    public static func compute(rewards: [Float], prompts: [Int], scaled: Bool = true, epsilon: Double = 1e-4) -> [Float] {
        precondition(rewards.count == prompts.count, "\(rewards.count) rewards for \(prompts.count) answers")
        var groups: [Int: [Double]] = [:]
        for (reward, prompt) in zip(rewards, prompts) { groups[prompt, default: []].append(Double(reward)) }
        var statistics: [Int: (mean: Double, deviation: Double)] = [:]
        for (prompt, values) in groups {
            let mean = values.reduce(0, +) / Double(values.count)
            let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            let deviation = values.count > 1 ? (squares / Double(values.count - 1)).squareRoot() : 0
            statistics[prompt] = (mean, deviation)
        }
        return zip(rewards, prompts).map { reward, prompt in
            let (mean, deviation) = statistics[prompt]!
            let scale = scaled ? deviation + epsilon : 1
            return scale > 0 ? Float((Double(reward) - mean) / scale) : 0
        }
    }
}
