import UMedData
import UMedPipeline
import UMedText

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
