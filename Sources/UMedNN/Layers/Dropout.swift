import UMedTensor

/// Inverted dropout while training (`isTraining`); the identity in evaluation mode.
public final class Dropout: Module, UnaryLayer {
    public let probability: Double
    private let generator: Generator?

    /// Zeroes each element with `probability`, drawing from `generator` (or the global one).
    public init(probability: Double, generator: Generator? = nil) {
        precondition(probability >= 0 && probability <= 1, "dropout probability must be in [0, 1], got \(probability)")
        self.probability = probability
        self.generator = generator
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.dropout(probability, training: isTraining, generator: generator)
    }
}
