import Foundation
import UMedModels
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

/// The generation loop: greedy tokens identical to transformers' `generate` (batch 1 and a
/// left-padded batch 2), stops, log-probabilities and attention capture.
final class GenerationTests: XCTestCase {
    func testGreedyMatchesTransformersTokenForToken() throws {
        for name in DecoderFixtures.cases {
            let reference = try DecoderFixtures.reference(name)
            let model = try DecoderFixtures.model(name)
            let result = try model.generate(
                GenerationPrompt(leftPadding: [reference.prompt], padTokenId: 0),
                configuration: .greedy(maxNewTokens: reference.greedy.count))
            XCTAssertEqual(result.sequences[0].tokens, reference.greedy, name)
            XCTAssertEqual(result.sequences[0].stopReason, .maxNewTokens)
        }
    }

    func testLeftPaddedBatchGreedyMatchesTransformers() throws {
        for name in DecoderFixtures.cases {
            let reference = try DecoderFixtures.reference(name)
            let model = try DecoderFixtures.model(name)
            for growth in [KVCache.Growth.concatenation, .preallocated(capacity: 3)] {
                let result = try model.generate(
                    GenerationPrompt(leftPadding: reference.batch.prompts, padTokenId: 0),
                    configuration: .greedy(maxNewTokens: reference.batch.greedy[0].count), cacheGrowth: growth)
                XCTAssertEqual(result.sequences.map(\.tokens), reference.batch.greedy, "\(name) \(growth)")
            }
        }
    }

    /// k samples per prompt, each prompt prefilled once: the same sequences as generating from the
    /// prompts repeated k times (greedy tokens, log-probabilities, seeded samples, attention).
    func testSamplesPerPromptEqualRepeatedPrompts() throws {
        let reference = try DecoderFixtures.reference("qwen2")
        let model = try DecoderFixtures.model("qwen2")
        let prompts = reference.batch.prompts
        let repeated = prompts.flatMap { Array(repeating: $0, count: 3) }
        let capture = AttentionCapture(layers: .indices([0]))
        for var configuration in [GenerationConfiguration.greedy(maxNewTokens: 6),
                                  .sampling(maxNewTokens: 6, temperature: 1.5, seed: 5)] {
            configuration.repetitionPenalty = 1.2
            let expected = try model.generate(GenerationPrompt(leftPadding: repeated, padTokenId: 0),
                                              configuration: configuration, attentionCapture: capture)
            configuration.samplesPerPrompt = 3
            let result = try model.generate(GenerationPrompt(leftPadding: prompts, padTokenId: 0),
                                            configuration: configuration, attentionCapture: capture)
            XCTAssertEqual(result.sequences.count, repeated.count)
            XCTAssertEqual(result.sequences.map(\.tokens), expected.sequences.map(\.tokens), "sampling \(configuration.usesSampling)")
            for (got, want) in zip(result.sequences, expected.sequences) {
                for (a, b) in zip(got.logProbabilities, want.logProbabilities) { XCTAssertEqual(a, b, accuracy: 1e-5) }
                DecoderFixtures.assertClose(got.attentions[0].probabilities, want.attentions[0].probabilities, tolerance: 1e-6)
            }
        }
        var invalid = GenerationConfiguration.greedy(maxNewTokens: 2)
        invalid.samplesPerPrompt = 0
        XCTAssertNotNil(invalid.validationProblem())
    }

    /// With a seed per sequence, a sequence's samples do not depend on the batch it is in: each
    /// prompt alone gives the tokens it gets in the batch (what data-parallel rollouts rely on), and
    /// a batch-wide seed would not (the control).
    func testSequenceSeedsMakeSamplesIndependentOfTheBatch() throws {
        let reference = try DecoderFixtures.reference("qwen2")
        let model = try DecoderFixtures.model("qwen2")
        let prompts = reference.batch.prompts
        var configuration = GenerationConfiguration.sampling(maxNewTokens: 8, temperature: 2, seed: 5)
        configuration.samplesPerPrompt = 2
        let seeds: [UInt64] = [11, 12, 13, 14]
        configuration.sequenceSeeds = seeds
        let together = try model.generate(GenerationPrompt(leftPadding: prompts, padTokenId: 0), configuration: configuration)
        var shared = configuration
        shared.sequenceSeeds = nil
        let sharedTogether = try model.generate(GenerationPrompt(leftPadding: prompts, padTokenId: 0), configuration: shared)
        var differsWithSharedSeed = false
        for (index, prompt) in prompts.enumerated() {
            var alone = configuration
            alone.sequenceSeeds = Array(seeds[index * 2..<index * 2 + 2])
            let result = try model.generate(GenerationPrompt(leftPadding: [prompt], padTokenId: 0), configuration: alone)
            XCTAssertEqual(result.sequences.map(\.tokens), together.sequences[index * 2..<index * 2 + 2].map(\.tokens), "prompt \(index)")
            let sharedAlone = try model.generate(GenerationPrompt(leftPadding: [prompt], padTokenId: 0), configuration: shared)
            if sharedAlone.sequences.map(\.tokens) != sharedTogether.sequences[index * 2..<index * 2 + 2].map(\.tokens) {
                differsWithSharedSeed = true
            }
        }
        XCTAssertTrue(differsWithSharedSeed, "the control: one generator for the batch should depend on the batch")
    }

