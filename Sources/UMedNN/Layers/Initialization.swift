import UMedTensor

/// PyTorch's default initializations, drawn from `generator` (or the global one).
enum Initialization {
    /// Bound of torch.nn.init.kaiming_uniform_(a: √5) — the default for Linear and Conv weights —
    /// which is also the bound of their default bias init: 1/√fan_in.
    static func defaultBound(fanIn: Int) -> Double {
        fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0
    }

    /// Uniform draws in [-bound, bound).
    static func uniform(
        _ shape: [Int], bound: Double, dtype: DType, device: Device, generator: Generator?
    ) -> Tensor {
        let unit = Tensor.rand(shape, dtype: dtype, device: device, generator: generator)
        return unit * (2 * bound) - bound
    }

    /// Standard normal draws.
    static func normal(_ shape: [Int], dtype: DType, device: Device, generator: Generator?) -> Tensor {
        Tensor.randn(shape, dtype: dtype, device: device, generator: generator)
    }
}
