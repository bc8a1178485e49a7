import Foundation
import UMedTestSupport
import XCTest
import UMedData
import UMedPipeline
import UMedText
@testable import UMedEval

/// Answers read against ground truth, and the metrics of a group of them, on hand-computed cases.
final class GroupMetricsTests: XCTestCase {
    let synonyms = try! CategorySynonyms(tables: ["nih": ["nodule": ["pulmonary nodule"], "effusion": []]])

    /// A 1000 × 1000 image (grid coordinates are pixels) with `findings`.
    func sample(_ id: String, source: String = "nih", modality: String = "chest x-ray", findings: [Finding]) -> MAUSample {
        let record = Record(id: id, source: source, modality: modality, image: "\(id).png", width: 1000, height: 1000,
                            split: .test, patient: id, findings: findings)
        return MAUSample(record: record, conversations: [.init(from: "human", value: "<image>\nWhat is abnormal?"),
                                                         .init(from: "gpt", value: "reference")],
                         generator: GeneratorInfo(kind: "template"))
    }

    func finding(_ category: String, _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) -> Finding {
        Finding(category: category, box: Box(x1: x1, y1: y1, x2: x2, y2: y2))
    }

    func testAnAnswerIsReadForBoxesCategoriesIoUAndTheVerdict() {
        let truth = [finding("Nodule", 100, 100, 300, 300)]
        let right = AssessedAnswer(sample: sample("a", findings: truth),
                                   answer: "A <ref>pulmonary nodule</ref> at <box>[100, 100, 300, 300]</box>.",
                                   meanLogProbability: -0.2, synonyms: synonyms)
        XCTAssertEqual(right.predicted, [finding("pulmonary nodule", 100, 100, 300, 300)])
        XCTAssertEqual(right.iou!, 1, accuracy: 1e-12)
        XCTAssertTrue(right.isDiagnosisCorrect, "a synonym of the ground truth's category is right")
        XCTAssertEqual(right.boxTexts, 1)
        XCTAssertEqual(right.wellFormedBoxTexts, 1)
        XCTAssertEqual(right.question, "<image>\nWhat is abnormal?")
        XCTAssertEqual(right.reference, "reference")

        // Half the box: IoU 0.5; another category: wrong; a bare list is read but not well-formed UMed text,
        // and reversed corners are no box at all.
        let wrong = AssessedAnswer(sample: sample("b", findings: truth),
                                   answer: "<ref>effusion</ref> <box>[100, 100, 300, 200]</box> or [300, 300, 100, 100]",
                                   meanLogProbability: -1, synonyms: synonyms)
        XCTAssertEqual(wrong.iou!, 0.5, accuracy: 1e-12)
        XCTAssertFalse(wrong.isDiagnosisCorrect)
        XCTAssertEqual(wrong.boxTexts, 2)
        XCTAssertEqual(wrong.wellFormedBoxTexts, 1)
        XCTAssertEqual(wrong.predicted.count, 1)

        // Well formed means UMed's own form, as the grammar's strict reading: point pairs and
        // fractional grid values inside <box> are read and scored, but not well formed.
        let loose = AssessedAnswer(sample: sample("e", findings: truth),
                                   answer: "<ref>nodule</ref> <box>(100,100),(300,300)</box> <box>[100.5, 100, 300, 300]</box>",
                                   meanLogProbability: -1, synonyms: synonyms)
        XCTAssertEqual(loose.boxTexts, 2)
        XCTAssertEqual(loose.wellFormedBoxTexts, 0)
        XCTAssertEqual(loose.predicted.count, 2)

        // Boxes take the category named before them; a box before any category takes the first.
        let two = AssessedAnswer(sample: sample("c", findings: truth),
                                 answer: "<box>[0, 0, 10, 10]</box> <ref>nodule</ref> <box>[1, 1, 20, 20]</box>, <ref>effusion</ref> <box>[5, 5, 50, 50]</box>",
                                 meanLogProbability: -1, synonyms: synonyms)
        XCTAssertEqual(two.predicted.map(\.category), ["nodule", "nodule", "effusion"])
        XCTAssertEqual(two.categories, ["nodule", "effusion"])

        let unnamed = AssessedAnswer(sample: sample("d", findings: truth), answer: "here <box>[0, 0, 10, 10]</box>",
                                     meanLogProbability: -1, synonyms: synonyms)
        XCTAssertEqual(unnamed.predicted.map(\.category), ["abnormality"])
        XCTAssertEqual(unnamed.iou, 0, "no overlap")

        let normal = AssessedAnswer(sample: sample("e", findings: []), answer: "No abnormality.", meanLogProbability: -1, synonyms: synonyms)
        XCTAssertNil(normal.iou)
        XCTAssertTrue(normal.isDiagnosisCorrect && normal.saysNormal && normal.isNormal)
        let overcalled = AssessedAnswer(sample: sample("f", findings: []), answer: "<box>[0, 0, 10, 10]</box>", meanLogProbability: -1,
                                        synonyms: synonyms)
        XCTAssertFalse(overcalled.isDiagnosisCorrect, "a box on a normal image is a wrong diagnosis")
    }

