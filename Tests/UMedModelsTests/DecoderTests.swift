import Foundation
import UMedModels
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

/// Llama, Mistral and Qwen2 decoders against transformers on the tiny checkpoints of
/// Fixtures/decoder-*: logits within 1e-4 (float32), KV-cache decoding, masks, attention capture,
/// strict loading.
final class DecoderTests: XCTestCase {
    static let logitsTolerance = 1e-4

    func testPromptLogitsMatchTransformersAtEveryPosition() throws {
        for name in DecoderFixtures.cases {
            let reference = try DecoderFixtures.reference(name)
            let model = try DecoderFixtures.model(name)
            let logits = model.forward(.tokens(DecoderFixtures.tokens(reference.prompt))).logits!
            let expected = Tensor(reference.logits.flatMap { $0 }, shape: [1, reference.logits.count, reference.logits[0].count])
            DecoderFixtures.assertClose(logits, expected.to(.float32), tolerance: Self.logitsTolerance, name)
        }
    }

    func testLeftPaddedBatchLastLogitsMatchTransformers() throws {
        for name in DecoderFixtures.cases {
            let reference = try DecoderFixtures.reference(name)
            let model = try DecoderFixtures.model(name)
            let (ids, mask) = GenerationPrompt.leftPad(reference.batch.prompts, padTokenId: 0)
            let output = model.forward(.tokens(ids), attentionMask: mask, options: ForwardOptions(logits: .last))
            let expected = Tensor(reference.batch.lastLogits.flatMap { $0 }, shape: [2, 1, reference.batch.lastLogits[0].count])
            DecoderFixtures.assertClose(output.logits!, expected.to(.float32), tolerance: Self.logitsTolerance, name)
        }
    }

    func testPaddingRowsStayFinite() throws {
        let reference = try DecoderFixtures.reference("mistral")
        let model = try DecoderFixtures.model("mistral")
        let (ids, mask) = GenerationPrompt.leftPad(reference.batch.prompts, padTokenId: 0)
        let logits = model.forward(.tokens(ids), attentionMask: mask).logits!
        XCTAssertEqual(logits.isNaN().any().itemInt(), 0, "fully masked (padding) queries must not produce NaN")
    }

    func testEmbeddingsInputEqualsTokenInput() throws {
        let reference = try DecoderFixtures.reference("llama")
        let model = try DecoderFixtures.model("llama")
        let ids = DecoderFixtures.tokens(reference.prompt)
        let fromTokens = model.forward(.tokens(ids)).logits!
        let fromEmbeddings = model.forward(.embeddings(model.model.embed(ids))).logits!
        DecoderFixtures.assertClose(fromEmbeddings, fromTokens, tolerance: 0)
    }

    func testKVCacheDecodingEqualsFullRecompute() throws {
        for growth in [KVCache.Growth.concatenation, .preallocated(capacity: 4)] {
            // Not dynamic NTK: its cached keys keep the frequencies of the length they were made at,
            // so a cache legitimately differs from a recompute (in transformers too).
            for name in ["llama", "mistral", "qwen2", "llama-rope-llama3"] {
                let reference = try DecoderFixtures.reference(name)
                let model = try DecoderFixtures.model(name)
                let ids = DecoderFixtures.tokens(reference.prompt)
                let full = model.forward(.tokens(ids)).logits!
                var cache = model.makeCache(growth: growth)
                let prefill = 5
                let first = model.forward(.tokens(ids.narrow(dim: 1, start: 0, length: prefill)), cache: &cache,
                                          options: ForwardOptions(logits: .last)).logits!
                DecoderFixtures.assertClose(first, full.narrow(dim: 1, start: prefill - 1, length: 1),
                                            tolerance: Self.logitsTolerance, "\(name) prefill")
                for position in prefill..<reference.prompt.count {
                    let step = model.forward(.tokens(ids.narrow(dim: 1, start: position, length: 1)), cache: &cache).logits!
                    DecoderFixtures.assertClose(step, full.narrow(dim: 1, start: position, length: 1),
                                                tolerance: Self.logitsTolerance, "\(name) \(growth) position \(position)")
                }
                XCTAssertEqual(cache.length, reference.prompt.count)
            }
        }
    }

    func testKVCacheDecodingWithLeftPaddingEqualsFullRecompute() throws {
        let reference = try DecoderFixtures.reference("mistral")
        let model = try DecoderFixtures.model("mistral")
        let (ids, mask) = GenerationPrompt.leftPad(reference.batch.prompts, padTokenId: 0)
        let length = ids.size(1)
        let full = model.forward(.tokens(ids), attentionMask: mask).logits!
        var cache = model.makeCache(growth: .preallocated(capacity: 16))
        _ = model.forward(.tokens(ids.narrow(dim: 1, start: 0, length: 8)),
                          attentionMask: mask.narrow(dim: 1, start: 0, length: 8), cache: &cache)
        XCTAssertNotNil(cache.paddingMask)
        for position in 8..<length {
            // transformers' convention: the mask of everything held so far.
            let step = model.forward(.tokens(ids.narrow(dim: 1, start: position, length: 1)),
                                     attentionMask: mask.narrow(dim: 1, start: 0, length: position + 1),
                                     cache: &cache).logits!
            DecoderFixtures.assertClose(step, full.narrow(dim: 1, start: position, length: 1),
                                        tolerance: Self.logitsTolerance, "position \(position)")
        }
    }

