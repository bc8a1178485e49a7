import Foundation
import UMedTensor
import UMedTestSupport
import XCTest

/// The fixtures of scripts/fixtures/make_vision_bert_fixtures.py: checkpoint directories and JSON
/// references (tensors as {"shape": [...], "data": [...]}).
enum EncoderFixtures {
    static func url(_ name: String) throws -> URL {
        try Fixtures.existing(name)
    }

    /// A JSON object of the fixtures ("projector.json", "vision-clip/reference.json").
    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: try url(name))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return object
    }

    /// A {"shape", "data"} value as a float32 tensor (int64 when `integers`).
    static func tensor(_ value: Any?, integers: Bool = false) -> Tensor {
        guard let object = value as? [String: Any], let shape = object["shape"] as? [Int],
              let data = object["data"] as? [NSNumber] else {
            preconditionFailure("fixture value is not a tensor: \(String(describing: value))")
        }
        if integers { return Tensor(data.map { $0.int64Value }, shape: shape) }
        return Tensor(data.map { $0.floatValue }, shape: shape)
    }

    static func pixelValues() throws -> Tensor {
        tensor(try json("vision-inputs.json")["pixel_values"])
    }
}

/// Asserts equal shapes and max |actual − expected| ≤ tolerance; returns the max difference.
@discardableResult
func assertMaxDifference(
    _ actual: Tensor, _ expected: Tensor, within tolerance: Double, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) -> Double {
    XCTAssertEqual(actual.shape, expected.shape, "shape: \(message)", file: file, line: line)
    guard actual.shape == expected.shape else { return .infinity }
    let difference = (actual.to(.float64) - expected.to(.float64)).abs().amax().item()
    XCTAssertLessThanOrEqual(difference, tolerance, "max |difference|: \(message)", file: file, line: line)
    XCTAssertFalse(difference.isNaN, "NaN in \(message)", file: file, line: line)
    return difference
}

/// A fresh temporary directory, removed when the test ends.
func makeEncoderTestDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("umed-encoders-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}
