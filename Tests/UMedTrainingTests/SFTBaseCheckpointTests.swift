import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedModels
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest
@testable import UMedTraining

/// Stage 1 from a Hugging Face LLaVA directory (`model.base`): the tiny transformers-made fixture
/// of UMedModelsTests, a tokenizer given by `model.tokenizer`, the default parts (projector + lm):
/// the vision tower stays bitwise as loaded, the projector changes, the saved model loads.
final class SFTBaseCheckpointTests: XCTestCase {
    /// The tiny transformers-made LLaVA checkpoint of the model tests.
    let fixture = Fixtures.url("llava/clip-llama/checkpoint")

    func testTrainsFromAHuggingFaceLLaVADirectoryWithTheVisionTowerFrozen() throws {
        let base = fixture
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("umed-sft-base-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let tokenizerDirectory = root.appendingPathComponent("tokenizer")
        try FileManager.default.createDirectory(at: tokenizerDirectory, withIntermediateDirectories: true)

        // A word-level tokenizer of the phantom conversations, small enough for the fixture's 160 ids.
        let source = PhantomSource(seed: 5, size: 32, count: 40)
        let samples = try (0..<source.count).map { try source.sample(at: $0).sample }
        let texts = try VisionLanguageProcessor.renderedTexts(of: samples, chatFormat: .mistral)
        let json = try TokenizerBuilder.wordLevel(
            texts: texts, specialTokens: ["<unk>", "<s>", "</s>", "<pad>"], bosToken: "<s>", minimumFrequency: 2)
        try json.write(to: tokenizerDirectory.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        try TokenizerBuilder.configuration(bosToken: "<s>", eosToken: "</s>", padToken: "<pad>", unknownToken: "<unk>")
            .write(to: tokenizerDirectory.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8)
        let vocabulary = try Tokenizer(directory: tokenizerDirectory).vocabularySize
        guard vocabulary < 159 else { return XCTFail("the test tokenizer has \(vocabulary) ids; the fixture embeds 160") }

        let yaml = """
            model: {base: \(base.path), tokenizer: \(tokenizerDirectory.path), chat_format: mistral}
            data:
              phantoms: {seed: 5, size: 32, count: 40, validation_count: 2, validation_seed: 6}
              max_length: 512
            training: {max_steps: 2, batch_size: 2, learning_rate: 0.01, seed: 1}
            evaluation: {every: 0, batches: 1, generate: 1, max_new_tokens: 2}
            checkpoint: {every: 0, keep_last: 1}
            output: {dir: \(root.appendingPathComponent("run").path)}
            """
        let configuration = try YAMLConfiguration.decode(SFTConfiguration.self, yaml: yaml)
        var losses: [Double] = []
        let summary = try SFTTrainer(configuration: configuration) { event in
            if case .step(let metrics) = event { losses.append(metrics.loss) }
        }.run(resume: false)
        XCTAssertEqual(losses.count, 2)
        XCTAssertTrue(losses.allSatisfy(\.isFinite), "\(losses)")

        let before = try LlavaModel.load(from: base)
        let after = try LlavaModel.load(from: URL(fileURLWithPath: try XCTUnwrap(summary.modelPath)))
        let trained = Dictionary(uniqueKeysWithValues: after.namedParameters().map { ($0.0, $0.1.value) })
        for (name, parameter) in before.namedParameters() {
            let same = parameter.value.ne(try XCTUnwrap(trained[name], name)).any().itemInt() == 0
            if name.hasPrefix("vision_tower.") {
                XCTAssertTrue(same, "\(name) changed although the vision tower is frozen")
            } else if name.hasPrefix("multi_modal_projector.") && name.hasSuffix("weight") {
                XCTAssertFalse(same, "\(name) did not train")
            }
        }
    }

    /// A saved model carries the tokenizer the run started with, even when the base directory's
    /// files are gone by then (an older checkpoint of a base that is still training is deleted).
    func testSavedModelKeepsTheTokenizerItStartedWith() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("umed-start-tokenizer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let base = root.appendingPathComponent("base")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixture, to: base)
        let json = try TokenizerBuilder.wordLevel(texts: ["find the nodule", "no abnormality"], specialTokens: ["<unk>", "<s>", "</s>", "<pad>"],
                                                  bosToken: "<s>", minimumFrequency: 1)
        try json.write(to: base.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        try TokenizerBuilder.configuration(bosToken: "<s>", eosToken: "</s>", padToken: "<pad>", unknownToken: "<unk>")
            .write(to: base.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8)
        let start = try ModelBundle.load(base, chatFormat: .mistral, dtype: .float32, device: .cpu)
        try FileManager.default.removeItem(at: base.appendingPathComponent("tokenizer.json"))
        try FileManager.default.removeItem(at: base.appendingPathComponent("tokenizer_config.json"))
        let saved = root.appendingPathComponent("saved")
        try start.exportModel(to: saved)
        XCTAssertEqual(try String(contentsOf: saved.appendingPathComponent("tokenizer.json"), encoding: .utf8), json)
        XCTAssertEqual(try Tokenizer(directory: saved).vocabularySize, start.tokenizer.vocabularySize)
    }
}
