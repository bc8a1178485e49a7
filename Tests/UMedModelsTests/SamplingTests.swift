import Foundation
import UMedModels
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

/// Logits processors against transformers' LogitsProcessors (Fixtures/decoder-processors.json),
/// and seeded sampling.
final class SamplingTests: XCTestCase {
    private func fixture() throws -> (json: [String: Any], logits: Tensor, presence: Tensor) {
        let json = try DecoderFixtures.processors()
        let logits = DecoderFixtures.matrix(json["logits"])
        let presence = LogitsProcessing.presenceMask(json["input_ids"] as! [[Int]], vocabularySize: logits.size(-1))
        return (json, logits, presence)
    }

    private func expected(_ json: [String: Any], _ key: String) -> Tensor {
        DecoderFixtures.matrix((json[key] as! [String: Any])["output"])
    }

    func testRepetitionPenaltyMatchesTransformers() throws {
        let (json, logits, presence) = try fixture()
        let output = LogitsProcessing.applyRepetitionPenalty(logits, penalty: 1.3, presence: presence)
        DecoderFixtures.assertClose(output, expected(json, "repetition_penalty"), tolerance: 1e-6)
        XCTAssertTrue(LogitsProcessing.applyRepetitionPenalty(logits, penalty: 1, presence: presence) === logits)
    }

    func testTemperatureAndTopKMatchTransformers() throws {
        let (json, logits, _) = try fixture()
        DecoderFixtures.assertClose(LogitsProcessing.applyTemperature(logits, 0.7), expected(json, "temperature"),
                                    tolerance: 1e-6)
        let topK = LogitsProcessing.applyTopK(logits, 5)
        DecoderFixtures.assertClose(topK, expected(json, "top_k"), tolerance: 0)
        XCTAssertEqual(topK.isFinite().to(.int64).sum(dims: [1]).toArray(of: Int64.self), [5, 5, 5])
    }

    func testTopPMatchesTransformers() throws {
        let (json, logits, _) = try fixture()
        for entry in json["top_p"] as! [[String: Any]] {
            let p = (entry["p"] as! NSNumber).doubleValue
            let output = LogitsProcessing.applyTopP(logits, p)
            DecoderFixtures.assertClose(output, DecoderFixtures.matrix(entry["output"]), tolerance: 0, "p = \(p)")
        }
        // At least one token always survives, however small p is.
        let tiny = LogitsProcessing.applyTopP(logits, 1e-9)
        XCTAssertEqual(tiny.isFinite().to(.int64).sum(dims: [1]).toArray(of: Int64.self), [1, 1, 1])
    }

    func testChainFollowsTransformersOrder() throws {
        let (json, logits, presence) = try fixture()
        let configuration = GenerationConfiguration(usesSampling: true, temperature: 0.7, topK: 8, topP: 0.9,
                                                    repetitionPenalty: 1.3)
        let output = LogitsProcessing.process(logits, configuration: configuration, presence: presence)
        DecoderFixtures.assertClose(output, expected(json, "chained"), tolerance: 1e-6)
        // Greedy decoding applies the penalty only.
        var greedy = configuration
        greedy.usesSampling = false
        DecoderFixtures.assertClose(LogitsProcessing.process(logits, configuration: greedy, presence: presence),
                                    expected(json, "repetition_penalty"), tolerance: 1e-6)
    }

    func testPresenceMarking() {
        let presence = LogitsProcessing.presenceMask([[1, 3], []], vocabularySize: 5)
        let marked = LogitsProcessing.marking(presence, tokens: Tensor([4, 0]))
        XCTAssertEqual(marked.toArray(of: Bool.self),
                       [false, true, false, true, true, true, false, false, false, false])
    }

    func testSuppressedTokensAreNeverChosen() throws {
        let logits = Tensor([Float(3), 1, 2, 0, 5, 4], shape: [2, 3])
        let suppressed = LogitsProcessing.suppress(logits, tokens: [0, 7])
        XCTAssertEqual(suppressed.toArray(of: Float.self), [-.infinity, 1, 2, -.infinity, 5, 4])
        XCTAssertEqual(LogitsProcessing.suppress(logits, tokens: []).toArray(of: Float.self), logits.toArray(of: Float.self))
        // Greedy on a model: suppressing each row's first choice changes it, and it never comes back.
        let model = try DecoderFixtures.model("llama")
        let prompt = GenerationPrompt(leftPadding: [[5, 9, 13, 21], [7, 3]], padTokenId: 0)
        let plain = try model.generate(prompt, configuration: .greedy(maxNewTokens: 6)).sequences.map(\.tokens)
        var configuration = GenerationConfiguration.greedy(maxNewTokens: 6)
        configuration.suppressedTokenIds = [plain[0][0], plain[1][0]]
        let without = try model.generate(prompt, configuration: configuration).sequences.map(\.tokens)
        for tokens in without { XCTAssertTrue(Set(tokens).isDisjoint(with: configuration.suppressedTokenIds), "\(tokens)") }
        let decoded = try JSONDecoder().decode(GenerationConfiguration.self, from: Data(#"{"suppress_tokens": [4, 9]}"#.utf8))
        XCTAssertEqual(decoded.suppressedTokenIds, [4, 9])
    }

    func testSeededSamplingIsReproducible() throws {
        let model = try DecoderFixtures.model("llama")
        let prompt = GenerationPrompt(leftPadding: [[5, 9, 13, 21], [7, 3]], padTokenId: 0)
        func run(_ seed: UInt64) throws -> [[Int]] {
            try model.generate(prompt, configuration: .sampling(maxNewTokens: 12, temperature: 1.5, topP: 0.95,
                                                                seed: seed)).sequences.map(\.tokens)
        }
        let first = try run(7)
        XCTAssertEqual(try run(7), first)
        XCTAssertNotEqual(try run(8), first)
    }

    func testSamplingWithTopKOneIsGreedy() throws {
        let reference = try DecoderFixtures.reference("qwen2")
        let model = try DecoderFixtures.model("qwen2")
        let result = try model.generate(GenerationPrompt(leftPadding: reference.batch.prompts, padTokenId: 0),
                                        configuration: .sampling(maxNewTokens: 10, temperature: 2, topK: 1, seed: 1))
        XCTAssertEqual(result.sequences.map(\.tokens), reference.batch.greedy)
    }

    func testRepetitionPenaltyChangesGreedyRepeats() throws {
        // Qwen2's tied tiny model repeats one token; a strong penalty must break the run.
        let reference = try DecoderFixtures.reference("qwen2")
        let model = try DecoderFixtures.model("qwen2")
        var configuration = GenerationConfiguration.greedy(maxNewTokens: 10)
        configuration.repetitionPenalty = 100
        let tokens = try model.generate(GenerationPrompt(leftPadding: [reference.batch.prompts[0]], padTokenId: 0),
                                        configuration: configuration).sequences[0].tokens
        XCTAssertEqual(Set(tokens).count, tokens.count, "\(tokens)")
        XCTAssertTrue(Set(tokens).isDisjoint(with: reference.batch.prompts[0]), "\(tokens)")
    }
}
