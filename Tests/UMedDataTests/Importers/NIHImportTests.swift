import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedTestSupport
import XCTest

final class NIHImportTests: XCTestCase {
    /// BBox_List_2017.csv as published: the bracketed header spills over columns and rows end with
    /// empty columns.
    static let boxList = """
        Image Index,Finding Label,Bbox [x,y,w,h],,,
        00013118_008.png,Atelectasis,225.084745762712,547.019216763771,86.7796610169491,79.1864406779661,,,
        00013118_008.png,Infiltrate,600,300.5,200.25,180,,,
        00013118_009.png,Mass,100,100,40,42.5,,,
        00014716_007.png,Nodule,not-a-number,100,40,42.5,,,
        00099999_000.png,Nodule,10,10,20,20,,,
        00014716_007.png,Effusion,1000,500,200,100,,,
        00014716_007.png,Cardiomegaly,1000,500,25.5,100,,,
        00014716_007.png,Pneumonia,10,10,0,30,,,

        """

    static let dataEntry = """
        Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],
        00013118_008.png,Atelectasis|Infiltration,8,13118,58,M,PA,2992,2991,0.143,0.143
        00013118_009.png,Mass,9,13118,58,M,PA,2992,2991,0.143,0.143
        00014716_007.png,Cardiomegaly|Effusion,7,14716,40,F,AP,2500,2048,0.168,0.168
        00020000_000.png,No Finding,0,20000,33,F,PA,2048,2500,0.168,0.168

        """

    func makeTree(withDataEntry: Bool = true) throws -> ImportTestTree {
        let tree = try ImportTestTree(self)
        try tree.write("BBox_List_2017.csv", Self.boxList)
        if withDataEntry { try tree.write("Data_Entry_2017.csv", Self.dataEntry) }
        try tree.writePNG("images_001/images/00013118_008.png", width: 1024, height: 1024)
        try tree.writePNG("images_001/images/00013118_009.png", width: 1024, height: 1024)
        try tree.writePNG("images_002/images/00014716_007.png", width: 1024, height: 1024)
        try tree.writePNG("images_002/images/00020000_000.png", width: 1024, height: 1024)
        return tree
    }

    func testBoxesCategoriesPatientsAndSkippedRows() throws {
        let tree = try makeTree()
        let result = try ImportSource.nih.run(tree.options())
        XCTAssertEqual(result.records.map(\.id), ["nih/00013118_008", "nih/00013118_009", "nih/00014716_007"])
        let first = try XCTUnwrap(result.record("nih/00013118_008"))
        XCTAssertEqual(first.image, "images_001/images/00013118_008.png")
        XCTAssertEqual([first.width, first.height], [1024, 1024])
        XCTAssertEqual(first.patient, "00013118")
        XCTAssertEqual(first.modality, "chest x-ray")
        XCTAssertEqual(first.findings.map(\.category), ["Atelectasis", "Infiltration"])
        XCTAssertEqual(first.findings[1].box, Box(x1: 600, y1: 300.5, x2: 800.25, y2: 480.5))
        XCTAssertEqual(first.findings[0].box.x2, 225.084745762712 + 86.7796610169491, accuracy: 1e-9)
        let clipped = try XCTUnwrap(result.record("nih/00014716_007"))
        XCTAssertEqual(clipped.findings, [Finding(category: "Cardiomegaly", box: Box(x1: 1000, y1: 500, x2: 1024, y2: 600))])
        XCTAssertEqual(result.report.clippedBoxes, 1)
        XCTAssertEqual(result.record("nih/00013118_009")?.split, first.split, "one patient, one split")

        let skipped = result.report.skipped.map(\.description)
        XCTAssertEqual(skipped.count, 4, skipped.joined(separator: "\n"))
        XCTAssertTrue(skipped[0].hasPrefix("BBox_List_2017.csv:5: unparsable field"), skipped[0])
        XCTAssertTrue(skipped[1].hasPrefix("BBox_List_2017.csv:6: missing image file"), skipped[1])
        XCTAssertTrue(skipped[2].hasPrefix("BBox_List_2017.csv:7: box outside the image"), skipped[2])
        XCTAssertTrue(skipped[3].hasPrefix("BBox_List_2017.csv:9: zero-area box"), skipped[3])
        XCTAssertEqual(result.report.findings, 4)
        XCTAssertEqual(result.report.findingsPerCategory["Infiltration"], 1)
        XCTAssertEqual(result.report.normalImagesLeftOut, 0)
        XCTAssertTrue(result.report.summary().contains("box outside the image: 1"), result.report.summary())
    }

