import Foundation
import UMedData
import UMedTestSupport
import XCTest

/// The tolerant reading: every box form a model may write.
final class GroundedTextTolerantTests: XCTestCase {
    let size = ImageSize(width: 500, height: 200)

    func boxes(_ text: String) -> [ParsedBoxText] { GroundedText(text, mode: .tolerant).boxes }

    func testUMedFormat() {
        let text = "Detection: abnormal.\nLocalization: <box>[100, 250, 300, 750]</box> left\nRecognition: <ref>Nodule</ref>"
        let boxes = boxes(text)
        XCTAssertEqual(boxes.map(\.form), [.tagged])
        XCTAssertEqual(boxes[0].scale, .grid)
        XCTAssertEqual(boxes[0].coordinates, [100, 250, 300, 750])
        XCTAssertTrue(boxes[0].isValid)
        XCTAssertEqual(boxes[0].pixelBox(imageSize: size), Box(x1: 50, y1: 50, x2: 150, y2: 150))
        let utf8 = Array(text.utf8)
        XCTAssertEqual(String(decoding: utf8[boxes[0].utf8Range], as: UTF8.self), "<box>[100, 250, 300, 750]</box>")
        // Agrees with the strict reading and the writer.
        let written = GroundedText.box(Box(x1: 50, y1: 50, x2: 150, y2: 150), imageWidth: 500, imageHeight: 200)
        XCTAssertEqual(GroundedText(written, mode: .tolerant).pixelBoxes(imageSize: size), GroundedText(written).pixelBoxes(imageSize: size))
        XCTAssertEqual(GroundedText(written).pixelBoxes(imageSize: size), [Box(x1: 50, y1: 50, x2: 150, y2: 150)])
    }

    func testEveryForm() {
        XCTAssertEqual(boxes("at [10, 20, 30, 40].").map(\.form), [.bracketed])
        let points = boxes("from (10,20),(30,40) and (1, 2) (3, 4)")
        XCTAssertEqual(points.map(\.form), [.pointPairs, .pointPairs])
        XCTAssertEqual(points[1].coordinates, [1, 2, 3, 4])
        XCTAssertEqual(boxes("<box>(10,20),(30,40)</box>").map(\.form), [.tagged])
        let nested = boxes("[[10, 20, 30, 40], [50,60,70,80]]")
        XCTAssertEqual(nested.map(\.form), [.nestedList, .nestedList])
        XCTAssertEqual(nested.map(\.coordinates), [[10, 20, 30, 40], [50, 60, 70, 80]])
        XCTAssertEqual(boxes("[[1, 2, 3, 4]]").map(\.form), [.nestedList])
    }

    func testNormalizedFloats() {
        let box = boxes("[0.1, 0.25, 0.5, 1.0]")[0]
        XCTAssertEqual(box.scale, .normalized)
        XCTAssertEqual(box.pixelBox(imageSize: size), Box(x1: 50, y1: 50, x2: 250, y2: 200))
        // Integers 0/1 stay on the grid; floats above 1 are grid values.
        XCTAssertEqual(boxes("[0, 0, 1, 1]")[0].scale, .grid)
        XCTAssertEqual(boxes("[10.5, 20, 300.25, 400]")[0].scale, .grid)
        XCTAssertEqual(boxes("[.1, 1e-1, 5., 0.9]")[0].coordinates, [0.1, 0.1, 5, 0.9])
    }

    func testInvalidBoxesAreReportedNotConverted() {
        let inverted = boxes("<box>[300, 20, 100, 40]</box>")
        XCTAssertEqual(inverted.count, 1)
        XCTAssertFalse(inverted[0].isValid)
        XCTAssertNil(inverted[0].pixelBox(imageSize: size))
        XCTAssertFalse(boxes("[-5, 0, 10, 10]")[0].isValid)
        XCTAssertFalse(boxes("[0, 0, 1001, 10]")[0].isValid)
    }

    func testNearMissesAreNotBoxes() {
        for text in ["[1, 2, 3]", "[1, 2, 3, 4, 5]", "(1,2)", "[a, b, c, d]", "[1,,2,3,4]", "[nan, 1, 2, 3]",
                     "[1e999, 1, 2, 3]", "[" + String(repeating: "9", count: 40) + ", 1, 2, 3]", "", "<box></box>"] {
            XCTAssertEqual(boxes(text), [], text)
        }
        // An unclosed tag still leaves a bare list.
        XCTAssertEqual(boxes("<box>[1, 2, 3, 4]").map(\.form), [.bracketed])
    }

    func testHostileInputsFinishQuickly() {
        let inputs = [
            String(repeating: "[", count: 200_000),
            String(repeating: "[[1, 2, 3, 4], ", count: 20_000),
            String(repeating: "(1,2),", count: 50_000),
            "[" + String(repeating: " ", count: 200_000) + "1, 2, 3, 4]",
            String(repeating: "<box>[1, 2, 3, ", count: 20_000),
            String(repeating: "<ref>", count: 50_000),
            String(repeating: "<box></ref><ref>", count: 20_000),
            String(repeating: "1", count: 300_000),
            String(repeating: "[1.", count: 100_000),
        ]
        let clock = ContinuousClock()
        for input in inputs {
            let elapsed = clock.measure {
                let grounded = GroundedText(input, mode: .tolerant)
                _ = (grounded.references, grounded.diagnosis)
            }
            XCTAssertLessThan(elapsed, .seconds(2), "\(input.prefix(20))… took \(elapsed)")
        }
        XCTAssertEqual(boxes(String(repeating: "[[1, 2, 3, 4], ", count: 1000)).count, 1000)
    }
}