    func testEmbeddingsPromptGeneratesTheSameTokens() throws {
        let reference = try DecoderFixtures.reference("llama")
        let model = try DecoderFixtures.model("llama")
        let (ids, mask) = GenerationPrompt.leftPad(reference.batch.prompts, padTokenId: 0)
        let prompt = GenerationPrompt(input: .embeddings(model.model.embed(ids)), attentionMask: mask)
        let result = try model.generate(prompt, configuration: .greedy(maxNewTokens: 10))
        XCTAssertEqual(result.sequences.map(\.tokens), reference.batch.greedy)
    }

    func testLogProbabilitiesAreTheRawModelDistribution() throws {
        let reference = try DecoderFixtures.reference("mistral")
        let model = try DecoderFixtures.model("mistral")
        let configuration = GenerationConfiguration(
            maxNewTokens: 6, usesSampling: true, temperature: 0.7, topK: 20, topP: 0.9, seed: 3)
        let sequence = try model.generate(GenerationPrompt(leftPadding: [reference.prompt], padTokenId: 0),
                                          configuration: configuration).sequences[0]
        XCTAssertEqual(sequence.logProbabilities.count, 6)
        // Teacher forcing over prompt + answer: the answer tokens' log-softmax at temperature 1.
        let all = reference.prompt + sequence.tokens
        let logits = model.forward(.tokens(DecoderFixtures.tokens(all))).logits!
        let logSoftmax = logits.logSoftmax(dim: -1)
        for (index, token) in sequence.tokens.enumerated() {
            let expected = logSoftmax[0, reference.prompt.count - 1 + index, token].item()
            XCTAssertEqual(Double(sequence.logProbabilities[index]), expected, accuracy: 1e-4, "token \(index)")
        }
    }

    func testStopsOnEndOfSequencePerRow() throws {
        let reference = try DecoderFixtures.reference("llama")
        let model = try DecoderFixtures.model("llama")
        // Make a token of the first row's greedy run an EOS; the second row goes on.
        let eos = reference.batch.greedy[0][3]
        let stop = reference.batch.greedy[0].firstIndex(of: eos)!
        XCTAssertFalse(reference.batch.greedy[1].contains(eos))
        let result = try model.generate(
            GenerationPrompt(leftPadding: reference.batch.prompts, padTokenId: 0),
            configuration: .greedy(maxNewTokens: 10, eosTokenIds: [eos]))
        XCTAssertEqual(result.sequences[0].tokens, Array(reference.batch.greedy[0].prefix(stop + 1)))
        XCTAssertEqual(result.sequences[0].stopReason, .endOfSequence(token: eos))
        XCTAssertEqual(result.sequences[1].tokens, reference.batch.greedy[1])
        XCTAssertEqual(result.sequences[1].stopReason, .maxNewTokens)
    }

    func testStopStringsUseTheTextDecoder() throws {
        let reference = try DecoderFixtures.reference("llama")
        let model = try DecoderFixtures.model("llama")
        let decode: ([Int]) -> String = { $0.map { "<\($0)>" }.joined() }
        var configuration = GenerationConfiguration.greedy(maxNewTokens: 10)
        configuration.stopStrings = ["<\(reference.greedy[2])>"]
        let sequence = try model.generate(GenerationPrompt(leftPadding: [reference.prompt], padTokenId: 0),
                                          configuration: configuration, decodeText: decode).sequences[0]
        let stop = reference.greedy.firstIndex(of: reference.greedy[2])!
        XCTAssertEqual(sequence.tokens, Array(reference.greedy.prefix(stop + 1)))
        XCTAssertEqual(sequence.stopReason, .stopString("<\(reference.greedy[2])>"))
        XCTAssertEqual(sequence.text, decode(sequence.tokens))
        XCTAssertThrowsError(try model.generate(GenerationPrompt(leftPadding: [reference.prompt], padTokenId: 0),
                                                configuration: configuration)) { error in
            XCTAssertEqual(error as? ModelError, .invalidGeneration("stop strings need a text decoder"))
        }
    }

