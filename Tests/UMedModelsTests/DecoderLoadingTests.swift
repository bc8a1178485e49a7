import Foundation
import UMedModels
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

/// Reading and writing decoder checkpoints: strict keys, tied embeddings, round trips, and
/// config.json in both transformers spellings.
final class DecoderLoadingTests: XCTestCase {
    func testStrictLoadingListsMissingAndUnexpectedKeys() throws {
        let model = try DecoderFixtures.model("llama")
        var state = model.stateDict()
        state["model.norm.weight"] = nil
        state["model.layers.1.self_attn.q_proj.weight"] = nil
        state["model.layers.0.mlp.extra.weight"] = Tensor.zeros([2])
        let fresh = CausalLanguageModel(configuration: model.configuration)
        XCTAssertThrowsError(try fresh.loadWeights(state, checkpointName: "test")) { error in
            guard case ModelError.weightsDoNotMatch(_, let missing, let unexpected, let mismatches) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(missing.sorted(), ["model.layers.1.self_attn.q_proj.weight", "model.norm.weight"])
            XCTAssertEqual(unexpected, ["model.layers.0.mlp.extra.weight"])
            XCTAssertTrue(mismatches.isEmpty)
            XCTAssertTrue("\(error)".contains("model.norm.weight"))
        }
    }

    func testShapeMismatchIsReported() throws {
        let model = try DecoderFixtures.model("llama")
        var state = model.stateDict()
        state["model.norm.weight"] = Tensor.ones([31])
        XCTAssertThrowsError(try CausalLanguageModel(configuration: model.configuration)
            .loadWeights(state, checkpointName: "test")) { error in
            guard case ModelError.weightsDoNotMatch(_, _, _, let mismatches) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(mismatches, [ShapeMismatch(key: "model.norm.weight", expected: [32], found: [31])])
        }
    }

    func testRotaryBuffersOfOlderCheckpointsAreIgnored() throws {
        let model = try DecoderFixtures.model("llama")
        var state = model.stateDict()
        state["model.layers.0.self_attn.rotary_emb.inv_freq"] = Tensor.ones([4])
        XCTAssertNoThrow(try CausalLanguageModel(configuration: model.configuration)
            .loadWeights(state, checkpointName: "test"))
    }

    func testTiedEmbeddingsShareOneParameter() throws {
        let model = try DecoderFixtures.model("qwen2")
        XCTAssertTrue(model.configuration.tieWordEmbeddings)
        XCTAssertTrue(model.lmHead.weight === model.model.embedTokens.weight)
        let names = model.namedParameters().map(\.0)
        XCTAssertTrue(names.contains("model.embed_tokens.weight"))
        XCTAssertFalse(names.contains("lm_head.weight"))
        XCTAssertNotNil(model.model.layers[0].selfAttention.queryProjection.bias)
        XCTAssertNil(model.model.layers[0].selfAttention.outputProjection.bias)
        let untied = try DecoderFixtures.model("llama")
        XCTAssertFalse(untied.lmHead.weight === untied.model.embedTokens.weight)
        XCTAssertNil(untied.model.layers[0].selfAttention.queryProjection.bias)
    }

    func testSaveAndLoadRoundTrip() throws {
        for name in ["qwen2", "llama-rope-llama3", "mistral"] {
            let model = try DecoderFixtures.model(name)
            let directory = try DecoderFixtures.temporaryDirectory(self)
            try model.save(to: directory)
            let reloaded = try CausalLanguageModel.load(from: directory)
            XCTAssertEqual(reloaded.configuration, model.configuration, name)
            let ids = DecoderFixtures.tokens([3, 9, 27, 81, 5, 15, 45])
            DecoderFixtures.assertClose(reloaded.forward(.tokens(ids)).logits!, model.forward(.tokens(ids)).logits!,
                                        tolerance: 0, name)
        }
    }

    func testMissingDirectoryAndUnsupportedModelType() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/umed-decoder")
        XCTAssertThrowsError(try CausalLanguageModel.load(from: missing)) { error in
            XCTAssertEqual(error as? ModelError, .missingFile(path: missing.path))
        }
        let json = #"{"model_type": "gpt2", "vocab_size": 10}"#
        XCTAssertThrowsError(try TextConfiguration.decode(Data(json.utf8), file: "config.json")) { error in
            guard case ModelError.unsupportedModelType(let found, let supported, _) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(found, "gpt2")
            XCTAssertEqual(supported, ["llama", "mistral", "qwen2"])
            XCTAssertTrue("\(error)".contains("llama, mistral, qwen2"))
        }
    }
}

/// config.json decoding: transformers' defaults per family, both RoPE spellings, validation.
final class DecoderConfigurationTests: XCTestCase {
    private func decode(_ json: String) throws -> TextConfiguration {
        try TextConfiguration.decode(Data(json.utf8))
    }

