import UMedTensor

/// Parameters that share a learning rate and a weight decay, as a torch param group.
public struct ParameterGroup {
    public var parameters: [Parameter]
    /// The rate the next `step()` uses.
    public var learningRate: Double
    /// The rate a `LearningRateSchedule` scales (the group's rate when it was made).
    public var initialLearningRate: Double
    public var weightDecay: Double

    public init(parameters: [Parameter], learningRate: Double, weightDecay: Double = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.initialLearningRate = learningRate
        self.weightDecay = weightDecay
    }

    /// The two usual groups for `module`'s trainable parameters: with weight decay for matrices
    /// and kernels, and without for biases and normalization weights (parameters of rank < 2 or
    /// named "….bias"), as Hugging Face's Trainer groups them.
    public static func weightDecayGroups(
        of module: Module, learningRate: Double, weightDecay: Double
    ) -> [ParameterGroup] {
        let named = module.namedTrainableParameters()
        func decays(_ name: String, _ parameter: Parameter) -> Bool {
            parameter.shape.count >= 2 && !(name == "bias" || name.hasSuffix(".bias"))
        }
        return [
            ParameterGroup(parameters: named.filter { decays($0.0, $0.1) }.map(\.1),
                           learningRate: learningRate, weightDecay: weightDecay),
            ParameterGroup(parameters: named.filter { !decays($0.0, $0.1) }.map(\.1),
                           learningRate: learningRate, weightDecay: 0),
        ]
    }
}

/// An optimizer's resumable state: tensors (moments, momentum buffers) and scalars (step counts,
/// group learning rates), keyed by group and parameter position as torch numbers them.
public struct OptimizerState {
    public var tensors: [String: Tensor]
    public var scalars: [String: Double]

    public init(tensors: [String: Tensor] = [:], scalars: [String: Double] = [:]) {
        self.tensors = tensors
        self.scalars = scalars
    }
}

/// Updates parameters from their gradients. `step()` runs without recording gradients and
/// changes parameters in place, so modules keep seeing their own parameter objects.
public protocol Optimizer: AnyObject {
    var parameterGroups: [ParameterGroup] { get set }
    /// One update of every trainable parameter that has a gradient.
    func step()
    /// Forgets (or zeroes) the gradients of every parameter in every group.
    func zeroGrad(setToNone: Bool)
    /// The first group's learning rate; setting it sets every group's.
    var learningRate: Double { get set }
    /// Everything needed to continue exactly where this optimizer is (copies, not views).
    func stateDict() -> OptimizerState
    /// Restores a state from `stateDict()` of an optimizer over parameters of the same shapes in
    /// the same groups; throws `NNError.optimizerStateMismatch` otherwise.
    func loadStateDict(_ state: OptimizerState) throws
}

extension Optimizer {
    public func zeroGrad(setToNone: Bool = true) {
        for group in parameterGroups {
            for parameter in group.parameters { parameter.zeroGrad(setToNone: setToNone) }
        }
    }

    public var learningRate: Double {
        get { parameterGroups.first?.learningRate ?? 0 }
        set {
            for index in parameterGroups.indices { parameterGroups[index].learningRate = newValue }
        }
    }

    /// Every parameter of every group, in order.
    public var allParameters: [Parameter] { parameterGroups.flatMap(\.parameters) }
}