    func testCacheCopiesAreIndependent() throws {
        let model = try DecoderFixtures.model("llama")
        let ids = DecoderFixtures.tokens([5, 6, 7, 8])
        var cache = model.makeCache(growth: .preallocated(capacity: 8))
        _ = model.forward(.tokens(ids), cache: &cache)
        var branch = cache
        let next = DecoderFixtures.tokens([9])
        let a = model.forward(.tokens(next), cache: &cache).logits!
        let b = model.forward(.tokens(next), cache: &branch).logits!
        DecoderFixtures.assertClose(a, b, tolerance: 0)
        XCTAssertEqual(cache.length, 5)
        XCTAssertEqual(branch.length, 5)
    }

    func testSlidingWindowChangesLogits() throws {
        let reference = try DecoderFixtures.reference("mistral")
        let windowed = try DecoderFixtures.model("mistral")
        XCTAssertEqual(windowed.configuration.slidingWindow, 4)
        var configuration = windowed.configuration
        configuration.slidingWindow = nil
        let unwindowed = CausalLanguageModel(configuration: configuration)
        try unwindowed.loadStateDict(windowed.stateDict())
        let ids = DecoderFixtures.tokens(reference.prompt)
        let expected = Tensor(reference.logits.flatMap { $0 }, shape: [1, reference.logits.count, reference.logits[0].count])
            .to(.float32)
        let withWindow = windowed.forward(.tokens(ids)).logits!
        let withoutWindow = unwindowed.forward(.tokens(ids)).logits!
        DecoderFixtures.assertClose(withWindow, expected, tolerance: Self.logitsTolerance)
        // The first 4 positions see the same keys either way; later ones must differ.
        DecoderFixtures.assertClose(withoutWindow.narrow(dim: 1, start: 0, length: 4),
                                    expected.narrow(dim: 1, start: 0, length: 4), tolerance: Self.logitsTolerance)
        let later = (withoutWindow - expected).narrow(dim: 1, start: 4, length: reference.prompt.count - 4)
        XCTAssertGreaterThan(later.abs().amax().item(), 0.01)
    }

    func testLastLogitsAndHiddenStates() throws {
        let model = try DecoderFixtures.model("qwen2")
        let ids = DecoderFixtures.tokens([3, 4, 5, 6, 7])
        let all = model.forward(.tokens(ids), options: ForwardOptions(returnsHiddenStates: true))
        let last = model.forward(.tokens(ids), options: ForwardOptions(logits: .last))
        let none = model.forward(.tokens(ids), options: ForwardOptions(logits: .none, returnsHiddenStates: true))
        XCTAssertEqual(all.hiddenStates?.shape, [1, 5, 32])
        XCTAssertNil(last.hiddenStates)
        XCTAssertNil(none.logits)
        DecoderFixtures.assertClose(last.logits!, all.logits!.narrow(dim: 1, start: 4, length: 1), tolerance: 1e-5)
        // The head reads the returned hidden states (tied to the embeddings for Qwen2 here).
        DecoderFixtures.assertClose(model.lmHead(none.hiddenStates!), all.logits!, tolerance: 1e-5)
    }

    /// A prefill that wants the last logits alone runs the last layer's attention and MLP for the
    /// last position only; the cache it leaves is the same, so decoding goes on as after a full one.
    func testLastLogitsPrefillLeavesTheSameCache() throws {
        for name in ["llama", "qwen2"] {
            let model = try DecoderFixtures.model(name)
            let (ids, mask) = GenerationPrompt.leftPad([[3, 4, 5, 6, 7], [8, 9, 10]], padTokenId: 0)
            var trimmed = model.makeCache(), full = model.makeCache()
            let last = Tensor.withoutGrad {
                model.forward(.tokens(ids), attentionMask: mask, cache: &trimmed, options: ForwardOptions(logits: .last))
            }
            let all = Tensor.withoutGrad { model.forward(.tokens(ids), attentionMask: mask, cache: &full) }
            DecoderFixtures.assertClose(last.logits!, all.logits!.narrow(dim: 1, start: 4, length: 1), tolerance: 1e-5, name)
            for layer in 0..<model.layerCount {
                DecoderFixtures.assertClose(trimmed.keys(layer: layer)!, full.keys(layer: layer)!, tolerance: 0, name)
                DecoderFixtures.assertClose(trimmed.values(layer: layer)!, full.values(layer: layer)!, tolerance: 0, name)
            }
            let next = Tensor([11, 12], shape: [2, 1])
            let afterTrimmed = model.forward(.tokens(next), cache: &trimmed).logits!
            let afterFull = model.forward(.tokens(next), cache: &full).logits!
            DecoderFixtures.assertClose(afterTrimmed, afterFull, tolerance: 0, name)
        }
    }
}
