import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

/// Five optimizer steps on the tiny model against torch.optim (scripts/fixtures/make_nn_fixtures.py).
final class OptimizerFixtureTests: XCTestCase {
    /// Runs 5 steps from the case's initial weights and compares losses and final weights.
    private func check(
        _ name: String, makeOptimizer: (Sequential) -> any Optimizer, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let fixture = try NNFixtures.named(name)
        let model = makeTinyModel()
        try model.loadStateDict(fixture["state"].tensors())
        let optimizer = makeOptimizer(model)
        let losses = train(model, optimizer, input: fixture["input"].tensor(), target: fixture["target"].tensor(),
                           steps: 5)
        for (loss, expected) in zip(losses, fixture["losses"].numbers) {
            XCTAssertEqual(loss, expected, accuracy: 1e-5 * Swift.max(1, Swift.abs(expected)), name, file: file, line: line)
        }
        let final = fixture["final"].tensors()
        XCTAssertEqual(Set(final.keys), Set(model.stateDict().keys), file: file, line: line)
        for (key, tensor) in model.stateDict() {
            assertClose(tensor, final[key]!, atol: 2e-6, rtol: 1e-5, "\(name) \(key)", file: file, line: line)
        }
    }

    func testAdamWWithTwoGroupsMatchesTorch() throws {
        try check("adamw") { model in
            var groups = ParameterGroup.weightDecayGroups(of: model, learningRate: 1e-2, weightDecay: 0.1)
            XCTAssertEqual(groups.map { $0.parameters.map(\.shape) }, [[[8, 4], [2, 8]], [[8], [2]]])
            groups[1].learningRate = 2e-2
            groups[1].initialLearningRate = 2e-2
            return AdamW(groups: groups, betas: (0.9, 0.99), eps: 1e-6)
        }
    }

    func testSGDWithMomentumAndDampeningMatchesTorch() throws {
        try check("sgd_momentum") { model in
            SGD(parameters: model.parameters(), learningRate: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01)
        }
    }

    func testSGDWithNesterovMomentumMatchesTorch() throws {
        try check("sgd_nesterov") { model in
            SGD(parameters: model.parameters(), learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true)
        }
    }

    func testWeightDecayGroupsLeaveOutBiasesAndNormWeights() {
        final class Block: Module {
            let norm = LayerNorm(dimensions: 4)
            let mlp = MLP(hiddenSize: 4, intermediateSize: 8)
            let embedding = Embedding(count: 3, dimensions: 4)
            override var namedChildren: [(String, Module)] { [("norm", norm), ("mlp", mlp), ("embed", embedding)] }
        }
        let block = Block()
        block.embedding.freeze()
        let groups = ParameterGroup.weightDecayGroups(of: block, learningRate: 1e-3, weightDecay: 0.05)
        XCTAssertEqual(groups.map(\.weightDecay), [0.05, 0])
        XCTAssertTrue(groups[0].parameters.elementsEqual([block.mlp.fc1.weight, block.mlp.fc2.weight], by: ===))
        XCTAssertTrue(groups[1].parameters.elementsEqual(
            [block.norm.weight!, block.norm.bias!, block.mlp.fc1.bias!, block.mlp.fc2.bias!], by: ===))
    }
}
