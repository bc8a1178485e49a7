import Foundation
import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

/// Resuming training from saved weights and optimizer state gives the same parameters as never
/// stopping.
final class OptimizerStateTests: XCTestCase {
    private let input = Tensor.randn([16, 4], generator: Generator(seed: 11))
    private let target = Tensor.randn([16, 2], generator: Generator(seed: 12))
    private let schedule = LearningRateSchedule.cosine(warmupSteps: 2, totalSteps: 8)

    private func makeAdamW(_ model: Sequential) -> any Optimizer {
        AdamW(groups: ParameterGroup.weightDecayGroups(of: model, learningRate: 0.05, weightDecay: 0.1),
              betas: (0.8, 0.95))
    }

    private func makeSGD(_ model: Sequential) -> any Optimizer {
        SGD(parameters: model.parameters(), learningRate: 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true)
    }

    private func checkResume(_ makeOptimizer: (Sequential) -> any Optimizer) throws {
        let directory = try makeTemporaryDirectory(self)
        let uninterrupted = makeTinyModel(generator: Generator(seed: 5))
        train(uninterrupted, makeOptimizer(uninterrupted), input: input, target: target, steps: 8, schedule: schedule)

        let first = makeTinyModel(generator: Generator(seed: 5))
        let firstOptimizer = makeOptimizer(first)
        train(first, firstOptimizer, input: input, target: target, steps: 3, schedule: schedule)
        try first.save(to: directory.appendingPathComponent("model.safetensors"))
        try firstOptimizer.stateDict().write(to: directory.appendingPathComponent("optimizer.safetensors"))

        let resumed = makeTinyModel(generator: Generator(seed: 99))
        let resumedOptimizer = makeOptimizer(resumed)
        try resumed.load(from: directory.appendingPathComponent("model.safetensors"))
        try resumedOptimizer.loadStateDict(OptimizerState(contentsOf: directory.appendingPathComponent("optimizer.safetensors")))
        XCTAssertEqual(resumedOptimizer.learningRate, firstOptimizer.learningRate)
        train(resumed, resumedOptimizer, input: input, target: target, steps: 5, schedule: schedule, firstStep: 3)

        for (key, tensor) in resumed.stateDict() {
            assertClose(tensor, uninterrupted.stateDict()[key]!, atol: 0, rtol: 0, key)
        }
        // Without the optimizer state the run differs: the test can fail.
        let fresh = makeTinyModel()
        try fresh.load(from: directory.appendingPathComponent("model.safetensors"))
        train(fresh, makeOptimizer(fresh), input: input, target: target, steps: 5, schedule: schedule, firstStep: 3)
        let difference = (fresh.stateDict()["0.weight"]! - uninterrupted.stateDict()["0.weight"]!).abs().amax().item()
        XCTAssertGreaterThan(difference, 1e-4)
    }

    func testAdamWResumesExactly() throws {
        try checkResume(makeAdamW)
    }

    func testSGDResumesExactly() throws {
        try checkResume(makeSGD)
    }

    func testStateIsACopyKeyedLikeTorch() {
        let model = makeTinyModel()
        let optimizer = makeAdamW(model)
        train(model, optimizer, input: input, target: target, steps: 2)
        let state = optimizer.stateDict()
        // Group 0 holds the two weights, group 1 the two biases: positions 0…3 across groups.
        XCTAssertEqual(Set(state.tensors.keys), Set((0..<4).flatMap { ["state.\($0).exp_avg", "state.\($0).exp_avg_sq"] }))
        XCTAssertEqual(state.scalars["state.3.step"], 2)
        XCTAssertEqual(state.scalars["group.0.weight_decay"], 0.1)
        XCTAssertEqual(state.scalars["group.1.weight_decay"], 0)
        let saved = state.tensors["state.0.exp_avg"]!.clone()
        train(model, optimizer, input: input, target: target, steps: 1)
        assertClose(state.tensors["state.0.exp_avg"]!, saved, atol: 0, rtol: 0)
    }

    func testMismatchedStateIsRejected() {
        let model = makeTinyModel()
        let optimizer = makeAdamW(model)
        train(model, optimizer, input: input, target: target, steps: 1)
        let other = MLP(hiddenSize: 4, intermediateSize: 3)
        let otherOptimizer = AdamW(groups: ParameterGroup.weightDecayGroups(of: other, learningRate: 0.1, weightDecay: 0.1))
        XCTAssertThrowsError(try otherOptimizer.loadStateDict(optimizer.stateDict())) { error in
            XCTAssertTrue(String(describing: error).contains("state.0.exp_avg has shape [8, 4], its parameter [3, 4]"),
                          String(describing: error))
        }
        let single = AdamW(parameters: model.parameters())
        XCTAssertThrowsError(try single.loadStateDict(optimizer.stateDict()))
        var extra = optimizer.stateDict()
        extra.tensors["state.9.exp_avg"] = Tensor.zeros([1])
        XCTAssertThrowsError(try makeAdamW(makeTinyModel()).loadStateDict(extra))
    }
}
