import Foundation
import UMedModels
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

final class VisionTowerTests: XCTestCase {
    static let tolerance = 1e-4

    /// Every hidden state, last_hidden_state, pooler_output and LLaVA feature selection of a tower
    /// against transformers.
    private func checkTower(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws
        -> any VisionTower
    {
        let directory = try EncoderFixtures.url(name)
        let reference = try EncoderFixtures.json("\(name)/reference.json")
        let tower = try loadVisionTower(from: directory)
        let pixels = try EncoderFixtures.pixelValues()
        let states = tower(pixels)
        let expected = (reference["hidden_states"] as! [Any]).map { EncoderFixtures.tensor($0) }
        XCTAssertEqual(states.count, expected.count, file: file, line: line)
        var worst = 0.0
        for (index, (actual, wanted)) in zip(states, expected).enumerated() {
            worst = max(worst, assertMaxDifference(actual, wanted, within: Self.tolerance, "\(name) hidden state \(index)",
                                                   file: file, line: line))
        }
        for case let feature as [String: Any] in reference["features"] as! [Any] {
            let layer: VisionFeatureLayer = (feature["layer"] as? Int).map { .single($0) }
                ?? .multiple(feature["layer"] as! [Int])
            let strategy = VisionFeatureSelectStrategy(rawValue: feature["strategy"] as! String)!
            XCTAssertNoThrow(try layer.validate(layerCount: tower.layerCount))
            let actual = tower.features(pixels, layer: layer, strategy: strategy)
            worst = max(worst, assertMaxDifference(
                actual, EncoderFixtures.tensor(feature["value"]), within: Self.tolerance,
                "\(name) features \(layer) \(strategy)", file: file, line: line))
            XCTAssertEqual(actual.shape, [2, tower.featureTokenCount(strategy: strategy), tower.featureSize(layer: layer)],
                           file: file, line: line)
        }
        print("\(name): max |Swift − transformers| over hidden states and features = \(worst)")
        return tower
    }

    func testCLIPMatchesTransformers() throws {
        let tower = try XCTUnwrap(try checkTower("vision-clip") as? CLIPVisionModel)
        let reference = try EncoderFixtures.json("vision-clip/reference.json")
        let pixels = try EncoderFixtures.pixelValues()
        assertMaxDifference(tower.lastHiddenState(pixels), EncoderFixtures.tensor(reference["last_hidden_state"]),
                            within: Self.tolerance, "last_hidden_state")
        assertMaxDifference(tower.pooledOutput(pixels), EncoderFixtures.tensor(reference["pooler_output"]),
                            within: Self.tolerance, "pooler_output")
        XCTAssertEqual(tower.classTokenCount, 1)
        XCTAssertEqual([tower.patchRows, tower.patchColumns, tower.patchSize, tower.patchCount], [4, 4, 8, 16])
        XCTAssertFalse(tower.isTraining, "a loaded tower is in evaluation mode")
    }

    func testSiglipMatchesTransformers() throws {
        let tower = try XCTUnwrap(try checkTower("vision-siglip") as? SiglipVisionModel)
        let reference = try EncoderFixtures.json("vision-siglip/reference.json")
        let pixels = try EncoderFixtures.pixelValues()
        assertMaxDifference(tower.lastHiddenState(pixels), EncoderFixtures.tensor(reference["last_hidden_state"]),
                            within: Self.tolerance, "last_hidden_state")
        assertMaxDifference(try XCTUnwrap(tower.pooledOutput(pixels)),
                            EncoderFixtures.tensor(reference["pooler_output"]), within: Self.tolerance, "pooler_output")
        XCTAssertEqual(tower.classTokenCount, 0)
        XCTAssertEqual(tower.featureTokenCount(strategy: .full), 16)
    }

    func testFullCLIPCheckpointLoadsItsVisionHalf() throws {
        let tower = try XCTUnwrap(try loadVisionTower(from: try EncoderFixtures.url("vision-clip-full")) as? CLIPVisionModel)
        let reference = try EncoderFixtures.json("vision-clip-full/reference.json")
        let pixels = try EncoderFixtures.pixelValues()
        let expected = (reference["hidden_states"] as! [Any]).map { EncoderFixtures.tensor($0) }
        for (index, (actual, wanted)) in zip(tower(pixels), expected).enumerated() {
            assertMaxDifference(actual, wanted, within: Self.tolerance, "hidden state \(index)")
        }
        assertMaxDifference(tower.pooledOutput(pixels), EncoderFixtures.tensor(reference["pooler_output"]),
                            within: Self.tolerance, "pooler_output")
    }

    func testCheckpointKeysAreTransformersNames() {
        let clip = CLIPVisionModel(.tiny)
        let names = Set(clip.namedParameters().map(\.0))
        for key in ["vision_model.embeddings.class_embedding", "vision_model.embeddings.patch_embedding.weight",
                    "vision_model.embeddings.position_embedding.weight", "vision_model.pre_layrnorm.weight",
                    "vision_model.encoder.layers.1.self_attn.out_proj.bias", "vision_model.encoder.layers.0.mlp.fc2.weight",
                    "vision_model.post_layernorm.bias"] {
            XCTAssertTrue(names.contains(key), key)
        }
        XCTAssertFalse(names.contains("vision_model.embeddings.patch_embedding.bias"), "CLIP's patch conv has no bias")
        let siglip = Set(SiglipVisionModel(.tiny).namedParameters().map(\.0))
        for key in ["vision_model.embeddings.patch_embedding.bias", "vision_model.head.attention.in_proj_weight",
                    "vision_model.head.probe", "vision_model.head.mlp.fc1.weight"] {
            XCTAssertTrue(siglip.contains(key), key)
        }
        var headless = SiglipVisionConfig.tiny
        headless.usesHead = false
        XCTAssertFalse(SiglipVisionModel(headless).namedParameters().contains { $0.0.contains(".head.") })
        XCTAssertEqual(canonicalVisionTowerKey("embeddings.class_embedding"), "vision_model.embeddings.class_embedding")
        XCTAssertEqual(canonicalVisionTowerKey("vision_model.post_layernorm.bias"), "vision_model.post_layernorm.bias")
    }

    func testStrictLoadingNamesMissingAndUnexpectedKeys() throws {
        let source = try EncoderFixtures.url("vision-clip")
        let directory = try makeEncoderTestDirectory(self)
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"),
                                         to: directory.appendingPathComponent("config.json"))
        var tensors = try SafetensorsCheckpoint(directory: source).tensors()
        tensors["embeddings.class_embedding"] = nil
        tensors["encoder.layers.0.self_attn.extra.weight"] = Tensor.zeros([2])
        try SafetensorsCheckpoint.write(tensors, to: directory)
        XCTAssertThrowsError(try loadVisionTower(from: directory)) { error in
            guard case ModelError.weightsDoNotMatch(_, let missing, let unexpected, _) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(missing, ["vision_model.embeddings.class_embedding"])
            XCTAssertEqual(unexpected, ["vision_model.encoder.layers.0.self_attn.extra.weight"])
            XCTAssertTrue("\(error)".contains("vision_model.embeddings.class_embedding"))
        }
    }