    func testIncludeNormalAddsNoFindingImagesAndPrefixPatientsWithoutDataEntry() throws {
        let tree = try makeTree()
        let withNormal = try ImportSource.nih.run(tree.options(includeNormal: true))
        let normal = try XCTUnwrap(withNormal.record("nih/00020000_000"))
        XCTAssertTrue(normal.isNormal)
        XCTAssertEqual(normal.patient, "00020000")
        XCTAssertEqual(withNormal.report.normalRecords, 1)

        try FileManager.default.removeItem(at: tree.root.appendingPathComponent("Data_Entry_2017.csv"))
        let withoutEntries = try ImportSource.nih.run(tree.options(includeNormal: true))
        XCTAssertEqual(withoutEntries.records.count, 3, "no Data_Entry: no normal images to add")
        XCTAssertEqual(withoutEntries.record("nih/00014716_007")?.patient, "00014716")
    }

    func testPatientLevelSplitIsDeterministicAndKeepsEachPatientInOneSplit() throws {
        let tree = try ImportTestTree(self)
        var rows = "Image Index,Finding Label,Bbox [x,y,w,h],,,\n"
        for patient in 0..<60 {
            for visit in 0..<3 {
                let name = String(format: "%08d_%03d.png", patient, visit)
                rows += "\(name),Mass,10,10,20,20,,,\n"
                try tree.writePNG("images_00\(visit + 1)/images/\(name)", width: 64, height: 64)
            }
        }
        try tree.write("BBox_List_2017.csv", rows)
        let first = try ImportSource.nih.run(tree.options(seed: 11))
        XCTAssertEqual(first.records.count, 180)
        XCTAssertEqual(try ImportSource.nih.run(tree.options(seed: 11)).records, first.records, "same seed, same records")
        var splitsPerPatient: [String: Set<Split>] = [:]
        for record in first.records { splitsPerPatient[record.patient, default: []].insert(record.split) }
        XCTAssertEqual(splitsPerPatient.count, 60)
        XCTAssertTrue(splitsPerPatient.values.allSatisfy { $0.count == 1 }, "no patient in two splits")
        XCTAssertEqual(Set(first.records.map(\.split)), Set(Split.allCases), "60 patients reach all three splits")
        let reseeded = try ImportSource.nih.run(tree.options(seed: 12))
        XCTAssertNotEqual(reseeded.records.map(\.split), first.records.map(\.split))
    }

    func testOfficialListsSetTheSplitAndUnlistedImagesFallBackToThePatientSplit() throws {
        let tree = try makeTree()
        // One patient, two official splits: the lists win over the patient-level split.
        try tree.write("train_val_list.txt", "00000001_000.png\n00013118_008.png\n")
        try tree.write("test_list.txt", "00013118_009.png\r\n00020000_000.png\r\n")
        let result = try ImportSource.nih.run(tree.options(includeNormal: true))
        XCTAssertEqual(result.records.count, 4)
        XCTAssertEqual(result.record("nih/00013118_008")?.split, .train)
        XCTAssertEqual(result.record("nih/00013118_009")?.split, .test)
        XCTAssertEqual(result.record("nih/00020000_000")?.split, .test, "a listed normal image keeps its official split")
        let unlisted = PatientSplitter(seed: 0).split(forPatient: "00014716")
        XCTAssertEqual(result.record("nih/00014716_007")?.split, unlisted, "in neither list: the patient-level split")
        // Other seeds move the unlisted image's patient split, never the listed images.
        for seed: UInt64 in 1...8 {
            let reseeded = try ImportSource.nih.run(tree.options(includeNormal: true, seed: seed))
            XCTAssertEqual(reseeded.record("nih/00013118_008")?.split, .train)
            XCTAssertEqual(reseeded.record("nih/00013118_009")?.split, .test)
            XCTAssertEqual(reseeded.record("nih/00014716_007")?.split, PatientSplitter(seed: seed).split(forPatient: "00014716"))
        }

        // Only the test list: its images are test, the rest fall back.
        try FileManager.default.removeItem(at: tree.root.appendingPathComponent("train_val_list.txt"))
        let testOnly = try ImportSource.nih.run(tree.options())
        XCTAssertEqual(testOnly.record("nih/00013118_009")?.split, .test)
        XCTAssertEqual(testOnly.record("nih/00013118_008")?.split, PatientSplitter(seed: 0).split(forPatient: "00013118"))
    }

    func testMissingBoxListIsAnErrorNamingIt() throws {
        let tree = try ImportTestTree(self)
        XCTAssertThrowsError(try ImportSource.nih.run(tree.options())) { error in
            XCTAssertTrue("\(error)".contains("BBox_List_2017.csv"), "\(error)")
        }
    }
}