/// The strict reading (UMed's own `<box>[x1, y1, x2, y2]</box>`), references, the diagnosis text and
/// the writer — with the cases where the seven hand-written scanners this grammar replaced
/// disagreed, each pinned to the one behaviour chosen.
final class GroundedTextTests: XCTestCase {
    func testFormatAndParseRoundTripOnTheOriginalImageGrid() {
        let box = Box(x1: 100, y1: 50, x2: 300, y2: 150)
        let text = "Localization: " + GroundedText.box(box, imageWidth: 1000, imageHeight: 500) + " right upper lobe"
        XCTAssertEqual(text, "Localization: <box>[100, 100, 300, 300]</box> right upper lobe")
        XCTAssertEqual(GroundedText(text).pixelBoxes(imageSize: ImageSize(width: 1000, height: 500)), [box])
        XCTAssertEqual(GroundedText.reference("Nodule"), "<ref>Nodule</ref>")
    }

    func testStrictReadingKeepsValidUMedBoxesInOrder() {
        let text = "<box>[1, 2, 3]</box> <box>[900, 10, 100, 20]</box> <box>[0, 0, 10, 10]</box><box>[5, 5, 1001, 9]</box>"
            + "<box>[10, 20, 30, 40]</box> <box>[1, 2"
        XCTAssertEqual(GroundedText(text).gridBoxes, [[0, 0, 10, 10], [10, 20, 30, 40]])
        XCTAssertEqual(GroundedText(text).boxes.map(\.isUMedForm), [true, true])
    }

    /// Where the strict reader (BoxText) and the tolerant one (BoxTextParser) disagreed.
    func testStrictFormIsFourPlainIntegersInSquareBrackets() {
        // Whitespace between the parts is free, newlines included (BoxText refused a newline).
        XCTAssertEqual(GroundedText("<box>[1,\n 2, 3,\t4 ]</box>").gridBoxes, [[1, 2, 3, 4]])
        XCTAssertEqual(GroundedText("<box> [+5, 2, 30, 40] </box>").gridBoxes, [[5, 2, 30, 40]])
        // Point pairs, fractions and exponents are read tolerantly, never strictly: not UMed's form
        // (the tolerant reader called `<box>(…),(…)</box>` and `<box>[1.5, …]</box>` well formed).
        for text in ["<box>(10,20),(30,40)</box>", "<box>[1.5, 2, 30, 40]</box>", "<box>[5e1, 2, 30, 40]</box>",
                     "<box>[1., 2, 30, 40]</box>"] {
            XCTAssertEqual(GroundedText(text).boxes, [], text)
            let tolerant = GroundedText(text, mode: .tolerant).boxes
            XCTAssertEqual(tolerant.count, 1, text)
            XCTAssertFalse(tolerant[0].isUMedForm, text)
        }
        XCTAssertTrue(GroundedText("<box>[1, 2, 30, 40]</box>", mode: .tolerant).boxes[0].isUMedForm)
        XCTAssertFalse(GroundedText("[1, 2, 30, 40]", mode: .tolerant).boxes[0].isUMedForm, "untagged")
    }

    func testReferencesAreTrimmedOfWhitespaceAndNewlines() {
        let text = "Recognition: <ref> Nodule\n</ref> small, <ref>Mass</ref> and <ref>open"
        let grounded = GroundedText(text)
        // The validator trimmed spaces only ("Nodule\n"), the judge's parser not at all: one rule now.
        XCTAssertEqual(grounded.categories, ["Nodule", "Mass"])
        let bytes = Array(text.utf8)
        XCTAssertEqual(String(decoding: bytes[grounded.references[0].utf8Range], as: UTF8.self), "<ref> Nodule\n</ref>")
        XCTAssertEqual(String(decoding: bytes[grounded.references[0].categoryUTF8Range], as: UTF8.self), "Nodule")
        XCTAssertEqual(GroundedText("no ref here <ref>open").categories, [])
        XCTAssertEqual(GroundedText("<ref> </ref>").categories, [""])
        XCTAssertEqual(GroundedText("<ref> </ref>").references[0].categoryUTF8Range.isEmpty, true)
    }

    func testDiagnosisDropsBoxSpansAndTagsButKeepsTheCategoriesWords() {
        XCTAssertEqual(GroundedText("a <box>[1, 2, 3, 4]</box> left <ref>Nodule</ref>.").diagnosis, "a   left  Nodule .")
        // Anything between <box> and </box> is box markup, well formed or not.
        XCTAssertEqual(GroundedText("x <box>not a box</box> y").diagnosis, "x   y")
        // An unclosed <box> runs to the end; a </box> outside a span is text (as the relevance
        // scorers always read it; the demo's Stage-2 table depends on it).
        XCTAssertEqual(GroundedText("left <box>[120, 340").diagnosis, "left  ")
        XCTAssertEqual(GroundedText("left </box> lobe").diagnosis, "left </box> lobe")
        XCTAssertEqual(GroundedText("Nodule in the <ref>right</ref> lobe").diagnosisWords, ["nodule", "in", "the", "right", "lobe"])
        XCTAssertTrue(GroundedText("x </box>").hasBoxMarkup)
    }

    /// Narrative cleaning (the MAU builder): no markup at all is left, nothing but the markup goes.
    func testPlainTextRemovesEveryTagAndSpanButKeepsTheRest() {
        XCTAssertEqual(GroundedText("a<box>[1, 2, 3, 4]</box>b <ref>Nodule</ref>.").plainText, "ab Nodule.")
        XCTAssertEqual(GroundedText("left <box>[120, 340 upper").plainText, "left [120, 340 upper")
        XCTAssertEqual(GroundedText("left </box> lobe <ref>x").plainText, "left  lobe x")
        XCTAssertFalse(GroundedText("x [1, 2, 3, 4]").hasBoxMarkup)
    }
}
