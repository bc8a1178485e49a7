import Foundation
@testable import UMedData
import UMedPipeline
import UMedText
import UMedTestSupport
import XCTest

/// A few thousand mutated inputs per target; `umed fuzz --count 100000` runs the long campaign.
final class FuzzTests: XCTestCase {
    func testMutatorIsDeterministicAndMutates() {
        let seeds = FuzzTarget.boxParserSeeds
        var first = MutationFuzzer(seeds: seeds, seed: 7), second = MutationFuzzer(seeds: seeds, seed: 7)
        let a = (0..<200).map { _ in first.next() }
        XCTAssertEqual(a, (0..<200).map { _ in second.next() })
        XCTAssertGreaterThan(a.filter { !seeds.contains($0) }.count, 150)
        var short = MutationFuzzer(seeds: seeds, seed: 8, maxLength: 10)
        XCTAssertTrue((0..<200).allSatisfy { _ in short.next().count <= 10 })
    }

    func testBoxParser() throws {
        try fuzz(.boxParser, count: 5000, seedDirectory: nil)
    }

    func testPNGDecoder() throws {
        try fuzz(.png, count: 5000, seedDirectory: ImageFixtures.directory)
    }

    func testJPEGDecoder() throws {
        try fuzz(.jpeg, count: 5000, seedDirectory: ImageFixtures.directory)
    }

    /// The importers' parsers: 1,000 mutated annotation files each (`umed fuzz --target nih-csv`
    /// etc. runs the long campaigns).
    func testImporterParsers() throws {
        let targets = FuzzTarget.allCases.filter(\.isImporter)
        XCTAssertEqual(targets.map(\.rawValue), ["nih-csv", "deeplesion-csv", "kvasir-json", "coco-json", "yolo-labels", "voc-xml"])
        for target in targets { try fuzz(target, count: 1000, seedDirectory: nil) }
    }

    func testImporterSeedsImportCleanly() throws {
        for target in FuzzTarget.allCases.filter(\.isImporter) {
            defer { target.tearDown() }
            for (index, seed) in try target.seeds(in: nil).enumerated() {
                XCTAssertNoThrow(try target.execute(seed), "\(target.rawValue) seed \(index)")
            }
            XCTAssertTrue(try target.execute(target.seeds(in: nil)[0]), "\(target.rawValue): the first seed imports a finding")
        }
    }

    /// Found by inspection while adding the importer targets: an Image_size beyond Int's range
    /// made `Int(Double)` trap.
    func testDeepLesionHugeImageSizeIsAnUnparsableField() throws {
        let row = #"000001_01_01_109.png,1,1,1,109,"1, 2, 3, 4","10, 10, 30, 30","11, 5","0.5, 0.5, 0.5",3,0,"103, 115","0.5, 0.5, 5","1e30, 512","-175, 275",F,62,1"#
        let target = FuzzTarget.deeplesionCSV
        defer { target.tearDown() }
        XCTAssertFalse(try target.execute(Array(row.utf8)))
    }

    /// Found by `umed fuzz --target voc-xml`: FoundationXML traps on an element name that is not
    /// valid UTF-8; the VOC importer now skips such a file with its line.
    func testVOCInvalidUTF8ElementNameIsSkippedNotACrash() throws {
        var bytes = Array("<annotation>\n<filename>scan1.jpg</filename>\n<annotati".utf8) + [0xE6] + Array("on></annotation>".utf8)
        let target = FuzzTarget.vocXML
        defer { target.tearDown() }
        XCTAssertFalse(try target.execute(bytes))
        XCTAssertEqual(VOCImporter.invalidUTF8Line(Data(bytes)), 3)
        bytes = Array(#"<?xml version="1.0" encoding="ISO-8859-1"?><a>"#.utf8) + [0xE6] + Array("</a>".utf8)
        XCTAssertNil(VOCImporter.invalidUTF8Line(Data(bytes)), "a declared Latin-1 file is left to the parser")
        XCTAssertNil(VOCImporter.invalidUTF8Line(Data("<a>é</a>".utf8)))
    }

    private func fuzz(_ target: FuzzTarget, count: Int, seedDirectory: URL?) throws {
        let seeds = try target.seeds(in: seedDirectory)
        XCTAssertFalse(seeds.isEmpty)
        let report = target.fuzz(seeds: seeds, count: count, seed: 2026)
        XCTAssertEqual(report.inputs, count)
        print(report)
        XCTAssertEqual(report.violations, 0, report.violationMessages.joined(separator: "\n"))
        // Mutations must exercise both outcomes: clean rejections and accepted inputs.
        XCTAssertGreaterThan(report.accepted, 0, "\(report)")
        XCTAssertGreaterThan(report.rejected, 0, "\(report)")
    }
}

final class PNGChunkRepairTests: XCTestCase {
    func testRepairRecomputesChunkChecksums() throws {
        let original = [UInt8](try Data(contentsOf: ImageFixtures.url("rgb_37x53.png")))
        XCTAssertEqual(FuzzTarget.png.prepared(original, index: 0), original, "a valid PNG's CRCs are already right")
        var damaged = original
        damaged[8 + 8 + 13] ^= 0x55   // IHDR's CRC (after length, type and 13 data bytes)
        XCTAssertThrowsError(try ImageCodec.decode(Data(damaged)))
        XCTAssertEqual(FuzzTarget.png.prepared(damaged, index: 1), damaged, "odd inputs keep their CRCs")
        XCTAssertEqual(FuzzTarget.png.prepared(damaged, index: 0), original)
        XCTAssertEqual(FuzzTarget.jpeg.prepared(damaged, index: 0), damaged)
    }
}
