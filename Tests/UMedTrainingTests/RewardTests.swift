import UMedTestSupport
import XCTest
import UMedData
import UMedPipeline
import UMedText
@testable import UMedTraining

/// The Stage-2 rewards on hand-built cases whose values are worked out in the comments.
final class RewardTests: XCTestCase {
    let size = ImageSize(width: 100, height: 100)

    func item(_ answer: String, findings: [Finding] = [], prompt: Int = 0, reference: String = "",
              abnormalPatches: [Int] = [], attention: CategoryAttention? = nil) -> RewardItem {
        RewardItem(prompt: prompt, answer: answer, reference: reference, findings: findings, imageSize: size,
                   abnormalPatches: abnormalPatches, attention: attention)
    }

    let nodule = Finding(category: "nodule", box: Box(x1: 10, y1: 20, x2: 30, y2: 40))
    let mass = Finding(category: "mass", box: Box(x1: 60, y1: 60, x2: 80, y2: 80))

    func testLocalizationIsTheMatchedMeanIoU() throws {
        let scores = try LocalizationReward().score(RewardBatch(items: [
            // [100, 200, 300, 400] on the 0–1000 grid of a 100² image = (10, 20, 30, 40): the box itself.
            item("Localization: <box>[100, 200, 300, 400]</box> upper left.", findings: [nodule]),
            // (20, 20, 40, 40): overlap 10 × 20 = 200, union 400 + 400 − 200 = 600 → 1/3.
            item("Localization: <box>[200, 200, 400, 400]</box>.", findings: [nodule]),
            // One exact box for two findings: the mass is unmatched → (1 + 0) / 2.
            item("<box>[600, 600, 800, 800]</box>", findings: [nodule, mass]),
            // Both, in the other order: Hungarian matching pairs them right → 1.
            item("<box>[600, 600, 800, 800]</box> and <box>[100, 200, 300, 400]</box>", findings: [nodule, mass]),
            // No parsable box.
            item("Localization: somewhere on the left <box>[1, 2]</box>.", findings: [nodule]),
        ]))
        XCTAssertEqual(scores[0], 1, accuracy: 1e-6)
        XCTAssertEqual(scores[1], 1.0 / 3, accuracy: 1e-6)
        XCTAssertEqual(scores[2], 0.5, accuracy: 1e-6)
        XCTAssertEqual(scores[3], 1, accuracy: 1e-6)
        XCTAssertEqual(scores[4], 0)
    }

    func testLocalizationOnANormalImageRewardsReportingNothing() throws {
        let scores = try LocalizationReward().score(RewardBatch(items: [
            item("Detection: no abnormality is seen in this chest x-ray image."),
            item("Detection: no abnormality. Localization: <box>[100, 200, 300, 400]</box>."),
            item("Detection: no abnormality. Recognition: <ref>nodule</ref>."),
            item("Detection: there is an abnormal area."),
        ]))
        XCTAssertEqual(scores, [1, 0, 0, 0])
    }

    /// 2 maps × 2 category tokens × 4 patches (a 2 × 2 grid), the abnormal area = patch 1.
    func attentionMap() -> CategoryAttention {
        CategoryAttention(weights: [
            0.1, 0.6, 0.2, 0.1,      // map 0, token 0: share 0.6
            0.25, 0.25, 0.25, 0.25,  // map 0, token 1: 0.25
            0, 1, 0, 0,              // map 1, token 0: 1
            0.1, 0.1, 0.2, 0.1,      // map 1, token 1: the image holds 0.5 of its attention; 0.1 / 0.5 = 0.2
        ], maps: 2, queries: 2, patches: 4)
    }

    func testVisionRelevanceIsTheAbnormalShareOfImageAttention() throws {
        let scores = try VisionRelevanceReward().score(RewardBatch(items: [
            item("<ref>nodule</ref>", findings: [nodule], abnormalPatches: [1], attention: attentionMap()),
            // Patches 1 and 3: 0.7, 0.5, 1, 0.4.
            item("<ref>nodule</ref>", findings: [nodule], abnormalPatches: [1, 3], attention: attentionMap()),
            // No category token recorded.
            item("no category", findings: [nodule], abnormalPatches: [1],
                 attention: CategoryAttention(weights: [], maps: 2, queries: 0, patches: 4)),
            // A normal image has no abnormal area: 0, attention or not.
            item("Detection: no abnormality."),
        ]))
        XCTAssertEqual(scores[0], (0.6 + 0.25 + 1 + 0.2) / 4, accuracy: 1e-6)
        XCTAssertEqual(scores[1], (0.7 + 0.5 + 1 + 0.4) / 4, accuracy: 1e-6)
        XCTAssertEqual(scores[2], 0)
        XCTAssertEqual(scores[3], 0)
    }

