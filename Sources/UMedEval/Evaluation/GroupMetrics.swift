import Foundation
import UMedData
import UMedText

/// The metrics of a set of assessed answers (METHOD.md §5) — all of them, or one source's or
/// modality's. A value is nil when its denominator is empty (e.g. IoU over a set of normal images).
public struct GroupMetrics: Codable, Equatable, Sendable {
    public var answers: Int
    public var normalImages: Int
    /// Share of answers whose diagnosis is right (`AssessedAnswer.isDiagnosisCorrect`).
    public var diagnosisAccuracy: Double?
    /// Mean over images with findings of the Hungarian-matched mean IoU.
    public var meanIoU: Double?
    /// Share of ground-truth boxes matched one-to-one at IoU ≥ 0.5.
    public var accuracyAt50: Double?
    /// COCO-style AP at IoU 0.5, mean over canonical categories; boxes ranked by their answer's
    /// mean token log-probability.
    public var meanAveragePrecision50: Double?
    /// Answers that contain box text, and the share of those whose every box text is well-formed.
    public var answersWithBoxes: Int
    public var boxValidity: Double?
    /// "No abnormality" as a prediction: precision over answers that say it, recall over normal images.
    public var normalPrecision: Double?
    public var normalRecall: Double?
    /// With a judge: share of answers it scored ≥ 0.5, and its mean score.
    public var judgeAccuracy: Double?
    public var judgeMeanScore: Double?
    /// With `--attention-share`: the mean `AssessedAnswer.attentionShare` over the answers that have
    /// one (abnormal images whose answer names a category).
    public var attentionShare: Double?

    enum CodingKeys: String, CodingKey {
        case answers
        case normalImages = "normal_images", diagnosisAccuracy = "diagnosis_accuracy", meanIoU = "mean_iou"
        case accuracyAt50 = "acc_at_50", meanAveragePrecision50 = "map_at_50", answersWithBoxes = "answers_with_boxes"
        case boxValidity = "box_validity", normalPrecision = "normal_precision", normalRecall = "normal_recall"
        case judgeAccuracy = "judge_accuracy", judgeMeanScore = "judge_mean_score", attentionShare = "attention_share"
    }

    /// The metrics of `answers`; categories are compared as `synonyms`' canonical names of each
    /// answer's source.
    public init(_ answers: [AssessedAnswer], synonyms: CategorySynonyms) {
        self.answers = answers.count
        normalImages = answers.filter(\.isNormal).count
        diagnosisAccuracy = Self.share(answers) { $0.isDiagnosisCorrect }
        let abnormal = answers.filter { !$0.isNormal }
        meanIoU = abnormal.isEmpty ? nil : abnormal.map { $0.iou ?? 0 }.reduce(0, +) / Double(abnormal.count)
        accuracyAt50 = DetectionMetrics.accuracy(at: 0.5, predictions: answers.map { $0.predicted.map(\.box) },
                                                 groundTruth: answers.map { $0.truth.map(\.box) })
        var detections: [ScoredDetection] = [], truth: [LabeledBox] = []
        for (image, answer) in answers.enumerated() {
            for finding in answer.predicted {
                detections.append(ScoredDetection(image: image, label: synonyms.canonical(finding.category, source: answer.source),
                                                  box: finding.box, score: answer.meanLogProbability))
            }
            for finding in answer.truth {
                truth.append(LabeledBox(image: image, label: synonyms.canonical(finding.category, source: answer.source), box: finding.box))
            }
        }
        meanAveragePrecision50 = DetectionMetrics.averagePrecision(detections: detections, groundTruth: truth, iouThreshold: 0.5).mean
        let boxed = answers.filter { $0.boxTexts > 0 }
        answersWithBoxes = boxed.count
        boxValidity = Self.share(boxed) { $0.wellFormedBoxTexts == $0.boxTexts }
        normalPrecision = Self.share(answers.filter(\.saysNormal)) { $0.isNormal }
        normalRecall = Self.share(answers.filter(\.isNormal)) { $0.saysNormal }
        let judged = answers.compactMap(\.judgeScore)
        judgeAccuracy = judged.isEmpty ? nil : Double(judged.filter { $0 >= 0.5 }.count) / Double(judged.count)
        judgeMeanScore = judged.isEmpty ? nil : judged.reduce(0, +) / Double(judged.count)
        let shares = answers.compactMap(\.attentionShare)
        attentionShare = shares.isEmpty ? nil : shares.reduce(0, +) / Double(shares.count)
    }

    static func share(_ answers: [AssessedAnswer], where isCounted: (AssessedAnswer) -> Bool) -> Double? {
        answers.isEmpty ? nil : Double(answers.filter(isCounted).count) / Double(answers.count)
    }
}

/// Diagnosis accuracy by localization quality (the paper's "accuracy saturates near IoU 0.6"):
/// images with findings grouped by their answer's IoU into `count` equal bins ([0, 0.1), …, [0.9, 1]
/// for 10; IoU 1 falls in the last).
public struct IoUAccuracyBin: Codable, Equatable, Sendable {
    public var lower: Double
    public var upper: Double
    public var answers: Int
    public var diagnosisAccuracy: Double?

    enum CodingKeys: String, CodingKey {
        case lower, upper, answers
        case diagnosisAccuracy = "diagnosis_accuracy"
    }

    public static func bins(_ answers: [AssessedAnswer], count: Int = 10) -> [IoUAccuracyBin] {
        precondition(count > 0, "at least one bin")
        var totals = [Int](repeating: 0, count: count), correct = [Int](repeating: 0, count: count)
        for answer in answers {
            guard let iou = answer.iou else { continue }
            let bin = min(count - 1, max(0, Int(iou * Double(count))))
            totals[bin] += 1
            if answer.isDiagnosisCorrect { correct[bin] += 1 }
        }
        return (0..<count).map { bin in
            IoUAccuracyBin(lower: Double(bin) / Double(count), upper: Double(bin + 1) / Double(count), answers: totals[bin],
                           diagnosisAccuracy: totals[bin] == 0 ? nil : Double(correct[bin]) / Double(totals[bin]))
        }
    }
}
