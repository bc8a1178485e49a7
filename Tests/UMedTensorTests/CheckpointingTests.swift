import UMedTestSupport
import XCTest
@testable import UMedTensor

/// Gradient checkpointing recomputes a block in backward: gradients of inputs and of the
/// parameters used inside equal those of the plain block, dropout draws the same masks, and the
/// block's closure is released once the graph is gone.
final class CheckpointingTests: XCTestCase {
    /// A small MLP block with its own parameters, and a way to read all gradients.
    private final class Block {
        let weight1 = Tensor.randn([16, 8]).requiringGrad()
        let bias1 = Tensor.randn([16]).requiringGrad()
        let weight2 = Tensor.randn([8, 16]).requiringGrad()
        let dropout: Double

        init(dropout: Double = 0) { self.dropout = dropout }

        var parameters: [Tensor] { [weight1, bias1, weight2] }

        func callAsFunction(_ x: Tensor) -> Tensor {
            x.linear(weight: weight1, bias: bias1).gelu().dropout(dropout).linear(weight: weight2) + x
        }
    }

    /// Loss and gradients (inputs first, then parameters) after one backward of `loss`.
    private func gradients(_ tensors: [Tensor], _ loss: () -> Tensor) -> (loss: [Float], gradients: [[Float]]) {
        for tensor in tensors { tensor.zeroGrad() }
        let value = loss()
        value.backward()
        return (value.toArray(), tensors.map { $0.grad?.toArray() ?? [] })
    }

    private func assertEqual(
        _ a: (loss: [Float], gradients: [[Float]]), _ b: (loss: [Float], gradients: [[Float]]),
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(a.loss, b.loss, "loss", file: file, line: line)
        XCTAssertEqual(a.gradients.count, b.gradients.count, file: file, line: line)
        for (index, (x, y)) in zip(a.gradients, b.gradients).enumerated() {
            XCTAssertFalse(x.isEmpty, "gradient \(index) missing", file: file, line: line)
            XCTAssertEqual(x.count, y.count, "gradient \(index) size", file: file, line: line)
            for (u, v) in zip(x, y) where abs(u - v) > 1e-6 * max(1, abs(u)) {
                XCTFail("gradient \(index): \(u) vs \(v)", file: file, line: line)
                break
            }
        }
    }

    func testGradientsOfAnMLPBlockEqualThoseWithoutCheckpointing() {
        Generator.seedAll(1)
        let block = Block()
        let x = Tensor.randn([4, 8]).requiringGrad()
        let target = Tensor.randn([4, 8])
        let all = [x] + block.parameters
        let plain = gradients(all) { (block(x) * target).sum() }
        let checkpointed = gradients(all) { (Tensor.checkpointed(x) { block($0) } * target).sum() }
        assertEqual(plain, checkpointed)
        XCTAssertGreaterThan(plain.gradients[1].map(abs).max()!, 0)
    }

    func testTheBlockRunsAgainInBackwardOnly() {
        Generator.seedAll(2)
        let block = Block()
        let x = Tensor.randn([4, 8]).requiringGrad()
        var runs = 0
        let y = Tensor.checkpointed(x) { runs += 1; return block($0) }
        XCTAssertEqual(runs, 1)
        XCTAssertTrue(y.requiresGrad)
        XCTAssertFalse(y.isLeaf)
        y.sum().backward()
        XCTAssertEqual(runs, 2)
        XCTAssertNotNil(block.weight1.grad)
    }

    func testDropoutInsideDrawsTheSameMasksInTheRecomputation() {
        Generator.seedAll(3)
        let block = Block(dropout: 0.5)
        let x = Tensor.randn([4, 8]).requiringGrad()
        let all = [x] + block.parameters
        Generator.seedAll(10)
        let plain = gradients(all) { block(x).square().sum() }
        Generator.seedAll(10)
        var stateBeforeBackward: [UInt8] = []
        let checkpointed = gradients(all) {
            let loss = Tensor.checkpointed(x) { block($0) }.square().sum()
            // Draws between forward and backward move the global generator on; the recomputation
            // still sees the state of the first run, and the generator is left where it was.
            _ = Tensor.rand([100])
            stateBeforeBackward = Generator.global.state.toArray()
            return loss
        }
        assertEqual(plain, checkpointed)
        XCTAssertEqual(Generator.global.state.toArray(), stateBeforeBackward)
        // Without the RNG rewound, the masks (and so the gradients) would differ.
        Generator.seedAll(11)
        let otherMasks = gradients(all) { block(x).square().sum() }
        XCTAssertNotEqual(plain.gradients[0], otherMasks.gradients[0])
    }

