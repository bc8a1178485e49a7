import Foundation
import UMedTestSupport
import XCTest
@testable import UMedTensor

/// One tensor of a fixture file: shape, dtype name and flat row-major values (booleans as 0/1).
struct FixtureTensor: Decodable, Sendable {
    var shape: [Int]
    var dtype: String
    var data: [Double]

    /// The dtype named in the file.
    func resolvedDType() throws -> DType {
        guard let value = DType.allCases.first(where: { $0.description == dtype }) else {
            throw FixtureError.unknownDType(dtype)
        }
        return value
    }

    /// A fresh tensor holding these values (a leaf: it may be marked as requiring gradients).
    func makeTensor() throws -> Tensor {
        let type = try resolvedDType()
        precondition(shape.reduce(1, *) == data.count, "fixture shape \(shape) does not match \(data.count) values")
        switch type {
        case .float32: return Tensor(data.map { Float($0) }, shape: shape)
        case .float64: return Tensor(data, shape: shape)
        case .int64: return Tensor(data.map { Int64($0) }, shape: shape)
        case .int32: return Tensor(data.map { Int32($0) }, shape: shape)
        case .uint8: return Tensor(data.map { UInt8($0) }, shape: shape)
        case .bool: return Tensor(data.map { $0 != 0 }, shape: shape)
        // Every float16/bfloat16 value is exactly a float32 value: convert without rounding.
        case .float16, .bfloat16: return Tensor(data.map { Float($0) }, shape: shape).to(type)
        }
    }
}

struct FixtureCase: Decodable, Sendable {
    var inputs: [FixtureTensor]
    var outputs: [FixtureTensor]
}

struct FixtureFile: Decodable, Sendable {
    var torch_version: String
    var cases: [String: FixtureCase]
}

enum FixtureError: Error {
    case missingResource(String)
    case unknownDType(String)
}

/// Fixture files of this test bundle, decoded once.
enum OpFixtures {
    private static let decoded: Result<FixtureFile, Error> = Result {
        try JSONDecoder().decode(FixtureFile.self, from: Fixtures.data("ops.json"))
    }

    /// Tests/UMedTestSupport/Fixtures/ops.json, written by scripts/fixtures/make_op_fixtures.py.
    static func ops() throws -> FixtureFile { try decoded.get() }
}

/// How close a computed value must be to PyTorch's: |actual − expected| ≤ atol + rtol · |expected|.
struct FixtureTolerance: Sendable {
    var rtol: Double
    var atol: Double

    /// The float32 default: a few ulps of relative error plus a small absolute slack near zero.
    static let float32 = FixtureTolerance(rtol: 1e-5, atol: 1e-6)
    /// Values that must come out bit for bit (integers, booleans, dtype conversions).
    static let exact = FixtureTolerance(rtol: 0, atol: 0)
}

/// What differs between `actual` and the fixture tensor (shape, dtype or values), or nil when it
/// matches. Integer and boolean tensors must match exactly whatever the tolerance.
func fixtureMismatch(_ actual: Tensor, _ expected: FixtureTensor, tolerance: FixtureTolerance) -> String? {
    guard let dtype = DType.allCases.first(where: { $0.description == expected.dtype }) else {
        return "unknown fixture dtype \(expected.dtype)"
    }
    if actual.shape != expected.shape { return "shape \(actual.shape), PyTorch \(expected.shape)" }
    if actual.dtype != dtype { return "dtype \(actual.dtype), PyTorch \(dtype)" }
    let values = actual.toArray(of: Double.self)
    let bound = dtype.isFloatingPoint ? tolerance : .exact
    var failures = 0
    var worst = (index: 0, error: 0.0)
    for (index, (got, want)) in zip(values, expected.data).enumerated() {
        let error = Swift.abs(got - want)
        if !(error <= bound.atol + bound.rtol * Swift.abs(want)) {  // NaN fails too
            failures += 1
            if !(error <= worst.error) { worst = (index, error) }
        }
    }
    guard failures > 0 else { return nil }
    let index = worst.index
    return """
        \(failures) of \(values.count) values differ (rtol \(bound.rtol), atol \(bound.atol)); \
        worst at flat index \(index): got \(values[index]), PyTorch \(expected.data[index]), \
        |error| \(worst.error)
        """
}

/// Fails the test when `actual` does not match the fixture tensor (see `fixtureMismatch`).
func assertMatches(
    _ actual: Tensor, _ expected: FixtureTensor, tolerance: FixtureTolerance, _ label: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    if let problem = fixtureMismatch(actual, expected, tolerance: tolerance) {
        XCTFail("\(label): \(problem)", file: file, line: line)
    }
}