    func testHiddenStateShapesOfARandomTower() {
        let tower = makeVisionTower(.clip(.tiny), generator: Generator(seed: 1))
        tower.eval()
        let pixels = Tensor.randn([3, 3, 32, 32], generator: Generator(seed: 2))
        let states = tower(pixels)
        XCTAssertEqual(states.count, 3)
        for state in states { XCTAssertEqual(state.shape, [3, 17, 32]) }
        XCTAssertEqual(tower.hiddenStates(pixels, layerLimit: 1).count, 2)
        let features = tower.features(pixels, layer: .single(-2), strategy: .default)
        assertMaxDifference(features, states[1].sliced(dim: 1, start: 1), within: 0, "layer -2 without CLS")
    }

    func testPatchGridsOfVLMTowers() {
        let large = CLIPVisionModel(.vitLarge336.withLayers(1))
        XCTAssertEqual(large.patchCount, 576)
        XCTAssertEqual(large.featureTokenCount(strategy: .default), 576)
        XCTAssertEqual(large.featureTokenCount(strategy: .full), 577)
        var config = SiglipVisionConfig.tiny
        config.imageSize = 384
        config.patchSize = 14
        config.hiddenLayerCount = 1
        let siglip = SiglipVisionModel(config)
        XCTAssertEqual([siglip.patchRows, siglip.patchColumns, siglip.patchCount], [27, 27, 729])
        XCTAssertEqual(siglip.visionModel.embeddings.positionEmbedding.count, 729)
    }

    func testFeatureLayerValidation() {
        XCTAssertNoThrow(try VisionFeatureLayer.single(-3).validate(layerCount: 2))
        XCTAssertNoThrow(try VisionFeatureLayer.multiple([0, 2]).validate(layerCount: 2))
        XCTAssertThrowsError(try VisionFeatureLayer.single(3).validate(layerCount: 2))
        XCTAssertThrowsError(try VisionFeatureLayer.single(-4).validate(layerCount: 2))
        XCTAssertThrowsError(try VisionFeatureLayer.multiple([]).validate(layerCount: 2))
        XCTAssertEqual(VisionFeatureLayer.single(-2).resolvedIndices(layerCount: 24), [23])
    }
}

extension CLIPVisionConfig {
    func withLayers(_ count: Int) -> CLIPVisionConfig {
        var config = self
        config.hiddenLayerCount = count
        return config
    }
}