    func testABlockUsedTwiceAndNestedCheckpointsGiveThePlainGradients() {
        Generator.seedAll(4)
        let block = Block()
        let x = Tensor.randn([4, 8]).requiringGrad()
        let all = [x] + block.parameters
        let plain = gradients(all) { block(block(x)).tanh().sum() }
        let twice = gradients(all) {
            Tensor.checkpointed(Tensor.checkpointed(x) { block($0) }) { block($0) }.tanh().sum()
        }
        assertEqual(plain, twice)
        let nested = gradients(all) {
            Tensor.checkpointed(x) { outer in
                Tensor.checkpointed(Tensor.checkpointed(outer) { block($0) }) { block($0) }
            }.tanh().sum()
        }
        assertEqual(plain, nested)
    }

    func testSeveralInputsAndOutputs() {
        Generator.seedAll(5)
        let a = Tensor.randn([3, 4]).requiringGrad()
        let b = Tensor.randn([4, 2]).requiringGrad()
        let constant = Tensor.randn([3, 2])
        let all = [a, b]
        func body(_ inputs: [Tensor]) -> [Tensor] {
            let product = inputs[0].matmul(inputs[1])
            return [product.sigmoid() * inputs[2], product.relu(), inputs[0].sum(dims: [1])]
        }
        func loss(_ outputs: [Tensor]) -> Tensor {
            outputs[0].sum() + outputs[1].square().sum() * 0.5 + outputs[2].exp().sum()
        }
        let plain = gradients(all) { loss(body([a, b, constant])) }
        let checkpointed = gradients(all) { loss(Tensor.checkpointed([a, b, constant], body)) }
        assertEqual(plain, checkpointed)
        // An output that backward does not reach gets no gradient (zeros are passed in).
        let partial = gradients(all) { Tensor.checkpointed([a, b, constant], body)[1].sum() }
        let partialPlain = gradients(all) { body([a, b, constant])[1].sum() }
        assertEqual(partialPlain, partial)
    }

    func testParametersGetGradientsWhenNoInputRequiresGrad() {
        Generator.seedAll(6)
        let block = Block()
        let x = Tensor.randn([4, 8])
        let plain = gradients(block.parameters) { block(x).square().mean() }
        let checkpointed = gradients(block.parameters) { Tensor.checkpointed(x) { block($0) }.square().mean() }
        assertEqual(plain, checkpointed)
        XCTAssertNil(x.grad)
    }

    func testWithoutGradTheBlockRunsPlain() {
        Generator.seedAll(7)
        let block = Block()
        let x = Tensor.randn([4, 8]).requiringGrad()
        var runs = 0
        let y = Tensor.withoutGrad { Tensor.checkpointed(x) { runs += 1; return block($0) } }
        XCTAssertEqual(runs, 1)
        XCTAssertFalse(y.requiresGrad)
        XCTAssertEqual(y.toArray(of: Float.self), Tensor.withoutGrad { block(x) }.toArray(of: Float.self))
    }

    func testTheClosureIsReleasedWhenTheGraphGoes() {
        final class Witness {}
        weak var afterBackward: Witness?
        weak var withoutBackward: Witness?
        let x = Tensor.randn([2, 3]).requiringGrad()
        do {
            let witness = Witness()
            afterBackward = witness
            let y = Tensor.checkpointed(x) { input in withExtendedLifetime(witness) { input * 2.0 } }
            XCTAssertNotNil(afterBackward, "the node keeps the closure until backward")
            y.sum().backward()
        }
        XCTAssertNil(afterBackward, "released after backward")
        do {
            let witness = Witness()
            withoutBackward = witness
            var y: Tensor? = Tensor.checkpointed(x) { input in withExtendedLifetime(witness) { input.exp() } }
            XCTAssertNotNil(withoutBackward)
            y = nil
            XCTAssertNil(y)
        }
        XCTAssertNil(withoutBackward, "released with the graph, no backward")
        XCTAssertEqual(x.grad?.toArray(of: Float.self), [Float](repeating: 2, count: 6))
    }
}
