import Foundation
import UMedTensor
import UMedTestSupport
import XCTest
@testable import UMedTraining

/// PPO helpers and loss terms against Fixtures/ppo.json (scripts/fixtures/make_ppo_fixtures.py:
/// PyTorch following trl's PPO trainer), on a [3, 5] batch whose answers have 5, 3 and 1 tokens.
final class PPOMathTests: XCTestCase {
    struct Fixture: Decodable {
        struct Array: Decodable {
            var shape: [Int]
            var data: [Float]
            var tensor: Tensor { Tensor(data, shape: shape) }
        }
        struct Inputs: Decodable {
            var mask, values, rewards, logprobs, ref_logprobs, old_logprobs, old_values, logits: Array
            var scores: [Float]
            var last_tokens: [Int]
        }
        struct Advantages: Decodable { var gamma, lambda: Double; var advantages, returns: Array }
        struct TokenRewards: Decodable { var kl_coefficient: Double; var rewards: Array }
        struct Loss: Decodable {
            var clip_range, value_clip_range, value_coefficient, entropy_coefficient: Double
            var advantages, returns, policy, value, entropy, total, policy_clip_fraction, value_clip_fraction, approximate_kl: Array
        }
        struct LogProbabilities: Decodable { var temperature: Double; var tokens: [Int]; var log_probabilities: Array }
        struct Cases: Decodable {
            var token_log_probabilities: LogProbabilities
            var masked_mean, masked_var_unbiased, masked_var_biased, whiten, whiten_keeping_mean: Array
            var gae_1_0_0_95: Advantages
            var gae_0_9_0_8: Advantages
            var token_rewards: TokenRewards
            var loss: Loss
            enum CodingKeys: String, CodingKey {
                case token_log_probabilities, masked_mean, masked_var_unbiased, masked_var_biased, whiten, whiten_keeping_mean, token_rewards, loss
                case gae_1_0_0_95 = "gae_1.0_0.95", gae_0_9_0_8 = "gae_0.9_0.8"
            }
        }
        var inputs: Inputs
        var cases: Cases
    }

