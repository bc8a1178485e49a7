import Foundation
@testable import UMedData
import UMedPipeline
import UMedText
import UMedTestSupport
import XCTest

final class GenericImportTests: XCTestCase {
    func testDataYAMLNameForms() {
        XCTAssertEqual(YOLONames.parse("nc: 2\nnames: ['a b', \"c\"]\n"), [0: "a b", 1: "c"])
        XCTAssertEqual(YOLONames.parse("names:\n  - stone  # the only class\n  - 'cyst'\nnc: 2\n"), [0: "stone", 1: "cyst"])
        XCTAssertEqual(YOLONames.parse("path: x\nnames:\n  0: person\n  2: \"car\"\n"), [0: "person", 2: "car"])
        XCTAssertEqual(YOLONames.parse("nc: 1\n"), [:])
    }

    func testGenericYOLOFlatTreeUsesDataYAMLNamesAndThePatientSplit() throws {
        let tree = try ImportTestTree(self)
        try tree.write("data.yaml", "names:\n  0: nodule\n  1: mass\n")
        try tree.writePNG("images/p1.png", width: 50, height: 40)
        try tree.write("labels/p1.txt", "1 0.5 0.5 0.2 0.5\n")
        let result = try ImportSource.yolo.run(tree.options(seed: 5))
        XCTAssertEqual(result.records.first?.findings, [Finding(category: "mass", box: Box(x1: 20, y1: 10, x2: 30, y2: 30))])
        XCTAssertEqual(result.records.first?.split, PatientSplitter(seed: 5).split(forPatient: "p1"))
    }

    func testGenericCOCODefaultFileAndNormalImages() throws {
        let tree = try ImportTestTree(self)
        try tree.write("annotations.json", """
            {"images": [{"id": 1, "file_name": "a.png", "width": 20, "height": 10}, {"id": 2, "file_name": "b.png", "width": 20, "height": 10}],
             "annotations": [{"image_id": 1, "category_id": 7, "bbox": [1, 2, 3, 4]}], "categories": [{"id": 7, "name": "cyst"}]}
            """)
        try tree.writePNG("images/a.png", width: 20, height: 10)
        try tree.writePNG("images/b.png", width: 20, height: 10)
        let result = try ImportSource.coco.run(tree.options(includeNormal: true))
        XCTAssertEqual(result.records.map(\.id), ["coco/a", "coco/b"])
        XCTAssertEqual(result.records[0].image, "images/a.png")
        XCTAssertEqual(result.records[0].findings, [Finding(category: "cyst", box: Box(x1: 1, y1: 2, x2: 4, y2: 6))])
        XCTAssertTrue(result.records[1].isNormal)
    }

    func testVOCOneBasedCornersImageSetsAndXMLLines() throws {
        let tree = try ImportTestTree(self)
        try tree.write("Annotations/scan1.xml", """
            <annotation>
              <filename>scan1.jpg</filename>
              <size><width>100</width><height>80</height><depth>3</depth></size>
              <object><name>nodule</name><difficult>0</difficult>
                <bndbox><xmin>11</xmin><ymin>21</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object>
              <object><name>mass</name>
                <bndbox><xmin>50</xmin><ymin>oops</ymin><xmax>60</xmax><ymax>70</ymax></bndbox></object>
            </annotation>
            """)
        try tree.write("Annotations/broken.xml", "<annotation><filename>x.jpg</filename>\n<size>")
        try tree.write("JPEGImages/scan1.jpg", Data([0xFF, 0xD8]))
        try tree.write("ImageSets/Main/val.txt", "scan1\n")
        let result = try ImportSource.voc.run(tree.options())
        XCTAssertEqual(result.records.map(\.id), ["voc/scan1"])
        XCTAssertEqual(result.records[0].split, .val)
        XCTAssertEqual(result.records[0].findings, [Finding(category: "nodule", box: Box(x1: 10, y1: 20, x2: 30, y2: 40))])
        let skipped = result.report.skipped.map(\.description)
        XCTAssertEqual(skipped.count, 2, skipped.joined(separator: "\n"))
        XCTAssertTrue(skipped[0].hasPrefix("Annotations/broken.xml:"), skipped[0])
        XCTAssertTrue(skipped[1].hasPrefix("Annotations/scan1.xml:6: unparsable field"), skipped[1])
    }
}