    func testVisionRelevanceRejectsMissingOrMalformedAttention() {
        func error(_ item: RewardItem) -> TrainingError? {
            do { _ = try VisionRelevanceReward().score(RewardBatch(items: [self.item("fine"), item])); return nil } catch {
                return error as? TrainingError
            }
        }
        XCTAssertEqual(error(item("<ref>nodule</ref>", findings: [nodule], abnormalPatches: [1])), .missingAttention(answer: 1))
        var short = attentionMap()
        short.weights.removeLast()
        guard case .malformedAttention(1, let problem)? = error(item("x", findings: [nodule], abnormalPatches: [1], attention: short))
        else { return XCTFail("a short weight array is an error") }
        XCTAssertTrue(problem.contains("15 weights"), problem)
        guard case .malformedAttention(1, let outside)? = error(item("x", findings: [nodule], abnormalPatches: [4], attention: attentionMap()))
        else { return XCTFail("a patch outside the grid is an error") }
        XCTAssertTrue(outside.contains("patch 4"), outside)
    }

    func testLexicalRelevanceIsTokenF1OfTheDiagnoses() throws {
        // "the cat sat" vs "the cat ran away": 2 common, P = 2/3, R = 1/2 → F1 = 4/7.
        XCTAssertEqual(LexicalRelevanceReward.tokenF1("The cat sat.", "the cat ran away"), 4.0 / 7, accuracy: 1e-12)
        // Multiset counts: "a a a" vs "a b": 1 common, P = 1/3, R = 1/2 → 0.4.
        XCTAssertEqual(LexicalRelevanceReward.tokenF1("a a a", "a b"), 0.4, accuracy: 1e-12)
        // Boxes are not diagnosis text; ref tags are dropped but their words kept.
        XCTAssertEqual(LexicalRelevanceReward.tokenF1("Localization: <box>[1, 2, 3, 4]</box> left. <ref>nodule</ref>",
                                                      "Localization: <box>[900, 900, 950, 990]</box> left. nodule"), 1)
        XCTAssertEqual(LexicalRelevanceReward.tokenF1("", "<box>[1, 2, 3, 4]</box>"), 1)
        XCTAssertEqual(LexicalRelevanceReward.tokenF1("", "nodule"), 0)
        XCTAssertEqual(LexicalRelevanceReward.tokenF1("mass", "nodule"), 0)
        let scores = try LexicalRelevanceReward().score(RewardBatch(items: [item("the cat sat", reference: "the cat ran away")]))
        XCTAssertEqual(scores[0], 4.0 / 7, accuracy: 1e-6)
    }

    func testTotalDividesLocalizationAndVisionByThePromptMaximum() {
        let prompts = [0, 0, 1, 1]
        let scores: [RewardTerm: [Float]] = [
            .relevance: [0.5, 0.5, 1, 0],
            .localization: [0.2, 0.4, 0, 0],    // prompt 1's maximum is 0 → 0
            .vision: [0.1, 0.3, 0.5, 0.25],
        ]
        let total = RewardAggregation.total(scores, prompts: prompts)
        let expected: [Float] = [0.5 + 0.5 + 1.0 / 3, 0.5 + 1 + 1, 1 + 0 + 1, 0 + 0 + 0.5]
        for (value, wanted) in zip(total, expected) { XCTAssertEqual(value, wanted, accuracy: 1e-6) }

        // Ablation: a term left out does not count; weights scale the terms.
        let withoutVision = RewardAggregation.total(scores.filter { $0.key != .vision }, prompts: prompts)
        XCTAssertEqual(withoutVision, [1, 1.5, 1, 0])
        let weighted = RewardAggregation.total(scores, prompts: prompts, weights: RewardWeights(relevance: 2, localization: 0, vision: 1))
        for (value, wanted) in zip(weighted, [Float(1 + 1.0 / 3), 2, 3, 0.5]) { XCTAssertEqual(value, wanted, accuracy: 1e-6) }
        XCTAssertEqual(RewardAggregation.dividedByPromptMaximum([-1, -2, 3], prompts: [0, 0, 1]), [0, 0, 1])
    }
}

/// The KL coefficient's controller and GRPO's group advantages, on values worked out by hand.
final class AdvantageAndKLTests: XCTestCase {
    func testFixedKLCoefficientNeverMoves() {
        var controller = KLController(coefficient: 0.05)
        controller.update(currentKL: 10, samples: 1000)
        XCTAssertEqual(controller.coefficient, 0.05)
    }

