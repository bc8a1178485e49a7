import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedTestSupport
import XCTest

final class KvasirTBXImportTests: XCTestCase {
    /// kavsir_bboxes.json (sic) as published.
    let kvasir = """
        {"cju0qkwl35piu0993l0dewei2": {"height": 529, "width": 622, "bbox": [{"label": "polyp", "xmin": 38, "ymin": 5, "xmax": 430, "ymax": 338}]},
         "cju0s690hkp960855tjuaqvv0": {"height": 1072, "width": 1350, "bbox": [{"label": "polyp", "xmin": 100, "ymin": 120, "xmax": 200, "ymax": 260}, {"label": "polyp", "xmin": 700, "ymin": 800, "xmax": 1349, "ymax": 1071}]},
         "cju0sr5ghl0nd08789uzf1raf": {"height": 500, "width": 500, "bbox": [{"label": "polyp", "xmin": 10, "ymin": 10, "xmax": 900, "ymax": 40}]},
         "cju0missing000000000000000": {"height": 500, "width": 500, "bbox": [{"label": "polyp", "xmin": 10, "ymin": 10, "xmax": 20, "ymax": 40}]}}
        """

    func testKvasirBoxesSizesFromJSONAndPatientSplit() throws {
        let tree = try ImportTestTree(self)
        try tree.write("kavsir_bboxes.json", kvasir)
        for id in ["cju0qkwl35piu0993l0dewei2", "cju0s690hkp960855tjuaqvv0", "cju0sr5ghl0nd08789uzf1raf"] {
            try tree.write("images/\(id).jpg", Data([0xFF, 0xD8, 0xFF, 0xD9]))
        }
        let result = try ImportSource.kvasirSEG.run(tree.options(seed: 3))
        XCTAssertEqual(result.records.map(\.id), ["kvasir-seg/cju0qkwl35piu0993l0dewei2", "kvasir-seg/cju0s690hkp960855tjuaqvv0"])
        let second = try XCTUnwrap(result.record("kvasir-seg/cju0s690hkp960855tjuaqvv0"))
        XCTAssertEqual([second.width, second.height], [1350, 1072])
        XCTAssertEqual(second.image, "images/cju0s690hkp960855tjuaqvv0.jpg")
        XCTAssertEqual(second.findings.map(\.box), [Box(x1: 100, y1: 120, x2: 200, y2: 260), Box(x1: 700, y1: 800, x2: 1349, y2: 1071)])
        XCTAssertEqual(Set(result.records.flatMap(\.findings).map(\.category)), ["polyp"])
        XCTAssertEqual(second.split, PatientSplitter(seed: 3).split(forPatient: "cju0s690hkp960855tjuaqvv0"))
        let skipped = result.report.skipped.map(\.description)
        XCTAssertEqual(skipped, [
            "kavsir_bboxes.json $[\"cju0missing000000000000000\"]: missing image file: images/cju0missing000000000000000.jpg",
            "kavsir_bboxes.json $[\"cju0sr5ghl0nd08789uzf1raf\"].bbox[0]: box outside the image: Box(10.0, 10.0, 900.0, 40.0) in 500x500",
        ])
    }

    func tbxFile(_ split: String, firstImage: Int) -> String {
        """
        {"info": {"description": "TBX11K"}, "images": [
          {"id": \(firstImage), "file_name": "tb/tb\(firstImage).png", "width": 512, "height": 512},
          {"id": \(firstImage + 1), "file_name": "tb/tb\(firstImage + 1).png", "width": 512, "height": 512}],
         "annotations": [
          {"id": 1, "image_id": \(firstImage), "category_id": 1, "bbox": [100.5, 120, 60, 80.25], "area": 4800, "iscrowd": 0},
          {"id": 2, "image_id": \(firstImage), "category_id": 3, "bbox": [300, 300, 40, 40], "area": 1600, "iscrowd": 0},
          {"id": 3, "image_id": \(firstImage + 1), "category_id": 2, "bbox": [10, 10, 20], "area": 0, "iscrowd": 0},
          {"id": 4, "image_id": 999, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400, "iscrowd": 0}],
         "categories": [{"id": 1, "name": "ActiveTuberculosis", "supercategory": "Tuberculosis"},
          {"id": 2, "name": "ObsoletePulmonaryTuberculosis", "supercategory": "Tuberculosis"},
          {"id": 3, "name": "PulmonaryTuberculosis", "supercategory": "Tuberculosis"}]}
        """
    }

    func testTBX11KDefaultFilesGiveTrainAndValWithXYXYBoxes() throws {
        let tree = try ImportTestTree(self)
        try tree.write("annotations/json/TBX11K_train_only_tb.json", tbxFile("train", firstImage: 1))
        try tree.write("annotations/json/TBX11K_val_only_tb.json", tbxFile("val", firstImage: 11))
        for index in [1, 2, 11, 12] { try tree.writePNG("imgs/tb/tb\(index).png", width: 8, height: 8) }
        let result = try ImportSource.tbx11k.run(tree.options())
        XCTAssertEqual(result.records.map(\.id), ["tbx11k/tb1", "tbx11k/tb11"])
        let train = try XCTUnwrap(result.record("tbx11k/tb1"))
        XCTAssertEqual(train.split, .train)
        XCTAssertEqual(train.image, "imgs/tb/tb1.png")
        XCTAssertEqual(train.findings, [
            Finding(category: "active tuberculosis", box: Box(x1: 100.5, y1: 120, x2: 160.5, y2: 200.25)),
            Finding(category: "pulmonary tuberculosis", box: Box(x1: 300, y1: 300, x2: 340, y2: 340)),
        ])
        XCTAssertEqual(result.record("tbx11k/tb11")?.split, .val)
        let skipped = result.report.skipped.map(\.description)
        XCTAssertEqual(skipped.count, 4)
        XCTAssertEqual(skipped[0], "TBX11K_train_only_tb.json $.annotations[2]: unparsable field: bbox must be [x, y, w, h]")
        XCTAssertEqual(skipped[1], "TBX11K_train_only_tb.json $.annotations[3]: unknown or skipped image_id 999")

        let single = try ImportSource.tbx11k.run(tree.options(annotations: "annotations/json/TBX11K_val_only_tb.json"))
        XCTAssertEqual(single.records.map(\.id), ["tbx11k/tb11"])
        XCTAssertEqual(single.records.first?.split, .val)
    }
}
