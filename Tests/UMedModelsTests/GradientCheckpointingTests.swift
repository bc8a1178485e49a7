import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest
@testable import UMedModels

/// Gradient checkpointing in the decoder and the ViT encoder changes memory, not results: the loss
/// and every parameter's gradient equal those of the plain model.
final class GradientCheckpointingTests: XCTestCase {
    private typealias Gradients = [String: [Float]]

    private func parameterGradients(_ model: Module) -> Gradients {
        Dictionary(uniqueKeysWithValues: model.namedParameters().compactMap { name, parameter in
            parameter.grad.map { (name, $0.toArray(of: Float.self)) }
        })
    }

    private func assertEqual(_ a: Gradients, _ b: Gradients, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(Set(a.keys), Set(b.keys), "parameters with a gradient", file: file, line: line)
        for (name, x) in a.sorted(by: { $0.key < $1.key }) {
            guard let y = b[name], x.count == y.count else { continue }
            let difference = zip(x, y).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? 0
            XCTAssertLessThanOrEqual(difference, 1e-6, "\(name) differs by \(difference)", file: file, line: line)
        }
    }

    func testTinyLLaVALossAndGradientsEqualThoseWithoutCheckpointing() throws {
        Generator.seedAll(7)
        var vision = CLIPVisionConfig.tiny
        vision.vit.attentionDropout = 0.2  // the recomputation must draw the same dropout masks
        let imageToken = 127
        let model = LlavaModel(configuration: LlavaConfiguration(
            vision: .clip(vision), text: .tinyLlama(), imageTokenIndex: imageToken, visionFeatureLayer: .single(-1)))
        let encoder = try XCTUnwrap(model.visionTower as? CLIPVisionModel).visionModel.encoder
        let text: [Int64] = [1, 5, 9, 33]
        let ids = Tensor(text + [Int64](repeating: Int64(imageToken), count: model.imageTokenCount) + [17, 4, 2],
                         shape: [1, text.count + model.imageTokenCount + 3])
        let pixels = Tensor.randn([1, 3, 32, 32])
        let weights = Tensor.randn([1, ids.size(1), 128])

        func run(checkpointing: Bool) throws -> (loss: Float, gradients: Gradients) {
            encoder.usesGradientCheckpointing = checkpointing
            model.languageModel.model.usesGradientCheckpointing = checkpointing
            model.zeroGrad()
            Generator.seedAll(99)
            let logits = try XCTUnwrap(try model.forward(inputIds: ids, pixelValues: pixels).logits)
            let loss = (logits.logSoftmax(dim: -1) * weights).sum()
            loss.backward()
            return (loss.itemFloat(), parameterGradients(model))
        }
        let plain = try run(checkpointing: false)
        let checkpointed = try run(checkpointing: true)
        XCTAssertEqual(plain.loss, checkpointed.loss)
        assertEqual(plain.gradients, checkpointed.gradients)
        XCTAssertTrue(plain.gradients.keys.contains { $0.contains("vision_model.encoder.layers.1.") })
        XCTAssertTrue(plain.gradients.keys.contains { $0.contains("model.layers.1.") && !$0.contains("vision") })

        // Other dropout masks do change the gradients: the comparison above can fail.
        encoder.usesGradientCheckpointing = false
        model.languageModel.model.usesGradientCheckpointing = false
        model.zeroGrad()
        Generator.seedAll(100)
        try (XCTUnwrap(try model.forward(inputIds: ids, pixelValues: pixels).logits).logSoftmax(dim: -1) * weights)
            .sum().backward()
        XCTAssertNotEqual(parameterGradients(model), plain.gradients)
    }

    func testDecoderKeepsTheKVCacheAndSkipsCheckpointsWhenDecoding() {
        Generator.seedAll(8)
        let model = CausalLanguageModel(configuration: .tinyLlama())
        let ids = Tensor([Int64]([1, 7, 3, 99, 42, 5]), shape: [1, 6])
        let target = Tensor.randn([1, 6, 128])

        func run(checkpointing: Bool) -> (logits: [Float], gradients: Gradients, keys: [Float], next: [Float]) {
            model.model.usesGradientCheckpointing = checkpointing
            model.zeroGrad()
            var cache = model.makeCache()
            let logits = model.forward(.tokens(ids), cache: &cache).logits!
            (logits * target).sum().backward()
            // A step on the filled cache: the decoding path runs plainly, with the same result.
            let next = model.forward(.tokens(Tensor([Int64(11)], shape: [1, 1])), cache: &cache).logits!
            return (logits.toArray(), parameterGradients(model), cache.keys(layer: 1)!.toArray(), next.toArray())
        }
        let plain = run(checkpointing: false)
        let checkpointed = run(checkpointing: true)
        XCTAssertEqual(plain.logits, checkpointed.logits)
        assertEqual(plain.gradients, checkpointed.gradients)
        XCTAssertEqual(plain.gradients.count, model.parameters().count)
        XCTAssertEqual(plain.keys, checkpointed.keys)
        XCTAssertEqual(plain.next, checkpointed.next)
    }

    func testWithoutGradTheCheckpointingModelRunsPlain() {
        Generator.seedAll(9)
        let model = CausalLanguageModel(configuration: .tinyLlama())
        let ids = Tensor([Int64]([1, 7, 3]), shape: [1, 3])
        let plain = Tensor.withoutGrad { model.forward(.tokens(ids)).logits! }
        model.model.usesGradientCheckpointing = true
        let checkpointing = Tensor.withoutGrad { model.forward(.tokens(ids)).logits! }
        XCTAssertFalse(checkpointing.requiresGrad)
        XCTAssertEqual(plain.toArray(of: Float.self), checkpointing.toArray(of: Float.self))
    }
}