    func testFixtureConfigurationsDecode() throws {
        let qwen = try TextConfiguration.load(from: DecoderFixtures.directory("qwen2"))
        XCTAssertEqual(qwen.modelType, .qwen2)
        XCTAssertEqual(qwen.ropeTheta, 1_000_000)
        XCTAssertNil(qwen.ropeScaling)
        XCTAssertTrue(qwen.hasQueryKeyValueBias)
        XCTAssertFalse(qwen.hasOutputProjectionBias)
        XCTAssertNil(qwen.slidingWindow(ofLayer: 1))
        XCTAssertEqual(qwen.eosTokenIds, [])
        let llama3 = try TextConfiguration.load(from: DecoderFixtures.directory("llama-rope-llama3"))
        XCTAssertEqual(llama3.ropeScaling, .llama3(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4,
                                                   originalMaxPositionEmbeddings: 64))
        XCTAssertEqual(llama3.headDimension, 16)
        let mistral = try TextConfiguration.load(from: DecoderFixtures.directory("mistral"))
        XCTAssertEqual(mistral.slidingWindow(ofLayer: 0), 4)
        XCTAssertEqual(mistral.slidingWindow(ofLayer: 1), 4)
    }

    func testDefaultsFollowTransformers() throws {
        let llama = try decode(#"{"model_type": "llama", "hidden_size": 64, "num_attention_heads": 8}"#)
        XCTAssertEqual(llama.keyValueHeadCount, 8)
        XCTAssertEqual(llama.headDimension, 8)
        XCTAssertEqual(llama.rmsNormEpsilon, 1e-6)
        XCTAssertEqual(llama.ropeTheta, 10_000)
        XCTAssertEqual(llama.maxPositionEmbeddings, 2048)
        XCTAssertEqual(llama.eosTokenIds, [2])
        XCTAssertFalse(llama.tieWordEmbeddings)
        XCTAssertEqual(llama.hiddenActivation, .silu)
        let mistral = try decode(#"{"model_type": "mistral"}"#)
        XCTAssertEqual(mistral.slidingWindow, 4096)
        XCTAssertEqual(mistral.keyValueHeadCount, 8)
        let noWindow = try decode(#"{"model_type": "mistral", "sliding_window": null}"#)
        XCTAssertNil(noWindow.slidingWindow(ofLayer: 0))
        let qwen = try decode(#"{"model_type": "qwen2", "num_hidden_layers": 4, "sliding_window": 16}"#)
        XCTAssertNil(qwen.slidingWindow(ofLayer: 3), "Qwen2 uses its window only with use_sliding_window")
        let qwenSliding = try decode(
            #"{"model_type": "qwen2", "num_hidden_layers": 4, "sliding_window": 16, "use_sliding_window": true, "max_window_layers": 2}"#)
        XCTAssertEqual((0..<4).map { qwenSliding.slidingWindow(ofLayer: $0) }, [nil, nil, 16, 16])
        let eosList = try decode(#"{"model_type": "llama", "eos_token_id": [128001, 128009], "head_dim": 128}"#)
        XCTAssertEqual(eosList.eosTokenIds, [128001, 128009])
        XCTAssertEqual(eosList.headDimension, 128)
    }

    func testRopeScalingSpellings() throws {
        let old = try decode(#"{"model_type": "llama", "rope_theta": 500000, "rope_scaling": {"type": "linear", "factor": 2}}"#)
        let new = try decode(
            #"{"model_type": "llama", "rope_parameters": {"rope_type": "linear", "factor": 2.0, "rope_theta": 500000.0}}"#)
        XCTAssertEqual(old.ropeScaling, .linear(factor: 2))
        XCTAssertEqual(old, new)
        XCTAssertEqual(new.ropeTheta, 500_000)
        let plain = try decode(#"{"model_type": "llama", "rope_parameters": {"rope_type": "default", "rope_theta": 3.0}}"#)
        XCTAssertNil(plain.ropeScaling)
        XCTAssertEqual(plain.ropeTheta, 3)
        let llama3 = try decode(
            #"{"model_type": "llama", "max_position_embeddings": 131072, "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0}}"#)
        XCTAssertEqual(llama3.ropeScaling?.originalMaxPositionEmbeddings, 131_072)
        XCTAssertThrowsError(try decode(#"{"model_type": "llama", "rope_scaling": {"rope_type": "yarn", "factor": 4}}"#)) {
            XCTAssertTrue("\($0)".contains("yarn"), "\($0)")
            XCTAssertTrue("\($0)".contains("llama3"), "\($0)")
        }
        XCTAssertThrowsError(try decode(#"{"model_type": "llama", "rope_scaling": {"rope_type": "linear"}}"#))
    }

    func testInvalidShapesAreErrors() {
        XCTAssertThrowsError(try decode(#"{"model_type": "llama", "num_attention_heads": 6, "num_key_value_heads": 4}"#))
        XCTAssertThrowsError(try decode(#"{"model_type": "llama", "hidden_size": "big"}"#)) { error in
            guard case ModelError.invalidConfiguration(_, let problem) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertTrue(problem.contains("hidden_size"), problem)
        }
    }

    func testEncodingRoundTrips() throws {
        for configuration in [TextConfiguration.tinyLlama(ropeScaling: .dynamic(factor: 2)), .tinyMistral(),
                              .tinyMistral(slidingWindow: nil), .tinyQwen2()] {
            let decoded = try TextConfiguration.decode(configuration.encodedJSON())
            XCTAssertEqual(decoded, configuration)
        }
    }
}
