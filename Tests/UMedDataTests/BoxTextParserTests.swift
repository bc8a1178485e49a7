import Foundation
import UMedData
import XCTest

final class BoxTextParserTests: XCTestCase {
    let size = ImageSize(width: 500, height: 200)

    func testUMedFormat() {
        let text = "Detection: abnormal.\nLocalization: <box>[100, 250, 300, 750]</box> left\nRecognition: <ref>Nodule</ref>"
        let boxes = BoxTextParser.parse(text)
        XCTAssertEqual(boxes.map(\.form), [.tagged])
        XCTAssertEqual(boxes[0].scale, .grid)
        XCTAssertEqual(boxes[0].coordinates, [100, 250, 300, 750])
        XCTAssertTrue(boxes[0].isValid)
        XCTAssertEqual(boxes[0].pixelBox(imageSize: size), Box(x1: 50, y1: 50, x2: 150, y2: 150))
        let utf8 = Array(text.utf8)
        XCTAssertEqual(String(decoding: utf8[boxes[0].utf8Range], as: UTF8.self), "<box>[100, 250, 300, 750]</box>")
        // Agrees with the strict reader and the writer.
        let written = BoxText.format(Box(x1: 50, y1: 50, x2: 150, y2: 150), imageWidth: 500, imageHeight: 200)
        XCTAssertEqual(BoxTextParser.pixelBoxes(in: written, imageSize: size), BoxText.boxes(in: written, imageWidth: 500, imageHeight: 200))
    }

    func testEveryForm() {
        XCTAssertEqual(BoxTextParser.parse("at [10, 20, 30, 40].").map(\.form), [.bracketed])
        let points = BoxTextParser.parse("from (10,20),(30,40) and (1, 2) (3, 4)")
        XCTAssertEqual(points.map(\.form), [.pointPairs, .pointPairs])
        XCTAssertEqual(points[1].coordinates, [1, 2, 3, 4])
        XCTAssertEqual(BoxTextParser.parse("<box>(10,20),(30,40)</box>").map(\.form), [.tagged])
        let nested = BoxTextParser.parse("[[10, 20, 30, 40], [50,60,70,80]]")
        XCTAssertEqual(nested.map(\.form), [.nestedList, .nestedList])
        XCTAssertEqual(nested.map(\.coordinates), [[10, 20, 30, 40], [50, 60, 70, 80]])
        XCTAssertEqual(BoxTextParser.parse("[[1, 2, 3, 4]]").map(\.form), [.nestedList])
    }

    func testNormalizedFloats() {
        let box = BoxTextParser.parse("[0.1, 0.25, 0.5, 1.0]")[0]
        XCTAssertEqual(box.scale, .normalized)
        XCTAssertEqual(box.pixelBox(imageSize: size), Box(x1: 50, y1: 50, x2: 250, y2: 200))
        // Integers 0/1 stay on the grid; floats above 1 are grid values.
        XCTAssertEqual(BoxTextParser.parse("[0, 0, 1, 1]")[0].scale, .grid)
        XCTAssertEqual(BoxTextParser.parse("[10.5, 20, 300.25, 400]")[0].scale, .grid)
        XCTAssertEqual(BoxTextParser.parse("[.1, 1e-1, 5., 0.9]")[0].coordinates, [0.1, 0.1, 5, 0.9])
    }

    func testInvalidBoxesAreReportedNotConverted() {
        let inverted = BoxTextParser.parse("<box>[300, 20, 100, 40]</box>")
        XCTAssertEqual(inverted.count, 1)
        XCTAssertFalse(inverted[0].isValid)
        XCTAssertNil(inverted[0].pixelBox(imageSize: size))
        XCTAssertFalse(BoxTextParser.parse("[-5, 0, 10, 10]")[0].isValid)
        XCTAssertFalse(BoxTextParser.parse("[0, 0, 1001, 10]")[0].isValid)
    }

    func testNearMissesAreNotBoxes() {
        for text in ["[1, 2, 3]", "[1, 2, 3, 4, 5]", "(1,2)", "[a, b, c, d]", "[1,,2,3,4]", "[nan, 1, 2, 3]",
                     "[1e999, 1, 2, 3]", "[" + String(repeating: "9", count: 40) + ", 1, 2, 3]", "", "<box></box>"] {
            XCTAssertEqual(BoxTextParser.parse(text), [], text)
        }
        // An unclosed tag still leaves a bare list.
        XCTAssertEqual(BoxTextParser.parse("<box>[1, 2, 3, 4]").map(\.form), [.bracketed])
    }

    func testHostileInputsFinishQuickly() {
        let inputs = [
            String(repeating: "[", count: 200_000),
            String(repeating: "[[1, 2, 3, 4], ", count: 20_000),
            String(repeating: "(1,2),", count: 50_000),
            "[" + String(repeating: " ", count: 200_000) + "1, 2, 3, 4]",
            String(repeating: "<box>[1, 2, 3, ", count: 20_000),
            String(repeating: "1", count: 300_000),
            String(repeating: "[1.", count: 100_000),
        ]
        let clock = ContinuousClock()
        for input in inputs {
            let elapsed = clock.measure { _ = BoxTextParser.parse(input) }
            XCTAssertLessThan(elapsed, .seconds(2), "\(input.prefix(20))… took \(elapsed)")
        }
        XCTAssertEqual(BoxTextParser.parse(String(repeating: "[[1, 2, 3, 4], ", count: 1000)).count, 1000)
    }
}
