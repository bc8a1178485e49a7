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

/// Step 1 of the PPO step on a tiny from-scratch LLaVA: k sampled answers per phantom prompt,
/// scored in one teacher-forced pass that must agree with the sampler's own log-probabilities.
final class RolloutTests: XCTestCase {
    struct Setup {
        var start: ModelBundle
        var builder: VisionLanguageProcessor
        var prompts: [RolloutPrompt]
    }

    func setup() throws -> Setup { try Self.makeSetup(in: self) }

    /// `SFTConfiguration.tinyTestPreset()` (umed-tiny from scratch) with a tokenizer built from 6 phantoms,
    /// and the prompts of the first two.
    static func makeSetup(in testCase: XCTestCase) throws -> Setup {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("umed-rollout-\(UUID().uuidString)")
        testCase.addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let configuration = try SFTConfiguration.tinyTestPreset()
        let source = PhantomSource(seed: 5, size: 32, count: 6)
        let samples = try (0..<source.count).map { try source.sample(at: $0) }
        let start = try ModelBundle.make(configuration, runDirectory: directory, dtype: .float32, device: .cpu) { format in
            try VisionLanguageProcessor.renderedTexts(of: samples.map(\.sample), chatFormat: format)
        }
        let builder = VisionLanguageProcessor(
            tokenizer: start.tokenizer, chatFormat: start.chatFormat, imageProcessor: start.imageProcessor,
            imageTokenIndex: start.model.configuration.imageTokenIndex, imageTokensPerImage: start.model.imageTokenCount,
            maximumLength: 256)
        let prompts = try samples.prefix(2).map { sample, image in
            RolloutPrompt(example: try builder.prompt(for: sample, image: image), reference: sample.conversations[1].value)
        }
        return Setup(start: start, builder: builder, prompts: prompts)
    }

    func testAnswersAreScoredAsTheSamplerSawThem() throws {
        let setup = try setup()
        let model = setup.start.model
        let generation = GenerationConfiguration.sampling(maxNewTokens: 6, temperature: 1, seed: 9,
                                                          eosTokenIds: [setup.start.tokenizer.eosTokenID!])
        let maker = RolloutMaker(tokenizer: setup.start.tokenizer, answersPerPrompt: 3, generation: generation,
                                 padTokenId: setup.start.tokenizer.padTokenID!, attentionLayers: .all)
        let head = ValueHead(hiddenSize: 32, dropoutProbability: 0)
        let rollout = try maker.make(prompts: setup.prompts, policy: model, reference: .frozenCopy(model), valueHead: head, device: .cpu)

        XCTAssertEqual(rollout.rewardBatch.count, 6)
        XCTAssertEqual(rollout.rewardBatch.items.map(\.prompt), [0, 0, 0, 1, 1, 1])
        let answerLength = rollout.answerTokens.shape[1]
        XCTAssertEqual(rollout.sequences.shape, [6, rollout.promptLength + answerLength])
        XCTAssertEqual(rollout.logProbabilities.shape, [6, answerLength])
        XCTAssertEqual(rollout.values.shape, [6, answerLength])

        // The same sampling again (the rollout suppresses the image token), for the sampler's own
        // log-probabilities (temperature 1: the raw ones).
        var again = generation
        again.suppressedTokenIds = [model.configuration.imageTokenIndex]
        again.sequenceSeeds = RolloutMaker.answerSeeds(seed: 9, firstAnswer: 0, count: 6)
        let examples = setup.prompts.flatMap { Array(repeating: $0.example, count: 3) }
        let (ids, mask) = GenerationPrompt.leftPad(examples.map(\.inputIds), padTokenId: setup.start.tokenizer.padTokenID!)
        let sampled = try model.generate(inputIds: ids, pixelValues: Tensor.stack(examples.map(\.pixelValues), dim: 0),
                                         attentionMask: mask, configuration: again)
        let scored: [Float] = rollout.logProbabilities.toArray(), answerMask: [Float] = rollout.answerMask.toArray()
        let tokens: [Int64] = rollout.answerTokens.toArray()
        for (row, sequence) in sampled.sequences.enumerated() {
            XCTAssertFalse(sequence.tokens.contains(model.configuration.imageTokenIndex))
            XCTAssertEqual(sequence.tokens, tokens[row * answerLength..<row * answerLength + sequence.tokens.count].map(Int.init))
            XCTAssertEqual(rollout.lastTokens[row], sequence.tokens.count - 1)
            for (t, expected) in sequence.logProbabilities.enumerated() {
                XCTAssertEqual(scored[row * answerLength + t], expected, accuracy: 2e-5, "row \(row), token \(t)")
                XCTAssertEqual(answerMask[row * answerLength + t], 1)
            }
            for t in sequence.tokens.count..<answerLength {
                XCTAssertEqual(answerMask[row * answerLength + t], 0)
                XCTAssertEqual(scored[row * answerLength + t], 0)
            }
        }
        // The reference is the policy here: no KL.
        XCTAssertEqual(rollout.referenceLogProbabilities.toArray(of: Float.self), scored)
        // Rewards see each answer's ground truth, its abnormal patches and (recorded) attention.
        for (row, item) in rollout.rewardBatch.items.enumerated() {
            let example = examples[row]
            XCTAssertEqual(item.findings, example.findings)
            XCTAssertNotNil(item.attention)
            XCTAssertEqual(item.attention?.patches, 16)
            XCTAssertEqual(item.attention?.maps, 4, "2 layers × 2 heads")
            XCTAssertEqual(item.abnormalPatches, PatchGrid(patchSize: 8, columns: 4, rows: 4)
                .patchIndices(overlapping: example.findings.map { example.transform.map($0.box) }))
        }
        XCTAssertTrue(rollout.rewardBatch.items.contains { !$0.abnormalPatches.isEmpty }, "a phantom with findings")
    }

