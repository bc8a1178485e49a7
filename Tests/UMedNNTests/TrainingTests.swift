import UMedNN
import UMedTensor
import UMedTestSupport
import XCTest

/// A tiny MLP learns a toy regression: the pieces work together.
final class TrainingTests: XCTestCase {
    func testTinyMLPLearnsASineCurve() {
        let x = Tensor.linspace(-2, 2, count: 64).reshaped([64, 1])
        let y = (x * 1.5).sin()
        let generator = Generator(seed: 21)
        let model = Sequential(
            Linear(inputSize: 1, outputSize: 32, generator: generator),
            ActivationLayer(.tanh),
            Linear(inputSize: 32, outputSize: 1, generator: generator))
        let optimizer = AdamW(groups: ParameterGroup.weightDecayGroups(of: model, learningRate: 0.02, weightDecay: 0.01))
        let schedule = LearningRateSchedule.cosine(warmupSteps: 10, totalSteps: 100)
        var losses: [Double] = []
        for step in 0..<100 {
            optimizer.zeroGrad()
            let loss = meanSquaredError(model(x), y)
            loss.backward()
            clipGradNorm(model.trainableParameters(), maxNorm: 1)
            schedule.apply(to: optimizer, step: step)
            optimizer.step()
            losses.append(loss.item())
        }
        let final = Tensor.withoutGrad { meanSquaredError(model(x), y).item() }
        XCTAssertLessThan(final, losses[0] * 0.1, "loss \(losses[0]) → \(final)")
        XCTAssertLessThan(final, 0.05)
    }
}
