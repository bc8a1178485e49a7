import UMedData

/// The three reward terms of Stage 2 (METHOD.md §4); `--set rewards=…` names them to switch terms
/// off for ablations.
public enum RewardTerm: String, CaseIterable, Codable, Sendable {
    /// r_rel: the answer's diagnosis against the reference.
    case relevance
    /// r_loc: Hungarian-matched IoU of the answer's boxes with the ground truth.
    case localization
    /// r_att: attention from the answer's category tokens to the abnormal image patches.
    case vision
}

/// A reward: one score per answer of the batch, in batch order (DESIGN.md convention 8).
public protocol RewardFunction: Sendable {
    var term: RewardTerm { get }
    func score(_ batch: RewardBatch) throws -> [Float]
}

/// What went wrong while scoring: which answer, and why.
public enum RewardError: Error, Equatable, CustomStringConvertible {
    /// The vision-relevance reward needs the answer's category attention; the rollout did not record it.
    case missingAttention(answer: Int)
    /// The attention's sizes do not agree with its values or with the patch grid.
    case malformedAttention(answer: Int, problem: String)

    public var description: String {
        switch self {
        case .missingAttention(let answer):
            return "answer \(answer): the vision-relevance reward needs its category-token attention, which was not recorded"
        case .malformedAttention(let answer, let problem):
            return "answer \(answer): malformed category-token attention: \(problem)"
        }
    }
}
