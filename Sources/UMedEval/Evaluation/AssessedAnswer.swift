import Foundation
import UMedData
import UMedText

/// One evaluated sample: the model's answer and what it says against the ground truth. A line of
/// `answers.jsonl` in an evaluation's folder; every metric of `metrics.json` is computed from these.
public struct AssessedAnswer: Codable, Equatable, Sendable {
    public var id: String
    public var source: String
    public var modality: String
    /// The image path as the record gives it (relative to the data's root).
    public var image: String
    public var imageSize: ImageSize
    public var question: String
    public var answer: String
    /// The dataset's reference answer (the MAU sample's first answer).
    public var reference: String
    /// The mean log-probability of the answer's tokens under the model (greedy decoding); ranks
    /// the answer's boxes for mAP.
    public var meanLogProbability: Double
    public var truth: [Finding]
    /// The answer's valid boxes, in original-image pixels, each labelled with the category named
    /// before it (`<ref>…</ref>`; the first category when none precedes it, "abnormality" when the
    /// answer names none).
    public var predicted: [Finding]
    /// The categories the answer names, in order.
    public var categories: [String]
    /// Box texts found in the answer (any form the tolerant parser reads), and how many of them are
    /// well-formed UMed boxes (`<box>[x1, y1, x2, y2]</box>`, 0–1000, ordered corners).
    public var boxTexts: Int
    public var wellFormedBoxTexts: Int
    /// Hungarian-matched mean IoU with the ground truth (a missing box scores 0); nil for a normal image.
    public var iou: Double?
    /// Whether the diagnosis is right: the answer's categories equal the ground truth's as sets of
    /// canonical names (per-source synonyms); for a normal image, when it names none and draws no box.
    public var isDiagnosisCorrect: Bool
    /// The LLM judge's score of the answer against the reference, 0–1, when a judge was asked.
    public var judgeScore: Double?
    /// Where the model looked while naming what it found (`umed eval --attention-share`): the share
    /// of the category tokens' attention to the image (last decoder layer, heads averaged — the
    /// gallery's map) that falls on the abnormal patches, those overlapping a ground-truth box.
    /// nil when not measured, for a normal image, or when the answer names no category.
    public var attentionShare: Double? = nil

    public var isNormal: Bool { truth.isEmpty }
    /// The answer says there is no abnormality: it names no category and draws no box.
    public var saysNormal: Bool { categories.isEmpty && predicted.isEmpty }

    enum CodingKeys: String, CodingKey {
        case id, source, modality, image, question, answer, reference, truth, predicted, categories, iou
        case imageSize = "image_size", meanLogProbability = "mean_log_probability", boxTexts = "box_texts"
        case wellFormedBoxTexts = "well_formed_box_texts", isDiagnosisCorrect = "diagnosis_correct", judgeScore = "judge_score"
        case attentionShare = "attention_share"
    }
}

extension AssessedAnswer {
    /// Reads `answer` for `sample` (its record's findings, source, image size): boxes, categories,
    /// IoU and the diagnosis verdict under `synonyms`.
    public init(sample: MAUSample, answer: String, meanLogProbability: Double, synonyms: CategorySynonyms) {
        let record = sample.record
        let size = ImageSize(width: record.width, height: record.height)
        let grounded = GroundedText(answer, mode: .tolerant)
        let parsed = grounded.boxes
        let categories = grounded.categories
        let predicted = Self.labelledBoxes(parsed, references: grounded.references, imageSize: size)
        let truth = record.findings
        let iou: Double? = truth.isEmpty ? nil : Box.matchedMeanIoU(predicted: predicted.map(\.box), groundTruth: truth.map(\.box))
        let isCorrect = truth.isEmpty
            ? categories.isEmpty && predicted.isEmpty
            : synonyms.sameCategories(predicted: categories, truth: truth.map(\.category), source: record.source)
        self.init(
            id: record.id, source: record.source, modality: record.modality, image: record.image, imageSize: size,
            question: sample.question ?? "", answer: answer, reference: sample.answer ?? "",
            meanLogProbability: meanLogProbability, truth: truth, predicted: predicted, categories: categories,
            boxTexts: parsed.count, wellFormedBoxTexts: parsed.filter { $0.isUMedForm && $0.isValid }.count,
            iou: iou, isDiagnosisCorrect: isCorrect, judgeScore: nil)
    }

    /// The answer's valid boxes with the category each belongs to: the last `<ref>` opened before
    /// the box text, else the answer's first category, else "abnormality".
    static func labelledBoxes(_ parsed: [ParsedBoxText], references: [GroundedText.Reference],
                              imageSize: ImageSize) -> [Finding] {
        parsed.compactMap { text in
            guard let box = text.pixelBox(imageSize: imageSize) else { return nil }
            let category = references.last { $0.utf8Range.lowerBound < text.utf8Range.lowerBound }?.category
                ?? references.first?.category ?? "abnormality"
            return Finding(category: category, box: box)
        }
    }
}
