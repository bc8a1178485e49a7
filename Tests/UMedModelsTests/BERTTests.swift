import Foundation
import UMedModels
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

final class BERTTests: XCTestCase {
    func testTinyBertMatchesTransformers() throws {
        let model = try BertModel.load(from: try EncoderFixtures.url("bert-tiny"))
        let reference = try EncoderFixtures.json("bert-tiny/reference.json")
        let ids = EncoderFixtures.tensor(reference["input_ids"], integers: true)
        let mask = EncoderFixtures.tensor(reference["attention_mask"], integers: true)
        let types = EncoderFixtures.tensor(reference["token_type_ids"], integers: true)
        XCTAssertFalse(model.isTraining)
        let hidden = model(ids, attentionMask: mask)
        var worst = assertMaxDifference(hidden, EncoderFixtures.tensor(reference["last_hidden_state"]),
                                        within: 1e-4, "last_hidden_state")
        worst = max(worst, assertMaxDifference(
            model(ids, attentionMask: mask, tokenTypeIDs: types),
            EncoderFixtures.tensor(reference["typed_last_hidden_state"]), within: 1e-4, "with token types"))
        let pooler = try XCTUnwrap(model.pooler)
        worst = max(worst, assertMaxDifference(pooler(hidden), EncoderFixtures.tensor(reference["pooler_output"]),
                                               within: 1e-4, "pooler_output"))
        print("bert-tiny: max |Swift − transformers| = \(worst)")
    }

    func testPaddingDoesNotChangeRealTokens() throws {
        let model = BertModel(.tiny, generator: Generator(seed: 4))
        model.eval()
        let short = Tensor([Int64(2), 7, 9, 3], shape: [1, 4])
        let padded = Tensor([Int64(2), 7, 9, 3, 0, 0], shape: [1, 6])
        let mask = Tensor([Int64(1), 1, 1, 1, 0, 0], shape: [1, 6])
        let alone = model(short)
        let withPadding = model(padded, attentionMask: mask).narrow(dim: 1, start: 0, length: 4)
        assertMaxDifference(withPadding, alone, within: 1e-5, "padding masked out")
    }

    func testKeysAndStrictLoading() throws {
        let names = BertModel(.tiny).namedParameters().map(\.0)
        for key in ["embeddings.word_embeddings.weight", "embeddings.LayerNorm.bias",
                    "encoder.layer.1.attention.self.query.weight", "encoder.layer.0.attention.output.dense.bias",
                    "encoder.layer.0.attention.output.LayerNorm.weight", "encoder.layer.1.intermediate.dense.weight",
                    "encoder.layer.1.output.dense.weight", "encoder.layer.1.output.LayerNorm.bias", "pooler.dense.weight"] {
            XCTAssertTrue(names.contains(key), key)
        }
        let source = try EncoderFixtures.url("bert-tiny")
        let directory = try makeEncoderTestDirectory(self)
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"),
                                         to: directory.appendingPathComponent("config.json"))
        var tensors = try SafetensorsCheckpoint(directory: source).tensors()
        tensors["encoder.layer.1.output.dense.weight"] = nil
        tensors["embeddings.position_ids"] = Tensor.arange(64).reshaped([1, 64])
        try SafetensorsCheckpoint.write(tensors, to: directory)
        XCTAssertThrowsError(try BertModel.load(from: directory)) { error in
            guard case ModelError.weightsDoNotMatch(_, let missing, let unexpected, _) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(missing, ["encoder.layer.1.output.dense.weight"])
            XCTAssertEqual(unexpected, [], "saved position_ids are a buffer, dropped")
        }
        // A task model's checkpoint ("bert." prefix, a head) loads its encoder.
        var task = try SafetensorsCheckpoint(directory: source).tensors()
        task = Dictionary(uniqueKeysWithValues: task.map { ("bert." + $0.key, $0.value) })
        task["cls.predictions.bias"] = Tensor.zeros([100])
        try SafetensorsCheckpoint.write(task, to: directory)
        XCTAssertNoThrow(try BertModel.load(from: directory))
    }

    func testConfigDefaultsAndUnsupportedVariants() throws {
        let directory = try makeEncoderTestDirectory(self)
        let url = directory.appendingPathComponent("config.json")
        try #"{"model_type": "bert", "hidden_size": 384, "num_hidden_layers": 6, "intermediate_size": 1536, "position_embedding_type": "absolute", "classifier_dropout": null}"#
            .write(to: url, atomically: true, encoding: .utf8)
        XCTAssertEqual(try BertConfig.load(from: directory), .miniLML6)
        XCTAssertEqual(BertConfig.miniLML6.layerNormEps, 1e-12)
        try #"{"model_type": "bert", "position_embedding_type": "relative_key"}"#
            .write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try BertConfig.load(from: url)) { XCTAssertTrue("\($0)".contains("relative_key")) }
        try #"{"model_type": "roberta"}"#.write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try BertConfig.load(from: url)) { error in
            XCTAssertTrue("\(error)".contains("roberta") && "\(error)".contains("bert"), "\(error)")
        }
    }

    func testMeanPoolingAndNormalization() {
        let tokens = Tensor([Float(1), 2, 3, 4, 100, 100], shape: [1, 3, 2])
        let mask = Tensor([Int64(1), 1, 0], shape: [1, 3])
        let pooled = SentenceEmbedder.meanPooling(tokens, attentionMask: mask)
        assertMaxDifference(pooled, Tensor([Float(2), 3], shape: [1, 2]), within: 1e-6, "mean over the mask")
        let unit = SentenceEmbedder.normalized(Tensor([Float(3), 4, 0, 0], shape: [2, 2]))
        assertMaxDifference(unit, Tensor([Float(0.6), 0.8, 0, 0], shape: [2, 2]), within: 1e-6, "unit rows")
    }
}
