import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedTestSupport
import XCTest

final class BoxTests: XCTestCase {
    let size = ImageSize(width: 640, height: 480)

    func testSpacesRoundTrip() {
        let box = Box(x1: 64, y1: 48, x2: 320, y2: 240)
        XCTAssertEqual(box.xywh, PixelXYWHBox(x: 64, y: 48, width: 256, height: 192))
        XCTAssertEqual(box.xywh.box, box)
        XCTAssertEqual(box.normalized(imageSize: size), NormalizedBox(x1: 0.1, y1: 0.1, x2: 0.5, y2: 0.5))
        XCTAssertEqual(box.normalized(imageSize: size).pixelBox(imageSize: size), box)
        let grid = box.grid(imageSize: size)
        XCTAssertEqual(grid.coordinates, [100, 100, 500, 500])
        XCTAssertEqual(grid.bins, 1000)
        XCTAssertEqual(grid.pixelBox(imageSize: size), box)
        let coarse = box.grid(imageSize: size, bins: 100)
        XCTAssertEqual(coarse.coordinates, [10, 10, 50, 50])
        XCTAssertEqual(coarse.regridded(bins: 1000), grid)
    }

    func testGridQuantizesWithinHalfAStep() {
        let odd = ImageSize(width: 333, height: 517)
        let box = Box(x1: 10.3, y1: 7.9, x2: 200.6, y2: 516.2)
        let back = box.grid(imageSize: odd).pixelBox(imageSize: odd)
        XCTAssertEqual(back.x1, box.x1, accuracy: 333.0 / 2000)
        XCTAssertEqual(back.y2, box.y2, accuracy: 517.0 / 2000)
    }

    func testGridValidity() {
        XCTAssertTrue(GridBox(x1: 0, y1: 0, x2: 1000, y2: 1000).isValid)
        XCTAssertFalse(GridBox(x1: 5, y1: 0, x2: 5, y2: 10).isValid)
        XCTAssertFalse(GridBox(x1: 0, y1: 0, x2: 1001, y2: 10).isValid)
    }

    func testClippingAndValidation() {
        let box = Box(x1: -5, y1: 10, x2: 700, y2: 500)
        XCTAssertEqual(box.clipped(to: size), Box(x1: 0, y1: 10, x2: 640, y2: 480))
        XCTAssertEqual(box.validationError(imageSize: size), .boxOutsideImage(box, size))
        XCTAssertNil(box.clipped(to: size).validationError(imageSize: size))
        let nan = Box(x1: .nan, y1: 0, x2: 1, y2: 1)
        XCTAssertEqual(nan.validationError(imageSize: size)?.description.contains("non-finite"), true)
        XCTAssertEqual(Box(x1: 5, y1: 0, x2: 5, y2: 1).validationError(imageSize: size), .boxNotOrdered(Box(x1: 5, y1: 0, x2: 5, y2: 1)))
        XCTAssertEqual(Box(x1: 0, y1: 9, x2: 5, y2: 1).validationError(imageSize: size), .boxNotOrdered(Box(x1: 0, y1: 9, x2: 5, y2: 1)))
        XCTAssertThrowsError(try Box(x1: 0, y1: 0, x2: 641, y2: 1).validate(imageSize: size))
        XCTAssertNoThrow(try Box(x1: 0, y1: 0, x2: 640, y2: 480).validate(imageSize: size))
    }

    func testEmptyImageSizeIsAValidationErrorNotADivisionByZero() {
        let box = Box(x1: 0, y1: 0, x2: 10, y2: 10)
        for empty in [ImageSize(width: 0, height: 480), ImageSize(width: 640, height: 0), ImageSize(width: -3, height: 5)] {
            XCTAssertFalse(empty.hasArea)
            XCTAssertEqual(box.validationError(imageSize: empty), .emptyImage(empty))
            XCTAssertThrowsError(try box.validate(imageSize: empty)) { error in
                XCTAssertTrue("\(error)".contains("\(empty)") && "\(error)".contains("must be positive"), "\(error)")
            }
        }
        XCTAssertTrue(size.hasArea)
        XCTAssertTrue(ImageSize(width: 1, height: 1).hasArea)
    }

    func testIoU() {
        let a = Box(x1: 0, y1: 0, x2: 10, y2: 10)
        XCTAssertEqual(a.iou(a), 1)
        XCTAssertEqual(a.iou(Box(x1: 5, y1: 0, x2: 15, y2: 10)), 50.0 / 150, accuracy: 1e-12)
        XCTAssertEqual(a.iou(Box(x1: 10, y1: 0, x2: 20, y2: 10)), 0)
    }

    // MARK: - Hungarian matching

