import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

/// Learning-rate schedules against transformers, gradient clipping against
/// torch.nn.utils.clip_grad_norm_ (scripts/fixtures/make_nn_fixtures.py).
final class ScheduleAndClippingTests: XCTestCase {
    func testSchedulesMatchTransformers() throws {
        let fixture = try NNFixtures.named("schedules")
        let cases: [(String, LearningRateSchedule)] = [
            ("constant_with_warmup", .constantWithWarmup(warmupSteps: 5)),
            ("linear", .linear(warmupSteps: 5, totalSteps: 20)),
            ("cosine", .cosine(warmupSteps: 5, totalSteps: 20)),
            ("cosine_one_cycle", .cosine(warmupSteps: 5, totalSteps: 20, cycles: 1)),
        ]
        for (name, schedule) in cases {
            let expected = fixture[name].numbers
            XCTAssertEqual(expected.count, 25)
            for (step, value) in expected.enumerated() {
                XCTAssertEqual(schedule.multiplier(atStep: step), value, accuracy: 1e-12, "\(name) at step \(step)")
            }
        }
        XCTAssertEqual(LearningRateSchedule.constant.multiplier(atStep: 1000), 1)
    }

    func testScheduleScalesEveryGroupFromItsInitialRate() {
        let model = makeTinyModel()
        var groups = ParameterGroup.weightDecayGroups(of: model, learningRate: 0.1, weightDecay: 0.01)
        groups[1] = ParameterGroup(parameters: groups[1].parameters, learningRate: 0.4)
        let optimizer = AdamW(groups: groups)
        let schedule = LearningRateSchedule.linear(warmupSteps: 4, totalSteps: 10)
        schedule.apply(to: optimizer, step: 2)
        XCTAssertEqual(optimizer.parameterGroups.map(\.learningRate), [0.05, 0.2])
        schedule.apply(to: optimizer, step: 7)
        XCTAssertEqual(optimizer.parameterGroups[0].learningRate, 0.05, accuracy: 1e-15)
        XCTAssertEqual(optimizer.learningRate, 0.05, accuracy: 1e-15)
        optimizer.learningRate = 0.3
        XCTAssertEqual(optimizer.parameterGroups.map(\.learningRate), [0.3, 0.3])
        XCTAssertEqual(optimizer.parameterGroups.map(\.initialLearningRate), [0.1, 0.4])
    }

    private func checkClipping(_ name: String) throws {
        let fixture = try NNFixtures.named(name)
        let grads = fixture["grads"].array.map { $0.tensor() }
        let parameters = grads.map { grad -> Parameter in
            let parameter = Parameter(Tensor.zeros(grad.shape))
            parameter.grad = grad.clone()
            return parameter
        }
        let total = clipGradNorm(parameters, maxNorm: fixture["max_norm"].number)
        XCTAssertEqual(total, fixture["total_norm"].number, accuracy: 1e-5)
        for (parameter, expected) in zip(parameters, fixture["clipped"].array) {
            assertClose(try XCTUnwrap(parameter.grad), expected.tensor(), atol: 1e-7, rtol: 1e-6, name)
        }
    }

    func testClipGradNormMatchesTorch() throws {
        try checkClipping("clip_grad_norm")
        try checkClipping("clip_grad_norm_unclipped")
    }

    func testClipGradNormSkipsParametersWithoutGradients() {
        let withGrad = Parameter(Tensor.zeros([2]))
        withGrad.grad = Tensor([Float(3), 4])
        let total = clipGradNorm([Parameter(Tensor.zeros([3])), withGrad], maxNorm: 1)
        XCTAssertEqual(total, 5, accuracy: 1e-6)
        XCTAssertEqual(withGrad.grad!.norm().item(), 1, accuracy: 1e-5)
        XCTAssertEqual(clipGradNorm([], maxNorm: 1), 0)
    }
}