    func testCategoryTokensAreTheOnesInsideTheRefTags() throws {
        let setup = try setup()
        let tokenizer = setup.start.tokenizer
        // A reference answer of the phantoms the tokenizer was built from, with its categories.
        let prompt = try XCTUnwrap(setup.prompts.first { !$0.example.findings.isEmpty })
        let categories = Array(Set(prompt.example.findings.map(\.category)))
        let tokens = tokenizer.encode(prompt.reference, addSpecialTokens: false)
        let indices = TokenPositions.categoryTokenIndices(tokens, tokenizer: tokenizer)
        let words = indices.map { tokenizer.decode([tokens[$0]], skipSpecialTokens: true).trimmingCharacters(in: .whitespaces) }
        XCTAssertEqual(words.joined(separator: " ").split(separator: " ").count,
                       categories.map { $0.split(separator: " ").count }.reduce(0, +), "\(words) for \(categories)")
        XCTAssertEqual(Set(words.flatMap { $0.split(separator: " ").map(String.init) }),
                       Set(categories.flatMap { $0.split(separator: " ").map(String.init) }))
        // The same words outside the tags do not count.
        let outside = tokenizer.encode("Recognition: " + categories.joined(separator: " "), addSpecialTokens: false)
        XCTAssertEqual(TokenPositions.categoryTokenIndices(outside, tokenizer: tokenizer), [])
    }

    func testCategoryAttentionKeepsTheCategoryRowsOfEveryLayerAndHead() {
        // One layer, 2 heads × 3 answer tokens × 2 patches: values 0..11 row-major.
        let layer = CapturedAttention(layer: 0, probabilities: Tensor((0..<12).map(Float.init), shape: [2, 3, 2]))
        let attention = RolloutMaker.categoryAttention([layer, layer], tokens: [1, 2])
        XCTAssertEqual(attention.maps, 4)
        XCTAssertEqual(attention.queries, 2)
        XCTAssertEqual(attention.patches, 2)
        XCTAssertEqual(attention.weights, [2, 3, 4, 5, 8, 9, 10, 11, 2, 3, 4, 5, 8, 9, 10, 11])
    }
}

/// Steps 2–5 on the tiny model: rewarding one first token makes the policy say it more often.
final class PPOUpdateTests: XCTestCase {
    func firstTokenProbability(_ model: LlavaModel, prompts: [RolloutPrompt], token: Int, pad: Int) throws -> Double {
        let (ids, mask) = GenerationPrompt.leftPad(prompts.map(\.example.inputIds), padTokenId: pad)
        let output = try Tensor.withoutGrad {
            try model.forward(inputIds: ids, pixelValues: Tensor.stack(prompts.map(\.example.pixelValues), dim: 0),
                              attentionMask: mask, options: ForwardOptions(logits: .last))
        }
        let probabilities: [Float] = output.logits!.softmax(dim: -1).toArray()
        let vocabulary = output.logits!.shape[2]
        return prompts.indices.map { Double(probabilities[$0 * vocabulary + token]) }.reduce(0, +) / Double(prompts.count)
    }

