import UMedTensor

/// Layer normalization over the last dimension (checkpoint keys "weight", "bias"), as
/// torch.nn.LayerNorm: weight ones, bias zeros.
public final class LayerNorm: Module, UnaryLayer {
    public let weight: Parameter?
    public let bias: Parameter?
    public let eps: Double
    public let dimensions: Int

    public init(
        dimensions: Int, eps: Double = 1e-5, affine: Bool = true, bias: Bool = true, dtype: DType = .float32,
        device: Device = .cpu
    ) {
        self.dimensions = dimensions
        self.eps = eps
        weight = affine ? Parameter(Tensor.ones([dimensions], dtype: dtype, device: device)) : nil
        self.bias = affine && bias ? Parameter(Tensor.zeros([dimensions], dtype: dtype, device: device)) : nil
    }

    public override var namedOwnParameters: [(String, Parameter)] {
        (weight.map { [("weight", $0)] } ?? []) + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.layerNorm(normalizedShape: [dimensions], weight: weight?.value, bias: bias?.value, eps: eps)
    }
}

/// Root-mean-square normalization over the last dimension, as Llama's RMSNorm: computed in
/// float32, cast back to the input dtype, then scaled by `weight` (key "weight", init ones).
public final class RMSNorm: Module, UnaryLayer {
    public let weight: Parameter
    public let eps: Double

    public init(dimensions: Int, eps: Double = 1e-6, dtype: DType = .float32, device: Device = .cpu) {
        self.eps = eps
        weight = Parameter(Tensor.ones([dimensions], dtype: dtype, device: device))
    }

    public var dimensions: Int { weight.shape[0] }

    public override var namedOwnParameters: [(String, Parameter)] { [("weight", weight)] }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.rmsNorm(weight: weight.value, eps: eps)
    }
}
