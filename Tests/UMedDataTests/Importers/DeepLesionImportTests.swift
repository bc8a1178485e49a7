import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedTestSupport
import XCTest

final class DeepLesionImportTests: XCTestCase {
    static let header = "File_name,Patient_index,Study_index,Series_ID,Key_slice_index,Measurement_coordinates,Bounding_boxes,Lesion_diameters_Pixel_,Normalized_lesion_location,Coarse_lesion_type,Possibly_noisy,Slice_range,Spacing_mm_px_,Image_size,DICOM_windows,Patient_gender,Patient_age,Train_Val_Test"

    /// DL_info.csv rows as published: quoted comma lists for multi-value fields.
    static let info = header + """

        000001_01_01_109.png,1,1,1,109,"233.537, 95.0204, 234.057, 106.977, 231.169, 101.605, 236.252, 101.143","226.169, 90.0159, 241.42, 112.072","11.9804, 5.08107","0.44208, 0.211779, 0.490764",3,0,"103, 115","0.488281, 0.488281, 5","512, 512","-175, 275",F,62,1
        000001_01_01_109.png,1,1,1,109,"1, 2, 3, 4","300.5, 300, 340, 360.25","11, 5","0.5, 0.5, 0.5",-1,0,"103, 115","0.488281, 0.488281, 5","512, 512","-175, 275",F,62,1
        000002_02_01_077.png,2,2,1,77,"1, 2, 3, 4","100, 100, 150, 140","11, 5","0.5, 0.5, 0.5",4,0,"70, 80","0.7, 0.7, 5","512, 512","-1350, 150",M,51,2
        000003_01_02_010.png,3,1,2,10,"1, 2, 3, 4","100, 100","11, 5","0.5, 0.5, 0.5",5,0,"5, 15","0.7, 0.7, 5","512, 512","-1350, 150",M,40,3
        000003_01_02_011.png,3,1,2,11,"1, 2, 3, 4","10, 10, 30, 30","11, 5","0.5, 0.5, 0.5",5,0,"5, 15","0.7, 0.7, 5","512, 512","-1350, 150",M,40,3
        000004_01_01_020.png,4,1,1,20,"1, 2, 3, 4","10, 10, 30, 30","11, 5","0.5, 0.5, 0.5",2,0,"5, 15","0.7, 0.7, 5","512, 512","-160, 240",M,40,7

        """

    func makeTree() throws -> ImportTestTree {
        let tree = try ImportTestTree(self)
        try tree.write("DL_info.csv", Self.info)
        var slice = Image16(width: 512, height: 512, channels: 1, samples: Array(repeating: 32768 - 1000, count: 512 * 512))
        slice[0, 0, 0] = 32768 + 50
        let png = try slice.pngData()
        try tree.write("Images_png/000001_01_01/109.png", png)
        try tree.write("Images_png/000002_02_01/077.png", png)
        try tree.write("Images_png/000003_01_02/010.png", png)
        try tree.write("Images_png/000004_01_01/020.png", png)
        return tree
    }

    func testGroupsRowsOfficialSplitsCoarseTypesAndWindows() throws {
        let tree = try makeTree()
        let result = try ImportSource.deeplesion.run(tree.options())
        XCTAssertEqual(result.records.map(\.id), ["deeplesion/000001_01_01_109", "deeplesion/000002_02_01_077"])
        let first = try XCTUnwrap(result.record("deeplesion/000001_01_01_109"))
        XCTAssertEqual(first.image, "Images_png/000001_01_01/109.png")
        XCTAssertEqual([first.width, first.height], [512, 512])
        XCTAssertEqual(first.split, .train)
        XCTAssertEqual(first.patient, "000001")
        XCTAssertEqual(first.modality, "ct")
        XCTAssertEqual(first.findings, [
            Finding(category: "mediastinum lesion", box: Box(x1: 226.169, y1: 90.0159, x2: 241.42, y2: 112.072)),
            Finding(category: "lesion", box: Box(x1: 300.5, y1: 300, x2: 340, y2: 360.25)),
        ])
        XCTAssertEqual(first.extra["window"], .array([.integer(-175), .integer(275)]))
        XCTAssertEqual(first.extra["key_slice"], .integer(109))
        let second = try XCTUnwrap(result.record("deeplesion/000002_02_01_077"))
        XCTAssertEqual(second.split, .val)
        XCTAssertEqual(second.findings.map(\.category), ["liver lesion"])

        let skipped = result.report.skipped.map(\.description)
        XCTAssertEqual(skipped.count, 3, skipped.joined(separator: "\n"))
        XCTAssertTrue(skipped[0].hasPrefix("DL_info.csv:5: unparsable field: Bounding_boxes"), skipped[0])
        XCTAssertTrue(skipped[1].hasPrefix("DL_info.csv:6: missing image file: Images_png/000003_01_02/011.png"), skipped[1])
        XCTAssertTrue(skipped[2].hasPrefix("DL_info.csv:7: unparsable field: Train_Val_Test"), skipped[2])
        XCTAssertEqual(result.report.imagesWithOnlySkippedFindings, 1, "000003_01_02_010 had only a bad box")
        XCTAssertEqual(result.report.recordsPerSplit, [.train: 1, .val: 1])
    }

    /// 16-bit → HU (− 32768) → window → 8-bit, against a hand computation.
    func testWindowingASixteenBitSliceMatchesAHandComputation() throws {
        let tree = try makeTree()
        let record = try XCTUnwrap(try ImportSource.deeplesion.run(tree.options()).record("deeplesion/000001_01_01_109"))
        let image = try DeepLesionWindow.image(contentsOf: tree.root.appendingPathComponent(record.image), record: record)
        XCTAssertEqual([image.width, image.height, image.channels], [512, 512, 1])
        // HU 50 in [−175, 275]: (50 + 175) / 450 · 255 = 127.5 → 128; HU −1000 is below: 0.
        XCTAssertEqual(image[0, 0, 0], 128)
        XCTAssertEqual(image[1, 0, 0], 0)
        let samples = Image16(width: 4, height: 1, channels: 1, samples: [32768 - 1350, 32768 - 600, 32768 + 150, 65535])
        let lung = DeepLesionWindow.eightBit(samples, lower: -1350, upper: 150)
        // (−600 + 1350) / 1500 · 255 = 127.5 → 128.
        XCTAssertEqual(lung.pixels, [0, 128, 255, 255])
        XCTAssertEqual(DeepLesionWindow.window(of: record).map { [$0.lower, $0.upper] }, [-175, 275])
    }
}
