import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

/// Layer outputs against PyTorch and transformers, with the fixture's weights loaded strictly
/// by their checkpoint keys (scripts/fixtures/make_nn_fixtures.py).
final class LayerFixtureTests: XCTestCase {
    /// Loads the case's state into `layer` and compares layer(input) with the case's output.
    private func check<Layer: UnaryLayer>(
        _ name: String, _ layer: Layer, dtype: DType = .float32, atol: Double = 1e-5,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let fixture = try NNFixtures.named(name)
        try layer.loadStateDict(fixture["state"].tensors())
        let output = layer(fixture["input"].tensor(dtype))
        XCTAssertEqual(output.dtype, dtype, name, file: file, line: line)
        assertClose(output.to(.float64), fixture["output"].tensor(.float64), atol: atol, rtol: atol, name,
                    file: file, line: line)
    }

    func testLinear() throws {
        try check("linear", Linear(inputSize: 4, outputSize: 5))
    }

    func testLayerNorm() throws {
        try check("layer_norm", LayerNorm(dimensions: 6, eps: 1e-5))
    }

    func testRMSNormMatchesLlamaRMSNorm() throws {
        try check("rms_norm", RMSNorm(dimensions: 6, eps: 1e-6))
        try check("rms_norm_bfloat16", RMSNorm(dimensions: 6, eps: 1e-6, dtype: .bfloat16), dtype: .bfloat16, atol: 1e-2)
    }

    func testConv2d() throws {
        try check("conv2d", Conv2d(inputChannels: 3, outputChannels: 4, kernelSize: 3, stride: 2, padding: 1))
    }

    func testGELUMLPMatchesCLIPMLP() throws {
        try check("mlp_gelu", MLP(hiddenSize: 4, intermediateSize: 8, activation: .gelu))
        try check("mlp_quick_gelu", MLP(hiddenSize: 4, intermediateSize: 8, activation: .quickGELU))
    }

    func testSwiGLUMatchesLlamaMLP() throws {
        try check("swiglu_mlp", SwiGLUMLP(hiddenSize: 4, intermediateSize: 8))
    }

    func testEmbedding() throws {
        let fixture = try NNFixtures.named("embedding")
        let layer = Embedding(count: 10, dimensions: 4)
        try layer.loadStateDict(fixture["state"].tensors())
        assertClose(layer(fixture["indices"].tensor(.int64)), fixture["output"].tensor(), atol: 0, rtol: 0)
    }

    func testActivationsMatchTransformersACT2FN() throws {
        let fixture = try NNFixtures.named("activations")
        let input = fixture["input"].tensor()
        for name in ["gelu", "gelu_pytorch_tanh", "gelu_new", "quick_gelu", "silu", "relu", "tanh", "sigmoid"] {
            let activation = try XCTUnwrap(Activation(huggingFaceName: name))
            assertClose(activation(input), fixture[name].tensor(), atol: 1e-6, rtol: 1e-5, name)
        }
    }
}