    func fixture() throws -> Fixture {
        let url = try Fixtures.existing("ppo.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    func assertClose(_ tensor: Tensor, _ expected: Fixture.Array, tolerance: Float = 2e-6, _ name: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(tensor.shape, expected.shape, name, file: file, line: line)
        let values: [Float] = tensor.toArray()
        for (index, (value, wanted)) in zip(values, expected.data).enumerated() {
            XCTAssertEqual(value, wanted, accuracy: tolerance * max(1, abs(wanted)), "\(name)[\(index)]", file: file, line: line)
        }
    }

    func testMaskedStatisticsAndWhitening() throws {
        let fixture = try fixture(), inputs = fixture.inputs, cases = fixture.cases
        let (values, mask) = (inputs.values.tensor, inputs.mask.tensor)
        assertClose(PPOMath.maskedMean(values, mask: mask), cases.masked_mean, "mean")
        assertClose(PPOMath.maskedVariance(values, mask: mask), cases.masked_var_unbiased, "unbiased variance")
        assertClose(PPOMath.maskedVariance(values, mask: mask, unbiased: false), cases.masked_var_biased, "variance")
        assertClose(PPOMath.maskedWhiten(values, mask: mask), cases.whiten, "whitened")
        assertClose(PPOMath.maskedWhiten(values, mask: mask, keepsMean: true), cases.whiten_keeping_mean, "whitened, mean kept")
    }

    func testGeneralizedAdvantagesAndReturns() throws {
        let fixture = try fixture(), inputs = fixture.inputs
        for expected in [fixture.cases.gae_1_0_0_95, fixture.cases.gae_0_9_0_8] {
            let (advantages, returns) = PPOMath.generalizedAdvantages(
                rewards: inputs.rewards.tensor, values: inputs.values.tensor, gamma: expected.gamma, lambda: expected.lambda)
            assertClose(advantages, expected.advantages, "advantages γ \(expected.gamma) λ \(expected.lambda)")
            assertClose(returns, expected.returns, "returns γ \(expected.gamma) λ \(expected.lambda)")
        }
    }

    func testTokenRewardsAreTheKLPenaltyPlusTheScoreOnTheLastToken() throws {
        let fixture = try fixture(), inputs = fixture.inputs, expected = fixture.cases.token_rewards
        let rewards = PPOMath.tokenRewards(
            scores: inputs.scores, logProbabilities: inputs.logprobs.tensor, referenceLogProbabilities: inputs.ref_logprobs.tensor,
            mask: inputs.mask.tensor, lastTokens: inputs.last_tokens, klCoefficient: expected.kl_coefficient)
        assertClose(rewards, expected.rewards, "token rewards")
    }

    func testLossTerms() throws {
        let fixture = try fixture(), inputs = fixture.inputs, expected = fixture.cases.loss
        let mask = inputs.mask.tensor
        // The advantages the trainer would use: GAE on the token rewards, whitened over answer tokens.
        let tokenRewards = PPOMath.tokenRewards(
            scores: inputs.scores, logProbabilities: inputs.logprobs.tensor, referenceLogProbabilities: inputs.ref_logprobs.tensor,
            mask: mask, lastTokens: inputs.last_tokens, klCoefficient: fixture.cases.token_rewards.kl_coefficient)
        let (rawAdvantages, returns) = PPOMath.generalizedAdvantages(rewards: tokenRewards, values: inputs.values.tensor, gamma: 1, lambda: 0.95)
        let advantages = PPOMath.maskedWhiten(rawAdvantages, mask: mask) * mask
        assertClose(advantages, expected.advantages, tolerance: 1e-5, "whitened advantages")
        assertClose(returns, expected.returns, "returns")
        let loss = PPOLoss(
            logProbabilities: inputs.logprobs.tensor, oldLogProbabilities: inputs.old_logprobs.tensor, advantages: advantages,
            values: inputs.values.tensor, oldValues: inputs.old_values.tensor, returns: returns, logits: inputs.logits.tensor,
            mask: mask, clipRange: expected.clip_range, valueClipRange: expected.value_clip_range,
            valueCoefficient: expected.value_coefficient, entropyCoefficient: expected.entropy_coefficient)
        assertClose(loss.policy, expected.policy, tolerance: 1e-5, "policy loss")
        assertClose(loss.value, expected.value, "value loss")
        assertClose(loss.entropy, expected.entropy, "entropy")
        assertClose(loss.total, expected.total, tolerance: 1e-5, "total")
        assertClose(loss.policyClipFraction, expected.policy_clip_fraction, "policy clip fraction")
        assertClose(loss.valueClipFraction, expected.value_clip_fraction, "value clip fraction")
        assertClose(loss.approximateKL, expected.approximate_kl, "approximate KL")
        // The clip fractions are not trivial on this batch, so the clipping branches are exercised.
        XCTAssertGreaterThan(loss.policyClipFraction.itemFloat(), 0)
        XCTAssertGreaterThan(loss.valueClipFraction.itemFloat(), 0)
    }

    func testLogProbabilitiesOfChosenTokens() throws {
        let fixture = try fixture(), expected = fixture.cases.token_log_probabilities
        let tokens = Tensor(expected.tokens, shape: [3, 5])
        let logits = fixture.inputs.logits.tensor
        assertClose(TokenLogProbabilities.of(tokens, logits: logits, temperature: expected.temperature),
                    expected.log_probabilities, "log-probabilities at temperature \(expected.temperature)")
        // At temperature 1 it is plain log_softmax: each row's probabilities over the vocabulary sum to 1.
        let everyToken = Tensor(Swift.Array(0..<7), shape: [1, 7])
        let row = logits.narrow(dim: 0, start: 0, length: 1).narrow(dim: 1, start: 0, length: 1).expanded(to: [1, 7, 7])
        XCTAssertEqual(TokenLogProbabilities.of(everyToken, logits: row).exp().sum().itemFloat(), 1, accuracy: 1e-6)
    }
}
