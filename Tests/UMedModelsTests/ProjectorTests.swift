import Foundation
import UMedModels
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

/// A projector under its llava checkpoint prefix, so the fixture's keys load as they are.
private final class ProjectorHolder: Module {
    let projector: MultimodalProjector
    init(_ projector: MultimodalProjector) { self.projector = projector }
    override var namedChildren: [(String, Module)] { [("multi_modal_projector", projector)] }
}

final class ProjectorTests: XCTestCase {
    /// Tower → feature selection → projector against transformers' LlavaModel.get_image_features.
    func testImageFeaturesMatchTransformersLlava() throws {
        let pixels = try EncoderFixtures.pixelValues()
        let cases = try EncoderFixtures.json("projector.json")["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 2)
        for fixture in cases {
            let name = fixture["name"] as! String
            let tower = try loadVisionTower(from: try EncoderFixtures.url(fixture["tower"] as! String))
            let layer: VisionFeatureLayer = (fixture["layer"] as? Int).map { .single($0) }
                ?? .multiple(fixture["layer"] as! [Int])
            let strategy = VisionFeatureSelectStrategy(rawValue: fixture["strategy"] as! String)!
            let activation = try XCTUnwrap(Activation(huggingFaceName: fixture["activation"] as! String))
            let projector = MultimodalProjector(
                inputSize: tower.featureSize(layer: layer), outputSize: 48, activation: activation,
                bias: fixture["bias"] as! Bool)
            let weights = (fixture["weights"] as! [String: Any]).mapValues { EncoderFixtures.tensor($0) }
            try ProjectorHolder(projector).loadStateDict(weights)
            let projected = projector(tower.features(pixels, layer: layer, strategy: strategy))
            let difference = assertMaxDifference(projected, EncoderFixtures.tensor(fixture["projected"]),
                                                 within: 1e-4, name)
            print("projector \(name): max |Swift − transformers| = \(difference)")
        }
    }

    func testKindsAndKeys() throws {
        let mlp = MultimodalProjector(inputSize: 8, outputSize: 6, bias: false)
        XCTAssertEqual(mlp.namedParameters().map(\.0), ["linear_1.weight", "linear_2.weight"])
        let linear = MultimodalProjector(kind: .linear, inputSize: 8, outputSize: 6)
        XCTAssertEqual(linear.namedParameters().map(\.0), ["linear_1.weight", "linear_1.bias"])
        let input = Tensor.randn([2, 5, 8], generator: Generator(seed: 3))
        assertMaxDifference(linear(input), input.linear(weight: linear.linear1.weight.value,
                                                        bias: linear.linear1.bias!.value), within: 0, "linear")
        XCTAssertEqual(MultimodalProjector.Kind(originalLLaVAName: "mlp2x_gelu"), .twoLayerMLP)
        XCTAssertEqual(MultimodalProjector.Kind(originalLLaVAName: "linear"), .linear)
        XCTAssertNil(MultimodalProjector.Kind(originalLLaVAName: "qformer"))
    }

    func testBiaslessProjectorRejectsBiasWeights() {
        let projector = MultimodalProjector(inputSize: 4, outputSize: 3, bias: false)
        let state = MultimodalProjector(inputSize: 4, outputSize: 3, bias: true).stateDict()
        XCTAssertThrowsError(try projector.loadStateDict(state)) { error in
            guard case NNError.stateDictMismatch(let missing, let unexpected, _) = error else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(missing, [])
            XCTAssertEqual(unexpected, ["linear_1.bias", "linear_2.bias"])
        }
    }
}
