import Foundation
import UMedModels
import UMedTensor
import UMedTestSupport
import XCTest

/// The umed-tiny preset's fixed 2-D sin-cos patch positions, and their wavelength base.
final class UMedTinyTests: XCTestCase {
    func testSinCosPositionsFollowTheirBase() {
        // Grid 2, 8 channels: a quarter of 2 per sin/cos of each axis; the class token's row is zero.
        let positions = UMedTiny.sinCosPositions(grid: 2, dimensions: 8, classTokens: 1, wavelengthBase: 100).toArray(of: Float.self)
        XCTAssertEqual(Array(positions[0..<8]), Array(repeating: 0, count: 8))
        // Patch (row 0, column 1): row channels sin 0, sin 0, cos 0, cos 0; column channels at
        // frequencies 1 and 1/100^(1/2) = 0.1.
        let patch = Array(positions[16..<24]).map(Double.init)
        let expected = [0, 0, 1, 1, sin(1.0), sin(0.1), cos(1.0), cos(0.1)]
        for (value, reference) in zip(patch, expected) { XCTAssertEqual(value, reference, accuracy: 1e-6) }
        let standard = UMedTiny.sinCosPositions(grid: 2, dimensions: 8, classTokens: 1).toArray(of: Float.self)
        XCTAssertEqual(Double(standard[21]), sin(0.01), accuracy: 1e-6, "the default base is 10 000")
    }
}