    func testAdaptiveKLMovesTowardTheTargetWithAClippedError() {
        var controller = KLController(coefficient: 0.1, target: 6, horizon: 10_000)
        // KL 9 vs 6: error 0.5 clipped to 0.2; × (1 + 0.2 · 256 / 10 000) = × 1.00512.
        controller.update(currentKL: 9, samples: 256)
        XCTAssertEqual(controller.coefficient, 0.1 * 1.00512, accuracy: 1e-12)
        // KL 4.5 vs 6: error −0.25 clipped to −0.2; × (1 − 0.2 · 5 000 / 10 000) = × 0.9.
        controller.update(currentKL: 4.5, samples: 5000)
        XCTAssertEqual(controller.coefficient, 0.1 * 1.00512 * 0.9, accuracy: 1e-12)
        // KL 6.6: error 0.1 (inside the clip); × 1.1 after a full horizon.
        controller.update(currentKL: 6.6, samples: 10_000)
        XCTAssertEqual(controller.coefficient, 0.1 * 1.00512 * 0.9 * 1.1, accuracy: 1e-12)
    }

    func testGroupAdvantagesNormalizeWithinEachPrompt() {
        // Prompt 0: 1, 2, 3 → mean 2, unbiased std 1 → −1, 0, 1 (÷ (1 + ε)). Prompt 1: all 5 → 0.
        let advantages = GroupAdvantages.compute(rewards: [1, 5, 2, 5, 3], prompts: [0, 1, 0, 1, 0], epsilon: 0)
        XCTAssertEqual(advantages, [-1, 0, 0, 0, 1])
        let smoothed = GroupAdvantages.compute(rewards: [1, 2, 3], prompts: [7, 7, 7], epsilon: 1)
        XCTAssertEqual(smoothed, [-0.5, 0, 0.5])
        XCTAssertEqual(GroupAdvantages.compute(rewards: [4], prompts: [0]), [0])
    }

    func testUnscaledGroupAdvantagesAreRewardMinusGroupMean() {
        // Dr. GRPO: prompt 0 → mean 2, prompt 1 → mean 5; nothing divided.
        let advantages = GroupAdvantages.compute(rewards: [1, 5, 2, 5.5, 3], prompts: [0, 1, 0, 1, 0], scaled: false)
        XCTAssertEqual(advantages, [-1, -0.25, 0, 0.25, 1])
    }
}

/// The run's reward terms together: per-term scores, the paper's total, and the step summary.
final class RewardSetTests: XCTestCase {
    func testScoresTotalsAndSummarizes() throws {
        let size = ImageSize(width: 100, height: 100)
        let nodule = Finding(category: "nodule", box: Box(x1: 10, y1: 20, x2: 30, y2: 40))
        let items = [
            // IoU 1 and 1/3 for prompt 0's two answers; token F1 1 and 0.
            RewardItem(prompt: 0, answer: "<box>[100, 200, 300, 400]</box> nodule", reference: "nodule", findings: [nodule], imageSize: size),
            RewardItem(prompt: 0, answer: "<box>[200, 200, 400, 400]</box> mass", reference: "nodule", findings: [nodule], imageSize: size),
            // No box: IoU 0 (prompt 1's maximum 0 → its localization term is 0); F1 1.
            RewardItem(prompt: 1, answer: "nodule", reference: "nodule", findings: [nodule], imageSize: size),
        ]
        let set = try RewardSet([LexicalRelevanceReward(), LocalizationReward()])
        XCTAssertEqual(set.terms, [.relevance, .localization])
        let scores = try set.score(RewardBatch(items: items))
        assertClose(scores.terms[.localization]!.map { Double($0) }, [1, 1.0 / 3, 0], accuracy: 1e-6)
        XCTAssertEqual(scores.terms[.relevance]!, [1, 0, 1])
        assertClose(scores.total.map { Double($0) }, [2, 1.0 / 3, 1], accuracy: 1e-6)
        XCTAssertEqual(scores.statistics.boxParseRate, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(scores.statistics.terms["relevance"]!.mean, 2.0 / 3, accuracy: 1e-6)
        // Population spread of 1, 0, 1: √(2/9).
        XCTAssertEqual(scores.statistics.terms["relevance"]!.spread, (2.0 / 9).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(scores.statistics.total.mean, (2 + 1.0 / 3 + 1) / 3, accuracy: 1e-6)
        XCTAssertThrowsError(try RewardSet([LocalizationReward(), LocalizationReward()])) { error in
            XCTAssertTrue("\(error)".contains("given twice"), "\(error)")
        }
    }
}

private func assertClose(_ values: [Double], _ expected: [Double], accuracy: Double,
                            file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(values.count, expected.count, file: file, line: line)
    for (value, wanted) in zip(values, expected) { XCTAssertEqual(value, wanted, accuracy: accuracy, file: file, line: line) }
}
