import Foundation
@testable import UMedData
import UMedPipeline
import UMedText
import UMedTestSupport
import XCTest

final class PatientSplitImportTests: XCTestCase {
    func testSplitIsDeterministicSeededAndNearTheFractions() {
        let splitter = PatientSplitter(seed: 7)
        let patients = (0..<5000).map { String(format: "%08d", $0) }
        let splits = patients.map(splitter.split(forPatient:))
        XCTAssertEqual(splits, patients.map(PatientSplitter(seed: 7).split(forPatient:)))
        var counts: [Split: Int] = [:]
        for split in splits { counts[split, default: 0] += 1 }
        XCTAssertEqual(Double(counts[.train] ?? 0) / 5000, 0.8, accuracy: 0.03)
        XCTAssertEqual(Double(counts[.val] ?? 0) / 5000, 0.1, accuracy: 0.02)
        XCTAssertEqual(Double(counts[.test] ?? 0) / 5000, 0.1, accuracy: 0.02)
        let reseeded = patients.map(PatientSplitter(seed: 8).split(forPatient:))
        XCTAssertNotEqual(splits, reseeded, "the seed changes the split")
        XCTAssertEqual(patients.map(PatientSplitter(seed: 1, trainFraction: 1, valFraction: 0).split(forPatient:)),
                       Array(repeating: .train, count: 5000))
    }

    func testHashIsPinnedAcrossPlatforms() {
        // Values from an independent Python implementation (FNV-1a 64 + SplitMix64 finalizer): a
        // change here reshuffles every user's split.
        XCTAssertEqual(PatientSplitter.unitHash("0:00013118"), 0.2749348505381537)
        XCTAssertEqual(PatientSplitter.unitHash("0:00014716"), 0.24627142897232368)
        XCTAssertEqual(PatientSplitter.unitHash("7:00000003"), 0.7785129630097497)
        XCTAssertEqual(PatientSplitter(seed: 0).split(forPatient: "a"), .train)
        XCTAssertEqual(PatientSplitter(seed: 0, trainFraction: 0.5, valFraction: 0.05).split(forPatient: "a"), .test)
    }
}
