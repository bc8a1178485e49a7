import Foundation
import UMedModels
import UMedNN
import UMedTestSupport
import XCTest

final class VisionConfigurationTests: XCTestCase {
    private func write(_ text: String) throws -> URL {
        let url = try makeEncoderTestDirectory(self).appendingPathComponent("config.json")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func testLLaVAVisionConfigWithDefaults() throws {
        let url = try write("""
            {"model_type": "llava", "image_token_index": 32000, "vision_feature_layer": -2,
             "text_config": {"model_type": "llama"},
             "vision_config": {"model_type": "clip_vision_model", "hidden_size": 1024, "image_size": 336,
                               "intermediate_size": 4096, "num_attention_heads": 16, "num_hidden_layers": 24,
                               "patch_size": 14, "projection_dim": 768, "vocab_size": 32000}}
            """)
        let config = try CLIPVisionConfig.load(from: url)
        XCTAssertEqual(config, .vitLarge336)
        XCTAssertEqual(config.hiddenActivation, .quickGELU)
        XCTAssertEqual(config.layerNormEps, 1e-5)
        XCTAssertEqual(try VisionTowerConfig.load(from: url), .clip(.vitLarge336))
    }

    func testVisionConfigWithoutModelTypeIsCLIP() throws {
        let url = try write(#"{"model_type": "llava", "vision_config": {"hidden_size": 64, "num_attention_heads": 4}}"#)
        guard case .clip(let config) = try VisionTowerConfig.load(from: url) else { return XCTFail("not CLIP") }
        XCTAssertEqual(config.hiddenSize, 64)
        XCTAssertEqual(config.patchSize, 32)
        XCTAssertEqual(config.imageSize, 224)
    }

    func testStandaloneSiglipConfig() throws {
        let url = try write("""
            {"model_type": "siglip_vision_model", "hidden_size": 1152, "image_size": [384, 384],
             "intermediate_size": 4304, "num_attention_heads": 16, "num_hidden_layers": 27, "patch_size": 14,
             "vision_use_head": false}
            """)
        let config = try SiglipVisionConfig.load(from: url)
        XCTAssertEqual(config.imageSize, 384)
        XCTAssertFalse(config.usesHead)
        XCTAssertEqual(config.hiddenActivation, .geluTanh)
        XCTAssertEqual(config.layerNormEps, 1e-6)
        guard case .siglip(let same) = try VisionTowerConfig.load(from: url.deletingLastPathComponent()) else {
            return XCTFail("not SigLIP")
        }
        XCTAssertEqual(same, config)
    }

    func testRoundTripThroughJSON() throws {
        for config in [VisionTowerConfig.clip(.tiny), .siglip(.tiny)] {
            let data = try JSONEncoder().encode(config)
            XCTAssertEqual(try JSONDecoder().decode(VisionTowerConfig.self, from: data), config)
        }
        let text = String(decoding: try JSONEncoder().encode(CLIPVisionConfig.tiny), as: UTF8.self)
        XCTAssertTrue(text.contains(#""model_type":"clip_vision_model""#))
        XCTAssertTrue(text.contains(#""hidden_act":"quick_gelu""#))
    }

    func testUnsupportedModelTypeNamesTheSupportedOnes() throws {
        let url = try write(#"{"model_type": "llava", "vision_config": {"model_type": "dinov2"}}"#)
        XCTAssertThrowsError(try VisionTowerConfig.load(from: url)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("dinov2") && text.contains("clip_vision_model")
                          && text.contains("siglip_vision_model"), text)
        }
        let bert = try write(#"{"model_type": "bert"}"#)
        XCTAssertThrowsError(try CLIPVisionConfig.load(from: bert)) { error in
            guard case ModelError.unsupportedModelType(let found, _, _) = error else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(found, "bert")
        }
    }

    func testInvalidValuesAreErrors() throws {
        let badActivation = try write(#"{"model_type": "clip_vision_model", "hidden_act": "swishy"}"#)
        XCTAssertThrowsError(try CLIPVisionConfig.load(from: badActivation)) { error in
            XCTAssertTrue("\(error)".contains("swishy"), "\(error)")
        }
        let badHeads = try write(#"{"model_type": "clip_vision_model", "hidden_size": 30, "num_attention_heads": 4}"#)
        XCTAssertThrowsError(try CLIPVisionConfig.load(from: badHeads))
        let rectangle = try write(#"{"model_type": "siglip_vision_model", "image_size": [384, 224]}"#)
        XCTAssertThrowsError(try SiglipVisionConfig.load(from: rectangle))
    }
}
