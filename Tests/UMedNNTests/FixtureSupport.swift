import Foundation
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

/// A JSON value of Fixtures/nn.json (written by scripts/fixtures/make_nn_fixtures.py).
enum FixtureValue: Decodable, Sendable {
    case number(Double)
    case text(String)
    case array([FixtureValue])
    case object([String: FixtureValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .text(text)
        } else if let array = try? container.decode([FixtureValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: FixtureValue].self))
        }
    }

    subscript(key: String) -> FixtureValue {
        guard case .object(let members) = self, let value = members[key] else {
            preconditionFailure("fixture has no member \"\(key)\"")
        }
        return value
    }

    var number: Double {
        guard case .number(let value) = self else { preconditionFailure("fixture value is not a number") }
        return value
    }

    var array: [FixtureValue] {
        guard case .array(let values) = self else { preconditionFailure("fixture value is not a list") }
        return values
    }

    var numbers: [Double] { array.map(\.number) }

    /// A {"shape", "data"} member as a tensor of `dtype` (values written exactly, so float32,
    /// bfloat16 and int64 values convert without rounding).
    func tensor(_ dtype: DType = .float32) -> Tensor {
        let shape = self["shape"].numbers.map { Int($0) }
        let data = self["data"].numbers
        precondition(shape.reduce(1, *) == data.count, "fixture shape \(shape) does not match \(data.count) values")
        if dtype == .int64 { return Tensor(data.map { Int64($0) }, shape: shape) }
        return Tensor(data, shape: shape).to(dtype)
    }

    /// An object of tensors (a state dict keyed by checkpoint names).
    func tensors(_ dtype: DType = .float32) -> [String: Tensor] {
        guard case .object(let members) = self else { preconditionFailure("fixture value is not an object") }
        return members.mapValues { $0.tensor(dtype) }
    }
}

enum NNFixtures {
    private static let file: Result<FixtureValue, Error> = Result {
        try JSONDecoder().decode(FixtureValue.self, from: Fixtures.data("nn.json"))
    }

    /// One case of Fixtures/nn.json.
    static func named(_ name: String) throws -> FixtureValue {
        try file.get()["cases"][name]
    }
}

/// Asserts equal shapes and |a − b| ≤ atol + rtol·|b| everywhere.
func assertClose(
    _ actual: Tensor, _ expected: Tensor, atol: Double = 1e-5, rtol: Double = 1e-5, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.shape, expected.shape, "shape \(message)", file: file, line: line)
    guard actual.shape == expected.shape else { return }
    let a = actual.toArray(of: Double.self)
    let b = expected.toArray(of: Double.self)
    var worst = 0.0
    var worstIndex = 0
    for index in a.indices {
        let excess = Swift.abs(a[index] - b[index]) - (atol + rtol * Swift.abs(b[index]))
        if excess > worst || a[index].isNaN { worst = a[index].isNaN ? .infinity : excess; worstIndex = index }
    }
    XCTAssertEqual(worst, 0, "\(message): element \(worstIndex) is \(a[worstIndex]), expected \(b[worstIndex])",
                   file: file, line: line)
}

/// A fresh temporary directory, removed when the test ends.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("umed-nn-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Linear(4, 8) → tanh → Linear(8, 2): the tiny model of the optimizer fixtures
/// (keys "0.weight", "0.bias", "2.weight", "2.bias").
func makeTinyModel(generator: Generator? = nil) -> Sequential {
    Sequential(
        Linear(inputSize: 4, outputSize: 8, generator: generator),
        ActivationLayer(.tanh),
        Linear(inputSize: 8, outputSize: 2, generator: generator))
}

/// Mean squared error.
func meanSquaredError(_ prediction: Tensor, _ target: Tensor) -> Tensor {
    (prediction - target).square().mean()
}

/// `steps` rounds of zeroGrad → loss → backward → (schedule) → step; the losses before each step.
@discardableResult
func train(
    _ model: Sequential, _ optimizer: any Optimizer, input: Tensor, target: Tensor, steps: Int,
    schedule: LearningRateSchedule? = nil, firstStep: Int = 0
) -> [Double] {
    var losses: [Double] = []
    for step in firstStep..<(firstStep + steps) {
        optimizer.zeroGrad()
        let loss = meanSquaredError(model(input), target)
        loss.backward()
        schedule?.apply(to: optimizer, step: step)
        optimizer.step()
        losses.append(loss.item())
    }
    return losses
}
