import Foundation
import UMedData
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

    private func fuzz(_ target: FuzzTarget, count: Int, seedDirectory: URL?) throws {
        let seeds = try target.seeds(in: seedDirectory)
        XCTAssertFalse(seeds.isEmpty)
        let report = target.fuzz(seeds: seeds, count: count, seed: 2026)
        XCTAssertEqual(report.inputs, count)
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
