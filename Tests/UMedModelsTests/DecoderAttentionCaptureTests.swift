import Foundation
import UMedModels
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

/// Attention capture on a forward call: transformers' probabilities, shapes, rows summing to 1,
/// key spans under left padding, and nothing kept without a request.
final class DecoderAttentionCaptureTests: XCTestCase {
    func testLastQueryMatchesTransformersPerHead() throws {
        for name in ["llama", "mistral", "qwen2"] {
            let reference = try DecoderFixtures.reference(name)
            let model = try DecoderFixtures.model(name)
            let capture = AttentionCapture(layers: .all, queries: .last, keys: .all, heads: .each)
            let output = model.forward(.tokens(DecoderFixtures.tokens(reference.prompt)),
                                       options: ForwardOptions(logits: .none, attentionCapture: capture))
            XCTAssertEqual(output.attentions.map(\.layer), [0, 1])
            for (layer, captured) in output.attentions.enumerated() {
                let expected = reference.attentions[layer]
                let tensor = Tensor(expected.flatMap { $0 }, shape: [1, expected.count, 1, expected[0].count])
                DecoderFixtures.assertClose(captured.probabilities, tensor.to(.float32), tolerance: 1e-5,
                                            "\(name) layer \(layer)")
            }
        }
    }

    func testShapesAndRowsSumToOne() throws {
        let model = try DecoderFixtures.model("llama")
        let ids = DecoderFixtures.tokens([4, 8, 15, 16, 23, 42, 7, 9])
        let capture = AttentionCapture(layers: .indices([-1]), queries: .positions([2, 5, 7]), keys: .all, heads: .mean)
        let output = model.forward(.tokens(ids), options: ForwardOptions(attentionCapture: capture))
        XCTAssertEqual(output.attentions.count, 1)
        XCTAssertEqual(output.attentions[0].layer, 1)
        let probabilities = output.attentions[0].probabilities
        XCTAssertEqual(probabilities.shape, [1, 1, 3, 8])
        DecoderFixtures.assertClose(probabilities.sum(dims: [-1]), Tensor.ones([1, 1, 3]), tolerance: 1e-5)
        XCTAssertFalse(probabilities.requiresGrad)
        // Causal: query 2 puts nothing on keys after position 2.
        XCTAssertEqual(probabilities.selected(dim: 2, index: 0).narrow(dim: -1, start: 3, length: 5).abs().amax().item(), 0)
        let perHead = model.forward(.tokens(ids), options: ForwardOptions(attentionCapture: AttentionCapture(
            layers: .indices([1]), queries: .positions([2, 5, 7]), heads: .each))).attentions[0].probabilities
        XCTAssertEqual(perHead.shape, [1, 4, 3, 8])
        DecoderFixtures.assertClose(perHead.mean(dims: [1], keepDim: true), probabilities, tolerance: 1e-6)
    }

    func testNoRequestReturnsNothing() throws {
        let model = try DecoderFixtures.model("llama")
        let output = model.forward(.tokens(DecoderFixtures.tokens([4, 8, 15])))
        XCTAssertTrue(output.attentions.isEmpty)
        var cache = model.makeCache()
        let step = model.forward(.tokens(DecoderFixtures.tokens([4, 8, 15])), cache: &cache)
        XCTAssertTrue(step.attentions.isEmpty)
    }

    func testKeySpanFollowsEachRowsPadding() throws {
        // The shorter prompt alone and left-padded in a batch: a span of its own positions must
        // pick the same probabilities.
        let reference = try DecoderFixtures.reference("llama")
        let model = try DecoderFixtures.model("llama")
        let prompts = reference.batch.prompts
        let capture = AttentionCapture(layers: .all, queries: .last, keys: .positions(1..<5), heads: .each)
        let (ids, mask) = GenerationPrompt.leftPad(prompts, padTokenId: 0)
        let batch = model.forward(.tokens(ids), attentionMask: mask,
                                  options: ForwardOptions(logits: .none, attentionCapture: capture))
        let alone = model.forward(.tokens(DecoderFixtures.tokens(prompts[1])),
                                  options: ForwardOptions(logits: .none, attentionCapture: capture))
        for layer in 0..<2 {
            XCTAssertEqual(batch.attentions[layer].probabilities.shape, [2, 4, 1, 4])
            DecoderFixtures.assertClose(batch.attentions[layer].probabilities.narrow(dim: 0, start: 1, length: 1),
                                        alone.attentions[layer].probabilities, tolerance: 1e-5, "layer \(layer)")
        }
    }

    func testKeySpanIgnoresRightPadding() throws {
        // Prompt left-padded, answer right-padded (a PPO scoring batch): only the left padding
        // shifts a row's positions.
        let model = try DecoderFixtures.model("qwen2")
        let ids = Tensor([0, 0, 7, 8, 9, 10, 11, 0,
                          3, 4, 5, 6, 7, 8, 9, 10], shape: [2, 8])
        let mask = Tensor([0, 0, 1, 1, 1, 1, 1, 0,
                           1, 1, 1, 1, 1, 1, 1, 1], shape: [2, 8])
        let capture = AttentionCapture(queries: .positions([6]), keys: .positions(0..<3), heads: .mean)
        let batch = model.forward(.tokens(ids), attentionMask: mask, options: ForwardOptions(attentionCapture: capture))
        let alone = model.forward(.tokens(DecoderFixtures.tokens([7, 8, 9, 10, 11])), options: ForwardOptions(
            attentionCapture: AttentionCapture(queries: .last, keys: .positions(0..<3), heads: .mean)))
        for layer in 0..<2 {
            DecoderFixtures.assertClose(batch.attentions[layer].probabilities.narrow(dim: 0, start: 0, length: 1),
                                        alone.attentions[layer].probabilities, tolerance: 1e-5, "layer \(layer)")
        }
    }
}
