import XCTest
@testable import UMedTraining

final class UMedTrainingTargetTests: XCTestCase {
    func testTargetLinks() { XCTAssertTrue(true) }
}
