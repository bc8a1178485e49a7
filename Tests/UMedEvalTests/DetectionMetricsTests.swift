import Foundation
import UMedTestSupport
import XCTest
import UMedData
import UMedPipeline
import UMedText
@testable import UMedEval

/// Acc@0.5 on hand-worked cases, and COCO AP@0.5 against pycocotools' COCOeval on the cases of
/// scripts/fixtures/make_detection_fixtures.py (Fixtures/detection_ap.json).
final class DetectionMetricsTests: XCTestCase {
    let unit = Box(x1: 0, y1: 0, x2: 10, y2: 10)

    func testAccuracyCountsGroundTruthBoxesMatchedAtTheThreshold() throws {
        let half = Box(x1: 0, y1: 0, x2: 10, y2: 5)           // IoU 0.5 with unit: counts
        let third = Box(x1: 0, y1: 0, x2: 10, y2: 10 / 3)     // IoU 1/3: does not
        let far = Box(x1: 50, y1: 50, x2: 60, y2: 60)
        let accuracy = try XCTUnwrap(DetectionMetrics.accuracy(
            at: 0.5,
            predictions: [[half], [third], [], [far, unit], [unit]],
            groundTruth: [[unit], [unit], [unit], [unit, far], []]))
        // Hits: image 0 (0.5), image 3 (both, one-to-one); misses: image 1, image 2 (no box) → 3 of 5.
        XCTAssertEqual(accuracy, 3.0 / 5.0, accuracy: 1e-12)
        // One predicted box cannot match two ground-truth boxes.
        XCTAssertEqual(DetectionMetrics.accuracy(at: 0.5, predictions: [[unit]], groundTruth: [[unit, unit]]), 0.5)
        XCTAssertNil(DetectionMetrics.accuracy(at: 0.5, predictions: [[unit]], groundTruth: [[]]))
    }

    func testAveragePrecisionByHand() {
        let truth = [LabeledBox(image: 0, label: "a", box: unit), LabeledBox(image: 1, label: "a", box: unit)]
        // A perfect ranking: a true positive for each box → AP 1.
        let perfect = DetectionMetrics.averagePrecision(
            detections: [ScoredDetection(image: 0, label: "a", box: unit, score: 0.9),
                         ScoredDetection(image: 1, label: "a", box: unit, score: 0.8)], groundTruth: truth)
        XCTAssertEqual(perfect.mean ?? -1, 1, accuracy: 1e-12)
        // A false positive ranked first, then both hits: precision 1/2 at recall 1/2 and 2/3 at recall 1,
        // made non-increasing → 2/3 at every recall point.
        let behind = DetectionMetrics.averagePrecision(
            detections: [ScoredDetection(image: 0, label: "a", box: Box(x1: 50, y1: 50, x2: 60, y2: 60), score: 0.95),
                         ScoredDetection(image: 0, label: "a", box: unit, score: 0.9),
                         ScoredDetection(image: 1, label: "a", box: unit, score: 0.8)], groundTruth: truth)
        XCTAssertEqual(behind.mean ?? -1, 2.0 / 3.0, accuracy: 1e-9)
        // Only one of two boxes found: precision 1 up to recall 0.5, then 0 → 51 of 101 points.
        let half = DetectionMetrics.averagePrecision(
            detections: [ScoredDetection(image: 0, label: "a", box: unit, score: 0.9)], groundTruth: truth)
        XCTAssertEqual(half.mean ?? -1, 51.0 / 101.0, accuracy: 1e-9)
        // A label without ground truth is not averaged; one without detections scores 0.
        let labels = DetectionMetrics.averagePrecision(
            detections: [ScoredDetection(image: 0, label: "b", box: unit, score: 0.9)],
            groundTruth: truth + [LabeledBox(image: 0, label: "c", box: unit)])
        XCTAssertEqual(labels.perLabel, ["a": 0, "c": 0])
        XCTAssertNil(DetectionMetrics.averagePrecision(detections: [], groundTruth: []).mean)
    }

    struct Fixture: Decodable {
        struct Item: Decodable {
            var image: Int
            var label: String
            var box: [Double]
            var score: Double?
        }

        struct Case: Decodable {
            var name: String
            var max_detections: Int
            var ground_truth: [Item]
            var detections: [Item]
            var ap50: Double
            var ap50_per_label: [String: Double]
        }

        var pycocotools_version: String
        var cases: [Case]
    }

    func testAveragePrecisionMatchesPycocotools() throws {
        let url = try Fixtures.existing("detection_ap.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        XCTAssertEqual(fixture.cases.count, 3)
        func box(_ values: [Double]) -> Box { Box(x1: values[0], y1: values[1], x2: values[2], y2: values[3]) }
        for testCase in fixture.cases {
            let result = DetectionMetrics.averagePrecision(
                detections: testCase.detections.map { ScoredDetection(image: $0.image, label: $0.label, box: box($0.box), score: $0.score!) },
                groundTruth: testCase.ground_truth.map { LabeledBox(image: $0.image, label: $0.label, box: box($0.box)) },
                iouThreshold: 0.5, maxDetections: testCase.max_detections)
            XCTAssertEqual(result.mean ?? -1, testCase.ap50, accuracy: 1e-9, "\(testCase.name): AP@0.5")
            XCTAssertEqual(Set(result.perLabel.keys), Set(testCase.ap50_per_label.keys), testCase.name)
            for (label, expected) in testCase.ap50_per_label {
                XCTAssertEqual(result.perLabel[label] ?? -1, expected, accuracy: 1e-9, "\(testCase.name): AP@0.5 of \(label)")
            }
            XCTAssertGreaterThan(testCase.ap50, 0.05, "\(testCase.name): a fixture that tests nothing")
            XCTAssertLessThan(testCase.ap50, 0.95, "\(testCase.name): a fixture that tests nothing")
        }
    }
}
