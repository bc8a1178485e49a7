import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedTestSupport
import XCTest

final class KidneyStoneImportTests: XCTestCase {
    func makeTree() throws -> ImportTestTree {
        let tree = try ImportTestTree(self)
        try tree.write("data.yaml", "train: ../train/images\nval: ../valid/images\n\nnc: 1\nnames: ['Tas_Var']\n")
        try tree.writePNG("train/images/1-3-46-700_jpg.rf.abc.png", width: 640, height: 320)
        try tree.write("train/labels/1-3-46-700_jpg.rf.abc.txt", "0 0.5 0.25 0.1 0.2\n0 0.1 0.1 0.05 0.05\n")
        try tree.writePNG("valid/images/normal_1.png", width: 100, height: 100)
        try tree.write("valid/labels/normal_1.txt", "")
        try tree.writePNG("test/images/bad.png", width: 200, height: 100)
        try tree.write("test/labels/bad.txt", "0 0.5 0.5 0.1\n0 0.5 0.5 0.2 0.2\n0 1.5 0.5 0.2 0.2\n")
        return tree
    }

    func testYOLOFoldersNormalizedBoxesToPixelsAndEmptyLabels() throws {
        let tree = try makeTree()
        let result = try ImportSource.kidneyStone.run(tree.options())
        XCTAssertEqual(result.records.map(\.id), ["kidney-stone/1-3-46-700_jpg.rf.abc", "kidney-stone/bad"])
        let train = try XCTUnwrap(result.record("kidney-stone/1-3-46-700_jpg.rf.abc"))
        XCTAssertEqual([train.width, train.height], [640, 320])
        XCTAssertEqual(train.split, .train)
        XCTAssertEqual(train.findings.map(\.category), ["kidney stone", "kidney stone"])
        let expected = [[288.0, 48, 352, 112], [48, 24, 80, 40]]
        for (finding, corners) in zip(train.findings, expected) {
            let box = finding.box
            for (value, wanted) in zip([box.x1, box.y1, box.x2, box.y2], corners) { XCTAssertEqual(value, wanted, accuracy: 1e-9) }
        }
        let test = try XCTUnwrap(result.record("kidney-stone/bad"))
        XCTAssertEqual(test.split, .test)
        XCTAssertEqual(test.findings.map(\.box), [Box(x1: 80, y1: 40, x2: 120, y2: 60)])
        XCTAssertEqual(result.report.normalImagesLeftOut, 1)
        let skipped = result.report.skipped.map(\.description)
        XCTAssertEqual(skipped.count, 2, skipped.joined(separator: "\n"))
        XCTAssertTrue(skipped[0].hasPrefix("test/labels/bad.txt:1: unparsable field"), skipped[0])
        XCTAssertTrue(skipped[1].hasPrefix("test/labels/bad.txt:3: box outside the image"), skipped[1])

        let withNormal = try ImportSource.kidneyStone.run(tree.options(includeNormal: true))
        let normal = try XCTUnwrap(withNormal.record("kidney-stone/normal_1"))
        XCTAssertTrue(normal.isNormal)
        XCTAssertEqual(normal.split, .val)
    }
}
