import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest
@testable import UMedModels

/// The PPO critic head: a linear read-out of each position's final hidden state.
final class ValueHeadTests: XCTestCase {
    func testValuesAreTheSummaryOfEachHiddenStateAndDropoutOnlyWhileTraining() {
        let head = ValueHead(hiddenSize: 4, dropoutProbability: 0.5)
        head.summary.weight.assign(Tensor([Float(1), -2, 0.5, 3], shape: [1, 4]))
        head.summary.bias!.assign(Tensor([Float(0.25)], shape: [1]))
        let hidden = Tensor([Float(1), 1, 1, 1, 2, 0, -2, 1, 0, 0, 0, 0], shape: [1, 3, 4])
        head.train(false)
        let values = head(hidden)
        XCTAssertEqual(values.shape, [1, 3])
        // 1 − 2 + 0.5 + 3 + 0.25; 2 − 1 + 3 + 0.25; the bias alone.
        XCTAssertEqual(values.toArray(of: Float.self), [2.75, 4.25, 0.25])
        XCTAssertEqual(head.namedParameters().map(\.0).sorted(), ["summary.bias", "summary.weight"])
        head.train(true)
        let dropped = Tensor.withoutGrad { head(Tensor.ones([1, 64, 4])) }.toArray(of: Float.self)
        XCTAssertGreaterThan(Set(dropped).count, 1, "dropout makes positions differ while training")
    }
}