    func testGroupMetricsOnAHandComputedSet() {
        let truth = [finding("nodule", 100, 100, 300, 300)]
        var answers = [
            // Right category, exact box (IoU 1), well-formed.
            AssessedAnswer(sample: sample("1", findings: truth), answer: "<ref>nodule</ref> <box>[100, 100, 300, 300]</box>",
                           meanLogProbability: -0.1, synonyms: synonyms),
            // Wrong category, IoU 0.5 box, plus an ill-formed box text.
            AssessedAnswer(sample: sample("2", findings: truth), answer: "<ref>effusion</ref> <box>[100, 100, 300, 200]</box> [9, 9, 1, 1]",
                           meanLogProbability: -0.5, synonyms: synonyms),
            // A normal image called normal.
            AssessedAnswer(sample: sample("3", findings: []), answer: "No abnormality.", meanLogProbability: -0.2, synonyms: synonyms),
            // An abnormal image called normal.
            AssessedAnswer(sample: sample("4", findings: truth), answer: "No abnormality.", meanLogProbability: -0.3, synonyms: synonyms),
        ]
        answers[0].judgeScore = 0.9
        answers[1].judgeScore = 0.4
        answers[2].judgeScore = 0.5
        answers[3].judgeScore = 0.0
        let metrics = GroupMetrics(answers, synonyms: synonyms)
        XCTAssertEqual(metrics.answers, 4)
        XCTAssertEqual(metrics.normalImages, 1)
        XCTAssertEqual(metrics.diagnosisAccuracy!, 2.0 / 4, accuracy: 1e-12)   // answers 1 and 3
        XCTAssertEqual(metrics.meanIoU!, (1 + 0.5 + 0) / 3, accuracy: 1e-12)  // three abnormal images
        XCTAssertEqual(metrics.accuracyAt50!, 2.0 / 3, accuracy: 1e-12)       // IoU 1 and 0.5 reach 0.5
        // AP per canonical category: "nodule" has 3 ground-truth boxes and one detection (a hit): recall 1/3
        // at precision 1 → 34 of 101 recall points; "effusion" has no ground truth, so it does not count.
        XCTAssertEqual(metrics.meanAveragePrecision50!, 34.0 / 101, accuracy: 1e-12)
        XCTAssertEqual(metrics.answersWithBoxes, 2)
        XCTAssertEqual(metrics.boxValidity!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(metrics.normalPrecision!, 0.5, accuracy: 1e-12)   // two say normal, one is
        XCTAssertEqual(metrics.normalRecall!, 1, accuracy: 1e-12)
        XCTAssertEqual(metrics.judgeAccuracy!, 2.0 / 4, accuracy: 1e-12) // 0.9 and 0.5
        XCTAssertEqual(metrics.judgeMeanScore!, 1.8 / 4, accuracy: 1e-12)

        let normalOnly = GroupMetrics([answers[2]], synonyms: synonyms)
        XCTAssertNil(normalOnly.meanIoU)
        XCTAssertNil(normalOnly.accuracyAt50)
        XCTAssertNil(normalOnly.meanAveragePrecision50)
        XCTAssertNil(normalOnly.boxValidity)
        var unjudged = answers[0]
        unjudged.judgeScore = nil
        XCTAssertNil(GroupMetrics([unjudged], synonyms: synonyms).judgeAccuracy, "no judge, no judge column")
    }

    func testMeanAveragePrecisionRanksBoxesByTheAnswersLogProbability() {
        let truth = [finding("nodule", 100, 100, 300, 300)]
        // Two images; the confident answer misses, the unsure one hits: precision 1/2 at recall 1/2 →
        // interpolated precision 0.5 for recall ≤ 0.5 (51 points) → AP = 25.5 / 101.
        let answers = [
            AssessedAnswer(sample: sample("1", findings: truth), answer: "<ref>nodule</ref> <box>[600, 600, 900, 900]</box>",
                           meanLogProbability: -0.1, synonyms: synonyms),
            AssessedAnswer(sample: sample("2", findings: truth), answer: "<ref>nodule</ref> <box>[100, 100, 300, 300]</box>",
                           meanLogProbability: -2, synonyms: synonyms),
        ]
        XCTAssertEqual(GroupMetrics(answers, synonyms: synonyms).meanAveragePrecision50!, 25.5 / 101, accuracy: 1e-12)
        // Swap the confidences: the hit ranks first → precision 1 up to recall 0.5 → 51 / 101.
        var swapped = answers
        swapped[0].meanLogProbability = -2
        swapped[1].meanLogProbability = -0.1
        XCTAssertEqual(GroupMetrics(swapped, synonyms: synonyms).meanAveragePrecision50!, 51.0 / 101, accuracy: 1e-12)
    }

    func testAccuracyPerIoUBin() {
        let truth = [finding("nodule", 0, 0, 100, 100)]
        func answer(_ x2: Double, _ category: String) -> AssessedAnswer {
            AssessedAnswer(sample: sample(UUID().uuidString, findings: truth),
                           answer: "<ref>\(category)</ref> <box>[0, 0, \(Int(x2)), 100]</box>", meanLogProbability: 0, synonyms: synonyms)
        }
        // IoU = x2 / 100: 0.05 (wrong), 0.65 (right), 0.62 (wrong), 1.0 (right); a normal image is left out.
        let answers = [answer(5, "effusion"), answer(65, "nodule"), answer(62, "effusion"), answer(100, "nodule"),
                       AssessedAnswer(sample: sample("n", findings: []), answer: "none", meanLogProbability: 0, synonyms: synonyms)]
        let bins = IoUAccuracyBin.bins(answers)
        XCTAssertEqual(bins.count, 10)
        XCTAssertEqual(bins.map(\.answers), [1, 0, 0, 0, 0, 0, 2, 0, 0, 1])
        XCTAssertEqual(bins[0].diagnosisAccuracy, 0)
        XCTAssertEqual(bins[6].diagnosisAccuracy, 0.5)
        XCTAssertEqual(bins[9].diagnosisAccuracy, 1, "IoU 1 falls in the last bin")
        XCTAssertNil(bins[3].diagnosisAccuracy)
        XCTAssertEqual(bins[6].lower, 0.6, accuracy: 1e-12)
    }
}