    func learns(_ mode: PPOHyperparameters.Advantages, seedOffset: UInt64) throws -> (before: Double, after: Double) {
        let setup = try RolloutTests.makeSetup(in: self)
        let (policy, tokenizer) = (setup.start.model, setup.start.tokenizer)
        let reference = UMedTiny.makeModel(configuration: policy.configuration, seed: 3)
        reference.eval()
        for parameter in reference.parameters() { parameter.isFrozen = true }
        let pad = tokenizer.padTokenID!
        // The target: the first token the untrained policy finds second most likely.
        let (ids, mask) = GenerationPrompt.leftPad(setup.prompts.map(\.example.inputIds), padTokenId: pad)
        let logits = try Tensor.withoutGrad {
            try policy.forward(inputIds: ids, pixelValues: Tensor.stack(setup.prompts.map(\.example.pixelValues), dim: 0),
                               attentionMask: mask, options: ForwardOptions(logits: .last)).logits!
        }
        let first: [Float] = logits.narrow(dim: 0, start: 0, length: 1).reshaped([-1]).toArray()
        let target = first.indices.sorted { first[$0] > first[$1] }[1]
        let before = try firstTokenProbability(policy, prompts: setup.prompts, token: target, pad: pad)

        let head = ValueHead(hiddenSize: 32, dropoutProbability: 0)
        let optimizer = AdamW(groups: [ParameterGroup(parameters: policy.trainableParameters(), learningRate: 1e-2),
                                       ParameterGroup(parameters: head.trainableParameters(), learningRate: 1e-2)])
        var hyperparameters = PPOHyperparameters()
        hyperparameters.mode = mode
        hyperparameters.epochs = 2
        hyperparameters.minibatchSize = 8
        var rng = SplitMix64(seed: 1)
        for iteration in 0..<10 {
            let maker = RolloutMaker(
                tokenizer: tokenizer, answersPerPrompt: 16,
                generation: .sampling(maxNewTokens: 3, temperature: 1, seed: seedOffset + UInt64(iteration), eosTokenIds: [tokenizer.eosTokenID!]),
                padTokenId: pad, attentionLayers: nil)
            let rollout = try maker.make(prompts: setup.prompts, policy: policy, reference: .frozenCopy(reference), valueHead: head, device: .cpu)
            let firstTokens: [Int64] = rollout.answerTokens.narrow(dim: 1, start: 0, length: 1).reshaped([-1]).toArray()
            let rewards = firstTokens.map { $0 == Int64(target) ? Float(1) : 0 }
            let statistics = try PPOUpdate.run(rollout: rollout, rewards: rewards, klCoefficient: 0.01, policy: policy,
                                               valueHead: head, optimizer: optimizer, hyperparameters: hyperparameters,
                                               temperature: 1, maxGradNorm: 1, rng: &rng)
            XCTAssertEqual(statistics.minibatches, 8)
            XCTAssertTrue(statistics.policyLoss.isFinite && statistics.valueLoss.isFinite && statistics.entropy > 0)
        }
        let after = try firstTokenProbability(policy, prompts: setup.prompts, token: target, pad: pad)
        print("PPOUpdateTests: \(mode), sampling seeds \(seedOffset)…: p(rewarded first token) \(before) → \(after) in 10 updates")
        return (before, after)
    }

    /// Most of five sampling-seed sets raise p(target) past 0.5. One set alone is a coin with a
    /// weighted side: when the target (p ≈ 0.03) is not sampled in the first updates, the policy can
    /// drift away from it; measured, 1 or 2 of 5 sets miss for either mode, with the batch-wide
    /// sampler of before per-answer seeds as with them.
    func assertMostlyLearns(_ mode: PPOHyperparameters.Advantages) throws {
        var results: [(before: Double, after: Double)] = []
        for set in 0..<5 { results.append(try learns(mode, seedOffset: UInt64(set) * 100)) }
        let learned = results.filter { $0.after > max(0.5, $0.before + 0.2) }.count
        XCTAssertGreaterThanOrEqual(learned, 3, "\(mode): p(target) before → after per seed set: \(results)")
    }

    func testPPORaisesTheRewardedTokensProbability() throws {
        try assertMostlyLearns(.ppo)
    }

    func testGRPORaisesTheRewardedTokensProbability() throws {
        try assertMostlyLearns(.grpo)
    }
}
