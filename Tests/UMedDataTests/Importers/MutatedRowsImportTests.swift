import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedTestSupport
import XCTest

/// Importers on mutated annotation files: rows may be skipped, nothing may crash or throw.
final class MutatedRowsImportTests: XCTestCase {
    func testMutatedDeepLesionAndNIHFilesNeverCrash() throws {
        let tree = try ImportTestTree(self)
        try tree.write("Images_png/000001_01_01/109.png", Data())
        try tree.writePNG("images_001/images/00013118_008.png", width: 1024, height: 1024)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let alphabet = Array("\",\n\r -.0123456789e_xpng".utf8) + [0x00, 0xFF]
        for round in 0..<400 {
            var deepBytes = Array(DeepLesionImportTests.info.utf8), nihBytes = Array(NIHImportTests.boxList.utf8)
            for _ in 0..<(1 + next(8)) {
                deepBytes[next(deepBytes.count)] = alphabet[next(alphabet.count)]
                nihBytes[next(nihBytes.count)] = alphabet[next(alphabet.count)]
            }
            if round % 7 == 0 { deepBytes.removeLast(next(deepBytes.count)) }
            try tree.write("DL_info.csv", Data(deepBytes))
            try tree.write("BBox_List_2017.csv", Data(nihBytes))
            let lesions = try ImportSource.deeplesion.run(tree.options())
            let boxes = try ImportSource.nih.run(tree.options())
            for result in [lesions, boxes] {
                XCTAssertTrue(result.records.allSatisfy { record in
                    record.findings.allSatisfy { $0.box.x1 >= 0 && $0.box.y1 >= 0 && $0.box.x2 <= Double(record.width)
                        && $0.box.y2 <= Double(record.height) && !$0.box.isEmpty }
                }, "round \(round): every imported box lies inside its image")
            }
        }
    }
}
