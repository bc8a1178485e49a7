import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest
@testable import UMedTraining

final class AnswerTokenLossTests: XCTestCase {
    /// Equals transformers' causal-LM loss: cross-entropy of the full logits shifted by one against
    /// the labels, ignoring −100 (mean × count = sum), and sends gradients only through trained
    /// positions.
    func testEqualsTheShiftedFullLogitsCrossEntropy() {
        Generator.seedAll(3)
        let head = Linear(inputSize: 8, outputSize: 11)
        let hidden = Tensor.randn([2, 5, 8]).requiringGrad()
        let labels = Tensor([-100, -100, 4, 7, 1, -100, 3, -100, 10, -100], shape: [2, 5])
        let (sum, tokens) = AnswerTokenLoss.summed(hiddenStates: hidden, labels: labels, head: head)
        XCTAssertEqual(tokens, 5)  // labels 4, 7, 1 of row 0 and 3, 10 of row 1, each predicted from the position before

        let logits = head(hidden).narrow(dim: 1, start: 0, length: 4).reshaped([-1, 11])
        let targets = labels.narrow(dim: 1, start: 1, length: 4).reshaped([-1])
        let reference = logits.crossEntropy(target: targets) * Double(tokens)
        XCTAssertEqual(sum.item(), reference.item(), accuracy: 1e-5)

        sum.backward()
        let gradient = hidden.grad!
        // Row 1, position 4 predicts nothing (its label would be past the end): no gradient.
        XCTAssertEqual(gradient.selected(dim: 0, index: 1).selected(dim: 0, index: 4).abs().sum().item(), 0)
        // Row 0, position 0 predicts label 1 (−100): no gradient; position 1 predicts 4: some.
        XCTAssertEqual(gradient.selected(dim: 0, index: 0).selected(dim: 0, index: 0).abs().sum().item(), 0)
        XCTAssertGreaterThan(gradient.selected(dim: 0, index: 0).selected(dim: 0, index: 1).abs().sum().item(), 0)
    }

    func testNoTrainedTokenGivesZeroLossThatStillBackpropagates() {
        let head = Linear(inputSize: 4, outputSize: 5)
        let hidden = Tensor.randn([1, 3, 4]).requiringGrad()
        let (sum, tokens) = AnswerTokenLoss.summed(hiddenStates: hidden, labels: Tensor([-100, -100, -100], shape: [1, 3]), head: head)
        XCTAssertEqual(tokens, 0)
        XCTAssertEqual(sum.item(), 0)
        sum.backward()
        XCTAssertNotNil(hidden.grad)
    }
}
