import UMedData
import UMedPipeline
import UMedText

/// r_loc (METHOD.md §4): the answer's boxes (any form `GroundedText` reads in tolerant mode) matched one-to-one
/// (Hungarian) with the ground-truth boxes, mean IoU over ground-truth boxes, an unmatched one
/// counting 0; no parsable box → 0. A normal image scores 1 when the answer reports no abnormality
/// ("no abnormal…") and draws no box and names no category, else 0.
public struct LocalizationReward: RewardFunction {
    public var term: RewardTerm { .localization }

    public init() {}

    public func score(_ batch: RewardBatch) throws -> [Float] {
        batch.items.map { item in
            let grounding = AnswerGrounding(answer: item.answer, imageSize: item.imageSize)
            if item.findings.isEmpty {
                let reportsNormal = item.answer.lowercased().contains("no abnormal")
                return reportsNormal && grounding.boxes.isEmpty && grounding.categories.isEmpty ? 1 : 0
            }
            return Float(Box.matchedMeanIoU(predicted: grounding.boxes, groundTruth: item.findings.map(\.box)))
        }
    }
}
