import UMedTensor

/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and (coupled) weight
/// decay, step for step as torch.optim.SGD:
///
///     d ← g + λ θ
///     b ← d (first step)  or  μ b + (1 − τ) d
///     d ← d + μ b (Nesterov)  or  b
///     θ ← θ − lr · d
public final class SGD: Optimizer {
    public var parameterGroups: [ParameterGroup]
    public let momentum: Double
    public let dampening: Double
    public let isNesterov: Bool
    private var store = OptimizerStateStore()

    public convenience init(
        parameters: [Parameter], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
        weightDecay: Double = 0, nesterov: Bool = false
    ) {
        self.init(groups: [ParameterGroup(parameters: parameters, learningRate: learningRate, weightDecay: weightDecay)],
                  momentum: momentum, dampening: dampening, nesterov: nesterov)
    }

    public init(groups: [ParameterGroup], momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false) {
        precondition(momentum >= 0, "SGD momentum must not be negative, got \(momentum)")
        precondition(!nesterov || (momentum > 0 && dampening == 0),
                     "Nesterov momentum needs a positive momentum and zero dampening")
        parameterGroups = groups
        self.momentum = momentum
        self.dampening = dampening
        self.isNesterov = nesterov
    }

    public func step() {
        Tensor.withoutGrad {
            for group in parameterGroups {
                for parameter in group.parameters where parameter.isTrainable {
                    guard let grad = parameter.grad else { continue }
                    let value = parameter.value
                    var direction = group.weightDecay != 0 ? grad + value * group.weightDecay : grad
                    if momentum != 0 {
                        var entry = store[parameter] ?? OptimizerStateStore.Entry()
                        if let buffer = entry.tensors["momentum_buffer"] {
                            buffer.mul_(momentum)
                            buffer.add_(direction, alpha: 1 - dampening)
                        } else {
                            entry.tensors["momentum_buffer"] = direction.detached().clone()
                        }
                        entry.step += 1
                        store[parameter] = entry
                        let buffer = entry.tensors["momentum_buffer"]!
                        direction = isNesterov ? direction + buffer * momentum : buffer
                    }
                    value.add_(direction, alpha: -group.learningRate)
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
