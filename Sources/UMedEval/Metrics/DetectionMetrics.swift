import Foundation
import UMedData
import UMedText

/// A box with the image and label it belongs to (ground truth).
public struct LabeledBox: Equatable, Sendable {
    public var image: Int
    public var label: String
    public var box: Box

    public init(image: Int, label: String, box: Box) {
        self.image = image
        self.label = label
        self.box = box
    }
}

/// A predicted box with its confidence (for answers: the answer's mean token log-probability).
public struct ScoredDetection: Equatable, Sendable {
    public var image: Int
    public var label: String
    public var box: Box
    public var score: Double

    public init(image: Int, label: String, box: Box, score: Double) {
        self.image = image
        self.label = label
        self.box = box
        self.score = score
    }
}

/// Localization metrics over a set of images (METHOD.md §5): Acc@IoU and COCO-style average precision.
public enum DetectionMetrics {
    /// Acc@t: the share of ground-truth boxes matched at IoU ≥ `threshold` when each image's
    /// predicted boxes are paired one-to-one with its ground truth (Hungarian, maximal total IoU).
    /// `predictions[i]` and `groundTruth[i]` are image i's boxes; nil when there is no ground truth.
    public static func accuracy(at threshold: Double, predictions: [[Box]], groundTruth: [[Box]]) -> Double? {
        precondition(predictions.count == groundTruth.count, "\(predictions.count) predictions for \(groundTruth.count) images")
        let total = groundTruth.reduce(0) { $0 + $1.count }
        guard total > 0 else { return nil }
        var hits = 0
        for (predicted, truth) in zip(predictions, groundTruth) {
            hits += Box.matches(predicted: predicted, groundTruth: truth).filter { $0.iou >= threshold }.count
        }
        return Double(hits) / Double(total)
    }

    /// Average precision at one IoU threshold as pycocotools' COCOeval computes it for boxes (area
    /// "all", no crowd regions): per label, each image's detections in descending score (at most
    /// `maxDetections`) are matched greedily to the unmatched ground-truth box of highest IoU ≥ the
    /// threshold; over all images, precision is made non-increasing and read at the 101 recall
    /// points 0, 0.01, …, 1 (0 beyond the reached recall); AP is their mean. The result is the mean
    /// over labels that have ground truth (`perLabel` holds each); nil when there is none.
    public static func averagePrecision(
        detections: [ScoredDetection], groundTruth: [LabeledBox], iouThreshold: Double = 0.5, maxDetections: Int = 100
    ) -> (mean: Double?, perLabel: [String: Double]) {
        var perLabel: [String: Double] = [:]
        for label in Set(groundTruth.map(\.label)) {
            perLabel[label] = labelAveragePrecision(
                detections: detections.filter { $0.label == label }, groundTruth: groundTruth.filter { $0.label == label },
                iouThreshold: iouThreshold, maxDetections: maxDetections)
        }
        let mean = perLabel.isEmpty ? nil : perLabel.values.reduce(0, +) / Double(perLabel.count)
        return (mean, perLabel)
    }

    /// AP of one label's detections against its ground truth (which must not be empty).
    static func labelAveragePrecision(detections: [ScoredDetection], groundTruth: [LabeledBox], iouThreshold: Double,
                                      maxDetections: Int) -> Double {
        let threshold = min(iouThreshold, 1 - 1e-10)
        // Per image: its detections by descending score (stable), matched in that order.
        var outcomes: [(score: Double, isTruePositive: Bool)] = []
        let truthByImage = Dictionary(grouping: groundTruth, by: \.image)
        let detectionsByImage = Dictionary(grouping: detections.enumerated(), by: \.element.image)
        for (image, candidates) in detectionsByImage.sorted(by: { $0.key < $1.key }) {
            let truth = (truthByImage[image] ?? []).map(\.box)
            let ranked = candidates.sorted { ($0.element.score, $1.offset) > ($1.element.score, $0.offset) }
                .prefix(maxDetections).map(\.element)
            var matched = [Bool](repeating: false, count: truth.count)
            for detection in ranked {
                var best = threshold, match: Int?
                for (index, box) in truth.enumerated() where !matched[index] {
                    let iou = detection.box.iou(box)
                    if iou < best { continue }
                    best = iou
                    match = index
                }
                if let match { matched[match] = true }
                outcomes.append((detection.score, match != nil))
            }
        }
        outcomes = outcomes.enumerated().sorted { ($0.element.score, $1.offset) > ($1.element.score, $0.offset) }.map(\.element)
        let positives = Double(groundTruth.count)
        var recall: [Double] = [], precision: [Double] = []
        var truePositives = 0.0, falsePositives = 0.0
        for outcome in outcomes {
            if outcome.isTruePositive { truePositives += 1 } else { falsePositives += 1 }
            recall.append(truePositives / positives)
            precision.append(truePositives / (truePositives + falsePositives + Double.ulpOfOne))
        }
        for index in stride(from: precision.count - 1, to: 0, by: -1) where precision[index] > precision[index - 1] {
            precision[index - 1] = precision[index]
        }
        var sum = 0.0
        for step in 0...100 {
            // numpy's linspace(0, 1, 101): i · 0.01, the last exactly 1.
            let point = step == 100 ? 1 : Double(step) * (1.0 / 100)
            // numpy's searchsorted(side: left): the first recall ≥ the point.
            if let index = recall.firstIndex(where: { $0 >= point }) { sum += precision[index] }
        }
        return sum / 101
    }
}
