import UMedTestSupport
import XCTest
@testable import UMedData
import UMedPipeline
import UMedText

final class GroundingScoreTests: XCTestCase {
    let size = ImageSize(width: 100, height: 200)

    func testReadsBoxesAndCategoriesOfAnAnswer() {
        let answer = "Detection: abnormal.\nLocalization: <box>[100, 50, 300, 150]</box> left.\n"
            + "Recognition: <ref> Nodule </ref> and <ref>mass</ref>."
        let grounding = AnswerGrounding(answer: answer, imageSize: size)
        XCTAssertEqual(grounding.categories, ["Nodule", "mass"])
        XCTAssertEqual(grounding.boxes.count, 1)
        XCTAssertEqual(grounding.boxes[0].x1, 10, accuracy: 1e-9)
        XCTAssertEqual(grounding.boxes[0].y1, 10, accuracy: 1e-9)
        XCTAssertEqual(grounding.boxes[0].x2, 30, accuracy: 1e-9)
        XCTAssertEqual(grounding.boxes[0].y2, 30, accuracy: 1e-9)
    }

    func testScoresIoUOnAbnormalImagesAndCategoriesOnAll() {
        var score = GroundingScore()
        // Half-overlapping box (IoU 1/3), right category.
        let first = score.add(answer: "<box>[100, 50, 300, 150]</box> <ref>nodule</ref>",
                              findings: [Finding(category: "Nodule", box: Box(x1: 20, y1: 10, x2: 40, y2: 30))],
                              imageSize: size)
        XCTAssertEqual(first.iou!, 1.0 / 3.0, accuracy: 1e-9)
        XCTAssertTrue(first.isCorrect)
        // No box, wrong category: IoU 0.
        let second = score.add(answer: "<ref>mass</ref>",
                               findings: [Finding(category: "Nodule", box: Box(x1: 0, y1: 0, x2: 10, y2: 10))],
                               imageSize: size)
        XCTAssertEqual(second.iou, 0)
        XCTAssertFalse(second.isCorrect)
        // Normal image answered normally: counts for categories only.
        let third = score.add(answer: "Detection: no abnormality.", findings: [], imageSize: size)
        XCTAssertNil(third.iou)
        XCTAssertTrue(third.isCorrect)
        // Normal image with a box drawn: wrong.
        XCTAssertFalse(score.add(answer: "<box>[0, 0, 10, 10]</box>", findings: [], imageSize: size).isCorrect)
        XCTAssertEqual(score.answers, 4)
        XCTAssertEqual(score.abnormalAnswers, 2)
        XCTAssertEqual(score.meanIoU, (1.0 / 3.0) / 2, accuracy: 1e-9)
        XCTAssertEqual(score.categoryAccuracy, 0.5, accuracy: 1e-9)
    }
}
