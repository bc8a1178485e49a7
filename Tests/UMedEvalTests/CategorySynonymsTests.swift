import Foundation
import UMedTestSupport
import XCTest
import UMedData
import UMedPipeline
import UMedText
@testable import UMedEval

/// Per-source synonym tables (configs/synonyms): the committed tables load, answers' names map to
/// the ground truth's canonical names, and a bad table is an error naming its file and line.
final class CategorySynonymsTests: XCTestCase {
    let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("configs/synonyms")

    func testTheCommittedTablesLoadAndCoverEverySourcesCategories() throws {
        let synonyms = try CategorySynonyms(directory: configs)
        XCTAssertEqual(synonyms.sources, ["deeplesion", "kidney-stone", "kvasir-seg", "nih", "phantom", "tbx11k"])
        // Every category an importer or the phantoms can write is a canonical name of its source's table.
        let categories: [String: [String]] = [
            "nih": Array(Set(CategoryNames.nih.values)), "deeplesion": Array(CategoryNames.deepLesion.values) + [CategoryNames.unknownLesion],
            "tbx11k": Array(CategoryNames.tbx11k.values), "kvasir-seg": [CategoryNames.kvasirPolyp],
            "kidney-stone": [CategoryNames.kidneyStone],
            "phantom": PhantomGenerator.categories.values.flatMap { $0 },
        ]
        for (source, names) in categories {
            for name in names {
                XCTAssertEqual(synonyms.canonical(name, source: source), CategorySynonyms.normalized(name), "\(source): \(name)")
            }
        }
        XCTAssertEqual(synonyms.canonical("Pleural Effusion.", source: "nih"), "effusion")
        XCTAssertEqual(synonyms.canonical("  renal   calculi ", source: "kidney-stone"), "kidney stone")
        XCTAssertTrue(synonyms.sameCategories(predicted: ["pulmonary nodule", "Effusion"], truth: ["Nodule", "effusion"], source: "nih"))
        XCTAssertFalse(synonyms.sameCategories(predicted: ["mass"], truth: ["Nodule"], source: "nih"))
        // The phantoms' chest "nodule" and CT "lung nodule" stay two categories.
        XCTAssertFalse(synonyms.sameCategories(predicted: ["nodule"], truth: ["lung nodule"], source: "phantom"))
        // A source without a table compares normalized names.
        XCTAssertTrue(synonyms.sameCategories(predicted: ["Tumour "], truth: ["tumour"], source: "coco"))
        XCTAssertFalse(synonyms.sameCategories(predicted: ["tumor"], truth: ["tumour"], source: "coco"))
    }

    func testBadTablesNameTheFileAndLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("umed-synonyms-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("nih.txt")
        for (text, line, problem) in [
            ("# header\nNodule: nodules\nMass nodule\n", 3, "expected"),
            ("Nodule: nodules\nMass: nodule\n", 2, "category of its own"),
            ("Nodule: spot\nMass: spot\n", 2, "already a synonym"),
            ("Nodule: a\nnodule: b\n", 2, "listed twice"),
        ] {
            try text.write(to: file, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try CategorySynonyms(directory: directory)) { error in
                guard case .invalidLine(let errorFile, let errorLine, let message)? = error as? DataError else { return XCTFail("\(error)") }
                XCTAssertEqual(errorFile, file.path)
                XCTAssertEqual(errorLine, line, text)
                XCTAssertTrue(message.contains(problem), message)
            }
        }
        XCTAssertThrowsError(try CategorySynonyms(directory: directory.appendingPathComponent("missing")))
    }
}
