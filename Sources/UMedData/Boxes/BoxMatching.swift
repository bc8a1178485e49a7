import Foundation

/// A predicted box paired with a ground-truth box by one-to-one matching.
public struct BoxMatch: Hashable, Sendable {
    public var predicted: Int
    public var groundTruth: Int
    public var iou: Double
}

extension Box {
    /// One-to-one pairs of `predicted` and `groundTruth` boxes (indices) with maximal total IoU
    /// (Hungarian matching); min(predicted, groundTruth) pairs, some possibly with IoU 0,
    /// ordered by ground-truth index.
    public static func matches(predicted: [Box], groundTruth: [Box]) -> [BoxMatch] {
        guard !predicted.isEmpty, !groundTruth.isEmpty else { return [] }
        // Non-finite boxes score 0 so the assignment always sees finite costs.
        let ious = groundTruth.map { truth in predicted.map { let iou = truth.iou($0); return iou.isFinite ? iou : 0 } }
        let assignment = HungarianAssignment.assign(ious.map { $0.map { -$0 } })
        return assignment.enumerated().compactMap { truthIndex, predictedIndex in
            predictedIndex.map { BoxMatch(predicted: $0, groundTruth: truthIndex, iou: ious[truthIndex][$0]) }
        }
    }

    /// The localization score r_loc of METHOD.md §4: mean IoU over ground-truth boxes after
    /// one-to-one matching, an unmatched ground-truth box counting 0; no predicted box → 0.
    /// A normal image (no ground truth) → 1 when nothing is predicted, else 0.
    public static func matchedMeanIoU(predicted: [Box], groundTruth: [Box]) -> Double {
        if groundTruth.isEmpty { return predicted.isEmpty ? 1 : 0 }
        let total = matches(predicted: predicted, groundTruth: groundTruth).reduce(0) { $0 + $1.iou }
        return total / Double(groundTruth.count)
    }
}
