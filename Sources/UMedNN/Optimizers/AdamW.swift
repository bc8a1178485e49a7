import Foundation
import UMedTensor

/// Adam with decoupled weight decay, step for step as torch.optim.AdamW (single-tensor path):
///
///     θ ← θ · (1 − lr · λ)
///     m ← β₁ m + (1 − β₁) g          v ← β₂ v + (1 − β₂) g²
///     θ ← θ − lr / (1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// Moments are kept per parameter, in its dtype, on its device; each parameter counts its own
/// steps (a parameter without a gradient is skipped and does not count).
public final class AdamW: Optimizer {
    public var parameterGroups: [ParameterGroup]
    public let betas: (Double, Double)
    public let eps: Double
    private var store = OptimizerStateStore()

    /// One group: torch's defaults are lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 1e-2.
    public convenience init(
        parameters: [Parameter], learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
        eps: Double = 1e-8, weightDecay: Double = 1e-2
    ) {
        self.init(groups: [ParameterGroup(parameters: parameters, learningRate: learningRate, weightDecay: weightDecay)],
                  betas: betas, eps: eps)
    }

    /// Groups with their own learning rates and weight decays (see `ParameterGroup.weightDecayGroups`).
    public init(groups: [ParameterGroup], betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8) {
        precondition((0..<1).contains(betas.0) && (0..<1).contains(betas.1), "AdamW betas must be in [0, 1), got \(betas)")
        precondition(eps >= 0, "AdamW eps must not be negative, got \(eps)")
        parameterGroups = groups
        self.betas = betas
        self.eps = eps
    }

    public func step() {
        let (beta1, beta2) = betas
        Tensor.withoutGrad {
            for group in parameterGroups {
                let learningRate = group.learningRate
                for parameter in group.parameters where parameter.isTrainable {
                    guard let grad = parameter.grad else { continue }
                    let value = parameter.value
                    var entry = store[parameter] ?? OptimizerStateStore.Entry(tensors: [
                        "exp_avg": Tensor.zeros(value.shape, dtype: value.dtype, device: value.device),
                        "exp_avg_sq": Tensor.zeros(value.shape, dtype: value.dtype, device: value.device),
                    ])
                    entry.step += 1
                    let step = Double(entry.step)
                    let average = entry.tensors["exp_avg"]!
                    let averageSquare = entry.tensors["exp_avg_sq"]!

                    // In place throughout (one temporary per parameter): the optimizer step is a
                    // measurable share of a small model's training step (BENCHMARKS.md, sft-step).
                    if group.weightDecay != 0 { value.mul_(1 - learningRate * group.weightDecay) }
                    average.mul_(beta1)
                    average.add_(grad, alpha: 1 - beta1)
                    averageSquare.mul_(beta2)
                    averageSquare.addcmul_(grad, grad, value: 1 - beta2)

                    let stepSize = learningRate / (1 - pow(beta1, step))
                    let denominator = averageSquare.sqrt()
                    denominator.div_((1 - pow(beta2, step)).squareRoot())
                    denominator.add_(eps)
                    value.addcdiv_(average, denominator, value: -stepSize)
                    store[parameter] = entry
                }
            }
        }
    }

    public func stateDict() -> OptimizerState {
        store.export(groups: parameterGroups)
    }

    public func loadStateDict(_ state: OptimizerState) throws {
        parameterGroups = try store.restore(from: state, groups: parameterGroups)
    }
}