    func testInvalidConfigurationsThrow() throws {
        let model = CausalLanguageModel(configuration: .tinyLlama())
        let prompt = GenerationPrompt(leftPadding: [[5, 6]], padTokenId: 0)
        let invalid = [GenerationConfiguration(maxNewTokens: 0),
                       GenerationConfiguration(usesSampling: true, temperature: 0),
                       GenerationConfiguration(topP: 0), GenerationConfiguration(topP: 1.5),
                       GenerationConfiguration(repetitionPenalty: 0), GenerationConfiguration(topK: -1)]
        for configuration in invalid {
            XCTAssertThrowsError(try model.generate(prompt, configuration: configuration), "\(configuration)")
        }
    }

    func testCapturedAttentionOfGeneratedTokensEqualsTeacherForcing() throws {
        let reference = try DecoderFixtures.reference("llama")
        let model = try DecoderFixtures.model("llama")
        let prompts = reference.batch.prompts
        let span = 2..<6
        let capture = AttentionCapture(layers: .indices([0, 1]), keys: .positions(span), heads: .each)
        let result = try model.generate(GenerationPrompt(leftPadding: prompts, padTokenId: 0),
                                        configuration: .greedy(maxNewTokens: 5), attentionCapture: capture)
        for (row, sequence) in result.sequences.enumerated() {
            XCTAssertEqual(sequence.attentions.map(\.layer), [0, 1])
            let full = prompts[row] + sequence.tokens
            let queries = (0..<sequence.tokens.count).map { prompts[row].count + $0 }
            let forced = model.forward(.tokens(DecoderFixtures.tokens(full)), options: ForwardOptions(
                logits: .none, attentionCapture: AttentionCapture(queries: .positions(queries), keys: .positions(span),
                                                                  heads: .each)))
            for layer in 0..<2 {
                let captured = sequence.attentions[layer].probabilities
                XCTAssertEqual(captured.shape, [4, 5, span.count])
                DecoderFixtures.assertClose(captured, forced.attentions[layer].probabilities.squeezed(dim: 0),
                                            tolerance: 1e-5, "row \(row) layer \(layer)")
            }
        }
    }

    func testCapturedAttentionOverAllKeysIsCausalAndNormalized() throws {
        let model = try DecoderFixtures.model("qwen2")
        let prompts = [[5, 6, 7, 8, 9], [10, 11]]
        let result = try model.generate(GenerationPrompt(leftPadding: prompts, padTokenId: 0),
                                        configuration: .greedy(maxNewTokens: 4),
                                        attentionCapture: AttentionCapture(layers: .indices([-1])))
        for sequence in result.sequences {
            let probabilities = sequence.attentions[0].probabilities
            XCTAssertEqual(probabilities.shape, [1, 4, 5 + 4])
            DecoderFixtures.assertClose(probabilities.sum(dims: [-1]), Tensor.ones([1, 4]), tolerance: 1e-5)
            // Row i (generated token i, at slot 5 + i) has nothing on later slots.
            for index in 0..<3 {
                let later = probabilities.selected(dim: 1, index: index).narrow(dim: -1, start: 6 + index, length: 3 - index)
                XCTAssertEqual(later.abs().amax().item(), 0)
            }
        }
        // The padded row puts nothing on its padding.
        let padded = result.sequences[1].attentions[0].probabilities.narrow(dim: -1, start: 0, length: 3)
        XCTAssertEqual(padded.abs().amax().item(), 0)
        let plain = try model.generate(GenerationPrompt(leftPadding: prompts, padTokenId: 0),
                                       configuration: .greedy(maxNewTokens: 4))
        XCTAssertTrue(plain.sequences.allSatisfy { $0.attentions.isEmpty })
        XCTAssertEqual(plain.sequences.map(\.tokens), result.sequences.map(\.tokens))
    }
}
