import UMedTensor

/// A lookup table [count, dimensions]: integer indices → rows (checkpoint key "weight").
public final class Embedding: Module {
    public let weight: Parameter

    /// Initialized as torch.nn.Embedding: standard normal.
    public init(
        count: Int, dimensions: Int, dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil
    ) {
        weight = Parameter(Initialization.normal([count, dimensions], dtype: dtype, device: device,
                                                 generator: generator))
    }

    public init(weight: Tensor) {
        precondition(weight.rank == 2, "an Embedding weight is [count, dimensions], got shape \(weight.shape)")
        self.weight = Parameter(weight)
    }

    public var count: Int { weight.shape[0] }
    public var dimensions: Int { weight.shape[1] }

    public override var namedOwnParameters: [(String, Parameter)] { [("weight", weight)] }

    /// Rows for int64 `indices` of any shape: the result has shape indices.shape + [dimensions].
    public func callAsFunction(_ indices: Tensor) -> Tensor {
        weight.value.embedding(indices)
    }
}
