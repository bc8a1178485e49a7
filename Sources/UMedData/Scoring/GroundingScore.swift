import Foundation

/// What a model's answer says about where and what: its boxes (any form `GroundedText` reads in
/// tolerant mode, in original-image pixels) and the categories it names in `<ref>…</ref>`.
public struct AnswerGrounding: Equatable, Sendable {
    public var boxes: [Box]
    public var categories: [String]

    public init(answer: String, imageSize: ImageSize) {
        let grounded = GroundedText(answer, mode: .tolerant)
        boxes = grounded.pixelBoxes(imageSize: imageSize)
        categories = grounded.categories
    }
}

/// Grounding quality over a set of answers (SFT validation, `umed eval`):
/// - mean IoU over images with findings: Hungarian-matched mean IoU per image (a missing box
///   scores 0, METHOD.md §4's r_loc), averaged;
/// - category accuracy over all images: an answer is right when the set of categories it names
///   equals the ground truth's (case-insensitive) — for a normal image, when it names none and
///   draws no box.
public struct GroundingScore: Codable, Equatable, Sendable {
    public var answers = 0
    public var abnormalAnswers = 0
    public var iouSum = 0.0
    public var correctCategories = 0

    public init() {}

    public var meanIoU: Double { abnormalAnswers == 0 ? 0 : iouSum / Double(abnormalAnswers) }
    public var categoryAccuracy: Double { answers == 0 ? 0 : Double(correctCategories) / Double(answers) }

    /// Scores one answer against its image's ground truth; returns (IoU or nil for a normal image,
    /// whether the categories are right).
    @discardableResult
    public mutating func add(answer: String, findings: [Finding], imageSize: ImageSize) -> (iou: Double?, isCorrect: Bool) {
        let grounding = AnswerGrounding(answer: answer, imageSize: imageSize)
        answers += 1
        var iou: Double? = nil
        let predicted = Set(grounding.categories.map { $0.lowercased() })
        let truth = Set(findings.map { $0.category.lowercased() })
        let isCorrect: Bool
        if findings.isEmpty {
            isCorrect = predicted.isEmpty && grounding.boxes.isEmpty
        } else {
            abnormalAnswers += 1
            let value = Box.matchedMeanIoU(predicted: grounding.boxes, groundTruth: findings.map(\.box))
            iouSum += value
            iou = value
            isCorrect = predicted == truth
        }
        if isCorrect { correctCategories += 1 }
        return (iou, isCorrect)
    }
}
