import Foundation
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

/// Shapes, initializations and modes of the layers (values are checked in LayerFixtureTests).
final class LayerTests: XCTestCase {
    func testShapes() {
        let x = Tensor.randn([2, 5, 6])
        XCTAssertEqual(Linear(inputSize: 6, outputSize: 3)(x).shape, [2, 5, 3])
        XCTAssertEqual(LayerNorm(dimensions: 6)(x).shape, [2, 5, 6])
        XCTAssertEqual(RMSNorm(dimensions: 6)(x).shape, [2, 5, 6])
        XCTAssertEqual(MLP(hiddenSize: 6, intermediateSize: 10)(x).shape, [2, 5, 6])
        XCTAssertEqual(SwiGLUMLP(hiddenSize: 6, intermediateSize: 10)(x).shape, [2, 5, 6])
        XCTAssertEqual(Embedding(count: 9, dimensions: 4)(Tensor([1, 2, 8, 0, 3, 3], shape: [2, 3])).shape, [2, 3, 4])
        let conv = Conv2d(inputChannels: 3, outputChannels: 8, kernelSize: 4, stride: 4)
        XCTAssertEqual(conv(Tensor.randn([2, 3, 16, 12])).shape, [2, 8, 4, 3])
        let grouped = Conv2d(inputChannels: 4, outputChannels: 6, kernelSize: (3, 1), padding: (1, 0), groups: 2,
                             bias: false)
        XCTAssertEqual(grouped.weight.shape, [6, 2, 3, 1])
        XCTAssertNil(grouped.bias)
        XCTAssertEqual(grouped(Tensor.randn([1, 4, 5, 5])).shape, [1, 6, 5, 5])
    }

    func testLinearAndConvolutionUsePyTorchDefaultInitialization() {
        let linear = Linear(inputSize: 64, outputSize: 128, generator: Generator(seed: 1))
        let bound = 1 / 8.0
        for parameter in linear.parameters() {
            XCTAssertLessThanOrEqual(parameter.value.abs().amax().item(), bound)
        }
        // Uniform on ±b has standard deviation b/√3.
        XCTAssertEqual(linear.weight.value.standardDeviation().item(), bound / 3.0.squareRoot(), accuracy: 0.004)
        let conv = Conv2d(inputChannels: 4, outputChannels: 8, kernelSize: 3, generator: Generator(seed: 2))
        XCTAssertLessThanOrEqual(conv.weight.value.abs().amax().item(), 1 / 6.0)
        XCTAssertGreaterThan(conv.weight.value.abs().amax().item(), 0.9 / 6.0)
    }

    func testInitializationIsReproducibleFromAGenerator() {
        let a = MLP(hiddenSize: 4, intermediateSize: 8, generator: Generator(seed: 7))
        let b = MLP(hiddenSize: 4, intermediateSize: 8, generator: Generator(seed: 7))
        let c = MLP(hiddenSize: 4, intermediateSize: 8, generator: Generator(seed: 8))
        XCTAssertEqual(a.fc2.bias!.value.toArray(of: Float.self), b.fc2.bias!.value.toArray(of: Float.self))
        XCTAssertNotEqual(a.fc2.bias!.value.toArray(of: Float.self), c.fc2.bias!.value.toArray(of: Float.self))
        let embedding = Embedding(count: 1000, dimensions: 16, generator: Generator(seed: 3))
        XCTAssertEqual(embedding.weight.value.mean().item(), 0, accuracy: 0.03)
        XCTAssertEqual(embedding.weight.value.standardDeviation().item(), 1, accuracy: 0.03)
    }

    func testNormalizationStartsAsIdentityScale() {
        let norm = LayerNorm(dimensions: 8)
        XCTAssertEqual(norm.namedParameters().map(\.0), ["weight", "bias"])
        let y = norm(Tensor.randn([4, 8]) * 3 + 2)
        XCTAssertEqual(y.mean(dims: [-1]).abs().amax().item(), 0, accuracy: 1e-5)
        XCTAssertEqual(LayerNorm(dimensions: 8, affine: false).parameters().count, 0)
        XCTAssertEqual(LayerNorm(dimensions: 8, bias: false).namedParameters().map(\.0), ["weight"])
        let rms = RMSNorm(dimensions: 8)(Tensor.randn([4, 8]) * 5)
        XCTAssertEqual(rms.square().mean(dims: [-1]).toArray(of: Double.self)[0], 1, accuracy: 1e-4)
    }

    func testDropoutActsOnlyWhileTraining() {
        let dropout = Dropout(probability: 0.5, generator: Generator(seed: 4))
        let x = Tensor.ones([1000])
        let trained = dropout(x)
        let zeros = trained.eq(0).to(.float32).mean().item()
        XCTAssertEqual(zeros, 0.5, accuracy: 0.06)
        XCTAssertEqual(Set(trained.toArray(of: Float.self)), [0, 2])
        dropout.eval()
        XCTAssertEqual(dropout(x).toArray(of: Float.self), x.toArray(of: Float.self))
    }

    func testActivationNamesFollowHuggingFace() throws {
        let cases: [(String, Activation)] = [
            ("gelu", .gelu), ("gelu_pytorch_tanh", .geluTanh), ("gelu_new", .geluTanh), ("quick_gelu", .quickGELU),
            ("silu", .silu), ("swish", .silu), ("relu", .relu), ("tanh", .tanh), ("sigmoid", .sigmoid),
        ]
        for (name, activation) in cases {
            XCTAssertEqual(Activation(huggingFaceName: name), activation, name)
        }
        XCTAssertNil(Activation(huggingFaceName: "mish"))
        struct Config: Codable { var hidden_act: Activation }
        let decoded = try JSONDecoder().decode(Config.self, from: Data(#"{"hidden_act": "gelu_new"}"#.utf8))
        XCTAssertEqual(decoded.hidden_act, .geluTanh)
        XCTAssertEqual(String(decoding: try JSONEncoder().encode(decoded), as: UTF8.self),
                       #"{"hidden_act":"gelu_pytorch_tanh"}"#)
        XCTAssertThrowsError(try JSONDecoder().decode(Config.self, from: Data(#"{"hidden_act": "nope"}"#.utf8)))
    }
}