    func testHungarianMatchesBruteForceOnRandomRectangularMatrices() {
        var random = FuzzRandom(seed: 42)
        for _ in 0..<300 {
            let rows = Int.random(in: 1...6, using: &random)
            let columns = Int.random(in: 1...6, using: &random)
            let integral = Bool.random(using: &random)   // integer costs make ties likely
            let cost = (0..<rows).map { _ in
                (0..<columns).map { _ in integral ? Double(Int.random(in: 0...3, using: &random)) : Double.random(in: -1...1, using: &random) }
            }
            let assignment = HungarianAssignment.assign(cost)
            XCTAssertEqual(assignment.count, rows)
            let used = assignment.compactMap { $0 }
            XCTAssertEqual(used.count, min(rows, columns), "every row or every column is matched")
            XCTAssertEqual(Set(used).count, used.count, "one-to-one")
            var total = 0.0
            for (row, column) in assignment.enumerated() { if let column { total += cost[row][column] } }
            XCTAssertEqual(total, bruteForceMinimum(cost), accuracy: 1e-9, "\(cost)")
        }
    }

    func testHungarianEdgeCases() {
        XCTAssertEqual(HungarianAssignment.assign([]), [])
        XCTAssertEqual(HungarianAssignment.assign([[], []]), [nil, nil])
        XCTAssertEqual(HungarianAssignment.assign([[5]]), [0])
        XCTAssertEqual(HungarianAssignment.assign([[1, 0], [0, 1]]), [1, 0])
        XCTAssertEqual(HungarianAssignment.assign([[3], [1], [2]]), [nil, 0, nil])
    }

    /// The smallest total cost over every one-to-one assignment of min(rows, columns) pairs.
    private func bruteForceMinimum(_ cost: [[Double]]) -> Double {
        let rows = cost.count, columns = cost[0].count
        if rows > columns { return bruteForceMinimum((0..<columns).map { c in cost.map { $0[c] } }) }
        var best = Double.infinity
        func extend(_ row: Int, _ used: Set<Int>, _ total: Double) {
            if row == rows { best = min(best, total); return }
            for column in 0..<columns where !used.contains(column) {
                extend(row + 1, used.union([column]), total + cost[row][column])
            }
        }
        extend(0, [], 0)
        return best
    }

    // MARK: - r_loc

    func testMatchedMeanIoUFollowsTheLocalizationReward() {
        let truth = [Box(x1: 0, y1: 0, x2: 10, y2: 10), Box(x1: 100, y1: 100, x2: 120, y2: 120)]
        // Order does not matter: predictions are matched one-to-one.
        XCTAssertEqual(Box.matchedMeanIoU(predicted: truth.reversed(), groundTruth: truth), 1)
        // One of two found → (1 + 0) / 2.
        XCTAssertEqual(Box.matchedMeanIoU(predicted: [truth[1]], groundTruth: truth), 0.5)
        // Two predictions of the same ground truth: only one may count.
        XCTAssertEqual(Box.matchedMeanIoU(predicted: [truth[0], truth[0]], groundTruth: truth), 0.5)
        // Extra predictions beyond the ground truth are not penalized beyond matching.
        XCTAssertEqual(Box.matchedMeanIoU(predicted: [Box(x1: 500, y1: 500, x2: 501, y2: 501), truth[0]], groundTruth: [truth[0]]), 1)
        // No predicted box → 0; normal image → 1 only without predictions.
        XCTAssertEqual(Box.matchedMeanIoU(predicted: [], groundTruth: truth), 0)
        XCTAssertEqual(Box.matchedMeanIoU(predicted: [], groundTruth: []), 1)
        XCTAssertEqual(Box.matchedMeanIoU(predicted: [truth[0]], groundTruth: []), 0)
        // Greedy would pair the big prediction with A (IoU 0.5) and leave B at 0; optimal is better.
        let a = Box(x1: 0, y1: 0, x2: 10, y2: 10), b = Box(x1: 0, y1: 0, x2: 20, y2: 10)
        let predicted = [Box(x1: 0, y1: 0, x2: 20, y2: 10), Box(x1: 0, y1: 0, x2: 10, y2: 10)]
        XCTAssertEqual(Box.matchedMeanIoU(predicted: predicted, groundTruth: [a, b]), 1)
        let pairs = Box.matches(predicted: predicted, groundTruth: [a, b])
        XCTAssertEqual(pairs.map(\.predicted), [1, 0])
        // A non-finite prediction scores 0 instead of poisoning the matching.
        XCTAssertEqual(Box.matchedMeanIoU(predicted: [Box(x1: -.infinity, y1: 0, x2: .infinity, y2: 10), a], groundTruth: [a]), 1)
    }
}
