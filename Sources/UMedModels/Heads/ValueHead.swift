import UMedNN
import UMedTensor

/// PPO's critic: a scalar value per position read from the decoder's final hidden states, as trl's
/// `ValueHead` — dropout, then `summary` (Linear hidden → 1), checkpoint keys "summary.weight" /
/// "summary.bias" (trl saves them under "v_head."). It trains with its own learning rate.
public final class ValueHead: Module {
    public let dropout: Dropout
    public let summary: Linear

    public init(hiddenSize: Int, dropoutProbability: Double = 0.1, dtype: DType = .float32, device: Device = .cpu,
                generator: Generator? = nil) {
        dropout = Dropout(probability: dropoutProbability, generator: generator)
        summary = Linear(inputSize: hiddenSize, outputSize: 1, dtype: dtype, device: device, generator: generator)
    }

    public override var namedChildren: [(String, Module)] { [("dropout", dropout), ("summary", summary)] }

    /// [batch, length, hidden] final hidden states → [batch, length] values (float32 for the loss,
    /// whatever the model's dtype).
    public func callAsFunction(_ hiddenStates: Tensor) -> Tensor {
        summary(dropout(hiddenStates.to(summary.weight.dtype))).squeezed(dim: -1).to(.float32)
    }
}
