import Foundation
import UMedModels
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

/// Rotary embeddings: inverse frequencies per rope type against transformers' rotary module,
/// dynamic NTK rescaling, and rotate_half.
final class RotaryTests: XCTestCase {
    func testInverseFrequenciesMatchTransformers() throws {
        for name in DecoderFixtures.cases {
            let reference = try DecoderFixtures.reference(name)
            let configuration = try TextConfiguration.load(from: DecoderFixtures.directory(name))
            let rotary = RotaryEmbedding(configuration: configuration)
            let expected = Tensor(reference.inverseFrequencies).to(.float32)
            DecoderFixtures.assertClose(rotary.inverseFrequencies, expected, tolerance: 1e-7, name)
        }
    }

    func testLlama3KeepsHighFrequenciesAndDividesLowOnes() throws {
        let configuration = try TextConfiguration.load(from: DecoderFixtures.directory("llama-rope-llama3"))
        var plain = configuration
        plain.ropeScaling = nil
        let scaled = RotaryEmbedding(configuration: configuration).inverseFrequencies.toArray(of: Float.self)
        let base = RotaryEmbedding(configuration: plain).inverseFrequencies.toArray(of: Float.self)
        XCTAssertEqual(scaled[0], base[0], "wavelength 6.3 < 64/4: kept")
        XCTAssertEqual(scaled[7], base[7] / 8, accuracy: 1e-12, "wavelength > 64: divided by the factor")
        XCTAssertLessThan(scaled[1], base[1], "between the two wavelengths: smoothed")
        XCTAssertGreaterThan(scaled[1], base[1] / 8)
    }

    func testDynamicNTKRescalesOnlyPastTheOriginalLength() throws {
        let scaling = RopeScaling.dynamic(factor: 2)
        let within = RotaryEmbedding.inverseFrequencies(
            headDimension: 8, theta: 10_000, scaling: scaling, maxPositionEmbeddings: 8, sequenceLength: 8)
        let plain = RotaryEmbedding.inverseFrequencies(
            headDimension: 8, theta: 10_000, scaling: nil, maxPositionEmbeddings: 8, sequenceLength: nil)
        DecoderFixtures.assertClose(within, plain, tolerance: 0)
        let beyond = RotaryEmbedding.inverseFrequencies(
            headDimension: 8, theta: 10_000, scaling: scaling, maxPositionEmbeddings: 8, sequenceLength: 12)
        // base' = 10000 · (2·12/8 − 1)^(8/6)
        let base = 10_000 * Foundation.pow(2.0, 8.0 / 6.0)
        let expected = Tensor((0..<4).map { Float(1 / Foundation.pow(base, Double(2 * $0) / 8)) })
        DecoderFixtures.assertClose(beyond, expected, tolerance: 1e-6)
        // The angles for a sequence past the original length use the rescaled frequencies.
        let rotary = RotaryEmbedding(configuration: .tinyLlama(ropeScaling: scaling))
        let positions = Tensor([0, 70], shape: [1, 2])
        let (cos, _) = rotary.cosineAndSine(positions: positions, dtype: .float32)
        XCTAssertEqual(cos.shape, [1, 1, 2, 8])
        let rescaled = RotaryEmbedding.inverseFrequencies(
            headDimension: 8, theta: 10_000, scaling: scaling, maxPositionEmbeddings: 64, sequenceLength: 71)
        let angle = 70 * Double(rescaled.toArray(of: Float.self)[1])
        XCTAssertEqual(Double(cos.toArray(of: Float.self)[8 + 1]), Foundation.cos(angle), accuracy: 1e-4)
    }

    func testRotateHalfAndApply() {
        let x = Tensor([1, 2, 3, 4] as [Float], shape: [1, 1, 1, 4])
        XCTAssertEqual(RotaryEmbedding.rotateHalf(x).toArray(of: Float.self), [-3, -4, 1, 2])
        // Position 0: cos 1, sin 0 — the identity.
        let rotary = RotaryEmbedding(configuration: .tinyLlama())
        let (cos, sin) = rotary.cosineAndSine(positions: Tensor([0], shape: [1, 1]), dtype: .float32)
        let y = Tensor.randn([1, 1, 1, 8])
        DecoderFixtures.assertClose(RotaryEmbedding.apply(y, cos: cos, sin: sin), y, tolerance: 0)
        // Rotation keeps each pair's norm.
        let (cos5, sin5) = rotary.cosineAndSine(positions: Tensor([5], shape: [1, 1]), dtype: .float32)
        let rotated = RotaryEmbedding.apply(y, cos: cos5, sin: sin5)
        DecoderFixtures.assertClose(rotated.square().sum(), y.square().sum(), tolerance: 1e-4)
    }
}
